//! A slab of event payloads with generation-checked handles, so a cancelled or already-run
//! event's handle can never reach the payload that later reuses its slot.

/// A handle to a slab slot: index plus the generation it was issued for.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) struct SlotRef {
    pub index: u32,
    pub generation: u32,
}

struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// Payload storage. Freed slots are reused last-in first-out, so the slot an event is about to
/// be scheduled into is usually the one just vacated by the event being handled (warm in cache).
pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
}

impl<T> Slab<T> {
    pub fn new() -> Self {
        Slab { slots: Vec::new(), free: Vec::new() }
    }

    pub fn insert(&mut self, value: T) -> SlotRef {
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.value = Some(value);
            SlotRef { index, generation: slot.generation }
        } else {
            let index = u32::try_from(self.slots.len()).expect("more than 2^32 pending events");
            self.slots.push(Slot { generation: 0, value: Some(value) });
            SlotRef { index, generation: 0 }
        }
    }

    /// Takes the value if `r` still names it; bumps the generation so `r` goes stale.
    #[inline]
    pub fn take(&mut self, r: SlotRef) -> Option<T> {
        let slot = self.slots.get_mut(r.index as usize)?;
        if slot.generation != r.generation {
            return None;
        }
        let value = slot.value.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(r.index);
        Some(value)
    }

    pub fn get(&self, r: SlotRef) -> Option<&T> {
        let slot = self.slots.get(r.index as usize)?;
        if slot.generation != r.generation {
            return None;
        }
        slot.value.as_ref()
    }

    /// Bytes held by the slab's own bookkeeping beyond the payloads (generation, option tag, free list).
    pub fn overhead_bytes(&self) -> usize {
        self.slots.capacity() * (std::mem::size_of::<Slot<T>>() - std::mem::size_of::<T>())
            + self.free.capacity() * 4
    }

    /// Bytes of payload capacity.
    pub fn payload_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<T>()
    }
}
