//! What browsers see of a run, gathered between batches: a trace sink that keeps message
//! events (thinned evenly, whole messages at a time, when there are more than anyone can see)
//! and sensor readings, and the thinning of recorded values.

use vnet_sim::net::Payload;
use vnet_sim::trace::{TraceKind, TraceRecord, TraceSink};

use crate::protocol::{MAX_MESSAGES_PER_BATCH, MAX_POINTS_PER_BATCH, MessageEvent, Point};

/// The longest message value a browser is shown, in characters.
const MAX_VALUE_TEXT: usize = 256;

/// Messages and readings seen since the last batch.
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) kept: Vec<MessageEvent>,
    pub(crate) total: u64,
    /// Keep the messages whose id hashes to a multiple of `stride` (a power of two, doubled
    /// whenever `kept` fills), so a kept send keeps its delivery.
    stride: u64,
    pub(crate) deliveries: u64,
    pub(crate) readings: Thinned<Point>,
}

/// A list that keeps one in `stride` of what is pushed, doubling `stride` (and halving what
/// it holds) whenever it reaches [`MAX_POINTS_PER_BATCH`]: an even sample in bounded memory.
pub(crate) struct Thinned<T> {
    items: Vec<T>,
    stride: u64,
    pushed: u64,
}

impl<T> Default for Thinned<T> {
    fn default() -> Self {
        Thinned {
            items: Vec::new(),
            stride: 1,
            pushed: 0,
        }
    }
}

impl<T> Thinned<T> {
    pub(crate) fn push(&mut self, item: T) {
        self.pushed += 1;
        if self.pushed % self.stride != 0 {
            return;
        }
        self.items.push(item);
        if self.items.len() >= MAX_POINTS_PER_BATCH {
            let mut i = 0;
            self.items.retain(|_| {
                i += 1;
                i % 2 == 0
            });
            self.stride *= 2;
        }
    }

    pub(crate) fn into_vec(self) -> Vec<T> {
        self.items
    }
}

/// A well-mixed hash of a message id (SplitMix64's finaliser).
fn mix(node: u32, seq: u64) -> u64 {
    let mut z = seq ^ (u64::from(node) << 40) ^ 0x9e37_79b9_7f4a_7c15;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A payload as a person reads it, cut short.
pub(crate) fn value_text(p: &Payload) -> String {
    let mut s = match p {
        Payload::Empty => "null".to_owned(),
        Payload::Value(v) => v.to_string(),
        Payload::Bytes(b) => serde_json::Value::from(b.clone()).to_string(),
    };
    if s.chars().count() > MAX_VALUE_TEXT {
        s = s.chars().take(MAX_VALUE_TEXT - 1).collect::<String>() + "…";
    }
    s
}

impl Seen {
    /// Takes what was seen, leaving the delivery count (step-to-message counts on it).
    pub(crate) fn take(&mut self) -> Seen {
        let deliveries = self.deliveries;
        let out = std::mem::take(self);
        self.deliveries = deliveries;
        out
    }
}

impl TraceSink for Seen {
    fn record(&mut self, r: &TraceRecord<'_>) {
        let kind = match r.kind {
            TraceKind::Send => "send",
            TraceKind::Deliver => "deliver",
            TraceKind::Drop => "drop",
            TraceKind::Sample => {
                if let Some(Payload::Value(v)) = r.payload.map(|m| m.payload())
                    && let Some(value) = v.as_f64()
                {
                    self.readings.push(Point {
                        t_ns: r.time.as_nanos(),
                        node: r.dst_name.into(),
                        name: r.detail.into(),
                        value,
                    });
                }
                return;
            }
            _ => return,
        };
        if r.kind == TraceKind::Deliver {
            self.deliveries += 1;
        }
        self.total += 1;
        let stride = self.stride.max(1);
        let h = r.msg.map_or(self.total, |m| mix(m.node, m.seq));
        if h % stride != 0 {
            return;
        }
        self.kept.push(MessageEvent {
            t_ns: r.time.as_nanos(),
            kind: kind.into(),
            id: r.msg.map(|m| m.to_string()).unwrap_or_default(),
            src: r.src_name.into(),
            dst: r.dst_name.into(),
            bytes: r.bytes,
            detail: r.detail.into(),
            value: (r.kind == TraceKind::Send)
                .then(|| r.payload.map(|m| value_text(m.payload())))
                .flatten(),
        });
        if self.kept.len() >= MAX_MESSAGES_PER_BATCH {
            // Keep the messages whose hash is a multiple of twice the stride, from now on too.
            let next = stride * 2;
            self.kept
                .retain(|e| parse_id(&e.id).is_none_or(|(node, seq)| mix(node, seq) % next == 0));
            self.stride = next;
        }
    }
}

fn parse_id(id: &str) -> Option<(u32, u64)> {
    let (n, s) = id.split_once('#')?;
    Some((n.parse().ok()?, s.parse().ok()?))
}
