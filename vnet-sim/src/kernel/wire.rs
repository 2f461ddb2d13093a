//! What the parts of a distributed run (MPI ranks, [`crate::parallel`]) send each other, as
//! bytes: the events one part made for another's nodes, a window's tagged writings, and a
//! part's final counters. Little-endian integers, strings and byte strings with a u32 length.
//! A malformed buffer is an error naming what was being read, never a panic.
#![cfg_attr(not(feature = "mpi"), allow(dead_code))]

use super::merge::Writings;
use super::part::{Batch, PartFinal};
use super::state::{EVERY_WORKER, Event, LinkArrival, NodeLife};
use super::writing::{HashedEvent, PartRecord, Tag};
use super::{LogLine, LogStream, Record, RecordValue, WorkerId, WorkerState};
use crate::agents::{AgentCounts, TupleCounts};
use crate::faults::{FaultRecord, FaultStats};
use crate::net::{LinkId, LinkStats, Message, NodeId, NodeStats, Payload, PortId};
use crate::queue::EventKey;
use crate::time::SimTime;
use crate::trace::{MessageId, TraceKind};

/// A buffer being written.
#[derive(Default)]
pub(crate) struct Put(pub(crate) Vec<u8>);

impl Put {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn key(&mut self, k: EventKey) {
        self.u64(k.time().as_nanos());
        self.u32(k.source());
        self.u64(k.seq());
    }
    fn msg(&mut self, m: &Message) {
        self.u64(m.sent_at().as_nanos());
        self.u32(m.size());
        self.u32(m.src().0);
        match m.payload() {
            Payload::Empty => self.u8(0),
            Payload::Bytes(b) => {
                self.u8(1);
                self.bytes(b);
            }
            Payload::Value(v) => {
                self.u8(2);
                self.str(&v.to_string());
            }
        }
    }
    fn tag(&mut self, t: &Tag) {
        self.u32(t.event);
        self.u8(t.phase);
        self.key(t.held.0);
        self.u64(t.held.1);
        self.u64(t.n);
    }
    fn time(&mut self, t: SimTime) {
        self.u64(t.as_nanos());
    }
    fn counts(&mut self, c: &[u64]) {
        for &v in c {
            self.u64(v);
        }
    }
}

/// A buffer being read; every read names what it reads in its error.
pub(crate) struct Get<'a> {
    b: &'a [u8],
    at: usize,
}

type R<T> = Result<T, String>;

impl<'a> Get<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Get { b, at: 0 }
    }
    fn take(&mut self, n: usize, what: &str) -> R<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let Some(end) = end else {
            return Err(format!("{what}: the buffer ends at byte {}", self.b.len()));
        };
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self, what: &str) -> R<u8> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> R<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self, what: &str) -> R<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &str) -> R<u64> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn bytes(&mut self, what: &str) -> R<&'a [u8]> {
        let n = self.u32(what)? as usize;
        self.take(n, what)
    }
    fn str(&mut self, what: &str) -> R<String> {
        let b = self.bytes(what)?;
        String::from_utf8(b.to_vec()).map_err(|_| format!("{what}: not UTF-8"))
    }
    fn key(&mut self, what: &str) -> R<EventKey> {
        let t = self.u64(what)?;
        let s = self.u32(what)?;
        let q = self.u64(what)?;
        Ok(EventKey::new(SimTime::from_nanos(t), s, q))
    }
    fn msg(&mut self) -> R<Message> {
        let sent = SimTime::from_nanos(self.u64("message time")?);
        let size = self.u32("message size")?;
        let src = NodeId(self.u32("message source")?);
        let mut m = match self.u8("payload kind")? {
            0 => Message::empty(),
            1 => Message::bytes(self.bytes("payload bytes")?.to_vec()),
            2 => {
                let text = self.str("payload value")?;
                let v = serde_json::from_str(&text).map_err(|e| format!("payload value: {e}"))?;
                Message::value(v)
            }
            k => return Err(format!("payload kind {k}: not 0, 1 or 2")),
        }
        .with_size(size);
        m.stamp(src, sent);
        Ok(m)
    }
    fn tag(&mut self) -> R<Tag> {
        Ok(Tag {
            event: self.u32("tag event")?,
            phase: self.u8("tag phase")?,
            held: (self.key("tag hold")?, self.u64("tag hold count")?),
            n: self.u64("tag count")?,
        })
    }
    fn time(&mut self, what: &str) -> R<SimTime> {
        Ok(SimTime::from_nanos(self.u64(what)?))
    }
    fn counts<const N: usize>(&mut self, what: &str) -> R<[u64; N]> {
        let mut c = [0u64; N];
        for v in &mut c {
            *v = self.u64(what)?;
        }
        Ok(c)
    }
    fn len(&mut self, what: &str) -> R<usize> {
        let n = self.u32(what)? as usize;
        // Each item takes at least a byte: a count beyond the buffer is corrupt, not a reason
        // to allocate.
        if n > self.b.len() - self.at {
            return Err(format!(
                "{what}: {n} items in {} bytes",
                self.b.len() - self.at
            ));
        }
        Ok(n)
    }
}

/// Events for another part: deliveries over links and direct sends (no other kind crosses).
pub(crate) fn put_batch(out: &mut Put, batch: &Batch) {
    out.u32(batch.len() as u32);
    for (key, ev) in batch {
        out.key(*key);
        match ev {
            Event::Deliver {
                node,
                port,
                to,
                via,
                msg,
            } => {
                out.u8(0);
                out.u32(node.0);
                out.u16(port.0);
                out.u32(to.0);
                out.u32(via.link.0);
                out.u8(via.dir);
                out.u32(via.epoch);
                out.msg(msg);
            }
            Event::Direct { node, msg } => {
                out.u8(1);
                out.u32(node.0);
                out.msg(msg);
            }
            // The kernel sends no other kind to another part (`schedule_for`, `push_for`).
            _ => out.u8(255),
        }
    }
}

/// Reads [`put_batch`]'s events.
pub(crate) fn get_batch(b: &[u8]) -> R<Batch> {
    let mut g = Get::new(b);
    let n = g.len("events")?;
    let mut batch = Vec::with_capacity(n);
    for _ in 0..n {
        let key = g.key("event key")?;
        let ev = match g.u8("event kind")? {
            0 => Event::Deliver {
                node: NodeId(g.u32("node")?),
                port: PortId(g.u16("port")?),
                to: match g.u32("worker")? {
                    u32::MAX => EVERY_WORKER,
                    w => WorkerId(w),
                },
                via: LinkArrival {
                    link: LinkId(g.u32("link")?),
                    dir: g.u8("direction")?,
                    epoch: g.u32("epoch")?,
                },
                msg: g.msg()?,
            },
            1 => Event::Direct {
                node: NodeId(g.u32("node")?),
                msg: g.msg()?,
            },
            k => return Err(format!("event kind {k}: not a delivery or a direct send")),
        };
        batch.push((key, ev));
    }
    Ok(batch)
}

const KINDS: [TraceKind; 12] = [
    TraceKind::Start,
    TraceKind::Send,
    TraceKind::Deliver,
    TraceKind::Drop,
    TraceKind::Direct,
    TraceKind::Timer,
    TraceKind::Log,
    TraceKind::Error,
    TraceKind::LinkState,
    TraceKind::Sample,
    TraceKind::Record,
    TraceKind::Fault,
];

/// Fault records' kinds, as the kernel names them.
const FAULTS: [&str; 11] = [
    "partition",
    "cut",
    "heal",
    "hold",
    "release",
    "crash",
    "restart",
    "link_down",
    "link_up",
    "link_faults",
    "boot",
];

fn put_value(out: &mut Put, v: &RecordValue) {
    match v {
        RecordValue::Int(i) => {
            out.u8(0);
            out.u64(*i as u64);
        }
        RecordValue::Float(f) => {
            out.u8(1);
            out.u64(f.to_bits());
        }
        RecordValue::Bool(b) => {
            out.u8(2);
            out.u8(*b as u8);
        }
        RecordValue::Text(s) => {
            out.u8(3);
            out.str(s);
        }
    }
}

fn get_value(g: &mut Get) -> R<RecordValue> {
    Ok(match g.u8("record value kind")? {
        0 => RecordValue::Int(g.u64("record value")? as i64),
        1 => RecordValue::Float(f64::from_bits(g.u64("record value")?)),
        2 => RecordValue::Bool(g.u8("record value")? != 0),
        3 => RecordValue::Text(g.str("record value")?),
        k => return Err(format!("record value kind {k}")),
    })
}

/// A window's writings (see [`Writings`]).
pub(crate) fn put_writings(out: &mut Put, w: &Writings) {
    out.u32(w.events.len() as u32);
    for k in &w.events {
        out.key(*k);
    }
    out.u32(w.hashed.len() as u32);
    for e in &w.hashed {
        out.u32(e.event);
        out.u32(e.records);
        out.u64(e.value);
    }
    out.u32(w.trace.len() as u32);
    for (t, r) in &w.trace {
        out.tag(t);
        out.time(r.time);
        out.u8(KINDS.iter().position(|k| *k == r.kind).unwrap_or(0) as u8);
        match r.msg {
            Some(m) => {
                out.u8(1);
                out.u32(m.node);
                out.u64(m.seq);
            }
            None => out.u8(0),
        }
        out.u32(r.src);
        out.u32(r.dst);
        out.u16(r.port);
        out.u32(r.bytes);
        out.str(&r.detail);
        match &r.payload {
            Some(m) => {
                out.u8(1);
                out.msg(m);
            }
            None => out.u8(0),
        }
    }
    out.u32(w.logs.len() as u32);
    for (t, l) in &w.logs {
        out.tag(t);
        out.time(l.time);
        out.u32(l.node.0);
        out.u32(l.worker.0);
        out.u8((l.stream == LogStream::Err) as u8);
        out.str(&l.text);
    }
    out.u32(w.records.len() as u32);
    for (t, r) in &w.records {
        out.tag(t);
        out.time(r.time);
        out.u32(r.node.0);
        out.u32(r.worker.0);
        out.str(&r.name);
        put_value(out, &r.value);
    }
    out.u32(w.faults.len() as u32);
    for (t, f) in &w.faults {
        out.tag(t);
        out.time(f.time);
        out.str(f.kind);
        out.u32(f.node.map_or(u32::MAX, |n| n.0));
        out.u32(f.link.map_or(u32::MAX, |l| l.0));
        out.str(&f.detail);
    }
}

/// Reads [`put_writings`]'s writings.
pub(crate) fn get_writings(b: &[u8]) -> R<Writings> {
    let mut g = Get::new(b);
    let mut w = Writings::default();
    for _ in 0..g.len("events")? {
        w.events.push(g.key("event key")?);
    }
    for _ in 0..g.len("hashed events")? {
        w.hashed.push(HashedEvent {
            event: g.u32("hashed event")?,
            records: g.u32("hashed records")?,
            value: g.u64("event hash")?,
        });
    }
    for _ in 0..g.len("trace records")? {
        let tag = g.tag()?;
        let time = g.time("record time")?;
        let kind = g.u8("record kind")?;
        let kind = *KINDS
            .get(kind as usize)
            .ok_or_else(|| format!("record kind {kind}"))?;
        let msg = match g.u8("record message")? {
            0 => None,
            _ => Some(MessageId {
                node: g.u32("message node")?,
                seq: g.u64("message seq")?,
            }),
        };
        let r = PartRecord {
            time,
            kind,
            msg,
            src: g.u32("record source")?,
            dst: g.u32("record target")?,
            port: g.u16("record port")?,
            bytes: g.u32("record bytes")?,
            detail: g.str("record detail")?.into(),
            payload: match g.u8("record payload")? {
                0 => None,
                _ => Some(g.msg()?),
            },
        };
        w.trace.push((tag, r));
    }
    for _ in 0..g.len("lines")? {
        let tag = g.tag()?;
        let line = LogLine {
            time: g.time("line time")?,
            node: NodeId(g.u32("line node")?),
            worker: WorkerId(g.u32("line worker")?),
            stream: if g.u8("line stream")? == 1 {
                LogStream::Err
            } else {
                LogStream::Out
            },
            text: g.str("line text")?,
        };
        w.logs.push((tag, line));
    }
    for _ in 0..g.len("records")? {
        let tag = g.tag()?;
        let r = Record {
            time: g.time("record time")?,
            node: NodeId(g.u32("record node")?),
            worker: WorkerId(g.u32("record worker")?),
            name: g.str("record name")?,
            value: get_value(&mut g)?,
        };
        w.records.push((tag, r));
    }
    for _ in 0..g.len("fault records")? {
        let tag = g.tag()?;
        let time = g.time("fault time")?;
        let kind = g.str("fault kind")?;
        let kind = *FAULTS
            .iter()
            .find(|k| **k == kind)
            .ok_or_else(|| format!("fault kind `{kind}`"))?;
        let node = g.u32("fault node")?;
        let link = g.u32("fault link")?;
        let f = FaultRecord {
            time,
            kind,
            node: (node != u32::MAX).then_some(NodeId(node)),
            link: (link != u32::MAX).then_some(LinkId(link)),
            detail: g.str("fault detail")?,
        };
        w.faults.push((tag, f));
    }
    Ok(w)
}

const STATES: [WorkerState; 7] = [
    WorkerState::Starting,
    WorkerState::Running,
    WorkerState::Waiting,
    WorkerState::Finished,
    WorkerState::Killed,
    WorkerState::Failed,
    WorkerState::Crashed,
];

/// Writes and reads a struct of counters as its fields in a fixed order, each field named once
/// (the order is the wire format).
macro_rules! counters {
    ($put:ident, $get:ident, $T:ident { $($f:ident),* $(,)? }) => {
        fn $put(out: &mut Put, s: &$T) {
            out.counts(&[$(s.$f),*]);
        }
        fn $get(g: &mut Get<'_>, what: &str) -> R<$T> {
            const N: usize = [$(stringify!($f)),*].len();
            let mut c = g.counts::<N>(what)?.into_iter();
            Ok($T {
                $($f: c.next().unwrap_or(0)),*
            })
        }
    };
}

counters!(
    put_link,
    get_link,
    LinkStats {
        sent,
        delivered,
        dropped_queue_full,
        dropped_loss,
        dropped_link_down,
        dropped_cut,
        dropped_node_down,
        bytes_sent,
        bytes_delivered,
        queue_delay_total,
        queue_delay_max,
    }
);
counters!(
    put_node,
    get_node,
    NodeStats {
        port_sends,
        direct_sends,
        received,
        bytes_received,
        timers,
        dropped_node_down,
    }
);
counters!(
    put_faults,
    get_faults,
    FaultStats {
        crashes,
        restarts,
        partitions,
        cuts,
        heals,
        directions_cut,
        links_down,
        links_up,
        held,
        released,
        duplicated,
        corrupted,
        spiked,
        dropped_cut,
        dropped_node_down,
    }
);
counters!(
    put_agents,
    get_agents,
    AgentCounts {
        placed,
        arrived,
        departed,
        cloned,
        finished,
        failed,
        killed,
        refused,
    }
);
counters!(
    put_tuples,
    get_tuples,
    TupleCounts {
        outs,
        reads,
        takes,
        misses,
        waits,
        expired,
    }
);

/// A part's final state (see [`PartFinal`]).
pub(crate) fn put_final(out: &mut Put, f: &PartFinal) {
    out.u32(f.nodes.len() as u32);
    for (n, s, workers, life, boots) in &f.nodes {
        out.u32(*n);
        put_node(out, s);
        out.u32(workers.len() as u32);
        for w in workers.iter() {
            out.u8(STATES.iter().position(|s| s == w).unwrap_or(0) as u8);
        }
        out.u8(match life {
            NodeLife::Up => 0,
            NodeLife::Down => 1,
            NodeLife::Booting => 2,
        });
        out.u32(*boots);
    }
    out.u32(f.links.len() as u32);
    for [a, b] in &f.links {
        put_link(out, a);
        put_link(out, b);
    }
    put_faults(out, &f.faults);
    out.u32(f.agents.len() as u32);
    for (n, a) in &f.agents {
        out.u32(*n);
        put_agents(out, a);
    }
    out.u32(f.tuples.len() as u32);
    for (n, t) in &f.tuples {
        out.u32(*n);
        put_tuples(out, t);
    }
    out.u64(f.events);
    out.time(f.now);
}

/// Reads [`put_final`]'s state.
pub(crate) fn get_final(b: &[u8]) -> R<PartFinal> {
    let mut g = Get::new(b);
    let mut nodes = Vec::new();
    for _ in 0..g.len("nodes")? {
        let n = g.u32("node")?;
        let stats = get_node(&mut g, "node counters")?;
        let mut workers = super::worker_states::WorkerStates::default();
        for _ in 0..g.len("workers")? {
            let s = g.u8("worker state")?;
            workers.push(
                *STATES
                    .get(s as usize)
                    .ok_or_else(|| format!("worker state {s}"))?,
            );
        }
        let life = match g.u8("node life")? {
            0 => NodeLife::Up,
            1 => NodeLife::Down,
            _ => NodeLife::Booting,
        };
        nodes.push((n, stats, workers, life, g.u32("boots")?));
    }
    let mut links = Vec::new();
    for _ in 0..g.len("links")? {
        let a = get_link(&mut g, "link counters")?;
        let b = get_link(&mut g, "link counters")?;
        links.push([a, b]);
    }
    let faults = get_faults(&mut g, "fault counters")?;
    let mut agents = Vec::new();
    for _ in 0..g.len("platforms")? {
        let n = g.u32("platform node")?;
        let a = get_agents(&mut g, "agent counts")?;
        agents.push((n, a));
    }
    let mut tuples = Vec::new();
    for _ in 0..g.len("tuple spaces")? {
        let n = g.u32("tuple space node")?;
        let t = get_tuples(&mut g, "tuple counts")?;
        tuples.push((n, t));
    }
    Ok(PartFinal {
        nodes,
        links,
        faults,
        agents,
        tuples,
        events: g.u64("events")?,
        now: g.time("clock")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::PartTracing;
    use crate::{Context, LinkParams, NodeProgram, SimDuration};

    /// Sends a value over its link and straight to the other node, records and logs.
    struct Talk;
    impl NodeProgram for Talk {
        fn on_start(&mut self, ctx: &mut Context) {
            let v = serde_json::json!({"n": ctx.node().0, "s": "x"});
            ctx.send(PortId(0), Message::value(v));
            let other = NodeId(1 - ctx.node().0);
            ctx.send_to(
                other,
                SimDuration::from_millis(2),
                Message::bytes(vec![7, 8]),
            );
            ctx.record("started", 1.5);
            ctx.log("hello");
        }
        fn on_message(&mut self, ctx: &mut Context, _: Option<PortId>, _: Message) {
            ctx.record("got", true);
        }
    }

    fn part(tracing: PartTracing) -> crate::Simulation {
        let mut sim = crate::Simulation::new(3);
        let a = sim.add_node("a").unwrap();
        let b = sim.add_node("b").unwrap();
        let l = LinkParams::new(SimDuration::from_millis(1), 1_000_000);
        sim.link(a, "p", b, "p", l).unwrap();
        sim.add_worker(a, Box::new(Talk));
        sim.add_worker(b, Box::new(Talk));
        sim.enter_part(&[0, 1], 0, 2, SimDuration::from_millis(1), tracing);
        sim
    }

    /// Every prefix of a valid buffer is refused with a message, never a panic.
    fn every_prefix_fails<T>(b: &[u8], get: impl Fn(&[u8]) -> R<T>) {
        for n in 0..b.len() {
            let e = get(&b[..n]).err().unwrap_or_default();
            assert!(
                e.contains("the buffer ends") || e.contains("items in"),
                "{n}: {e}"
            );
        }
    }

    #[test]
    fn what_a_part_sends_reads_back_the_same() {
        let mut sim = part(PartTracing::Records);
        sim.run_part_until(SimTime::from_millis(10));
        let batch = sim.take_outbox(1);
        assert_eq!(batch.len(), 2, "a delivery and a direct send for b");
        let mut out = Put::default();
        put_batch(&mut out, &batch);
        let back = get_batch(&out.0).unwrap();
        let mut again = Put::default();
        put_batch(&mut again, &back);
        assert_eq!(out.0, again.0);
        every_prefix_fails(&out.0, get_batch);

        let w = sim.take_writings();
        assert!(!w.trace.is_empty() && !w.logs.is_empty() && !w.records.is_empty());
        let mut out = Put::default();
        put_writings(&mut out, &w);
        let mut again = Put::default();
        put_writings(&mut again, &get_writings(&out.0).unwrap());
        assert_eq!(out.0, again.0);
        every_prefix_fails(&out.0, get_writings);

        let f = sim.part_final();
        let mut out = Put::default();
        put_final(&mut out, &f);
        let mut again = Put::default();
        put_final(&mut again, &get_final(&out.0).unwrap());
        assert_eq!(out.0, again.0);
        every_prefix_fails(&out.0, get_final);
    }

    #[test]
    fn a_hashing_part_sends_its_events_hashes_not_their_records() {
        let mut sim = part(PartTracing::Hash);
        sim.run_part_until(SimTime::from_millis(10));
        let w = sim.take_writings();
        assert!(
            w.trace.is_empty(),
            "a's events are node events: hashed here"
        );
        assert!(!w.hashed.is_empty());
        assert!(w.hashed.iter().all(|e| e.records > 0));
        let mut out = Put::default();
        put_writings(&mut out, &w);
        let back = get_writings(&out.0).unwrap();
        assert_eq!(back.hashed, w.hashed);
        every_prefix_fails(&out.0, get_writings);
    }

    #[test]
    fn nonsense_is_refused_by_name() {
        let mut bad = Put::default();
        bad.u32(1);
        bad.key(EventKey::new(SimTime::ZERO, 0, 0));
        bad.u8(9);
        let e = get_batch(&bad.0).err().unwrap_or_default();
        assert_eq!(e, "event kind 9: not a delivery or a direct send");
        let mut huge = Put::default();
        huge.u32(u32::MAX);
        let e = get_writings(&huge.0).err().unwrap_or_default();
        assert_eq!(e, "events: 4294967295 items in 0 bytes");
    }
}
