//! Push-sum gossip averaging: how fast the nodes' estimates approach the true mean, round by
//! round, and what loss does to it.

use rand::RngExt;
use serde_json::json;
use vnet_sim::SimDuration;
use vnet_sim::vm::Lang;

use super::{NetSpec, float, int, run_programs, study_worker};

/// Push-sum in Lua.
pub const GOSSIP_LUA: &str = include_str!("../../programs/algorithms/gossip.lua");

/// A gossip run: the network, how many rounds, and how long each lasts.
#[derive(Clone, Debug)]
pub struct Gossip {
    /// The network.
    pub net: NetSpec,
    /// Rounds to run.
    pub rounds: u32,
    /// Length of a round (longer than a message takes).
    pub period: SimDuration,
}

/// What a gossip run did.
#[derive(Clone, Debug, PartialEq)]
pub struct GossipReport {
    /// Nodes in the network.
    pub nodes: usize,
    /// Messages handed to links.
    pub messages: u64,
    /// The mean of the initial values (what every estimate should converge to).
    pub mean: f64,
    /// Root-mean-square error of the estimates at the start of each round `0..=rounds`.
    pub rms_error: Vec<f64>,
    /// Largest error of any estimate at the start of each round.
    pub max_error: Vec<f64>,
    /// Σs and Σw over the nodes at the start of each round (mass: conserved without loss).
    pub mass: Vec<(f64, f64)>,
}

impl GossipReport {
    /// Without loss, mass is conserved (Σs = Σx₀ and Σw = n in every round, to rounding) and
    /// the final error is below `shrink` times the initial one.
    pub fn check(&self, shrink: f64) -> Result<(), String> {
        let (s0, n) = (self.mean * self.nodes as f64, self.nodes as f64);
        for (r, &(s, w)) in self.mass.iter().enumerate() {
            if (s - s0).abs() > 1e-9 * s0.abs().max(1.0) || (w - n).abs() > 1e-9 * n {
                return Err(format!(
                    "round {r}: mass (Σs, Σw) = ({s}, {w}), expected ({s0}, {n})"
                ));
            }
        }
        let (first, last) = (self.rms_error[0], self.rms_error[self.rms_error.len() - 1]);
        // NaN fails too.
        if last
            .partial_cmp(&(shrink * first))
            .is_none_or(|o| o.is_gt())
        {
            return Err(format!(
                "error {first} → {last} after {} rounds",
                self.rms_error.len() - 1
            ));
        }
        Ok(())
    }
}

/// Runs push-sum: node values uniform in [0, 100) from the study's stream.
pub fn gossip(cfg: &Gossip) -> Result<GossipReport, String> {
    let n = cfg.net.topology().node_count();
    let mut rng = cfg.net.rng();
    let x0: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 100.0).collect();
    let mean = x0.iter().sum::<f64>() / n as f64;
    let period_ms = cfg.period.as_millis_f64();
    let run = run_programs(&cfg.net, |i| {
        let params = json!({"x0": x0[i], "rounds": cfg.rounds, "period": period_ms});
        study_worker(Lang::Lua, "gossip.lua", GOSSIP_LUA, params)
    })?;
    if let Some(e) = run.failure() {
        return Err(e);
    }
    let rounds = cfg.rounds as usize + 1;
    let (mut sq, mut max, mut mass) = (
        vec![0.0; rounds],
        vec![0.0f64; rounds],
        vec![(0.0, 0.0); rounds],
    );
    let mut seen = vec![0usize; rounds];
    // Each node records `round`, `s`, `w` in that order: a `w` completes its round's figures.
    let mut at: Vec<(Option<usize>, Option<f64>)> = vec![(None, None); n];
    for rec in run.sim.results().records() {
        let node = rec.node.0 as usize;
        let Some(cur) = at.get_mut(node) else {
            continue;
        };
        match rec.name.as_str() {
            "round" => *cur = (int(&rec.value).and_then(|r| usize::try_from(r).ok()), None),
            "s" => cur.1 = float(&rec.value),
            "w" => {
                let (Some(r), Some(s), Some(w)) = (cur.0, cur.1, float(&rec.value)) else {
                    return Err(format!("n{node} recorded `w` out of order"));
                };
                if r >= rounds {
                    return Err(format!("n{node} recorded round {r} of {}", rounds - 1));
                }
                let e = s / w - mean;
                sq[r] += e * e;
                max[r] = max[r].max(e.abs());
                mass[r].0 += s;
                mass[r].1 += w;
                seen[r] += 1;
            }
            _ => {}
        }
    }
    if let Some(r) = seen.iter().position(|&k| k != n) {
        return Err(format!("round {r}: {} of {n} nodes reported", seen[r]));
    }
    Ok(GossipReport {
        nodes: n,
        messages: run.messages,
        mean,
        rms_error: sq.iter().map(|s| (s / n as f64).sqrt()).collect(),
        max_error: max,
        mass,
    })
}
