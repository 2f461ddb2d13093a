//! The small blocks under Lua states: freed blocks of up to [`SMALL`] bytes are kept on a
//! per-thread free list of their size class and handed to the next allocation of that class,
//! whichever state makes it.
//!
//! Every Lua message makes and frees a few small objects (the value's table, `recv`'s meta
//! table, the id string). Through the global allocator each costs a `malloc` and a `free`, and
//! glibc keeps only seven freed blocks a size before its slower paths; here a block comes back
//! in a few instructions, still warm in the cache. At most [`KEEP`] blocks a class are kept
//! (about half a megabyte a thread at worst), and a thread's lists go back to the global
//! allocator when it ends.
//!
//! A small block is always allocated with its class's size, so it can be freed or reused
//! as any block of the class; larger blocks go to the global allocator as they are. The
//! classes are 8 bytes short of a multiple of 16 (8, 24, 40, …, 248): what glibc's chunks
//! (an 8-byte header, 16-byte steps) hold, so rounding a request up to its class costs no
//! memory that `malloc` would not have spent anyway.

use std::alloc::Layout;
use std::cell::Cell;
use std::ptr;

/// What Lua's allocator aligns to (the platform's `max_align_t`), and the class step.
const ALIGN: usize = 16;
/// The largest block kept on a free list (the largest class).
pub(super) const SMALL: usize = 248;
const CLASSES: usize = SMALL / ALIGN + 1;
/// Blocks kept per class and thread.
pub(super) const KEEP: u32 = 256;

/// A free block's first word: the next free block of its class.
struct Free {
    next: *mut Free,
}

struct FreeLists {
    head: [Cell<*mut Free>; CLASSES],
    len: [Cell<u32>; CLASSES],
}

impl Drop for FreeLists {
    fn drop(&mut self) {
        for (c, head) in self.head.iter().enumerate() {
            let mut p = head.replace(ptr::null_mut());
            while !p.is_null() {
                // SAFETY: every listed block was allocated with `class_layout(c)` and is unused.
                unsafe {
                    let next = (*p).next;
                    std::alloc::dealloc(p.cast(), class_layout(c));
                    p = next;
                }
            }
            self.len[c].set(0);
        }
    }
}

thread_local! {
    static LISTS: FreeLists = const {
        FreeLists {
            head: [const { Cell::new(ptr::null_mut()) }; CLASSES],
            len: [const { Cell::new(0) }; CLASSES],
        }
    };
}

/// The class of a block of `size` bytes (at most [`SMALL`]): the class sizes are `16c + 8`.
#[inline(always)]
fn class(size: usize) -> usize {
    (size + 7) / ALIGN
}

#[inline(always)]
fn class_layout(c: usize) -> Layout {
    // SAFETY: a non-zero size far below isize::MAX; a power-of-two alignment.
    unsafe { Layout::from_size_align_unchecked(c * ALIGN + 8, ALIGN) }
}

#[inline(always)]
fn large_layout(size: usize) -> Layout {
    // SAFETY: Lua's sizes fit in isize (its own allocations are bounded by its size type).
    unsafe { Layout::from_size_align_unchecked(size, ALIGN) }
}

/// A block of `size` (> 0) bytes, or null.
///
/// # Safety
/// As [`std::alloc::alloc`]; the block is freed with [`free`] or resized with [`realloc`]
/// given the same `size`.
#[inline]
pub(super) unsafe fn alloc(size: usize) -> *mut u8 {
    if size > SMALL {
        // SAFETY: a non-zero size.
        return unsafe { std::alloc::alloc(large_layout(size)) };
    }
    let c = class(size);
    let reused = LISTS
        .try_with(|l| {
            let head = l.head[c].get();
            if !head.is_null() {
                // SAFETY: a listed block is unused and starts with its `Free` link.
                l.head[c].set(unsafe { (*head).next });
                l.len[c].set(l.len[c].get() - 1);
            }
            head
        })
        .unwrap_or(ptr::null_mut());
    if reused.is_null() {
        // SAFETY: a non-zero size.
        unsafe { std::alloc::alloc(class_layout(c)) }
    } else {
        reused.cast()
    }
}

/// Frees a block of `size` bytes from [`alloc`] or [`realloc`].
///
/// # Safety
/// `ptr` came from [`alloc`]/[`realloc`] with this `size`, and is not used again.
#[inline]
pub(super) unsafe fn free(ptr: *mut u8, size: usize) {
    if size > SMALL {
        // SAFETY: allocated with this layout.
        return unsafe { std::alloc::dealloc(ptr, large_layout(size)) };
    }
    let c = class(size);
    let kept = LISTS
        .try_with(|l| {
            let len = l.len[c].get();
            if len >= KEEP {
                return false;
            }
            let block = ptr.cast::<Free>();
            // SAFETY: the block is at least 8 bytes, 16-aligned and ours from now on.
            unsafe {
                block.write(Free {
                    next: l.head[c].get(),
                })
            };
            l.head[c].set(block);
            l.len[c].set(len + 1);
            true
        })
        .unwrap_or(false);
    if !kept {
        // SAFETY: a small block is allocated with its class's layout.
        unsafe { std::alloc::dealloc(ptr, class_layout(c)) }
    }
}

/// Resizes a block from `osize` to `nsize` (> 0) bytes; null (the block untouched) if
/// memory ran out.
///
/// # Safety
/// As [`free`] for `ptr` and `osize`.
#[inline]
pub(super) unsafe fn realloc(ptr: *mut u8, osize: usize, nsize: usize) -> *mut u8 {
    match (osize <= SMALL, nsize <= SMALL) {
        // SAFETY: allocated with this layout; `nsize` is non-zero.
        (false, false) => unsafe { std::alloc::realloc(ptr, large_layout(osize), nsize) },
        // The block already has its class's size.
        (true, true) if class(osize) == class(nsize) => ptr,
        _ => {
            // SAFETY: as the callers promise; the copy stays within both blocks.
            unsafe {
                let new = alloc(nsize);
                if !new.is_null() {
                    ptr::copy_nonoverlapping(ptr, new, osize.min(nsize));
                    free(ptr, osize);
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_block_is_reused_by_its_class_and_keeps_its_bytes_through_realloc() {
        unsafe {
            let a = alloc(40);
            a.write_bytes(7, 40);
            free(a, 40);
            // Same class (25..=40 bytes): the same block, warm.
            let b = alloc(36);
            assert_eq!(a, b);
            // Growing within the class keeps the block; across classes moves the bytes.
            b.write_bytes(9, 36);
            assert_eq!(realloc(b, 36, 35), b);
            let c = realloc(b, 35, 300);
            assert!((0..35).all(|i| *c.add(i) == 9));
            let d = realloc(c, 300, 20);
            assert!((0..20).all(|i| *d.add(i) == 9));
            free(d, 20);
        }
    }

    #[test]
    fn classes_are_glibc_chunk_sizes() {
        assert_eq!(
            [class(1), class(8), class(9), class(24), class(25)],
            [0, 0, 1, 1, 2]
        );
        assert_eq!(class(SMALL), CLASSES - 1);
        for size in 1..=SMALL {
            let c = class_layout(class(size)).size();
            assert!(
                c >= size && c < size + ALIGN && c % ALIGN == 8,
                "{size} -> {c}"
            );
        }
    }

    #[test]
    fn at_most_keep_blocks_a_class_are_kept() {
        unsafe {
            let blocks: Vec<_> = (0..KEEP + 10).map(|_| alloc(16)).collect();
            for &b in &blocks {
                free(b, 16);
            }
            LISTS.with(|l| assert_eq!(l.len[class(16)].get(), KEEP));
            let again: Vec<_> = (0..KEEP + 10).map(|_| alloc(9)).collect();
            LISTS.with(|l| assert_eq!(l.len[class(16)].get(), 0));
            for b in again {
                free(b, 24);
            }
        }
    }
}
