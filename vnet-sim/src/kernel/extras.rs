//! What a node may have beside its runtime — sensors, stable storage, a tuple space, an agent
//! platform, a boot time — kept apart, so that a node with none of them (the many idle nodes
//! of a large run) costs 4 bytes for all of them, not a slot for each.

use crate::agents::{SharedPlatform, SharedSpace};
use crate::faults::SharedStore;
use crate::sense::SharedBank;
use crate::time::SimDuration;

/// Per-node values of `T`, made on first use; lookups are one index away.
pub(crate) struct PerNode<T> {
    /// For each node, its item's index in `items`, or [`PerNode::NONE`].
    index: Vec<u32>,
    items: Vec<T>,
}

impl<T: Default> PerNode<T> {
    const NONE: u32 = u32::MAX;

    pub(crate) fn new() -> Self {
        PerNode {
            index: Vec::new(),
            items: Vec::new(),
        }
    }

    /// Makes room for `additional` more nodes at once.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.index.reserve_exact(additional);
    }

    /// Makes room for one more node (with nothing yet).
    pub(crate) fn add_node(&mut self) {
        self.index.push(Self::NONE);
    }

    /// Node `node`'s item, if it has one.
    #[inline]
    pub(crate) fn get(&self, node: usize) -> Option<&T> {
        match self.index.get(node) {
            Some(&i) if i != Self::NONE => self.items.get(i as usize),
            _ => None,
        }
    }

    /// Node `node`'s item, made (default) if it has none.
    ///
    /// # Panics
    /// If `node` was never added.
    pub(crate) fn entry(&mut self, node: usize) -> &mut T {
        let i = self.index[node];
        let i = if i == Self::NONE {
            let i = self.items.len();
            self.items.push(T::default());
            self.index[node] = i as u32;
            i
        } else {
            i as usize
        };
        &mut self.items[i]
    }

    /// Every item there is, in the order they were made.
    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }
}

/// A node's optional parts.
#[derive(Default)]
pub(crate) struct NodeExtras {
    pub(crate) sensors: Option<SharedBank>,
    pub(crate) store: Option<SharedStore>,
    pub(crate) tuples: Option<SharedSpace>,
    pub(crate) platform: Option<SharedPlatform>,
    /// Its boot time after a restart.
    pub(crate) boot_time: SimDuration,
    /// The id of the first worker its latest boot started.
    pub(crate) boot_first: u32,
}
