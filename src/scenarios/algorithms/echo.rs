//! The echo algorithm (a wave) from `n0`: it must cost exactly two messages per link, end with
//! the initiator deciding, and leave parent pointers that form a spanning tree.

use vnet_sim::RecordValue;
use vnet_sim::vm::Lang;

use super::{NetSpec, edge_count, run_programs, study_worker};

/// The echo program in Lua.
pub const ECHO_LUA: &str = include_str!("../../programs/algorithms/echo.lua");

/// What an echo wave did.
#[derive(Clone, Debug, PartialEq)]
pub struct EchoReport {
    /// Nodes in the network.
    pub nodes: usize,
    /// Links in the network.
    pub edges: u64,
    /// Messages handed to links.
    pub messages: u64,
    /// Virtual ms when the initiator decided (`None`: it never did).
    pub decided_ms: Option<f64>,
    /// Each node's parent (node index; `None` for the initiator and nodes never reached).
    pub parents: Vec<Option<usize>>,
    /// Longest path from a node to the initiator in the tree (hops).
    pub depth: usize,
}

impl EchoReport {
    /// The initiator decided, every link carried exactly two messages, and following parents
    /// from any node reaches the initiator.
    pub fn check(&self) -> Result<(), String> {
        if self.decided_ms.is_none() {
            return Err("the initiator never decided".into());
        }
        if self.messages != 2 * self.edges {
            return Err(format!(
                "{} messages over {} links (expected two per link)",
                self.messages, self.edges
            ));
        }
        for start in 1..self.nodes {
            if tree_depth(&self.parents, start).is_none() {
                return Err(format!("n{start}'s parents do not lead to the initiator"));
            }
        }
        Ok(())
    }
}

/// Hops from `node` to node 0 along `parents`; `None` if the walk breaks or cycles.
fn tree_depth(parents: &[Option<usize>], mut node: usize) -> Option<usize> {
    let mut hops = 0;
    while node != 0 {
        node = parents[node]?;
        hops += 1;
        if hops > parents.len() {
            return None;
        }
    }
    Some(hops)
}

/// Runs an echo wave initiated by `n0` across `net` (Lua workers). Echo needs reliable links:
/// give it no loss.
pub fn echo(net: &NetSpec) -> Result<EchoReport, String> {
    let params = serde_json::json!({"initiator": "n0"});
    let run = run_programs(net, |_| {
        study_worker(Lang::Lua, "echo.lua", ECHO_LUA, params.clone())
    })?;
    if let Some(e) = run.failure() {
        return Err(e);
    }
    let nodes = run.topology.node_count();
    let mut parents = vec![None; nodes];
    let mut decided_ms = None;
    for (_, ms, _) in run.records("decided") {
        decided_ms = Some(ms);
    }
    // A parent is recorded by name (ports are named after the neighbour).
    let net = run.sim.network();
    for (node, _, parent) in run.records("parent") {
        parents[node] = match parent {
            RecordValue::Text(name) => net.node_by_name(name).map(|id| id.0 as usize),
            _ => None,
        };
    }
    let depth = (1..nodes)
        .filter_map(|i| tree_depth(&parents, i))
        .max()
        .unwrap_or(0);
    Ok(EchoReport {
        nodes,
        edges: edge_count(&run.topology),
        messages: run.messages,
        decided_ms,
        parents,
        depth,
    })
}
