//! A node's agent platform: [`AgentPlatform`], the program that takes agents in (placed ones,
//! arrivals, clones) and runs each as a VM worker, and [`Platform`], the node's register of the
//! agents on it, their signals and its counters.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use serde::Serialize;
use serde_json::Value;

use super::parcel::Parcel;
use crate::kernel::{Context, NodeProgram, WorkerId};
use crate::net::{Message, PortId};
use crate::time::SimDuration;
use crate::vm::{Lang, VmConfig, VmProgram};

/// A node's platform register as its agents share it.
pub type SharedPlatform = Rc<RefCell<Platform>>;

/// What happened to agents on a node (or, summed, in a run).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct AgentCounts {
    /// Started where a network file or program placed them.
    pub placed: u64,
    /// Came in over a link.
    pub arrived: u64,
    /// Left over a link (`moveto`).
    pub departed: u64,
    /// Made by `clone`.
    pub cloned: u64,
    /// Ended by a transition to nothing or by `kill()`.
    pub finished: u64,
    /// Stopped by an error or a broken limit (a failing `moveto` included).
    pub failed: u64,
    /// Ended by a crash of their node or by another's `kill(id)`.
    pub killed: u64,
    /// Parcels refused on arrival (malformed, or over [`super::MAX_IN`]).
    pub refused: u64,
}

impl AgentCounts {
    /// The sum of two counts.
    pub fn add(&mut self, o: &AgentCounts) {
        self.placed += o.placed;
        self.arrived += o.arrived;
        self.departed += o.departed;
        self.cloned += o.cloned;
        self.finished += o.finished;
        self.failed += o.failed;
        self.killed += o.killed;
        self.refused += o.refused;
    }
}

/// An agent on a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Resident {
    /// Its id (`n0.3`).
    pub id: String,
    /// Its class.
    pub class: String,
    /// Its language.
    pub lang: Lang,
    /// The worker it runs as.
    pub worker: u32,
}

/// How an agent left its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Departure {
    /// Over a link.
    Moved,
    /// Ended: by a transition to nothing or `kill()`.
    Finished,
    /// Stopped by an error.
    Failed,
    /// By a crash or another's `kill(id)`.
    Killed,
}

/// A node's register of its agents (ordered: a seed gives the same run).
#[derive(Debug, Default)]
pub struct Platform {
    /// Agents born here so far (the `n` of `node.n`).
    born: u64,
    /// The most agents it holds at once (`None`: no bound).
    max: Option<usize>,
    here: BTreeMap<String, Resident>,
    signals: BTreeMap<String, VecDeque<(String, Value)>>,
    counts: AgentCounts,
}

impl Platform {
    /// A fresh id for an agent born on node `node` (its name).
    pub fn new_id(&mut self, node: &str) -> String {
        self.born += 1;
        format!("{node}.{}", self.born)
    }

    /// The agents on the node now, by id.
    pub fn residents(&self) -> impl Iterator<Item = &Resident> {
        self.here.values()
    }

    /// The worker running agent `id`, if it is here.
    pub fn worker_of(&self, id: &str) -> Option<u32> {
        self.here.get(id).map(|r| r.worker)
    }

    /// The most agents the node holds at once, if bounded.
    pub fn max_agents(&self) -> Option<usize> {
        self.max
    }

    /// Whether the node holds as many agents as it may.
    pub fn is_full(&self) -> bool {
        self.max.is_some_and(|m| self.here.len() >= m)
    }

    /// The node's counters.
    pub fn counts(&self) -> AgentCounts {
        self.counts
    }

    /// Counts a parcel refused on its way in (a relay that cannot carry it on, say).
    pub fn count_refused(&mut self) {
        self.counts.refused += 1;
    }

    pub(crate) fn counts_mut(&mut self) -> &mut AgentCounts {
        &mut self.counts
    }

    /// Agent `r` is here now.
    pub(crate) fn enter(&mut self, r: Resident) {
        self.here.insert(r.id.clone(), r);
    }

    /// Agent `id` left (idempotent: a crash has already forgotten its agents).
    pub(crate) fn leave(&mut self, id: &str, how: Departure) {
        if self.here.remove(id).is_none() {
            return;
        }
        self.signals.remove(id);
        let c = &mut self.counts;
        match how {
            Departure::Moved => c.departed += 1,
            Departure::Finished => c.finished += 1,
            Departure::Failed => c.failed += 1,
            Departure::Killed => c.killed += 1,
        }
    }

    /// Queues signal `name` with `arg` for agent `to`; false if `to` is not on this node.
    pub fn signal(&mut self, to: &str, name: String, arg: Value) -> bool {
        if !self.here.contains_key(to) {
            return false;
        }
        self.signals
            .entry(to.to_owned())
            .or_default()
            .push_back((name, arg));
        true
    }

    /// The signals waiting for agent `id`, oldest first.
    pub(crate) fn take_signals(&mut self, id: &str) -> VecDeque<(String, Value)> {
        self.signals.remove(id).unwrap_or_default()
    }

    /// The node crashed: its agents are gone (counted as killed).
    pub(crate) fn crash(&mut self) {
        self.counts.killed += self.here.len() as u64;
        self.here.clear();
        self.signals.clear();
    }
}

/// An agent to start on a platform: a class and state overrides, at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    /// The class's language.
    pub lang: Lang,
    /// The class's name.
    pub class: String,
    /// The class's code.
    pub code: String,
    /// Fields that override the class's (an object), or null.
    pub state: Value,
    /// When it starts, from the platform's start.
    pub after: SimDuration,
}

/// The program that makes a node an agent platform: it runs the agents placed on it, and
/// those that arrive over links or are cloned there, each as a VM worker with the platform's
/// limits and host. Put one on every node agents may visit (a network file's `agents: true`).
pub struct AgentPlatform {
    config: Rc<VmConfig>,
    placed: Vec<Placement>,
    /// What the agents' `params()` returns here.
    params: Value,
    max: Option<usize>,
}

impl AgentPlatform {
    /// A platform whose agents run under `config`.
    pub fn new(config: Rc<VmConfig>) -> Self {
        AgentPlatform {
            config,
            placed: Vec::new(),
            params: Value::Null,
            max: None,
        }
    }

    /// Holds at most `n` agents at once: one more arriving, placed or cloned is refused
    /// (counted and logged). Unbounded by default, as a simulation bounds itself; a P-node
    /// that strangers can send agents to bounds it.
    pub fn with_max_agents(mut self, n: usize) -> Self {
        self.max = Some(n);
        self
    }

    /// Gives the agents on this node the node's parameters, which their `params()` returns.
    pub fn with_params(mut self, params: Value) -> Self {
        self.params = params;
        self
    }

    /// Starts `placement` when the platform starts (or its `after` later).
    pub fn place(mut self, placement: Placement) -> Self {
        self.placed.push(placement);
        self
    }

    /// Starts a new agent from placement `i`.
    fn start_placed(&mut self, ctx: &mut Context, i: usize) {
        let Some(p) = self.placed.get(i) else { return };
        let platform = ctx.host_agents();
        let name = ctx.node_info().name().to_owned();
        let id = platform.borrow_mut().new_id(&name);
        let parcel = Parcel::new(id, p.lang, p.class.clone(), p.code.clone(), p.state.clone());
        if admit(ctx, &self.config, &self.params, parcel, SimDuration::ZERO) {
            platform.borrow_mut().counts_mut().placed += 1;
        }
    }
}

/// Starts agent `parcel` on this node after `delay`, as a new worker with the node's `params`,
/// and registers it; a full platform refuses it (counted, logged) and returns false.
pub(crate) fn admit(
    ctx: &mut Context,
    config: &Rc<VmConfig>,
    params: &Value,
    parcel: Parcel,
    delay: SimDuration,
) -> bool {
    let platform = ctx.host_agents();
    let full = platform
        .borrow()
        .max
        .filter(|_| platform.borrow().is_full());
    if let Some(max) = full {
        platform.borrow_mut().counts_mut().refused += 1;
        let me = ctx.node_info().name().to_owned();
        ctx.log_error(format!(
            "agent platform on {me}: agent {} refused: the platform holds its most agents ({max})",
            parcel.id
        ));
        return false;
    }
    let resident = Resident {
        id: parcel.id.clone(),
        class: parcel.class.clone(),
        lang: parcel.lang,
        worker: 0,
    };
    let mut agent = VmProgram::agent(parcel, config.clone());
    if !params.is_null() {
        agent = agent.with_params(params.clone());
    }
    let worker = ctx.spawn_after(delay, Box::new(agent));
    platform.borrow_mut().enter(Resident {
        worker: worker.0,
        ..resident
    });
    true
}

impl NodeProgram for AgentPlatform {
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }

    fn on_start(&mut self, ctx: &mut Context) {
        ctx.host_agents().borrow_mut().max = self.max;
        ctx.set_waiting(true);
        for i in 0..self.placed.len() {
            match self.placed[i].after {
                SimDuration::ZERO => self.start_placed(ctx, i),
                d => {
                    ctx.set_timer(d, i as u64);
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context, tag: u64) {
        self.start_placed(ctx, tag as usize);
    }

    fn on_message(&mut self, ctx: &mut Context, _: Option<PortId>, msg: Message) {
        let parcel = match Parcel::from_message(&msg) {
            None => return,
            Some(Ok(p)) => p,
            Some(Err(e)) => {
                ctx.host_agents().borrow_mut().counts_mut().refused += 1;
                let from = ctx
                    .network()
                    .node(msg.src())
                    .map_or_else(String::new, |n| n.name().to_owned());
                let me = ctx.node_info().name().to_owned();
                return ctx.log_error(format!(
                    "agent platform on {me}: an agent from {from} refused: {e}"
                ));
            }
        };
        if admit(ctx, &self.config, &self.params, parcel, SimDuration::ZERO) {
            ctx.host_agents().borrow_mut().counts_mut().arrived += 1;
        }
    }
}

/// Whether worker `w` of a node's platform is an agent there (for tools listing workers).
pub fn is_agent_worker(platform: &Platform, w: WorkerId) -> bool {
    platform.here.values().any(|r| r.worker == w.0)
}
