//! Faults: what can go wrong in a run, as seeded kernel events.
//!
//! A [`Fault`] is scheduled with [`Simulation::schedule_fault`](crate::Simulation::schedule_fault)
//! (or applied now with [`apply_fault`](crate::Simulation::apply_fault)), or declared in a network
//! file's `faults` section; [`Churn`] keeps failing and repairing a node or a link with times
//! drawn from distributions. Every fault is an event: it runs in the kernel's order, is written
//! to the trace (`fault` records) and to [`Results::fault_log`](crate::Results::fault_log), and
//! is counted in [`FaultStats`]. Every random draw comes from a seeded stream — link faults from
//! the link direction's, churn from its own — so a seed gives the same faults every time.
//!
//! The rules:
//! - **Cuts** ([`Fault::Partition`], [`Fault::Cut`]) act on link directions. A partition cuts
//!   both directions of every link between nodes of different groups (nodes named in no group
//!   form one more group); a cut, only the directions from one node to another. A message sent on
//!   a cut direction is dropped (`cut`); one **in flight** across a direction when it is cut is
//!   dropped too, when it would have arrived — as a link taken down drops what it carries — and
//!   what waits in the transmit queue goes with it. [`Fault::Heal`] lifts every cut. Direct
//!   messages (`send_to`) bypass links, and so cuts.
//! - **Hold** ([`Fault::Hold`]): messages handed to a held link wait (they are traced as sends
//!   with detail `held`, and counted); [`Fault::Release`] hands them to the link in the order
//!   they were sent, at the time of release, where they queue, serialize and travel as if sent
//!   then. What was already on the wire when the hold began arrives as usual. A link taken down
//!   drops what it holds.
//! - **Crash** ([`Fault::Crash`]): every worker of the node ends as
//!   [`WorkerState::Crashed`](crate::WorkerState::Crashed); its timers, waits and the sends,
//!   lines and records its compute time had not reached yet are gone. Until it has rebooted,
//!   every message for the node — over a link, from a sibling or direct — is dropped and counted
//!   (`node_down`). Messages it had already put on a link still arrive.
//! - **Restart** ([`Fault::Restart`]): the node boots again (crashing first if it was up — a
//!   "bounce"); after its boot time ([`Simulation::set_boot_time`](crate::Simulation::set_boot_time),
//!   a network file's host profile's `t_boot`) it is up and its programs start as fresh programs
//!   from their specification ([`Simulation::add_worker_with`](crate::Simulation::add_worker_with):
//!   VM workers from their code, Rust programs from their factories). Its random stream goes on
//!   where it was (a restarted node does not replay its draws). Programs tell a restart by
//!   [`Context::boot`](crate::Context::boot) (`node().boot` in Lua and JS: 1, then 2, …).
//! - **Stable storage** ([`Store`], [`Context::store`](crate::Context::store), `store` in Lua
//!   and JS) survives crashes; only a restart with `wipe` empties it.
//! - **Link faults** ([`LinkFaults`]): per message, from the link direction's stream, drawn
//!   only while a probability is non-zero: duplication (a second copy arrives with the first,
//!   its own transmission in the trace), corruption (see [`corrupt`]) and delay spikes.

mod churn;
mod link;
mod store;
#[cfg(test)]
mod tests;

pub use churn::{Churn, ChurnTarget, Lifetime};
pub(crate) use link::Outcome;
pub use link::{LinkFaults, Spike, corrupt};
pub use store::{SharedStore, Store, StoreError};

use crate::net::{LinkId, NodeId};
use crate::time::SimTime;

/// One fault, as an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Cuts both directions of every link between nodes of different groups; nodes in no group
    /// form one more group.
    Partition(Vec<Vec<NodeId>>),
    /// Cuts the directions of every link that carry messages from `from` to `to` (one way).
    Cut {
        /// The sending side.
        from: NodeId,
        /// The receiving side.
        to: NodeId,
    },
    /// Lifts every cut.
    Heal,
    /// Holds what is sent on a link, both directions, until [`Fault::Release`].
    Hold(LinkId),
    /// Hands a held link's messages to it, in order.
    Release(LinkId),
    /// Crashes a node.
    Crash(NodeId),
    /// Boots a node again (crashing it first if it is up).
    Restart {
        /// The node.
        node: NodeId,
        /// Empties its stable storage.
        wipe: bool,
    },
    /// Takes a link down (dropping what it holds and carries).
    LinkDown(LinkId),
    /// Brings a link back up.
    LinkUp(LinkId),
    /// Sets a link's duplication, corruption and delay spikes (both directions).
    LinkFaults(LinkId, LinkFaults),
}

impl Fault {
    /// The name the trace and the fault log give it.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Partition(_) => "partition",
            Fault::Cut { .. } => "cut",
            Fault::Heal => "heal",
            Fault::Hold(_) => "hold",
            Fault::Release(_) => "release",
            Fault::Crash(_) => "crash",
            Fault::Restart { .. } => "restart",
            Fault::LinkDown(_) => "link_down",
            Fault::LinkUp(_) => "link_up",
            Fault::LinkFaults(..) => "link_faults",
        }
    }
}

/// A fault that happened: when, what, and a description naming nodes and links.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRecord {
    /// When it took effect.
    pub time: SimTime,
    /// Its name ([`Fault::name`]), or `boot` when a restarted node is up again.
    pub kind: &'static str,
    /// The node it concerns, if one.
    pub node: Option<NodeId>,
    /// The link it concerns, if one.
    pub link: Option<LinkId>,
    /// What it did, as the trace's `detail` shows it (`n3`, `n0,n1 | n2`, `n0 -> n1`).
    pub detail: String,
}

/// Counters of faults and what they did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FaultStats {
    /// Node crashes (by a fault or churn; a crash of a node already down is not counted).
    pub crashes: u64,
    /// Node restarts begun.
    pub restarts: u64,
    /// Partitions made.
    pub partitions: u64,
    /// One-way cuts made.
    pub cuts: u64,
    /// Heals.
    pub heals: u64,
    /// Link directions cut, over all partitions and cuts.
    pub directions_cut: u64,
    /// Links taken down by faults or churn.
    pub links_down: u64,
    /// Links brought up by faults or churn.
    pub links_up: u64,
    /// Messages held on held links.
    pub held: u64,
    /// Held messages released.
    pub released: u64,
    /// Extra copies made by duplication.
    pub duplicated: u64,
    /// Messages corrupted.
    pub corrupted: u64,
    /// Messages delayed by a spike.
    pub spiked: u64,
    /// Messages dropped because the link direction was cut.
    pub dropped_cut: u64,
    /// Messages dropped because their node was down (crashed or booting).
    pub dropped_node_down: u64,
}

impl FaultStats {
    /// Adds `other`'s counts (a parallel run's parts each count their own).
    pub fn add(&mut self, other: &FaultStats) {
        self.crashes += other.crashes;
        self.restarts += other.restarts;
        self.partitions += other.partitions;
        self.cuts += other.cuts;
        self.heals += other.heals;
        self.directions_cut += other.directions_cut;
        self.links_down += other.links_down;
        self.links_up += other.links_up;
        self.held += other.held;
        self.released += other.released;
        self.duplicated += other.duplicated;
        self.corrupted += other.corrupted;
        self.spiked += other.spiked;
        self.dropped_cut += other.dropped_cut;
        self.dropped_node_down += other.dropped_node_down;
    }
}
