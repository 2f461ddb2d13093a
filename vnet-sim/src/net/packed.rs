//! Packed values: a JSON-like value as one flat byte buffer, for messages between workers of
//! the same engine.
//!
//! A Lua worker sending a table to a Lua worker needs no `serde_json::Value` in between: the
//! sender walks its table into a [`Packer`], the receiver builds its table from a
//! [`PackedReader`], and the message holds one buffer instead of a tree of maps and strings.
//! Everyone else (JavaScript, Rust programs, traces, captures) sees the same value through
//! [`Message::payload`](super::Message::payload), decoded once on first use.
//!
//! The packer computes, as it goes, the length of the value's compact JSON text — the size a
//! link charges — and writes object keys in sorted (byte) order, as `serde_json`'s map keeps
//! them, so a packed message is charged, traced and rebuilt exactly as the same value sent
//! through `serde_json::Value` would be.
//!
//! Layout: one tag byte per value; integers and floats as 8 little-endian bytes; strings, array
//! lengths and object lengths as a `u32` count; an object's entries as key (a string without
//! tag) then value.

use serde_json::{Map, Number, Value};

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INT: u8 = 3;
const FLOAT: u8 = 4;
const STR: u8 = 5;
const ARRAY: u8 = 6;
const OBJECT: u8 = 7;

/// A packed JSON-like value and the length of its compact JSON text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PackedValue {
    bytes: Vec<u8>,
    json_len: usize,
}

impl PackedValue {
    /// The length of the value's compact JSON text.
    pub(crate) fn json_len(&self) -> usize {
        self.json_len
    }
    /// A reader at the start of the value.
    pub(crate) fn reader(&self) -> PackedReader<'_> {
        PackedReader {
            bytes: &self.bytes,
            pos: 0,
        }
    }
    /// The key of an object with exactly one entry.
    pub(crate) fn sole_key(&self) -> Option<&[u8]> {
        let mut r = self.reader();
        match r.next() {
            Item::Object(1) => Some(r.key()),
            _ => None,
        }
    }
    /// The value as a `serde_json::Value`.
    pub(crate) fn to_value(&self) -> Value {
        self.reader().value()
    }
}

/// Builds a [`PackedValue`]: values in order, arrays and objects opened with their length and
/// closed with [`end_object`](Packer::end_object) (arrays need no closing).
pub(crate) struct Packer {
    bytes: Vec<u8>,
    json_len: usize,
    /// Where each entry of the open objects starts (each object's own entries at the top).
    entries: smallvec::SmallVec<[usize; 8]>,
}

impl Default for Packer {
    fn default() -> Self {
        Packer {
            // Most messages are small: one allocation, never grown.
            bytes: Vec::with_capacity(48),
            json_len: 0,
            entries: smallvec::SmallVec::new(),
        }
    }
}

/// An open object: where its entries start in the packer's bookkeeping.
pub(crate) struct ObjectMark {
    first_entry: usize,
}

impl Packer {
    /// The finished value.
    pub(crate) fn finish(self) -> PackedValue {
        PackedValue {
            bytes: self.bytes,
            json_len: self.json_len,
        }
    }
    pub(crate) fn null(&mut self) {
        self.bytes.push(NULL);
        self.json_len += 4;
    }
    pub(crate) fn bool(&mut self, b: bool) {
        self.bytes.push(if b { TRUE } else { FALSE });
        self.json_len += if b { 4 } else { 5 };
    }
    pub(crate) fn int(&mut self, i: i64) {
        self.bytes.push(INT);
        self.bytes.extend_from_slice(&i.to_le_bytes());
        self.json_len += itoa::Buffer::new().format(i).len();
    }
    /// A finite float (JSON has no NaN or infinities): `false` if `f` is not finite.
    pub(crate) fn float(&mut self, f: f64) -> bool {
        let Some(n) = Number::from_f64(f) else {
            return false;
        };
        self.bytes.push(FLOAT);
        self.bytes.extend_from_slice(&f.to_le_bytes());
        self.json_len += super::message::json_len(&n);
        true
    }
    pub(crate) fn string(&mut self, s: &str) {
        self.bytes.push(STR);
        self.raw_string(s);
    }
    /// An array of `n` items: the next `n` values.
    pub(crate) fn begin_array(&mut self, n: u32) {
        self.bytes.push(ARRAY);
        self.bytes.extend_from_slice(&n.to_le_bytes());
        self.json_len += 2 + (n as usize).saturating_sub(1);
    }
    /// An object: then [`key`](Packer::key) and value for each entry, then
    /// [`end_object`](Packer::end_object).
    pub(crate) fn begin_object(&mut self) -> ObjectMark {
        self.bytes.push(OBJECT);
        self.bytes.extend_from_slice(&0u32.to_le_bytes());
        self.json_len += 2;
        ObjectMark {
            first_entry: self.entries.len(),
        }
    }
    /// An entry's key (its value comes next). Keys must be distinct within an object.
    pub(crate) fn key(&mut self, k: &str) {
        self.entries.push(self.bytes.len());
        self.raw_string(k);
        self.json_len += 1;
    }
    /// Closes the object `mark` opened: writes its length and sorts its entries by key.
    pub(crate) fn end_object(&mut self, mark: ObjectMark) {
        let n = self.entries.len() - mark.first_entry;
        self.json_len += n.saturating_sub(1);
        let Some(&first) = self.entries.get(mark.first_entry) else {
            return;
        };
        let len_at = first - 4;
        self.bytes[len_at..first].copy_from_slice(&(n as u32).to_le_bytes());
        let end = self.bytes.len();
        let bytes = &self.bytes;
        let key = |start: usize| -> &[u8] {
            let len = u32::from_le_bytes(read4(bytes, start)) as usize;
            &bytes[start + 4..start + 4 + len]
        };
        let starts = &self.entries[mark.first_entry..];
        if !starts.windows(2).all(|w| key(w[0]) < key(w[1])) {
            // Entry i spans starts[i]..starts[i + 1] (the last, to the end). Small objects
            // sort without touching the allocator.
            let mut order: smallvec::SmallVec<[usize; 8]> = (0..n).collect();
            order.sort_unstable_by(|&a, &b| key(starts[a]).cmp(key(starts[b])));
            let mut sorted = smallvec::SmallVec::<[u8; 128]>::with_capacity(end - first);
            for i in order {
                let to = starts.get(i + 1).map_or(end, |&s| s);
                sorted.extend_from_slice(&bytes[starts[i]..to]);
            }
            self.bytes[first..].copy_from_slice(&sorted);
        }
        self.entries.truncate(mark.first_entry);
    }
    fn raw_string(&mut self, s: &str) {
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(&s.as_bytes()[..len as usize]);
        self.json_len += string_len(s.as_bytes());
    }
}

fn read4(bytes: &[u8], at: usize) -> [u8; 4] {
    let mut b = [0; 4];
    if let Some(s) = bytes.get(at..at + 4) {
        b.copy_from_slice(s);
    }
    b
}

fn read8(bytes: &[u8], at: usize) -> [u8; 8] {
    let mut b = [0; 8];
    if let Some(s) = bytes.get(at..at + 8) {
        b.copy_from_slice(s);
    }
    b
}

/// The length of `s` as a JSON string, quotes included, escaped as `serde_json` escapes.
fn string_len(s: &[u8]) -> usize {
    2 + s
        .iter()
        .map(|&b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..0x20 => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// One value read from a packed buffer.
#[derive(Debug, PartialEq)]
pub(crate) enum Item<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a [u8]),
    /// An array; its `n` items follow.
    Array(u32),
    /// An object; its `n` entries (a [`key`](PackedReader::key), then a value) follow.
    Object(u32),
}

/// Reads a packed value in order.
pub(crate) struct PackedReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> PackedReader<'a> {
    /// The next value (a truncated buffer, which the packer never makes, reads as nulls).
    pub(crate) fn next(&mut self) -> Item<'a> {
        let tag = self.bytes.get(self.pos).copied().unwrap_or(NULL);
        self.pos += 1;
        match tag {
            FALSE => Item::Bool(false),
            TRUE => Item::Bool(true),
            INT => Item::Int(i64::from_le_bytes(self.eight())),
            FLOAT => Item::Float(f64::from_le_bytes(self.eight())),
            STR => Item::Str(self.raw_string()),
            ARRAY => Item::Array(self.count()),
            OBJECT => Item::Object(self.count()),
            _ => Item::Null,
        }
    }
    /// The next object key.
    pub(crate) fn key(&mut self) -> &'a [u8] {
        self.raw_string()
    }
    fn eight(&mut self) -> [u8; 8] {
        let b = read8(self.bytes, self.pos);
        self.pos += 8;
        b
    }
    fn count(&mut self) -> u32 {
        let n = u32::from_le_bytes(read4(self.bytes, self.pos));
        self.pos += 4;
        n
    }
    fn raw_string(&mut self) -> &'a [u8] {
        let len = self.count() as usize;
        let s = self.bytes.get(self.pos..self.pos + len).unwrap_or_default();
        self.pos += len;
        s
    }
    fn value(&mut self) -> Value {
        match self.next() {
            Item::Null => Value::Null,
            Item::Bool(b) => Value::Bool(b),
            Item::Int(i) => Value::from(i),
            Item::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            Item::Str(s) => Value::String(text(s)),
            Item::Array(n) => Value::Array((0..n).map(|_| self.value()).collect()),
            Item::Object(n) => {
                let mut map = Map::new();
                for _ in 0..n {
                    let k = text(self.key());
                    map.insert(k, self.value());
                }
                Value::Object(map)
            }
        }
    }
}

/// Packed strings are whole `&str`s; a lossy read only guards against a bug.
fn text(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

/// Packs a `serde_json::Value` (tests compare both ways; the message path never needs it).
#[cfg(test)]
pub(crate) fn pack(v: &Value) -> PackedValue {
    fn walk(p: &mut Packer, v: &Value) {
        match v {
            Value::Null => p.null(),
            Value::Bool(b) => p.bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => p.int(i),
                None => {
                    p.float(n.as_f64().unwrap_or(0.0));
                }
            },
            Value::String(s) => p.string(s),
            Value::Array(items) => {
                p.begin_array(items.len() as u32);
                items.iter().for_each(|i| walk(p, i));
            }
            Value::Object(map) => {
                // Reversed, so that the packer has to sort.
                let mark = p.begin_object();
                for (k, item) in map.iter().rev() {
                    p.key(k);
                    walk(p, item);
                }
                p.end_object(mark);
            }
        }
    }
    let mut p = Packer::default();
    walk(&mut p, v);
    p.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: Value) {
        let p = pack(&v);
        assert_eq!(p.to_value(), v);
        assert_eq!(
            p.json_len(),
            serde_json::to_string(&v).unwrap().len(),
            "{v}"
        );
    }

    #[test]
    fn values_round_trip_with_their_json_length() {
        round_trip(json!(null));
        round_trip(json!(true));
        round_trip(json!(false));
        for i in [0, 9, 10, -1, -10, 99, 100, i64::MAX, i64::MIN, 1234567890] {
            round_trip(json!(i));
        }
        for f in [0.5, -1.25, 1e300, 1e-7, 3.0, 0.1 + 0.2, -0.0, f64::MAX] {
            round_trip(json!(f));
        }
        round_trip(json!(""));
        round_trip(json!("héllo ✓ \u{1F600}"));
        let every_byte: String = (0u8..128).map(char::from).collect();
        round_trip(json!(every_byte));
        round_trip(json!([]));
        round_trip(json!({}));
        round_trip(json!([1, "two", [3.5, null], {"k": false}]));
        round_trip(json!({"seq": 1, "a": [1, 2, {"z": 1, "b": {"y": 2, "x": "\n"}}], "": 0}));
    }

    #[test]
    fn objects_are_sorted_by_key_at_every_depth() {
        let mut p = Packer::default();
        let outer = p.begin_object();
        p.key("z");
        let inner = p.begin_object();
        for k in ["c", "a", "b"] {
            p.key(k);
            p.string(k);
        }
        p.end_object(inner);
        p.key("b");
        p.int(1);
        p.key("a");
        p.begin_array(1);
        p.null();
        p.end_object(outer);
        let v = p.finish();
        let text = serde_json::to_string(&v.to_value()).unwrap();
        assert_eq!(text, r#"{"a":[null],"b":1,"z":{"a":"a","b":"b","c":"c"}}"#);
        let mut r = v.reader();
        assert_eq!(r.next(), Item::Object(3));
        assert_eq!(r.key(), b"a");
        assert_eq!(r.next(), Item::Array(1));
        assert_eq!(r.next(), Item::Null);
        assert_eq!(r.key(), b"b");
        assert_eq!(r.next(), Item::Int(1));
        assert_eq!(v.json_len(), text.len());
    }

    #[test]
    fn non_finite_floats_are_refused() {
        let mut p = Packer::default();
        assert!(!p.float(f64::NAN));
        assert!(!p.float(f64::INFINITY));
        assert!(p.float(1.5));
    }
}
