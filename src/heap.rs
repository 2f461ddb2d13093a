//! A counting global allocator for measurements: the bytes live on the heap, process-wide.
//!
//! Benches and `table1` install it to measure what a worker keeps (m_iVM). Unlike
//! [`MeteredAlloc`](vnet_sim::vm::MeteredAlloc) it meters nothing per worker, so JS workers in
//! such a binary run without memory caps.
//!
//! ```
//! #[global_allocator]
//! static ALLOC: vnet::heap::CountingAlloc = vnet::heap::CountingAlloc;
//! # fn main() {
//! let before = vnet::heap::CountingAlloc::live_bytes();
//! let v = vec![0u8; 4096];
//! assert!(vnet::heap::CountingAlloc::live_bytes() - before >= 4096);
//! # drop(v);
//! # }
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// [`System`], counting the bytes it hands out and takes back.
pub struct CountingAlloc;

static LIVE: AtomicIsize = AtomicIsize::new(0);

impl CountingAlloc {
    /// Bytes allocated and not yet freed (requested sizes, without the system's overhead).
    pub fn live_bytes() -> isize {
        LIVE.load(Ordering::Relaxed)
    }
}

// SAFETY: every call is passed on to `System` unchanged; only the counter is added.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}
