//! A P-node's worker: a Lua or JavaScript program on its own thread, running in a one-node
//! simulation paced to the wall clock ([`vnet_sim::realtime`]). The program sees the same API
//! as in a simulation — `send`, `recv` with timeouts, `sleep`, `now` — with `now()` in wall-clock
//! milliseconds since the worker started.
//!
//! Inside, the worker's node has the ports it is attached to, each joined by an instant link to
//! an uplink node whose program hands every message the worker sends to the root ([`Uplink`]).
//! The root hands messages in through the run's [`Injector`]. Output lines and the end of the
//! worker go to the root as they happen.

use std::ops::ControlFlow;
use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;

use crate::nmp::schema::AgentInfo;
use vnet_sim::agents::{AgentCounts, AgentPlatform, Placement};
use vnet_sim::realtime::{Injector, Pacing, RealTime};
use vnet_sim::vm::{Lang, VmConfig, VmProgram};
use vnet_sim::{
    Context, LinkParams, LogStream, Message, NodeId, NodeProgram, PortId, RecordValue, Simulation,
    WorkerId, WorkerState,
};

/// Where a worker's doings go: the root implements it.
pub(crate) trait Uplink: Send + Sync {
    /// The worker sent `msg` on its `port`-th attached port.
    fn sent(&self, vm: u32, port: usize, msg: &Message);
    /// The worker printed.
    fn output(&self, vm: u32, stream: LogStream, text: String);
    /// The worker recorded `value` under `name`.
    fn recorded(&self, vm: u32, name: String, value: &RecordValue);
    /// The worker ended (finished, failed or killed).
    fn ended(&self, vm: u32, state: WorkerState);
    /// The worker blocked (`Waiting`) or runs again (`Running`).
    fn blocked(&self, vm: u32, state: WorkerState);
}

/// What a worker runs: a Lua or JS program, or the node's agent platform.
#[derive(Clone, Debug)]
pub(crate) enum Program {
    /// A program in `lang`.
    Vm { lang: Lang, code: String },
    /// An agent platform with agents placed on it, holding at most `max_agents`.
    Platform {
        placed: Vec<Placement>,
        max_agents: usize,
    },
}

/// What a new worker runs, and where.
pub(crate) struct WorkerSpec {
    pub vm: u32,
    pub program: Program,
    /// What `params()` returns.
    pub params: Value,
    /// The node's name, as `node()` shows it.
    pub node_name: String,
    /// The ports it is attached to, in order (the uplink numbers them so).
    pub ports: Vec<String>,
    pub config: VmConfig,
}

/// The worker's node inside its simulation.
pub(crate) const ME: NodeId = NodeId(0);

/// Starts the worker's thread; the injector feeds it (messages, new ports, eval, stop).
pub(crate) fn spawn(spec: WorkerSpec, uplink: Arc<dyn Uplink>) -> std::io::Result<Injector> {
    let (rt, injector) = RealTime::new(Pacing::BestEffort);
    std::thread::Builder::new()
        .name(format!("vm-{}", spec.vm))
        .spawn(move || run(spec, uplink, rt))?;
    Ok(injector)
}

/// Hands what the worker sends to the root, by port number.
struct UplinkProgram {
    vm: u32,
    uplink: Arc<dyn Uplink>,
}

impl NodeProgram for UplinkProgram {
    fn on_message(&mut self, _: &mut Context, port: Option<PortId>, msg: Message) {
        let Some(port) = port else { return };
        self.uplink.sent(self.vm, port.0 as usize, &msg);
    }
}

/// Joins port `name` of the worker's node to the uplink (both get a port of that name).
fn attach(sim: &mut Simulation, name: &str) -> Result<(), String> {
    let up = NodeId(1);
    sim.link(ME, name, up, name, LinkParams::default())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn run(spec: WorkerSpec, uplink: Arc<dyn Uplink>, mut rt: RealTime) {
    let vm = spec.vm;
    let mut sim = Simulation::new(u64::from(vm));
    let built = sim
        .add_node(&spec.node_name)
        .and_then(|_| sim.add_node("uplink"))
        .map_err(|e| e.to_string())
        .and_then(|_| spec.ports.iter().try_for_each(|p| attach(&mut sim, p)));
    if let Err(e) = built {
        uplink.output(vm, LogStream::Err, format!("cannot start: {e}"));
        uplink.ended(vm, WorkerState::Failed);
        return;
    }
    sim.add_worker(
        NodeId(1),
        Box::new(UplinkProgram {
            vm,
            uplink: uplink.clone(),
        }),
    );
    if matches!(spec.program, Program::Platform { .. }) {
        // Agents may leave towards the uplink: beyond the root, the node's ports lead to twins
        // and other P-nodes, which the platform cannot see.
        sim.host_agents(NodeId(1));
    }
    let config = Rc::new(spec.config);
    let program: Box<dyn NodeProgram> = match spec.program {
        Program::Vm { lang, code } => {
            Box::new(VmProgram::new(lang, code, config).with_params(spec.params))
        }
        Program::Platform { placed, max_agents } => Box::new(
            placed.into_iter().fold(
                AgentPlatform::new(config)
                    .with_params(spec.params)
                    .with_max_agents(max_agents),
                AgentPlatform::place,
            ),
        ),
    };
    let w = sim.add_worker(ME, program);
    // Output is handed on and dropped here: a worker may print for days.
    let mut last = WorkerState::Running;
    let mut forward = |sim: &mut Simulation| {
        for l in sim.take_logs() {
            uplink.output(vm, l.stream, l.text);
        }
        for r in sim.take_records() {
            uplink.recorded(vm, r.name, &r.value);
        }
        match sim.worker_state(ME, w) {
            // What it sent or printed before it ended still leaves, at its paced time.
            Some(s) if !s.is_alive() && sim.deferred_actions() == 0 => ControlFlow::Break(s),
            Some(s) if !s.is_alive() => ControlFlow::Continue(()),
            Some(s) => {
                if s != last {
                    last = s;
                    uplink.blocked(vm, s);
                }
                ControlFlow::Continue(())
            }
            None => ControlFlow::Continue(()),
        }
    };
    let mut end = None;
    let result = rt.run(&mut sim, None, |sim| match forward(sim) {
        ControlFlow::Break(s) => {
            end = Some(s);
            ControlFlow::Break(())
        }
        ControlFlow::Continue(()) => ControlFlow::Continue(()),
    });
    // Output written in the last step, and the end.
    let _ = forward(&mut sim);
    if let Err(e) = result {
        uplink.output(vm, LogStream::Err, e.to_string());
    }
    let state = end
        .or_else(|| sim.worker_state(ME, w).filter(|s| !s.is_alive()))
        .unwrap_or(WorkerState::Killed);
    uplink.ended(vm, state);
}

/// Evaluates `code` in the worker (between two of its events); the reply comes on `reply`.
pub(crate) fn eval(
    injector: &Injector,
    code: String,
    reply: tokio::sync::oneshot::Sender<Result<Value, String>>,
) -> bool {
    injector
        .call(move |sim| {
            let r = match sim.program_mut(ME, WorkerId(0)) {
                None => Err("the worker is not running".to_owned()),
                Some(p) => match p.as_any_mut().and_then(|a| a.downcast_mut::<VmProgram>()) {
                    Some(p) => p.eval(&code).map_err(|e| e.to_string()),
                    None => Err(
                        "the worker is an agent platform: there is no program to evaluate in"
                            .to_owned(),
                    ),
                },
            };
            let _ = reply.send(r);
        })
        .is_ok()
}

/// The agents on a platform worker's node and its counters; the reply comes on `reply`.
pub(crate) fn agents(
    injector: &Injector,
    reply: tokio::sync::oneshot::Sender<(Vec<AgentInfo>, AgentCounts)>,
) -> bool {
    injector
        .call(move |sim| {
            // The uplink's register counts nothing: it only lets agents leave.
            let answer = sim.platform(ME).map_or_else(Default::default, |p| {
                let agents = p.residents().map(|r| AgentInfo {
                    id: r.id.clone(),
                    class: r.class.clone(),
                    lang: r.lang,
                });
                (agents.collect(), p.counts())
            });
            let _ = reply.send(answer);
        })
        .is_ok()
}
