//! What a run has produced, observed apart from building and running it: the lines programs
//! logged, the values they recorded, the counters of nodes, and their exports as CSV or JSON
//! lines. [`Simulation::results`](super::Simulation::results) gives this view at any point
//! between two runs or after the last; the drains a long real-time run needs
//! (`take_logs`, `take_records`) stay with the simulation, which they change.

use super::state::Kernel;
use super::{LogLine, Record, RecordValue, WorkerId, records, stats_csv};
use crate::net::{NodeId, NodeStats};

/// A view of what a simulation has produced so far (see the module doc).
///
/// ```
/// use vnet_sim::vm::{vm_worker, Lang};
/// use vnet_sim::Simulation;
///
/// let mut sim = Simulation::new(1);
/// let n = sim.add_node("n").unwrap();
/// sim.add_worker(n, vm_worker(Lang::Lua, "record('answer', 6 * 7) print('done')"));
/// sim.run();
/// let results = sim.results();
/// assert_eq!(results.last_record(n, "answer").and_then(|v| v.as_f64()), Some(42.0));
/// assert_eq!(results.logs()[0].text, "done");
/// ```
#[derive(Clone, Copy)]
pub struct Results<'a> {
    k: &'a Kernel,
}

impl<'a> Results<'a> {
    pub(super) fn new(k: &'a Kernel) -> Self {
        Results { k }
    }

    /// Lines logged by programs, in the order they were logged.
    pub fn logs(&self) -> &'a [LogLine] {
        &self.k.logs
    }

    /// The lines one worker wrote (its monitor), in order.
    pub fn worker_output(
        &self,
        node: NodeId,
        worker: WorkerId,
    ) -> impl Iterator<Item = &'a LogLine> + 'a {
        self.k
            .logs
            .iter()
            .filter(move |l| l.node == node && l.worker == worker)
    }

    /// The values programs recorded, in the order they were recorded.
    pub fn records(&self) -> &'a [Record] {
        &self.k.records
    }

    /// The last value recorded under `name` by any worker of `node`, if any.
    pub fn last_record(&self, node: NodeId, name: &str) -> Option<&'a RecordValue> {
        self.k
            .records
            .iter()
            .rev()
            .find(|r| r.node == node && r.name == name)
            .map(|r| &r.value)
    }

    /// A node's counters.
    pub fn node_stats(&self, node: NodeId) -> Option<&'a NodeStats> {
        self.k.nodes.get(node.0 as usize).map(|n| &n.stats)
    }

    /// Counters of the faults that happened and what they did.
    pub fn fault_stats(&self) -> &'a crate::faults::FaultStats {
        &self.k.fault_stats
    }

    /// The faults that happened, in order (crashes, restarts and boots, cuts, holds, …).
    pub fn fault_log(&self) -> &'a [crate::faults::FaultRecord] {
        &self.k.fault_log
    }

    /// Writes the records as CSV: `time_ns,node,worker,name,value`, nodes by name.
    pub fn write_records_csv<W: std::io::Write>(&self, out: W) -> Result<(), csv::Error> {
        records::write_csv(&self.k.records, &self.k.net, out)
    }

    /// Writes the records as JSON lines, one object per record, values keeping their type.
    pub fn write_records_jsonl<W: std::io::Write>(&self, out: W) -> std::io::Result<()> {
        records::write_jsonl(&self.k.records, &self.k.net, out)
    }

    /// Writes per-link-direction counters as CSV (one row per direction).
    pub fn write_link_stats_csv<W: std::io::Write>(&self, out: W) -> Result<(), csv::Error> {
        stats_csv::write_links(&self.k.net, out)
    }

    /// Writes per-node counters as CSV (one row per node).
    pub fn write_node_stats_csv<W: std::io::Write>(&self, out: W) -> Result<(), csv::Error> {
        let stats: Vec<&NodeStats> = self.k.nodes.iter().map(|n| &n.stats).collect();
        stats_csv::write_nodes(&self.k.net, &stats, out)
    }
}
