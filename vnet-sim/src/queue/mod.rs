//! The event queue: pending events ordered by [`EventKey`], payloads in a slab, cancellable.
//!
//! This layer knows nothing of networks; the kernel stores its own event type in it.
//!
//! Order: by time, then by the key's tie-breaker `(source, sequence)` — the node that caused the
//! event and that node's own running count. Neither part depends on a global counter, so a
//! parallel or distributed kernel can give every event the same key and reproduce the
//! sequential run exactly.
//!
//! Memory per pending event: a 20-byte entry in a bucket chunk, plus the slab's generation
//! (4 bytes, padded to 8), plus partly filled chunks and a sixteenth of spare capacity;
//! [`EventQueue::overhead_bytes`] reports the total (about 31 bytes with a million pending).
//!
//! ```
//! use vnet_sim::queue::{EventKey, EventQueue};
//! use vnet_sim::SimTime;
//!
//! let mut q = EventQueue::new();
//! q.push(EventKey::new(SimTime::from_millis(5), 1, 0), "late");
//! let early = q.push(EventKey::new(SimTime::from_millis(2), 0, 0), "early");
//! q.push(EventKey::new(SimTime::from_millis(2), 0, 1), "tie");
//! assert_eq!(q.cancel(early), Some("early"));
//! assert_eq!(q.pop().map(|(_, v)| v), Some("tie"));
//! assert_eq!(q.pop().map(|(k, v)| (k.time(), v)), Some((SimTime::from_millis(5), "late")));
//! assert!(q.pop().is_none());
//! ```

mod ladder;
mod slab;

use crate::time::SimTime;
use ladder::{Entry, LadderQueue};
use slab::{Slab, SlotRef};

/// Bits of the tie-breaker given to the source's sequence number; the source gets the rest.
const SEQ_BITS: u32 = 40;

/// How many events ahead of the next one the queue prefetches payloads (and how many pushes
/// ahead [`EventQueue::push_batch`] prefetches): far enough to hide a memory access behind
/// the work in between.
const PREFETCH_AHEAD: usize = 8;

/// Above this many slots (about a megabyte of payloads) the queue prefetches the payloads it
/// will pop next; below, they are in cache anyway.
const PREFETCH_SLOTS: usize = 16 * 1024;

/// Hints the CPU to fetch `*p` into its caches: it will be used soon.
#[inline(always)]
fn prefetch<T>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; it never faults, even on an invalid address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const T as *const i8, std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The largest source id an [`EventKey`] can carry (2^24 − 1); the kernel reserves it for itself.
pub const MAX_SOURCE: u32 = (1 << (64 - SEQ_BITS)) - 1;

/// The ordering key of an event: `(time, source, sequence)`, compared in that order.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct EventKey {
    time: u64,
    tie: u64,
}

impl EventKey {
    /// A key for the `seq`-th event caused by `source` (a node id, at most [`MAX_SOURCE`]).
    /// Sequence numbers wrap after 2^40 events from one source.
    #[inline]
    pub fn new(time: SimTime, source: u32, seq: u64) -> Self {
        debug_assert!(source <= MAX_SOURCE);
        EventKey {
            time: time.as_nanos(),
            tie: ((source as u64) << SEQ_BITS) | (seq & ((1 << SEQ_BITS) - 1)),
        }
    }
    /// When the event runs.
    pub fn time(self) -> SimTime {
        SimTime::from_nanos(self.time)
    }
    /// The source that caused the event.
    pub fn source(self) -> u32 {
        (self.tie >> SEQ_BITS) as u32
    }
    /// The source's sequence number (modulo 2^40).
    pub fn seq(self) -> u64 {
        self.tie & ((1 << SEQ_BITS) - 1)
    }
}

/// A handle to a pending event, for [`EventQueue::cancel`]. Stale handles are harmless.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct EventId(SlotRef);

/// A priority queue of events for discrete-event simulation.
///
/// Push keys no earlier than the last popped time (the simulation's `now`); the kernel guarantees
/// this. A key earlier than that is still returned before anything later, but the run would no
/// longer be causal.
pub struct EventQueue<T> {
    order: LadderQueue,
    payloads: Slab<T>,
    live: usize,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> EventQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            order: LadderQueue::new(),
            payloads: Slab::new(),
            live: 0,
        }
    }

    /// Schedules `payload` under `key`.
    #[inline]
    pub fn push(&mut self, key: EventKey, payload: T) -> EventId {
        let slot = self.payloads.insert(payload);
        self.order.push(Entry {
            time: key.time,
            tie: key.tie,
            slot: slot.index,
        });
        self.live += 1;
        EventId(slot)
    }

    /// Schedules every `(key, payload)` of `batch`, as many [`push`](Self::push)es would, but
    /// fetching what each will touch a few pushes ahead: a batch's keys are spread over the
    /// queue, so each push would otherwise wait for a cache miss (a parallel part queueing the
    /// events other parts sent it).
    pub fn push_batch(&mut self, batch: Vec<(EventKey, T)>) {
        // Below the size where popping prefetches, what a push touches is in cache anyway.
        let far = self.payloads.len() > PREFETCH_SLOTS;
        let mut items = batch.into_iter();
        while let Some((key, payload)) = items.next() {
            if far && let Some((ahead, _)) = items.as_slice().get(PREFETCH_AHEAD) {
                self.order.prefetch_push(ahead.time);
                self.payloads.prefetch_free(PREFETCH_AHEAD);
            }
            self.push(key, payload);
        }
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(EventKey, T)> {
        self.pop_until(SimTime::MAX)
    }

    /// Removes and returns the earliest event if it is due no later than `end`.
    #[inline]
    pub fn pop_until(&mut self, end: SimTime) -> Option<(EventKey, T)> {
        loop {
            // Prefetching payloads pays only when the slab is larger than the caches.
            let far = self.payloads.len() > PREFETCH_SLOTS;
            let payloads = &self.payloads;
            let e = self.order.pop_until(end.as_nanos(), |front| {
                if far {
                    payloads.prefetch_last(front, PREFETCH_AHEAD)
                }
            })?;
            if far && let Some(a) = self.order.front_ahead(PREFETCH_AHEAD) {
                self.payloads.prefetch(a.slot);
            }
            // A cancelled event leaves its entry behind, with an emptied slot.
            if let Some(v) = self.payloads.release(e.slot) {
                self.live -= 1;
                return Some((
                    EventKey {
                        time: e.time,
                        tie: e.tie,
                    },
                    v,
                ));
            }
        }
    }

    /// The time of the earliest pending event (cancelled events' entries are dropped on the way).
    pub fn next_time(&mut self) -> Option<SimTime> {
        loop {
            let e = self.order.peek(|_| {})?;
            if self.payloads.get_live(e.slot).is_some() {
                return Some(SimTime::from_nanos(e.time));
            }
            self.order.pop(|_| {});
            self.payloads.release(e.slot);
        }
    }

    /// The payload of the event `pop` will return next, if it is at hand without reordering
    /// anything (it may be a cancelled event's: then `None`). For prefetching what it will touch.
    #[inline]
    pub fn peek_ready(&self) -> Option<&T> {
        self.order
            .next_ready()
            .and_then(|e| self.payloads.get_live(e.slot))
    }

    /// Cancels a pending event and returns its payload; `None` if it already ran or was cancelled.
    pub fn cancel(&mut self, id: EventId) -> Option<T> {
        let v = self.payloads.take(id.0)?;
        self.live -= 1;
        Some(v)
    }

    /// The payload of a pending event.
    pub fn get(&self, id: EventId) -> Option<&T> {
        self.payloads.get(id.0)
    }

    /// The time of the earliest live event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        // Drop cancelled entries at the head so the answer is a live event's time.
        loop {
            let e = self.order.peek(|_| {})?;
            if self.payloads.is_live(e.slot) {
                return Some(SimTime::from_nanos(e.time));
            }
            self.order.pop(|_| {});
            self.payloads.release(e.slot);
        }
    }

    /// Number of pending (not cancelled) events.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True if no event is pending.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Bytes the queue holds beyond the payload slots: entries (used and spare), chunk lists,
    /// the front heap, slab generations and free-slot stack. Divide by [`len`](Self::len) for
    /// the overhead per pending event. Spare payload slots are reported by
    /// [`spare_payload_bytes`](Self::spare_payload_bytes).
    pub fn overhead_bytes(&self) -> usize {
        self.order.allocated_bytes() + self.payloads.overhead_bytes()
    }

    /// Bytes of payload slots not holding a pending event (the slab grows by doubling).
    pub fn spare_payload_bytes(&self) -> usize {
        self.payloads
            .payload_bytes()
            .saturating_sub(self.live * std::mem::size_of::<T>())
    }
}

#[cfg(test)]
mod tests;
