//! A flood from one corner of a 2D mesh grid (the paper's §V mesh experiments).

use std::cell::RefCell;
use std::rc::Rc;

use vnet_sim::topology::Topology;
use vnet_sim::trace::{Tee, TraceHash, TraceSink};
use vnet_sim::vm::Lang;
use vnet_sim::{NodeProgram, SimDuration, SimTime, Simulation};

use crate::programs::{Flood, flood_worker};

/// The language the flood program runs in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FloodLang {
    /// The native Rust program.
    Rust,
    /// Lua 5.4 workers.
    Lua,
    /// JavaScript workers.
    Js,
}

impl std::str::FromStr for FloodLang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rust" => Ok(FloodLang::Rust),
            "lua" => Ok(FloodLang::Lua),
            "js" => Ok(FloodLang::Js),
            other => Err(format!("unknown language `{other}` (lua, js or rust)")),
        }
    }
}

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
    /// The language of the flood program.
    pub lang: FloodLang,
}

impl Default for MeshFlood {
    /// 4×4, 1 ms, 10 Mb/s, up to 50 µs jitter, no loss, 100-byte messages, seed 1, Lua.
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
            lang: FloodLang::Lua,
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

/// Runs a flood from node `n0` (a corner) until the network is idle. Failed workers (a Lua
/// or JS error) leave their node without an arrival; their messages are in [`Results::logs`](vnet_sim::Results::logs). `extra_trace` receives
/// every trace record too (e.g. a CSV writer).
pub fn mesh_flood(cfg: &MeshFlood, extra_trace: Option<Box<dyn TraceSink>>) -> MeshFloodReport {
    let mut sim = Simulation::new(cfg.seed);
    let params = super::link_params(cfg.latency, cfg.bandwidth, cfg.jitter, cfg.loss);
    let topo = Topology::grid(cfg.rows, cfg.cols);
    // Fresh names and valid parameters: building a grid cannot fail.
    let ids = topo.build(&mut sim, &params).expect("grid builds");
    for (i, &id) in ids.iter().enumerate() {
        // The flood starts at node 0, a corner.
        let origin = i == 0;
        let program: Box<dyn NodeProgram> = match cfg.lang {
            FloodLang::Rust => Box::new(Flood::new(origin, cfg.size)),
            FloodLang::Lua => flood_worker(Lang::Lua, origin, cfg.size),
            FloodLang::Js => flood_worker(Lang::Js, origin, cfg.size),
        };
        sim.add_worker(id, program);
    }
    let hash = Rc::new(RefCell::new(TraceHash::default()));
    let mut sinks: Vec<Box<dyn TraceSink>> = vec![Box::new(hash.clone())];
    sinks.extend(extra_trace);
    sim.set_trace(Box::new(Tee(sinks)));
    sim.run();
    sim.take_trace();
    // Every flood program records `reached` once, when the flood reaches its node.
    let mut arrivals = vec![None; ids.len()];
    for r in sim
        .results()
        .records()
        .iter()
        .filter(|r| r.name == "reached")
    {
        arrivals[r.node.0 as usize].get_or_insert(r.time);
    }
    let h = hash.borrow();
    MeshFloodReport {
        arrivals,
        trace_hash: h.value(),
        trace_records: h.records(),
        sim,
    }
}
