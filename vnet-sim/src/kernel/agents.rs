//! Agent platforms from a program's [`Context`] and from the [`Simulation`]: each node's
//! register of agents ([`crate::agents::Platform`]), and sending over a port's links alone, as
//! an agent moves.

use super::Simulation;
use super::context::{Context, SendReport};
use crate::agents::{AgentCounts, Platform, SharedPlatform};
use crate::net::{Message, NodeId, PortId};

impl Context<'_> {
    /// Makes this node an agent platform (once) and returns its register.
    pub fn host_agents(&mut self) -> SharedPlatform {
        self.k
            .extras
            .entry(self.node.0 as usize)
            .platform
            .get_or_insert_with(Default::default)
            .clone()
    }

    /// This node's platform register, if it hosts agents.
    pub fn platform(&self) -> Option<SharedPlatform> {
        self.k.extras.get(self.node.0 as usize)?.platform.clone()
    }

    /// Whether `node` hosts agents.
    pub fn hosts_agents(&self, node: NodeId) -> bool {
        self.k
            .extras
            .get(node.0 as usize)
            .is_some_and(|e| e.platform.is_some())
    }

    /// [`send_over`](Self::send_over) after `delay`, as if the node were busy computing until
    /// then. Zero delay sends now.
    pub fn send_over_after(
        &mut self,
        delay: crate::time::SimDuration,
        port: PortId,
        to: Option<NodeId>,
        msg: Message,
    ) {
        if delay == crate::time::SimDuration::ZERO {
            self.send_over(port, to, msg);
        } else {
            let ev = super::Event::SendOver {
                node: self.node,
                worker: self.worker,
                port,
                to: to.unwrap_or(NodeId(u32::MAX)),
                msg,
            };
            self.defer(delay, ev);
        }
    }

    /// Sends `msg` over `port`'s links only — to no sibling worker — and, with `to`, only over
    /// the link whose far end is node `to`: how an agent leaves. Traced, charged and dropped
    /// like any send.
    pub fn send_over(&mut self, port: PortId, to: Option<NodeId>, mut msg: Message) -> SendReport {
        self.k.stamp(self.node, &mut msg);
        let k = &mut *self.k;
        let n = self.node.0 as usize;
        k.nodes[n].stats.port_sends += 1;
        k.launch_on_port(self.node, port, to, &msg)
            .unwrap_or_default()
    }
}

impl Simulation {
    /// Node `node`'s agent platform register, if it hosts agents.
    pub fn platform(&self, node: NodeId) -> Option<std::cell::Ref<'_, Platform>> {
        self.k
            .extras
            .get(node.0 as usize)?
            .platform
            .as_ref()
            .map(|p| p.borrow())
    }

    /// The agent counters of every platform, summed.
    pub fn agent_counts(&self) -> AgentCounts {
        let mut sum = AgentCounts::default();
        for p in self.k.extras.values().filter_map(|e| e.platform.as_ref()) {
            sum.add(&p.borrow().counts());
        }
        sum
    }

    /// What every node's tuple space did, summed.
    pub fn tuple_counts(&self) -> crate::agents::TupleCounts {
        let mut sum = crate::agents::TupleCounts::default();
        for t in self.k.extras.values().filter_map(|e| e.tuples.as_ref()) {
            sum.add(&t.borrow().counts());
        }
        sum
    }

    /// Makes `node` an agent platform from now on — agents may move to it — without a
    /// program: for a node whose program carries agents elsewhere (a V-node twin's relay to
    /// its P-node's platform). An [`AgentPlatform`](crate::agents::AgentPlatform) does this
    /// itself when added. Nothing if `node` is not a node of the simulation.
    pub fn host_agents(&mut self, node: NodeId) {
        if (node.0 as usize) < self.k.nodes.len() {
            let e = self.k.extras.entry(node.0 as usize);
            e.platform.get_or_insert_with(Default::default);
        }
    }

    /// Whether any node hosts agents.
    pub fn hosts_agents(&self) -> bool {
        self.k.extras.values().any(|e| e.platform.is_some())
    }
}
