//! A slab of event payloads with generation-checked handles, so a cancelled or already-run
//! event's handle can never reach the payload that later reuses its slot.
//!
//! A slot is freed only when its queue entry is popped ([`Slab::release`]); cancelling just drops
//! the payload. So a queued entry needs no generation of its own: its slot cannot be reused
//! under it. Freed slots are reused last-in first-out, so the slot an event is about to be
//! scheduled into is usually the one just vacated by the event being handled (warm in cache).
//!
//! The free slots are a stack of indices beside the slots, not a list threaded through them:
//! taking many slots in a row (a parallel part queueing the events other parts sent it, tens
//! of thousands at a barrier) then reads the stack in order instead of chasing one cache miss
//! per slot, each waiting for the last.

/// A handle to a slab slot: index plus the generation it was issued for.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) struct SlotRef {
    pub index: u32,
    pub generation: u32,
}

/// A payload and the generation its handles must carry.
struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    /// Indices of free slots; the last is reused first.
    free: Vec<u32>,
}

impl<T> Slab<T> {
    pub fn new() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    #[inline]
    pub fn insert(&mut self, value: T) -> SlotRef {
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.value = Some(value);
            return SlotRef {
                index,
                generation: slot.generation,
            };
        }
        let index = u32::try_from(self.slots.len()).expect("more than 2^32 pending events");
        if self.slots.len() == self.slots.capacity() {
            // Double while small (a small simulation stays small, and its first event does not
            // ask the allocator for a large block); past 1024 slots grow by a sixteenth, not
            // double: spare slots are memory per pending event.
            let len = self.slots.len();
            self.slots
                .reserve_exact((len / 16).max(len.min(1024)).max(16));
        }
        self.slots.push(Slot {
            generation: 0,
            value: Some(value),
        });
        SlotRef {
            index,
            generation: 0,
        }
    }

    /// Slots made so far (live, cancelled or free).
    #[inline]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Takes the value if `r` still names it and it is there (cancel); the slot stays reserved.
    pub fn take(&mut self, r: SlotRef) -> Option<T> {
        let slot = self.slots.get_mut(r.index as usize)?;
        if slot.generation != r.generation {
            return None;
        }
        slot.value.take()
    }

    /// Frees slot `index` (its queue entry was popped), returning its value unless cancelled.
    /// Bumps the generation so every handle to it goes stale.
    #[inline]
    pub fn release(&mut self, index: u32) -> Option<T> {
        let slot = &mut self.slots[index as usize];
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(index);
        slot.value.take()
    }

    /// Hints the CPU to fetch slot `index` now: it will be popped soon, and with many pending
    /// events it is far out of cache.
    #[inline]
    pub fn prefetch(&self, index: u32) {
        if let Some(slot) = self.slots.get(index as usize) {
            super::prefetch(slot);
        }
    }

    /// Prefetches the slot the `k`-th insert from now will take, if one is free.
    #[inline]
    pub fn prefetch_free(&self, k: usize) {
        if let Some(&i) = self
            .free
            .len()
            .checked_sub(k + 1)
            .and_then(|j| self.free.get(j))
        {
            self.prefetch(i);
        }
    }

    /// Prefetches the slots of the last `n` entries of `entries` (the next to pop).
    #[inline]
    pub fn prefetch_last(&self, entries: &[super::ladder::Entry], n: usize) {
        for e in &entries[entries.len().saturating_sub(n)..] {
            self.prefetch(e.slot);
        }
    }

    /// The value in slot `index`, if any (no generation check: for the queue's own entries).
    #[inline]
    pub fn get_live(&self, index: u32) -> Option<&T> {
        self.slots.get(index as usize)?.value.as_ref()
    }

    pub fn is_live(&self, index: u32) -> bool {
        self.slots[index as usize].value.is_some()
    }

    pub fn get(&self, r: SlotRef) -> Option<&T> {
        let slot = self.slots.get(r.index as usize)?;
        if slot.generation != r.generation {
            return None;
        }
        slot.value.as_ref()
    }

    /// Bytes held by the slab's own bookkeeping beyond the payloads (generation and option
    /// tag, padded; the free stack).
    pub fn overhead_bytes(&self) -> usize {
        self.slots.capacity() * (std::mem::size_of::<Slot<T>>() - std::mem::size_of::<T>())
            + self.free.capacity() * std::mem::size_of::<u32>()
    }

    /// Bytes of payload capacity.
    pub fn payload_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<T>()
    }
}
