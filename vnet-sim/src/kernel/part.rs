//! A simulation as one part of a parallel run ([`crate::parallel`]): the kernel's side.
//!
//! Every part builds the whole network and runs only the events of the nodes it owns. What a
//! part's events send to a node of another part goes into an outbox, keyed exactly as the
//! sequential kernel would key it; the parallel runner hands it to its owner at the window's
//! barrier. Events the kernel itself causes (faults, churn, scheduled link changes) run in
//! every part, so that every copy of a link or of the cut flags changes at the same instant;
//! their counters and records come from one part only — the lead (part 0) for what concerns
//! the whole network, the owner for what concerns a node, the sending side for a held message.
//!
//! Everything a part writes (trace records, output lines, records, fault records) carries a
//! tag ([`super::writing`]): which of the part's events wrote it, then where in that event.
//! The sequential kernel runs, at each step, the pending event with the smallest key — the
//! smallest of the parts' next events — so [`super::merge`] rebuilds its order by taking, step
//! by step, the part whose next event has the smallest key (all parts at once for a kernel
//! event, which every part runs). Keys alone would not do: an event made for the current
//! instant may have a smaller key than the one that made it, and runs after it.

use super::Simulation;
use super::state::{Event, Kernel, NodeLife};
use super::writing::{PartTrace, PartTracing, PartWriting};
use crate::agents::{AgentCounts, TupleCounts};
use crate::faults::FaultStats;
use crate::net::{LinkStats, NodeId, NodeStats};
use crate::queue::EventKey;
use crate::time::{SimDuration, SimTime};
use crate::trace::TraceSink;

/// The kernel's state as one part of a parallel run.
pub(crate) struct PartState {
    /// The part of every node.
    /// The part of every node (u16: the table of a large network stays in the caches).
    owner: Box<[u16]>,
    me: u16,
    lookahead: SimDuration,
    /// Events for other parts' nodes, by part.
    pub(super) outbox: Vec<Vec<(EventKey, Event)>>,
    /// Kernel events run (every part runs them; the lead part counts them).
    kernel_events: u64,
    /// What the part wrote in this window.
    pub(super) writing: PartWriting,
    /// What a program did that a parallel run cannot do.
    pub(super) violation: Option<String>,
}

/// A node's counters, worker states, life and boots, by node number.
use super::worker_states::WorkerStates;

type NodeFinal = (u32, NodeStats, WorkerStates, NodeLife, u32);

/// Events made in one part for another's nodes, with their keys.
pub(crate) type Batch = Vec<(EventKey, Event)>;

/// What a part's run leaves that the merged result needs: its nodes' counters and states,
/// its sides of the links' counters, its fault counters, its agents' and tuple spaces' counts.
pub(crate) struct PartFinal {
    pub(super) nodes: Vec<NodeFinal>,
    pub(super) links: Vec<[LinkStats; 2]>,
    pub(super) faults: FaultStats,
    pub(super) agents: Vec<(u32, AgentCounts)>,
    pub(super) tuples: Vec<(u32, TupleCounts)>,
    pub(super) events: u64,
    pub(super) now: SimTime,
}

impl PartFinal {
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    /// Events the part ran (kernel events left to the lead part).
    pub(crate) fn events(&self) -> u64 {
        self.events
    }
}

impl Kernel {
    /// The part node `node` belongs to, if this is a part and the node is another part's.
    #[inline]
    pub(super) fn remote_part(&self, node: NodeId) -> Option<u32> {
        let p = self.part.as_deref()?;
        let o = *p.owner.get(node.0 as usize)?;
        (o != p.me).then_some(u32::from(o))
    }

    /// Whether this kernel makes the whole network's counters and records of kernel events:
    /// a sequential kernel, or a parallel run's lead part.
    #[inline]
    pub(super) fn leads(&self) -> bool {
        self.part.as_deref().is_none_or(|p| p.me == 0)
    }

    /// Schedules `ev` for node `dst` as the next event `source` causes: in this kernel's
    /// queue, or in the outbox of `dst`'s part.
    #[inline]
    pub(super) fn schedule_for(&mut self, dst: NodeId, source: NodeId, at: SimTime, ev: Event) {
        match self.remote_part(dst) {
            None => {
                self.schedule(source, at, ev);
            }
            Some(o) => {
                let n = &mut self.nodes[source.0 as usize];
                let key = EventKey::new(at, source.0, n.seq);
                n.seq += 1;
                self.send_out(o, key, ev);
            }
        }
    }

    /// Queues `ev` under `key` for node `dst`, here or in its part's outbox.
    pub(super) fn push_for(&mut self, dst: NodeId, key: EventKey, ev: Event) {
        match self.remote_part(dst) {
            None => {
                self.queue.push(key, ev);
            }
            Some(o) => self.send_out(o, key, ev),
        }
    }

    #[cold]
    fn send_out(&mut self, part: u32, key: EventKey, ev: Event) {
        if let Some(p) = self.part.as_deref_mut() {
            if key.time() < self.now + p.lookahead && p.violation.is_none() {
                p.violation = Some(format!(
                    "an event for another part at {} was made at {}, closer than the \
                     lookahead {}",
                    key.time(),
                    self.now,
                    p.lookahead
                ));
            }
            p.outbox[part as usize].push((key, ev));
        }
    }

    /// Schedules a direct send from `src` to `dst` after `delay`; in a parallel run, one to
    /// another part's node sooner than the lookahead is refused (the run stops with the
    /// reason) and sends nothing.
    #[inline]
    pub(super) fn schedule_direct(
        &mut self,
        src: NodeId,
        dst: NodeId,
        delay: SimDuration,
        ev: Event,
    ) {
        let at = self.now + delay;
        let Some(o) = self.remote_part(dst) else {
            self.schedule(src, at, ev);
            return;
        };
        let lookahead = self
            .part
            .as_deref()
            .map_or(SimDuration::ZERO, |p| p.lookahead);
        if delay >= lookahead {
            let n = &mut self.nodes[src.0 as usize];
            let key = EventKey::new(at, src.0, n.seq);
            n.seq += 1;
            return self.send_out(o, key, ev);
        }
        let name = |n: NodeId| self.net.node(n).map_or("?", |n| n.name()).to_owned();
        let text = format!(
            "node `{}` sent straight to node `{}` (in another part) with a delay of {delay}, \
             below the lookahead {lookahead}: a parallel run needs such sends to wait at least \
             the lookahead (or both nodes in one part)",
            name(src),
            name(dst)
        );
        if let Some(p) = self.part.as_deref_mut() {
            p.violation.get_or_insert(text);
        }
    }

    /// Refuses, in a parallel run, a program's change of a link that is not its part's alone.
    pub(super) fn link_change_allowed(&mut self, link: crate::net::LinkId) -> bool {
        let Some(l) = self.net.link(link) else {
            return true;
        };
        let [a, b] = l.ends();
        if self.part.is_none()
            || (self.remote_part(a.node).is_none() && self.remote_part(b.node).is_none())
        {
            return true;
        }
        let text = format!(
            "a program took link {} -- {} up or down, but its ends are in different parts: in a \
             parallel run, change such links with a fault (`link_down`, `link_up`)",
            self.net.node(a.node).map_or("?", |n| n.name()),
            self.net.node(b.node).map_or("?", |n| n.name()),
        );
        if let Some(p) = self.part.as_deref_mut() {
            p.violation.get_or_insert(text);
        }
        false
    }
}

impl Simulation {
    /// Makes this simulation part `me` of a parallel run in which node `n` belongs to part
    /// `owner[n]`: it runs only its own nodes' events from now on. With `tracing`, it keeps
    /// its trace records (or their hashes) for [`take_writings`](Self::take_writings).
    pub(crate) fn enter_part(
        &mut self,
        owner: &[u32],
        me: u32,
        parts: u32,
        lookahead: SimDuration,
        tracing: PartTracing,
    ) {
        let owner: Box<[u16]> = owner.iter().map(|&o| o as u16).collect();
        self.k.part = Some(Box::new(PartState {
            owner,
            me: me as u16,
            lookahead,
            outbox: (0..parts).map(|_| Vec::new()).collect(),
            kernel_events: 0,
            writing: PartWriting::new(
                tracing,
                [
                    self.k.logs.len(),
                    self.k.records.len(),
                    self.k.fault_log.len(),
                ],
            ),
            violation: None,
        }));
        self.k.trace = PartTrace::sink(tracing);
        // Events built for other parts' nodes (their workers' starts, their sensors) run
        // there: drop them once, so that no event needs the check as it runs.
        let mut keep = Vec::with_capacity(self.k.queue.len());
        while let Some((key, ev)) = self.k.queue.pop() {
            if ev.target().is_none_or(|n| self.k.remote_part(n).is_none()) {
                keep.push((key, ev));
            }
        }
        for (key, ev) in keep {
            self.k.queue.push(key, ev);
        }
    }

    /// Runs this part's events due no later than `end`; returns the key of the event that
    /// stopped the run, if a program stopped it.
    pub(crate) fn run_part_until(&mut self, end: SimTime) -> Option<EventKey> {
        self.k.stopped = false;
        while let Some((key, ev)) = self.k.queue.pop_until(end) {
            if let Some(p) = self.k.part.as_deref_mut() {
                let w = &mut p.writing;
                w.kernel_event = ev.target().is_none();
                p.kernel_events += u64::from(w.kernel_event);
                w.events.push(key);
                w.phase = 0;
            }
            self.dispatch(key, ev);
            if self.k.stopped {
                return Some(key);
            }
        }
        None
    }

    /// Takes the events this part made for part `to`.
    pub(crate) fn take_outbox(&mut self, to: u32) -> Batch {
        self.k
            .part
            .as_deref_mut()
            .and_then(|p| p.outbox.get_mut(to as usize))
            // The next window likely sends about as many: room for half as many again, so
            // that it does not regrow (and copy) while it fills, yet a burst's room is not
            // kept for good.
            .map(|o| std::mem::replace(o, Vec::with_capacity(o.len() + o.len() / 2)))
            .unwrap_or_default()
    }

    /// Queues events another part made for this part's nodes.
    pub(crate) fn take_inbox(&mut self, events: Batch) {
        self.k.queue.push_batch(events);
    }

    /// What a program did that the parallel run cannot do, if anything.
    pub(crate) fn violation(&mut self) -> Option<String> {
        self.k.part.as_deref_mut()?.violation.take()
    }

    /// The time of this part's next event, if it has one.
    pub(crate) fn next_time(&mut self) -> Option<SimTime> {
        self.k.queue.next_time()
    }

    /// What this part's run leaves for the merged result.
    pub(crate) fn part_final(&self) -> PartFinal {
        let mine = |n: usize| self.k.remote_part(NodeId(n as u32)).is_none();
        let nodes = (0..self.k.nodes.len())
            .filter(|&n| mine(n))
            .map(|n| {
                let rt = &self.k.nodes[n];
                (
                    n as u32,
                    rt.stats.clone(),
                    rt.workers.clone(),
                    rt.life,
                    rt.boots,
                )
            })
            .collect();
        let links = self
            .k
            .net
            .links()
            .iter()
            .map(|l| [l.stats(0).clone(), l.stats(1).clone()])
            .collect();
        let mut agents = Vec::new();
        let mut tuples = Vec::new();
        for n in (0..self.k.nodes.len()).filter(|&n| mine(n)) {
            if let Some(e) = self.k.extras.get(n) {
                if let Some(p) = &e.platform {
                    agents.push((n as u32, p.borrow().counts()));
                }
                if let Some(t) = &e.tuples {
                    tuples.push((n as u32, t.borrow().counts()));
                }
            }
        }
        PartFinal {
            nodes,
            links,
            faults: self.k.fault_stats.clone(),
            agents,
            tuples,
            // Kernel events are the lead part's to count.
            events: self.k.instant.total - self.k.part.as_deref().map_or(0, |p| p.kernel_events),
            now: self.k.now,
        }
    }

    /// Takes in another part's final state (lead part only), and leaves the parallel run:
    /// this simulation then reads as the whole run.
    pub(crate) fn absorb(&mut self, f: PartFinal) {
        for (n, stats, workers, life, boots) in f.nodes {
            if let Some(rt) = self.k.nodes.get_mut(n as usize) {
                rt.stats = stats;
                rt.workers = workers;
                rt.life = life;
                rt.boots = boots;
            }
        }
        for (i, [a, b]) in f.links.iter().enumerate() {
            if let Some(l) = self.k.net.link_mut(crate::net::LinkId(i as u32)) {
                l.add_stats(0, a);
                l.add_stats(1, b);
            }
        }
        self.k.fault_stats.add(&f.faults);
        for (n, c) in f.agents {
            let e = self.k.extras.entry(n as usize);
            *e.platform
                .get_or_insert_with(Default::default)
                .borrow_mut()
                .counts_mut() = c;
        }
        for (n, c) in f.tuples {
            let e = self.k.extras.entry(n as usize);
            e.tuples
                .get_or_insert_with(Default::default)
                .borrow_mut()
                .set_counts(c);
        }
        self.k.instant.total += f.events;
        self.k.now = self.k.now.max(f.now);
    }

    /// Leaves the parallel run (lead part, after absorbing the others), setting the clock.
    pub(crate) fn leave_part(&mut self, now: SimTime, trace: Option<Box<dyn TraceSink>>) {
        self.k.part = None;
        self.k.trace = trace;
        self.k.now = self.k.now.max(now);
    }
}

/// The hold order of messages held outside a parallel run (none is needed).
pub(super) fn no_order() -> (EventKey, u64) {
    (EventKey::new(SimTime::ZERO, 0, 0), 0)
}
