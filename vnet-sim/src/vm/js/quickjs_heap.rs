//! A QuickJS worker's heap: every byte its runtime allocates comes from here, counted against
//! the worker's cap, and the allocation that would pass the cap is refused (QuickJS then
//! throws its out-of-memory error).
//!
//! Small blocks (up to [`SMALL`] bytes) are cut from 4 KiB chunks the heap owns, one after the
//! other, and a freed small block waits on its size's free list for the next allocation of
//! that size; larger blocks come from the global allocator one by one. A QuickJS context makes
//! about a thousand small objects as it starts: cutting them from a chunk is a few
//! instructions each, and the only slack is the current chunk's unused end (QuickJS's own
//! arenas, which vnet turns off, keep a partly filled 4 KiB arena for each of 31 sizes).
//!
//! Every block has an 8-byte header before it: its size class, or for a large block its size.
//! The heap counts chunks and large blocks, so what it reports is what the worker holds.

use std::alloc::Layout;
use std::cell::{Cell, RefCell};
use std::ptr::{self, NonNull};
use std::rc::Rc;

use rquickjs::allocator::Allocator;

/// Blocks, headers included, are multiples of this; so is their alignment (QuickJS needs 8).
const STEP: usize = 8;
const HEADER: usize = 8;
/// The largest block, header included, cut from a chunk.
const SMALL: usize = 264;
const CLASSES: usize = SMALL / STEP + 1;
const CHUNK: usize = 4 << 10;
/// A large block's header: its size with this bit set (a small block's is its class).
const LARGE: u64 = 1 << 63;

/// A worker's heap, shared by its runtime's allocator and the worker.
pub(super) struct Heap {
    /// Bytes held: chunks and large blocks.
    live: Cell<usize>,
    cap: usize,
    /// Set when an allocation was refused.
    refused: Cell<bool>,
    chunks: RefCell<Vec<NonNull<u8>>>,
    /// The current chunk's unused part.
    next: Cell<*mut u8>,
    end: Cell<*mut u8>,
    /// Freed small blocks by class, each holding the next in its first word after the header.
    free: [Cell<*mut u8>; CLASSES],
}

impl Heap {
    pub(super) fn new(cap: usize) -> Rc<Heap> {
        Rc::new(Heap {
            live: Cell::new(0),
            cap,
            refused: Cell::new(false),
            chunks: RefCell::new(Vec::new()),
            next: Cell::new(ptr::null_mut()),
            end: Cell::new(ptr::null_mut()),
            free: [const { Cell::new(ptr::null_mut()) }; CLASSES],
        })
    }

    /// Bytes the worker holds.
    pub(super) fn live(&self) -> usize {
        self.live.get()
    }

    /// Its cap.
    pub(super) fn cap(&self) -> usize {
        self.cap
    }

    /// Whether an allocation was refused (the worker went over its cap).
    pub(super) fn refused(&self) -> bool {
        self.refused.get()
    }

    /// Takes `bytes` more from the cap, or refuses.
    fn take(&self, bytes: usize) -> bool {
        let live = self.live.get().saturating_add(bytes);
        if live > self.cap {
            self.refused.set(true);
            return false;
        }
        self.live.set(live);
        true
    }

    /// A block of `size` payload bytes (the pointer is past its header), or null.
    fn alloc(&self, size: usize) -> *mut u8 {
        // At least a word of payload: a freed block holds its free list's link there.
        let total = ((size.max(STEP)).saturating_add(HEADER + STEP - 1)) & !(STEP - 1);
        if total > SMALL {
            return self.alloc_large(total);
        }
        let class = total / STEP;
        let block = self.free[class].get();
        if !block.is_null() {
            // SAFETY: a listed block is a freed block of this class; its first payload word
            // holds the next one.
            unsafe {
                self.free[class].set(block.add(HEADER).cast::<*mut u8>().read());
                return block.add(HEADER);
            }
        }
        if (self.end.get() as usize) - (self.next.get() as usize) < total && !self.new_chunk() {
            return ptr::null_mut();
        }
        let block = self.next.get();
        // SAFETY: the chunk has `total` bytes left at `block`, 8-aligned.
        unsafe {
            self.next.set(block.add(total));
            block.cast::<u64>().write(class as u64);
            block.add(HEADER)
        }
    }

    fn new_chunk(&self) -> bool {
        if !self.take(CHUNK) {
            return false;
        }
        // SAFETY: CHUNK is not zero.
        let Some(chunk) = NonNull::new(unsafe { std::alloc::alloc(chunk_layout()) }) else {
            self.live.set(self.live.get() - CHUNK);
            return false;
        };
        self.chunks.borrow_mut().push(chunk);
        self.next.set(chunk.as_ptr());
        // SAFETY: one past the chunk's end.
        self.end.set(unsafe { chunk.as_ptr().add(CHUNK) });
        true
    }

    fn alloc_large(&self, total: usize) -> *mut u8 {
        let Ok(layout) = Layout::from_size_align(total, STEP) else {
            return ptr::null_mut();
        };
        if !self.take(total) {
            return ptr::null_mut();
        }
        // SAFETY: `total` is more than SMALL, so not zero.
        let block = unsafe { std::alloc::alloc(layout) };
        if block.is_null() {
            self.live.set(self.live.get() - total);
            return ptr::null_mut();
        }
        // SAFETY: the block has room for its header.
        unsafe {
            block.cast::<u64>().write(total as u64 | LARGE);
            block.add(HEADER)
        }
    }

    /// Frees a block `alloc` returned.
    ///
    /// # Safety
    /// `p` is a live block of this heap.
    unsafe fn free(&self, p: *mut u8) {
        let block = unsafe { p.sub(HEADER) };
        let header = unsafe { block.cast::<u64>().read() };
        if header & LARGE != 0 {
            let total = (header & !LARGE) as usize;
            self.live.set(self.live.get() - total);
            // SAFETY: allocated in `alloc_large` with this layout.
            unsafe { std::alloc::dealloc(block, Layout::from_size_align_unchecked(total, STEP)) };
        } else {
            let class = header as usize;
            // SAFETY: a small block has at least one payload word for the link.
            unsafe { p.cast::<*mut u8>().write(self.free[class].get()) };
            self.free[class].set(block);
        }
    }

    /// Payload bytes of a live block.
    ///
    /// # Safety
    /// `p` is a live block of a heap.
    unsafe fn usable(p: *mut u8) -> usize {
        let header = unsafe { p.sub(HEADER).cast::<u64>().read() };
        if header & LARGE != 0 {
            (header & !LARGE) as usize - HEADER
        } else {
            header as usize * STEP - HEADER
        }
    }
}

fn chunk_layout() -> Layout {
    // 8 KiB at 8-byte alignment always make a layout.
    Layout::from_size_align(CHUNK, STEP).unwrap_or(Layout::new::<u64>())
}

impl Drop for Heap {
    fn drop(&mut self) {
        // Large blocks were freed with the runtime; the chunks go now.
        for chunk in self.chunks.get_mut().drain(..) {
            // SAFETY: allocated in `new_chunk` with this layout.
            unsafe { std::alloc::dealloc(chunk.as_ptr(), chunk_layout()) };
        }
    }
}

/// The runtime's allocator: the worker's heap.
pub(super) struct HeapAlloc(pub(super) Rc<Heap>);

// SAFETY: every block is the heap's, 8-aligned, with at least the size asked for; freed and
// resized blocks are ones the heap handed out (QuickJS frees only its own).
unsafe impl Allocator for HeapAlloc {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        self.0.alloc(size)
    }

    fn calloc(&mut self, count: usize, size: usize) -> *mut u8 {
        let Some(total) = count.checked_mul(size) else {
            return ptr::null_mut();
        };
        let p = self.0.alloc(total);
        if !p.is_null() {
            // SAFETY: the block has at least `total` bytes (reused blocks are not zero).
            unsafe { ptr::write_bytes(p, 0, total) };
        }
        p
    }

    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        if !ptr.is_null() {
            unsafe { self.0.free(ptr) }
        }
    }

    unsafe fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> *mut u8 {
        if ptr.is_null() {
            return self.0.alloc(new_size);
        }
        let old = unsafe { Heap::usable(ptr) };
        if new_size <= old && new_size >= old / 2 {
            // It fits, and not with more than half to spare: it stays.
            return ptr;
        }
        let fresh = self.0.alloc(new_size);
        if !fresh.is_null() {
            // SAFETY: both blocks hold at least min(old, new_size) bytes; they are distinct.
            unsafe {
                ptr::copy_nonoverlapping(ptr, fresh, old.min(new_size));
                self.0.free(ptr);
            }
        }
        fresh
    }

    unsafe fn usable_size(ptr: *mut u8) -> usize {
        unsafe { Heap::usable(ptr) }
    }
}
