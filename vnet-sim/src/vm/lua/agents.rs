//! `__agent(op [, arg])` in Lua: the agent runtime's way to its worker (see
//! [`crate::vm::io_agents`]); the runtime takes it out of the globals before the class runs.

use std::cell::RefCell;
use std::ffi::c_int;

use mlua::ffi;
use serde_json::Value;

use super::Shared;
use super::api::{busy, str_arg};
use super::value::{push, read};

/// `__agent(op [, arg])`: the operation's result.
pub(super) unsafe fn agent_body(
    l: *mut ffi::lua_State,
    shared: &RefCell<Shared>,
) -> Result<c_int, String> {
    unsafe {
        let op = str_arg(l, 1, "an operation").map_err(|e| format!("__agent: {e}"))?;
        let arg = match ffi::lua_type(l, 2) {
            ffi::LUA_TNONE | ffi::LUA_TNIL => Value::Null,
            _ => read(l, 2, 0).map_err(|e| format!("{op}: {e}"))?,
        };
        // Held in `shared` while pushed: a push may raise, with nothing owned on the stack.
        let result: *const Value = {
            let mut s = shared.try_borrow_mut().map_err(|_| busy())?;
            let v = s.io.agent_call(op, arg)?;
            s.found = Some(v);
            s.found
                .as_ref()
                .map_or(std::ptr::null(), |v| v as *const Value)
        };
        match result.as_ref() {
            Some(v) => push(l, v, 0).map_err(|e| format!("{op}: {e}"))?,
            None => ffi::lua_pushnil(l),
        }
        Ok(1)
    }
}
