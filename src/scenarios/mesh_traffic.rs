//! Steady traffic on a 2D mesh grid (the paper's §V experiments 1 and 2 with internal nodes):
//! every node starts a series of floods; measured are the wall time the run takes (messages per
//! second of wall time), the virtual end-to-end latency of every flood at every node, and the
//! VM workers involved. The same in Lua, JavaScript and Rust, with identical virtual results.

use std::time::{Duration, Instant};

use vnet_sim::topology::Topology;
use vnet_sim::vm::Lang;
use vnet_sim::{LogStream, NodeProgram, SimDuration, SimTime, Simulation};

use super::FloodLang;
use crate::programs::{MeshTraffic, TrafficParams};

/// A mesh-traffic run.
#[derive(Clone, Debug)]
pub struct MeshTrafficRun {
    /// Grid rows.
    pub rows: usize,
    /// Grid columns.
    pub cols: usize,
    /// The language of every node's program.
    pub lang: FloodLang,
    /// Floods each node starts.
    pub floods: u32,
    /// Between two floods of one node, ms.
    pub interval_ms: u32,
    /// Link latency.
    pub latency: SimDuration,
    /// Link bandwidth, bits/s.
    pub bandwidth: u64,
    /// Uniform jitter bound per message.
    pub jitter: SimDuration,
    /// Master seed.
    pub seed: u64,
}

impl MeshTrafficRun {
    /// A `rows × cols` grid in `lang`: 50 floods per node every 5 ms, 1 ms links at 10 Mb/s
    /// with up to 50 µs of jitter, seed 1.
    pub fn new(rows: usize, cols: usize, lang: FloodLang) -> Self {
        MeshTrafficRun {
            rows,
            cols,
            lang,
            floods: 50,
            interval_ms: 5,
            latency: SimDuration::from_millis(1),
            bandwidth: 10_000_000,
            jitter: SimDuration::from_micros(50),
            seed: 1,
        }
    }
}

/// What a mesh-traffic run measured.
#[derive(Clone, Debug)]
pub struct MeshTrafficReport {
    /// VM workers (or Rust programs) that ran: one per node.
    pub workers: usize,
    /// Messages delivered over links.
    pub messages: u64,
    /// Wall time of the run (the simulation's `run`, not its set-up).
    pub wall: Duration,
    /// Virtual time at the end.
    pub end: SimTime,
    /// Every flood's latency at every other node, ms, in the order the nodes recorded them.
    pub latencies_ms: Vec<f64>,
}

impl MeshTrafficReport {
    /// Messages delivered per second of wall time.
    pub fn messages_per_s(&self) -> f64 {
        self.messages as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// The `q`-quantile of the latencies (nearest rank), ms.
    pub fn latency_quantile(&self, q: f64) -> f64 {
        let mut v = self.latencies_ms.clone();
        v.sort_by(f64::total_cmp);
        let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len().max(1)) - 1;
        v.get(i).copied().unwrap_or(f64::NAN)
    }
}

/// Runs `cfg`; fails if a worker failed or a node did not see every flood.
pub fn mesh_traffic(cfg: &MeshTrafficRun) -> Result<MeshTrafficReport, String> {
    let topo = Topology::grid(cfg.rows, cfg.cols);
    let n = topo.node_count();
    let params = TrafficParams {
        nodes: n,
        floods: cfg.floods,
        interval_ms: cfg.interval_ms,
        stagger_ms: 1,
    };
    let link = super::link_params(cfg.latency, cfg.bandwidth, cfg.jitter, 0.0);
    let mut sim = Simulation::new(cfg.seed);
    let ids = topo.build(&mut sim, &link).map_err(|e| e.to_string())?;
    for &id in &ids {
        let program: Box<dyn NodeProgram> = match cfg.lang {
            FloodLang::Rust => Box::new(MeshTraffic::new(params)),
            FloodLang::Lua => params.worker(Lang::Lua),
            FloodLang::Js => params.worker(Lang::Js),
        };
        sim.add_worker(id, program);
    }
    let t0 = Instant::now();
    sim.run();
    let wall = t0.elapsed();
    if let Some(e) = sim
        .results()
        .logs()
        .iter()
        .find(|l| l.stream == LogStream::Err)
    {
        return Err(format!("node n{}: {}", e.node.0, e.text));
    }
    let mut latencies_ms = Vec::new();
    let mut per_node = vec![0usize; n];
    for r in sim
        .results()
        .records()
        .iter()
        .filter(|r| r.name == "latency_ns")
    {
        let ns = r
            .value
            .as_f64()
            .ok_or_else(|| format!("n{}: latency_ns = {}", r.node.0, r.value))?;
        latencies_ms.push(ns / 1e6);
        per_node[r.node.0 as usize] += 1;
    }
    let each = (n - 1) * cfg.floods as usize;
    if let Some(i) = per_node.iter().position(|&k| k != each) {
        return Err(format!(
            "n{i} saw {} of the {each} floods of the other nodes",
            per_node[i]
        ));
    }
    let messages = sim
        .network()
        .links()
        .iter()
        .map(|l| l.stats_total().delivered)
        .sum();
    Ok(MeshTrafficReport {
        workers: n,
        messages,
        wall,
        end: sim.now(),
        latencies_ms,
    })
}
