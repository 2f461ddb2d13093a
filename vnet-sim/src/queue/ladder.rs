//! The ordering structure behind [`EventQueue`](super::EventQueue): radix buckets for the far
//! future, one "rung" of equal-width buckets for the near future, and a small sorted "front" for
//! the events about to run — a radix heap crossed with a ladder queue.
//!
//! Three regions, in time order, each earlier than the next:
//! - front: a `Vec` sorted latest-first, popped from the end, plus a binary heap ("late") for
//!   entries pushed after the front was filled that are due before the rung's next unread
//!   bucket. Together they hold every entry earlier than that bucket. Such late pushes are rare
//!   in most models (zero-delay events), and the heap bounds the worst case at a binary heap's.
//! - rung: `2^shift`-wide buckets from `rung_start` up to `pivot`, read one by one; a bucket is
//!   sorted into the front when the front runs dry.
//! - radix buckets: every entry later than `pivot`; bucket `b` holds those whose `time ^ pivot`
//!   has its highest set bit at `b`. When the rung is used up, the lowest radix bucket becomes
//!   the next rung (sized so its buckets hold about [`TARGET`] entries, [`SMALL_TARGET`] for
//!   small buckets), and `pivot` its latest time.
//!
//! Times only grow in a discrete-event run (nothing is scheduled before `now`), which the radix
//! buckets need. An entry is written about three times on its way to the front (radix bucket,
//! rung bucket, front), always appended or scanned in order, so a million pending events stream
//! through memory instead of chasing a binary heap's cache-missing paths.
//!
//! Buckets are chains of fixed-size chunks from one shared pool, so memory follows the number of
//! pending events rather than the sum of every bucket's peak.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// A queue entry: the ordering key and the slab slot of the payload. Packed to 20 bytes; the
/// slot's generation lives in the slab, which never reuses a slot while its entry is queued.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
#[repr(C, packed(4))]
pub(crate) struct Entry {
    pub time: u64,
    pub tie: u64,
    pub slot: u32,
}

impl Entry {
    /// The ordering key as one integer: one compare instead of two (sorting the front is a
    /// good part of a pop when few events are pending).
    #[inline(always)]
    fn wide_key(&self) -> u128 {
        let (time, tie) = (self.time, self.tie);
        (u128::from(time) << 64) | u128::from(tie)
    }
}

impl Ord for Entry {
    #[inline]
    fn cmp(&self, o: &Self) -> Ordering {
        self.wide_key().cmp(&o.wide_key())
    }
}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// A radix bucket at most this long goes to the front whole instead of becoming a rung.
const LEAF: usize = 8;
/// Entries a rung bucket should hold on average.
const TARGET: usize = 64;
/// Entries a rung bucket should hold when the bucket spread over the rung has at most
/// [`SMALL_RUNG`] entries. With few events pending, a bucket spans a long time, so events
/// scheduled soon after `now` would land before the rung's next bucket (in the late heap);
/// narrow buckets keep them in the rung and make each front a handful of entries to sort.
/// PHOLD 64×4: −8 % instructions a run, 1024×16: −10 % (callgrind).
const SMALL_TARGET: usize = 4;
/// See [`SMALL_TARGET`]; above this, rungs keep [`TARGET`] (memory per pending event: a
/// bucket's last chunk is partly empty).
const SMALL_RUNG: usize = 16384;
/// Entries per pool chunk.
const CHUNK: usize = 8;
const NONE: u32 = u32::MAX;

/// A chain of chunks; all but the last are full.
#[derive(Copy, Clone)]
struct Bucket {
    head: u32,
    tail: u32,
    len: u32,
}

impl Bucket {
    const EMPTY: Bucket = Bucket {
        head: NONE,
        tail: NONE,
        len: 0,
    };
}

/// Chunk storage shared by all buckets.
struct Pool {
    entries: Vec<Entry>,
    /// `next[c]`: the chunk after `c` in its chain, or the next free chunk.
    next: Vec<u32>,
    free: u32,
}

impl Pool {
    #[inline]
    fn append(&mut self, bucket: &mut Bucket, e: Entry) {
        let pos = bucket.len as usize % CHUNK;
        if pos == 0 {
            let c = self.alloc();
            if bucket.len == 0 {
                bucket.head = c;
            } else {
                self.next[bucket.tail as usize] = c;
            }
            bucket.tail = c;
        }
        self.entries[bucket.tail as usize * CHUNK + pos] = e;
        bucket.len += 1;
    }

    fn alloc(&mut self) -> u32 {
        if self.free != NONE {
            let c = self.free;
            self.free = self.next[c as usize];
            self.next[c as usize] = NONE;
            return c;
        }
        let c = u32::try_from(self.next.len()).expect("more than 2^32 queue chunks");
        if self.entries.len() + CHUNK > self.entries.capacity() {
            // Grow by a sixteenth, not double: spare capacity is memory per pending event.
            let extra = (self.entries.len() / 16).max(CHUNK * 64);
            self.entries.reserve_exact(extra);
            self.next.reserve_exact(extra / CHUNK);
        }
        self.entries
            .resize(self.entries.len() + CHUNK, Entry::default());
        self.next.push(NONE);
        c
    }

    /// Calls `f` on every entry of `bucket` in order, freeing each chunk once read.
    #[inline]
    fn drain(&mut self, bucket: Bucket, mut f: impl FnMut(&mut Pool, Entry)) {
        let mut c = bucket.head;
        let mut left = bucket.len as usize;
        while left > 0 {
            let n = left.min(CHUNK);
            for i in 0..n {
                let e = self.entries[c as usize * CHUNK + i];
                f(self, e);
            }
            left -= n;
            let next = self.next[c as usize];
            self.next[c as usize] = self.free;
            self.free = c;
            c = next;
        }
    }

    /// Earliest and latest time in `bucket`.
    fn span(&self, bucket: Bucket) -> (u64, u64) {
        let (mut lo, mut hi) = (u64::MAX, 0);
        let mut c = bucket.head;
        let mut left = bucket.len as usize;
        while left > 0 {
            let n = left.min(CHUNK);
            for e in &self.entries[c as usize * CHUNK..c as usize * CHUNK + n] {
                lo = lo.min(e.time);
                hi = hi.max(e.time);
            }
            left -= n;
            c = self.next[c as usize];
        }
        (lo, hi)
    }
}

pub(crate) struct LadderQueue {
    front: Vec<Entry>,
    late: BinaryHeap<Reverse<Entry>>,
    rung: Vec<Bucket>,
    rung_start: u64,
    rung_shift: u32,
    /// Index of the next rung bucket to read; `rung.len()` when the rung is used up.
    rung_next: usize,
    pivot: u64,
    radix: [Bucket; 64],
    /// Bit `b` set iff `radix[b]` is non-empty.
    occupied: u64,
    pool: Pool,
}

impl LadderQueue {
    pub fn new() -> Self {
        LadderQueue {
            front: Vec::new(),
            late: BinaryHeap::new(),
            rung: Vec::new(),
            rung_start: 0,
            rung_shift: 0,
            rung_next: 0,
            pivot: 0,
            radix: [Bucket::EMPTY; 64],
            occupied: 0,
            pool: Pool {
                entries: Vec::new(),
                next: Vec::new(),
                free: NONE,
            },
        }
    }

    #[inline]
    pub fn push(&mut self, e: Entry) {
        if e.time > self.pivot {
            let b = 63 - (e.time ^ self.pivot).leading_zeros();
            self.pool.append(&mut self.radix[b as usize], e);
            self.occupied |= 1 << b;
        } else if self.rung_next < self.rung.len()
            && e.time >= self.rung_start + ((self.rung_next as u64) << self.rung_shift)
        {
            let i = ((e.time - self.rung_start) >> self.rung_shift) as usize;
            self.pool.append(&mut self.rung[i], e);
        } else {
            self.late.push(Reverse(e));
        }
    }

    /// Prefetches where [`push`](Self::push) would put an entry due at `time`, for a push a
    /// few steps ahead.
    #[inline]
    pub fn prefetch_push(&self, time: u64) {
        let bucket = if time > self.pivot {
            &self.radix[63 - (time ^ self.pivot).leading_zeros() as usize]
        } else if self.rung_next < self.rung.len()
            && time >= self.rung_start + ((self.rung_next as u64) << self.rung_shift)
        {
            &self.rung[((time - self.rung_start) >> self.rung_shift) as usize]
        } else {
            return;
        };
        let pos = bucket.len as usize % CHUNK;
        if pos != 0
            && let Some(e) = self.pool.entries.get(bucket.tail as usize * CHUNK + pos)
        {
            super::prefetch(e);
        }
    }

    /// The entry with the smallest `(time, tie)`. `on_refill` sees the front (latest first) each
    /// time it is refilled: a chance to prefetch payloads before they are popped.
    #[inline]
    pub fn pop(&mut self, on_refill: impl FnMut(&[Entry])) -> Option<Entry> {
        if self.late_is_next(on_refill)? {
            self.late.pop().map(|e| e.0)
        } else {
            self.front.pop()
        }
    }

    /// Removes and returns the entry with the smallest `(time, tie)` if its time is at most
    /// `end` (one look at the front and the late heap, where `peek` then `pop` take two).
    #[inline]
    pub fn pop_until(&mut self, end: u64, on_refill: impl FnMut(&[Entry])) -> Option<Entry> {
        if self.late_is_next(on_refill)? {
            let e = self.late.peek()?.0;
            if e.time > end {
                return None;
            }
            self.late.pop();
            Some(e)
        } else {
            let e = *self.front.last()?;
            if e.time > end {
                return None;
            }
            self.front.pop();
            Some(e)
        }
    }

    /// The entry `pop` would return, without removing it.
    #[inline]
    pub fn peek(&mut self, on_refill: impl FnMut(&[Entry])) -> Option<Entry> {
        if self.late_is_next(on_refill)? {
            self.late.peek().map(|e| e.0)
        } else {
            self.front.last().copied()
        }
    }

    /// The entry `pop` would return, if it is already in the front (no refill).
    #[inline]
    pub fn next_ready(&self) -> Option<Entry> {
        match (self.front.last(), self.late.peek()) {
            (Some(f), Some(l)) => Some(if l.0 < *f { l.0 } else { *f }),
            (f, l) => f.copied().or(l.map(|l| l.0)),
        }
    }

    /// The entry `k` places after the next one in the sorted front, if there is one.
    #[inline]
    pub fn front_ahead(&self, k: usize) -> Option<Entry> {
        self.front.len().checked_sub(k + 1).map(|i| self.front[i])
    }

    /// Whether the next entry is in `late` (else in `front`); `None` if the queue is empty.
    #[inline]
    fn late_is_next(&mut self, on_refill: impl FnMut(&[Entry])) -> Option<bool> {
        // Late entries are due before the rung and the radix buckets, so refill only when
        // both front and late are empty.
        match (self.front.last(), self.late.peek()) {
            (Some(_), None) => Some(false),
            (Some(f), Some(l)) => Some(l.0 < *f),
            (None, Some(_)) => Some(true),
            (None, None) => self.refill(on_refill).then_some(false),
        }
    }

    /// Moves the earliest entries into the (empty) front; false if there are none.
    fn refill(&mut self, mut on_refill: impl FnMut(&[Entry])) -> bool {
        loop {
            while self.rung_next < self.rung.len() {
                let bucket = std::mem::replace(&mut self.rung[self.rung_next], Bucket::EMPTY);
                self.rung_next += 1;
                if bucket.len > 0 {
                    self.move_to_front(bucket, &mut on_refill);
                    return true;
                }
            }
            if self.occupied == 0 {
                return false;
            }
            let b = self.occupied.trailing_zeros() as usize;
            self.occupied &= !(1 << b);
            let bucket = std::mem::replace(&mut self.radix[b], Bucket::EMPTY);
            let (lo, hi) = self.pool.span(bucket);
            // The bucket shares the pivot's bits above `b`, so its latest time is a valid pivot
            // for the radix buckets above it.
            self.pivot = hi;
            if bucket.len as usize <= LEAF {
                self.rung.clear();
                self.rung_next = 0;
                self.move_to_front(bucket, &mut on_refill);
                return true;
            }
            self.make_rung(bucket, lo, hi);
        }
    }

    /// Spreads `bucket` (times `lo..=hi`) over a fresh rung of about `len / TARGET` buckets.
    fn make_rung(&mut self, bucket: Bucket, lo: u64, hi: u64) {
        let target = if bucket.len as usize <= SMALL_RUNG {
            SMALL_TARGET
        } else {
            TARGET
        };
        let want = (bucket.len as usize / target).max(1) as u64;
        let min_width = (hi - lo) / want + 1;
        let shift = 64 - (min_width - 1).leading_zeros();
        let count = (((hi - lo) >> shift) + 1) as usize;
        self.rung.clear();
        self.rung.resize(count, Bucket::EMPTY);
        self.rung_start = lo;
        self.rung_shift = shift;
        self.rung_next = 0;
        let rung = &mut self.rung;
        self.pool.drain(bucket, |pool, e| {
            // The chunk being read is freed only after it is read, so appends cannot overwrite it.
            pool.append(&mut rung[((e.time - lo) >> shift) as usize], e);
        });
    }

    fn move_to_front(&mut self, bucket: Bucket, on_refill: &mut impl FnMut(&[Entry])) {
        let front = &mut self.front;
        self.pool.drain(bucket, |_, e| front.push(e));
        // Latest first: the front is popped from its end.
        self.front
            .sort_unstable_by_key(|e| std::cmp::Reverse(e.wide_key()));
        on_refill(&self.front);
    }

    /// Bytes allocated for entries and their bookkeeping, whether in use or spare.
    pub fn allocated_bytes(&self) -> usize {
        let per = std::mem::size_of::<Entry>();
        self.pool.entries.capacity() * per
            + self.pool.next.capacity() * 4
            + (self.front.capacity() + self.late.capacity()) * per
            + self.rung.capacity() * std::mem::size_of::<Bucket>()
    }
}
