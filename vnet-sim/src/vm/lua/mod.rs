//! Lua 5.4 workers (vendored through mlua, driven on its raw C API): a sandboxed state per
//! worker, the program in a coroutine, blocking calls as yields from C, and a count hook that
//! enforces the instruction budget.
//!
//! - [`state`]: the owned state — capped allocator, libraries, protected setup, safe close.
//! - `blocks`: per-thread free lists of the small blocks under every state.
//! - [`api`]: the globals a program sees (the node API) and the sandbox's removals.
//! - [`value`]: Lua values to and from the JSON-like values messages carry.

mod agents;
mod api;
#[cfg(not(feature = "luajit"))]
mod blocks;
mod state;
mod tuples;
mod value;

use std::cell::RefCell;
use std::ffi::c_int;

use mlua::ffi;

use super::driver::Vm;
use serde_json::Value;

use super::io::{Io, Resume, Step};
use super::{CancelFlag, VmConfig};
use state::State;
pub(crate) use state::hashes_are_fixed;

/// What the API functions share with the driver. Boxed by the worker, which outlives its
/// state; the C functions find it through their upvalue, the count hook through the state's
/// extra space. The driver swaps the activation's [`Io`] in and out (no allocation).
pub(super) struct Shared {
    pub io: Io,
    /// The blocking call the program made (set by the API, taken by the driver).
    pub request: Option<Step>,
    /// The worker's own thread: only it may block.
    pub thread: *mut ffi::lua_State,
    /// The count hook's settings, if the worker is counted.
    #[cfg_attr(feature = "luajit", allow(dead_code))]
    pub hook: Option<Hook>,
    /// The tuple an `inp`/`rdp`/`rd`/`take` found, held here while it is pushed (a push may
    /// raise, and nothing owned may be on the Rust stack then).
    pub found: Option<Value>,
}

/// The instruction-counting hook's settings.
#[derive(Clone)]
#[cfg_attr(feature = "luajit", allow(dead_code))]
pub(super) struct Hook {
    interval: u32,
    budget: u64,
    cancel: Option<CancelFlag>,
}

pub(crate) struct LuaVm {
    /// Dropped first: closing the state may still run a finalizer that calls the API.
    state: State,
    budget: u64,
    shared: Box<RefCell<Shared>>,
    meta_keys: value::MetaKeys,
}

impl LuaVm {
    /// A worker running `code`, named `source` in its error lines (`source:4: …`).
    pub fn new(code: &str, source: &str, config: &VmConfig) -> Result<Self, String> {
        let cap = config
            .profile
            .as_ref()
            .map_or(config.memory_cap, |p| p.memory_cap);
        let state = State::new(cap)?;
        let budget = config.instruction_budget;
        // Lua 5.4 checks for hooks on every instruction while any hook is set, whatever the
        // interval (see the module docs for the cost), so a worker that needs no count — no
        // budget, no profile — runs without one. LuaJIT's compiled code calls no hooks, so
        // neither a budget nor a count would hold there.
        let counted = budget != u64::MAX || config.profile.is_some() || config.cancel.is_some();
        let hook = (counted && !cfg!(feature = "luajit")).then(|| Hook {
            interval: config.hook_interval.max(1),
            budget,
            cancel: config.cancel.clone(),
        });
        let shared = Box::new(RefCell::new(Shared {
            io: Io::default(),
            request: None,
            thread: std::ptr::null_mut(),
            hook,
            found: None,
        }));
        let shared_ptr: *const RefCell<Shared> = &*shared;
        let name = std::ffi::CString::new(format!("={source}"))
            .map_err(|_| "a program's name may not contain NUL".to_owned())?;
        // SAFETY: setup runs protected and holds nothing that needs dropping while it may raise.
        unsafe {
            #[cfg(not(feature = "luajit"))]
            {
                // Threads copy the main state's extra space: the hook finds `shared` there.
                *ffi::lua_getextraspace(state.raw()).cast::<*const RefCell<Shared>>() = shared_ptr;
            }
            state.protect(|l| api::install(l, shared_ptr))?;
        }
        let mut meta_keys = None;
        // SAFETY: protected, as above.
        unsafe { state.protect(|l| meta_keys = Some(value::MetaKeys::new(l)))? };
        let meta_keys = meta_keys.ok_or("cannot make recv's keys")?;
        let thread = load_thread(&state, code, &name, WORKER)?;
        shared.borrow_mut().thread = thread;
        let vm = LuaVm {
            state,
            budget,
            shared,
            meta_keys,
        };
        vm.set_hook(thread);
        vm.state.start_collector();
        Ok(vm)
    }

    /// Sets the count hook on `thread`, if the worker is counted.
    fn set_hook(&self, thread: *mut ffi::lua_State) {
        #[cfg(not(feature = "luajit"))]
        if let Some(h) = &self.shared.borrow().hook {
            // SAFETY: a setting on a live thread of this state.
            unsafe {
                ffi::lua_sethook(
                    thread,
                    Some(count_hook),
                    ffi::LUA_MASKCOUNT,
                    c_int::try_from(h.interval).unwrap_or(c_int::MAX),
                )
            };
        }
        #[cfg(feature = "luajit")]
        let _ = thread;
    }

    /// Why the activation that ended with `status` on `thread` stopped.
    fn step_from(&self, io: &Io, thread: *mut ffi::lua_State, status: c_int) -> Step {
        if io.cancelled {
            return Step::Failed("killed".into());
        }
        if io.budget_exceeded {
            let at = io.stopped_at.as_deref().unwrap_or("the program");
            return Step::Failed(format!(
                "{at}: instruction budget of {} exceeded (a runaway loop?)",
                self.budget
            ));
        }
        match status {
            ffi::LUA_OK => Step::Finished,
            ffi::LUA_YIELD => self.shared.borrow_mut().request.take().unwrap_or_else(|| {
                Step::Failed(
                    "coroutine.yield called outside a coroutine of the program's own".into(),
                )
            }),
            _ => Step::Failed(self.describe_error(thread, status)),
        }
    }

    /// The error on top of `thread`'s stack, with the thread's traceback.
    fn describe_error(&self, thread: *mut ffi::lua_State, status: c_int) -> String {
        // SAFETY: reads the error, then builds the traceback protected and with the cap lifted.
        unsafe {
            let msg = state::error_text(thread, -1, status);
            if status == ffi::LUA_ERRMEM {
                return format!("memory cap of {} bytes exceeded", self.state.cap());
            }
            let mut out = None;
            let text = std::ffi::CString::new(msg.replace('\0', "\\0")).unwrap_or_default();
            let _ = self.state.uncapped(|| {
                self.state.protect(|l| {
                    ffi::luaL_traceback(l, thread, text.as_ptr(), 0);
                    out = Some(String::from_utf8_lossy(value::string_at(l, -1)).into_owned());
                })
            });
            out.unwrap_or(msg)
        }
    }

    /// The worker's thread (kept alive in the registry).
    fn thread(&self) -> *mut ffi::lua_State {
        self.shared.borrow().thread
    }

    /// Resumes `thread` with `nargs` values pushed and `io` as the activation's I/O: the
    /// status and the number of values it yielded or returned.
    fn resume_thread(
        &mut self,
        io: &mut Io,
        thread: *mut ffi::lua_State,
        nargs: c_int,
    ) -> (c_int, c_int) {
        {
            let mut shared = self.shared.borrow_mut();
            std::mem::swap(&mut shared.io, io);
            shared.request = None;
        }
        let mut nres = 0;
        // SAFETY: the thread belongs to this state and is suspended (new or yielded).
        let status = unsafe { ffi::lua_resume(thread, self.state.raw(), nargs, &mut nres) };
        std::mem::swap(&mut self.shared.borrow_mut().io, io);
        (status, nres)
    }
}

/// Compiles `code` (text only) as a function in a new thread of `state`, kept in the registry
/// under `key` until replaced.
fn load_thread(
    state: &State,
    code: &str,
    name: &std::ffi::CStr,
    key: usize,
) -> Result<*mut ffi::lua_State, String> {
    let mut thread = std::ptr::null_mut();
    let mut compiled = Ok(());
    // SAFETY: runs protected; `compiled`'s text is set after the last call that may raise.
    unsafe {
        state.protect(|l| {
            thread = ffi::lua_newthread(l);
            ffi::lua_rawsetp(l, ffi::LUA_REGISTRYINDEX, thread_key(key));
            let status = ffi::luaL_loadbufferx(
                l,
                code.as_ptr().cast(),
                code.len(),
                name.as_ptr(),
                c"t".as_ptr(),
            );
            if status != ffi::LUA_OK {
                compiled = Err(state::error_text(l, -1, status));
            } else {
                ffi::lua_xmove(l, thread, 1);
            }
        })?;
    }
    compiled.map(|()| thread)
}

/// Registry keys of the threads the host keeps: the worker's, and an eval's while it runs.
const WORKER: usize = 0;
const EVAL: usize = 1;

/// The registry key (a light userdata no program can make) of thread `which`.
fn thread_key(which: usize) -> *const std::ffi::c_void {
    static KEYS: [u8; 2] = [0; 2];
    std::ptr::from_ref(&KEYS[which]).cast()
}

/// The count hook: adds the interval to the activation's count and stops the worker when its
/// budget is spent or its cancel flag raised — by yielding, which `pcall` cannot catch; where
/// the thread cannot yield (a coroutine of the program's, a metamethod called from C), by an
/// error, raised again at every later call until the worker reaches a point where it yields.
#[cfg(not(feature = "luajit"))]
unsafe extern "C-unwind" fn count_hook(l: *mut ffi::lua_State, ar: *mut ffi::lua_Debug) {
    // SAFETY: the extra space holds the worker's `Shared` (set before any thread was made).
    unsafe {
        let p = *ffi::lua_getextraspace(l).cast::<*const RefCell<Shared>>();
        let Some(cell) = p.as_ref() else { return };
        let stop = {
            let Ok(mut shared) = cell.try_borrow_mut() else {
                return;
            };
            let Shared {
                io, hook, thread, ..
            } = &mut *shared;
            let Some(hook) = hook else { return };
            io.instructions += u64::from(hook.interval);
            if hook.cancel.as_ref().is_some_and(CancelFlag::is_raised) {
                io.cancelled = true;
            } else if io.instructions > hook.budget {
                if !io.budget_exceeded && !ar.is_null() {
                    // Where the loop was, for the error line (`program:4`).
                    ffi::lua_getinfo(l, c"Sl".as_ptr(), ar);
                    let src = std::ffi::CStr::from_ptr((*ar).short_src.as_ptr());
                    io.stopped_at =
                        Some(format!("{}:{}", src.to_string_lossy(), (*ar).currentline));
                }
                io.budget_exceeded = true;
            }
            (io.cancelled || io.budget_exceeded).then_some(*thread)
        };
        match stop {
            None => {}
            Some(thread) if thread == l && ffi::lua_isyieldable(l) != 0 => {
                ffi::lua_yield(l, 0);
            }
            Some(thread) => {
                // From now on the hook runs at every instruction, so the first one where the
                // worker can yield is found (and not another that raises in the same place).
                for t in [l, thread] {
                    ffi::lua_sethook(t, Some(count_hook), ffi::LUA_MASKCOUNT, 1);
                }
                ffi::lua_pushstring(l, c"the worker is being stopped".as_ptr());
                ffi::lua_error(l);
            }
        }
    }
}

impl Vm for LuaVm {
    fn resume(&mut self, io: &mut Io, input: Resume) -> Step {
        let thread = self.thread();
        let nargs = match input {
            Resume::Start | Resume::Wake | Resume::Timeout => 0,
            Resume::Tuple(tuple) => {
                let value = tuple.map_or(Value::Null, Value::Array);
                // As a message: pushed with the cap lifted; a worker it takes over fails.
                // SAFETY: pushes onto the suspended thread, as resuming it with values does.
                let (pushed, over) = self.state.uncapped(|| unsafe {
                    if ffi::lua_checkstack(thread, 1 + ffi::LUA_MINSTACK) == 0 {
                        return Err("tuple: out of stack space".to_owned());
                    }
                    value::push(thread, &value, 0)
                });
                if let Err(e) = pushed {
                    return Step::Failed(e);
                }
                if over {
                    return Step::Failed(format!(
                        "memory cap of {} bytes exceeded (by a tuple)",
                        self.state.cap()
                    ));
                }
                1
            }
            Resume::Message {
                port,
                message,
                meta,
            } => {
                let name = port.and_then(|p| io.node.ports.get(p.0 as usize));
                // Handing the message over must not raise: the cap is lifted while it is
                // pushed, and a worker it takes over the cap fails instead.
                // SAFETY: pushes onto the suspended thread, as resuming it with values does.
                let (pushed, over) = self.state.uncapped(|| unsafe {
                    if ffi::lua_checkstack(thread, 3 + ffi::LUA_MINSTACK) == 0 {
                        return Err("recv: out of stack space".to_owned());
                    }
                    match name {
                        Some(n) => {
                            ffi::lua_pushlstring(thread, n.as_ptr().cast(), n.len());
                        }
                        None => ffi::lua_pushnil(thread),
                    }
                    value::push_message(thread, &message)?;
                    value::push_meta(thread, &meta, &self.meta_keys);
                    Ok(())
                });
                if let Err(e) = pushed {
                    return Step::Failed(e);
                }
                if over {
                    return Step::Failed(format!(
                        "memory cap of {} bytes exceeded (by a received message)",
                        self.state.cap()
                    ));
                }
                3
            }
        };
        let (status, nres) = self.resume_thread(io, thread, nargs);
        let step = self.step_from(io, thread, status);
        if status == ffi::LUA_OK || status == ffi::LUA_YIELD {
            // SAFETY: drops what the thread yielded or returned.
            unsafe { ffi::lua_pop(thread, nres) };
        }
        step
    }

    fn used_memory(&self) -> usize {
        self.state.used_memory()
    }

    fn eval(&mut self, code: &str, now: crate::time::SimTime) -> Result<serde_json::Value, String> {
        let result = load_thread(&self.state, code, c"=eval", EVAL).and_then(|thread| {
            self.set_hook(thread);
            // API calls inside act on an empty node, their output discarded.
            let mut io = Io {
                now,
                ..Io::default()
            };
            let (status, nres) = self.resume_thread(&mut io, thread, 0);
            // A hook that stopped the eval left the worker's thread hooked at every
            // instruction; give it back its interval.
            self.set_hook(self.thread());
            if io.cancelled {
                return Err("killed".into());
            }
            if io.budget_exceeded {
                return Err(format!("instruction budget of {} exceeded", self.budget));
            }
            match status {
                ffi::LUA_OK if nres == 0 => Ok(serde_json::Value::Null),
                // SAFETY: `read` only inspects the value.
                ffi::LUA_OK => unsafe {
                    value::read(thread, ffi::lua_gettop(thread) - nres + 1, 0)
                },
                ffi::LUA_YIELD => Err("eval may not block or yield".into()),
                _ => Err(self.describe_error(thread, status)),
            }
        });
        // SAFETY: lets the eval's thread go (setting a key to nil allocates nothing).
        let _ = unsafe {
            self.state.protect(|l| {
                ffi::lua_pushnil(l);
                ffi::lua_rawsetp(l, ffi::LUA_REGISTRYINDEX, thread_key(EVAL));
            })
        };
        result
    }
}
