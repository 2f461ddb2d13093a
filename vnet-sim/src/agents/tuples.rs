//! [`TupleSpace`]: a node's tuples, with patterns, lifetimes and blocked readers and takers.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value;

use crate::time::SimTime;

/// A node's tuple space as its workers share it during an activation.
pub type SharedSpace = Rc<RefCell<TupleSpace>>;

/// The key of the wildcard object: `{"$any": true}` is [`ANY`].
pub const ANY: &str = "$any";

/// The wildcard, as a JSON value: `{"$any": true}`.
pub fn any() -> Value {
    serde_json::json!({ ANY: true })
}

fn is_any(v: &Value) -> bool {
    matches!(v, Value::Object(o) if o.len() == 1 && o.get(ANY) == Some(&Value::Bool(true)))
}

/// Equal as tuple elements: numbers by value, everything else as JSON.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|b| same(a, b)))
        }
        _ => a == b,
    }
}

/// Whether `tuple` matches `pattern`: the same length, each element equal or [`ANY`].
///
/// ```
/// use serde_json::json;
/// use vnet_sim::agents::{any, matches};
/// assert!(matches(&[json!("temp"), any()], &[json!("temp"), json!(21.5)]));
/// assert!(matches(&[json!(1)], &[json!(1.0)]));
/// assert!(!matches(&[json!("temp")], &[json!("temp"), json!(21.5)]));
/// ```
pub fn matches(pattern: &[Value], tuple: &[Value]) -> bool {
    pattern.len() == tuple.len()
        && pattern
            .iter()
            .zip(tuple)
            .all(|(p, t)| is_any(p) || same(p, t))
}

/// What the space refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TupleError {
    /// Not a non-empty array.
    #[error("{op}: a tuple is a non-empty array, got {got}")]
    NotATuple {
        /// The operation.
        op: &'static str,
        /// What was given, as JSON (cut).
        got: String,
    },
    /// `ANY` in a tuple put `out`.
    #[error("out: ANY belongs in patterns, not in tuples")]
    WildcardInTuple,
    /// The space would hold more than [`TupleSpace::CAP`] bytes.
    #[error("out: the node's tuple space would hold more than {cap} bytes", cap = TupleSpace::CAP)]
    Full,
}

/// A worker blocked on a pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiter {
    /// The worker (its id on the node).
    pub worker: u32,
    /// The wake-up tag the worker waits for.
    pub tag: u64,
    /// What it waits for.
    pub pattern: Vec<Value>,
    /// Takes the tuple (`take`) rather than reading a copy (`rd`).
    pub take: bool,
}

#[derive(Clone, Debug)]
struct Entry {
    tuple: Vec<Value>,
    expires: Option<SimTime>,
    bytes: usize,
}

/// A node's tuples and the workers waiting for them.
///
/// ```
/// use serde_json::json;
/// use vnet_sim::SimTime;
/// use vnet_sim::agents::{TupleSpace, any};
/// let mut ts = TupleSpace::default();
/// let t0 = SimTime::ZERO;
/// ts.out(t0, vec![json!("temp"), json!(20)], None).unwrap();
/// ts.out(t0, vec![json!("temp"), json!(21)], None).unwrap();
/// // The oldest match first; `take` removes it, `read` leaves it.
/// assert_eq!(ts.find(t0, &[json!("temp"), any()], true), Some(vec![json!("temp"), json!(20)]));
/// assert_eq!(ts.find(t0, &[json!("temp"), any()], false), Some(vec![json!("temp"), json!(21)]));
/// assert_eq!(ts.len(t0), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct TupleSpace {
    tuples: Vec<Entry>,
    waiters: Vec<Waiter>,
    /// Tuples handed to woken waiters, by worker, until they collect them.
    granted: Vec<(u32, Vec<Value>)>,
    bytes: usize,
    counts: TupleCounts,
}

/// What a node's tuple space (or, summed, a run's) did. A crash empties the space but keeps
/// its counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct TupleCounts {
    /// Tuples put `out`.
    pub outs: u64,
    /// Tuples read (`rdp`, `rd`, also by a woken reader).
    pub reads: u64,
    /// Tuples taken (`inp`, `take`, also by a woken taker).
    pub takes: u64,
    /// Looks that found nothing (`inp`/`rdp` returning nil, and `rd`/`take` before they wait).
    pub misses: u64,
    /// Times a worker began to wait (`rd`/`take` with no match).
    pub waits: u64,
    /// Tuples that expired.
    pub expired: u64,
}

impl TupleCounts {
    /// The sum of two counts.
    pub fn add(&mut self, o: &TupleCounts) {
        self.outs += o.outs;
        self.reads += o.reads;
        self.takes += o.takes;
        self.misses += o.misses;
        self.waits += o.waits;
        self.expired += o.expired;
    }
}

impl TupleSpace {
    /// At most this many bytes of tuples (compact JSON) a node.
    pub const CAP: usize = 1 << 20;

    /// Checks that `v` is a tuple or a pattern, for `op`.
    pub fn tuple_of(op: &'static str, v: Value) -> Result<Vec<Value>, TupleError> {
        match v {
            Value::Array(a) if !a.is_empty() => Ok(a),
            other => {
                let mut got = other.to_string();
                got.truncate(80);
                Err(TupleError::NotATuple { op, got })
            }
        }
    }

    fn expire(&mut self, now: SimTime) {
        let before = self.tuples.len();
        self.tuples.retain(|e| e.expires.is_none_or(|t| t > now));
        if self.tuples.len() != before {
            self.counts.expired += (before - self.tuples.len()) as u64;
            self.bytes = self.tuples.iter().map(|e| e.bytes).sum();
        }
    }

    /// Puts `tuple` out at `now`, to expire at `expires` (if given). Returns the waiters it
    /// woke (each to be resumed with [`collect`](Self::collect)), in the order they waited.
    pub fn out(
        &mut self,
        now: SimTime,
        tuple: Vec<Value>,
        expires: Option<SimTime>,
    ) -> Result<Vec<(u32, u64)>, TupleError> {
        if tuple.is_empty() {
            return Err(TupleError::NotATuple {
                op: "out",
                got: "[]".into(),
            });
        }
        if tuple.iter().any(is_any) {
            return Err(TupleError::WildcardInTuple);
        }
        self.expire(now);
        self.counts.outs += 1;
        if expires.is_some_and(|t| t <= now) {
            self.counts.expired += 1;
            return Ok(Vec::new());
        }
        let bytes = serde_json::to_string(&tuple).map_or(0, |s| s.len());
        let mut woken = Vec::new();
        let mut taken = false;
        let mut i = 0;
        while i < self.waiters.len() {
            if matches(&self.waiters[i].pattern, &tuple) {
                let w = self.waiters.remove(i);
                self.granted.push((w.worker, tuple.clone()));
                woken.push((w.worker, w.tag));
                if w.take {
                    self.counts.takes += 1;
                    taken = true;
                    break;
                }
                self.counts.reads += 1;
            } else {
                i += 1;
            }
        }
        if !taken {
            if self.bytes + bytes > Self::CAP {
                self.counts.outs -= 1;
                return Err(TupleError::Full);
            }
            self.bytes += bytes;
            self.tuples.push(Entry {
                tuple,
                expires,
                bytes,
            });
        }
        Ok(woken)
    }

    /// The oldest tuple matching `pattern` at `now`, taken out of the space if `take`.
    pub fn find(&mut self, now: SimTime, pattern: &[Value], take: bool) -> Option<Vec<Value>> {
        self.expire(now);
        let Some(i) = (self.tuples.iter()).position(|e| matches(pattern, &e.tuple)) else {
            self.counts.misses += 1;
            return None;
        };
        if take {
            self.counts.takes += 1;
            let e = self.tuples.remove(i);
            self.bytes -= e.bytes;
            Some(e.tuple)
        } else {
            self.counts.reads += 1;
            Some(self.tuples[i].tuple.clone())
        }
    }

    /// `worker` blocks on `pattern` until a matching tuple is put out, woken with `tag`.
    pub fn wait(&mut self, worker: u32, tag: u64, pattern: Vec<Value>, take: bool) {
        self.cancel(worker);
        self.counts.waits += 1;
        self.waiters.push(Waiter {
            worker,
            tag,
            pattern,
            take,
        });
    }

    /// The tuple handed to `worker` when it was woken, if one was.
    pub fn collect(&mut self, worker: u32) -> Option<Vec<Value>> {
        let i = self.granted.iter().position(|(w, _)| *w == worker)?;
        Some(self.granted.remove(i).1)
    }

    /// `worker` stops waiting (it timed out or ended); a tuple granted to it but not collected
    /// is lost with it, as one taken by a worker that then fails.
    pub fn cancel(&mut self, worker: u32) {
        self.waiters.retain(|w| w.worker != worker);
        self.granted.retain(|(w, _)| *w != worker);
    }

    /// Tuples in the space at `now`.
    pub fn len(&mut self, now: SimTime) -> usize {
        self.expire(now);
        self.tuples.len()
    }

    /// Whether no tuple is in the space at `now`.
    pub fn is_empty(&mut self, now: SimTime) -> bool {
        self.len(now) == 0
    }

    /// The waiters, in the order they began to wait.
    pub fn waiters(&self) -> &[Waiter] {
        &self.waiters
    }

    /// Empties the space: tuples, waiters and grants (a crash).
    pub fn clear(&mut self) {
        let counts = self.counts;
        *self = TupleSpace::default();
        self.counts = counts;
    }

    /// What the space did so far.
    pub fn counts(&self) -> TupleCounts {
        self.counts
    }

    /// Sets the counts (a parallel run's merged result takes them from the node's part).
    pub(crate) fn set_counts(&mut self, counts: TupleCounts) {
        self.counts = counts;
    }
}
