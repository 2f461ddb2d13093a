//! An owned Lua state on the raw C API: a capped allocator, the worker's libraries opened with
//! the collector paused, and protected calls for setup.
//!
//! Workers are made by the thousand and every message crosses into one, so the state is driven
//! through `mlua::ffi` directly: through mlua a worker took three times a bare state's creation
//! time (its own setup, a protected call per table write, a userdata per callback).

use std::cell::Cell;
use std::ffi::c_int;

use mlua::ffi;

/// The allocator's account: bytes live and the cap they may not pass.
struct Heap {
    used: Cell<usize>,
    limit: Cell<usize>,
}

/// Lua's allocation function over the global allocator (so heap counters see Lua's memory;
/// small blocks through [`super::blocks`]' free lists), refusing what would take the state over
/// its cap; Lua then collects and retries once, and raises a memory error if that does not
/// help.
#[cfg(not(feature = "luajit"))]
unsafe extern "C" fn allocate(
    ud: *mut std::ffi::c_void,
    ptr: *mut std::ffi::c_void,
    osize: usize,
    nsize: usize,
) -> *mut std::ffi::c_void {
    use super::blocks;
    // SAFETY: `ud` is the state's `Heap`, which outlives it; Lua passes the block's real size
    // as `osize` whenever `ptr` is not null, and every block it holds came from here.
    unsafe {
        let heap = &*(ud as *const Heap);
        if nsize == 0 {
            if !ptr.is_null() {
                blocks::free(ptr.cast(), osize);
                heap.used.set(heap.used.get() - osize);
            }
            return std::ptr::null_mut();
        }
        let old = if ptr.is_null() { 0 } else { osize };
        let used = heap.used.get() - old;
        if nsize > old && used + nsize > heap.limit.get() {
            return std::ptr::null_mut();
        }
        let new = if ptr.is_null() {
            blocks::alloc(nsize)
        } else {
            blocks::realloc(ptr.cast(), osize, nsize)
        };
        if !new.is_null() {
            heap.used.set(used + nsize);
        }
        new.cast()
    }
}

/// A Lua state, closed on drop.
pub(super) struct State {
    l: *mut ffi::lua_State,
    /// The allocator's account; boxed so its address, which the state keeps, stays put.
    heap: Box<Heap>,
}

impl State {
    /// A state with a memory cap of `cap` bytes and the worker's libraries: base, coroutine,
    /// table, string, utf8 and math (LuaJIT: its base library holds `coroutine`, and `jit`).
    pub fn new(cap: usize) -> Result<Self, String> {
        warn_if_hashes_are_random();
        let heap = Box::new(Heap {
            used: Cell::new(0),
            limit: Cell::new(cap),
        });
        // SAFETY: the allocator's `ud` is the boxed heap, kept until the state is closed.
        #[cfg(not(feature = "luajit"))]
        let l =
            unsafe { ffi::lua_newstate(allocate, std::ptr::from_ref(&*heap).cast_mut().cast()) };
        // LuaJIT keeps its own allocator: no cap there (see the module docs).
        #[cfg(feature = "luajit")]
        let l = unsafe { ffi::luaL_newstate() };
        if l.is_null() {
            return Err("cannot create a Lua state: out of memory".into());
        }
        let state = State { l, heap };
        // SAFETY: a fresh state; the libraries' openers are called protected.
        unsafe {
            // A new heap has no garbage: collecting while it is built is wasted work (several
            // cycles over a growing heap). The collector resumes when setup ends.
            ffi::lua_gc(l, ffi::LUA_GCSTOP, 0);
            state.protect(|l| {
                for (name, open) in LIBS {
                    ffi::luaL_requiref(l, name.as_ptr(), *open, 1);
                    ffi::lua_settop(l, 0);
                }
            })?;
        }
        Ok(state)
    }

    /// The raw state.
    pub fn raw(&self) -> *mut ffi::lua_State {
        self.l
    }

    /// Lets the collector run (it is paused from [`State::new`] until setup ends).
    pub fn start_collector(&self) {
        // SAFETY: a plain option change.
        unsafe { ffi::lua_gc(self.l, ffi::LUA_GCRESTART, 0) };
    }

    /// Bytes the state holds.
    pub fn used_memory(&self) -> usize {
        #[cfg(not(feature = "luajit"))]
        return self.heap.used.get();
        // SAFETY: reading the collector's counters raises nothing.
        #[cfg(feature = "luajit")]
        unsafe {
            let kb = ffi::lua_gc(self.l, ffi::LUA_GCCOUNT, 0) as usize;
            let b = ffi::lua_gc(self.l, ffi::LUA_GCCOUNTB, 0) as usize;
            kb * 1024 + b
        }
    }

    /// The memory cap, in bytes.
    pub fn cap(&self) -> usize {
        self.heap.limit.get()
    }

    /// Runs `f` with the cap lifted: for the host's own allocations (a message handed to the
    /// program, an error's traceback), which must not raise. Returns whether the state is over
    /// its cap afterwards.
    pub fn uncapped<R>(&self, f: impl FnOnce() -> R) -> (R, bool) {
        let cap = self.heap.limit.replace(usize::MAX);
        let r = f();
        self.heap.limit.set(cap);
        (
            r,
            cfg!(not(feature = "luajit")) && self.heap.used.get() > cap,
        )
    }

    /// Runs `f` on the state in protected mode: a Lua error it raises (out of memory, say)
    /// comes back as `Err` with the error's text.
    ///
    /// # Safety
    /// `f` may raise Lua errors only where it holds nothing that needs dropping.
    pub unsafe fn protect<F: FnOnce(*mut ffi::lua_State)>(&self, f: F) -> Result<(), String> {
        unsafe extern "C-unwind" fn trampoline<G: FnOnce(*mut ffi::lua_State)>(
            l: *mut ffi::lua_State,
        ) -> c_int {
            // SAFETY: the light userdata is the `Option<F>` below, alive for the call.
            unsafe {
                let f = &mut *(ffi::lua_touserdata(l, 1) as *mut Option<G>);
                ffi::lua_settop(l, 0);
                if let Some(f) = f.take() {
                    f(l);
                }
                0
            }
        }
        let mut f = Some(f);
        // SAFETY: the closure runs inside `lua_pcall`, which catches what it raises.
        unsafe {
            let top = ffi::lua_gettop(self.l);
            if ffi::lua_checkstack(self.l, 2) == 0 {
                return Err("out of stack space".into());
            }
            ffi::lua_pushcfunction(self.l, trampoline::<F>);
            ffi::lua_pushlightuserdata(self.l, std::ptr::from_mut(&mut f).cast());
            let status = ffi::lua_pcall(self.l, 1, 0, 0);
            let r = if status == ffi::LUA_OK {
                Ok(())
            } else {
                Err(error_text(self.l, -1, status))
            };
            ffi::lua_settop(self.l, top);
            r
        }
    }
}

impl Drop for State {
    fn drop(&mut self) {
        // SAFETY: closed once. Programs cannot set finalizers (see `api`), which Lua would run
        // here with hooks off.
        unsafe { ffi::lua_close(self.l) };
    }
}

/// The libraries a worker gets.
#[cfg(not(feature = "luajit"))]
const LIBS: &[(&std::ffi::CStr, ffi::lua_CFunction)] = &[
    (c"_G", ffi::luaopen_base),
    (c"coroutine", ffi::luaopen_coroutine),
    (c"table", ffi::luaopen_table),
    (c"string", ffi::luaopen_string),
    (c"utf8", ffi::luaopen_utf8),
    (c"math", ffi::luaopen_math),
];
#[cfg(feature = "luajit")]
const LIBS: &[(&std::ffi::CStr, ffi::lua_CFunction)] = &[
    (c"_G", ffi::luaopen_base),
    (c"table", ffi::luaopen_table),
    (c"string", ffi::luaopen_string),
    (c"math", ffi::luaopen_math),
    (c"jit", ffi::luaopen_jit),
];

/// The text of the error at `idx` (raised with `status`); reads, raises nothing.
pub(super) unsafe fn error_text(l: *mut ffi::lua_State, idx: c_int, status: c_int) -> String {
    unsafe {
        if status == ffi::LUA_ERRMEM {
            return "memory cap exceeded".into();
        }
        match ffi::lua_type(l, idx) {
            ffi::LUA_TSTRING => {
                String::from_utf8_lossy(super::value::string_at(l, idx)).into_owned()
            }
            ffi::LUA_TNUMBER if ffi::lua_isinteger(l, idx) != 0 => {
                ffi::lua_tointeger(l, idx).to_string()
            }
            ffi::LUA_TNUMBER => ffi::lua_tonumber(l, idx).to_string(),
            t => format!(
                "(error object is a {} value)",
                std::ffi::CStr::from_ptr(ffi::lua_typename(l, t)).to_string_lossy()
            ),
        }
    }
}

/// Whether this build's Lua seeds string hashes with a constant, so `pairs` visits string keys
/// in the same order in every run (vnet's `.cargo/config.toml` defines `luai_makeseed`; a
/// build without it seeds each state from addresses and the clock). Checked once, on two
/// states alive together.
pub(crate) fn hashes_are_fixed() -> bool {
    static FIXED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FIXED.get_or_init(|| {
        // SAFETY: bare states used through the C API and closed here; the default allocator
        // fails only when the process is out of memory.
        unsafe {
            let states = [ffi::luaL_newstate(), ffi::luaL_newstate()];
            if states.iter().any(|l| l.is_null()) {
                return false;
            }
            let orders = states.map(|l| {
                ffi::lua_createtable(l, 0, 24);
                for i in 0..24 {
                    let key = format!("key{i}\0");
                    ffi::lua_pushinteger(l, i);
                    ffi::lua_setfield(l, -2, key.as_ptr().cast());
                }
                let mut order = Vec::new();
                ffi::lua_pushnil(l);
                while ffi::lua_next(l, -2) != 0 {
                    ffi::lua_pop(l, 1);
                    order.push(ffi::lua_tointeger(l, -1));
                }
                ffi::lua_close(l);
                order
            });
            orders[0] == orders[1]
        }
    })
}

/// Says once on stderr if Lua workers cannot be deterministic in this build.
fn warn_if_hashes_are_random() {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        if !hashes_are_fixed() {
            eprintln!(
                "vnet: this build's Lua seeds string hashes at random, so `pairs` over string \
                 keys visits them in a different order in every run; build with \
                 CFLAGS=-Dluai_makeseed=sizeof (vnet's .cargo/config.toml does) for \
                 deterministic Lua workers"
            );
        }
    });
}
