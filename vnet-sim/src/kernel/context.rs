//! [`Context`]: what a node program sees of the simulation while one of its callbacks runs.

use super::program::{NodeProgram, TimerId, WorkerId, WorkerState};
use super::{EVERY_WORKER, Event, Kernel, LinkArrival, LogStream};
use crate::net::{LinkDir, LinkId, Message, Network, Node, NodeId, PortId, Transmit};
use crate::queue::EventKey;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::trace::TraceKind;

/// The handle a program acts through: the clock, its node's ports, sending, timers, its node's
/// random stream, logging, and control of workers and the run.
pub struct Context<'a> {
    pub(super) k: &'a mut Kernel,
    pub(super) node: NodeId,
    pub(super) worker: WorkerId,
}

/// What happened to a port send.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Copies that went onto links (and were not dropped at once).
    pub on_links: u32,
    /// Copies dropped at once (link down, queue full, loss).
    pub dropped: u32,
    /// Copies handed to sibling workers attached to the port.
    pub to_workers: u32,
}

impl Context<'_> {
    /// The current virtual time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.k.now
    }
    /// The node this program runs on.
    #[inline]
    pub fn node(&self) -> NodeId {
        self.node
    }
    /// This worker.
    pub fn worker(&self) -> WorkerId {
        self.worker
    }
    /// The network (read-only): names, ports, links, counters.
    pub fn network(&self) -> &Network {
        &self.k.net
    }
    /// This node's description (name, ports).
    pub fn node_info(&self) -> &Node {
        &self.k.net.nodes()[self.node.0 as usize]
    }
    /// This node's port called `name`.
    pub fn port(&self, name: &str) -> Option<PortId> {
        self.node_info().port_by_name(name)
    }
    /// Number of ports on this node; their ids are `PortId(0)..PortId(n)`.
    pub fn port_count(&self) -> usize {
        self.node_info().ports().len()
    }
    /// Number of nodes in the network.
    pub fn node_count(&self) -> usize {
        self.k.net.nodes().len()
    }
    /// This node's random stream (seeded from the master seed and the node id).
    #[inline]
    pub fn rng(&mut self) -> &mut SimRng {
        &mut self.k.nodes[self.node.0 as usize].rng
    }

    /// Reads this node's sensor called `name` now: the reading, or `None` if it dropped out.
    pub fn sensor(&mut self, name: &str) -> Result<Option<f64>, crate::sense::NoSuchSensor> {
        let now = self.k.now;
        match self.sensors() {
            Some(bank) => bank.borrow_mut().read(name, now),
            None => Err(crate::sense::NoSuchSensor {
                node: self.node_info().name().to_owned(),
                name: name.to_owned(),
            }),
        }
    }

    /// In [`on_message`](NodeProgram::on_message): the id the trace gives the message being
    /// delivered (`0#3`), the same as its `send` record's; `None` elsewhere, and for a sensor's
    /// reading.
    pub fn message_id(&self) -> Option<crate::trace::MessageId> {
        self.k.delivering
    }

    /// This node's stable storage, which survives crashes (see [`crate::faults`]).
    ///
    /// ```
    /// use vnet_sim::{Context, NodeProgram, Simulation};
    /// struct Counter;
    /// impl NodeProgram for Counter {
    ///     fn on_start(&mut self, ctx: &mut Context) {
    ///         let mut store = ctx.store();
    ///         let n = store.get("starts").and_then(|v| v.as_u64()).unwrap_or(0);
    ///         store.set("starts", (n + 1).into()).unwrap();
    ///     }
    /// }
    /// let mut sim = Simulation::new(1);
    /// let n = sim.add_node("n").unwrap();
    /// sim.add_worker(n, Box::new(Counter));
    /// sim.run();
    /// assert_eq!(sim.store(n).unwrap().get("starts"), Some(&1.into()));
    /// ```
    pub fn store(&mut self) -> std::cell::RefMut<'_, crate::faults::Store> {
        // VMs borrow the store only during their own activation, never across a callback.
        self.k
            .extras
            .entry(self.node.0 as usize)
            .store
            .get_or_insert_with(Default::default)
            .borrow_mut()
    }

    /// This node's store as VM workers share it during an activation.
    pub(crate) fn shared_store(&mut self) -> crate::faults::SharedStore {
        self.k.store(self.node)
    }

    /// How many times this node has booted: 1, then one more per restart.
    pub fn boot(&self) -> u32 {
        self.k.nodes[self.node.0 as usize].boots
    }

    /// This node's sensors, if it has any (VM workers read them during an activation).
    pub fn sensors(&self) -> Option<crate::sense::SharedBank> {
        self.k.extras.get(self.node.0 as usize)?.sensors.clone()
    }

    /// Sends `msg` on `port` of this node (CMUX): over every link attached to the port, and to
    /// every other running worker of this node. An unknown port sends nothing.
    pub fn send(&mut self, port: PortId, mut msg: Message) -> SendReport {
        self.k.stamp(self.node, &mut msg);
        let k = &mut *self.k;
        let n = self.node.0 as usize;
        k.nodes[n].stats.port_sends += 1;
        let Some(mut report) = k.launch_on_port(self.node, port, None, &msg) else {
            return SendReport::default();
        };
        let siblings = k.nodes[n].workers.len();
        for w in 0..siblings {
            let w = WorkerId(w as u32);
            if w != self.worker && k.nodes[n].workers[w.0 as usize].is_alive() {
                report.to_workers += 1;
                let ev = Event::Deliver {
                    node: self.node,
                    port,
                    to: w,
                    via: LinkArrival::NONE,
                    msg: msg.clone(),
                };
                k.schedule(self.node, k.now, ev);
            }
        }
        report
    }

    /// Sends `msg` straight to every worker of node `dst` after `delay`, bypassing ports and links
    /// (a kernel-level schedule, like ns-3's `ScheduleWithContext`). It arrives with `port == None`.
    #[inline]
    pub fn send_to(&mut self, dst: NodeId, delay: SimDuration, mut msg: Message) {
        self.k.stamp(self.node, &mut msg);
        let k = &mut *self.k;
        k.nodes[self.node.0 as usize].stats.direct_sends += 1;
        if k.trace.is_some() {
            let id = k.next_message_id(self.node);
            k.trace_message(
                TraceKind::Direct,
                Some(id),
                self.node,
                dst,
                PortId(u16::MAX),
                msg.size(),
                "",
                Some(&msg),
            );
        }
        k.schedule_direct(self.node, dst, delay, Event::Direct { node: dst, msg });
    }

    /// Calls [`on_timer`](NodeProgram::on_timer) of this worker after `delay`, with `tag`.
    pub fn set_timer(&mut self, delay: SimDuration, tag: u64) -> TimerId {
        let at = self.k.now + delay;
        TimerId(self.k.schedule(
            self.node,
            at,
            Event::Timer {
                node: self.node,
                worker: self.worker,
                tag,
            },
        ))
    }

    /// Cancels a pending timer; false if it already fired or was cancelled.
    pub fn cancel_timer(&mut self, t: TimerId) -> bool {
        matches!(self.k.queue.get(t.0), Some(Event::Timer { node, .. }) if *node == self.node)
            && self.k.queue.cancel(t.0).is_some()
    }

    /// Writes a line to the simulation's log (and the trace), stamped with time, node and
    /// worker: the worker's standard output.
    pub fn log(&mut self, text: impl std::fmt::Display) {
        self.k
            .log(self.node, self.worker, LogStream::Out, text.to_string());
    }

    /// Writes a line to the worker's standard error (errors, tracebacks).
    pub fn log_error(&mut self, text: impl std::fmt::Display) {
        self.k
            .log(self.node, self.worker, LogStream::Err, text.to_string());
    }

    /// Marks this worker as blocked (`true`) or running again (`false`); it keeps receiving
    /// messages and timers either way. For VM workers waiting in `recv` or `sleep`.
    pub fn set_waiting(&mut self, waiting: bool) {
        let state = if waiting {
            WorkerState::Waiting
        } else {
            WorkerState::Running
        };
        if let Some(s) = self.k.nodes[self.node.0 as usize]
            .workers
            .get_mut(self.worker.0 as usize)
        {
            if s.is_alive() {
                *s = state;
            }
        }
    }

    /// Ends this worker as failed, writing `reason` to its standard error.
    pub fn fail(&mut self, reason: impl std::fmt::Display) {
        self.log_error(reason);
        self.k
            .end_worker(self.node, self.worker, WorkerState::Failed);
    }

    /// Stops the run after the current event.
    pub fn stop(&mut self) {
        self.k.stopped = true;
    }

    /// Takes a link down (dropping what it holds) or brings it up, now.
    pub fn set_link_up(&mut self, link: LinkId, up: bool) {
        if self.k.link_change_allowed(link) {
            self.k.set_link_up(link, up);
        }
    }

    /// Starts another worker on this node; it gets its `on_start` at the current time, after the
    /// running callback. It is attached to all of the node's ports, like every worker.
    pub fn spawn(&mut self, program: Box<dyn NodeProgram>) -> WorkerId {
        self.k.spawn(self.node, program, SimDuration::ZERO)
    }

    /// Like [`spawn`](Self::spawn), but the worker starts after `delay` (e.g. the time a host
    /// takes to create a VM instance). Until then it is [`WorkerState::Starting`] and receives
    /// nothing.
    pub fn spawn_after(&mut self, delay: SimDuration, program: Box<dyn NodeProgram>) -> WorkerId {
        self.k.spawn(self.node, program, delay)
    }

    /// Sends `msg` on `port` after `delay` instead of now, as if the node were busy computing
    /// until then; the link sees it at that time. Zero delay is [`send`](Self::send).
    pub fn send_after(&mut self, delay: SimDuration, port: PortId, msg: Message) {
        if delay == SimDuration::ZERO {
            self.send(port, msg);
        } else {
            self.defer(
                delay,
                Event::Send {
                    node: self.node,
                    worker: self.worker,
                    port,
                    msg,
                },
            );
        }
    }

    /// Records `value` under `name` now: a typed result, kept by the simulation
    /// ([`Results::records`](super::Results::records)) and written to the trace.
    pub fn record(&mut self, name: &str, value: impl Into<super::RecordValue>) {
        self.k
            .record(self.node, self.worker, name.to_owned(), value.into());
    }

    /// Records `value` under `name` after `delay` instead of now, as if the node were busy
    /// computing until then (a VM's `record` under a host profile). Zero delay is
    /// [`record`](Self::record).
    pub fn record_after(&mut self, delay: SimDuration, name: String, value: super::RecordValue) {
        if delay == SimDuration::ZERO {
            self.k.record(self.node, self.worker, name, value);
        } else {
            self.defer(
                delay,
                Event::Record {
                    node: self.node,
                    worker: self.worker,
                    record: Box::new((name, value)),
                },
            );
        }
    }

    /// Writes `text` to this worker's `stream` after `delay` instead of now, as if the node
    /// were busy computing until then (a VM's `print` under a host profile). Zero delay is
    /// [`log`](Self::log) or [`log_error`](Self::log_error).
    pub fn log_after(&mut self, delay: SimDuration, stream: LogStream, text: String) {
        if delay == SimDuration::ZERO {
            self.k.log(self.node, self.worker, stream, text);
        } else {
            self.defer(
                delay,
                Event::Log {
                    node: self.node,
                    worker: self.worker,
                    stream,
                    text: text.into_boxed_str(),
                },
            );
        }
    }

    /// Schedules `ev` — a send, a line or a record this worker made — to take effect after
    /// `delay`, counted in [`Simulation::deferred_actions`](super::Simulation::deferred_actions)
    /// until it does.
    pub(super) fn defer(&mut self, delay: SimDuration, ev: Event) {
        let at = self.k.now + delay;
        self.k.deferred += 1;
        self.k.schedule(self.node, at, ev);
    }

    /// Ends a worker of this node; it receives nothing more. False if it was not running.
    pub fn kill(&mut self, worker: WorkerId) -> bool {
        self.k.end_worker(self.node, worker, WorkerState::Killed)
    }

    /// Ends this worker after the current callback.
    pub fn exit(&mut self) {
        self.k
            .end_worker(self.node, self.worker, WorkerState::Finished);
    }

    /// Number of workers this node has had (running or not).
    pub fn worker_count(&self) -> usize {
        self.k.nodes[self.node.0 as usize].workers.len()
    }

    /// The state of one of this node's workers.
    pub fn worker_state(&self, w: WorkerId) -> Option<WorkerState> {
        self.k.nodes[self.node.0 as usize]
            .workers
            .get(w.0 as usize)
            .copied()
    }
}

impl Kernel {
    /// Launches `msg` over every link of `src`'s `port` (only the one to node `to`, if given);
    /// `None` if there is no such port.
    #[inline]
    pub(super) fn launch_on_port(
        &mut self,
        src: NodeId,
        port: PortId,
        to: Option<NodeId>,
        msg: &Message,
    ) -> Option<SendReport> {
        let n = src.0 as usize;
        let links = self.net.nodes()[n]
            .ports()
            .get(port.0 as usize)?
            .links()
            .len();
        let mut report = SendReport::default();
        for i in 0..links {
            let ld = self.net.nodes()[n].ports()[port.0 as usize].links()[i];
            if let Some(dst) = to {
                let far = self
                    .net
                    .link(ld.link)
                    .map(|l| l.ends()[1 - ld.dir as usize].node);
                if far != Some(dst) {
                    continue;
                }
            }
            match self.launch(src, port, ld, msg, None) {
                Some(true) => report.on_links += 1,
                Some(false) => report.dropped += 1,
                None => {}
            }
        }
        Some(report)
    }

    /// Hands `msg`, sent by `src` on `port`, to link direction `ld`: true if it is on its
    /// way, false if dropped at once, `None` if held (or the link is gone). `seq` is the event
    /// number a held message reserved when it was sent; `None` takes the next.
    pub(super) fn launch(
        &mut self,
        src: NodeId,
        port: PortId,
        ld: LinkDir,
        msg: &Message,
        seq: Option<u64>,
    ) -> Option<bool> {
        let now = self.now;
        let link = self.net.link_mut(ld.link)?;
        let d = ld.dir as usize;
        let dst = link.ends()[1 - d];
        if seq.is_none() && link.is_held() {
            let seq = self.nodes[src.0 as usize].seq;
            self.nodes[src.0 as usize].seq += 1;
            self.fault_stats.held += 1;
            let id = crate::trace::MessageId { node: src.0, seq };
            self.trace_message(
                TraceKind::Send,
                Some(id),
                src,
                dst.node,
                port,
                msg.size(),
                "held",
                Some(msg),
            );
            let order = self.hold_order();
            self.held
                .entry(ld.link.0)
                .or_default()
                .push_back(super::state::HeldMessage {
                    src,
                    port,
                    dir: ld.dir,
                    seq,
                    msg: msg.clone(),
                    order,
                });
            return None;
        }
        let epoch = link.epoch(d);
        let outcome = link.transmit(d, now, msg.size());
        let faults = match outcome {
            Transmit::Arrives { .. } => link.draw_faults(d),
            Transmit::Dropped(_) => Default::default(),
        };
        let traced = self.trace.is_some() || seq.is_some();
        let id = traced.then(|| match seq {
            Some(seq) => crate::trace::MessageId { node: src.0, seq },
            None => self.next_message_id(src),
        });
        if seq.is_none() {
            self.trace_message(
                TraceKind::Send,
                id,
                src,
                dst.node,
                port,
                msg.size(),
                "",
                Some(msg),
            );
        }
        match outcome {
            Transmit::Arrives { at, .. } => {
                let via = LinkArrival {
                    link: ld.link,
                    dir: ld.dir,
                    epoch,
                };
                let at = at + faults.spike;
                if faults.spike > SimDuration::ZERO {
                    self.fault_stats.spiked += 1;
                }
                let delivered = match faults.corrupt {
                    Some(r) => {
                        self.fault_stats.corrupted += 1;
                        crate::faults::corrupt(msg, r)
                    }
                    None => msg.clone(),
                };
                let ev = Event::Deliver {
                    node: dst.node,
                    port: dst.port,
                    to: EVERY_WORKER,
                    via,
                    msg: delivered,
                };
                match seq {
                    Some(seq) => self.push_for(dst.node, EventKey::new(at, src.0, seq), ev),
                    None => self.schedule_for(dst.node, src, at, ev),
                }
                if faults.duplicate {
                    // The copy is a transmission of its own, arriving with the first.
                    self.fault_stats.duplicated += 1;
                    let copy = self.trace.is_some().then(|| self.next_message_id(src));
                    self.trace_message(
                        TraceKind::Send,
                        copy,
                        src,
                        dst.node,
                        port,
                        msg.size(),
                        "duplicate",
                        Some(msg),
                    );
                    let ev = Event::Deliver {
                        node: dst.node,
                        port: dst.port,
                        to: EVERY_WORKER,
                        via,
                        msg: msg.clone(),
                    };
                    self.schedule_for(dst.node, src, at, ev);
                }
                Some(true)
            }
            Transmit::Dropped(cause) => {
                if seq.is_none() {
                    self.skip_message_id(src);
                }
                if cause == crate::net::DropCause::Cut {
                    self.fault_stats.dropped_cut += 1;
                }
                self.trace_message(
                    TraceKind::Drop,
                    id,
                    src,
                    dst.node,
                    port,
                    msg.size(),
                    cause.as_str(),
                    Some(msg),
                );
                Some(false)
            }
        }
    }
}
