//! A field of temperature sensors estimating the mean temperature in-network.
//!
//! A `rows × cols` grid of nodes, `spacing` metres apart, each with a noisy temperature sensor
//! sampling a hot-spot field every 100 ms for one second (12-bit ADC, occasional dropouts).
//! Every node averages what it measured and a spanning tree carries the sum of node means and
//! their count to the sink in the corner (convergecast), all in Lua. The sink's estimate of the field's mean over
//! the nodes is compared with the truth.

use sensors::{Sensor, SensorModel, SignalSpec, Trigger};
use vnet_sim::topology::Topology;
use vnet_sim::vm::{Lang, vm_worker};
use vnet_sim::{LinkParams, NodeId, RecordValue, SimDuration, Simulation};

/// The experiment's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct SensorField {
    /// Grid rows.
    pub rows: usize,
    /// Grid columns.
    pub cols: usize,
    /// Metres between neighbours.
    pub spacing: f64,
    /// The sensors' Gaussian noise (°C).
    pub noise_sigma: f64,
    /// Probability that a sample is lost.
    pub dropout: f64,
    /// Master seed of the run.
    pub seed: u64,
}

impl Default for SensorField {
    /// 8 × 8 nodes 10 m apart, σ = 1 °C, 5 % dropouts.
    fn default() -> Self {
        SensorField {
            rows: 8,
            cols: 8,
            spacing: 10.0,
            noise_sigma: 1.0,
            dropout: 0.05,
            seed: 1,
        }
    }
}

/// What one run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct SensorFieldReport {
    /// The sink's estimate of the mean temperature (°C).
    pub estimate: f64,
    /// The field's true mean over the nodes' positions (°C).
    pub truth: f64,
    /// Samples that went into the estimate.
    pub samples: u64,
}

impl SensorFieldReport {
    /// `estimate − truth`.
    pub fn error(&self) -> f64 {
        self.estimate - self.truth
    }
}

/// The temperature field: 20 °C ambient with a 15 °C hot spot, 15 m wide, off centre.
pub fn field() -> SignalSpec {
    SignalSpec::HotSpot {
        ambient: 20.0,
        peak: 15.0,
        x: 45.0,
        y: 25.0,
        sigma: 15.0,
    }
}

/// Samples reported per node (every 100 ms from 0 to 900 ms), before dropouts.
pub const SAMPLES_PER_NODE: u64 = 10;

/// The node program. Node `r·cols + c` sends to `(r, c−1)`, or `(r−1, 0)` from the first
/// column: a spanning tree rooted at node 0, the sink.
const PROGRAM: &str = include_str!("../../examples/networks/sensor_field/field.lua");

/// Runs the experiment once.
pub fn sensor_field(p: &SensorField) -> Result<SensorFieldReport, String> {
    let mut sim = Simulation::new(p.seed);
    let link = LinkParams::new(SimDuration::from_millis(1), 250_000);
    let ids = Topology::grid(p.rows, p.cols)
        .build(&mut sim, &link)
        .map_err(|e| e.to_string())?;
    let signal =
        sensors::Signal::build(&field(), std::path::Path::new(".")).map_err(|e| e.to_string())?;
    let model = SensorModel {
        noise_sigma: p.noise_sigma,
        adc_bits: Some(12),
        range: Some([-40.0, 85.0]),
        dropout: p.dropout,
        ..Default::default()
    };
    let every = Trigger::Periodic {
        period_ms: 100.0,
        offset_ms: 0.0,
        until_ms: Some(100.0 * (SAMPLES_PER_NODE - 1) as f64),
    };
    let params = serde_json::json!({"cols": p.cols, "rows": p.rows});
    let mut truth = 0.0;
    for (i, &id) in ids.iter().enumerate() {
        let pos = [
            (i % p.cols) as f64 * p.spacing,
            (i / p.cols) as f64 * p.spacing,
        ];
        sim.set_position(id, pos).map_err(|e| e.to_string())?;
        truth += signal.value(0.0, pos);
        let port = sim.add_port(id, "temp").map_err(|e| e.to_string())?;
        let sensor = Sensor::new(signal.clone(), model.clone()).map_err(|e| e.to_string())?;
        sim.add_sensor(id, "temp", sensor, every.clone(), Some(port))
            .map_err(|e| e.to_string())?;
        sim.add_worker(
            id,
            Box::new((*vm_worker(Lang::Lua, PROGRAM)).with_params(params.clone())),
        );
    }
    sim.run();
    let sink = NodeId(0);
    let estimate = sim
        .results()
        .last_record(sink, "estimate")
        .and_then(RecordValue::as_f64);
    let samples = sim
        .results()
        .last_record(sink, "samples")
        .and_then(RecordValue::as_f64);
    match (estimate, samples) {
        (Some(estimate), Some(samples)) => Ok(SensorFieldReport {
            estimate,
            truth: truth / ids.len() as f64,
            samples: samples as u64,
        }),
        _ => {
            let errors: Vec<String> = sim
                .results()
                .logs()
                .iter()
                .filter(|l| l.stream == vnet_sim::LogStream::Err)
                .map(|l| l.text.clone())
                .collect();
            Err(format!("the sink recorded no estimate; errors: {errors:?}"))
        }
    }
}
