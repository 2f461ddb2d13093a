//! What a part of a parallel run writes, and how the lead part takes it in.
//!
//! Everything a part writes (trace records, output lines, records, fault records) carries a
//! [`Tag`]: which of the part's events wrote it, then where in that event, so that
//! [`super::merge`] can put it in the sequential order. Trace records are kept
//! ([`PartTracing::Records`]) or, when only the trace's hash is wanted
//! ([`PartTracing::Hash`]), hashed event by event where they are written: a sum of the
//! events' hashes is the sequential run's [`TraceHash`], so they need no merge. Records of
//! kernel events, which every part runs and several parts may write, are kept either way.

use super::Simulation;
use super::merge::{Merged, Writings};
use super::part::no_order;
use super::state::Kernel;
use crate::net::{Message, NodeId};
use crate::queue::EventKey;
use crate::time::SimTime;
use crate::trace::{EventHash, MessageId, TraceHash, TraceKind, TraceRecord, TraceSink};

/// Where a part's writing falls in the sequential kernel's order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Tag {
    /// The event that wrote it: its place in the part's window.
    pub(super) event: u32,
    /// Within a kernel event that drops or releases held messages: 0 before them, 1 theirs,
    /// 2 after them. Always 0 in other events.
    pub(super) phase: u8,
    /// In phase 1: when the message was held (its holding event, and the holder's count).
    pub(super) held: (EventKey, u64),
    /// The part's own count of writings, in the order it made them.
    pub(super) n: u64,
}

/// What a part does with the trace records it writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum PartTracing {
    /// Nothing: the run has no trace.
    Off,
    /// Keeps every record, for a sink.
    Records,
    /// Only the trace's hash is wanted: hashes the records of its nodes' events itself and
    /// keeps only those of kernel events (which every part runs) for the lead part to order.
    Hash,
}

/// One event's trace records, hashed where the event ran: the event (its place in the
/// part's window), its records and their hash ([`crate::trace::TraceHash`]'s share).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct HashedEvent {
    pub(super) event: u32,
    pub(super) records: u32,
    pub(super) value: u64,
}

/// A trace record kept by a part until the window's records are merged: nodes by number and
/// ports by index (names are looked up when it is replayed), the message for its payload.
pub(crate) struct PartRecord {
    pub(super) time: SimTime,
    pub(super) kind: TraceKind,
    pub(super) msg: Option<MessageId>,
    pub(super) src: u32,
    pub(super) dst: u32,
    pub(super) port: u16,
    pub(super) bytes: u32,
    pub(super) detail: Box<str>,
    pub(super) payload: Option<Message>,
}

/// What a part wrote in the current window, and where in its order.
pub(crate) struct PartWriting {
    tracing: PartTracing,
    /// Whether the running event is a kernel event (every part runs it).
    pub(super) kernel_event: bool,
    /// With [`PartTracing::Hash`], the window's hashed events, and the one being hashed.
    hashed: Vec<HashedEvent>,
    hashing: Option<(HashedEvent, EventHash)>,
    /// The keys of the events run in this window, in the order they ran.
    pub(super) events: Vec<EventKey>,
    /// Within a kernel event: see [`Tag`].
    pub(super) phase: u8,
    held: (EventKey, u64),
    /// Writings so far.
    n: u64,
    trace: Vec<(Tag, PartRecord)>,
    log_tags: Vec<Tag>,
    record_tags: Vec<Tag>,
    fault_tags: Vec<Tag>,
    /// Writings up to these lengths were handed over already.
    marks: [usize; 3],
}

impl PartWriting {
    /// Nothing written yet; the simulation's lines, records and fault records up to `marks`
    /// are not the part's to hand over.
    pub(super) fn new(tracing: PartTracing, marks: [usize; 3]) -> Self {
        PartWriting {
            tracing,
            kernel_event: false,
            hashed: Vec::new(),
            hashing: None,
            events: Vec::new(),
            phase: 0,
            held: no_order(),
            n: 0,
            trace: Vec::new(),
            log_tags: Vec::new(),
            record_tags: Vec::new(),
            fault_tags: Vec::new(),
            marks,
        }
    }

    /// Whether the running event's trace records are hashed here rather than kept.
    #[inline]
    fn hashes_here(&self) -> bool {
        self.tracing == PartTracing::Hash && !self.kernel_event
    }

    /// Hashes `r`, a record of the running event (whose key is `event`).
    fn hash(&mut self, event: Option<EventKey>, r: &TraceRecord<'_>) {
        let at = self.events.len().saturating_sub(1) as u32;
        match &mut self.hashing {
            Some((e, h)) if e.event == at => {
                e.records += 1;
                h.record(r);
            }
            open => {
                if let Some((e, h)) = open.take() {
                    self.hashed.push(HashedEvent {
                        value: h.value(),
                        ..e
                    });
                }
                let mut h = EventHash::new(event);
                h.record(r);
                let e = HashedEvent {
                    event: at,
                    records: 1,
                    value: 0,
                };
                *open = Some((e, h));
            }
        }
    }

    /// The window's hashed events, the last one finished.
    fn take_hashed(&mut self) -> Vec<HashedEvent> {
        if let Some((e, h)) = self.hashing.take() {
            self.hashed.push(HashedEvent {
                value: h.value(),
                ..e
            });
        }
        std::mem::take(&mut self.hashed)
    }
}

/// The sink a traced part's kernel holds, so that it computes what traces need; records go
/// to the part's own buffer instead.
pub(super) struct PartTrace;
impl TraceSink for PartTrace {
    fn record(&mut self, _: &TraceRecord<'_>) {}
}

impl PartTrace {
    /// The sink for a part's kernel with `tracing`.
    pub(super) fn sink(tracing: PartTracing) -> Option<Box<dyn TraceSink>> {
        (tracing != PartTracing::Off).then(|| Box::new(PartTrace) as Box<dyn TraceSink>)
    }
}

impl Kernel {
    /// The tag of the next writing.
    #[inline]
    fn tag(&mut self) -> Option<Tag> {
        let p = self.part.as_deref_mut()?;
        p.writing.n += 1;
        Some(Tag {
            event: p.writing.events.len().saturating_sub(1) as u32,
            phase: p.writing.phase,
            held: if p.writing.phase == 1 {
                p.writing.held
            } else {
                no_order()
            },
            n: p.writing.n,
        })
    }

    /// When a message is held, for ordering its drop or release among other parts'.
    pub(super) fn hold_order(&mut self) -> (EventKey, u64) {
        match self.part.as_deref_mut() {
            Some(p) => {
                p.writing.n += 1;
                (self.current.unwrap_or(no_order().0), p.writing.n)
            }
            None => no_order(),
        }
    }

    /// Enters phase 1 of a kernel event (held messages) or phase 2 (after them).
    pub(super) fn held_phase(&mut self, phase: u8, held: (EventKey, u64)) {
        if let Some(p) = self.part.as_deref_mut() {
            p.writing.phase = phase;
            p.writing.held = held;
        }
    }

    /// Keeps a trace record in the part's buffer, or hashes it ([`PartTracing::Hash`]); false
    /// if this is no part (trace normally).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(super) fn part_trace(
        &mut self,
        kind: TraceKind,
        msg: Option<MessageId>,
        src: NodeId,
        dst: NodeId,
        port: u16,
        bytes: u32,
        detail: &str,
        payload: Option<&Message>,
    ) -> bool {
        let Some(p) = self.part.as_deref_mut() else {
            return false;
        };
        if p.writing.hashes_here() {
            // The hash reads neither names nor payload.
            let r = TraceRecord {
                event: self.current,
                time: self.now,
                kind,
                msg,
                src: src.0,
                src_name: "",
                dst: dst.0,
                dst_name: "",
                port: port_name(&self.net, kind, src.0, dst.0, port),
                bytes,
                detail,
                payload: None,
            };
            p.writing.hash(self.current, &r);
            return true;
        }
        let Some(tag) = self.tag() else { return false };
        let r = PartRecord {
            time: self.now,
            kind,
            msg,
            src: src.0,
            dst: dst.0,
            port,
            bytes,
            detail: detail.into(),
            payload: payload.cloned(),
        };
        if let Some(p) = self.part.as_deref_mut() {
            p.writing.trace.push((tag, r));
        }
        true
    }

    /// Tags the output line just pushed.
    pub(super) fn tag_log(&mut self) {
        if let Some(t) = self.tag() {
            if let Some(p) = self.part.as_deref_mut() {
                p.writing.log_tags.push(t);
            }
        }
    }

    /// Tags the record just pushed.
    pub(super) fn tag_record(&mut self) {
        if let Some(t) = self.tag() {
            if let Some(p) = self.part.as_deref_mut() {
                p.writing.record_tags.push(t);
            }
        }
    }

    /// Tags the fault record just pushed.
    pub(super) fn tag_fault(&mut self) {
        if let Some(t) = self.tag() {
            if let Some(p) = self.part.as_deref_mut() {
                p.writing.fault_tags.push(t);
            }
        }
    }
}

impl PartRecord {
    /// Writes this record to each of `sinks` with the names `net` gives its nodes and port;
    /// `event` is the key of the event that wrote it.
    pub(crate) fn replay(
        &self,
        event: EventKey,
        net: &crate::net::Network,
        sinks: &mut [&mut dyn TraceSink],
    ) {
        let name = |n: u32| net.node(NodeId(n)).map_or("", |n| n.name());
        let port = port_name(net, self.kind, self.src, self.dst, self.port);
        let r = TraceRecord {
            event: Some(event),
            time: self.time,
            kind: self.kind,
            msg: self.msg,
            src: self.src,
            src_name: name(self.src),
            dst: self.dst,
            dst_name: name(self.dst),
            port,
            bytes: self.bytes,
            detail: &self.detail,
            payload: self.payload.as_ref(),
        };
        for s in sinks {
            s.record(&r);
        }
    }
}

/// The name of a trace record's port: `src`'s for sends and drops, `dst`'s for deliveries.
pub(super) fn port_name(
    net: &crate::net::Network,
    kind: TraceKind,
    src: u32,
    dst: u32,
    port: u16,
) -> &str {
    let owner = if kind == TraceKind::Deliver { dst } else { src };
    net.node(NodeId(owner))
        .and_then(|n| n.ports().get(port as usize))
        .map_or("", |p| p.name())
}

impl Simulation {
    /// Takes what this part wrote since the last call, tagged.
    pub(crate) fn take_writings(&mut self) -> Writings {
        let k = &mut self.k;
        let Some(p) = k.part.as_deref_mut() else {
            return Writings::default();
        };
        let [l, r, f] = p.writing.marks;
        let logs = k.logs.drain(l.min(k.logs.len())..);
        let records = k.records.drain(r.min(k.records.len())..);
        let faults = k.fault_log.drain(f.min(k.fault_log.len())..);
        Writings {
            hashed: p.writing.take_hashed(),
            // The next window likely runs about as many: room for half as many again, so
            // that it does not regrow (and copy) while it fills.
            events: {
                let n = p.writing.events.len();
                std::mem::replace(&mut p.writing.events, Vec::with_capacity(n + n / 2))
            },
            trace: std::mem::take(&mut p.writing.trace),
            logs: p.writing.log_tags.drain(..).zip(logs).collect(),
            records: p.writing.record_tags.drain(..).zip(records).collect(),
            faults: p.writing.fault_tags.drain(..).zip(faults).collect(),
        }
    }

    /// Adds the merged writings of a window (lead part only): trace records to `sink`, lines,
    /// records and fault records to this simulation's own, as a sequential run has them.
    /// With `hash`, adds the window's trace to it too.
    pub(crate) fn add_writings(
        &mut self,
        w: Merged,
        sink: &mut Option<Box<dyn TraceSink>>,
        hash: Option<&mut TraceHash>,
    ) {
        let mut sinks: Vec<&mut dyn TraceSink> = Vec::with_capacity(2);
        if let Some(s) = sink.as_deref_mut() {
            sinks.push(s);
        }
        if let Some(h) = hash {
            h.add_value(w.hashed.value, w.hashed.records);
            sinks.push(h);
        }
        if !sinks.is_empty() {
            for (event, r) in w.trace() {
                r.replay(event, &self.k.net, &mut sinks);
            }
        }
        self.k.logs.extend(w.logs.into_iter().map(|(_, l)| l));
        self.k.records.extend(w.records.into_iter().map(|(_, r)| r));
        self.k
            .fault_log
            .extend(w.faults.into_iter().map(|(_, f)| f));
        self.mark_writings();
    }

    /// Marks everything written so far as handed over (after a caller took lines away).
    pub(crate) fn mark_writings(&mut self) {
        let marks = [
            self.k.logs.len(),
            self.k.records.len(),
            self.k.fault_log.len(),
        ];
        if let Some(p) = self.k.part.as_deref_mut() {
            p.writing.marks = marks;
        }
    }
}
