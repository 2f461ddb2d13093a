//! Leader election: Chang–Roberts on a unidirectional ring (Lua or JavaScript) and flood-max
//! on any graph (Lua). Uids are a random permutation of `1..=n` drawn from the study's seed.

use rand::seq::SliceRandom;
use serde_json::json;
use vnet_sim::SimDuration;
use vnet_sim::vm::Lang;

use super::{NetSpec, Shape, int, run_programs, study_worker};

/// Chang–Roberts in Lua.
pub const CHANG_ROBERTS_LUA: &str =
    include_str!("../../../examples/networks/chang_roberts/chang_roberts.lua");
/// Chang–Roberts in JavaScript.
pub const CHANG_ROBERTS_JS: &str =
    include_str!("../../../examples/networks/chang_roberts/chang_roberts.js");
/// Flood-max in Lua.
pub const FLOOD_MAX_LUA: &str = include_str!("../../programs/algorithms/flood_max.lua");

/// What an election did.
#[derive(Clone, Debug, PartialEq)]
pub struct ElectionReport {
    /// Nodes in the network.
    pub nodes: usize,
    /// Messages handed to links.
    pub messages: u64,
    /// Each node's uid.
    pub uids: Vec<i64>,
    /// Nodes that declared themselves leader (Chang–Roberts records `elected`).
    pub elected: Vec<usize>,
    /// The leader uid each node settled on (`None`: it never did).
    pub known: Vec<Option<i64>>,
    /// Virtual ms when the last node settled.
    pub completion_ms: f64,
}

impl ElectionReport {
    /// The largest uid.
    pub fn max_uid(&self) -> i64 {
        self.uids.iter().copied().max().unwrap_or(0)
    }

    /// The fraction of nodes that settled on the largest uid.
    pub fn agreement(&self) -> f64 {
        let max = self.max_uid();
        self.known.iter().filter(|k| **k == Some(max)).count() as f64 / self.nodes as f64
    }

    /// Every node settled on the largest uid, and (`declared`: Chang–Roberts) exactly its owner
    /// declared itself leader.
    pub fn check(&self, declared: bool) -> Result<(), String> {
        let max = self.max_uid();
        if let Some(i) = self.known.iter().position(|k| *k != Some(max)) {
            return Err(format!(
                "n{i} settled on {:?}, not the largest uid {max}",
                self.known[i]
            ));
        }
        let owner = self.uids.iter().position(|&u| u == max);
        if declared && (self.elected.len() != 1 || self.elected.first() != owner.as_ref()) {
            return Err(format!(
                "leaders declared: {:?} (expected only n{owner:?})",
                self.elected
            ));
        }
        Ok(())
    }
}

/// `1..=n` shuffled by the study's stream.
fn uids(net: &NetSpec, n: usize) -> Vec<i64> {
    let mut uids: Vec<i64> = (1..=n as i64).collect();
    uids.shuffle(&mut net.rng());
    uids
}

/// The first-settled parse shared by both elections.
fn report(run: super::StudyRun, uids: Vec<i64>) -> Result<ElectionReport, String> {
    if let Some(e) = run.failure() {
        return Err(e);
    }
    let nodes = uids.len();
    let (mut elected, mut known, mut completion_ms) = (Vec::new(), vec![None; nodes], 0.0f64);
    for (node, _, _) in run.records("elected") {
        elected.push(node);
    }
    for (node, ms, uid) in run.records("leader") {
        known[node] = int(uid);
        completion_ms = completion_ms.max(ms);
    }
    Ok(ElectionReport {
        nodes,
        messages: run.messages,
        uids,
        elected,
        known,
        completion_ms,
    })
}

/// Chang–Roberts on a ring of `n` nodes (1 ms, 10 Mb/s links), in `lang`, uids drawn from `seed`.
pub fn chang_roberts(n: usize, lang: Lang, seed: u64) -> Result<ElectionReport, String> {
    let net = NetSpec {
        seed,
        ..NetSpec::new(Shape::Ring, n)
    };
    let uids = uids(&net, n);
    let (file, code) = match lang {
        Lang::Lua => ("chang_roberts.lua", CHANG_ROBERTS_LUA),
        Lang::Js => ("chang_roberts.js", CHANG_ROBERTS_JS),
    };
    let run = run_programs(&net, |i| {
        let params = json!({"uid": uids[i], "next": format!("n{}", (i + 1) % n)});
        study_worker(lang, file, code, params)
    })?;
    report(run, uids)
}

/// Flood-max across `net`; a node settles after `quiet` without news. `completion_ms` is when
/// the last node settled, minus `quiet`: when it last heard news.
pub fn flood_max(net: &NetSpec, quiet: SimDuration) -> Result<ElectionReport, String> {
    let n = net.topology().node_count();
    let uids = uids(net, n);
    let quiet_ms = quiet.as_millis_f64();
    let run = run_programs(net, |i| {
        let params = json!({"uid": uids[i], "quiet": quiet_ms});
        study_worker(Lang::Lua, "flood_max.lua", FLOOD_MAX_LUA, params)
    })?;
    let mut r = report(run, uids)?;
    r.completion_ms = (r.completion_ms - quiet_ms).max(0.0);
    Ok(r)
}
