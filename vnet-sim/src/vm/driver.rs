//! [`VmProgram`]: a VM worker as a [`NodeProgram`]. It keeps the worker's mailbox, turns the
//! VM's blocking calls into timers and waits, applies what the VM asked for, and — on a host
//! profile — charges the virtual time the VM's work takes.

use std::collections::VecDeque;
use std::rc::Rc;

use super::io::{Command, Io, NodeInfo, Resume, Step};
use super::{Lang, VmConfig};
use crate::kernel::{Context, LogStream, NodeProgram, TimerId, WorkerId};
use crate::net::{Message, PortId};
use crate::time::{SimDuration, SimTime};

/// One VM instance: runs until it blocks, ends or fails.
pub(crate) trait Vm {
    /// Runs the program from where it blocked, handing it `input`. `io` is the activation's
    /// state going in and the commands coming out.
    fn resume(&mut self, io: &mut Io, input: Resume) -> Step;
    /// Evaluates `code` in the program's global environment while it is blocked, with `now()`
    /// reading `now`, and returns its value. See [`VmProgram::eval`].
    fn eval(&mut self, code: &str, now: SimTime) -> Result<serde_json::Value, String>;
    /// Bytes the VM holds now (JS: 0 without [`super::MeteredAlloc`]).
    fn used_memory(&self) -> usize;
}

/// What the worker is blocked on.
enum Wait {
    /// Not started, running, or ended.
    Nothing,
    /// In `recv`: messages on `port` (any port if `None`) wake it; `timer` is its timeout.
    Recv {
        port: Option<PortId>,
        timer: Option<TimerId>,
    },
    /// Until a timer: the end of a `sleep` (`blocked`), or of the computing that precedes
    /// handing a queued message to `recv` or booting (with a host profile). `then` is what the
    /// VM gets.
    Timer { then: Resume, blocked: bool },
    /// The program has ended (`failure`: why it failed) but, under a host profile, is still
    /// computing: it ends when its computing does, after the lines and sends it made.
    Ending { failure: Option<String> },
    /// In `rd` or `take`: registered with the node's tuple space under the current wake tag,
    /// which a matching `out` fires (the tuple waits in the space's grants); `timer` is the
    /// timeout, firing the same tag with no grant.
    Tuple { timer: Option<TimerId> },
}

/// Timer tags at or above this mark the end of an activation's compute time (the low bits are
/// the activation's number); wake-up tags count up from 1 below it.
const BUSY_END: u64 = 1 << 63;

/// A Lua or JavaScript worker on a node.
pub struct VmProgram {
    lang: Lang,
    config: Rc<VmConfig>,
    /// Built at start (creating a VM needs the node's identity for error names).
    vm: Option<Box<dyn Vm>>,
    /// The program text, until the VM is built from it.
    code: String,
    /// `node/wN`, naming the worker in its failure messages (set at start).
    who: String,
    /// The program's name in error lines and tracebacks (`dv.lua:4:`): its file's, or
    /// `program`.
    source: String,
    /// Messages waiting for a `recv`, each as it will resume the worker (with its `meta`).
    mailbox: VecDeque<Resume>,
    wait: Wait,
    /// Tag of the timer that may wake the worker; older timers are ignored.
    wake_tag: u64,
    /// With a host profile: the worker computes until then and cannot take messages before.
    busy_until: SimTime,
    /// Whether t_iVM was already paid (forks pay it in their parent's `spawn_after`).
    booted: bool,
    io: Io,
    /// Where this worker's memory is charged under a node-wide cap, once it is.
    charged: Option<(crate::net::NodeId, WorkerId)>,
    /// The network revision `io.node` was taken at.
    net_revision: u64,
    /// Tag of the timer that ends the current compute time (see [`BUSY_END`]).
    busy_tag: u64,
    /// This worker's id on its node (set at start).
    me: u32,
}

impl Drop for VmProgram {
    /// An ended or killed worker's memory leaves its node's account.
    fn drop(&mut self) {
        // A worker that ends while blocked on the tuple space stops waiting there.
        if let (Wait::Tuple { .. }, Some(ts)) = (&self.wait, &self.io.tuples)
            && let Ok(mut ts) = ts.try_borrow_mut()
        {
            ts.cancel(self.me);
        }
        // An agent that did not end by itself was killed (a crash has already counted it).
        self.leave_platform(crate::agents::Departure::Killed);
        if let (Some(m), Some((node, w))) = (&self.config.node_memory, self.charged) {
            m.forget(node, w);
        }
    }
}

impl VmProgram {
    /// A worker that will run `code` in `lang` with `config`'s limits and host.
    pub fn new(lang: Lang, code: impl Into<String>, config: Rc<VmConfig>) -> Self {
        let max_line = config.max_line;
        VmProgram {
            lang,
            config,
            vm: None,
            code: code.into(),
            who: String::new(),
            source: "program".to_owned(),
            mailbox: VecDeque::new(),
            wait: Wait::Nothing,
            wake_tag: 0,
            busy_until: SimTime::ZERO,
            booted: false,
            io: Io {
                max_line,
                ..Io::default()
            },
            charged: None,
            net_revision: 0,
            busy_tag: BUSY_END,
            me: 0,
        }
    }

    /// The worker that runs agent `parcel` (an [`AgentPlatform`](crate::agents::AgentPlatform)
    /// makes these): its class's code inside the agent runtime, resuming at `parcel.next`.
    pub fn agent(parcel: crate::agents::Parcel, config: Rc<VmConfig>) -> Self {
        let code = super::io_agents::agent_program(&parcel);
        let ext = match parcel.lang {
            Lang::Lua => "lua",
            Lang::Js => "js",
        };
        let source = format!("{}.{ext}", parcel.class);
        let mut w = VmProgram::new(parcel.lang, code, config).with_source_name(source);
        w.io.agent = Some(Box::new(super::io_agents::AgentSeat {
            parcel,
            platform: None,
        }));
        w
    }

    /// The agent this worker runs (its id), if it runs one.
    pub fn agent_id(&self) -> Option<&str> {
        self.io.agent.as_ref().map(|a| a.parcel.id.as_str())
    }

    /// Tells the node's platform this worker's agent left, `how` (once; later calls do nothing).
    fn leave_platform(&mut self, how: crate::agents::Departure) {
        if let Some(seat) = self.io.agent.as_mut()
            && let Some(p) = seat.platform.take()
            && let Ok(mut p) = p.try_borrow_mut()
        {
            p.leave(&seat.parcel.id, how);
        }
    }

    /// Names the program in its error lines and tracebacks — `dv.lua:4: …` — as its file
    /// (the default is `program`).
    pub fn with_source_name(mut self, name: impl Into<String>) -> Self {
        self.source = name.into();
        self
    }

    /// Gives the program its node's parameters, which `params()` returns (a table in Lua, an
    /// object in JS): how one program serves many nodes and runs (`{"origin": true}`).
    pub fn with_params(mut self, params: serde_json::Value) -> Self {
        self.io.params = Rc::new(params);
        self
    }

    /// The language this worker runs.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    fn tcmsg(&self) -> SimDuration {
        self.config
            .profile
            .as_ref()
            .map_or(SimDuration::ZERO, |p| p.tcmsg)
    }

    fn t_ivm(&self) -> SimDuration {
        self.config
            .profile
            .as_ref()
            .map_or(SimDuration::ZERO, |p| p.t_ivm)
    }

    /// Resumes the VM with `then` after `delay`: a wait (`blocked`, as in `sleep`) or
    /// computing (the worker stays running).
    fn wake_after(&mut self, ctx: &mut Context, delay: SimDuration, then: Resume, blocked: bool) {
        self.set_wake(ctx, delay);
        self.wait = Wait::Timer { then, blocked };
        ctx.set_waiting(blocked);
    }

    /// Sets the timer that wakes the worker after `delay`; older wake timers are ignored.
    fn set_wake(&mut self, ctx: &mut Context, delay: SimDuration) -> TimerId {
        self.wake_tag += 1;
        ctx.set_timer(delay, self.wake_tag)
    }

    /// The worker is blocked now, or — still computing for `busy` — once that is over.
    fn block(&mut self, ctx: &mut Context, busy: SimDuration) {
        if busy == SimDuration::ZERO {
            ctx.set_waiting(true);
        } else {
            self.busy_tag += 1;
            ctx.set_timer(busy, self.busy_tag);
            ctx.set_waiting(false);
        }
    }

    /// Takes the node's view (`node()`: ports and neighbours) afresh.
    fn refresh_node(&mut self, ctx: &Context) {
        self.io.node = Rc::new(NodeInfo::of(ctx));
        self.net_revision = ctx.network().revision();
    }

    /// Runs the VM from `input` until it blocks, ends or fails.
    fn run(&mut self, ctx: &mut Context, mut input: Resume) {
        loop {
            // Ports and links added while the run goes on (a real-time node's `port.create`).
            if ctx.network().revision() != self.net_revision {
                self.refresh_node(ctx);
            }
            let Some(vm) = self.vm.as_mut() else { return };
            self.io.now = ctx.now();
            self.io.rng = Some(ctx.rng().clone());
            self.io.next_worker = u32::try_from(ctx.worker_count()).unwrap_or(u32::MAX);
            self.io.sensors = ctx.sensors();
            self.io.instructions = 0;
            let step = vm.resume(&mut self.io, input);
            // Only asked for when a node-wide cap needs it (it may walk the heap's accounts).
            let used = self.config.node_memory.as_ref().map(|_| vm.used_memory());
            if let Some(r) = self.io.rng.take() {
                *ctx.rng() = r;
            }
            let mut commands = std::mem::take(&mut self.io.commands);
            let mut move_failure = None;
            for c in commands.drain(..) {
                match c {
                    Command::Send { port, message, at } => {
                        let delay = self.io.compute_time(at) + self.tcmsg();
                        ctx.send_after(delay, port, message);
                    }
                    Command::Print { text, at } => {
                        ctx.log_after(self.io.compute_time(at), LogStream::Out, text)
                    }
                    Command::Record { name, value, at } => {
                        ctx.record_after(self.io.compute_time(at), name, value)
                    }
                    Command::Fork { code, at } => {
                        let mut child = VmProgram::new(self.lang, code, self.config.clone());
                        child.booted = true;
                        child.io.params = self.io.params.clone();
                        ctx.spawn_after(self.io.compute_time(at) + self.t_ivm(), Box::new(child));
                    }
                    Command::Kill(w) => {
                        ctx.kill(WorkerId(w));
                    }
                    Command::Wake { worker, tag } => ctx.wake_worker(WorkerId(worker), tag),
                    Command::Move {
                        port,
                        to,
                        parcel,
                        at,
                    } => {
                        let delay = self.io.compute_time(at) + self.tcmsg();
                        match ctx.network().node_by_name(&to) {
                            Some(n) if ctx.hosts_agents(n) => {
                                ctx.send_over_after(delay, port, Some(n), parcel.to_message());
                                self.leave_platform(crate::agents::Departure::Moved);
                            }
                            _ => {
                                move_failure = Some(format!(
                                    "moveto {to}: node `{to}` hosts no agent platform"
                                ))
                            }
                        }
                    }
                    Command::Clone { parcel, at } => {
                        let delay = self.io.compute_time(at);
                        let params = self.io.params.clone();
                        if crate::agents::admit(ctx, &self.config, &params, *parcel, delay) {
                            if let Some(p) = ctx.platform() {
                                p.borrow_mut().counts_mut().cloned += 1;
                            }
                        }
                    }
                }
            }
            let step = match move_failure {
                Some(why) => Step::Failed(why),
                None => step,
            };
            // Hand the emptied buffer back so the next activation does not allocate one.
            self.io.commands = commands;
            let busy = self.io.compute_time(self.io.instructions);
            self.busy_until = ctx.now() + busy;
            let step = if self.io.exit { Step::Finished } else { step };
            // Under a node-wide cap, a worker that blocks is charged what it holds (an ended
            // one's account goes when its program is dropped).
            let step = match (&self.config.node_memory, used) {
                (Some(m), Some(bytes)) if !matches!(step, Step::Finished | Step::Failed(_)) => {
                    self.charged = Some((ctx.node(), ctx.worker()));
                    match m.charge(ctx.node(), ctx.worker(), bytes) {
                        Ok(()) => step,
                        Err(e) => Step::Failed(e),
                    }
                }
                _ => step,
            };
            match step {
                Step::Recv { port, timeout } => {
                    let wanted = |m: &Resume| match m {
                        Resume::Message { port: p, .. } => port.is_none() || *p == port,
                        _ => false,
                    };
                    if let Some(i) = self.mailbox.iter().position(wanted) {
                        input = self.mailbox.remove(i).unwrap_or(Resume::Timeout);
                        if busy > SimDuration::ZERO {
                            return self.wake_after(ctx, busy, input, false);
                        }
                        continue;
                    }
                    let timer = timeout.map(|t| self.set_wake(ctx, busy + t));
                    self.wait = Wait::Recv { port, timer };
                }
                Step::Sleep(d) => {
                    self.set_wake(ctx, busy + d);
                    self.wait = Wait::Timer {
                        then: Resume::Wake,
                        blocked: true,
                    };
                }
                Step::Tuple {
                    pattern,
                    take,
                    timeout,
                } => {
                    let timer = match timeout {
                        Some(t) => Some(self.set_wake(ctx, busy + t)),
                        None => {
                            self.wake_tag += 1;
                            None
                        }
                    };
                    if let Some(ts) = &self.io.tuples {
                        ts.borrow_mut().wait(self.me, self.wake_tag, pattern, take);
                    }
                    self.wait = Wait::Tuple { timer };
                }
                Step::Stalled => self.wait = Wait::Nothing,
                Step::Finished => return self.end_after(ctx, busy, None),
                Step::Failed(why) => return self.end_after(ctx, busy, Some(why)),
            }
            return self.block(ctx, busy);
        }
    }

    /// Ends the worker once its computing (`busy`) is over, after the lines and sends it made.
    fn end_after(&mut self, ctx: &mut Context, busy: SimDuration, failure: Option<String>) {
        if busy == SimDuration::ZERO {
            return self.end(ctx, failure);
        }
        self.set_wake(ctx, busy);
        self.wait = Wait::Ending { failure };
    }

    /// Ends the worker: finished, or failed with `failure` on its standard error.
    fn end(&mut self, ctx: &mut Context, failure: Option<String>) {
        self.wait = Wait::Nothing;
        self.leave_platform(match failure {
            None => crate::agents::Departure::Finished,
            Some(_) => crate::agents::Departure::Failed,
        });
        match failure {
            None => ctx.exit(),
            Some(why) => ctx.fail(format!("{}: {why}", self.who)),
        }
    }
}

impl VmProgram {
    /// Evaluates `code` in the worker's global environment between two activations and
    /// returns its value (converted as a message would be). It may read and change globals and
    /// is held to the same step limits as the program; it may not block (`recv`, `sleep`),
    /// and node API calls made inside it act on an empty node (no ports) with their output
    /// discarded: eval is for inspecting and adjusting state (NMP's `vm.eval`).
    ///
    /// `now()` inside reads the time of the worker's latest activation; [`eval_at`](Self::eval_at)
    /// gives it the simulation's time instead.
    pub fn eval(&mut self, code: &str) -> Result<serde_json::Value, EvalError> {
        let now = self.io.now;
        self.eval_at(code, now)
    }

    /// [`eval`](Self::eval) with `now()` reading `now` (the simulation's clock, for a shell).
    pub fn eval_at(&mut self, code: &str, now: SimTime) -> Result<serde_json::Value, EvalError> {
        match self.vm.as_mut() {
            Some(vm) => vm.eval(code, now).map_err(EvalError::Failed),
            None => Err(EvalError::NotRunning),
        }
    }
}

/// Why [`VmProgram::eval`] gave no value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The worker has not started, or has ended.
    #[error("the worker is not running")]
    NotRunning,
    /// The code failed: its error, as the worker's own would read.
    #[error("{0}")]
    Failed(String),
}

impl NodeProgram for VmProgram {
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
    fn on_start(&mut self, ctx: &mut Context) {
        self.refresh_node(ctx);
        self.io.store = Some(ctx.shared_store());
        self.io.tuples = Some(ctx.shared_tuples());
        self.me = ctx.worker().0;
        self.io.ns_per_instruction = self
            .config
            .profile
            .as_ref()
            .map_or(0.0, |p| p.ns_per_instruction(self.lang));
        self.who = format!("{}/w{}", self.io.node.name, ctx.worker().0);
        if let Some(seat) = self.io.agent.as_mut() {
            seat.platform = ctx.platform();
            self.who = format!("{} (agent {})", self.who, seat.parcel.id);
        }
        let code = std::mem::take(&mut self.code);
        match super::create_vm(self.lang, &code, &self.source, &self.config) {
            Ok(vm) => self.vm = Some(vm),
            Err(e) => {
                self.leave_platform(crate::agents::Departure::Failed);
                return ctx.fail(format!("{}: {e}", self.who));
            }
        }
        let boot = if self.booted {
            SimDuration::ZERO
        } else {
            self.t_ivm()
        };
        self.booted = true;
        if boot > SimDuration::ZERO {
            self.wake_after(ctx, boot, Resume::Start, false);
        } else {
            self.run(ctx, Resume::Start);
        }
    }

    fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, msg: Message) {
        // Agents receive no messages, and workers no agents (their node's platform takes those).
        if self.io.agent.is_some() || crate::agents::is_parcel(&msg) {
            return;
        }
        if let Wait::Recv { port: want, timer } = self.wait {
            if want.is_none() || want == port {
                if let Some(t) = timer {
                    ctx.cancel_timer(t);
                }
                let input = Resume::message(ctx, port, msg);
                // With a host profile the worker may still be computing: it takes the message then.
                let busy = self.busy_until.saturating_since(ctx.now());
                if busy > SimDuration::ZERO {
                    return self.wake_after(ctx, busy, input, false);
                }
                self.wait = Wait::Nothing;
                ctx.set_waiting(false);
                return self.run(ctx, input);
            }
        }
        if self.mailbox.len() >= self.config.mailbox_capacity {
            ctx.log_error(format!(
                "mailbox full ({} messages): a message was dropped",
                self.mailbox.len()
            ));
            return;
        }
        self.mailbox.push_back(Resume::message(ctx, port, msg));
    }

    fn on_timer(&mut self, ctx: &mut Context, tag: u64) {
        if tag >= BUSY_END {
            // Computing is over: a worker in `recv` or `sleep` now waits.
            let waits = matches!(
                self.wait,
                Wait::Recv { .. } | Wait::Tuple { .. } | Wait::Timer { blocked: true, .. }
            );
            if tag == self.busy_tag && waits {
                ctx.set_waiting(true);
            }
            return;
        }
        if tag != self.wake_tag {
            return;
        }
        let input = match std::mem::replace(&mut self.wait, Wait::Nothing) {
            Wait::Recv { .. } => Resume::Timeout,
            Wait::Tuple { timer } => {
                // Woken by a grant, or timed out (a grant at the same instant still counts).
                let got = self.io.tuples.as_ref().and_then(|ts| {
                    let mut ts = ts.borrow_mut();
                    let got = ts.collect(self.me);
                    ts.cancel(self.me);
                    got
                });
                if let (Some(t), Some(_)) = (timer, &got) {
                    ctx.cancel_timer(t);
                }
                // The other of the two timers, if still to come, must find nothing.
                self.wake_tag += 1;
                let input = Resume::Tuple(got);
                let busy = self.busy_until.saturating_since(ctx.now());
                if busy > SimDuration::ZERO {
                    return self.wake_after(ctx, busy, input, false);
                }
                input
            }
            Wait::Timer { then, .. } => then,
            Wait::Ending { failure } => return self.end(ctx, failure),
            Wait::Nothing => return,
        };
        ctx.set_waiting(false);
        self.run(ctx, input);
    }
}
