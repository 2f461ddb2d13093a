//! Lua 5.4 workers (mlua, vendored): a sandboxed state per worker, the program in a coroutine,
//! blocking calls as yields, and a count hook that enforces the instruction budget.

use mlua::thread::ThreadStatus;
use mlua::{HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Thread, Value as LuaValue, VmState};

use super::VmConfig;
use super::driver::Vm;
use super::io::{Io, Resume, Step, millis};
use super::value::{from_lua, message_to_lua};

/// Blocking calls are Lua functions that yield a private marker plus the request, so the
/// driver can tell them from a hook's yield. They refuse to run inside a user's coroutine,
/// where the yield would go to the wrong place.
const PRELUDE: &str = r#"
local marker, main = ...
local yield, running, type, error = coroutine.yield, coroutine.running, type, error
local function check(name)
  if running() ~= main then error(name .. "() must be called by the worker itself, not inside a coroutine", 3) end
end
function recv(port, timeout)
  check("recv")
  if port ~= nil and type(port) ~= "string" then error("recv: port must be a port name or nil", 2) end
  if timeout ~= nil and (type(timeout) ~= "number" or timeout < 0) then error("recv: timeout must be a non-negative number of ms", 2) end
  return yield(marker, 1, port, timeout)
end
function sleep(ms)
  check("sleep")
  if type(ms) ~= "number" or ms < 0 then error("sleep: expected a non-negative number of ms", 2) end
  return yield(marker, 2, ms)
end
function exit()
  check("exit")
  yield(marker, 3)
end
"#;

/// The activation state, shared with the API functions through the state's app data. It stays
/// there for the worker's life; the driver swaps its contents in and out (no allocation).
type SharedIo = std::rc::Rc<std::cell::RefCell<Io>>;

/// The prelude, compiled once per thread and loaded as bytecode into each new worker (the
/// host may load bytecode; programs may not). Saves a compile per worker.
fn prelude(lua: &Lua) -> Result<mlua::Function, String> {
    thread_local! {
        static BYTECODE: std::cell::OnceCell<Vec<u8>> = const { std::cell::OnceCell::new() };
    }
    let bytes = BYTECODE.with(|cell| {
        if let Some(b) = cell.get() {
            return Ok(b.clone());
        }
        let f = lua
            .load(PRELUDE)
            .set_name("=vnet")
            .into_function()
            .map_err(|e| e.to_string())?;
        let b = f.dump(false);
        let _ = cell.set(b.clone());
        Ok::<_, String>(b)
    })?;
    lua.load(&bytes[..])
        .set_name("=vnet")
        .set_mode(mlua::chunk::ChunkMode::Binary)
        .into_function()
        .map_err(|e| e.to_string())
}

pub(crate) struct LuaVm {
    lua: Lua,
    thread: Thread,
    /// Identity of the table blocking calls yield first (kept alive by the prelude's upvalues).
    marker: *const std::ffi::c_void,
    _marker_table: mlua::Table,
    budget: u64,
    io: SharedIo,
    /// The node's port names as Lua strings, made once (recv returns them).
    port_names: Vec<mlua::LuaString>,
}

impl LuaVm {
    pub fn new(code: &str, who: &str, config: &VmConfig) -> Result<Self, String> {
        let libs = StdLib::COROUTINE | StdLib::TABLE | StdLib::STRING | StdLib::UTF8 | StdLib::MATH;
        let lua = Lua::new_with(libs, LuaOptions::new()).map_err(|e| e.to_string())?;
        let cap = config
            .profile
            .as_ref()
            .map_or(config.memory_cap, |p| p.memory_cap);
        lua.set_memory_limit(cap).map_err(|e| e.to_string())?;
        let io = SharedIo::default();
        lua.set_app_data(io.clone());
        install_api(&lua).map_err(|e| format!("setting up the sandbox: {e}"))?;
        let main = lua
            .load(code)
            .set_name(format!("={who}"))
            .into_function()
            .map_err(|e| e.to_string())?;
        let thread = lua.create_thread(main).map_err(|e| e.to_string())?;
        let marker_table = lua.create_table().map_err(|e| e.to_string())?;
        prelude(&lua)?
            .call::<()>((marker_table.clone(), thread.clone()))
            .map_err(|e| e.to_string())?;
        let marker = marker_table.to_pointer();
        let interval = config.hook_interval.max(1);
        let budget = config.instruction_budget;
        thread
            .set_hook(
                HookTriggers::new().every_nth_instruction(interval),
                move |lua, _| {
                    let Some(shared) = lua.app_data_ref::<SharedIo>() else {
                        return Ok(VmState::Continue);
                    };
                    let mut io = shared.borrow_mut();
                    io.instructions += interval as u64;
                    if io.instructions > budget {
                        // Yield, not error: a `pcall` in the program cannot catch a yield.
                        io.budget_exceeded = true;
                        return Ok(VmState::Yield);
                    }
                    Ok(VmState::Continue)
                },
            )
            .map_err(|e| e.to_string())?;
        Ok(LuaVm {
            lua,
            thread,
            marker,
            _marker_table: marker_table,
            budget,
            io,
            port_names: Vec::new(),
        })
    }

    fn step_from(&self, io: &Io, result: mlua::Result<Yielded>) -> Step {
        if io.budget_exceeded {
            return Step::Failed(format!(
                "instruction budget of {} exceeded (a runaway loop?)",
                self.budget
            ));
        }
        let (marker, op, arg1, arg2) = match result {
            Err(e) => return Step::Failed(describe_error(&e)),
            Ok(v) => v,
        };
        if self.thread.status() != ThreadStatus::Resumable {
            return Step::Finished;
        }
        if !matches!(&marker, LuaValue::Table(t) if t.to_pointer() == self.marker) {
            return Step::Failed(
                "coroutine.yield called outside a coroutine of the program's own".into(),
            );
        }
        let ms = |v: &LuaValue| v.as_number().or(v.as_integer().map(|i| i as f64));
        match op {
            Some(1) => {
                let port = match &arg1 {
                    LuaValue::String(s) => match s.to_str().ok().and_then(|s| io.node.port(&s)) {
                        Some(p) => Some(p),
                        None => {
                            let name = arg1.to_string().unwrap_or_default();
                            return Step::Failed(format!(
                                "recv: node `{}` has no port `{name}`",
                                io.node.name
                            ));
                        }
                    },
                    _ => None,
                };
                let timeout = match ms(&arg2) {
                    Some(t) => match millis("recv", t) {
                        Ok(d) => Some(d),
                        Err(e) => return Step::Failed(e),
                    },
                    None => None,
                };
                Step::Recv { port, timeout }
            }
            Some(2) => match millis("sleep", ms(&arg1).unwrap_or(-1.0)) {
                Ok(d) => Step::Sleep(d),
                Err(e) => Step::Failed(e),
            },
            Some(3) => Step::Finished,
            _ => Step::Failed("unknown blocking call".into()),
        }
    }
}

/// What a blocking call yields: the marker, the call's code (1 recv, 2 sleep, 3 exit), and
/// its two arguments. A hook's yield gives all nils.
type Yielded = (LuaValue, Option<i64>, LuaValue, LuaValue);

impl Vm for LuaVm {
    fn resume(&mut self, io: &mut Io, input: Resume) -> Step {
        if self.port_names.len() != io.node.ports.len() {
            self.port_names = io
                .node
                .ports
                .iter()
                .filter_map(|p| self.lua.create_string(p).ok())
                .collect();
        }
        std::mem::swap(&mut *self.io.borrow_mut(), io);
        let result = match input {
            Resume::Start | Resume::Timeout | Resume::Wake => self.thread.resume::<Yielded>(()),
            Resume::Message { port, message } => match message_to_lua(&self.lua, &message) {
                Ok(v) => {
                    let port = port.and_then(|p| self.port_names.get(p.0 as usize).cloned());
                    self.thread.resume::<Yielded>((port, v))
                }
                Err(e) => Err(e),
            },
        };
        std::mem::swap(&mut *self.io.borrow_mut(), io);
        self.step_from(io, result)
    }
}

/// The error's message with its traceback, without mlua's wrapping.
fn describe_error(e: &mlua::Error) -> String {
    match e {
        mlua::Error::MemoryError(_) => "memory cap exceeded".to_owned(),
        mlua::Error::CallbackError { traceback, cause } => {
            format!("{}\n{traceback}", describe_error(cause))
        }
        other => other.to_string(),
    }
}

/// Globals of the sandbox: the node API, a seeded `math.random`, and nothing of the host.
fn install_api(lua: &Lua) -> mlua::Result<()> {
    let g = lua.globals();
    for name in ["dofile", "loadfile", "load", "collectgarbage"] {
        g.raw_set(name, LuaValue::Nil)?;
    }
    let string: mlua::Table = g.get("string")?;
    string.raw_set("dump", LuaValue::Nil)?;

    fn with_io<R>(lua: &Lua, f: impl FnOnce(&mut Io) -> R) -> mlua::Result<R> {
        let shared = lua
            .app_data_ref::<SharedIo>()
            .ok_or_else(|| mlua::Error::runtime("the node API is not set up"))?;
        let mut io = shared.borrow_mut();
        Ok(f(&mut io))
    }

    g.raw_set(
        "send",
        lua.create_function(|lua, (port, value): (mlua::LuaString, LuaValue)| {
            let v = from_lua(&value).map_err(|e| mlua::Error::runtime(format!("send: {e}")))?;
            let port = port.to_str()?;
            with_io(lua, |io| io.send(&port, v))?.map_err(mlua::Error::runtime)
        })?,
    )?;
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
        lua.create_function(|_, name: String| -> mlua::Result<()> {
            Err(mlua::Error::runtime(format!(
                "sensor: no such sensor `{name}`"
            )))
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
    Ok(())
}
