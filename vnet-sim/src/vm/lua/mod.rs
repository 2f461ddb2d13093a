//! Lua 5.4 workers (mlua, vendored): a sandboxed state per worker, the program in a coroutine,
//! blocking calls as yields, and a count hook that enforces the instruction budget.
//!
//! - [`api`]: the globals a program sees (the node API) and the sandbox's removals.
//! - [`value`]: Lua values to and from the JSON-like values messages carry.

mod api;
mod value;

use std::cell::RefCell;
use std::rc::Rc;

use mlua::thread::ThreadStatus;
use mlua::{HookTriggers, Lua, LuaOptions, StdLib, Thread, Value as LuaValue, VmState, ffi};

use super::driver::Vm;
use super::io::{Io, Resume, Step};
use super::{CancelFlag, VmConfig};
use crate::net::{Message, PortId};

/// Blocking calls record their request with `block` (which checks the arguments and raises
/// errors at the caller's line), then yield a private marker so the driver can tell them from
/// a hook's yield. `recv` is resumed with `true` when a message came, which `take` returns.
/// They refuse to run inside a user's coroutine, where the yield would go to the wrong place.
const PRELUDE: &str = r#"
local marker, main, block, take = ...
local yield, running, error = coroutine.yield, coroutine.running, error
local function check(name)
  if running() ~= main then error(name .. "() must be called by the worker itself, not inside a coroutine", 3) end
end
function recv(port, timeout)
  check("recv")
  block(1, port, timeout)
  if yield(marker) then return take() end
  return nil
end
function sleep(ms)
  check("sleep")
  block(2, ms)
  yield(marker)
end
function exit()
  check("exit")
  block(3)
  yield(marker)
end
"#;

/// What the API functions share with the driver, in the state's app data (and, as a raw
/// pointer, in the C functions' upvalues). It lives as long as the state; the driver swaps the
/// activation's [`Io`] in and out (no allocation).
#[derive(Default)]
pub(super) struct Shared {
    pub io: Io,
    /// The blocking call the program made (set by `block`, taken by the driver).
    pub request: Option<Step>,
    /// The message `recv` returns (set by the driver, read by `take`).
    pub inbox: Option<(Option<PortId>, Message)>,
}

type SharedCell = Rc<RefCell<Shared>>;

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

/// What blocking calls yield: a light userdata, which Lua code cannot make, so a program
/// cannot forge it (and, unlike a table, it crosses into Rust without a reference).
fn marker() -> mlua::LightUserData {
    static MARKER: u8 = 0;
    mlua::LightUserData(std::ptr::addr_of!(MARKER).cast_mut().cast())
}

pub(crate) struct LuaVm {
    /// Owns the state: the handles below hold only weak references to it.
    lua: Lua,
    thread: Thread,
    budget: u64,
    shared: SharedCell,
    /// The count hook, if the worker is counted (set on the program's thread and on evals').
    hook: Option<Hook>,
}

/// The instruction-counting hook: enforces the budget and the cancel flag.
#[derive(Clone)]
struct Hook {
    interval: u32,
    budget: u64,
    cancel: Option<CancelFlag>,
}

impl Hook {
    fn set_on(&self, thread: &Thread) -> Result<(), String> {
        let Hook {
            interval,
            budget,
            cancel,
        } = self.clone();
        thread
            .set_hook(
                HookTriggers::new().every_nth_instruction(interval),
                move |lua, _| {
                    let Some(shared) = lua.app_data_ref::<SharedCell>() else {
                        return Ok(VmState::Continue);
                    };
                    let io = &mut shared.borrow_mut().io;
                    io.instructions += interval as u64;
                    if cancel.as_ref().is_some_and(CancelFlag::is_raised) {
                        io.cancelled = true;
                        return Ok(VmState::Yield);
                    }
                    if io.instructions > budget {
                        // Yield, not error: a `pcall` in the program cannot catch a yield.
                        io.budget_exceeded = true;
                        return Ok(VmState::Yield);
                    }
                    Ok(VmState::Continue)
                },
            )
            .map_err(|e| e.to_string())
    }
}

impl LuaVm {
    pub fn new(code: &str, who: &str, config: &VmConfig) -> Result<Self, String> {
        #[cfg(not(feature = "luajit"))]
        let libs = StdLib::COROUTINE | StdLib::TABLE | StdLib::STRING | StdLib::UTF8 | StdLib::MATH;
        // LuaJIT's base library holds `coroutine`; opening `jit` turns the compiler on (the
        // sandbox then removes the `jit` global).
        #[cfg(feature = "luajit")]
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::JIT;
        let lua = Lua::new_with(libs, LuaOptions::new()).map_err(|e| e.to_string())?;
        let cap = config
            .profile
            .as_ref()
            .map_or(config.memory_cap, |p| p.memory_cap);
        match lua.set_memory_limit(cap) {
            Ok(_) => {}
            // LuaJIT keeps its own allocator: no cap there (see the module docs).
            Err(mlua::Error::MemoryControlNotAvailable) if cfg!(feature = "luajit") => {}
            Err(e) => return Err(e.to_string()),
        }
        let shared = SharedCell::default();
        lua.set_app_data(shared.clone());
        let hidden = api::install(&lua, Rc::as_ptr(&shared))
            .map_err(|e| format!("setting up the sandbox: {e}"))?;
        let main = lua
            .load(code)
            .set_name(format!("={who}"))
            .into_function()
            .map_err(|e| e.to_string())?;
        let thread = lua.create_thread(main).map_err(|e| e.to_string())?;
        prelude(&lua)?
            .call::<()>((marker(), thread.clone(), hidden.block, hidden.take))
            .map_err(|e| e.to_string())?;
        let interval = config.hook_interval.max(1);
        let budget = config.instruction_budget;
        // Lua 5.4 checks for hooks on every instruction while any hook is set, whatever the
        // interval (see the module docs for the cost), so a worker that needs no count — no
        // budget, no profile — runs without one. LuaJIT's compiled code calls no hooks, so
        // neither a budget nor a count would hold there.
        let counted = budget != u64::MAX || config.profile.is_some() || config.cancel.is_some();
        let hook = (counted && !cfg!(feature = "luajit")).then(|| Hook {
            interval,
            budget,
            cancel: config.cancel.clone(),
        });
        if let Some(h) = &hook {
            h.set_on(&thread)?;
        }
        Ok(LuaVm {
            lua,
            thread,
            budget,
            shared,
            hook,
        })
    }

    fn step_from(&self, io: &Io, result: mlua::Result<LuaValue>, request: Option<Step>) -> Step {
        if io.cancelled {
            return Step::Failed("killed".into());
        }
        if io.budget_exceeded {
            return Step::Failed(format!(
                "instruction budget of {} exceeded (a runaway loop?)",
                self.budget
            ));
        }
        let yielded = match result {
            Err(e) => return Step::Failed(describe_error(&e)),
            Ok(v) => v,
        };
        if self.thread.status() != ThreadStatus::Resumable {
            return Step::Finished;
        }
        if yielded != LuaValue::LightUserData(marker()) {
            return Step::Failed(
                "coroutine.yield called outside a coroutine of the program's own".into(),
            );
        }
        request.unwrap_or_else(|| Step::Failed("unknown blocking call".into()))
    }
}

impl Vm for LuaVm {
    fn resume(&mut self, io: &mut Io, input: Resume) -> Step {
        let mut shared = self.shared.borrow_mut();
        std::mem::swap(&mut shared.io, io);
        shared.request = None;
        let got = match input {
            Resume::Start | Resume::Wake => None,
            Resume::Timeout => Some(false),
            Resume::Message { port, message } => {
                shared.inbox = Some((port, message));
                Some(true)
            }
        };
        drop(shared);
        let result = match got {
            None => self.thread.resume::<LuaValue>(()),
            Some(got) => self.thread.resume::<LuaValue>(got),
        };
        let mut shared = self.shared.borrow_mut();
        std::mem::swap(&mut shared.io, io);
        shared.inbox = None;
        let request = shared.request.take();
        drop(shared);
        self.step_from(io, result, request)
    }

    fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }

    fn eval(&mut self, code: &str) -> Result<serde_json::Value, String> {
        let f = self
            .lua
            .load(code)
            .set_name("=eval")
            .into_function()
            .map_err(|e| e.to_string())?;
        let thread = self.lua.create_thread(f).map_err(|e| e.to_string())?;
        if let Some(h) = &self.hook {
            h.set_on(&thread)?;
        }
        let io = {
            let mut shared = self.shared.borrow_mut();
            std::mem::take(&mut shared.io)
        };
        let result = thread.resume::<LuaValue>(());
        let mut shared = self.shared.borrow_mut();
        let eval_io = std::mem::replace(&mut shared.io, io);
        drop(shared);
        if eval_io.cancelled {
            return Err("killed".into());
        }
        if eval_io.budget_exceeded {
            return Err(format!("instruction budget of {} exceeded", self.budget));
        }
        let v = result.map_err(|e| describe_error(&e))?;
        if thread.status() == ThreadStatus::Resumable {
            return Err("eval may not block or yield".into());
        }
        let mut out = None;
        // SAFETY: `read` only inspects the pushed value; it raises no Lua error.
        unsafe {
            self.lua
                .exec_raw::<()>(v, |state| {
                    out = Some(value::read(state, ffi::lua_gettop(state), 0));
                    ffi::lua_settop(state, 0);
                })
                .map_err(|e| e.to_string())?;
        }
        out.unwrap_or_else(|| Err("eval produced no value".into()))
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
