//! Heap metering for JavaScript workers' memory caps.
//!
//! boa has no per-realm allocation limit and no allocation hook, so a JS worker's memory is
//! measured underneath it: [`MeteredAlloc`], a global allocator, charges every allocation to
//! the [`HeapMeter`] entered on the thread when it was made, and credits it back when freed,
//! whenever and wherever that happens (boa's garbage collector frees one worker's garbage
//! while another runs). It stores the account in a 16-byte header before each block.
//!
//! A binary opts in with one line; without it, JS workers run uncapped and say so on their
//! standard error:
//!
//! ```
//! #[global_allocator]
//! static ALLOC: vnet_sim::vm::MeteredAlloc = vnet_sim::vm::MeteredAlloc;
//! # fn main() { assert!(vnet_sim::vm::HeapMeter::new().is_some()); }
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicPtr, AtomicUsize, Ordering, fence};

/// Bytes before each block: the account pointer, padded to keep 16-byte alignment.
const HEADER: usize = 16;

/// A global allocator that meters allocations made inside [`HeapMeter::enter`]; it otherwise
/// behaves as [`System`], plus a 16-byte header per block.
pub struct MeteredAlloc;

struct Account {
    live: AtomicIsize,
    /// One for the [`HeapMeter`], one per live block charged to it.
    refs: AtomicUsize,
    /// Past this many live bytes, an allocation on the metering thread trips the account.
    limit: AtomicUsize,
    /// Set (and `interrupt` raised) by the allocation that went past `limit`.
    tripped: AtomicBool,
    /// What a trip raises: the [`HeapMeter`]'s interrupt flag, or null.
    interrupt: AtomicPtr<AtomicBool>,
}

impl Account {
    /// After charging this thread's allocation: past the limit, trip and interrupt.
    #[inline]
    fn check(&self, live: isize) {
        if live > self.limit.load(Ordering::Relaxed) as isize {
            self.tripped.store(true, Ordering::Relaxed);
            // SAFETY: only called for the account entered on this thread, whose meter (which
            // keeps the flag alive) outlives its guards.
            if let Some(flag) = unsafe { self.interrupt.load(Ordering::Relaxed).as_ref() } {
                flag.store(true, Ordering::Relaxed);
            }
        }
    }
}

thread_local! {
    static CURRENT: Cell<*const Account> = const { Cell::new(ptr::null()) };
}

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The header size and the layout actually requested from the system for `layout`.
fn outer(layout: Layout) -> Option<(usize, Layout)> {
    let align = layout.align().max(HEADER);
    let size = layout.size().checked_add(align)?;
    Some((align, Layout::from_size_align(size, align).ok()?))
}

impl MeteredAlloc {
    unsafe fn alloc_with(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        if !INSTALLED.load(Ordering::Relaxed) {
            INSTALLED.store(true, Ordering::Relaxed);
        }
        let Some((header, full)) = outer(layout) else {
            return ptr::null_mut();
        };
        // SAFETY: `full` has a non-zero size (it includes the header).
        let base = unsafe {
            if zeroed {
                System.alloc_zeroed(full)
            } else {
                System.alloc(full)
            }
        };
        if base.is_null() {
            return base;
        }
        let account = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
        if let Some(a) = unsafe { account.as_ref() } {
            let size = layout.size() as isize;
            a.check(a.live.fetch_add(size, Ordering::Relaxed) + size);
            a.refs.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the header lies inside the block, at its (16-aligned) start.
        unsafe {
            base.cast::<*const Account>().write(account);
            base.add(header)
        }
    }
}

unsafe impl GlobalAlloc for MeteredAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { self.alloc_with(layout, false) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { self.alloc_with(layout, true) }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        let Some((header, full)) = outer(layout) else {
            return;
        };
        // SAFETY: `p` came from `alloc_with` with this layout, so the header precedes it.
        unsafe {
            let base = p.sub(header);
            release(base.cast::<*const Account>().read(), layout.size());
            System.dealloc(base, full);
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some((header, full)) = outer(layout) else {
            return ptr::null_mut();
        };
        let Some(new_full) = new_size.checked_add(header) else {
            return ptr::null_mut();
        };
        // SAFETY: as in `dealloc`; the system allocator moves the header with the block.
        unsafe {
            let base = System.realloc(p.sub(header), full, new_full);
            if base.is_null() {
                return base;
            }
            let account = base.cast::<*const Account>().read();
            if let Some(a) = account.as_ref() {
                let grown = new_size as isize - layout.size() as isize;
                let live = a.live.fetch_add(grown, Ordering::Relaxed) + grown;
                // Only the metering thread trips its account (its meter is alive then).
                if grown > 0 && CURRENT.try_with(Cell::get).unwrap_or(ptr::null()) == account {
                    a.check(live);
                }
            }
            base.add(header)
        }
    }
}

/// Credits `size` bytes back to `account` and drops the block's reference to it.
unsafe fn release(account: *const Account, size: usize) {
    let Some(a) = (unsafe { account.as_ref() }) else {
        return;
    };
    a.live.fetch_sub(size as isize, Ordering::Relaxed);
    if a.refs.fetch_sub(1, Ordering::Release) == 1 {
        fence(Ordering::Acquire);
        // SAFETY: the last reference; accounts are made by `System` in `HeapMeter::new`.
        unsafe { System.dealloc(account.cast_mut().cast(), Layout::new::<Account>()) };
    }
}

/// The bytes a worker has live on the heap: what was allocated inside [`HeapMeter::enter`]
/// and not yet freed. Made only when [`MeteredAlloc`] is the global allocator.
///
/// With [`limit`](Self::limit), the allocation that takes it past a number of bytes *trips*
/// it at once and raises an interrupt flag — where nothing else can stop the program (a JS
/// loop that allocates without calling the API), the engine checks that flag.
pub struct HeapMeter {
    account: NonNull<Account>,
    /// Kept alive for the account's raw pointer to it.
    interrupt: Option<std::sync::Arc<AtomicBool>>,
}

impl HeapMeter {
    /// A new meter at zero, or `None` if [`MeteredAlloc`] is not the global allocator.
    pub fn new() -> Option<Self> {
        // Any allocation through the global allocator tells whether it is ours.
        drop(std::hint::black_box(Box::new(0u8)));
        if !is_installed() {
            return None;
        }
        let layout = Layout::new::<Account>();
        // SAFETY: a non-zero-sized layout; the block is initialised before use.
        let account = NonNull::new(unsafe { System.alloc(layout) }.cast::<Account>())?;
        unsafe {
            account.as_ptr().write(Account {
                live: AtomicIsize::new(0),
                refs: AtomicUsize::new(1),
                limit: AtomicUsize::new(isize::MAX as usize),
                tripped: AtomicBool::new(false),
                interrupt: AtomicPtr::new(ptr::null_mut()),
            })
        };
        Some(HeapMeter {
            account,
            interrupt: None,
        })
    }

    /// Trips the meter — and raises `interrupt` — at the allocation, made inside
    /// [`enter`](Self::enter), that takes it past `bytes` live.
    pub fn limit(&mut self, bytes: usize, interrupt: std::sync::Arc<AtomicBool>) {
        let a = self.account();
        a.limit
            .store(bytes.min(isize::MAX as usize), Ordering::Relaxed);
        a.interrupt.store(
            std::sync::Arc::as_ptr(&interrupt).cast_mut(),
            Ordering::Relaxed,
        );
        self.interrupt = Some(interrupt);
    }

    /// Whether an allocation took the meter past its [`limit`](Self::limit).
    pub fn tripped(&self) -> bool {
        self.account().tripped.load(Ordering::Relaxed)
    }

    fn account(&self) -> &Account {
        // SAFETY: the meter holds a reference, so the account is alive.
        unsafe { self.account.as_ref() }
    }

    /// Bytes allocated inside [`enter`](Self::enter) and still live.
    pub fn live_bytes(&self) -> usize {
        // SAFETY: the meter holds a reference, so the account is alive.
        let live = unsafe { self.account.as_ref() }
            .live
            .load(Ordering::Relaxed);
        live.max(0) as usize
    }

    /// Charges this thread's allocations to the meter until the guard is dropped (guards nest).
    pub fn enter(&self) -> MeterGuard {
        let previous = CURRENT.with(|c| c.replace(self.account.as_ptr()));
        MeterGuard {
            previous,
            _not_send: std::marker::PhantomData,
        }
    }
}

impl Drop for HeapMeter {
    fn drop(&mut self) {
        // The flag goes with the meter; blocks that outlive it no longer reach it.
        self.account()
            .interrupt
            .store(ptr::null_mut(), Ordering::Relaxed);
        // SAFETY: this meter's own reference; blocks still live keep the account alive.
        unsafe { release(self.account.as_ptr(), 0) }
    }
}

impl std::fmt::Debug for HeapMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeapMeter")
            .field("live_bytes", &self.live_bytes())
            .finish()
    }
}

/// Restores the previously entered meter when dropped.
pub struct MeterGuard {
    previous: *const Account,
    /// The guard belongs to the thread whose allocations it redirects.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for MeterGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
    }
}

/// Whether [`MeteredAlloc`] is the global allocator (it has served an allocation).
fn is_installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::HeapMeter;

    #[test]
    fn charges_what_is_allocated_inside_and_credits_it_wherever_freed() {
        let meter = HeapMeter::new().expect("the test binary installs MeteredAlloc");
        let outside = vec![0u8; 5000];
        let mut inside = {
            let _in = meter.enter();
            Vec::<u8>::with_capacity(1000)
        };
        assert_eq!(meter.live_bytes(), 1000);
        inside.reserve_exact(3000); // grown outside: still charged to the meter
        assert_eq!(meter.live_bytes(), 3000);
        let other = HeapMeter::new().unwrap();
        {
            let _a = meter.enter();
            let _b = other.enter(); // guards nest: the inner one is charged
            let v = vec![1u64; 100];
            assert_eq!(other.live_bytes(), 800);
            drop(v);
        }
        assert_eq!(other.live_bytes(), 0);
        drop(meter); // a block may outlive its meter
        drop(inside);
        drop(outside);
    }

    #[test]
    fn the_allocation_past_the_limit_trips_the_meter_and_raises_its_flag() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let mut meter = HeapMeter::new().unwrap();
        let flag = Arc::new(AtomicBool::new(false));
        meter.limit(10_000, flag.clone());
        let mut kept = Vec::new();
        {
            let _in = meter.enter();
            kept.push(vec![0u8; 6_000]);
            assert!(!meter.tripped() && !flag.load(Ordering::Relaxed));
            kept.push(vec![0u8; 6_000]); // 12 000 live: past the limit
        }
        assert!(meter.tripped() && flag.load(Ordering::Relaxed));
        // Allocations elsewhere do not trip another meter.
        let other = HeapMeter::new().unwrap();
        drop(vec![0u8; 50_000]);
        assert!(!other.tripped());
    }
}
