//! The guard against a run that never leaves an instant: a worker activated again and again at
//! one virtual time (a loop of zero-length waits) would keep `run()` from returning, each
//! activation within its instruction budget. Once an instant has seen `limit` events, the
//! guard counts activations per worker; a worker activated `limit` more times at that instant
//! is failed, with an error naming it and the time.

use std::collections::BTreeMap;

use super::WorkerId;
use crate::net::NodeId;

/// Activations of one worker at one instant, and events at one instant, before the guard acts.
pub const DEFAULT_LIMIT: u64 = 1_000_000;

pub(super) struct InstantGuard {
    /// Events dispatched at the current instant so far.
    events: u64,
    /// Events dispatched in all.
    pub(super) total: u64,
    /// Activations per worker at the current instant, counted once `events` reached `limit`.
    watched: BTreeMap<(NodeId, WorkerId), u64>,
    pub(super) limit: u64,
}

impl InstantGuard {
    pub(super) fn new() -> Self {
        InstantGuard {
            events: 0,
            total: 0,
            watched: BTreeMap::new(),
            limit: DEFAULT_LIMIT,
        }
    }

    /// Time moved on (`true`) or an event ran at the same instant (`false`).
    #[inline]
    pub(super) fn event(&mut self, time_advanced: bool) {
        self.total += 1;
        if time_advanced {
            self.events = 0;
            if !self.watched.is_empty() {
                self.watched.clear();
            }
        } else {
            self.events += 1;
        }
    }

    /// Counts an activation of `w` on `node`; `true` if it is one too many at this instant.
    #[inline(always)]
    pub(super) fn activation(&mut self, node: NodeId, w: WorkerId) -> bool {
        // Every activation asks: the answer must cost a compare, not a call.
        self.events >= self.limit && self.watch(node, w)
    }

    /// [`activation`](Self::activation) at an instant that has seen `limit` events.
    #[cold]
    #[inline(never)]
    fn watch(&mut self, node: NodeId, w: WorkerId) -> bool {
        let n = self.watched.entry((node, w)).or_insert(0);
        *n += 1;
        *n > self.limit
    }
}
