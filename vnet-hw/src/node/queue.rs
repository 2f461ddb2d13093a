//! A bounded queue of sequence-numbered items with an acknowledged cursor: what lets a client
//! that lost its connection ask again for everything after the last item it saw, and get each
//! item exactly once.

use std::collections::VecDeque;

/// Items numbered 1, 2, 3… in arrival order, each with its size in bytes. Acknowledging `n`
/// forgets items up to `n`; when a new item would take the queue over its item count or its
/// bytes, the oldest items are dropped (and counted) until it fits.
#[derive(Debug)]
pub struct SeqQueue<T> {
    /// Number, item, bytes.
    items: VecDeque<(u64, T, usize)>,
    next: u64,
    capacity: usize,
    max_bytes: usize,
    bytes: usize,
    dropped: u64,
}

impl<T: Clone> SeqQueue<T> {
    /// An empty queue holding at most `capacity` items and `max_bytes` bytes of them.
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        SeqQueue {
            items: VecDeque::new(),
            next: 1,
            capacity: capacity.max(1),
            max_bytes,
            bytes: 0,
            dropped: 0,
        }
    }

    /// Appends `item`, of `bytes` bytes; returns its sequence number. An item larger than the
    /// whole byte bound is kept alone.
    pub fn push(&mut self, item: T, bytes: usize) -> u64 {
        while !self.items.is_empty()
            && (self.items.len() >= self.capacity || self.bytes + bytes > self.max_bytes)
        {
            self.pop_front();
            self.dropped += 1;
        }
        let seq = self.next;
        self.next += 1;
        self.items.push_back((seq, item, bytes));
        self.bytes += bytes;
        seq
    }

    fn pop_front(&mut self) {
        if let Some((_, _, b)) = self.items.pop_front() {
            self.bytes -= b;
        }
    }

    /// Forgets every item numbered `seq` or lower.
    pub fn ack(&mut self, seq: u64) {
        while self.items.front().is_some_and(|(s, _, _)| *s <= seq) {
            self.pop_front();
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Up to `max` items numbered above `after`, oldest first.
    pub fn after(&self, after: u64, max: usize) -> Vec<(u64, T)> {
        // Numbers are consecutive, so the first one wanted is found by subtraction.
        let first = self.items.front().map_or(0, |(s, _, _)| *s);
        let skip = after.saturating_add(1).saturating_sub(first) as usize;
        self.items
            .iter()
            .skip(skip)
            .take(max)
            .map(|(s, item, _)| (*s, item.clone()))
            .collect()
    }

    /// Whether any item is numbered above `after`.
    pub fn has_after(&self, after: u64) -> bool {
        self.items.back().is_some_and(|(s, _, _)| *s > after)
    }

    /// Items dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The number the last item got (0 if none yet).
    pub fn last_seq(&self) -> u64 {
        self.next - 1
    }

    /// Items held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_ack_and_overflow() {
        let mut q = SeqQueue::new(3, usize::MAX);
        for c in ['a', 'b', 'c'] {
            q.push(c, 1);
        }
        assert_eq!(q.after(0, 10), vec![(1, 'a'), (2, 'b'), (3, 'c')]);
        assert_eq!(q.after(2, 10), vec![(3, 'c')]);
        assert_eq!(q.after(0, 2), vec![(1, 'a'), (2, 'b')]);
        q.ack(1);
        assert_eq!(q.after(0, 10), vec![(2, 'b'), (3, 'c')]);
        assert!(q.has_after(2) && !q.has_after(3));
        q.push('d', 1);
        q.push('e', 1);
        assert_eq!(q.dropped(), 1);
        assert_eq!(q.after(0, 10), vec![(3, 'c'), (4, 'd'), (5, 'e')]);
        assert_eq!(q.last_seq(), 5);
    }

    #[test]
    fn bytes_are_bounded_too_and_the_oldest_go_first() {
        let mut q = SeqQueue::new(100, 10);
        q.push('a', 4);
        q.push('b', 4);
        assert_eq!(q.bytes(), 8);
        q.push('c', 4); // over 10 bytes: 'a' goes
        assert_eq!(q.after(0, 10), vec![(2, 'b'), (3, 'c')]);
        assert_eq!((q.bytes(), q.dropped()), (8, 1));
        q.push('d', 50); // larger than the bound: kept alone
        assert_eq!(q.after(0, 10), vec![(4, 'd')]);
        assert_eq!((q.bytes(), q.dropped()), (50, 3));
        q.ack(4);
        assert_eq!((q.bytes(), q.len()), (0, 0));
    }
}
