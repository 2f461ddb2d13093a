//! Messages: a payload (bytes or a JSON-like value) and the size the link model charges for it.

use std::sync::Arc;

use super::NodeId;

/// What a message carries. Cloning is cheap (reference-counted), so a CMUX port fanning a
/// message out to many links and workers copies no data. Thin pointers keep it at 16 bytes,
/// which keeps every pending event small.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Payload {
    /// No content: a pure event (PHOLD, tokens).
    #[default]
    Empty,
    /// Raw bytes.
    Bytes(Arc<Vec<u8>>),
    /// A JSON-like value (nil, booleans, integers, floats, strings, arrays, objects).
    Value(Arc<serde_json::Value>),
}

/// A message between node programs.
///
/// `size` is what links charge for: serialization takes `size·8/bandwidth`. It defaults to the
/// payload's natural length (bytes, or the value's compact JSON text) and can be overridden to
/// model headers or compression.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    payload: Payload,
    size: u32,
    src: NodeId,
}

impl Message {
    /// A message with no payload and size 0.
    pub fn empty() -> Self {
        Message {
            payload: Payload::Empty,
            size: 0,
            src: NodeId(0),
        }
    }
    /// A message carrying `bytes`, sized by their length.
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Self {
        let b: Arc<Vec<u8>> = Arc::new(bytes.into());
        let size = u32::try_from(b.len()).unwrap_or(u32::MAX);
        Message {
            payload: Payload::Bytes(b),
            size,
            src: NodeId(0),
        }
    }
    /// A message carrying a JSON-like value, sized by its compact JSON encoding.
    pub fn value(v: serde_json::Value) -> Self {
        let size = json_len(&v);
        Message {
            payload: Payload::Value(Arc::new(v)),
            size: u32::try_from(size).unwrap_or(u32::MAX),
            src: NodeId(0),
        }
    }
    /// The same message, charged as `size` bytes by links.
    pub fn with_size(mut self, size: u32) -> Self {
        self.size = size;
        self
    }
    /// The payload.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }
    /// The JSON-like value, if the payload is one.
    pub fn as_value(&self) -> Option<&serde_json::Value> {
        match &self.payload {
            Payload::Value(v) => Some(v),
            _ => None,
        }
    }
    /// The bytes, if the payload is bytes.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.payload {
            Payload::Bytes(b) => Some(b),
            _ => None,
        }
    }
    /// Size in bytes as charged by links.
    pub fn size(&self) -> u32 {
        self.size
    }
    /// The node that sent it (set by the kernel on send).
    pub fn src(&self) -> NodeId {
        self.src
    }
    pub(crate) fn set_src(&mut self, src: NodeId) {
        self.src = src;
    }
}

/// Length of `v`'s compact JSON encoding, counted without building it.
fn json_len(v: &serde_json::Value) -> usize {
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
    // Writing to a counter cannot fail, and a Value always serializes.
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}
