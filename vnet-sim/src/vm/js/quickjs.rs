//! JavaScript workers on QuickJS (rquickjs, the `quickjs` feature): a runtime and context per
//! worker, the program wrapped in an async function, blocking calls as promises the driver
//! resolves, as on boa. What boa lacks, QuickJS has, and this uses it:
//!
//! - **Steps.** QuickJS polls an interrupt handler every [`STEPS_PER_POLL`] steps (a step is a
//!   jump: a branch or a loop's jump back — a `for` loop's iteration is two —, a constructor
//!   call, or one element of an array method's loop). The handler counts the polls: that
//!   count is the worker's work for host-profile compute time (in whole polls, so compute
//!   time advances in steps of 10 000), and past the activation's budget
//!   ([`VmConfig::instruction_budget`] steps, as Lua's is in instructions; `u64::MAX`: none)
//!   or once the worker's [`CancelFlag`] is raised it stops the script with an error no
//!   `catch` can swallow. [`VmConfig::loop_iteration_limit`] is boa's and does not apply.
//! - **Memory.** The runtime allocates from the worker's own [`Heap`], which counts its bytes
//!   and refuses the allocation that would take them past the cap: exact, with no global
//!   allocator needed. QuickJS then throws its out-of-memory error; a worker that had
//!   an allocation refused fails when its activation ends, even if it caught the error.
//! - **Recursion.** [`VmConfig::recursion_limit`] × 1 KiB of C stack.
//!
//! `Date` is replaced by one that reads virtual time (the prelude below), and QuickJS's local
//! time is UTC because vnet's `.cargo/config.toml` builds it with `localtime_r` mapped to
//! `gmtime_r`. The same file turns QuickJS's small-block arenas off, so that a worker holds what
//! it uses and not 31 partly filled 4 KiB arenas (an idle worker held 199 kB with them; with
//! its own heap and the typed arrays made on first use, 115 kB).
//!
//! [`CancelFlag`]: crate::vm::CancelFlag

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rquickjs::context::intrinsic;
use rquickjs::promise::PromiseState;
use rquickjs::{Array, Context, Ctx, Function, Object, Persistent, Promise, Runtime, Value};

use super::located;

/// A blocking call the program is awaiting, with the function that resolves its promise.
pub(super) type Pending = super::Pending<Persistent<Function<'static>>>;
use super::quickjs_heap::{Heap, HeapAlloc};
use super::quickjs_values::{from_json, message_to_js, to_json};
use crate::vm::VmConfig;
use crate::vm::driver::Vm;
use crate::vm::io::{Io, Resume, Step};

/// Steps QuickJS runs between two calls of its interrupt handler (`JS_INTERRUPT_COUNTER_INIT`
/// in quickjs.c): the grain of the step count, the budget and a kill.
pub const STEPS_PER_POLL: u64 = 10_000;

/// Runs once in every realm, before the program: `Date` on virtual time, and the typed arrays
/// made on first use (they are a ninth of a realm, and most programs never touch them: until
/// then each name is a getter that makes them all). `__vnet_clock` (the activation's start in
/// whole milliseconds) and `__vnet_typed_arrays` are taken out of the globals.
const PRELUDE: &str = r#"(() => {
  const clock = globalThis.__vnet_clock;
  delete globalThis.__vnet_clock;
  const makeTyped = globalThis.__vnet_typed_arrays;
  delete globalThis.__vnet_typed_arrays;
  const typed = ['ArrayBuffer', 'SharedArrayBuffer', 'Uint8ClampedArray', 'Int8Array', 'Uint8Array',
    'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array',
    'Float16Array', 'Float32Array', 'Float64Array', 'DataView', 'Atomics'];
  let made = false;
  const make = () => {
    if (made) return;
    made = true;
    for (const name of typed) delete globalThis[name];
    makeTyped();
  };
  for (const name of typed) {
    Object.defineProperty(globalThis, name, {
      get() { make(); return globalThis[name]; },
      set(v) { make(); globalThis[name] = v; },
      configurable: true,
    });
  }
  const Real = Date;
  const VDate = function Date(...args) {
    if (new.target === undefined) return new Real(clock()).toString();
    return Reflect.construct(Real, args.length === 0 ? [clock()] : args, new.target);
  };
  Object.defineProperty(VDate, 'length', { value: 7 });
  Object.defineProperty(VDate, 'prototype', { value: Real.prototype, writable: false });
  Object.defineProperty(Real.prototype, 'constructor', { value: VDate, writable: true, configurable: true });
  for (const name of ['parse', 'UTC']) {
    Object.defineProperty(VDate, name, { value: Real[name], writable: true, configurable: true });
  }
  Object.defineProperty(VDate, 'now', { value: function now() { return clock(); }, writable: true, configurable: true });
  Object.defineProperty(globalThis, 'Date', { value: VDate, writable: true, configurable: true });
})();"#;

/// Why the interrupt handler stopped the script.
#[derive(Copy, Clone, Debug)]
enum Stop {
    Budget,
    Killed,
}

/// What the API's native functions and the interrupt handler share with the worker.
pub(super) struct Shared {
    pub(super) io: RefCell<Io>,
    pub(super) pending: RefCell<Option<Pending>>,
    /// Interrupt polls since the worker was created, and when the activation began.
    polls: Cell<u64>,
    polls_at_start: Cell<u64>,
    /// Polls one activation may run (from `instruction_budget`).
    budget_polls: u64,
    budget_steps: u64,
    stop: Cell<Option<Stop>>,
    cancel: Arc<AtomicBool>,
    heap: Rc<Heap>,
    /// The activation's start, for `Date`.
    clock_ms: Cell<f64>,
}

impl Shared {
    /// The interrupt handler: counts a poll; true stops the script.
    fn poll(&self) -> bool {
        let polls = self.polls.get() + 1;
        self.polls.set(polls);
        if self.cancel.load(Ordering::Relaxed) {
            self.stop.set(Some(Stop::Killed));
            return true;
        }
        if polls - self.polls_at_start.get() > self.budget_polls {
            self.stop.set(Some(Stop::Budget));
            return true;
        }
        false
    }

    /// Brings `io.instructions` up to the steps run so far in this activation, so sends,
    /// forks and `now()` happen at the right point of the worker's computation.
    pub(super) fn count(&self) -> std::cell::RefMut<'_, Io> {
        let mut io = self.io.borrow_mut();
        io.instructions = (self.polls.get() - self.polls_at_start.get()) * STEPS_PER_POLL;
        io
    }

    /// The error of a worker that had an allocation refused.
    pub(super) fn over_cap(&self) -> Option<String> {
        self.heap.refused().then(|| {
            format!(
                "memory cap of {} bytes exceeded ({} bytes held)",
                self.heap.cap(),
                self.heap.live()
            )
        })
    }
}

pub(crate) struct JsVm {
    /// Dropped before the runtime (field order).
    context: Context,
    runtime: Runtime,
    shared: Rc<Shared>,
    /// The program's own promise: settled when it returns or throws.
    main: Option<Persistent<Promise<'static>>>,
    code: String,
    /// The program's name in stack traces.
    source: String,
}

impl Drop for JsVm {
    fn drop(&mut self) {
        // Handles into the runtime go before it does.
        self.main = None;
        self.shared.pending.borrow_mut().take();
    }
}

impl JsVm {
    /// A worker running `code`, named `source` in its error lines and stack traces.
    pub fn new(code: &str, source: &str, config: &VmConfig) -> Result<Self, String> {
        let cap = config
            .profile
            .as_ref()
            .map_or(config.memory_cap, |p| p.memory_cap);
        let heap = Heap::new(cap);
        let too_big = |heap: &Heap| {
            format!(
                "creating the realm: memory cap of {} bytes exceeded",
                heap.cap()
            )
        };
        let runtime = Runtime::new_with_alloc(HeapAlloc(heap.clone())).map_err(|e| {
            if heap.refused() {
                too_big(&heap)
            } else {
                format!("creating the runtime: {e}")
            }
        })?;
        runtime.set_max_stack_size(config.recursion_limit.saturating_mul(1024));
        let budget_steps = config.instruction_budget;
        let shared = Rc::new(Shared {
            io: RefCell::default(),
            pending: RefCell::new(None),
            polls: Cell::new(0),
            polls_at_start: Cell::new(0),
            budget_polls: budget_steps / STEPS_PER_POLL,
            budget_steps,
            stop: Cell::new(None),
            cancel: config
                .cancel
                .as_ref()
                .map_or_else(Default::default, crate::vm::CancelFlag::shared),
            heap: heap.clone(),
            clock_ms: Cell::new(0.0),
        });
        let handler = shared.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || handler.poll())));
        type Intrinsics = (
            intrinsic::Date,
            intrinsic::Eval,
            intrinsic::RegExpCompiler,
            intrinsic::RegExp,
            intrinsic::Json,
            intrinsic::Proxy,
            intrinsic::MapSet,
            intrinsic::Promise,
            intrinsic::WeakRef,
        );
        let context = Context::custom::<Intrinsics>(&runtime).map_err(|e| {
            if heap.refused() {
                too_big(&heap)
            } else {
                format!("creating the realm: {e}")
            }
        })?;
        let set_up = context.with(|ctx| -> rquickjs::Result<()> {
            super::quickjs_api::install(&ctx, &shared)?;
            ctx.globals().set(
                "__vnet_typed_arrays",
                Function::new(ctx.clone(), |ctx: Ctx<'_>| {
                    // SAFETY: adds the typed-array intrinsics to this live context, once (the
                    // prelude's `make` guards it).
                    unsafe { rquickjs::qjs::JS_AddIntrinsicTypedArrays(ctx.as_raw().as_ptr()) };
                })?,
            )?;
            let clock = shared.clone();
            ctx.globals().set(
                "__vnet_clock",
                Function::new(ctx.clone(), move || clock.clock_ms.get())?,
            )?;
            let prelude = super::quickjs_compiled::compile(&ctx, PRELUDE, "vnet-prelude")?;
            super::quickjs_compiled::run(&ctx, prelude).map(drop)
        });
        if heap.refused() {
            return Err(too_big(&heap));
        }
        set_up.map_err(|e| format!("setting up the realm: {e}"))?;
        static CHECKED: std::sync::Once = std::sync::Once::new();
        CHECKED.call_once(|| {
            if !context.with(|ctx| local_time_is_utc(&ctx)) {
                eprintln!(
                    "vnet: QuickJS was built without vnet's CFLAGS (.cargo/config.toml): JS \
                     local time follows this host's time zone, not UTC, so runs differ between \
                     machines"
                );
            }
        });
        // On one line with the program's first, so error line numbers match the program's.
        Ok(JsVm {
            context,
            runtime,
            shared,
            main: None,
            code: format!("(async () => {{{code}\n}})()"),
            source: source.to_owned(),
        })
    }

    /// Runs the activation: starts the program or resolves what it awaits, then every job.
    fn run(&mut self, input: Resume) -> Result<(), String> {
        self.note_stack_top()?;
        let JsVm {
            context,
            shared,
            main,
            code,
            source,
            ..
        } = self;
        context.with(|ctx| -> Result<(), String> {
            let fail = |e: rquickjs::Error| describe_error(&ctx, e, source);
            match input {
                Resume::Start => {
                    // Taken: the compiled program is all the worker needs from now on.
                    let code = std::mem::take(code);
                    let f = super::quickjs_compiled::compile(&ctx, &code, source).map_err(fail)?;
                    let v = super::quickjs_compiled::run(&ctx, f).map_err(fail)?;
                    let p = v
                        .into_promise()
                        .ok_or("the program wrapper did not give a promise")?;
                    *main = Some(Persistent::save(&ctx, p));
                }
                other => {
                    let pending = shared.pending.borrow_mut().take();
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
                                shared.io.borrow().node.ports.get(p.0 as usize).cloned()
                            });
                            let got = Array::new(ctx.clone()).map_err(fail)?;
                            let port = match name {
                                Some(n) => rquickjs::String::from_str(ctx.clone(), &n)
                                    .map_err(fail)?
                                    .into_value(),
                                None => Value::new_null(ctx.clone()),
                            };
                            got.set(0, port).map_err(fail)?;
                            got.set(1, message_to_js(&ctx, &message).map_err(fail)?)
                                .map_err(fail)?;
                            got.set(2, from_json(&ctx, &meta.to_json()).map_err(fail)?)
                                .map_err(fail)?;
                            (resolve, got.into_value())
                        }
                        (Some(Pending::Tuple { resolve, .. }), Resume::Tuple(Some(t))) => (
                            resolve,
                            from_json(&ctx, &serde_json::Value::Array(t)).map_err(fail)?,
                        ),
                        (Some(Pending::Tuple { resolve, .. }), _)
                        | (Some(Pending::Recv { resolve, .. }), _) => {
                            (resolve, Value::new_null(ctx.clone()))
                        }
                        (Some(Pending::Sleep { resolve, .. }), _) => {
                            (resolve, Value::new_undefined(ctx.clone()))
                        }
                        (None, _) => return Ok(()),
                    };
                    let resolve = resolve.restore(&ctx).map_err(fail)?;
                    resolve.call::<_, ()>((value,)).map_err(fail)?;
                }
            }
            Ok(())
        })?;
        loop {
            match self.runtime.execute_pending_job() {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => {
                    let source = &self.source;
                    return Err(e
                        .0
                        .with(|ctx| describe_error(&ctx, rquickjs::Error::Exception, source)));
                }
            }
        }
    }

    /// QuickJS checks its stack against the top it last noted, and a worker may run on another
    /// thread than the one that made it (a real-time node): this notes the current thread's.
    /// rquickjs notes it when it runs jobs; between activations there are none to run.
    fn note_stack_top(&self) -> Result<(), String> {
        self.runtime.execute_pending_job().map(drop).map_err(|e| {
            e.0.with(|ctx| describe_error(&ctx, rquickjs::Error::Exception, &self.source))
        })
    }

    fn settle(&mut self, io: &Io) -> Step {
        let Some(main) = self.main.clone() else {
            return Step::Failed("the program did not start".into());
        };
        let source = &self.source;
        let state = self.context.with(|ctx| {
            let p = main.restore(&ctx).ok()?;
            Some(match p.state() {
                PromiseState::Pending => Ok(None),
                PromiseState::Resolved => Ok(Some(())),
                PromiseState::Rejected => {
                    let e = p.result::<Value>().and_then(|r| r.err());
                    Err(e.map_or_else(
                        || "rejected".to_owned(),
                        |e| describe_error(&ctx, e, source),
                    ))
                }
            })
        });
        match state {
            None => Step::Failed("the program's promise is gone".into()),
            Some(Ok(Some(()))) => Step::Finished,
            Some(Err(_)) if io.exit => Step::Finished,
            Some(Err(text)) => Step::Failed(text),
            Some(Ok(None)) => self
                .shared
                .pending
                .borrow()
                .as_ref()
                .map_or(Step::Stalled, Pending::step),
        }
    }

    /// Why the interrupt handler stopped the script, if it did.
    fn stopped(&self) -> Option<String> {
        self.shared.stop.get().map(|stop| match stop {
            Stop::Killed => "killed".to_owned(),
            Stop::Budget => format!(
                "step budget of {} steps exceeded (a runaway loop?)",
                self.shared.budget_steps
            ),
        })
    }
}

impl Vm for JsVm {
    fn resume(&mut self, io: &mut Io, input: Resume) -> Step {
        self.shared
            .clock_ms
            .set((io.now.as_nanos() / 1_000_000) as f64);
        std::mem::swap(&mut *self.shared.io.borrow_mut(), io);
        self.shared.polls_at_start.set(self.shared.polls.get());
        self.shared.stop.set(None);
        let ran = self.run(input);
        drop(self.shared.count());
        std::mem::swap(&mut *self.shared.io.borrow_mut(), io);
        if let Some(why) = self.stopped() {
            return Step::Failed(why);
        }
        if let Some(e) = self.shared.over_cap() {
            return Step::Failed(e);
        }
        match ran {
            Ok(()) => self.settle(io),
            Err(_) if io.exit => Step::Finished,
            Err(e) => Step::Failed(e),
        }
    }

    fn used_memory(&self) -> usize {
        self.shared.heap.live()
    }

    fn eval(&mut self, code: &str, now: crate::time::SimTime) -> Result<serde_json::Value, String> {
        self.shared
            .clock_ms
            .set((now.as_nanos() / 1_000_000) as f64);
        {
            let mut io = self.shared.io.borrow_mut();
            io.now = now;
            io.instructions = 0;
        }
        self.shared.polls_at_start.set(self.shared.polls.get());
        self.shared.stop.set(None);
        self.note_stack_top()?;
        let source = self.source.clone();
        let r = self.context.with(|ctx| {
            let v: Value = ctx
                .eval(code.as_bytes().to_vec())
                .map_err(|e| describe_error(&ctx, e, &source))?;
            to_json(&ctx, &v, "eval").map_err(|e| describe_error(&ctx, e, &source))
        });
        match self.stopped() {
            Some(why) => Err(why),
            None => r,
        }
    }
}

/// Whether `Date`'s local time is UTC here, winter and summer (it is when QuickJS was built
/// with vnet's `-Dlocaltime_r=gmtime_r`; without, only on a host whose zone is UTC).
fn local_time_is_utc(ctx: &Ctx<'_>) -> bool {
    ctx.eval::<bool, _>(
        "new Date(0).getTimezoneOffset() === 0 && new Date(15552000000).getTimezoneOffset() === 0",
    )
    .unwrap_or(false)
}

/// An error's text as boa's backend gives it: `program:2:9: uncaught TypeError: …` where the
/// position is known.
fn describe_error(ctx: &Ctx<'_>, e: rquickjs::Error, source: &str) -> String {
    if !matches!(e, rquickjs::Error::Exception) {
        return e.to_string();
    }
    let thrown = ctx.catch();
    let Some(obj) = thrown.as_object().filter(|_| thrown.is_error()) else {
        let text = thrown
            .get::<rquickjs::Coerced<String>>()
            .map_or_else(|_| "exception".to_owned(), |t| t.0);
        return format!("uncaught {text}");
    };
    let get = |o: &Object, k: &str| o.get::<_, Option<String>>(k).ok().flatten();
    let name = get(obj, "name").unwrap_or_else(|| "Error".into());
    let message = get(obj, "message").unwrap_or_default();
    let text = if message.is_empty() {
        name
    } else {
        format!("{name}: {message}")
    };
    // The innermost frame of the program: `    at f (program:3:14)` or `    at program:3:9`.
    let stack = get(obj, "stack").unwrap_or_default();
    let at = stack.lines().find_map(|l| {
        let l = l.trim().strip_prefix("at ")?;
        let inner = l
            .rsplit_once('(')
            .map_or(l, |(_, p)| p.trim_end_matches(')'));
        inner
            .starts_with(&format!("{source}:"))
            .then(|| inner.to_owned())
    });
    match at {
        Some(position) => located(&format!("uncaught {text} ({position})"), source),
        None => format!("uncaught {text}"),
    }
}
