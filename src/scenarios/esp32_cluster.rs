//! The paper's §IV multicomputer: ESP32 boards (host profile `esp32`) whose only interconnect
//! is serial — k parallel UARTs per board to a crossbar switch realising a logical
//! interconnect. Each board runs `programs/esp32_exchange.lua`: frames to every logical
//! neighbour, then counting what arrives.

use std::rc::Rc;

use vnet_sim::devices::{FRAME_OVERHEAD, Interconnect, SwitchConfig, SwitchStats, UartSwitch};
use vnet_sim::vm::{HostProfile, Lang, NodeMemoryCap, VmConfig, VmProgram};
use vnet_sim::{RecordValue, Simulation, WorkerId};

/// The exchange program; its parameters are `id`, `neighbours`, `rounds` and `pad`.
pub const ESP32_EXCHANGE_LUA: &str =
    include_str!("../../examples/networks/esp32_cluster/esp32_exchange.lua");

/// One run of the cluster.
#[derive(Clone, Debug)]
pub struct ClusterRun {
    /// The switch (interconnect, lanes, queues).
    pub switch: SwitchConfig,
    /// Frames each board sends to each neighbour.
    pub rounds: u32,
    /// Padding bytes in each frame's payload.
    pub pad: usize,
    /// Seed of the simulation.
    pub seed: u64,
}

/// What the run measured (virtual time).
#[derive(Clone, Debug)]
pub struct ClusterReport {
    /// Frames sent by all boards.
    pub sent: u64,
    /// Frames received by all boards.
    pub received: u64,
    /// When the last board had everything (s).
    pub completion_s: f64,
    /// Mean and largest send-to-receive latency (s).
    pub latency_mean_s: f64,
    /// Largest latency (s).
    pub latency_max_s: f64,
    /// Frame bytes the boards received on the wire (JSON payload + framing), all boards.
    pub rx_wire_bytes: u64,
    /// What the switch counted.
    pub switch: SwitchStats,
}

impl ClusterReport {
    /// Mean received wire bits per board per second of the run.
    pub fn rx_bps_per_board(&self, boards: usize) -> f64 {
        (self.rx_wire_bytes * 8) as f64 / boards as f64 / self.completion_s
    }
}

/// Bits/s of frame bytes one board's k UARTs can carry (8 of every 10 bits on the wire).
pub fn line_limit_bps(switch: &SwitchConfig) -> f64 {
    switch.bit_rate as f64 * switch.line.lanes as f64 * 8.0 / switch.line.bits_per_byte as f64
}

/// Runs the exchange.
pub fn esp32_cluster(run: &ClusterRun) -> Result<ClusterReport, String> {
    let ic: &Interconnect = &run.switch.interconnect;
    let n = ic.len();
    let names: Vec<String> = (0..n).map(|i| format!("esp{i}")).collect();
    let mut sim = Simulation::new(run.seed);
    let cluster = UartSwitch::build(&mut sim, "switch", &names, run.switch.clone())
        .map_err(|e| e.to_string())?;
    // The ESP32's 512 kB are shared by all of a board's Lua workers.
    let esp32 = HostProfile::esp32();
    let config = Rc::new(VmConfig {
        node_memory: Some(NodeMemoryCap::new(esp32.memory_cap)),
        ..VmConfig::on(esp32)
    });
    for (i, &d) in cluster.devices.iter().enumerate() {
        let params = serde_json::json!({
            "id": i,
            "neighbours": ic.neighbours(i),
            "rounds": run.rounds,
            "pad": run.pad,
        });
        let program = VmProgram::new(Lang::Lua, ESP32_EXCHANGE_LUA, config.clone())
            .with_source_name("esp32_exchange.lua")
            .with_params(params);
        sim.add_worker(d, Box::new(program));
    }
    sim.run();
    let (mut received, mut expected, mut lat_sum, mut lat_max, mut last) =
        (0u64, 0u64, 0.0, 0.0f64, 0.0f64);
    for (i, &d) in cluster.devices.iter().enumerate() {
        let field = |name: &str| -> Result<f64, String> {
            sim.results()
                .last_record(d, name)
                .and_then(RecordValue::as_f64)
                .ok_or_else(|| match sim.results().logs().iter().find(|l| l.node == d) {
                    Some(l) => format!("board {i} recorded no {name}: {}", l.text),
                    None => format!("board {i} recorded no {name}"),
                })
        };
        received += field("got")? as u64;
        expected += field("expect")? as u64;
        lat_sum += field("lat_sum_ms")?;
        lat_max = lat_max.max(field("lat_max_ms")?);
        last = last.max(field("last_ms")?);
    }
    let stats = sim
        .program_mut(cluster.switch, WorkerId(0))
        .and_then(|p| p.as_any_mut())
        .and_then(|a| a.downcast_mut::<UartSwitch>())
        .map(|s| s.stats().clone())
        .ok_or("the switch program is gone")?;
    let rx_payload: u64 = cluster
        .devices
        .iter()
        .filter_map(|&d| sim.results().node_stats(d))
        .map(|st| st.bytes_received)
        .sum();
    Ok(ClusterReport {
        sent: expected,
        received,
        completion_s: last / 1e3,
        latency_mean_s: if received > 0 {
            lat_sum / received as f64 / 1e3
        } else {
            0.0
        },
        latency_max_s: lat_max / 1e3,
        rx_wire_bytes: rx_payload + received * FRAME_OVERHEAD as u64,
        switch: stats,
    })
}
