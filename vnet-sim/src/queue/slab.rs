//! A slab of event payloads with generation-checked handles, so a cancelled or already-run
//! event's handle can never reach the payload that later reuses its slot.
//!
//! A slot is freed only when its queue entry is popped ([`Slab::release`]); cancelling just drops
//! the payload. So a queued entry needs no generation of its own: its slot cannot be reused
//! under it. Freed slots are reused last-in first-out, so the slot an event is about to be
//! scheduled into is usually the one just vacated by the event being handled (warm in cache).

/// A handle to a slab slot: index plus the generation it was issued for.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) struct SlotRef {
    pub index: u32,
    pub generation: u32,
}

/// Generation and free-list link share the 8 bytes an 8-aligned payload pads to anyway.
struct Slot<T> {
    generation: u32,
    next_free: u32,
    value: Option<T>,
}

const NONE: u32 = u32::MAX;

pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    free_head: u32,
}

impl<T> Slab<T> {
    pub fn new() -> Self {
        Slab {
            slots: Vec::new(),
            free_head: NONE,
        }
    }

    #[inline]
    pub fn insert(&mut self, value: T) -> SlotRef {
        if self.free_head != NONE {
            let index = self.free_head;
            let slot = &mut self.slots[index as usize];
            self.free_head = slot.next_free;
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
            next_free: NONE,
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
        slot.next_free = self.free_head;
        self.free_head = index;
        slot.value.take()
    }

    /// Hints the CPU to fetch slot `index` now: it will be popped soon, and with many pending
    /// events it is far out of cache.
    #[inline]
    pub fn prefetch(&self, index: u32) {
        #[cfg(target_arch = "x86_64")]
        if let Some(slot) = self.slots.get(index as usize) {
            // SAFETY: prefetching is a hint; it never faults, even on an invalid address.
            unsafe {
                std::arch::x86_64::_mm_prefetch(
                    slot as *const Slot<T> as *const i8,
                    std::arch::x86_64::_MM_HINT_T0,
                )
            };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = index;
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

    /// Bytes held by the slab's own bookkeeping beyond the payloads (generation, link, option tag).
    pub fn overhead_bytes(&self) -> usize {
        self.slots.capacity() * (std::mem::size_of::<Slot<T>>() - std::mem::size_of::<T>())
    }

    /// Bytes of payload capacity.
    pub fn payload_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<T>()
    }
}
