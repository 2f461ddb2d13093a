//! Messages: a payload (bytes or a JSON-like value) and the size the link model charges for it.

use std::sync::{Arc, OnceLock};

use super::NodeId;
use super::packed::PackedValue;
use crate::time::SimTime;

/// What a message carries.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Payload {
    /// No content: a pure event (PHOLD, tokens).
    #[default]
    Empty,
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// A JSON-like value (nil, booleans, integers, floats, strings, arrays, objects).
    Value(serde_json::Value),
}

/// The payload of a message without one.
static EMPTY: Payload = Payload::Empty;

/// What a message with a payload points at: the payload, or a packed value (from a Lua
/// worker, for a Lua worker) that becomes the payload when someone else first asks for it.
struct Body {
    packed: Option<PackedValue>,
    payload: OnceLock<Payload>,
}

impl Body {
    fn new(payload: Payload) -> Arc<Body> {
        Arc::new(Body {
            packed: None,
            payload: OnceLock::from(payload),
        })
    }
    fn payload(&self) -> &Payload {
        self.payload.get_or_init(|| match &self.packed {
            Some(p) => Payload::Value(p.to_value()),
            None => Payload::Empty,
        })
    }
}

impl PartialEq for Body {
    fn eq(&self, other: &Body) -> bool {
        self.payload() == other.payload()
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.payload().fmt(f)
    }
}

/// A message between node programs.
///
/// `size` is what links charge for: serialization takes `size·8/bandwidth`. It defaults to the
/// payload's natural length (bytes, or the value's compact JSON text) and can be overridden to
/// model headers or compression.
///
/// The kernel stamps a message when it is sent: the sending node ([`src`](Message::src)) and
/// the virtual time it left ([`sent_at`](Message::sent_at)); a message forwarded is a new send,
/// with a new stamp.
///
/// Cloning is cheap: the payload is shared (reference-counted), so a CMUX port fanning a
/// message out to many links and workers copies no data. One thin pointer for the payload
/// keeps a message at 24 bytes, and every pending event within 48.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    body: Option<Arc<Body>>,
    sent: SimTime,
    size: u32,
    src: NodeId,
}

impl Message {
    /// A message with no payload and size 0.
    pub fn empty() -> Self {
        Message {
            body: None,
            sent: SimTime::ZERO,
            size: 0,
            src: NodeId(0),
        }
    }
    /// A message carrying `bytes`, sized by their length.
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Self {
        let b: Vec<u8> = bytes.into();
        let size = u32::try_from(b.len()).unwrap_or(u32::MAX);
        Message {
            body: Some(Body::new(Payload::Bytes(b))),
            size,
            ..Message::empty()
        }
    }
    /// A message carrying a JSON-like value, sized by its compact JSON encoding.
    pub fn value(v: serde_json::Value) -> Self {
        let size = json_len(&v);
        Message {
            body: Some(Body::new(Payload::Value(v))),
            size: u32::try_from(size).unwrap_or(u32::MAX),
            ..Message::empty()
        }
    }
    /// A message carrying a packed value, sized by its compact JSON encoding.
    pub(crate) fn packed(v: PackedValue) -> Self {
        let size = u32::try_from(v.json_len()).unwrap_or(u32::MAX);
        Message {
            body: Some(Arc::new(Body {
                packed: Some(v),
                payload: OnceLock::new(),
            })),
            size,
            ..Message::empty()
        }
    }
    /// The packed value, if the message was sent as one.
    pub(crate) fn as_packed(&self) -> Option<&PackedValue> {
        self.body.as_ref()?.packed.as_ref()
    }
    /// The same message, charged as `size` bytes by links.
    pub fn with_size(mut self, size: u32) -> Self {
        self.size = size;
        self
    }
    /// The payload.
    pub fn payload(&self) -> &Payload {
        self.body.as_deref().map_or(&EMPTY, Body::payload)
    }
    /// The JSON-like value, if the payload is one.
    pub fn as_value(&self) -> Option<&serde_json::Value> {
        match self.payload() {
            Payload::Value(v) => Some(v),
            _ => None,
        }
    }
    /// The bytes, if the payload is bytes.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self.payload() {
            Payload::Bytes(b) => Some(b),
            _ => None,
        }
    }
    /// Size in bytes as charged by links.
    pub fn size(&self) -> u32 {
        self.size
    }
    /// The node that sent it (stamped by the kernel on send).
    pub fn src(&self) -> NodeId {
        self.src
    }
    /// When it was sent, in virtual time (stamped by the kernel on send): with
    /// [`Context::now`](crate::Context::now) at delivery, what the message took.
    pub fn sent_at(&self) -> SimTime {
        self.sent
    }
    /// The same message (size, sender, time) carrying `body` instead: a corrupted copy.
    pub(crate) fn with_payload(&self, body: Payload) -> Message {
        Message {
            body: Some(Body::new(body)),
            ..self.clone()
        }
    }
    pub(crate) fn stamp(&mut self, src: NodeId, sent: SimTime) {
        (self.src, self.sent) = (src, sent);
    }
}

/// Length of `v`'s compact JSON encoding, counted without building it.
pub(super) fn json_len(v: &impl serde::Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    // Writing to a counter cannot fail, and values and numbers always serialize.
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}
