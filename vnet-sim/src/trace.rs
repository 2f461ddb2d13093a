//! Event traces: what happened, when, between whom. Off by default, and then free: the kernel
//! checks one `Option` per event.
//!
//! A trace is any [`TraceSink`]; the ones here write CSV or JSON lines, hash the run
//! ([`TraceHash`], for determinism checks), or fan out to several sinks ([`Tee`]).

use std::io::Write;

use crate::queue::EventKey;
use crate::time::SimTime;

/// What a trace record describes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// A worker started (`src` = `dst` = the node).
    Start,
    /// A message left `src` on a link towards `dst` (one record per link of the port).
    Send,
    /// A message was handed to `dst`'s workers.
    Deliver,
    /// A message from `src` to `dst` was lost; `detail` gives the cause.
    Drop,
    /// A direct (kernel-scheduled) message from `src` to `dst` was scheduled.
    Direct,
    /// A timer fired at `dst`.
    Timer,
    /// A worker wrote `detail` to its standard output.
    Log,
    /// A worker wrote `detail` to its standard error (errors, tracebacks).
    Error,
    /// A link went up or down (`detail`: `up`/`down`).
    LinkState,
    /// A sensor of `dst` reported a reading on `port` (`detail`: the sensor's name).
    Sample,
    /// A worker of `dst` recorded a value (`detail`: `name=value`).
    Record,
    /// A fault took effect (`detail`: its name and what it concerns: `crash n3`,
    /// `partition n0,n1 | n2`); see [`crate::faults`].
    Fault,
}

impl TraceKind {
    /// Lower-case name used in CSV and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TraceKind::Start => "start",
            TraceKind::Send => "send",
            TraceKind::Deliver => "deliver",
            TraceKind::Drop => "drop",
            TraceKind::Direct => "direct",
            TraceKind::Timer => "timer",
            TraceKind::Log => "log",
            TraceKind::Error => "error",
            TraceKind::LinkState => "link_state",
            TraceKind::Sample => "sample",
            TraceKind::Record => "record",
            TraceKind::Fault => "fault",
        }
    }
}

/// One traced event. Node fields are node ids; `port` is the port's name ("" if none).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct TraceRecord<'a> {
    /// The event that wrote it (`None` before the first event): the records of one event
    /// come one after another. Not part of the CSV or JSON-lines forms.
    pub event: Option<EventKey>,
    /// Virtual time.
    pub time: SimTime,
    /// What happened.
    pub kind: TraceKind,
    /// Which transmission, for `send`, `deliver`, `drop` and `direct` records: a send and its
    /// delivery (or drop) share it.
    pub msg: Option<MessageId>,
    /// The node that caused it.
    pub src: u32,
    /// Its name.
    pub src_name: &'a str,
    /// The node it happened to.
    pub dst: u32,
    /// Its name.
    pub dst_name: &'a str,
    /// The port involved, if any.
    pub port: &'a str,
    /// Message size in bytes (0 if no message).
    pub bytes: u32,
    /// Extra text: a drop cause, a log line.
    pub detail: &'a str,
    /// The message, for `send`, `deliver`, `drop` and `direct` records: its content (what a
    /// packet capture writes; [`Message::payload`](crate::net::Message::payload) decodes it
    /// only when a sink asks); not part of the CSV, JSON-lines or hash forms.
    pub payload: Option<&'a crate::net::Message>,
}

/// One transmission of a message in a trace — one link's copy, one sibling worker's, one direct
/// send: the node that caused it and that node's count of events (its place in the kernel's
/// same-instant order). Its `send` (or `direct`) record and its `deliver` or `drop` record carry
/// the same id. Shown as `3#17`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId {
    /// The sending node.
    pub node: u32,
    /// The sending node's event count when it was scheduled.
    pub seq: u64,
}

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.node, self.seq)
    }
}

/// Receives trace records in the order events run.
pub trait TraceSink {
    /// Takes one record. Errors writing are the sink's to keep (see [`WriterTrace::error`]).
    fn record(&mut self, r: &TraceRecord<'_>);
    /// Called when the simulation is done with the sink (flush buffers).
    fn finish(&mut self) {}
}

/// Output format of a [`WriterTrace`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    /// `time_ns,kind,msg,src,src_name,dst,dst_name,port,bytes,detail` with a header line
    /// (`msg` empty for records of no message).
    Csv,
    /// One JSON object per line with the same fields.
    Jsonl,
}

/// Writes records as CSV or JSON lines to any writer (buffer it: a file gets one write per record).
pub struct WriterTrace<W: Write> {
    out: W,
    format: TraceFormat,
    header_done: bool,
    error: Option<std::io::Error>,
}

impl<W: Write> WriterTrace<W> {
    /// A sink writing `format` to `out`.
    pub fn new(out: W, format: TraceFormat) -> Self {
        WriterTrace {
            out,
            format,
            header_done: false,
            error: None,
        }
    }
    /// The first write error, if any (later records are skipped after one).
    pub fn error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }
    /// The writer, e.g. to read an in-memory trace.
    pub fn get_ref(&self) -> &W {
        &self.out
    }
    /// The writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn write(&mut self, r: &TraceRecord<'_>) -> std::io::Result<()> {
        match self.format {
            TraceFormat::Csv => {
                if !self.header_done {
                    writeln!(
                        self.out,
                        "time_ns,kind,msg,src,src_name,dst,dst_name,port,bytes,detail"
                    )?;
                    self.header_done = true;
                }
                writeln!(
                    self.out,
                    "{},{},{},{},{},{},{},{},{},{}",
                    r.time.as_nanos(),
                    r.kind.as_str(),
                    r.msg.map(|m| m.to_string()).unwrap_or_default(),
                    r.src,
                    csv_field(r.src_name),
                    r.dst,
                    csv_field(r.dst_name),
                    csv_field(r.port),
                    r.bytes,
                    csv_field(r.detail)
                )
            }
            TraceFormat::Jsonl => {
                let v = serde_json::json!({
                    "time_ns": r.time.as_nanos(), "kind": r.kind.as_str(),
                    "msg": r.msg.map(|m| m.to_string()),
                    "src": r.src, "src_name": r.src_name, "dst": r.dst, "dst_name": r.dst_name,
                    "port": r.port, "bytes": r.bytes, "detail": r.detail,
                });
                writeln!(self.out, "{v}")
            }
        }
    }
}

/// Quotes a CSV field when it needs it.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

impl<W: Write> TraceSink for WriterTrace<W> {
    fn record(&mut self, r: &TraceRecord<'_>) {
        if self.error.is_none() {
            if let Err(e) = self.write(r) {
                self.error = Some(e);
            }
        }
    }
    fn finish(&mut self) {
        if let Err(e) = self.out.flush() {
            self.error.get_or_insert(e);
        }
    }
}

/// A 64-bit hash of a run's trace, for determinism checks: equal hashes mean (with
/// overwhelming probability) runs that ran the same events, each writing the same records in
/// the same order. Stable across platforms, Rust versions and thread counts.
///
/// Each event's records (they come one after another, with the same
/// [`event`](TraceRecord::event)) are hashed in order with 64-bit FNV-1a, starting from the
/// event's key; every field but the names and the payload counts. The run's hash is the
/// wrapping sum of its events' hashes, each first mixed by the `splitmix64` finaliser. A sum
/// does not depend on the order in which events are added, so the parts of a parallel run
/// hash their own events and the results are added up ([`add`](Self::add)). The order of the
/// events themselves is fixed by their keys (and the kernel's rules for equal times), so a
/// run that ran its events in another order ran other keys or wrote other records.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use vnet_sim::trace::TraceHash;
/// use vnet_sim::{Message, SimTime, Simulation};
///
/// // Two messages into a node, `size` bytes each: the hash and how many records it saw.
/// let run = |size: usize| {
///     let mut sim = Simulation::new(1);
///     let n = sim.add_node("n").unwrap();
///     let hash = Rc::new(RefCell::new(TraceHash::default()));
///     sim.set_trace(Box::new(hash.clone()));
///     for ms in [1, 2] {
///         sim.inject(SimTime::from_millis(ms), n, None, Message::bytes(vec![0; size])).unwrap();
///     }
///     sim.run();
///     let h = hash.borrow();
///     (h.value(), h.records())
/// };
/// assert_eq!(run(3), run(3));
/// assert_eq!(run(3).1, 2);
/// assert_ne!(run(3).0, run(4).0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct TraceHash {
    /// The events finished so far, summed.
    sum: u64,
    records: u64,
    /// The event being hashed: its key and its records so far.
    open: Option<(Option<EventKey>, EventHash)>,
}

impl TraceHash {
    /// The hash so far.
    pub fn value(&self) -> u64 {
        self.sum
            .wrapping_add(self.open.as_ref().map_or(0, |(_, h)| h.value()))
    }
    /// Records hashed so far.
    pub fn records(&self) -> u64 {
        self.records
    }
    /// Adds the hash of other events than this one's (another part's of a parallel run):
    /// the result is the hash of all of them.
    pub fn add(&mut self, other: &TraceHash) {
        self.sum = self.sum.wrapping_add(other.value());
        self.records += other.records;
    }
    /// Adds events hashed elsewhere: their summed value and their records.
    pub(crate) fn add_value(&mut self, value: u64, records: u64) {
        self.sum = self.sum.wrapping_add(value);
        self.records += records;
    }
}

impl TraceSink for TraceHash {
    fn record(&mut self, r: &TraceRecord<'_>) {
        self.records += 1;
        match &mut self.open {
            Some((event, h)) if *event == r.event => h.record(r),
            open => {
                if let Some((_, h)) = open.take() {
                    self.sum = self.sum.wrapping_add(h.value());
                }
                let mut h = EventHash::new(r.event);
                h.record(r);
                *open = Some((r.event, h));
            }
        }
    }
}

/// One event's records hashed as [`TraceHash`] hashes them.
#[derive(Clone, Debug)]
pub(crate) struct EventHash(u64);

impl EventHash {
    /// The hash of no record yet of the event `event`.
    pub(crate) fn new(event: Option<EventKey>) -> Self {
        let mut h = EventHash(0xcbf2_9ce4_8422_2325);
        match event {
            Some(k) => {
                h.eat(&[1]);
                h.eat(&k.time().as_nanos().to_le_bytes());
                h.eat(&k.source().to_le_bytes());
                h.eat(&k.seq().to_le_bytes());
            }
            None => h.eat(&[0]),
        }
        h
    }

    #[inline]
    fn eat(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// Adds the next record (its event is this one's).
    pub(crate) fn record(&mut self, r: &TraceRecord<'_>) {
        self.eat(&r.time.as_nanos().to_le_bytes());
        self.eat(r.kind.as_str().as_bytes());
        if let Some(m) = r.msg {
            self.eat(&m.node.to_le_bytes());
            self.eat(&m.seq.to_le_bytes());
        }
        self.eat(&r.src.to_le_bytes());
        self.eat(&r.dst.to_le_bytes());
        self.eat(r.port.as_bytes());
        self.eat(&[0xff]);
        self.eat(&r.bytes.to_le_bytes());
        self.eat(r.detail.as_bytes());
        self.eat(&[0xfe]);
    }

    /// What the event adds to the run's hash.
    pub(crate) fn value(&self) -> u64 {
        // splitmix64's finaliser: a sum of FNV states would let related events cancel out.
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Sends every record to several sinks.
#[derive(Default)]
pub struct Tee(pub Vec<Box<dyn TraceSink>>);

impl TraceSink for Tee {
    fn record(&mut self, r: &TraceRecord<'_>) {
        for s in &mut self.0 {
            s.record(r);
        }
    }
    fn finish(&mut self) {
        for s in &mut self.0 {
            s.finish();
        }
    }
}

/// Shares a sink so the caller can read it after (or during) the run.
impl<T: TraceSink> TraceSink for std::rc::Rc<std::cell::RefCell<T>> {
    fn record(&mut self, r: &TraceRecord<'_>) {
        self.borrow_mut().record(r);
    }
    fn finish(&mut self) {
        self.borrow_mut().finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(event: u64, detail: &str) -> TraceRecord<'_> {
        TraceRecord {
            event: Some(EventKey::new(SimTime::from_nanos(event), 1, event)),
            time: SimTime::from_nanos(event),
            kind: TraceKind::Log,
            msg: None,
            src: 1,
            src_name: "a",
            dst: 1,
            dst_name: "a",
            port: "",
            bytes: 0,
            detail,
            payload: None,
        }
    }

    fn hash<'a>(records: impl IntoIterator<Item = TraceRecord<'a>>) -> TraceHash {
        let mut h = TraceHash::default();
        for r in records {
            h.record(&r);
        }
        h
    }

    #[test]
    fn hashes_of_disjoint_events_add_up_to_the_hash_of_all() {
        let all = hash([record(1, "x"), record(1, "y"), record(2, "z")]);
        let mut first = hash([record(1, "x"), record(1, "y")]);
        first.add(&hash([record(2, "z")]));
        assert_eq!(
            (first.value(), first.records()),
            (all.value(), all.records())
        );
        assert_eq!(all.records(), 3);
        // Events count as a set (their keys fix their order) ...
        let swapped = hash([record(2, "z"), record(1, "x"), record(1, "y")]);
        assert_eq!(swapped.value(), all.value());
        // ... but the order within an event counts, and so does the event a record is in.
        let inner = hash([record(1, "y"), record(1, "x"), record(2, "z")]);
        assert_ne!(inner.value(), all.value());
        let moved = hash([record(1, "x"), record(2, "y"), record(2, "z")]);
        assert_ne!(moved.value(), all.value());
        assert_ne!(hash([]).value(), hash([record(1, "")]).value());
    }
}
