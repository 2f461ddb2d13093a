//! The ordering structure behind [`EventQueue`](super::EventQueue): a radix heap over event
//! times, with a small binary heap ("front") for the events about to run.
//!
//! Times only grow in a discrete-event run (nothing is scheduled before `now`), which is what a
//! radix heap needs. Every bucketed entry has `time > pivot`; bucket `b` holds the entries whose
//! `time ^ pivot` has its highest set bit at `b`. The front holds every entry with
//! `time <= pivot`, ordered by the full key `(time, tie)`. When the front runs dry, the lowest
//! non-empty bucket is either moved into the front whole (if small) or split around its minimum.
//!
//! Why this shape: pushes are appends to a `Vec` and splits are sequential scans, so with a
//! million pending events the queue streams through memory instead of chasing a heap's
//! cache-missing paths; the binary heap only ever holds a few dozen entries.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A queue entry: the ordering key and the slab slot of the payload (24 bytes).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub time: u64,
    pub tie: u64,
    pub slot: u32,
    pub generation: u32,
}

/// Reverses the key order so that `BinaryHeap` (a max-heap) yields the smallest key first.
#[derive(Copy, Clone, PartialEq, Eq)]
struct Earliest(Entry);

impl Ord for Earliest {
    #[inline]
    fn cmp(&self, o: &Self) -> Ordering {
        (o.0.time, o.0.tie).cmp(&(self.0.time, self.0.tie))
    }
}
impl PartialOrd for Earliest {
    #[inline]
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// A bucket at most this long goes to the front whole instead of being split again.
const LEAF: usize = 32;

pub(crate) struct RadixQueue {
    pivot: u64,
    front: BinaryHeap<Earliest>,
    buckets: Vec<Vec<Entry>>,
    /// Bit `b` set iff `buckets[b]` is non-empty.
    occupied: u64,
    len: usize,
}

impl RadixQueue {
    pub fn new() -> Self {
        RadixQueue {
            pivot: 0,
            front: BinaryHeap::new(),
            buckets: (0..64).map(|_| Vec::new()).collect(),
            occupied: 0,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn push(&mut self, e: Entry) {
        self.len += 1;
        if e.time <= self.pivot {
            self.front.push(Earliest(e));
        } else {
            let b = 63 - (e.time ^ self.pivot).leading_zeros();
            self.buckets[b as usize].push(e);
            self.occupied |= 1 << b;
        }
    }

    /// The entry with the smallest `(time, tie)`.
    #[inline]
    pub fn pop(&mut self) -> Option<Entry> {
        if self.front.is_empty() && !self.refill() {
            return None;
        }
        self.len -= 1;
        self.front.pop().map(|e| e.0)
    }

    /// The entry `pop` would return, without removing it.
    pub fn peek(&mut self) -> Option<Entry> {
        if self.front.is_empty() && !self.refill() {
            return None;
        }
        self.front.peek().map(|e| e.0)
    }

    /// Moves the earliest entries into the (empty) front; false if there are none.
    fn refill(&mut self) -> bool {
        while self.occupied != 0 {
            let b = self.occupied.trailing_zeros() as usize;
            self.occupied &= !(1 << b);
            let mut bucket = std::mem::take(&mut self.buckets[b]);
            if bucket.len() <= LEAF {
                // All of the bucket shares the pivot's bits above `b`, so any time in it is a
                // valid new pivot for the buckets above; the largest puts the whole bucket in front.
                self.pivot = bucket.iter().map(|e| e.time).max().unwrap_or(self.pivot);
                self.front.extend(bucket.drain(..).map(Earliest));
            } else {
                let min = bucket.iter().map(|e| e.time).min().unwrap_or(self.pivot);
                self.pivot = min;
                for e in bucket.drain(..) {
                    if e.time == min {
                        self.front.push(Earliest(e));
                    } else {
                        let nb = 63 - (e.time ^ min).leading_zeros();
                        self.buckets[nb as usize].push(e);
                        self.occupied |= 1 << nb;
                    }
                }
            }
            // Hand the allocation back so the bucket does not regrow from nothing.
            if self.buckets[b].capacity() < bucket.capacity() {
                self.buckets[b] = bucket;
            }
            if !self.front.is_empty() {
                return true;
            }
        }
        false
    }

    /// Bytes allocated for entries (buckets and front), whether in use or spare capacity.
    pub fn allocated_bytes(&self) -> usize {
        let per = std::mem::size_of::<Entry>();
        self.buckets.iter().map(|b| b.capacity() * per).sum::<usize>() + self.front.capacity() * per
    }
}
