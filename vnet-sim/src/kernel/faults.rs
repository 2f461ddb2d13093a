//! The kernel's side of [`crate::faults`]: crashes and restarts, cuts, holds, link faults and
//! churn, applied as events. The rules are in the `faults` module's documentation.

use std::rc::Rc;

use super::state::{Event, Kernel, NodeLife};
use super::{NodeProgram, Simulation, WorkerId, WorkerState};
use crate::faults::{Churn, ChurnTarget, Fault, FaultRecord, SharedStore, Store};
use crate::net::{LinkId, Message, NodeId, PortId};
use crate::rng::{SimRng, StreamKind, stream};
use crate::time::{SimDuration, SimTime};
use crate::trace::{MessageId, TraceKind};

/// Makes a node's program afresh, at its start and at every restart.
pub(super) type ProgramFactory = Rc<dyn Fn() -> Box<dyn NodeProgram>>;

/// One churn: its target and lifetimes, its stream, and whether the target is up.
pub(crate) struct ChurnState {
    target: ChurnTarget,
    spec: Churn,
    rng: SimRng,
    up: bool,
}

/// A node given where none is (a partition's record): named "" in the trace.
const NO_NODE: NodeId = NodeId(u32::MAX);

impl Kernel {
    /// Writes a fault to the trace and the fault log.
    fn fault_record(
        &mut self,
        kind: &'static str,
        node: Option<NodeId>,
        link: Option<LinkId>,
        detail: String,
    ) {
        let (a, b) = match (node, link.and_then(|l| self.net.link(l))) {
            (Some(n), _) => (n, n),
            (None, Some(l)) => (l.ends()[0].node, l.ends()[1].node),
            (None, None) => (NO_NODE, NO_NODE),
        };
        if self.trace.is_some() {
            let text = format!("{kind} {detail}");
            self.trace_msg(TraceKind::Fault, a, b, PortId(u16::MAX), 0, text.trim_end());
        }
        self.fault_log.push(FaultRecord {
            time: self.now,
            kind,
            node,
            link,
            detail,
        });
        self.tag_fault();
    }

    fn node_name(&self, n: NodeId) -> String {
        self.net
            .node(n)
            .map_or_else(|| format!("node {}", n.0), |x| x.name().to_owned())
    }

    fn link_name(&self, l: LinkId) -> String {
        match self.net.link(l) {
            Some(link) => {
                let [a, b] = link.ends();
                format!("{} -- {}", self.net.describe(a), self.net.describe(b))
            }
            None => format!("link {}", l.0),
        }
    }

    /// Drops a message for a node that is down, counting and tracing it.
    pub(super) fn drop_node_down(
        &mut self,
        id: MessageId,
        src: NodeId,
        node: NodeId,
        port: PortId,
        msg: &Message,
    ) {
        self.nodes[node.0 as usize].stats.dropped_node_down += 1;
        self.fault_stats.dropped_node_down += 1;
        self.trace_message(
            TraceKind::Drop,
            Some(id),
            src,
            node,
            port,
            msg.size(),
            "node_down",
            Some(msg),
        );
    }

    /// Cuts the directions of every link from `from` to any node `to` accepts; returns how
    /// many directions it cut.
    fn cut_where(&mut self, cut: impl Fn(NodeId, NodeId) -> bool) -> u64 {
        let mut n = 0;
        for i in 0..self.net.links().len() {
            let id = LinkId(i as u32);
            let Some(l) = self.net.link_mut(id) else {
                continue;
            };
            let [a, b] = l.ends();
            for (d, (x, y)) in [(a.node, b.node), (b.node, a.node)].into_iter().enumerate() {
                if cut(x, y) && !l.is_cut(d) {
                    l.set_cut(d, true);
                    n += 1;
                }
            }
        }
        if self.leads() {
            self.fault_stats.directions_cut += n;
        }
        n
    }

    fn heal(&mut self) {
        for i in 0..self.net.links().len() {
            if let Some(l) = self.net.link_mut(LinkId(i as u32)) {
                l.set_cut(0, false);
                l.set_cut(1, false);
            }
        }
    }

    /// Hands a held link's messages to it, in the order they were sent.
    fn release(&mut self, link: LinkId) {
        if let Some(l) = self.net.link_mut(link) {
            l.set_held(false);
        }
        let held = self.held.remove(&link.0).unwrap_or_default();
        for h in held {
            self.held_phase(1, h.order);
            self.fault_stats.released += 1;
            let ld = crate::net::LinkDir { link, dir: h.dir };
            self.launch(h.src, h.port, ld, &h.msg, Some(h.seq));
        }
        self.held_phase(2, super::part::no_order());
    }

    /// Drops what a held link holds (it went down).
    pub(super) fn drop_held(&mut self, link: LinkId) {
        let held = self.held.remove(&link.0).unwrap_or_default();
        for h in held {
            self.held_phase(1, h.order);
            let dst = self
                .net
                .link(link)
                .map(|l| l.ends()[1 - h.dir as usize].node);
            if let Some(l) = self.net.link_mut(link) {
                l.count_held_drop(h.dir as usize, h.msg.size());
            }
            self.trace_message(
                TraceKind::Drop,
                Some(MessageId {
                    node: h.src.0,
                    seq: h.seq,
                }),
                h.src,
                dst.unwrap_or(h.src),
                h.port,
                h.msg.size(),
                "link_down",
                Some(&h.msg),
            );
        }
        self.held_phase(2, super::part::no_order());
    }

    /// The node's store, made on first use.
    pub(super) fn store(&mut self, node: NodeId) -> SharedStore {
        self.extras
            .entry(node.0 as usize)
            .store
            .get_or_insert_with(Default::default)
            .clone()
    }
}

impl Simulation {
    /// Adds a worker made by `factory` to `node` (its `on_start` runs at the current time), and
    /// makes it again, fresh, whenever the node restarts after a crash. What
    /// [`add_worker`](Self::add_worker) adds is not made again.
    ///
    /// # Panics
    /// If `node` is not a node of this simulation.
    pub fn add_worker_with(
        &mut self,
        node: NodeId,
        factory: impl Fn() -> Box<dyn NodeProgram> + 'static,
    ) -> WorkerId {
        let first = factory();
        self.add_restartable(node, first, factory)
    }

    /// [`add_worker_with`](Self::add_worker_with) with the first program already made.
    pub(crate) fn add_restartable(
        &mut self,
        node: NodeId,
        first: Box<dyn NodeProgram>,
        factory: impl Fn() -> Box<dyn NodeProgram> + 'static,
    ) -> WorkerId {
        let w = self.add_worker(node, first);
        self.factories.entry(node.0 as usize).push(Rc::new(factory));
        w
    }

    /// How long `node` takes to boot after a restart before its programs start (default 0).
    pub fn set_boot_time(&mut self, node: NodeId, boot: SimDuration) {
        if (node.0 as usize) < self.k.nodes.len() {
            self.k.extras.entry(node.0 as usize).boot_time = boot;
        }
    }

    /// Schedules `fault` at `at` (or now, if that has passed). See [`crate::faults`].
    ///
    /// ```
    /// use vnet_sim::faults::Fault;
    /// use vnet_sim::{SimTime, Simulation};
    /// let mut sim = Simulation::new(1);
    /// let n = sim.add_node("n").unwrap();
    /// sim.schedule_fault(SimTime::from_secs(1), Fault::Crash(n));
    /// sim.schedule_fault(SimTime::from_secs(2), Fault::Restart { node: n, wipe: false });
    /// sim.run();
    /// assert_eq!(sim.boots(n), Some(2));
    /// assert_eq!(sim.results().fault_stats().crashes, 1);
    /// ```
    pub fn schedule_fault(&mut self, at: SimTime, fault: Fault) {
        self.k.schedule_own(at, Event::Fault(Box::new(fault)));
    }

    /// Applies `fault` now (between events: a person at the studio, a test).
    pub fn apply_fault(&mut self, fault: Fault) {
        // In a parallel run every part applies a fault to its copy of the network; the lead
        // part counts and records it, and a node's own part crashes or restarts it.
        let lead = self.k.leads();
        match fault {
            Fault::Partition(groups) => {
                let mut group = vec![groups.len(); self.k.nodes.len()];
                for (g, nodes) in groups.iter().enumerate() {
                    for n in nodes {
                        if let Some(x) = group.get_mut(n.0 as usize) {
                            *x = g;
                        }
                    }
                }
                self.k
                    .cut_where(|a, b| group[a.0 as usize] != group[b.0 as usize]);
                if lead {
                    self.k.fault_stats.partitions += 1;
                    let detail = groups
                        .iter()
                        .map(|g| {
                            let names: Vec<String> =
                                g.iter().map(|&n| self.k.node_name(n)).collect();
                            names.join(",")
                        })
                        .collect::<Vec<_>>()
                        .join(" | ");
                    self.k.fault_record("partition", None, None, detail);
                }
            }
            Fault::Cut { from, to } => {
                self.k.cut_where(|a, b| a == from && b == to);
                if lead {
                    self.k.fault_stats.cuts += 1;
                    let detail = format!("{} -> {}", self.k.node_name(from), self.k.node_name(to));
                    self.k.fault_record("cut", Some(from), None, detail);
                }
            }
            Fault::Heal => {
                self.k.heal();
                if lead {
                    self.k.fault_stats.heals += 1;
                    self.k.fault_record("heal", None, None, String::new());
                }
            }
            Fault::Hold(link) => {
                if let Some(l) = self.k.net.link_mut(link) {
                    l.set_held(true);
                    if lead {
                        let name = self.k.link_name(link);
                        self.k.fault_record("hold", None, Some(link), name);
                    }
                }
            }
            Fault::Release(link) => {
                if self.k.net.link(link).is_some() {
                    if lead {
                        let name = self.k.link_name(link);
                        self.k.fault_record("release", None, Some(link), name);
                    }
                    self.k.release(link);
                }
            }
            Fault::Crash(node) if self.k.remote_part(node).is_none() => {
                self.crash(node);
            }
            Fault::Restart { node, wipe } if self.k.remote_part(node).is_none() => {
                self.restart(node, wipe)
            }
            Fault::Crash(_) | Fault::Restart { .. } => {}
            Fault::LinkDown(link) | Fault::LinkUp(link) => {
                let up = matches!(fault, Fault::LinkUp(_));
                let Some(l) = self.k.net.link(link) else {
                    return;
                };
                if l.is_up() != up {
                    self.k.change_link(link, up, lead);
                    if lead {
                        if up {
                            self.k.fault_stats.links_up += 1;
                        } else {
                            self.k.fault_stats.links_down += 1;
                        }
                        let name = self.k.link_name(link);
                        self.k.fault_record(fault.name(), None, Some(link), name);
                    }
                }
            }
            Fault::LinkFaults(link, faults) => {
                if let Some(l) = self.k.net.link_mut(link) {
                    l.set_faults(faults);
                    if lead {
                        let name = self.k.link_name(link);
                        let detail = format!(
                            "{name}: duplicate {} corrupt {} spike {} {}",
                            faults.duplicate, faults.corrupt, faults.spike.p, faults.spike.delay
                        );
                        self.k.fault_record("link_faults", None, Some(link), detail);
                    }
                }
            }
        }
        self.drop_ended();
    }

    /// Keeps failing and repairing `target` as `churn` says, from its own stream.
    pub fn add_churn(&mut self, target: ChurnTarget, churn: Churn) {
        let id = match target {
            ChurnTarget::Node(n) => n.0 as u64,
            ChurnTarget::Link(l) => 1 << 32 | l.0 as u64,
        };
        // Two churns of one target still draw apart.
        let id = id | (self.k.churns.len() as u64) << 33;
        let mut rng = stream(self.k.seed, StreamKind::Churn, id);
        let first = churn.from + churn.up.sample(&mut rng);
        let index = self.k.churns.len() as u32;
        let due = churn.until.is_none_or(|u| first <= u);
        self.k.churns.push(ChurnState {
            target,
            spec: churn,
            rng,
            up: true,
        });
        if due {
            self.k.schedule_own(first, Event::Churn { index });
        }
    }

    /// `node`'s stable storage, if it has used one.
    pub fn store(&self, node: NodeId) -> Option<std::cell::Ref<'_, Store>> {
        self.k
            .extras
            .get(node.0 as usize)?
            .store
            .as_ref()?
            .try_borrow()
            .ok()
    }

    /// Whether `node` is up (not crashed or booting).
    pub fn node_is_up(&self, node: NodeId) -> bool {
        self.k
            .nodes
            .get(node.0 as usize)
            .is_some_and(|n| n.life == NodeLife::Up)
    }

    /// How many times `node` has booted (1 until its first restart).
    pub fn boots(&self, node: NodeId) -> Option<u32> {
        self.k.nodes.get(node.0 as usize).map(|n| n.boots)
    }

    /// The id of the first worker `node`'s latest boot started (0 before any restart): the
    /// programs made again ([`add_worker_with`](Self::add_worker_with)) have the ids from it
    /// on, in the order they were added.
    pub fn boot_first_worker(&self, node: NodeId) -> Option<WorkerId> {
        let n = node.0 as usize;
        (n < self.k.nodes.len()).then(|| WorkerId(self.k.extras.get(n).map_or(0, |e| e.boot_first)))
    }

    /// Whether `worker` of `node` ended in a crash (what it deferred is gone with it).
    pub(super) fn crashed(&self, node: NodeId, worker: WorkerId) -> bool {
        self.worker_state(node, worker) == Some(WorkerState::Crashed)
    }

    /// Crashes `node`; false if it was already down.
    fn crash(&mut self, node: NodeId) -> bool {
        let Some(rt) = self.k.nodes.get_mut(node.0 as usize) else {
            return false;
        };
        if rt.life == NodeLife::Down {
            return false;
        }
        rt.life = NodeLife::Down;
        for (w, s) in rt.workers.iter_mut().enumerate() {
            if s.is_alive() || *s == WorkerState::Starting {
                *s = WorkerState::Crashed;
                self.k.ended.push((node, WorkerId(w as u32)));
            }
        }
        // The tuple space is volatile memory: gone with the crash.
        if let Some(e) = self.k.extras.get(node.0 as usize) {
            if let Some(ts) = &e.tuples {
                ts.borrow_mut().clear();
            }
            // So are the agents on it.
            if let Some(p) = &e.platform {
                p.borrow_mut().crash();
            }
        }
        self.k.fault_stats.crashes += 1;
        let name = self.k.node_name(node);
        self.k.fault_record("crash", Some(node), None, name);
        true
    }

    /// Restarts `node`: down at once (crashing it if it was up), up after its boot time.
    fn restart(&mut self, node: NodeId, wipe: bool) {
        if (node.0 as usize) >= self.k.nodes.len() {
            return;
        }
        if self.k.nodes[node.0 as usize].life == NodeLife::Up {
            self.crash(node);
        }
        let rt = &mut self.k.nodes[node.0 as usize];
        rt.life = NodeLife::Booting;
        rt.boots += 1;
        if wipe {
            if let Some(s) = self
                .k
                .extras
                .get(node.0 as usize)
                .and_then(|e| e.store.as_ref())
            {
                s.borrow_mut().clear();
            }
        }
        self.k.fault_stats.restarts += 1;
        let name = self.k.node_name(node);
        let detail = if wipe { format!("{name} wipe") } else { name };
        self.k.fault_record("restart", Some(node), None, detail);
        let boot = self.k.extras.get(node.0 as usize).map(|e| e.boot_time);
        let at = self.k.now + boot.unwrap_or(SimDuration::ZERO);
        self.k.schedule(node, at, Event::Boot { node });
    }

    /// A restarted node has booted: it is up, and its programs start fresh.
    pub(super) fn boot(&mut self, node: NodeId) {
        let rt = &mut self.k.nodes[node.0 as usize];
        if rt.life != NodeLife::Booting {
            return; // crashed again while booting
        }
        rt.life = NodeLife::Up;
        let name = self.k.node_name(node);
        self.k.fault_record("boot", Some(node), None, name);
        let first = rt_workers(&self.k, node);
        self.k.extras.entry(node.0 as usize).boot_first = first;
        let factories = self.factories.get(node.0 as usize).cloned();
        for factory in factories.unwrap_or_default() {
            let program = factory();
            self.k.spawn(node, program, SimDuration::ZERO);
        }
    }

    /// Churn `index` fails or repairs its target, and schedules what comes next.
    pub(super) fn churn_step(&mut self, index: u32) {
        let Some(c) = self.k.churns.get_mut(index as usize) else {
            return;
        };
        let (target, up, wipe) = (c.target, c.up, c.spec.wipe);
        c.up = !up;
        let wait = if up { &c.spec.down } else { &c.spec.up }.sample(&mut c.rng);
        let next = self.k.now + wait;
        // A failure is always repaired; no failure starts after `until`.
        if up || c.spec.until.is_none_or(|u| next <= u) {
            self.k.schedule_own(next, Event::Churn { index });
        }
        let fault = match (target, up) {
            (ChurnTarget::Node(n), true) => Fault::Crash(n),
            (ChurnTarget::Node(n), false) => Fault::Restart { node: n, wipe },
            (ChurnTarget::Link(l), true) => Fault::LinkDown(l),
            (ChurnTarget::Link(l), false) => Fault::LinkUp(l),
        };
        self.apply_fault(fault);
    }

    /// Drops the programs of workers that ended (a crash ends them outside a callback).
    fn drop_ended(&mut self) {
        self.drop_ended_programs();
        if !self.k.spawned.is_empty() {
            self.adopt_spawned();
        }
    }
}

/// How many workers `node` has had.
fn rt_workers(k: &Kernel, node: NodeId) -> u32 {
    u32::try_from(k.nodes[node.0 as usize].workers.len()).unwrap_or(u32::MAX)
}
