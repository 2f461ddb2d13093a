//! **vnet's patch to boa 0.22** (the only change to this vendored copy besides the trimmed
//! manifest; see `vendor/README.md`): a way for the host to stop the running script at its next
//! instruction, from another thread (a kill) or from the global allocator (a memory cap).
//!
//! The host points the current thread at an `AtomicBool` with [`watch`]; the interpreter reads
//! it before every instruction (with the `fuzz` feature, beside its instruction counter) and,
//! once it is set, stops with the uncatchable `NoInstructionsRemain` engine error, which
//! unwinds to the Rust caller as the instruction budget's end does.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    static WATCHED: Cell<*const AtomicBool> = const { Cell::new(std::ptr::null()) };
}

/// Makes the interpreter on this thread stop once `flag` is set; `None` stops watching.
///
/// # Safety
///
/// `flag` must stay alive until this thread watches another flag or none.
pub unsafe fn watch(flag: Option<&AtomicBool>) {
    WATCHED.with(|w| w.set(flag.map_or(std::ptr::null(), std::ptr::from_ref)));
}

/// Whether the watched flag is set.
#[inline]
pub(crate) fn requested() -> bool {
    let flag = WATCHED.with(Cell::get);
    // SAFETY: `watch`'s caller keeps the flag alive while it is watched.
    !flag.is_null() && unsafe { (*flag).load(Ordering::Relaxed) }
}
