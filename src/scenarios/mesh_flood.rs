//! A flood from one corner of a 2D mesh grid (the paper's §V mesh experiments).

use std::cell::RefCell;
use std::rc::Rc;

use vnet_sim::topology::Topology;
use vnet_sim::trace::{Tee, TraceHash, TraceSink};
use vnet_sim::{Jitter, LinkParams, SimDuration, SimTime, Simulation};

use crate::programs::Flood;

/// The knobs of a mesh flood.
#[derive(Clone, Debug)]
pub struct MeshFlood {
    /// Grid rows.
    pub rows: usize,
    /// Grid columns.
    pub cols: usize,
    /// Link latency.
    pub latency: SimDuration,
    /// Link bandwidth, bits/s.
    pub bandwidth: u64,
    /// Uniform jitter bound (zero: none).
    pub jitter: SimDuration,
    /// Loss probability per message.
    pub loss: f64,
    /// Flood message size in bytes.
    pub size: u32,
    /// Master seed.
    pub seed: u64,
}

impl Default for MeshFlood {
    /// 4×4, 1 ms, 10 Mb/s, up to 50 µs jitter, no loss, 100-byte messages, seed 1.
    fn default() -> Self {
        MeshFlood {
            rows: 4,
            cols: 4,
            latency: SimDuration::from_millis(1),
            bandwidth: 10_000_000,
            jitter: SimDuration::from_micros(50),
            loss: 0.0,
            size: 100,
            seed: 1,
        }
    }
}

/// What a mesh flood produced.
pub struct MeshFloodReport {
    /// First-arrival time per node (grid order); `None` if the flood never reached it.
    pub arrivals: Vec<Option<SimTime>>,
    /// FNV-1a hash of the full event trace.
    pub trace_hash: u64,
    /// Number of trace records.
    pub trace_records: u64,
    /// The finished simulation, for stats.
    pub sim: Simulation,
}

/// Runs a flood from node `n0` (a corner) until the network is idle. `extra_trace` receives
/// every trace record too (e.g. a CSV writer).
pub fn mesh_flood(cfg: &MeshFlood, extra_trace: Option<Box<dyn TraceSink>>) -> MeshFloodReport {
    let mut sim = Simulation::new(cfg.seed);
    let mut params = LinkParams::new(cfg.latency, cfg.bandwidth).with_loss(cfg.loss);
    if cfg.jitter > SimDuration::ZERO {
        params = params.with_jitter(Jitter::Uniform { max: cfg.jitter });
    }
    let topo = Topology::grid(cfg.rows, cfg.cols);
    // Fresh names and valid parameters: building a grid cannot fail.
    let ids = topo.build(&mut sim, &params).expect("grid builds");
    let arrivals = Rc::new(RefCell::new(vec![None; ids.len()]));
    for (i, &id) in ids.iter().enumerate() {
        sim.add_worker(id, Box::new(Flood::new(i == 0, cfg.size, arrivals.clone())));
    }
    let hash = Rc::new(RefCell::new(TraceHash::default()));
    let mut sinks: Vec<Box<dyn TraceSink>> = vec![Box::new(hash.clone())];
    sinks.extend(extra_trace);
    sim.set_trace(Box::new(Tee(sinks)));
    sim.run();
    sim.take_trace();
    let arrivals = arrivals.borrow().clone();
    let h = hash.borrow();
    MeshFloodReport {
        arrivals,
        trace_hash: h.value(),
        trace_records: h.records(),
        sim,
    }
}
