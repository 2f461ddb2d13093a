//! Typed results: what programs `record(name, value)` — a count, a time, a verdict — kept as
//! (time, node, worker, name, value), so that results need not travel as printed text to be
//! parsed back (OMNeT++'s scalars and vectors are the model: a name recorded once is a
//! scalar, recorded again and again a vector). They go to the trace as `record` entries and to
//! CSV or JSON-lines files.

use std::io::Write;

use serde::Serialize;

use super::WorkerId;
use crate::net::{Network, NodeId};
use crate::time::SimTime;

/// A value that cannot be recorded: only numbers, booleans and strings can.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a record's value must be a number, a boolean or a string, not {found}")]
pub struct NotRecordable {
    /// What was given instead: `nil/null`, `an array` or `a table/object`.
    pub found: &'static str,
}

/// A recorded value: a number, a boolean or a string.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RecordValue {
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Text(String),
}

impl RecordValue {
    /// The value of a JSON-like `v`; an error for null, arrays and objects.
    pub fn from_json(v: &serde_json::Value) -> Result<RecordValue, NotRecordable> {
        use serde_json::Value as V;
        match v {
            V::Number(n) => Ok(match n.as_i64() {
                Some(i) => RecordValue::Int(i),
                None => RecordValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            }),
            V::Bool(b) => Ok(RecordValue::Bool(*b)),
            V::String(s) => Ok(RecordValue::Text(s.clone())),
            other => Err(NotRecordable {
                found: match other {
                    V::Null => "nil/null",
                    V::Array(_) => "an array",
                    _ => "a table/object",
                },
            }),
        }
    }

    /// The value as a number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            RecordValue::Int(i) => Some(i as f64),
            RecordValue::Float(f) => Some(f),
            _ => None,
        }
    }
}

impl std::fmt::Display for RecordValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordValue::Int(i) => write!(f, "{i}"),
            RecordValue::Float(x) => write!(f, "{x}"),
            RecordValue::Bool(b) => write!(f, "{b}"),
            RecordValue::Text(s) => f.write_str(s),
        }
    }
}

macro_rules! from {
    ($($t:ty => $v:ident as $as:ty),*) => {$(
        impl From<$t> for RecordValue {
            fn from(x: $t) -> Self {
                RecordValue::$v(x as $as)
            }
        }
    )*};
}
from!(i64 => Int as i64, i32 => Int as i64, u32 => Int as i64, usize => Int as i64,
      f64 => Float as f64, f32 => Float as f64);

impl From<u64> for RecordValue {
    fn from(x: u64) -> Self {
        i64::try_from(x).map_or(RecordValue::Float(x as f64), RecordValue::Int)
    }
}
impl From<bool> for RecordValue {
    fn from(b: bool) -> Self {
        RecordValue::Bool(b)
    }
}
impl From<&str> for RecordValue {
    fn from(s: &str) -> Self {
        RecordValue::Text(s.to_owned())
    }
}
impl From<String> for RecordValue {
    fn from(s: String) -> Self {
        RecordValue::Text(s)
    }
}

/// One recorded value.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// When.
    pub time: SimTime,
    /// Which node.
    pub node: NodeId,
    /// Which worker.
    pub worker: WorkerId,
    /// What it is (`delivered`, `rtt_ms`, …).
    pub name: String,
    /// Its value.
    pub value: RecordValue,
}

/// One record as the writers write it: the node by name.
#[derive(Serialize)]
struct Row<'a> {
    time_ns: u64,
    node: &'a str,
    worker: u32,
    name: &'a str,
    value: &'a RecordValue,
}

fn rows<'a>(records: &'a [Record], net: &'a Network) -> impl Iterator<Item = Row<'a>> {
    records.iter().map(|r| Row {
        time_ns: r.time.as_nanos(),
        node: net.node(r.node).map_or("", |n| n.name()),
        worker: r.worker.0,
        name: &r.name,
        value: &r.value,
    })
}

/// Writes `records` as CSV: `time_ns,node,worker,name,value`, nodes by name.
pub(super) fn write_csv<W: Write>(
    records: &[Record],
    net: &Network,
    out: W,
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["time_ns", "node", "worker", "name", "value"])?;
    for r in rows(records, net) {
        w.write_record([
            r.time_ns.to_string(),
            r.node.to_owned(),
            r.worker.to_string(),
            r.name.to_owned(),
            r.value.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Writes `records` as JSON lines: `{"time_ns":…,"node":…,"worker":…,"name":…,"value":…}`,
/// values keeping their type.
pub(super) fn write_jsonl<W: Write>(
    records: &[Record],
    net: &Network,
    mut out: W,
) -> std::io::Result<()> {
    for r in rows(records, net) {
        serde_json::to_writer(&mut out, &r)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
