//! The state node programs may touch through a [`Context`](super::Context): the clock, the
//! event queue, the network and per-node runtime (sequence counters, random streams, counters,
//! worker states); plus the kernel's event type.

use super::{LogLine, LogStream, NodeProgram, WorkerId, WorkerState};
use crate::net::{LinkId, Message, Network, NodeId, NodeStats, PortId};
use crate::queue::{EventId, EventKey, EventQueue};
use crate::rng::SimRng;
use crate::sense::SensorId;
use crate::time::SimTime;
use crate::trace::{MessageId, TraceKind, TraceRecord, TraceSink};

/// Where a message came from when it crossed a link.
#[derive(Copy, Clone, Debug)]
pub(crate) struct LinkArrival {
    pub(super) link: LinkId,
    pub(super) dir: u8,
    pub(super) epoch: u32,
}

impl LinkArrival {
    /// "Not from a link" (a sibling worker's copy); a sentinel keeps `Event` small.
    pub(super) const NONE: LinkArrival = LinkArrival {
        link: LinkId(u32::MAX),
        dir: 0,
        epoch: 0,
    };
}

/// `Event::Deliver`'s `to` for a message to every running worker of the node.
pub(super) const EVERY_WORKER: WorkerId = WorkerId(u32::MAX);

/// What the kernel schedules.
pub(crate) enum Event {
    Start {
        node: NodeId,
        worker: WorkerId,
    },
    /// A message reaching `port` of `node`: from a link (`via`), or a sibling worker's copy for `to`.
    Deliver {
        node: NodeId,
        port: PortId,
        /// One sibling worker ([`EVERY_WORKER`]: every running worker), kept without an
        /// `Option` so that a deliver event stays within 48 bytes.
        to: WorkerId,
        via: LinkArrival,
        msg: Message,
    },
    Direct {
        node: NodeId,
        msg: Message,
    },
    Timer {
        node: NodeId,
        worker: WorkerId,
        tag: u64,
    },
    LinkState {
        link: LinkId,
        up: bool,
    },
    /// The `k`-th triggered read of a sensor.
    Sample {
        node: NodeId,
        sensor: SensorId,
        k: u64,
    },
    /// A port send by `worker` that leaves later than it was made (after modelled compute time).
    Send {
        node: NodeId,
        worker: WorkerId,
        port: PortId,
        msg: Message,
    },
    /// A deferred [`Context::send_over`](super::Context::send_over): an agent leaving a
    /// computing node (`to`: `NodeId(u32::MAX)` for every link of the port).
    SendOver {
        node: NodeId,
        worker: WorkerId,
        port: PortId,
        to: NodeId,
        msg: Message,
    },
    /// A fault taking effect (boxed: rare, and a partition's groups are large).
    Fault(Box<crate::faults::Fault>),
    /// A restarted node has booted: it is up and its programs start.
    Boot {
        node: NodeId,
    },
    /// The next failure or repair of churn number `index`.
    Churn {
        index: u32,
    },
    /// A value `worker` recorded, taking effect later (after modelled compute time).
    Record {
        node: NodeId,
        worker: WorkerId,
        record: Box<(String, super::RecordValue)>,
    },
    /// An output line `worker` wrote that appears later than it was made (after modelled
    /// compute time), like a deferred send.
    Log {
        node: NodeId,
        worker: WorkerId,
        stream: LogStream,
        text: Box<str>,
    },
}

impl Event {
    /// The node whose data handling this event touches.
    #[inline]
    pub(super) fn target(&self) -> Option<NodeId> {
        match self {
            Event::Start { node, .. }
            | Event::Deliver { node, .. }
            | Event::Direct { node, .. }
            | Event::Timer { node, .. }
            | Event::Send { node, .. }
            | Event::SendOver { node, .. }
            | Event::Log { node, .. }
            | Event::Record { node, .. }
            | Event::Sample { node, .. }
            | Event::Boot { node } => Some(*node),
            Event::LinkState { .. } | Event::Fault(_) | Event::Churn { .. } => None,
        }
    }
}

/// Hints the CPU to load the cache line at `p` (a no-op off x86-64).
#[inline(always)]
pub(super) fn prefetch<T>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; it never faults.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const T as *const i8, std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Per-node kernel state. The fields every event touches come first, within one cache line.
#[repr(C)]
pub(super) struct NodeRuntime {
    pub(super) seq: u64,
    pub(super) rng: SimRng,
    /// Worker states, inline for the usual one or two workers.
    pub(super) workers: super::worker_states::WorkerStates,
    pub(super) stats: NodeStats,
    /// Whether the node takes messages (see [`crate::faults`]).
    pub(super) life: NodeLife,
    /// Times the node has booted: 1, then one more per restart.
    pub(super) boots: u32,
}

/// A node's life under faults.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum NodeLife {
    Up,
    /// Crashed: nothing runs, messages for it are dropped.
    Down,
    /// Restarted, booting: as down until its boot event.
    Booting,
}

/// A message waiting on a held link: who sent it where, and the event number its delivery
/// will take (so its trace id is the one its `send` record showed).
pub(super) struct HeldMessage {
    pub(super) src: NodeId,
    pub(super) port: PortId,
    pub(super) dir: u8,
    pub(super) seq: u64,
    pub(super) msg: Message,
    /// When it was held, in a parallel run's order (see `part::Tag`).
    pub(super) order: (EventKey, u64),
}

/// The state programs may touch through a [`Context`]; the programs themselves live outside it
/// so that one can run while holding `&mut Kernel`.
pub(crate) struct Kernel {
    pub(super) now: SimTime,
    /// The message being delivered, while programs' `on_message` run.
    pub(super) delivering: Option<MessageId>,
    /// The event running (or the last that ran): what its trace records belong to.
    pub(super) current: Option<EventKey>,
    pub(super) queue: EventQueue<Event>,
    pub(super) net: Network,
    pub(super) nodes: Vec<NodeRuntime>,
    pub(super) trace: Option<Box<dyn TraceSink>>,
    pub(super) logs: Vec<LogLine>,
    pub(super) records: Vec<super::Record>,
    pub(super) stopped: bool,
    pub(super) seed: u64,
    /// Sequence of events the kernel itself causes (scheduled link changes); source `MAX_SOURCE`.
    pub(super) own_seq: u64,
    /// Workers spawned during the current callback, moved into place right after it.
    pub(super) spawned: Vec<(NodeId, Box<dyn NodeProgram>)>,
    /// Workers ended during the current callback, whose programs are dropped right after it.
    pub(super) ended: Vec<(NodeId, WorkerId)>,
    /// Sends, lines and records scheduled for later (`send_after`, `log_after`,
    /// `record_after`) and not yet made.
    pub(super) deferred: usize,
    /// Stops a worker that keeps the run at one instant.
    pub(super) instant: super::instant::InstantGuard,
    /// Fault counters and the log of faults that happened.
    pub(super) fault_stats: crate::faults::FaultStats,
    pub(super) fault_log: Vec<crate::faults::FaultRecord>,
    /// Messages waiting on held links, by link, in the order they were sent.
    pub(super) held: std::collections::BTreeMap<u32, std::collections::VecDeque<HeldMessage>>,
    /// What nodes have beside their runtime, once they have it: sensors, stable storage, a
    /// tuple space, an agent platform, a boot time.
    pub(super) extras: super::extras::PerNode<super::extras::NodeExtras>,
    /// Churns, by index, with their streams and whether their target is up.
    pub(super) churns: Vec<super::faults::ChurnState>,
    /// This kernel's part of a parallel run, if it is one (see `part.rs`).
    pub(super) part: Option<Box<super::part::PartState>>,
}

impl Kernel {
    /// Stamps `msg` as sent by `node`, now.
    #[inline]
    pub(super) fn stamp(&self, node: NodeId, msg: &mut Message) {
        msg.stamp(node, self.now);
    }

    /// Schedules an event the kernel itself causes (source `MAX_SOURCE`).
    pub(super) fn schedule_own(&mut self, at: SimTime, ev: Event) {
        let key = EventKey::new(at.max(self.now), crate::queue::MAX_SOURCE, self.own_seq);
        self.own_seq += 1;
        self.queue.push(key, ev);
    }

    /// Schedules `ev` at `at` as the next event caused by `source`.
    #[inline]
    pub(super) fn schedule(&mut self, source: NodeId, at: SimTime, ev: Event) -> EventId {
        let n = &mut self.nodes[source.0 as usize];
        let key = EventKey::new(at, source.0, n.seq);
        n.seq += 1;
        self.queue.push(key, ev)
    }

    /// The id the next event `source` schedules will have, as a trace shows it.
    #[inline]
    pub(super) fn next_message_id(&self, source: NodeId) -> MessageId {
        message_id(EventKey::new(
            SimTime::ZERO,
            source.0,
            self.nodes[source.0 as usize].seq,
        ))
    }

    /// Uses up the event number a transmission that never got scheduled (a drop) took, so that
    /// its id stays its own.
    #[inline]
    pub(super) fn skip_message_id(&mut self, source: NodeId) {
        self.nodes[source.0 as usize].seq += 1;
    }

    /// Traces an event that is no message's.
    #[inline]
    pub(super) fn trace_msg(
        &mut self,
        kind: TraceKind,
        src: NodeId,
        dst: NodeId,
        port: PortId,
        bytes: u32,
        detail: &str,
    ) {
        self.trace_message(kind, None, src, dst, port, bytes, detail, None);
    }

    /// Traces an event; `msg` names the transmission of a send, delivery, drop or direct.
    /// Inlined down to the check for a sink: untraced runs pay a branch, not a call.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(super) fn trace_message(
        &mut self,
        kind: TraceKind,
        msg: Option<MessageId>,
        src: NodeId,
        dst: NodeId,
        port: PortId,
        bytes: u32,
        detail: &str,
        payload: Option<&Message>,
    ) {
        if self.trace.is_some() {
            self.write_trace(kind, msg, src, dst, port, bytes, detail, payload);
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn write_trace(
        &mut self,
        kind: TraceKind,
        msg: Option<MessageId>,
        src: NodeId,
        dst: NodeId,
        port: PortId,
        bytes: u32,
        detail: &str,
        payload: Option<&Message>,
    ) {
        if self.part_trace(kind, msg, src, dst, port.0, bytes, detail, payload) {
            return;
        }
        if let Some(t) = self.trace.as_mut() {
            let name = |n: NodeId| self.net.node(n).map_or("", |n| n.name());
            let port = super::writing::port_name(&self.net, kind, src.0, dst.0, port.0);
            t.record(&TraceRecord {
                event: self.current,
                time: self.now,
                kind,
                msg,
                src: src.0,
                src_name: name(src),
                dst: dst.0,
                dst_name: name(dst),
                port,
                bytes,
                detail,
                payload,
            });
        }
    }

    pub(super) fn record(
        &mut self,
        node: NodeId,
        worker: WorkerId,
        name: String,
        value: super::RecordValue,
    ) {
        if self.trace.is_some() {
            let detail = format!("{name}={value}");
            self.trace_msg(TraceKind::Record, node, node, PortId(u16::MAX), 0, &detail);
        }
        self.records.push(super::Record {
            time: self.now,
            node,
            worker,
            name,
            value,
        });
        self.tag_record();
    }

    pub(super) fn log(&mut self, node: NodeId, worker: WorkerId, stream: LogStream, text: String) {
        let kind = if stream == LogStream::Out {
            TraceKind::Log
        } else {
            TraceKind::Error
        };
        self.trace_msg(kind, node, node, PortId(u16::MAX), 0, &text);
        self.logs.push(LogLine {
            time: self.now,
            node,
            worker,
            stream,
            text,
        });
        self.tag_log();
    }

    pub(super) fn set_link_up(&mut self, link: LinkId, up: bool) {
        self.change_link(link, up, true);
    }

    /// Takes a link down or up; `traced`: whether this kernel writes the trace record (in a
    /// parallel run, every part changes its copy of the link and the lead part traces it).
    pub(super) fn change_link(&mut self, link: LinkId, up: bool, traced: bool) {
        let Some(l) = self.net.link_mut(link) else {
            return;
        };
        if l.is_up() == up {
            return;
        }
        l.set_up(up);
        let [a, b] = l.ends();
        if !up {
            self.drop_held(link);
        }
        if !traced {
            return;
        }
        self.trace_msg(
            TraceKind::LinkState,
            a.node,
            b.node,
            a.port,
            0,
            if up { "up" } else { "down" },
        );
    }

    pub(super) fn spawn(
        &mut self,
        node: NodeId,
        program: Box<dyn NodeProgram>,
        delay: crate::time::SimDuration,
    ) -> WorkerId {
        let workers = &mut self.nodes[node.0 as usize].workers;
        // Ids are never reused (events may still name an ended worker); memory runs out long
        // before four billion workers have lived on one node.
        let w = WorkerId(u32::try_from(workers.len()).unwrap_or(u32::MAX));
        // A worker spawned without delay is attached at once (it may see a message before its
        // on_start if one arrives at the same instant from a lower-keyed source); one that
        // boots for a while receives nothing until it has started.
        let booting = delay > crate::time::SimDuration::ZERO;
        workers.push(if booting {
            WorkerState::Starting
        } else {
            WorkerState::Running
        });
        self.spawned.push((node, program));
        let at = self.now + delay;
        self.schedule(node, at, Event::Start { node, worker: w });
        w
    }

    pub(super) fn end_worker(&mut self, node: NodeId, w: WorkerId, state: WorkerState) -> bool {
        match self.nodes[node.0 as usize].workers.get_mut(w.0 as usize) {
            Some(s) if s.is_alive() || *s == WorkerState::Starting => {
                *s = state;
                self.ended.push((node, w));
                true
            }
            _ => false,
        }
    }
}

/// The trace's id of the transmission an event with `key` is.
#[inline]
pub(super) fn message_id(key: EventKey) -> MessageId {
    MessageId {
        node: key.source(),
        seq: key.seq(),
    }
}
