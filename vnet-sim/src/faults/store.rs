//! [`Store`]: a node's stable storage — what survives a crash.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::Value;

/// A node's store, shared by its workers (a VM's `store` calls read it during an activation).
pub type SharedStore = Rc<RefCell<Store>>;

/// A node's stable storage: named JSON-like values that survive crashes and restarts (only a
/// restart with `wipe` empties it). Writes take effect at once. Keys are ordered, so listing
/// them is deterministic. It holds at most [`Store::CAP`] bytes (keys plus values' compact JSON).
///
/// ```
/// use serde_json::json;
/// use vnet_sim::faults::Store;
/// let mut s = Store::default();
/// s.set("term", json!(3)).unwrap();
/// assert_eq!(s.get("term"), Some(&json!(3)));
/// s.set("term", json!(null)).unwrap(); // null removes
/// assert!(s.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Store {
    values: BTreeMap<String, Value>,
    bytes: usize,
}

/// A write the store refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store would hold more than [`Store::CAP`] bytes.
    #[error("store: `{key}` would take the node's store past {cap} bytes", cap = Store::CAP)]
    Full {
        /// The key written.
        key: String,
    },
    /// An empty key.
    #[error("store: a key must be a non-empty string")]
    EmptyKey,
}

fn size(key: &str, v: &Value) -> usize {
    key.len() + serde_json::to_string(v).map_or(0, |t| t.len())
}

impl Store {
    /// Bytes one node's store may hold: 1 MiB.
    pub const CAP: usize = 1 << 20;

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }
    /// Sets `key` to `value`; `null` removes it.
    pub fn set(&mut self, key: &str, value: Value) -> Result<(), StoreError> {
        if key.is_empty() {
            return Err(StoreError::EmptyKey);
        }
        let old = self.values.get(key).map_or(0, |v| size(key, v));
        if value.is_null() {
            if self.values.remove(key).is_some() {
                self.bytes -= old;
            }
            return Ok(());
        }
        let new = size(key, &value);
        if self.bytes - old + new > Self::CAP {
            return Err(StoreError::Full { key: key.into() });
        }
        self.bytes = self.bytes - old + new;
        self.values.insert(key.to_owned(), value);
        Ok(())
    }
    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }
    /// Removes everything.
    pub fn clear(&mut self) {
        self.values.clear();
        self.bytes = 0;
    }
    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    /// Bytes held (keys plus values' compact JSON).
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}
