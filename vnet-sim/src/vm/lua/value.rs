//! Lua values to and from the JSON-like values messages carry (the table in the module docs).
//!
//! Values are walked through Lua's C API rather than through mlua's typed handles: every
//! handle costs a reference and every call a protected call, and messages are the hot path of
//! a Lua worker (this halves the conversion time of a small table).

use std::ffi::{CStr, c_int};

use mlua::ffi;
use serde_json::Value;

use crate::net::packed::{Item, PackedReader, PackedValue, Packer};
use crate::net::{Message, Payload};
use crate::vm::io::Meta;

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
    unsafe { read_packed(state, idx, depth).map(|p| p.to_value()) }
}

/// As [`read`], into a packed value (what a message to another Lua worker carries).
pub(super) unsafe fn read_packed(
    state: *mut ffi::lua_State,
    idx: c_int,
    depth: usize,
) -> Result<PackedValue, String> {
    let mut p = Packer::default();
    unsafe { pack(state, idx, depth, &mut p)? };
    Ok(p.finish())
}

unsafe fn pack(
    state: *mut ffi::lua_State,
    idx: c_int,
    depth: usize,
    p: &mut Packer,
) -> Result<(), String> {
    unsafe {
        match ffi::lua_type(state, idx) {
            ffi::LUA_TNIL => p.null(),
            ffi::LUA_TBOOLEAN => p.bool(ffi::lua_toboolean(state, idx) != 0),
            ffi::LUA_TNUMBER if ffi::lua_isinteger(state, idx) != 0 => {
                p.int(ffi::lua_tointeger(state, idx));
            }
            ffi::LUA_TNUMBER => {
                let f = ffi::lua_tonumber(state, idx);
                if !p.float(f) {
                    return Err(format!("cannot send the number {f}"));
                }
            }
            ffi::LUA_TSTRING => p.string(text_at(state, idx, "string")?),
            ffi::LUA_TTABLE => pack_table(state, idx, depth, p)?,
            t => return Err(format!("cannot send a {}", type_name(state, t))),
        }
        Ok(())
    }
}

/// The string at `idx` as text that can cross: UTF-8, and short enough for a packed value's
/// 32-bit length.
unsafe fn text_at<'a>(
    state: *mut ffi::lua_State,
    idx: c_int,
    what: &str,
) -> Result<&'a str, String> {
    let bytes = unsafe { string_at(state, idx) };
    if u32::try_from(bytes.len()).is_err() {
        return Err(format!(
            "cannot send a {what} of {} bytes (at most 4 GiB)",
            bytes.len()
        ));
    }
    std::str::from_utf8(bytes).map_err(|_| format!("cannot send a {what} that is not valid UTF-8"))
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

unsafe fn pack_table(
    state: *mut ffi::lua_State,
    idx: c_int,
    depth: usize,
    p: &mut Packer,
) -> Result<(), String> {
    unsafe {
        if depth >= MAX_DEPTH || ffi::lua_checkstack(state, 3) == 0 {
            return Err(too_deep());
        }
        let n = ffi::lua_rawlen(state, idx) as usize;
        if n > 0 {
            // An array, if its keys are exactly 1..n.
            p.begin_array(u32::try_from(n).map_err(|_| "cannot send an array this long")?);
            for i in 1..=n {
                ffi::lua_rawgeti(state, idx, i as ffi::lua_Integer);
                let item = pack(state, ffi::lua_gettop(state), depth + 1, p);
                ffi::lua_pop(state, 1);
                item?;
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
            return Ok(());
        }
        let object = p.begin_object();
        ffi::lua_pushnil(state);
        while ffi::lua_next(state, idx) != 0 {
            if ffi::lua_type(state, -2) != ffi::LUA_TSTRING {
                return Err(bad_key(state, -2));
            }
            p.key(text_at(state, -2, "table key")?);
            pack(state, ffi::lua_gettop(state), depth + 1, p)?;
            ffi::lua_pop(state, 1);
        }
        p.end_object(object);
        Ok(())
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

/// Pushes a packed value (one slot).
unsafe fn push_packed(
    state: *mut ffi::lua_State,
    r: &mut PackedReader<'_>,
    depth: usize,
) -> Result<(), String> {
    unsafe {
        if depth >= MAX_DEPTH || ffi::lua_checkstack(state, 3) == 0 {
            return Err(too_deep());
        }
        match r.next() {
            Item::Null => ffi::lua_pushnil(state),
            Item::Bool(b) => ffi::lua_pushboolean(state, c_int::from(b)),
            Item::Int(i) => ffi::lua_pushinteger(state, i),
            Item::Float(f) => ffi::lua_pushnumber(state, f),
            Item::Str(s) => {
                ffi::lua_pushlstring(state, s.as_ptr().cast(), s.len());
            }
            Item::Array(n) => {
                ffi::lua_createtable(state, c_int::try_from(n).unwrap_or(0), 0);
                for i in 1..=n {
                    push_packed(state, r, depth + 1)?;
                    ffi::lua_rawseti(state, -2, ffi::lua_Integer::from(i));
                }
            }
            Item::Object(n) => {
                ffi::lua_createtable(state, 0, c_int::try_from(n).unwrap_or(0));
                for _ in 0..n {
                    let k = r.key();
                    ffi::lua_pushlstring(state, k.as_ptr().cast(), k.len());
                    push_packed(state, r, depth + 1)?;
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
        if let Some(p) = m.as_packed() {
            return push_packed(state, &mut p.reader(), 0);
        }
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

/// The keys of `recv`'s meta table, kept in the registry so that a message sets them with
/// `lua_rawset`: `lua_setfield` with a C string looks the key up in the string cache and goes
/// through the metamethod path, ≈ 200 instructions a field (4.4 % of a Lua→Lua message).
pub(super) struct MetaKeys([c_int; 4]);

impl MetaKeys {
    /// Interns the keys in `l`'s registry. Raises on memory errors: call it protected.
    pub(super) unsafe fn new(l: *mut ffi::lua_State) -> Self {
        let mut keys = [0; 4];
        for (k, name) in keys.iter_mut().zip(["from", "id", "sent", "sent_ns"]) {
            unsafe {
                ffi::lua_pushlstring(l, name.as_ptr().cast(), name.len());
                *k = ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX);
            }
        }
        MetaKeys(keys)
    }
}

/// Pushes `recv`'s third value, the table `{from, id, sent, sent_ns}` (inserted in that order,
/// as a pushed JSON object's keys are).
pub(super) unsafe fn push_meta(state: *mut ffi::lua_State, m: &Meta, keys: &MetaKeys) {
    unsafe {
        ffi::lua_createtable(state, 0, 4);
        let [from, id, sent, sent_ns] = keys.0;
        // Key, value, then set: the table has room for all four, so nothing here allocates
        // but the `id` string.
        let key = |k: c_int| ffi::lua_rawgeti(state, ffi::LUA_REGISTRYINDEX, k.into());
        key(from);
        ffi::lua_pushlstring(state, m.from.as_ptr().cast(), m.from.len());
        ffi::lua_rawset(state, -3);
        key(id);
        match m.id {
            Some(id) => {
                // `node#seq`, as `MessageId` displays, without a formatter.
                let (mut a, mut b) = (itoa::Buffer::new(), itoa::Buffer::new());
                let (node, seq) = (a.format(id.node).as_bytes(), b.format(id.seq).as_bytes());
                let mut buf = [0u8; 48];
                buf[..node.len()].copy_from_slice(node);
                buf[node.len()] = b'#';
                let len = node.len() + 1 + seq.len();
                buf[node.len() + 1..len].copy_from_slice(seq);
                ffi::lua_pushlstring(state, buf.as_ptr().cast(), len);
            }
            None => ffi::lua_pushnil(state),
        }
        ffi::lua_rawset(state, -3);
        key(sent);
        ffi::lua_pushnumber(state, m.sent.as_millis_f64());
        ffi::lua_rawset(state, -3);
        key(sent_ns);
        let ns = m.sent.as_nanos();
        match i64::try_from(ns) {
            Ok(i) => ffi::lua_pushinteger(state, i),
            Err(_) => ffi::lua_pushnumber(state, ns as f64),
        }
        ffi::lua_rawset(state, -3);
    }
}
