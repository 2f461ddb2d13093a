//! Broadcast by flooding from node `n0`: how many nodes it reaches, how many messages it costs,
//! and when the last node hears it.

use vnet_sim::vm::Lang;

use super::{NetSpec, edge_count, run_programs};
use crate::programs::flood_worker;

/// What a flood did.
#[derive(Clone, Debug, PartialEq)]
pub struct BroadcastReport {
    /// Nodes in the network.
    pub nodes: usize,
    /// Links in the network.
    pub edges: u64,
    /// Messages handed to links.
    pub messages: u64,
    /// Nodes the flood reached (the origin included).
    pub reached: usize,
    /// Virtual ms when the last reached node first heard the flood.
    pub completion_ms: f64,
}

impl BroadcastReport {
    /// Without loss a flood reaches everyone and costs exactly `2·|E| − (n − 1)` messages (the
    /// origin sends on every port, every other node on all but the one it heard first).
    pub fn check(&self, lossless: bool) -> Result<(), String> {
        let expected = 2 * self.edges - (self.nodes as u64 - 1);
        if lossless && (self.reached != self.nodes || self.messages != expected) {
            return Err(format!(
                "lossless flood reached {}/{} nodes with {} messages (expected all, {expected})",
                self.reached, self.nodes, self.messages
            ));
        }
        if self.messages > 2 * self.edges {
            return Err(format!(
                "{} messages over {} links",
                self.messages, self.edges
            ));
        }
        Ok(())
    }

    /// The fraction of nodes reached.
    pub fn coverage(&self) -> f64 {
        self.reached as f64 / self.nodes as f64
    }
}

/// Floods a `size`-byte message from `n0` across `net` (Lua workers).
pub fn broadcast(net: &NetSpec, size: u32) -> Result<BroadcastReport, String> {
    let run = run_programs(net, |i| flood_worker(Lang::Lua, i == 0, size))?;
    if let Some(e) = run.failure() {
        return Err(e);
    }
    let nodes = run.topology.node_count();
    let mut first = vec![None; nodes];
    for (node, ms, _) in run.records("reached") {
        first[node].get_or_insert(ms);
    }
    Ok(BroadcastReport {
        nodes,
        edges: edge_count(&run.topology),
        messages: run.messages,
        reached: first.iter().flatten().count(),
        completion_ms: first.iter().flatten().copied().fold(0.0, f64::max),
    })
}
