//! The globals a Lua program sees: the node API (`send`, `now`, `random`, `print`, `fork`,
//! `kill`, `sensor`, `node`, a seeded `math.random`; `recv`, `sleep` and `exit` come from the
//! prelude), with the host's reach (`load`, `dofile`, `string.dump`, …) removed.
//!
//! `send` and the prelude's hidden `block` and `take` are C functions on the raw state: they
//! are the message path, and mlua's callback machinery (a reference per argument, a protected
//! call) would double its cost. Their upvalue points at the worker's [`Shared`].

use std::cell::RefCell;
use std::ffi::c_int;

use mlua::{Lua, MultiValue, Value as LuaValue, ffi};
use serde_json::Value;

use super::Shared;
use super::value::{push_message, read, string_at};
use crate::vm::io::{Io, Step, millis};

/// The prelude's private helpers, passed to it and to no one else.
pub(super) struct Hidden {
    pub block: mlua::Function,
    pub take: mlua::Function,
}

/// Installs the API into `lua`'s globals. `shared` must outlive the state.
pub(super) fn install(lua: &Lua, shared: *const RefCell<Shared>) -> mlua::Result<Hidden> {
    let g = lua.globals();
    for name in ["dofile", "loadfile", "load", "collectgarbage"] {
        g.raw_set(name, LuaValue::Nil)?;
    }
    // Lua 5.1's extra ways to load code or reach environments, and LuaJIT's `jit` module.
    #[cfg(feature = "luajit")]
    for name in [
        "loadstring",
        "setfenv",
        "getfenv",
        "newproxy",
        "module",
        "gcinfo",
        "jit",
    ] {
        g.raw_set(name, LuaValue::Nil)?;
    }
    let string: mlua::Table = g.get("string")?;
    string.raw_set("dump", LuaValue::Nil)?;

    let c_function = |f: ffi::lua_CFunction| {
        // SAFETY: only pushes; the closure's upvalue is the pointer the C function expects.
        unsafe {
            lua.exec_raw::<mlua::Function>((), |state| {
                ffi::lua_pushlightuserdata(state, shared.cast_mut().cast());
                ffi::lua_pushcclosure(state, f, 1);
            })
        }
    };
    g.raw_set("send", c_function(send)?)?;
    let hidden = Hidden {
        block: c_function(block)?,
        take: c_function(take)?,
    };

    fn with_io<R>(lua: &Lua, f: impl FnOnce(&mut Io) -> R) -> mlua::Result<R> {
        let shared = lua
            .app_data_ref::<super::SharedCell>()
            .ok_or_else(|| mlua::Error::runtime("the node API is not set up"))?;
        let io = &mut shared.borrow_mut().io;
        Ok(f(io))
    }
    g.raw_set(
        "now",
        lua.create_function(|lua, ()| with_io(lua, |io| io.now_ms()))?,
    )?;
    g.raw_set(
        "random",
        lua.create_function(|lua, ()| with_io(lua, |io| io.random()))?,
    )?;
    // Lua's own `tostring`, so print shows values as Lua does (`5.0`, `table: 0x…`, __tostring).
    let tostring: mlua::Function = g.get("tostring")?;
    g.raw_set(
        "print",
        lua.create_function(move |lua, args: MultiValue| {
            let parts = args
                .iter()
                .map(|v| tostring.call::<String>(v.clone()))
                .collect::<mlua::Result<Vec<_>>>()?;
            with_io(lua, |io| io.print(parts.join("\t")))
        })?,
    )?;
    g.raw_set(
        "fork",
        lua.create_function(|lua, code: String| with_io(lua, |io| io.fork(code)))?,
    )?;
    g.raw_set(
        "kill",
        lua.create_function(|lua, w: u16| with_io(lua, |io| io.kill(w)))?,
    )?;
    g.raw_set(
        "sensor",
        lua.create_function(|lua, name: String| {
            with_io(lua, |io| io.sensor(&name))?.map_err(mlua::Error::runtime)
        })?,
    )?;
    g.raw_set(
        "node",
        lua.create_function(|lua, ()| {
            let info = with_io(lua, |io| io.node.clone())?;
            let t = lua.create_table()?;
            t.raw_set("id", info.id)?;
            t.raw_set("name", info.name.as_str())?;
            t.raw_set("worker", info.worker)?;
            t.raw_set(
                "ports",
                lua.create_sequence_from(info.ports.iter().map(String::as_str))?,
            )?;
            let nb = lua.create_table()?;
            for (p, names) in info.ports.iter().zip(&info.neighbours) {
                nb.raw_set(
                    p.as_str(),
                    lua.create_sequence_from(names.iter().map(String::as_str))?,
                )?;
            }
            t.raw_set("neighbours", nb)?;
            Ok(t)
        })?,
    )?;
    // math.random and math.randomseed would draw from Lua's own, randomly seeded generator.
    let math: mlua::Table = g.get("math")?;
    math.raw_set(
        "random",
        lua.create_function(|lua, (m, n): (Option<i64>, Option<i64>)| {
            with_io(lua, |io| match (m, n) {
                (None, _) => Ok(LuaValue::Number(io.random())),
                (Some(hi), None) if hi >= 1 => Ok(LuaValue::Integer(io.random_int(1, hi))),
                (Some(lo), Some(hi)) if lo <= hi => Ok(LuaValue::Integer(io.random_int(lo, hi))),
                _ => Err(mlua::Error::runtime("math.random: interval is empty")),
            })?
        })?,
    )?;
    math.raw_set(
        "randomseed",
        lua.create_function(|_, _: MultiValue| Ok(()))?,
    )?;
    Ok(hidden)
}

/// The [`Shared`] a C function's upvalue points at.
///
/// # Safety
/// `state` must be running a closure made by [`install`].
unsafe fn shared<'a>(state: *mut ffi::lua_State) -> Result<&'a RefCell<Shared>, String> {
    unsafe {
        let p = ffi::lua_touserdata(state, ffi::lua_upvalueindex(1)) as *const RefCell<Shared>;
        p.as_ref()
            .ok_or_else(|| "the node API is not set up".to_owned())
    }
}

/// Runs a C function's body; an error is raised as a Lua error `level` frames up.
///
/// # Safety
/// `body` must raise no Lua error itself while it holds values that need dropping.
unsafe fn run(
    state: *mut ffi::lua_State,
    level: c_int,
    body: unsafe fn(*mut ffi::lua_State) -> Result<c_int, String>,
) -> c_int {
    unsafe {
        match body(state) {
            Ok(n) => n,
            Err(msg) => raise(state, level, msg),
        }
    }
}

/// Raises `msg` as a Lua error, positioned at the function `level` frames up.
unsafe fn raise(state: *mut ffi::lua_State, level: c_int, msg: String) -> ! {
    unsafe {
        // Whatever a failed conversion left on the stack goes.
        ffi::lua_settop(state, 0);
        ffi::luaL_where(state, level);
        ffi::lua_pushlstring(state, msg.as_ptr().cast(), msg.len());
        drop(msg);
        ffi::lua_concat(state, 2);
        ffi::lua_error(state)
    }
}

/// `send(port, value)`.
unsafe extern "C-unwind" fn send(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: `read` raises nothing.
    unsafe { run(state, 1, send_body) }
}

unsafe fn send_body(state: *mut ffi::lua_State) -> Result<c_int, String> {
    unsafe {
        if ffi::lua_isstring(state, 1) == 0 {
            return Err("send: expected a port name".into());
        }
        let port = std::str::from_utf8(string_at(state, 1))
            .map_err(|_| "send: a port name must be valid UTF-8".to_owned())?;
        let value = match ffi::lua_type(state, 2) {
            ffi::LUA_TNONE => Value::Null,
            _ => read(state, 2, 0).map_err(|e| format!("send: {e}"))?,
        };
        let mut shared = shared(state)?
            .try_borrow_mut()
            .map_err(|_| "send: the node API is busy".to_owned())?;
        shared.io.send(port, value)?;
        Ok(0)
    }
}

/// `block(op, a, b)`: records the blocking call `op` (1 `recv(port, timeout)`, 2 `sleep(ms)`,
/// 3 `exit()`) for the driver, after checking its arguments. Errors point at the program's
/// line (two frames up, past the prelude).
unsafe extern "C-unwind" fn block(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: the body reads numbers and strings only.
    unsafe { run(state, 2, block_body) }
}

unsafe fn block_body(state: *mut ffi::lua_State) -> Result<c_int, String> {
    unsafe {
        let mut shared = shared(state)?
            .try_borrow_mut()
            .map_err(|_| "the node API is busy".to_owned())?;
        let ms = |what: &str, idx: c_int| -> Result<Option<_>, String> {
            match ffi::lua_type(state, idx) {
                ffi::LUA_TNONE | ffi::LUA_TNIL => Ok(None),
                ffi::LUA_TNUMBER => millis(what, ffi::lua_tonumber(state, idx)).map(Some),
                _ => Err(format!("{what}: expected a non-negative number of ms")),
            }
        };
        let request = match ffi::lua_tointeger(state, 1) {
            1 => {
                let port = match ffi::lua_type(state, 2) {
                    ffi::LUA_TNONE | ffi::LUA_TNIL => None,
                    ffi::LUA_TSTRING => {
                        let name = String::from_utf8_lossy(string_at(state, 2));
                        let node = &shared.io.node;
                        Some(node.port(&name).ok_or_else(|| {
                            format!("recv: node `{}` has no port `{name}`", node.name)
                        })?)
                    }
                    _ => return Err("recv: port must be a port name or nil".into()),
                };
                Step::Recv {
                    port,
                    timeout: ms("recv", 3)?,
                }
            }
            2 => Step::Sleep(ms("sleep", 2)?.ok_or("sleep: expected a number of ms")?),
            3 => Step::Finished,
            op => return Err(format!("unknown blocking call {op}")),
        };
        shared.request = Some(request);
        Ok(0)
    }
}

/// `take()`: the port and value of the message `recv` was resumed with.
unsafe extern "C-unwind" fn take(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: the body holds only pointers while it pushes (which may raise a memory error).
    unsafe { run(state, 1, take_body) }
}

unsafe fn take_body(state: *mut ffi::lua_State) -> Result<c_int, String> {
    unsafe {
        // Pointers into the inbox, which the driver keeps until the resume returns; the borrow
        // ends before pushing, which may raise.
        let (port, message) = {
            let shared = shared(state)?
                .try_borrow()
                .map_err(|_| "the node API is busy".to_owned())?;
            let Some((port, message)) = &shared.inbox else {
                return Ok(0);
            };
            let port = port
                .and_then(|p| shared.io.node.ports.get(p.0 as usize))
                .map(|name| (name.as_ptr(), name.len()));
            (port, std::ptr::from_ref(message))
        };
        if ffi::lua_checkstack(state, 2) == 0 {
            return Err("recv: out of stack space".into());
        }
        match port {
            Some((p, len)) => {
                ffi::lua_pushlstring(state, p.cast(), len);
            }
            None => ffi::lua_pushnil(state),
        }
        push_message(state, &*message)?;
        Ok(2)
    }
}
