//! Lua values to and from the JSON-like values messages carry (the table in the module docs).
//!
//! Values are walked through Lua's C API rather than through mlua's typed handles: every
//! handle costs a reference and every call a protected call, and messages are the hot path of
//! a Lua worker (this halves the conversion time of a small table).

use std::ffi::{CStr, c_int};

use mlua::ffi;
use serde_json::{Map, Number, Value};

use crate::net::{Message, Payload};

/// Deeper nesting than this is taken for a cycle.
pub(crate) const MAX_DEPTH: usize = 64;

fn too_deep() -> String {
    format!("value nested deeper than {MAX_DEPTH} levels (a table that contains itself?)")
}

/// Reads the value at absolute stack index `idx` for sending; the error says what could not
/// cross. Raises no Lua error: it calls no metamethods and allocates nothing in Lua.
pub(super) unsafe fn read(
    state: *mut ffi::lua_State,
    idx: c_int,
    depth: usize,
) -> Result<Value, String> {
    unsafe {
        Ok(match ffi::lua_type(state, idx) {
            ffi::LUA_TNIL => Value::Null,
            ffi::LUA_TBOOLEAN => Value::Bool(ffi::lua_toboolean(state, idx) != 0),
            ffi::LUA_TNUMBER if ffi::lua_isinteger(state, idx) != 0 => {
                Value::Number(ffi::lua_tointeger(state, idx).into())
            }
            ffi::LUA_TNUMBER => {
                let f = ffi::lua_tonumber(state, idx);
                Value::Number(
                    Number::from_f64(f).ok_or_else(|| format!("cannot send the number {f}"))?,
                )
            }
            ffi::LUA_TSTRING => Value::String(
                std::str::from_utf8(string_at(state, idx))
                    .map_err(|_| "cannot send a string that is not valid UTF-8".to_owned())?
                    .to_owned(),
            ),
            ffi::LUA_TTABLE => read_table(state, idx, depth)?,
            t => return Err(format!("cannot send a {}", type_name(state, t))),
        })
    }
}

/// The bytes of the string at `idx` (which must be a string, so nothing is converted).
pub(super) unsafe fn string_at<'a>(state: *mut ffi::lua_State, idx: c_int) -> &'a [u8] {
    unsafe {
        let mut len = 0;
        let p = ffi::lua_tolstring(state, idx, &mut len);
        std::slice::from_raw_parts(p.cast::<u8>(), len)
    }
}

unsafe fn type_name(state: *mut ffi::lua_State, t: c_int) -> String {
    unsafe {
        CStr::from_ptr(ffi::lua_typename(state, t))
            .to_string_lossy()
            .into_owned()
    }
}

unsafe fn read_table(
    state: *mut ffi::lua_State,
    idx: c_int,
    depth: usize,
) -> Result<Value, String> {
    unsafe {
        if depth >= MAX_DEPTH || ffi::lua_checkstack(state, 3) == 0 {
            return Err(too_deep());
        }
        let n = ffi::lua_rawlen(state, idx) as usize;
        if n > 0 {
            // An array, if its keys are exactly 1..n.
            let mut items = Vec::with_capacity(n);
            for i in 1..=n {
                ffi::lua_rawgeti(state, idx, i as ffi::lua_Integer);
                let item = read(state, ffi::lua_gettop(state), depth + 1);
                ffi::lua_pop(state, 1);
                items.push(item?);
            }
            let mut count = 0;
            ffi::lua_pushnil(state);
            while ffi::lua_next(state, idx) != 0 {
                ffi::lua_pop(state, 1);
                count += 1;
                let key_in_range = ffi::lua_isinteger(state, -1) != 0
                    && (1..=n as i64).contains(&ffi::lua_tointeger(state, -1));
                if !key_in_range {
                    // The caller resets the stack.
                    return Err(if ffi::lua_type(state, -1) == ffi::LUA_TSTRING {
                        "cannot send a table mixing array items and string keys".into()
                    } else {
                        bad_key(state, -1)
                    });
                }
            }
            if count != n {
                return Err("cannot send an array with holes".into());
            }
            return Ok(Value::Array(items));
        }
        let mut map = Map::new();
        ffi::lua_pushnil(state);
        while ffi::lua_next(state, idx) != 0 {
            if ffi::lua_type(state, -2) != ffi::LUA_TSTRING {
                return Err(bad_key(state, -2));
            }
            let key = std::str::from_utf8(string_at(state, -2))
                .map_err(|_| "cannot send a table key that is not valid UTF-8".to_owned())?
                .to_owned();
            let item = read(state, ffi::lua_gettop(state), depth + 1)?;
            ffi::lua_pop(state, 1);
            map.insert(key, item);
        }
        Ok(Value::Object(map))
    }
}

unsafe fn bad_key(state: *mut ffi::lua_State, idx: c_int) -> String {
    unsafe {
        let key = match ffi::lua_type(state, idx) {
            ffi::LUA_TNUMBER if ffi::lua_isinteger(state, idx) != 0 => {
                ffi::lua_tointeger(state, idx).to_string()
            }
            ffi::LUA_TNUMBER => ffi::lua_tonumber(state, idx).to_string(),
            ffi::LUA_TBOOLEAN => (ffi::lua_toboolean(state, idx) != 0).to_string(),
            t => format!("of type {}", type_name(state, t)),
        };
        format!("cannot send a table with key {key} (keys must be strings, or 1..n for an array)")
    }
}

/// Pushes `v` onto the stack (one slot).
pub(super) unsafe fn push(
    state: *mut ffi::lua_State,
    v: &Value,
    depth: usize,
) -> Result<(), String> {
    unsafe {
        if depth >= MAX_DEPTH || ffi::lua_checkstack(state, 3) == 0 {
            return Err(too_deep());
        }
        match v {
            Value::Null => ffi::lua_pushnil(state),
            Value::Bool(b) => ffi::lua_pushboolean(state, c_int::from(*b)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => ffi::lua_pushinteger(state, i),
                None => ffi::lua_pushnumber(state, n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => {
                ffi::lua_pushlstring(state, s.as_ptr().cast(), s.len());
            }
            Value::Array(items) => {
                ffi::lua_createtable(state, c_int::try_from(items.len()).unwrap_or(0), 0);
                for (i, item) in items.iter().enumerate() {
                    push(state, item, depth + 1)?;
                    ffi::lua_rawseti(state, -2, i as ffi::lua_Integer + 1);
                }
            }
            Value::Object(map) => {
                ffi::lua_createtable(state, 0, c_int::try_from(map.len()).unwrap_or(0));
                for (k, item) in map {
                    ffi::lua_pushlstring(state, k.as_ptr().cast(), k.len());
                    push(state, item, depth + 1)?;
                    ffi::lua_rawset(state, -3);
                }
            }
        }
        Ok(())
    }
}

/// Pushes a message's payload (bytes become a string; no payload is nil).
pub(super) unsafe fn push_message(state: *mut ffi::lua_State, m: &Message) -> Result<(), String> {
    unsafe {
        match m.payload() {
            Payload::Empty => ffi::lua_pushnil(state),
            Payload::Bytes(b) => {
                ffi::lua_pushlstring(state, b.as_ptr().cast(), b.len());
            }
            Payload::Value(v) => push(state, v, 0)?,
        }
        Ok(())
    }
}
