//! Node programs in Lua and JavaScript, run inside the simulation in virtual time.
//!
//! A VM worker is a [`VmProgram`], a [`NodeProgram`](crate::NodeProgram) like any Rust program:
//! the kernel does not know it runs a VM. Each worker has its own VM instance — Lua 5.4 through
//! mlua (vendored, nothing to install) or JavaScript through boa_engine (the default) or
//! QuickJS (the `quickjs` feature; see "JavaScript engines" below) — and the same API:
//!
//! | call | does |
//! |---|---|
//! | `send(port, value)` | sends `value` on the named port (CMUX: every link and sibling worker) |
//! | `recv()`, `recv(port)`, `recv(port, timeout_ms)` | waits for a message; returns `port, value, meta` (JS: `[port, value, meta]`), or nil/null on timeout; `meta` is `{from, sent, sent_ns, id}`: the sending node's name, when it was sent (ms as `now()`, and ns as `now_ns()`), so `now_ns() - meta.sent_ns` is what the message took, and its id in the trace (`"0#3"`, as its `send` and `deliver` records show it) |
//! | `sleep(ms)` | waits `ms` milliseconds of virtual time (to the nearest nanosecond; any positive wait is at least 1 ns) |
//! | `now()` | virtual time in milliseconds (a float) |
//! | `now_ns()` | virtual time in whole nanoseconds (Lua: an integer; JS: a number, exact up to 2^53 ns) |
//! | `node()` | `{id, name, worker, ports = {names}, neighbours = {port = {node names}}}` |
//! | `print(...)` | writes a line to the worker's standard output |
//! | `record(name, value)` | records a typed result — a number, boolean or string — as (time, node, worker, name, value): [`Results::records`](crate::Results::records), the trace, CSV or JSON lines; for results, instead of printing text to parse back |
//! | `params()` | the node's parameters (a network file node's `params`, or [`VmProgram::with_params`]): a table / object, or nil/null if it has none |
//! | `random()` | a float in [0, 1) from the node's seeded stream (Lua's `math.random` and JS's `Math.random` use it too) |
//! | `fork(code)` | starts a sibling worker in the same language; returns its worker id |
//! | `kill(worker)` | ends a worker of this node |
//! | `exit()` | ends this worker |
//! | `sensor(name)` | reads the node's sensor `name` now (at the worker's virtual time): a number, or nil/null if the reading dropped out; an unknown name is an error |
//!
//! JavaScript's `Date` reads virtual time: a run starts at the epoch (1970-01-01T00:00:00Z),
//! `Date.now()` is the time the activation began, and local time is UTC. Lua's `pairs` visits
//! string keys in the same order in every run when Lua is built with a fixed string-hash seed,
//! as vnet's `.cargo/config.toml` asks ([`lua_hashes_are_fixed`] tells; keys that are tables or
//! functions are still ordered by address).
//!
//! In Lua the blocking calls (`recv`, `sleep`, `exit`) suspend the worker's coroutine; in
//! JavaScript they return promises: `const [port, msg] = await recv();`. Only the calling worker
//! waits, and it resumes at the exact virtual time the message or timer is due.
//!
//! ## Values
//!
//! Messages carry JSON-like values ([`serde_json::Value`]) between Lua, JS and Rust:
//!
//! | Rust / JSON | Lua | JavaScript |
//! |---|---|---|
//! | null | nil | null (undefined is sent as null) |
//! | bool | boolean | boolean |
//! | integer (i64) | integer | number (integral values up to 2^53 arrive in Lua as integers) |
//! | float | float | number |
//! | string | string (must be UTF-8 to cross) | string |
//! | array | table with keys 1..n | array |
//! | object | table with string keys (an empty table is an empty object) | object |
//!
//! Functions, coroutines, userdata, NaN and infinities, tables mixing array and string keys,
//! and cycles cannot cross: `send` raises an error naming what it met (values nested deeper than
//! 64 levels are taken for cycles). Byte payloads from Rust arrive as strings (Lua) or arrays of
//! numbers (JS).
//!
//! Between two Lua workers a table travels packed (`net/packed.rs`: one flat buffer, no
//! `serde_json::Value` in between); it is charged, traced and seen by everyone else exactly as
//! the same value sent as JSON, object keys in sorted order as in a JSON object.
//!
//! ## Safety and limits ([`VmConfig`])
//!
//! Lua workers get only the `string`, `table`, `math`, `utf8` and `coroutine` libraries: no
//! `io`, `os`, `package`/`require`, `debug`, `dofile`/`loadfile`/`load`, `collectgarbage`, and
//! no way to make or run bytecode (`string.dump` is gone). JS workers see a bare ECMAScript realm with the API above
//! and nothing of the host. A runaway loop is stopped by an instruction budget per activation
//! (Lua: a count hook that *yields* out of the VM, so `pcall` cannot swallow it; JS: boa's loop
//! iteration and recursion limits, or QuickJS's step budget), and the worker fails with a message naming node and
//! worker; the simulation goes on. Where a Lua worker cannot yield (inside a metamethod or a
//! `table.sort` comparator called from C) the hook raises an error instead, at every
//! instruction until the worker reaches a point where it can be stopped. `setmetatable`
//! refuses `__gc` fields: Lua runs finalizers with hooks off, out of the budget's reach. Both
//! have a memory cap. Lua's is exact (the state's allocator refuses the allocation that would
//! break it; a received message that would, fails the worker), and so is QuickJS's (below). boa
//! has no allocation limit or hook, so a JS
//! worker's heap is measured by [`MeteredAlloc`], which the binary installs as its global
//! allocator (one line, see [`meter`]; the examples and tests do). The cap is checked at every
//! API call and when the worker blocks, after a garbage collection; a worker over it fails even
//! if it catches the error. Between API calls, the allocation that takes a worker's heap —
//! garbage included, hence the margin — past 1.5× its cap raises the worker's interrupt flag,
//! which boa checks before every instruction (the one patch in `vendor/boa_engine`): a pure
//! computation is stopped at once, and so is a worker whose [`CancelFlag`] is raised. Without
//! `MeteredAlloc`, JS workers on boa run uncapped and the process says so once on stderr. Errors and exceptions fail only their worker, with
//! the message and traceback on its standard error.
//!
//! With the `luajit` feature (`--no-default-features --features luajit`) Lua workers run on
//! LuaJIT 2.1, JIT-compiled, for speed comparisons such as `table1`'s: compiled code calls no
//! hooks and LuaJIT keeps its own allocator, so there are no step budget, no memory cap and no
//! host-profile compute time; numbers are all floats (integral ones still cross as integers).
//!
//! ## JavaScript engines
//!
//! A cargo feature picks the engine of every JS worker in a build ([`JS_ENGINE`] names it):
//! `boa` (the default: boa_engine, pure Rust) or `quickjs` (QuickJS-ng through rquickjs, its C
//! compiled by the build: `cargo run --features quickjs …`; with both on, QuickJS is used, and
//! `--no-default-features --features lua54,quickjs` leaves boa out). The API, the value
//! mapping, the sandbox, `Math.random`, `Date` and the blocking calls are the same on both;
//! error texts are each engine's own words (`program:2:7: uncaught TypeError: cannot read
//! property 'x' of null` on QuickJS). The limits differ:
//!
//! | | boa | QuickJS |
//! |---|---|---|
//! | runaway code | [`VmConfig::loop_iteration_limit`] iterations of one loop, [`VmConfig::recursion_limit`] nested calls | [`VmConfig::instruction_budget`] steps (jumps: branches and loop iterations) per activation, as Lua's budget; recursion: `recursion_limit` KiB of stack (a catchable `RangeError`) |
//! | kill ([`CancelFlag`]) | before the next instruction | within 10 000 steps (well under a millisecond) |
//! | memory cap | measured by [`MeteredAlloc`] (the binary installs it), checked at API calls and blocks; stopped at 1.5× between them | exact: the worker's own heap refuses the allocation that would pass the cap (QuickJS throws `InternalError: out of memory`); no global allocator needed |
//! | host-profile compute time | boa's instruction counter | steps, counted 10 000 at a time ([`JS_INSTRUCTIONS_PER_DHRYSTONE`] is per engine) |
//!
//! On both, a worker over its cap fails when its activation ends even if it caught the error.
//! QuickJS's local time is UTC because vnet's `.cargo/config.toml` compiles it with
//! `localtime_r` mapped to `gmtime_r`; a build outside this workspace uses the host's zone,
//! and the first QuickJS worker of a process says so on stderr when it finds it is not UTC.
//!
//! The count hook is what the budget and host profiles cost: while any hook is set, Lua 5.4
//! checks for it on every instruction, whatever the interval, so pure computation runs about
//! 1.7× (Dhrystone: `table1`'s two Lua rows) to 1.9× (a tight arithmetic loop,
//! `cargo bench --bench vm -- lua_count_hook`) slower than without one. Workers with no budget
//! (`instruction_budget: u64::MAX`) and no profile run without a hook.

mod driver;
mod io;
mod io_agents;
mod io_tuples;
mod js;
mod lua;
pub mod meter;
mod profile;

#[cfg(test)]
mod tests;

pub use driver::{EvalError, VmProgram};
pub use io::NodeInfo;
pub use js::{JS_ENGINE, collect_garbage as collect_js_garbage};
pub use meter::{HeapMeter, MeteredAlloc};
pub use profile::{HostProfile, JS_INSTRUCTIONS_PER_DHRYSTONE, LUA_INSTRUCTIONS_PER_DHRYSTONE};

/// Whether Lua workers visit string keys in `pairs` in the same order in every run: true when
/// Lua was built with a fixed string-hash seed, as vnet's `.cargo/config.toml` asks (the
/// first Lua worker of a process says on stderr if not).
pub fn lua_hashes_are_fixed() -> bool {
    lua::hashes_are_fixed()
}

/// The engine behind [`Lang::Lua`] workers: Lua 5.4, or LuaJIT 2.1 with the `luajit` feature.
pub const LUA_ENGINE: &str = if cfg!(feature = "luajit") {
    "LuaJIT 2.1"
} else {
    "Lua 5.4"
};

#[cfg(all(feature = "lua54", feature = "luajit"))]
compile_error!(
    "vnet-sim: choose one Lua engine: `lua54` (the default) or `luajit` (with --no-default-features)"
);
#[cfg(not(any(feature = "lua54", feature = "luajit")))]
compile_error!("vnet-sim: choose a Lua engine: the `lua54` feature (the default) or `luajit`");

use std::rc::Rc;

/// The language of a VM worker.
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Lua 5.4 (mlua, vendored).
    Lua,
    /// JavaScript (boa_engine, or QuickJS with the `quickjs` feature).
    Js,
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "lua" => Ok(Lang::Lua),
            "js" | "javascript" => Ok(Lang::Js),
            other => Err(format!("unknown language `{other}` (lua or js)")),
        }
    }
}

/// What ends an output line cut at [`VmConfig::max_line`].
pub const LINE_CUT_MARK: &str = " …(line cut)";

/// `text` cut to at most `max` bytes (at a character boundary) and marked with
/// [`LINE_CUT_MARK`], in a string of its own size; unchanged if it fits.
pub fn cut_line(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    // A new string: a truncated one would keep the whole line's allocation.
    let mut kept = String::with_capacity(cut + LINE_CUT_MARK.len());
    kept.push_str(&text[..cut]);
    kept.push_str(LINE_CUT_MARK);
    kept
}

/// Limits every VM worker runs under.
#[derive(Clone, Debug, PartialEq)]
pub struct VmConfig {
    /// Lua: VM instructions one activation (from a resume to the next block) may execute.
    /// `u64::MAX` without a profile turns counting off: the worker runs without a count hook
    /// (about 1.7–1.9× as fast on pure computation, see above), and nothing stops a runaway loop.
    /// JS on QuickJS: steps (jumps: branches and loop iterations) one activation may run,
    /// checked every 10 000; `u64::MAX`: no budget.
    pub instruction_budget: u64,
    /// Lua: instructions between two calls of the counting hook. Smaller is finer and slower.
    pub hook_interval: u32,
    /// Bytes of memory one worker may keep live (JS on boa: needs [`MeteredAlloc`]).
    pub memory_cap: usize,
    /// JS on boa: iterations one loop may run before the worker fails.
    pub loop_iteration_limit: u64,
    /// JS: nested calls before the worker fails (on QuickJS: this many KiB of stack, which
    /// deep recursion exhausts with a `RangeError`).
    pub recursion_limit: usize,
    /// Messages a blocked worker's mailbox holds; later ones are dropped.
    pub mailbox_capacity: usize,
    /// Bytes of one output line (`print`); a longer line is cut to this (at a character
    /// boundary) and ends with [`LINE_CUT_MARK`]. A real-time node keeps its lines short so
    /// that unread output cannot hold its memory.
    pub max_line: usize,
    /// The host the VM runs on; `None` costs no virtual time. With a profile, counted VM
    /// instructions (Lua's by the count hook, JavaScript's by boa's instruction counter)
    /// advance the worker's clock, sends add tcmsg, workers start after t_iVM, and the
    /// profile's memory cap replaces `memory_cap`.
    pub profile: Option<HostProfile>,
    /// A flag another thread may raise to stop the worker (a real-time node killing a spinning
    /// worker): Lua at its next hook call (setting it installs the count hook), JS at its next
    /// instruction.
    pub cancel: Option<CancelFlag>,
    /// A cap on the memory of all the VM workers of a node together (an ESP32's 512 kB shared
    /// by its Lua VMs), checked whenever a worker blocks: the worker whose activation took its
    /// node over the cap fails. `None`: only the per-worker cap applies.
    pub node_memory: Option<NodeMemoryCap>,
}

/// Bytes per (node, scope, worker).
type MemoryAccount = std::collections::BTreeMap<(u32, u32, u32), usize>;

/// Memory of VM workers, summed per node, against one cap. Shared (cloned) by the configs of
/// the workers it covers.
#[derive(Clone, Debug)]
pub struct NodeMemoryCap {
    cap: usize,
    /// Tells apart workers that share an account but not a simulation (a real-time node runs
    /// each worker in a simulation of its own, all as worker 0 of node 0).
    scope: u32,
    used: std::sync::Arc<std::sync::Mutex<MemoryAccount>>,
}

impl NodeMemoryCap {
    /// A cap of `bytes` per node.
    pub fn new(bytes: usize) -> Self {
        NodeMemoryCap {
            cap: bytes,
            scope: 0,
            used: Default::default(),
        }
    }

    /// The same account for workers of another simulation standing for the same node: their
    /// bytes add up with everyone else's on that node id.
    pub fn scoped(&self, scope: u32) -> Self {
        NodeMemoryCap {
            scope,
            ..self.clone()
        }
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Bytes the workers of `node` held when each last blocked.
    pub fn used(&self, node: crate::net::NodeId) -> usize {
        self.account()
            .range((node.0, 0, 0)..=(node.0, u32::MAX, u32::MAX))
            .map(|(_, b)| b)
            .sum()
    }

    /// Records that `worker` of `node` holds `bytes`; an error if the node is then over the cap.
    pub(crate) fn charge(
        &self,
        node: crate::net::NodeId,
        worker: crate::kernel::WorkerId,
        bytes: usize,
    ) -> Result<(), String> {
        self.account().insert((node.0, self.scope, worker.0), bytes);
        let total = self.used(node);
        if total > self.cap {
            return Err(format!(
                "node memory cap of {} bytes exceeded ({total} bytes across its workers)",
                self.cap
            ));
        }
        Ok(())
    }

    /// Forgets an ended worker.
    pub(crate) fn forget(&self, node: crate::net::NodeId, worker: crate::kernel::WorkerId) {
        self.account().remove(&(node.0, self.scope, worker.0));
    }

    fn account(&self) -> std::sync::MutexGuard<'_, MemoryAccount> {
        self.used.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl PartialEq for NodeMemoryCap {
    /// The same account, not an equal one.
    fn eq(&self, o: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.used, &o.used)
    }
}

/// A flag that stops a running Lua worker from another thread: raised, the worker fails with
/// "killed" within `hook_interval` instructions, even inside a loop that never blocks.
#[derive(Clone, Debug, Default)]
pub struct CancelFlag(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl CancelFlag {
    /// A lowered flag.
    pub fn new() -> Self {
        Self::default()
    }
    /// Raises it.
    pub fn raise(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    /// Whether it was raised.
    pub fn is_raised(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// The flag itself, for an engine to watch.
    pub(crate) fn shared(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        self.0.clone()
    }
}

impl PartialEq for CancelFlag {
    /// The same flag, not an equal state.
    fn eq(&self, o: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &o.0)
    }
}

impl VmConfig {
    /// The default limits on the given host.
    pub fn on(profile: HostProfile) -> Self {
        VmConfig {
            profile: Some(profile),
            ..VmConfig::default()
        }
    }
}

impl Default for VmConfig {
    /// 100 M instructions per activation, hook every 1000, 16 MiB per worker, JS loops of
    /// at most 10 M iterations and 512 nested calls, 10 000 queued messages, lines uncut.
    fn default() -> Self {
        VmConfig {
            instruction_budget: 100_000_000,
            hook_interval: 1000,
            memory_cap: 16 << 20,
            loop_iteration_limit: 10_000_000,
            recursion_limit: 512,
            mailbox_capacity: 10_000,
            max_line: usize::MAX,
            profile: None,
            cancel: None,
            node_memory: None,
        }
    }
}

/// A worker running `code` in `lang` with the default limits.
///
/// ```
/// use vnet_sim::vm::{vm_worker, Lang};
/// use vnet_sim::Simulation;
///
/// let mut sim = Simulation::new(1);
/// let n = sim.add_node("n").unwrap();
/// let w = sim.add_worker(n, vm_worker(Lang::Lua, "sleep(5) print('woke at', now())"));
/// sim.run();
/// assert_eq!(sim.results().worker_output(n, w).next().unwrap().text, "woke at\t5.0");
/// ```
pub fn vm_worker(lang: Lang, code: &str) -> Box<VmProgram> {
    Box::new(VmProgram::new(lang, code, Rc::new(VmConfig::default())))
}

/// Creates the VM for a worker; `who` (`node/wN`) names it in messages.
fn create_vm(
    lang: Lang,
    code: &str,
    source: &str,
    config: &VmConfig,
) -> Result<Box<dyn driver::Vm>, String> {
    match lang {
        Lang::Lua => {
            lua::LuaVm::new(code, source, config).map(|v| Box::new(v) as Box<dyn driver::Vm>)
        }
        Lang::Js => js::JsVm::new(code, source, config).map(|v| Box::new(v) as Box<dyn driver::Vm>),
    }
}
