//! The globals a Lua program sees: the node API (`send`, `recv`, `sleep`, `exit`, `now`, the
//! tuple space (`tuples.rs`), `store`,
//! `random`, `print`, `fork`, `kill`, `sensor`, `node`, a seeded `math.random`), with the host's
//! reach (`load`, `dofile`, `string.dump`, …) removed.
//!
//! Every API function is a C function on the raw state whose upvalue points at the worker's
//! [`Shared`]: the message path crosses no protected call and no Lua-side wrapper. The blocking
//! calls record their request and yield from C; the driver resumes the thread with what the
//! call returns (`recv`: port and value pushed as the resume's arguments).
//!
//! A body may raise a Lua error (through [`run`]) or call into Lua (`luaL_tolstring`) only
//! while it holds nothing that needs dropping: errors unwind by `longjmp`.

use std::cell::RefCell;
use std::ffi::c_int;

use mlua::ffi;
use serde_json::Value;

use super::Shared;
use super::agents::agent_body;
use super::tuples::{inp_body, out_body, rd_body, rdp_body, take_body};
use super::value::{push, read, read_packed, string_at};
use crate::kernel::{NotRecordable, RecordValue};
use crate::net::Message;
use crate::vm::io::{Step, millis};

/// What a body returns to make its C function yield (no values) instead of returning.
const YIELD: c_int = -1;

pub(super) type Body = unsafe fn(*mut ffi::lua_State, &RefCell<Shared>) -> Result<c_int, String>;

/// Installs the API into the state's globals and removes what the sandbox forbids. `shared`
/// must outlive the state. Runs protected (see [`super::state::State::protect`]).
pub(super) unsafe fn install(l: *mut ffi::lua_State, shared: *const RefCell<Shared>) {
    unsafe {
        ffi::lua_pushglobaltable(l);
        let g = ffi::lua_gettop(l);
        for name in REMOVED {
            ffi::lua_pushnil(l);
            ffi::lua_setfield(l, g, name.as_ptr());
        }
        ffi::lua_getfield(l, g, c"string".as_ptr());
        ffi::lua_pushnil(l);
        ffi::lua_setfield(l, -2, c"dump".as_ptr());
        ffi::lua_pop(l, 1);

        let set = |table: c_int, name: &std::ffi::CStr, f: ffi::lua_CFunction| {
            ffi::lua_pushlightuserdata(l, shared.cast_mut().cast());
            ffi::lua_pushcclosure(l, f, 1);
            ffi::lua_setfield(l, table, name.as_ptr());
        };
        set(g, c"send", send);
        set(g, c"recv", recv);
        set(g, c"sleep", sleep);
        set(g, c"exit", exit);
        set(g, c"now", now);
        set(g, c"now_ns", now_ns);
        set(g, c"record", record);
        set(g, c"params", params);
        set(g, c"random", random);
        set(g, c"print", print);
        set(g, c"fork", fork);
        set(g, c"kill", kill);
        set(g, c"sensor", sensor);
        set(g, c"node", node);
        set(g, c"setmetatable", setmetatable);
        // The node's stable storage: store.get/set/keys/clear.
        ffi::lua_createtable(l, 0, 4);
        let store = ffi::lua_gettop(l);
        set(store, c"get", store_get);
        set(store, c"set", store_set);
        set(store, c"keys", store_keys);
        set(store, c"clear", store_clear);
        ffi::lua_setfield(l, g, c"store".as_ptr());
        // The node's tuple space, and the wildcard of its patterns.
        set(g, c"out", ts_out);
        set(g, c"inp", ts_inp);
        set(g, c"rdp", ts_rdp);
        set(g, c"rd", ts_rd);
        set(g, c"take", ts_take);
        // The agent runtime's call (it removes it from the globals before the class runs).
        set(g, c"__agent", agent);
        ffi::lua_createtable(l, 0, 1);
        ffi::lua_pushboolean(l, 1);
        ffi::lua_setfield(l, -2, c"$any".as_ptr());
        ffi::lua_setfield(l, g, c"ANY".as_ptr());
        // math.random and math.randomseed would draw from Lua's own, randomly seeded generator.
        ffi::lua_getfield(l, g, c"math".as_ptr());
        let math = ffi::lua_gettop(l);
        set(math, c"random", math_random);
        set(math, c"randomseed", math_randomseed);
        ffi::lua_settop(l, g - 1);
    }
}

/// Globals the sandbox removes: ways to load code, and the collector's controls.
#[cfg(not(feature = "luajit"))]
const REMOVED: &[&std::ffi::CStr] = &[c"dofile", c"loadfile", c"load", c"collectgarbage"];
/// LuaJIT also has Lua 5.1's extra ways to load code or reach environments, and its `jit`.
#[cfg(feature = "luajit")]
const REMOVED: &[&std::ffi::CStr] = &[
    c"dofile",
    c"loadfile",
    c"load",
    c"collectgarbage",
    c"loadstring",
    c"setfenv",
    c"getfenv",
    c"newproxy",
    c"module",
    c"gcinfo",
    c"jit",
];

/// Defines the C function `$name` running `$body`, whose errors point `$level` frames up.
macro_rules! api {
    ($($name:ident = $body:ident at $level:literal;)*) => {$(
        unsafe extern "C-unwind" fn $name(l: *mut ffi::lua_State) -> c_int {
            // SAFETY: the bodies keep to `run`'s rule.
            unsafe { run(l, $level, $body) }
        }
    )*};
}

api! {
    send = send_body at 1;
    recv = recv_body at 1;
    sleep = sleep_body at 1;
    exit = exit_body at 1;
    now = now_body at 1;
    now_ns = now_ns_body at 1;
    record = record_body at 1;
    params = params_body at 1;
    random = random_body at 1;
    print = print_body at 1;
    fork = fork_body at 1;
    kill = kill_body at 1;
    sensor = sensor_body at 1;
    node = node_body at 1;
    math_random = math_random_body at 1;
    math_randomseed = nothing_body at 1;
    setmetatable = setmetatable_body at 1;
    store_get = store_get_body at 1;
    store_set = store_set_body at 1;
    store_keys = store_keys_body at 1;
    store_clear = store_clear_body at 1;
    ts_out = out_body at 1;
    ts_inp = inp_body at 1;
    ts_rdp = rdp_body at 1;
    ts_rd = rd_body at 1;
    ts_take = take_body at 1;
    agent = agent_body at 1;
}

/// Runs a C function's body with its [`Shared`]; an error is raised as a Lua error `level`
/// frames up, and [`YIELD`] yields the running thread.
///
/// # Safety
/// `l` must be running a closure made by [`install`]; `body` must raise no Lua error while it
/// holds values that need dropping.
unsafe fn run(l: *mut ffi::lua_State, level: c_int, body: Body) -> c_int {
    unsafe {
        let p = ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)) as *const RefCell<Shared>;
        let Some(shared) = p.as_ref() else {
            raise(l, level, "the node API is not set up".into())
        };
        match body(l, shared) {
            Ok(YIELD) => ffi::lua_yield(l, 0),
            Ok(n) => n,
            Err(msg) => raise(l, level, msg),
        }
    }
}

/// Raises `msg` as a Lua error, positioned at the function `level` frames up.
unsafe fn raise(l: *mut ffi::lua_State, level: c_int, msg: String) -> ! {
    unsafe {
        // Whatever a failed conversion left on the stack goes.
        ffi::lua_settop(l, 0);
        ffi::luaL_where(l, level);
        ffi::lua_pushlstring(l, msg.as_ptr().cast(), msg.len());
        drop(msg);
        ffi::lua_concat(l, 2);
        ffi::lua_error(l)
    }
}

pub(super) fn busy() -> String {
    "the node API is busy".into()
}

/// The string argument at `idx`, or an error naming `what` it should have been.
pub(super) unsafe fn str_arg<'a>(
    l: *mut ffi::lua_State,
    idx: c_int,
    what: &str,
) -> Result<&'a str, String> {
    unsafe {
        if ffi::lua_type(l, idx) != ffi::LUA_TSTRING {
            return Err(format!("expected {what}"));
        }
        std::str::from_utf8(string_at(l, idx)).map_err(|_| format!("{what} must be valid UTF-8"))
    }
}

/// The integer argument at `idx` (an integral float or numeric string will do), if any.
unsafe fn int_arg(l: *mut ffi::lua_State, idx: c_int) -> Option<i64> {
    unsafe {
        let mut ok = 0;
        let i = ffi::lua_tointegerx(l, idx, &mut ok);
        (ok != 0).then_some(i)
    }
}

/// `send(port, value)`.
unsafe fn send_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    unsafe {
        if ffi::lua_isstring(l, 1) == 0 {
            return Err("send: expected a port name".into());
        }
        let port = std::str::from_utf8(string_at(l, 1))
            .map_err(|_| "send: a port name must be valid UTF-8".to_owned())?;
        // `send(port)` sends nil.
        if ffi::lua_type(l, 2) == ffi::LUA_TNONE {
            ffi::lua_pushnil(l);
        }
        let value = read_packed(l, 2, 0).map_err(|e| format!("send: {e}"))?;
        let mut shared = shared.try_borrow_mut().map_err(|_| busy())?;
        shared.io.send_message(port, Message::packed(value))?;
        Ok(0)
    }
}

/// `record(name, value)`: a typed result (a number, boolean or string).
unsafe fn record_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    unsafe {
        if ffi::lua_type(l, 1) != ffi::LUA_TSTRING {
            return Err("record: expected a name (a string)".into());
        }
        let name = String::from_utf8_lossy(string_at(l, 1)).into_owned();
        // Numbers directly, so that NaN and the infinities, which JSON cannot hold, are kept.
        let value = match ffi::lua_type(l, 2) {
            ffi::LUA_TNONE | ffi::LUA_TNIL => Err(NotRecordable { found: "nil/null" }.to_string()),
            ffi::LUA_TNUMBER if ffi::lua_isinteger(l, 2) != 0 => {
                Ok(RecordValue::Int(ffi::lua_tointeger(l, 2)))
            }
            ffi::LUA_TNUMBER => Ok(RecordValue::Float(ffi::lua_tonumber(l, 2))),
            _ => RecordValue::from_json(&read(l, 2, 0).map_err(|e| format!("record: {e}"))?)
                .map_err(|e| e.to_string()),
        };
        let mut shared = shared.try_borrow_mut().map_err(|_| busy())?;
        shared.io.record(name, value)?;
        Ok(0)
    }
}

/// `params()`: the node's parameters as a table (nil if it has none).
unsafe fn params_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    unsafe {
        // As in `node_body`: the parameters stay put during the activation, and no owned value
        // is held while `push` may raise.
        let params: *const Value =
            std::rc::Rc::as_ptr(&shared.try_borrow().map_err(|_| busy())?.io.params);
        push(l, &*params, 0).map_err(|e| format!("params: {e}"))?;
        Ok(1)
    }
}

/// Records the blocking call `request` of `name` and yields, if the worker itself called it
/// (a coroutine of the program's, or an eval, would yield to the wrong place).
pub(super) unsafe fn block(
    l: *mut ffi::lua_State,
    shared: &mut Shared,
    name: &str,
    request: Step,
) -> Result<c_int, String> {
    #[cfg(not(feature = "luajit"))]
    // SAFETY: a query.
    let yieldable = unsafe { ffi::lua_isyieldable(l) != 0 };
    #[cfg(feature = "luajit")]
    let yieldable = true;
    if l != shared.thread || !yieldable {
        return Err(format!(
            "{name}() must be called by the worker itself, not inside a coroutine"
        ));
    }
    shared.request = Some(request);
    Ok(YIELD)
}

/// A number of milliseconds at `idx`, if there is one.
pub(super) unsafe fn ms_arg(
    l: *mut ffi::lua_State,
    idx: c_int,
    what: &str,
) -> Result<Option<crate::time::SimDuration>, String> {
    unsafe {
        match ffi::lua_type(l, idx) {
            ffi::LUA_TNONE | ffi::LUA_TNIL => Ok(None),
            ffi::LUA_TNUMBER => millis(what, ffi::lua_tonumber(l, idx)).map(Some),
            _ => Err(format!("{what}: expected a non-negative number of ms")),
        }
    }
}

/// `recv([port [, timeout_ms]])`: yields; resumed with port and value, or nothing on timeout.
unsafe fn recv_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    unsafe {
        let mut shared = shared.try_borrow_mut().map_err(|_| busy())?;
        let port =
            match ffi::lua_type(l, 1) {
                ffi::LUA_TNONE | ffi::LUA_TNIL => None,
                ffi::LUA_TSTRING => {
                    let name = String::from_utf8_lossy(string_at(l, 1));
                    let node = &shared.io.node;
                    Some(node.port(&name).ok_or_else(|| {
                        format!("recv: node `{}` has no port `{name}`", node.name)
                    })?)
                }
                _ => return Err("recv: port must be a port name or nil".into()),
            };
        let timeout = ms_arg(l, 2, "recv")?;
        block(l, &mut shared, "recv", Step::Recv { port, timeout })
    }
}

/// `sleep(ms)`.
unsafe fn sleep_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    unsafe {
        let mut shared = shared.try_borrow_mut().map_err(|_| busy())?;
        let d = ms_arg(l, 1, "sleep")?.ok_or("sleep: expected a number of ms")?;
        block(l, &mut shared, "sleep", Step::Sleep(d))
    }
}

/// `exit()`.
unsafe fn exit_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    unsafe {
        let mut shared = shared.try_borrow_mut().map_err(|_| busy())?;
        block(l, &mut shared, "exit", Step::Finished)
    }
}

/// `now()`: virtual milliseconds.
unsafe fn now_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    let ms = shared.try_borrow().map_err(|_| busy())?.io.now_ms();
    // SAFETY: pushing a number needs no memory (the stack has LUA_MINSTACK free slots).
    unsafe { ffi::lua_pushnumber(l, ms) };
    Ok(1)
}

/// `now_ns()`: virtual time in whole nanoseconds, an integer.
unsafe fn now_ns_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    let ns = shared.try_borrow().map_err(|_| busy())?.io.now_ns();
    // SAFETY: as in `now_body`. Virtual time stays below 2^63 ns (292 years).
    unsafe { ffi::lua_pushinteger(l, ns as ffi::lua_Integer) };
    Ok(1)
}

/// `random()`: a float in [0, 1) from the node's stream.
unsafe fn random_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    let x = shared.try_borrow_mut().map_err(|_| busy())?.io.random();
    // SAFETY: as in `now_body`.
    unsafe { ffi::lua_pushnumber(l, x) };
    Ok(1)
}

/// `math.random([m [, n]])` on the node's stream.
unsafe fn math_random_body(
    l: *mut ffi::lua_State,
    shared: &RefCell<Shared>,
) -> Result<c_int, String> {
    unsafe {
        let arg = |idx| match ffi::lua_type(l, idx) {
            ffi::LUA_TNONE | ffi::LUA_TNIL => Ok(None),
            _ => int_arg(l, idx)
                .map(Some)
                .ok_or_else(|| "math.random: expected integer bounds".to_owned()),
        };
        let (m, n) = (arg(1)?, arg(2)?);
        let mut shared = shared.try_borrow_mut().map_err(|_| busy())?;
        let io = &mut shared.io;
        match (m, n) {
            (None, _) => ffi::lua_pushnumber(l, io.random()),
            (Some(hi), None) if hi >= 1 => ffi::lua_pushinteger(l, io.random_int(1, hi)),
            (Some(lo), Some(hi)) if lo <= hi => ffi::lua_pushinteger(l, io.random_int(lo, hi)),
            _ => return Err("math.random: interval is empty".into()),
        }
        Ok(1)
    }
}

/// `math.randomseed(...)`: the node's stream is seeded by the run; this does nothing.
unsafe fn nothing_body(_: *mut ffi::lua_State, _: &RefCell<Shared>) -> Result<c_int, String> {
    Ok(0)
}

/// `print(...)`: the arguments as `tostring` shows them, tab-separated, on one output line.
unsafe fn print_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    unsafe {
        let n = ffi::lua_gettop(l);
        if ffi::lua_checkstack(l, n) == 0 {
            return Err("print: too many arguments".into());
        }
        // Converted on the stack first (a `__tostring` may run Lua code, or raise), read after.
        for i in 1..=n {
            ffi::luaL_tolstring(l, i, std::ptr::null_mut());
        }
        // Past the line limit only a few bytes more are copied: `print` cuts there anyway.
        let keep = shared
            .try_borrow()
            .map_err(|_| busy())?
            .io
            .max_line
            .saturating_add(4);
        let mut line = Vec::new();
        for i in n + 1..=2 * n {
            if i > n + 1 {
                line.push(b'\t');
            }
            let part = string_at(l, i);
            let room = keep.saturating_sub(line.len());
            line.extend_from_slice(&part[..part.len().min(room)]);
        }
        let text = String::from_utf8(line)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        shared.try_borrow_mut().map_err(|_| busy())?.io.print(text);
        Ok(0)
    }
}

/// `fork(code)`: the new worker's id.
unsafe fn fork_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    unsafe {
        let code =
            str_arg(l, 1, "the program's code as a string").map_err(|e| format!("fork: {e}"))?;
        let id = shared
            .try_borrow_mut()
            .map_err(|_| busy())?
            .io
            .fork(code.to_owned());
        ffi::lua_pushinteger(l, id.into());
        Ok(1)
    }
}

/// `kill(worker)`.
unsafe fn kill_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    unsafe {
        let w = int_arg(l, 1)
            .and_then(|w| u32::try_from(w).ok())
            .ok_or("kill: expected a worker id")?;
        shared.try_borrow_mut().map_err(|_| busy())?.io.kill(w);
        Ok(0)
    }
}

/// `sensor(name)`: a number, or nil if the reading dropped out.
unsafe fn sensor_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    unsafe {
        let name = str_arg(l, 1, "a sensor name").map_err(|e| format!("sensor: {e}"))?;
        let reading = shared
            .try_borrow_mut()
            .map_err(|_| busy())?
            .io
            .sensor(name)?;
        match reading {
            Some(x) => ffi::lua_pushnumber(l, x),
            None => ffi::lua_pushnil(l),
        }
        Ok(1)
    }
}

/// `node()`: `{id, name, worker, ports = {…}, neighbours = {port = {…}}}`.
unsafe fn node_body(l: *mut ffi::lua_State, shared: &RefCell<Shared>) -> Result<c_int, String> {
    unsafe {
        // The node's view is replaced only between activations, so it stays put while the
        // pushes below (which may raise) run; no borrow is held across them.
        let info: *const crate::vm::io::NodeInfo =
            std::rc::Rc::as_ptr(&shared.try_borrow().map_err(|_| busy())?.io.node);
        let info = &*info;
        if ffi::lua_checkstack(l, 4) == 0 {
            return Err("node: out of stack space".into());
        }
        let push_str = |s: &str| {
            ffi::lua_pushlstring(l, s.as_ptr().cast(), s.len());
        };
        let push_names = |names: &[String]| {
            ffi::lua_createtable(l, c_int::try_from(names.len()).unwrap_or(0), 0);
            for (i, n) in names.iter().enumerate() {
                push_str(n);
                ffi::lua_rawseti(l, -2, i as ffi::lua_Integer + 1);
            }
        };
        ffi::lua_createtable(l, 0, 5);
        ffi::lua_pushinteger(l, info.id.into());
        ffi::lua_setfield(l, -2, c"id".as_ptr());
        push_str(&info.name);
        ffi::lua_setfield(l, -2, c"name".as_ptr());
        ffi::lua_pushinteger(l, info.worker.into());
        ffi::lua_setfield(l, -2, c"worker".as_ptr());
        ffi::lua_pushinteger(l, info.boot.into());
        ffi::lua_setfield(l, -2, c"boot".as_ptr());
        push_names(&info.ports);
        ffi::lua_setfield(l, -2, c"ports".as_ptr());
        ffi::lua_createtable(l, 0, c_int::try_from(info.ports.len()).unwrap_or(0));
        for (p, names) in info.ports.iter().zip(&info.neighbours) {
            push_str(p);
            push_names(names);
            ffi::lua_rawset(l, -3);
        }
        ffi::lua_setfield(l, -2, c"neighbours".as_ptr());
        Ok(1)
    }
}

/// `store.get(key)`: the stored value, or nil.
unsafe fn store_get_body(
    l: *mut ffi::lua_State,
    shared: &RefCell<Shared>,
) -> Result<c_int, String> {
    unsafe {
        let key = str_arg(l, 1, "a key (a string)").map_err(|e| format!("store.get: {e}"))?;
        // A pointer into the store, which nothing writes while the value is pushed: no owned
        // value is held while `push` may raise.
        let value = shared.try_borrow().map_err(|_| busy())?.io.store_get(key)?;
        match value {
            Some(v) => push(l, &*v, 0).map_err(|e| format!("store.get: {e}"))?,
            None => ffi::lua_pushnil(l),
        }
        Ok(1)
    }
}

/// `store.set(key, value)`: nil removes the key.
unsafe fn store_set_body(
    l: *mut ffi::lua_State,
    shared: &RefCell<Shared>,
) -> Result<c_int, String> {
    unsafe {
        let key = str_arg(l, 1, "a key (a string)").map_err(|e| format!("store.set: {e}"))?;
        let value = read(l, 2, 0).map_err(|e| format!("store.set: {e}"))?;
        shared
            .try_borrow_mut()
            .map_err(|_| busy())?
            .io
            .store_set(key, value)?;
        Ok(0)
    }
}

/// `store.keys()`: the keys, sorted.
unsafe fn store_keys_body(
    l: *mut ffi::lua_State,
    shared: &RefCell<Shared>,
) -> Result<c_int, String> {
    unsafe {
        let store: *const crate::faults::Store = {
            let s = shared.try_borrow().map_err(|_| busy())?;
            let cell = s.io.store_ref()?;
            let guard = cell.try_borrow().map_err(|_| busy())?;
            &*guard as *const _
        };
        let store = &*store;
        ffi::lua_createtable(l, 0, 0);
        for (i, k) in store.keys().enumerate() {
            ffi::lua_pushlstring(l, k.as_ptr().cast(), k.len());
            ffi::lua_rawseti(l, -2, i as ffi::lua_Integer + 1);
        }
        Ok(1)
    }
}

/// `store.clear()`: empties the node's store.
unsafe fn store_clear_body(
    _: *mut ffi::lua_State,
    shared: &RefCell<Shared>,
) -> Result<c_int, String> {
    shared
        .try_borrow_mut()
        .map_err(|_| busy())?
        .io
        .store_clear()?;
    Ok(0)
}

/// `setmetatable(table, metatable)`, as Lua's, but refusing a `__gc` field: Lua runs finalizers
/// with hooks off, so a finalizer's loop would escape the instruction budget. (A field added
/// later does not make the table finalizable.)
unsafe fn setmetatable_body(l: *mut ffi::lua_State, _: &RefCell<Shared>) -> Result<c_int, String> {
    unsafe {
        if ffi::lua_type(l, 1) != ffi::LUA_TTABLE {
            return Err("setmetatable: expected a table".into());
        }
        match ffi::lua_type(l, 2) {
            ffi::LUA_TNIL => {}
            ffi::LUA_TTABLE => {
                ffi::lua_pushstring(l, c"__gc".as_ptr());
                let gc = ffi::lua_rawget(l, 2);
                ffi::lua_pop(l, 1);
                if gc != ffi::LUA_TNIL {
                    return Err(
                        "setmetatable: __gc finalizers are not allowed (they would run \
                                outside the instruction budget)"
                            .into(),
                    );
                }
            }
            _ => return Err("setmetatable: the metatable must be a table or nil".into()),
        }
        if ffi::luaL_getmetafield(l, 1, c"__metatable".as_ptr()) != ffi::LUA_TNIL {
            return Err("setmetatable: cannot change a protected metatable".into());
        }
        ffi::lua_settop(l, 2);
        ffi::lua_setmetatable(l, 1);
        Ok(1)
    }
}
