//! A bounded queue of sequence-numbered items with an acknowledged cursor: what lets a client
//! that lost its connection ask again for everything after the last item it saw, and get each
//! item exactly once.

use std::collections::VecDeque;

/// Items numbered 1, 2, 3… in arrival order. Acknowledging `n` forgets items up to `n`; when
/// full, the oldest unacknowledged item is dropped and counted.
#[derive(Debug)]
pub struct SeqQueue<T> {
    items: VecDeque<(u64, T)>,
    next: u64,
    capacity: usize,
    dropped: u64,
}

impl<T: Clone> SeqQueue<T> {
    /// An empty queue holding at most `capacity` items.
    pub fn new(capacity: usize) -> Self {
        SeqQueue {
            items: VecDeque::new(),
            next: 1,
            capacity: capacity.max(1),
            dropped: 0,
        }
    }

    /// Appends `item`; returns its sequence number.
    pub fn push(&mut self, item: T) -> u64 {
        if self.items.len() == self.capacity {
            self.items.pop_front();
            self.dropped += 1;
        }
        let seq = self.next;
        self.next += 1;
        self.items.push_back((seq, item));
        seq
    }

    /// Forgets every item numbered `seq` or lower.
    pub fn ack(&mut self, seq: u64) {
        while self.items.front().is_some_and(|(s, _)| *s <= seq) {
            self.items.pop_front();
        }
    }

    /// Up to `max` items numbered above `after`, oldest first.
    pub fn after(&self, after: u64, max: usize) -> Vec<(u64, T)> {
        // Numbers are consecutive, so the first one wanted is found by subtraction.
        let first = self.items.front().map_or(0, |(s, _)| *s);
        let skip = after.saturating_add(1).saturating_sub(first) as usize;
        self.items.iter().skip(skip).take(max).cloned().collect()
    }

    /// Whether any item is numbered above `after`.
    pub fn has_after(&self, after: u64) -> bool {
        self.items.back().is_some_and(|(s, _)| *s > after)
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
        let mut q = SeqQueue::new(3);
        for c in ['a', 'b', 'c'] {
            q.push(c);
        }
        assert_eq!(q.after(0, 10), vec![(1, 'a'), (2, 'b'), (3, 'c')]);
        assert_eq!(q.after(2, 10), vec![(3, 'c')]);
        assert_eq!(q.after(0, 2), vec![(1, 'a'), (2, 'b')]);
        q.ack(1);
        assert_eq!(q.after(0, 10), vec![(2, 'b'), (3, 'c')]);
        assert!(q.has_after(2) && !q.has_after(3));
        q.push('d');
        q.push('e');
        assert_eq!(q.dropped(), 1);
        assert_eq!(q.after(0, 10), vec![(3, 'c'), (4, 'd'), (5, 'e')]);
        assert_eq!(q.last_seq(), 5);
    }
}
