//! JavaScript workers (boa_engine): a realm per worker, the program wrapped in an async
//! function, blocking calls as promises the driver resolves, and boa's runtime limits as the
//! step budget (a limit error is an engine error: `try`/`catch` cannot swallow it). boa's
//! instruction counter (its `fuzz` feature) measures the work for host-profile compute time.

use std::cell::{Cell, RefCell};

use boa_engine::builtins::promise::{PromiseState, ResolvingFunctions};
use boa_engine::object::ObjectInitializer;
use boa_engine::object::builtins::{JsArray, JsPromise};
use boa_engine::property::Attribute;
use boa_engine::{
    Context, JsError, JsNativeError, JsResult, JsValue, NativeFunction, Source, js_string,
};
use serde_json::Value;

use super::{integral_to_int, located, node_value};

/// A blocking call the program is awaiting, with the functions that settle its promise.
pub(super) type Pending = super::Pending<ResolvingFunctions>;

use crate::kernel::RecordValue;
use crate::net::{Message, Payload};
use crate::vm::VmConfig;
use crate::vm::driver::Vm;
use crate::vm::io::{Io, Resume, Step, millis};
use crate::vm::meter::HeapMeter;

/// Kept in the realm's host data, where the API's native functions find it.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) io: RefCell<Io>,
    pending: RefCell<Option<Pending>>,
    /// The context's instruction counter when the activation began.
    counter_at_start: Cell<usize>,
    /// The worker's heap, if the binary meters it (see [`crate::vm::meter`]).
    meter: Option<HeapMeter>,
    /// Bytes the worker may keep live.
    memory_cap: usize,
    /// Set once the cap was found broken: the worker fails when its activation ends, even if
    /// the program caught the error.
    over_cap: Cell<bool>,
    /// What boa watches while the worker runs (see `boa_engine::interrupt`): raised by a kill
    /// (it is the worker's [`crate::vm::CancelFlag`], if it has one) or by the heap meter.
    interrupt: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// What `Date` reads: set to the virtual time as each activation begins.
    clock: std::rc::Rc<VirtualClock>,
}

/// The realm's clock: virtual time, so `Date.now()` and `new Date()` are as deterministic as
/// `now()` (a run starts at the epoch, 1970-01-01T00:00:00Z).
#[derive(Debug, Default)]
struct VirtualClock {
    now: Cell<crate::time::SimTime>,
}

impl boa_engine::context::Clock for VirtualClock {
    fn now(&self) -> boa_engine::context::time::JsInstant {
        let ns = self.now.get().as_nanos();
        boa_engine::context::time::JsInstant::new(ns / 1_000_000_000, (ns % 1_000_000_000) as u32)
    }
    fn system_time_millis(&self) -> i64 {
        i64::try_from(self.now.get().as_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }
}

/// The realm's host: local time is UTC (not the machine's zone), and no buffer may be larger
/// than the worker's memory cap (boa would allow 1.5 GiB, allocated before any check).
struct Host {
    memory_cap: usize,
}

impl boa_engine::context::HostHooks for Host {
    fn local_timezone_offset_seconds(&self, _: i64) -> i32 {
        0
    }
    fn max_buffer_size(&self, _: &mut Context) -> u64 {
        self.memory_cap as u64
    }
}

impl Shared {
    /// Fails if the worker holds more than its cap, after collecting garbage (which may be
    /// any worker's: boa's collector is per thread).
    fn check_memory(&self) -> Result<(), String> {
        let Some(meter) = &self.meter else {
            return Ok(());
        };
        if meter.live_bytes() <= self.memory_cap {
            return Ok(());
        }
        boa_gc::force_collect();
        let live = meter.live_bytes();
        if live <= self.memory_cap {
            return Ok(());
        }
        self.over_cap.set(true);
        Err(format!(
            "memory cap of {} bytes exceeded ({live} bytes live)",
            self.memory_cap
        ))
    }

    /// Brings `io.instructions` up to the instructions executed so far in this activation,
    /// so sends, forks and `now()` happen at the right point of the worker's computation.
    fn count(&self, context: &Context) -> std::cell::RefMut<'_, Io> {
        let mut io = self.io.borrow_mut();
        io.instructions = self
            .counter_at_start
            .get()
            .saturating_sub(context.instructions_remaining()) as u64;
        io
    }
}

pub(crate) struct JsVm {
    /// Dropped first: the realm's memory is charged to the meter in `shared` until it goes.
    context: Context,
    /// The program's own promise: settled when it returns or throws.
    main: Option<JsPromise>,
    code: String,
    /// The program's name in stack traces.
    source: String,
    /// Iterations one loop may run, for the error that says so.
    loop_limit: u64,
}

impl JsVm {
    /// A worker running `code`, named `source` in its error lines and stack traces.
    pub fn new(code: &str, source: &str, config: &VmConfig) -> Result<Self, String> {
        let mut meter = HeapMeter::new();
        if meter.is_none() {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                eprintln!(
                    "vnet: JavaScript workers run without a memory cap: the binary does not \
                     install vnet_sim::vm::MeteredAlloc as its global allocator"
                )
            });
        }
        let guard = meter.as_ref().map(HeapMeter::enter);
        let memory_cap = config
            .profile
            .as_ref()
            .map_or(config.memory_cap, |p| p.memory_cap);
        let interrupt = config
            .cancel
            .as_ref()
            .map_or_else(Default::default, crate::vm::CancelFlag::shared);
        if let Some(m) = meter.as_mut() {
            m.limit(hard_cap(memory_cap), interrupt.clone());
        }
        let clock = std::rc::Rc::new(VirtualClock::default());
        // The counter counts down; from usize::MAX it never reaches zero (boa's instruction
        // budget cannot be refilled, so the step budget is the loop and recursion limits).
        let mut context = Context::builder()
            .instructions_remaining(usize::MAX)
            .clock(clock.clone())
            .host_hooks(std::rc::Rc::new(Host { memory_cap }))
            .build()
            .map_err(|e| e.to_string())?;
        let limits = context.runtime_limits_mut();
        limits.set_loop_iteration_limit(config.loop_iteration_limit);
        limits.set_recursion_limit(config.recursion_limit);
        install_api(&mut context).map_err(|e| format!("setting up the realm: {e}"))?;
        drop(guard);
        context.insert_data(Shared {
            meter,
            memory_cap,
            interrupt,
            clock,
            ..Shared::default()
        });
        if let Err(e) = context
            .get_data::<Shared>()
            .map_or(Ok(()), Shared::check_memory)
        {
            return Err(format!("creating the realm: {e}"));
        }
        // On one line with the program's first, so error line numbers match the program's.
        Ok(JsVm {
            context,
            main: None,
            code: format!("(async () => {{{code}\n}})()"),
            source: source.to_owned(),
            loop_limit: config.loop_iteration_limit,
        })
    }

    fn shared(&self) -> &Shared {
        // Inserted in `new` and never removed.
        self.context
            .get_data::<Shared>()
            .expect("JS realm without its host data")
    }

    fn settle(&mut self, io: &Io) -> Step {
        let Some(main) = self.main.clone() else {
            return Step::Failed("the program did not start".into());
        };
        match main.state() {
            PromiseState::Fulfilled(_) => Step::Finished,
            PromiseState::Rejected(_) if io.exit => Step::Finished,
            PromiseState::Rejected(e) => {
                let text = describe(&e, &mut self.context);
                Step::Failed(located(&format!("uncaught {text}"), &self.source))
            }
            PromiseState::Pending => self
                .shared()
                .pending
                .borrow()
                .as_ref()
                .map_or(Step::Stalled, Pending::step),
        }
    }
}

impl Vm for JsVm {
    fn resume(&mut self, io: &mut Io, input: Resume) -> Step {
        self.shared().clock.now.set(io.now);
        std::mem::swap(&mut *self.shared().io.borrow_mut(), io);
        let start = self.context.instructions_remaining();
        self.shared().counter_at_start.set(start);
        let guard = self.shared().meter.as_ref().map(HeapMeter::enter);
        let ran = self.watched(|vm| vm.run(input));
        drop(guard);
        drop(self.shared().count(&self.context));
        std::mem::swap(&mut *self.shared().io.borrow_mut(), io);
        if let Some(why) = self.interrupted() {
            return Step::Failed(why);
        }
        if let Err(e) = self.shared().check_memory() {
            return Step::Failed(e);
        }
        if self.shared().over_cap.get() {
            return Step::Failed(format!(
                "memory cap of {} bytes exceeded",
                self.shared().memory_cap
            ));
        }
        match ran {
            Ok(()) => self.settle(io),
            Err(_) if io.exit => Step::Finished,
            Err(e) => Step::Failed(self.engine_error(&e.to_string())),
        }
    }

    fn used_memory(&self) -> usize {
        self.shared()
            .meter
            .as_ref()
            .map_or(0, HeapMeter::live_bytes)
    }

    fn eval(&mut self, code: &str, now: crate::time::SimTime) -> Result<Value, String> {
        self.shared().clock.now.set(now);
        {
            let mut io = self.shared().io.borrow_mut();
            io.now = now;
            io.instructions = 0;
        }
        let guard = self.shared().meter.as_ref().map(HeapMeter::enter);
        let r = self.watched(|vm| vm.eval_code(code));
        drop(guard);
        match self.interrupted() {
            Some(why) => Err(why),
            None => r,
        }
    }
}

/// The heap at which a JS worker is stopped at once, garbage included: half as much again as
/// its cap, since the cap itself is checked on what is live after a collection (at API calls
/// and when it blocks) and boa collects only now and then.
fn hard_cap(cap: usize) -> usize {
    cap.saturating_add(cap / 2)
}

impl JsVm {
    /// Runs `f` with boa watching the worker's interrupt flag.
    fn watched<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let flag = self.shared().interrupt.clone();
        // SAFETY: `flag` outlives the watch, which ends before it is dropped.
        unsafe { boa_engine::interrupt::watch(Some(&flag)) };
        let r = f(self);
        unsafe { boa_engine::interrupt::watch(None) };
        r
    }

    /// Why boa was stopped from outside, if it was: the heap past its hard cap, or a kill.
    fn interrupted(&self) -> Option<String> {
        let shared = self.shared();
        if shared.meter.as_ref().is_some_and(HeapMeter::tripped) {
            return Some(format!(
                "memory cap of {} bytes exceeded (stopped at {} bytes, garbage included)",
                shared.memory_cap,
                hard_cap(shared.memory_cap)
            ));
        }
        shared
            .interrupt
            .load(std::sync::atomic::Ordering::Relaxed)
            .then(|| "killed".to_owned())
    }

    fn eval_code(&mut self, code: &str) -> Result<Value, String> {
        let v = self
            .context
            .eval(Source::from_bytes(code))
            .map_err(|e| e.to_string())?;
        to_value(&v, "eval", &mut self.context).map_err(|e| e.to_string())
    }

    fn run(&mut self, input: Resume) -> JsResult<()> {
        match input {
            Resume::Start => {
                let v = self.context.eval(
                    Source::from_bytes(self.code.as_bytes())
                        .with_path(std::path::Path::new(&self.source)),
                )?;
                let p = v.as_promise().ok_or_else(|| {
                    JsNativeError::typ().with_message("the program wrapper did not give a promise")
                })?;
                self.main = Some(p);
            }
            other => {
                let pending = self.shared().pending.borrow_mut().take();
                let (resolve, value) = match (pending, other) {
                    (
                        Some(Pending::Recv { resolve, .. }),
                        Resume::Message {
                            port,
                            message,
                            meta,
                        },
                    ) => {
                        let name = port.and_then(|p| {
                            self.shared()
                                .io
                                .borrow()
                                .node
                                .ports
                                .get(p.0 as usize)
                                .cloned()
                        });
                        let port = name.map_or(JsValue::null(), |p| JsValue::from(js_string!(p)));
                        let value = message_to_js(&message, &mut self.context)?;
                        let meta = JsValue::from_json(&meta.to_json(), &mut self.context)?;
                        let got = JsArray::from_iter([port, value, meta], &mut self.context);
                        (resolve, got.into())
                    }
                    (Some(Pending::Tuple { resolve, .. }), Resume::Tuple(Some(t))) => (
                        resolve,
                        JsValue::from_json(&Value::Array(t), &mut self.context)?,
                    ),
                    (Some(Pending::Tuple { resolve, .. }), _) => (resolve, JsValue::null()),
                    (Some(Pending::Recv { resolve, .. }), _) => (resolve, JsValue::null()),
                    (Some(Pending::Sleep { resolve, .. }), _) => (resolve, JsValue::undefined()),
                    (None, _) => return Ok(()),
                };
                resolve
                    .resolve
                    .call(&JsValue::undefined(), &[value], &mut self.context)?;
            }
        }
        self.context.run_jobs()
    }
}

impl JsVm {
    /// An uncatchable (engine) error's text: its first line, without boa's backtrace, whose
    /// positions for these errors point at the program's start rather than the loop; the loop
    /// limit said as the Lua budget is.
    fn engine_error(&self, text: &str) -> String {
        let first = text.lines().next().unwrap_or(text);
        if first.contains("maximum number of iteration loops") {
            format!(
                "loop limit of {} iterations exceeded (a runaway loop?)",
                self.loop_limit
            )
        } else {
            located(first, &self.source)
        }
    }
}

/// `Error: message` for error objects, the value's text otherwise.
fn describe(v: &JsValue, context: &mut Context) -> String {
    let err = JsError::from_opaque(v.clone());
    match err.try_native(context) {
        Ok(native) => native.to_string(),
        Err(_) => v
            .to_string(context)
            .map(|s| s.to_std_string_escaped())
            .unwrap_or_else(|_| "exception".into()),
    }
}

fn message_to_js(m: &Message, context: &mut Context) -> JsResult<JsValue> {
    match m.payload() {
        Payload::Empty => Ok(JsValue::null()),
        Payload::Bytes(b) => JsValue::from_json(&Value::from(b.as_slice()), context),
        Payload::Value(v) => JsValue::from_json(v, context),
    }
}

/// A JS value as the JSON-like value messages carry.
pub(super) fn to_value(v: &JsValue, what: &str, context: &mut Context) -> JsResult<Value> {
    if v.is_callable() {
        return Err(JsNativeError::typ()
            .with_message(format!("{what}: cannot send a function"))
            .into());
    }
    let json = v
        .to_json(context)
        .map_err(|e| JsNativeError::typ().with_message(format!("{what}: {e}")))?;
    Ok(json.map(integral_to_int).unwrap_or(Value::Null))
}

pub(super) fn shared(context: &Context) -> JsResult<&Shared> {
    context.get_data::<Shared>().ok_or_else(|| {
        JsNativeError::error()
            .with_message("the node API is not set up")
            .into()
    })
}

/// Checks the worker's memory at an API call (the only points where a JS worker's
/// allocations can be stopped while it runs).
pub(super) fn memory(context: &Context) -> JsResult<()> {
    shared(context)?
        .check_memory()
        .map_err(|e| JsNativeError::range().with_message(e).into())
}

pub(super) fn arg(args: &[JsValue], i: usize) -> JsValue {
    args.get(i).cloned().unwrap_or_default()
}

pub(super) fn type_error(msg: String) -> JsError {
    JsNativeError::typ().with_message(msg).into()
}

/// Registers a blocking call's promise; only one may be outstanding.
pub(super) fn block(
    context: &mut Context,
    make: impl FnOnce(ResolvingFunctions) -> Pending,
    name: &str,
) -> JsResult<JsValue> {
    if shared(context)?.pending.borrow().is_some() {
        return Err(type_error(format!(
            "{name}: another blocking call is still waiting (missing `await`?)"
        )));
    }
    let (promise, resolve) = JsPromise::new_pending(context);
    *shared(context)?.pending.borrow_mut() = Some(make(resolve));
    Ok(promise.into())
}

/// A native function of the API: `(this, args, context)`.
pub(super) type Api = fn(&JsValue, &[JsValue], &mut Context) -> JsResult<JsValue>;

/// Makes each `(name, length, function)` a global function.
pub(super) fn register(context: &mut Context, functions: &[(&str, usize, Api)]) -> JsResult<()> {
    for &(name, length, f) in functions {
        context.register_global_callable(
            js_string!(name),
            length,
            NativeFunction::from_fn_ptr(f),
        )?;
    }
    Ok(())
}

fn install_api(context: &mut Context) -> JsResult<()> {
    let functions: [(&str, usize, Api); 14] = [
        ("send", 2, |_, args, ctx| {
            let port = arg(args, 0).to_string(ctx)?.to_std_string_escaped();
            let value = to_value(&arg(args, 1), "send", ctx)?;
            memory(ctx)?;
            shared(ctx)?
                .count(ctx)
                .send(&port, value)
                .map_err(type_error)?;
            Ok(JsValue::undefined())
        }),
        ("recv", 2, |_, args, ctx| {
            memory(ctx)?;
            let (p, t) = (arg(args, 0), arg(args, 1));
            let port = if p.is_null_or_undefined() {
                None
            } else {
                let name = p.to_string(ctx)?.to_std_string_escaped();
                let io = shared(ctx)?.io.borrow();
                Some(io.node.port(&name).ok_or_else(|| {
                    type_error(format!(
                        "recv: node `{}` has no port `{name}`",
                        io.node.name
                    ))
                })?)
            };
            let timeout = if t.is_null_or_undefined() {
                None
            } else {
                Some(millis("recv", t.to_number(ctx)?).map_err(type_error)?)
            };
            block(
                ctx,
                |resolve| Pending::Recv {
                    port,
                    timeout,
                    resolve,
                },
                "recv",
            )
        }),
        ("sleep", 1, |_, args, ctx| {
            memory(ctx)?;
            let duration = millis("sleep", arg(args, 0).to_number(ctx)?).map_err(type_error)?;
            block(ctx, |resolve| Pending::Sleep { duration, resolve }, "sleep")
        }),
        ("now", 0, |_, _, ctx| {
            Ok(JsValue::from(shared(ctx)?.count(ctx).now_ms()))
        }),
        ("record", 2, |_, args, ctx| {
            let name = arg(args, 0);
            if !name.is_string() {
                return Err(type_error("record: expected a name (a string)".into()));
            }
            let name = name.to_string(ctx)?.to_std_string_escaped();
            // Numbers directly, so that NaN and the infinities, which JSON cannot hold, are kept.
            let value = match arg(args, 1).as_number() {
                // Integral ones as integers, as `to_value` maps them.
                Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => {
                    Ok(RecordValue::Int(f as i64))
                }
                Some(f) => Ok(RecordValue::Float(f)),
                None => RecordValue::from_json(&to_value(&arg(args, 1), "record", ctx)?)
                    .map_err(|e| e.to_string()),
            };
            shared(ctx)?
                .count(ctx)
                .record(name, value)
                .map_err(type_error)?;
            Ok(JsValue::undefined())
        }),
        ("params", 0, |_, _, ctx| {
            let params = shared(ctx)?.io.borrow().params.clone();
            JsValue::from_json(&params, ctx)
        }),
        // A number: exact up to 2^53 ns (104 days of virtual time).
        ("now_ns", 0, |_, _, ctx| {
            Ok(JsValue::from(shared(ctx)?.count(ctx).now_ns() as f64))
        }),
        ("random", 0, |_, _, ctx| {
            Ok(JsValue::from(shared(ctx)?.io.borrow_mut().random()))
        }),
        ("print", 0, |_, args, ctx| {
            memory(ctx)?;
            let mut parts = Vec::with_capacity(args.len());
            for a in args {
                let text = if a.is_object() && !a.is_callable() {
                    a.to_json(ctx).ok().flatten().map(|j| j.to_string())
                } else {
                    None
                };
                parts.push(match text {
                    Some(t) => t,
                    None => a.to_string(ctx)?.to_std_string_escaped(),
                });
            }
            shared(ctx)?.count(ctx).print(parts.join(" "));
            Ok(JsValue::undefined())
        }),
        ("node", 0, |_, _, ctx| {
            let v = node_value(&shared(ctx)?.io.borrow().node);
            JsValue::from_json(&v, ctx)
        }),
        ("fork", 1, |_, args, ctx| {
            memory(ctx)?;
            let code = arg(args, 0).to_string(ctx)?.to_std_string_escaped();
            Ok(JsValue::from(shared(ctx)?.count(ctx).fork(code)))
        }),
        ("kill", 1, |_, args, ctx| {
            let w = arg(args, 0).to_number(ctx)?;
            if !(0.0..=f64::from(u32::MAX)).contains(&w) || w.fract() != 0.0 {
                return Err(type_error(format!("kill: no worker {w}")));
            }
            shared(ctx)?.io.borrow_mut().kill(w as u32);
            Ok(JsValue::undefined())
        }),
        ("exit", 0, |_, _, ctx| {
            shared(ctx)?.io.borrow_mut().exit = true;
            // Unwinds the program; the worker ends even if the program catches this.
            Err(JsNativeError::error().with_message("exit").into())
        }),
        ("sensor", 1, |_, args, ctx| {
            let name = arg(args, 0).to_string(ctx)?.to_std_string_escaped();
            let reading = shared(ctx)?.count(ctx).sensor(&name).map_err(type_error)?;
            Ok(reading.map_or(JsValue::null(), JsValue::from))
        }),
    ];
    register(context, &functions)?;
    let print = context.global_object().get(js_string!("print"), context)?;
    let console = ObjectInitializer::new(context)
        .property(js_string!("log"), print, Attribute::all())
        .build();
    context.register_global_property(js_string!("console"), console, Attribute::all())?;
    // The node's stable storage.
    let store_fns: [(&str, usize, Api); 4] = [
        ("get", 1, |_, args, ctx| {
            let key = arg(args, 0).to_string(ctx)?.to_std_string_escaped();
            let value = {
                let io = shared(ctx)?.io.borrow();
                let store = io.store_ref().map_err(type_error)?;
                let store = store
                    .try_borrow()
                    .map_err(|_| type_error("store: busy".into()))?;
                store.get(&key).cloned()
            };
            match value {
                Some(v) => JsValue::from_json(&v, ctx),
                None => Ok(JsValue::null()),
            }
        }),
        ("set", 2, |_, args, ctx| {
            let key = arg(args, 0).to_string(ctx)?.to_std_string_escaped();
            let value = to_value(&arg(args, 1), "store.set", ctx)?;
            memory(ctx)?;
            shared(ctx)?
                .io
                .borrow_mut()
                .store_set(&key, value)
                .map_err(type_error)?;
            Ok(JsValue::undefined())
        }),
        ("keys", 0, |_, _, ctx| {
            let keys: Vec<Value> = {
                let io = shared(ctx)?.io.borrow();
                let store = io.store_ref().map_err(type_error)?;
                let store = store
                    .try_borrow()
                    .map_err(|_| type_error("store: busy".into()))?;
                store.keys().map(Value::from).collect()
            };
            JsValue::from_json(&Value::Array(keys), ctx)
        }),
        ("clear", 0, |_, _, ctx| {
            shared(ctx)?
                .io
                .borrow_mut()
                .store_clear()
                .map_err(type_error)?;
            Ok(JsValue::undefined())
        }),
    ];
    let mut store = ObjectInitializer::new(context);
    for (name, length, f) in store_fns {
        store.function(NativeFunction::from_fn_ptr(f), js_string!(name), length);
    }
    let store = store.build();
    context.register_global_property(js_string!("store"), store, Attribute::all())?;
    super::boa_tuples::install(context)?;
    // Math.random would draw from boa's own, unseeded generator.
    let math = context
        .global_object()
        .get(js_string!("Math"), context)?
        .as_object()
        .ok_or_else(|| JsNativeError::typ().with_message("the realm has no Math"))?;
    // The API's own `random`, which draws from the node's stream.
    let random = context.global_object().get(js_string!("random"), context)?;
    math.set(js_string!("random"), random, true, context)?;
    Ok(())
}
