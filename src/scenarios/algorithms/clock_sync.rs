//! Tree clock synchronisation from `n0`: how far each node's corrected clock is from true time
//! at a check instant, by its depth in the synchronisation tree.

use vnet_sim::SimDuration;
use vnet_sim::vm::Lang;

use super::{NetSpec, float, int, run_programs, study_worker};

/// Clock synchronisation in Lua.
pub const CLOCK_SYNC_LUA: &str = include_str!("../../programs/algorithms/clock_sync.lua");

/// A clock-synchronisation run.
#[derive(Clone, Debug)]
pub struct ClockSync {
    /// The network (its jitter makes the two directions of an exchange unequal).
    pub net: NetSpec,
    /// Initial clock offsets are uniform in ±`max_offset`.
    pub max_offset: SimDuration,
    /// Clock drifts are uniform in ±`max_drift` (a fraction: 100 ppm is `1e-4`).
    pub max_drift: f64,
    /// When every node reports its error.
    pub check_at: SimDuration,
}

impl ClockSync {
    /// Offsets up to ±50 ms, drifts up to ±100 ppm, checked at 1 s.
    pub fn new(net: NetSpec) -> Self {
        ClockSync {
            net,
            max_offset: SimDuration::from_millis(50),
            max_drift: 1e-4,
            check_at: SimDuration::from_secs(1),
        }
    }

    /// What any node's error may be at most, in ms, at tree depth `depth`: per hop, an
    /// exchange's two directions differ by at most the jitter bound plus the serialization of
    /// a reply (≤ 200 bytes); drift adds at most `max_drift · check_at` along the whole path.
    pub fn bound_ms(&self, depth: usize) -> f64 {
        let per_hop = self.net.jitter + self.net.link_params().serialization(200);
        depth as f64 * per_hop.as_millis_f64() + self.max_drift * self.check_at.as_millis_f64()
    }
}

/// What a clock-synchronisation run did.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockSyncReport {
    /// Nodes in the network.
    pub nodes: usize,
    /// Messages handed to links.
    pub messages: u64,
    /// Each node's `(depth, clock error in ms)` at the check (`None`: never synchronised).
    pub nodes_error: Vec<Option<(usize, f64)>>,
}

impl ClockSyncReport {
    /// The largest absolute error of a synchronised node.
    pub fn max_error_ms(&self) -> f64 {
        self.nodes_error
            .iter()
            .flatten()
            .map(|e| e.1.abs())
            .fold(0.0, f64::max)
    }

    /// Every node synchronised, each within `cfg.bound_ms(its depth)`.
    pub fn check(&self, cfg: &ClockSync) -> Result<(), String> {
        for (i, e) in self.nodes_error.iter().enumerate() {
            match *e {
                None => return Err(format!("n{i} never synchronised")),
                Some((d, err)) if err.abs() > cfg.bound_ms(d) => {
                    return Err(format!(
                        "n{i} at depth {d} is {err} ms off (bound {} ms)",
                        cfg.bound_ms(d)
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// Runs the synchronisation with `n0` as the root.
pub fn clock_sync(cfg: &ClockSync) -> Result<ClockSyncReport, String> {
    let params = serde_json::json!({
        "root": "n0",
        "max_offset": cfg.max_offset.as_millis_f64(),
        "max_drift": cfg.max_drift,
        "check_at": cfg.check_at.as_millis_f64(),
    });
    let run = run_programs(&cfg.net, |_| {
        study_worker(Lang::Lua, "clock_sync.lua", CLOCK_SYNC_LUA, params.clone())
    })?;
    if let Some(e) = run.failure() {
        return Err(e);
    }
    let nodes = run.topology.node_count();
    let mut nodes_error = vec![None; nodes];
    let depths: Vec<(usize, Option<i64>)> = run
        .records("depth")
        .map(|(node, _, d)| (node, int(d)))
        .collect();
    for ((node, depth), (_, _, err)) in depths.into_iter().zip(run.records("error_ms")) {
        if let (Some(d), Some(e)) = (depth, float(err)) {
            nodes_error[node] = usize::try_from(d).ok().map(|d| (d, e));
        }
    }
    Ok(ClockSyncReport {
        nodes,
        messages: run.messages,
        nodes_error,
    })
}
