//! The tuple-space globals in Lua: `out(tuple [, lifetime_ms])`, `inp(pattern)`,
//! `rdp(pattern)`, `rd(pattern [, timeout_ms])` and `take(pattern [, timeout_ms])` (JAM's `in`,
//! a reserved word in Lua and JavaScript). See [`crate::agents`] for the rules.

use std::cell::RefCell;
use std::ffi::c_int;

use mlua::ffi;
use serde_json::Value;

use super::Shared;
use super::api::{block, busy, ms_arg};
use super::value::{push, read};
use crate::vm::io::Step;

/// `out(tuple [, lifetime_ms])`.
pub(super) unsafe fn out_body(
    l: *mut ffi::lua_State,
    shared: &RefCell<Shared>,
) -> Result<c_int, String> {
    unsafe {
        let lifetime = ms_arg(l, 2, "out")?;
        let tuple = read(l, 1, 0).map_err(|e| format!("out: {e}"))?;
        shared
            .try_borrow_mut()
            .map_err(|_| busy())?
            .io
            .ts_out(tuple, lifetime)?;
        Ok(0)
    }
}

/// Looks for `pattern` (argument 1) and pushes the tuple found, or nil; with `wait`, blocks
/// instead when there is none (a timeout of 0 does not block).
unsafe fn find(
    l: *mut ffi::lua_State,
    shared: &RefCell<Shared>,
    op: &'static str,
    take: bool,
    wait: bool,
) -> Result<c_int, String> {
    unsafe {
        let timeout = if wait { ms_arg(l, 2, op)? } else { None };
        let pattern = read(l, 1, 0).map_err(|e| format!("{op}: {e}"))?;
        // Owned values end inside this block: what is pushed below stays in `shared`.
        let found: *const Value = {
            let mut s = shared.try_borrow_mut().map_err(|_| busy())?;
            let (pattern, found) = s.io.ts_find(op, pattern, take)?;
            match found {
                Some(t) => {
                    s.found = Some(Value::Array(t));
                    s.found
                        .as_ref()
                        .map_or(std::ptr::null(), |v| v as *const Value)
                }
                None if wait && timeout != Some(crate::time::SimDuration::ZERO) => {
                    let request = Step::Tuple {
                        pattern,
                        take,
                        timeout,
                    };
                    return block(l, &mut s, op, request);
                }
                None => std::ptr::null(),
            }
        };
        match found.as_ref() {
            Some(v) => push(l, v, 0).map_err(|e| format!("{op}: {e}"))?,
            None => ffi::lua_pushnil(l),
        }
        Ok(1)
    }
}

/// `inp(pattern)`: takes the oldest matching tuple, or returns nil.
pub(super) unsafe fn inp_body(
    l: *mut ffi::lua_State,
    shared: &RefCell<Shared>,
) -> Result<c_int, String> {
    unsafe { find(l, shared, "inp", true, false) }
}

/// `rdp(pattern)`: reads (a copy of) the oldest matching tuple, or returns nil.
pub(super) unsafe fn rdp_body(
    l: *mut ffi::lua_State,
    shared: &RefCell<Shared>,
) -> Result<c_int, String> {
    unsafe { find(l, shared, "rdp", false, false) }
}

/// `rd(pattern [, timeout_ms])`: reads a matching tuple, waiting for one; nil on timeout.
pub(super) unsafe fn rd_body(
    l: *mut ffi::lua_State,
    shared: &RefCell<Shared>,
) -> Result<c_int, String> {
    unsafe { find(l, shared, "rd", false, true) }
}

/// `take(pattern [, timeout_ms])`: takes a matching tuple, waiting for one; nil on timeout.
pub(super) unsafe fn take_body(
    l: *mut ffi::lua_State,
    shared: &RefCell<Shared>,
) -> Result<c_int, String> {
    unsafe { find(l, shared, "take", true, true) }
}
