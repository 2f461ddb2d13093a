//! The simulation kernel: the event loop that runs node programs over the network in virtual time.
//!
//! [`Simulation`] owns the network, the event queue and the programs. Programs act through a
//! [`Context`] (sends, timers, random draws, logs); the kernel turns those into events keyed by
//! `(time, source node, source sequence)` and runs them in that order.

mod agents;
mod context;
mod extras;
mod faults;
pub mod instant;
mod merge;
mod part;
mod program;
mod records;
mod results;
mod sensing;
mod state;
mod stats_csv;
mod tuples;
mod wire;
mod worker_states;
mod writing;

pub use context::{Context, SendReport};
pub use program::{NodeProgram, TimerId, WorkerId, WorkerState};
pub use records::{NotRecordable, Record, RecordValue};
pub use results::Results;
pub use sensing::SensorSetupError;

pub(crate) use merge::{Merged, Writings, merge};
pub(crate) use part::{Batch, PartFinal};
#[allow(unused_imports)]
pub(crate) use wire::{
    Put, get_batch, get_final, get_writings, put_batch, put_final, put_writings,
};
pub(crate) use writing::PartTracing;

use state::{
    EVERY_WORKER, Event, Kernel, LinkArrival, NodeLife, NodeRuntime, message_id, prefetch,
};

use smallvec::SmallVec;

use crate::net::{
    Endpoint, LinkId, LinkParams, Message, NetError, Network, NodeId, NodeStats, PortId,
};
use crate::queue::{EventKey, EventQueue};
use crate::rng::{StreamKind, stream};
use crate::time::SimTime;
use crate::trace::{TraceKind, TraceSink};

/// A line a program logged.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    /// When.
    pub time: SimTime,
    /// Which node.
    pub node: NodeId,
    /// Which worker.
    pub worker: WorkerId,
    /// Standard output or standard error.
    pub stream: LogStream,
    /// The text.
    pub text: String,
}

/// Which of a worker's output streams a log line went to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LogStream {
    /// Standard output (`print`, [`Context::log`]).
    Out,
    /// Standard error (errors, tracebacks, [`Context::log_error`]).
    Err,
}

/// Above this many nodes, dispatch prefetches the next event's node state (below, it fits in
/// the caches and the prefetch is pure cost).
const PREFETCH_NODES: usize = 4096;

/// A node's programs, by worker; inline for the usual single worker.
type Programs = SmallVec<[Option<Box<dyn NodeProgram>>; 1]>;

/// Why a run call returned.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RunStatus {
    /// No events are left.
    Idle,
    /// The requested end time was reached; events after it are still pending.
    ReachedTime,
    /// A program called [`Context::stop`].
    Stopped,
}

/// A simulation: a network, the programs on its nodes, and the clock.
///
/// ```
/// use vnet_sim::{Context, LinkParams, Message, NodeProgram, PortId, SimDuration, SimTime, Simulation};
///
/// struct Hello;
/// impl NodeProgram for Hello {
///     fn on_start(&mut self, ctx: &mut Context) {
///         if ctx.node().0 == 0 {
///             ctx.send(PortId(0), Message::bytes(vec![0u8; 125])); // 1000 bits
///         }
///     }
///     fn on_message(&mut self, ctx: &mut Context, _: Option<PortId>, _: Message) {
///         ctx.log(format!("got it at {}", ctx.now()));
///     }
/// }
///
/// let mut sim = Simulation::new(1);
/// let a = sim.add_node("a").unwrap();
/// let b = sim.add_node("b").unwrap();
/// // 1 ms latency, 1 Mb/s: 125 bytes arrive after 1 ms + 1 ms.
/// sim.link(a, "eth0", b, "eth0", LinkParams::new(SimDuration::from_millis(1), 1_000_000)).unwrap();
/// sim.add_worker(a, Box::new(Hello));
/// sim.add_worker(b, Box::new(Hello));
/// sim.run();
/// assert_eq!(sim.results().logs()[0].time, SimTime::from_millis(2));
/// ```
pub struct Simulation {
    k: Kernel,
    /// `programs[node][worker]`; `None` once a worker has ended.
    programs: Vec<Programs>,
    /// Per node, what makes its programs again when it restarts.
    factories: extras::PerNode<Vec<faults::ProgramFactory>>,
}

impl Simulation {
    /// An empty simulation; every random stream derives from `seed`.
    pub fn new(seed: u64) -> Self {
        Simulation {
            k: Kernel {
                now: SimTime::ZERO,
                delivering: None,
                current: None,
                queue: EventQueue::new(),
                net: Network::new(seed),
                nodes: Vec::new(),
                trace: None,
                logs: Vec::new(),
                records: Vec::new(),
                stopped: false,
                seed,
                own_seq: 0,
                spawned: Vec::new(),
                ended: Vec::new(),
                deferred: 0,
                instant: instant::InstantGuard::new(),
                fault_stats: Default::default(),
                fault_log: Vec::new(),
                held: Default::default(),
                extras: extras::PerNode::new(),
                churns: Vec::new(),
                part: None,
            },
            programs: Vec::new(),
            factories: extras::PerNode::new(),
        }
    }

    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.k.seed
    }
    /// The current virtual time.
    pub fn now(&self) -> SimTime {
        self.k.now
    }
    /// The network: nodes, ports, links and their counters.
    pub fn network(&self) -> &Network {
        &self.k.net
    }

    /// Makes room for `additional` more nodes at once: a run that adds a million nodes then
    /// never holds two copies of its node tables while they grow (its peak memory is what the
    /// nodes take). Optional; [`add_node`](Self::add_node) grows the tables as needed.
    pub fn reserve_nodes(&mut self, additional: usize) {
        self.k.net.reserve_nodes(additional);
        self.k.nodes.reserve_exact(additional);
        self.programs.reserve_exact(additional);
        self.factories.reserve(additional);
        self.k.extras.reserve(additional);
    }

    /// Adds a node named `name` (unique).
    pub fn add_node(&mut self, name: &str) -> Result<NodeId, NetError> {
        let id = self.k.net.add_node(name)?;
        let rng = stream(self.k.seed, StreamKind::Node, id.0 as u64);
        self.k.nodes.push(NodeRuntime {
            seq: 0,
            rng,
            stats: NodeStats::default(),
            workers: Default::default(),
            life: NodeLife::Up,
            boots: 1,
        });
        self.programs.push(SmallVec::new());
        self.factories.add_node();
        self.k.extras.add_node();
        Ok(id)
    }

    /// Adds a port named `name` (unique on the node).
    pub fn add_port(&mut self, node: NodeId, name: &str) -> Result<PortId, NetError> {
        self.k.net.add_port(node, name)
    }

    /// Connects two existing ports.
    pub fn connect(
        &mut self,
        a: Endpoint,
        b: Endpoint,
        params: LinkParams,
    ) -> Result<LinkId, NetError> {
        self.k.net.connect(a, b, params)
    }

    /// Connects port `pa` of `a` to port `pb` of `b`, creating the ports if they do not exist.
    pub fn link(
        &mut self,
        a: NodeId,
        pa: &str,
        b: NodeId,
        pb: &str,
        params: LinkParams,
    ) -> Result<LinkId, NetError> {
        let pa = self.k.net.port_or_add(a, pa)?;
        let pb = self.k.net.port_or_add(b, pb)?;
        self.connect(
            Endpoint { node: a, port: pa },
            Endpoint { node: b, port: pb },
            params,
        )
    }

    /// Adds a worker running `program` to `node`; its `on_start` runs at the current time.
    ///
    /// # Panics
    /// If `node` is not a node of this simulation.
    pub fn add_worker(&mut self, node: NodeId, mut program: Box<dyn NodeProgram>) -> WorkerId {
        assert!(
            (node.0 as usize) < self.programs.len(),
            "add_worker: no node {}",
            node.0
        );
        // A node with a platform hosts agents from the start, before its platform starts: an
        // agent moving at time 0 must find it.
        if program
            .as_any_mut()
            .is_some_and(|p| p.is::<crate::agents::AgentPlatform>())
        {
            self.host_agents(node);
        }
        let w = self.k.spawn(node, program, crate::time::SimDuration::ZERO);
        self.adopt_spawned();
        w
    }

    /// Ends worker `w` of `node` from outside the run (a person at the studio, a test): it
    /// becomes [`WorkerState::Killed`], gets nothing more, and its program is dropped. False if
    /// there is no such worker or it had already ended.
    pub fn kill_worker(&mut self, node: NodeId, w: WorkerId) -> bool {
        if (node.0 as usize) >= self.programs.len()
            || !self.k.end_worker(node, w, WorkerState::Killed)
        {
            return false;
        }
        for (node, w) in self.k.ended.drain(..) {
            if let Some(p) = self.programs[node.0 as usize].get_mut(w.0 as usize) {
                *p = None;
            }
        }
        true
    }

    /// The state of a worker.
    pub fn worker_state(&self, node: NodeId, w: WorkerId) -> Option<WorkerState> {
        self.k
            .nodes
            .get(node.0 as usize)?
            .workers
            .get(w.0 as usize)
            .copied()
    }

    /// Borrows a worker's program, e.g. to read results after a run.
    pub fn program(&self, node: NodeId, w: WorkerId) -> Option<&dyn NodeProgram> {
        self.programs
            .get(node.0 as usize)?
            .get(w.0 as usize)?
            .as_deref()
    }

    /// Mutably borrows a worker's program.
    pub fn program_mut(
        &mut self,
        node: NodeId,
        w: WorkerId,
    ) -> Option<&mut (dyn NodeProgram + 'static)> {
        self.programs
            .get_mut(node.0 as usize)?
            .get_mut(w.0 as usize)?
            .as_deref_mut()
    }

    /// Sends every event from now on to `sink` (replacing any previous one, which is returned).
    pub fn set_trace(&mut self, sink: Box<dyn TraceSink>) -> Option<Box<dyn TraceSink>> {
        self.k.trace.replace(sink)
    }
    /// Stops tracing, flushing and returning the sink.
    pub fn take_trace(&mut self) -> Option<Box<dyn TraceSink>> {
        let mut t = self.k.trace.take();
        if let Some(t) = t.as_mut() {
            t.finish();
        }
        t
    }

    /// What the run has produced so far: logs, records, counters and their exports.
    pub fn results(&self) -> Results<'_> {
        Results::new(&self.k)
    }

    /// Takes the lines logged so far, leaving none: a long real-time run forwards its output
    /// this way instead of keeping it all.
    pub fn take_logs(&mut self) -> Vec<LogLine> {
        std::mem::take(&mut self.k.logs)
    }

    /// Takes the values recorded so far, leaving none.
    pub fn take_records(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.k.records)
    }

    /// How many times one worker may be activated at one instant — once that instant has
    /// seen as many events — before it is failed (default [`instant::DEFAULT_LIMIT`]): a
    /// worker in a loop of zero-length waits would otherwise keep the run at one instant for
    /// ever.
    pub fn set_max_activations_per_instant(&mut self, limit: u64) {
        self.k.instant.limit = limit.max(1);
    }

    /// Adds a line that a worker outside the kernel wrote — a P-node's worker, through its
    /// twin — as worker `worker` of `node`, now: traced and kept like any worker's line.
    pub fn add_log(&mut self, node: NodeId, worker: WorkerId, stream: LogStream, text: String) {
        if (node.0 as usize) < self.programs.len() {
            self.k.log(node, worker, stream, text);
        }
    }

    /// Adds a value that a worker outside the kernel recorded (see [`Simulation::add_log`]).
    pub fn add_record(&mut self, node: NodeId, worker: WorkerId, name: String, value: RecordValue) {
        if (node.0 as usize) < self.programs.len() {
            self.k.record(node, worker, name, value);
        }
    }

    /// Events run since the simulation was built.
    pub fn events_run(&self) -> u64 {
        self.k.instant.total
    }

    /// Events waiting to run.
    pub fn pending_events(&self) -> usize {
        self.k.queue.len()
    }
    /// Sends, output lines and records that workers have made but that take effect later,
    /// after their modelled compute time (`Context::send_after`, `log_after`, `record_after`). A real-time run
    /// whose worker has ended keeps going until this is zero, so nothing it sent is lost.
    pub fn deferred_actions(&self) -> usize {
        self.k.deferred
    }
    /// Bytes the event queue holds beyond the event payloads (see `EventQueue::overhead_bytes`).
    pub fn queue_overhead_bytes(&self) -> usize {
        self.k.queue.overhead_bytes()
    }

    /// Takes a link down or up now (down drops what it holds and what is in flight).
    pub fn set_link_up(&mut self, link: LinkId, up: bool) {
        self.k.set_link_up(link, up);
    }
    /// Takes a link down or up at time `at` (partition and heal during a run).
    pub fn schedule_link_state(&mut self, at: SimTime, link: LinkId, up: bool) {
        self.k.schedule_own(at, Event::LinkState { link, up });
    }

    /// The time of the next pending event, if any.
    pub fn next_event_time(&mut self) -> Option<SimTime> {
        self.k.queue.next_time()
    }

    /// Delivers `msg` to `node` from outside the simulation — an injector, a twin's peer — at
    /// `at` (or now, if that has passed): on `port` to every running worker of the node, as if
    /// it had come over a link, or with `None` as a direct message. The event is keyed as the
    /// kernel's own, after everything already scheduled at that instant by the kernel.
    ///
    /// ```
    /// use vnet_sim::{Message, SimTime, Simulation};
    /// let mut sim = Simulation::new(1);
    /// let n = sim.add_node("n").unwrap();
    /// let p = sim.add_port(n, "in").unwrap();
    /// sim.inject(SimTime::from_millis(5), n, Some(p), Message::bytes(vec![1])).unwrap();
    /// assert_eq!(sim.next_event_time(), Some(SimTime::from_millis(5)));
    /// ```
    pub fn inject(
        &mut self,
        at: SimTime,
        node: NodeId,
        port: Option<PortId>,
        mut msg: Message,
    ) -> Result<(), NetError> {
        let n = self.k.net.node(node).ok_or(NetError::NoSuch("node"))?;
        // From outside the simulation: stamped as sent by the node it enters, when it enters.
        msg.stamp(node, at.max(self.k.now));
        if let Some(p) = port {
            if p.0 as usize >= n.ports().len() {
                return Err(NetError::NoSuch("port"));
            }
        }
        let ev = match port {
            Some(port) => Event::Deliver {
                node,
                port,
                to: EVERY_WORKER,
                via: LinkArrival::NONE,
                msg,
            },
            None => Event::Direct { node, msg },
        };
        self.k.schedule_own(at, ev);
        Ok(())
    }

    /// Runs every event due no later than `end`, then sets the clock to `end` (unless a
    /// program stopped the run first).
    pub fn run_until(&mut self, end: SimTime) -> RunStatus {
        self.k.stopped = false;
        while let Some((key, ev)) = self.k.queue.pop_until(end) {
            self.dispatch(key, ev);
            if self.k.stopped {
                return RunStatus::Stopped;
            }
        }
        self.k.now = self.k.now.max(end);
        if self.k.queue.is_empty() {
            RunStatus::Idle
        } else {
            RunStatus::ReachedTime
        }
    }

    /// Runs until no events are left or a program stops the run.
    pub fn run(&mut self) -> RunStatus {
        self.k.stopped = false;
        while let Some((key, ev)) = self.k.queue.pop() {
            self.dispatch(key, ev);
            if self.k.stopped {
                return RunStatus::Stopped;
            }
        }
        RunStatus::Idle
    }

    /// Runs the next event; returns its time, or `None` if there was none.
    pub fn step(&mut self) -> Option<SimTime> {
        let (key, ev) = self.k.queue.pop()?;
        self.dispatch(key, ev);
        Some(key.time())
    }

    fn adopt_spawned(&mut self) {
        for (node, p) in self.k.spawned.drain(..) {
            self.programs[node.0 as usize].push(Some(p));
        }
    }

    #[inline]
    fn dispatch(&mut self, key: EventKey, ev: Event) {
        let t = key.time();
        self.k.current = Some(key);
        self.k.instant.event(t > self.k.now);
        self.k.now = t;
        // Start loading what the next event will touch while this one runs — worth it only
        // when the nodes' state is larger than the caches.
        if self.k.nodes.len() > PREFETCH_NODES
            && let Some(n) = self.k.queue.peek_ready().and_then(Event::target)
        {
            if let (Some(rt), Some(p)) = (
                self.k.nodes.get(n.0 as usize),
                self.programs.get(n.0 as usize),
            ) {
                prefetch(rt);
                prefetch(p);
            }
        }
        match ev {
            Event::Direct { node, msg } => {
                let src = msg.src();
                if self.k.nodes[node.0 as usize].life != NodeLife::Up {
                    let id = message_id(key);
                    return self.k.drop_node_down(id, src, node, PortId(u16::MAX), &msg);
                }
                self.k.trace_message(
                    TraceKind::Deliver,
                    Some(message_id(key)),
                    src,
                    node,
                    PortId(u16::MAX),
                    msg.size(),
                    "",
                    Some(&msg),
                );
                self.k.delivering = Some(message_id(key));
                self.deliver(node, None, None, msg);
                self.k.delivering = None;
            }
            Event::Deliver {
                node,
                port,
                to,
                via,
                msg,
            } => {
                let up = self.k.nodes[node.0 as usize].life == NodeLife::Up;
                if via.link != LinkArrival::NONE.link {
                    let a = via;
                    let arrived = match self.k.net.link_mut(a.link) {
                        Some(l) if up => l.arrive(a.dir as usize, a.epoch, msg.size()),
                        Some(l) => {
                            l.count_drop(a.dir as usize, crate::net::DropCause::NodeDown);
                            Ok(())
                        }
                        None => Err(crate::net::DropCause::LinkDown),
                    };
                    if let Err(cause) = arrived {
                        if cause == crate::net::DropCause::Cut {
                            self.k.fault_stats.dropped_cut += 1;
                        }
                        self.k.trace_message(
                            TraceKind::Drop,
                            Some(message_id(key)),
                            msg.src(),
                            node,
                            port,
                            msg.size(),
                            cause.as_str(),
                            Some(&msg),
                        );
                        return;
                    }
                }
                if !up {
                    return self
                        .k
                        .drop_node_down(message_id(key), msg.src(), node, port, &msg);
                }
                self.k.trace_message(
                    TraceKind::Deliver,
                    Some(message_id(key)),
                    msg.src(),
                    node,
                    port,
                    msg.size(),
                    "",
                    Some(&msg),
                );
                let to = (to != EVERY_WORKER).then_some(to);
                self.k.delivering = Some(message_id(key));
                self.deliver(node, Some(port), to, msg);
                self.k.delivering = None;
            }
            Event::Timer { node, worker, tag } => self.run_worker(node, worker, |p, ctx| {
                ctx.k.nodes[node.0 as usize].stats.timers += 1;
                ctx.k
                    .trace_msg(TraceKind::Timer, node, node, PortId(u16::MAX), 0, "");
                p.on_timer(ctx, tag);
            }),
            Event::Start { node, worker } => {
                let state = self.k.nodes[node.0 as usize]
                    .workers
                    .get_mut(worker.0 as usize);
                match state {
                    Some(s) if *s == WorkerState::Starting => *s = WorkerState::Running,
                    Some(s) if s.is_alive() => {}
                    _ => return, // ended before it started
                }
                self.run_worker(node, worker, |p, ctx| {
                    ctx.k
                        .trace_msg(TraceKind::Start, node, node, PortId(u16::MAX), 0, "");
                    p.on_start(ctx);
                })
            }
            Event::LinkState { link, up } => {
                let lead = self.k.leads();
                self.k.change_link(link, up, lead)
            }
            Event::Fault(fault) => self.apply_fault(*fault),
            Event::Boot { node } => self.boot(node),
            Event::Churn { index } => self.churn_step(index),
            Event::Sample { node, sensor, k } => self.sample(node, sensor, k),
            Event::Send {
                node,
                worker,
                port,
                msg,
            } => {
                self.k.deferred -= 1;
                if self.crashed(node, worker) {
                    return;
                }
                Context {
                    k: &mut self.k,
                    node,
                    worker,
                }
                .send(port, msg);
            }
            Event::SendOver {
                node,
                worker,
                port,
                to,
                msg,
            } => {
                self.k.deferred -= 1;
                if self.crashed(node, worker) {
                    return;
                }
                let to = (to.0 != u32::MAX).then_some(to);
                Context {
                    k: &mut self.k,
                    node,
                    worker,
                }
                .send_over(port, to, msg);
            }
            Event::Log {
                node,
                worker,
                stream,
                text,
            } => {
                self.k.deferred -= 1;
                if self.crashed(node, worker) {
                    return;
                }
                self.k.log(node, worker, stream, text.into());
            }
            Event::Record {
                node,
                worker,
                record,
            } => {
                self.k.deferred -= 1;
                if self.crashed(node, worker) {
                    return;
                }
                let (name, value) = *record;
                self.k.record(node, worker, name, value);
            }
        }
        if !self.k.spawned.is_empty() {
            self.adopt_spawned();
        }
        // Programs of ended workers are dropped only now: one may have ended itself mid-callback.
        if !self.k.ended.is_empty() {
            self.drop_ended_programs();
        }
    }

    /// Drops the programs of the workers that ended since the last call.
    fn drop_ended_programs(&mut self) {
        for (node, w) in self.k.ended.drain(..) {
            if let Some(p) = self.programs[node.0 as usize].get_mut(w.0 as usize) {
                *p = None;
            }
        }
    }

    /// Hands `msg` to worker `to`, or to every running worker of `node`.
    #[inline(always)]
    fn deliver(&mut self, node: NodeId, port: Option<PortId>, to: Option<WorkerId>, msg: Message) {
        let n = node.0 as usize;
        let states = &self.k.nodes[n].workers;
        let last = match (to, &states[..]) {
            (None, [s]) if s.is_alive() => Some(0),
            (Some(w), _) => states
                .get(w.0 as usize)
                .is_some_and(|s| s.is_alive())
                .then_some(w.0 as usize),
            (None, _) => states.iter().rposition(|s| s.is_alive()),
        };
        let Some(last) = last else { return };
        let first = if to.is_some() { last } else { 0 };
        let stats = &mut self.k.nodes[n].stats;
        stats.received += 1;
        stats.bytes_received += msg.size() as u64;
        for w in first..last {
            let m = msg.clone();
            self.run_worker(node, WorkerId(w as u32), |p, ctx| {
                p.on_message(ctx, port, m)
            });
        }
        // A sibling that ran first may have ended `last`; run_worker checks.
        self.run_worker(node, WorkerId(last as u32), |p, ctx| {
            p.on_message(ctx, port, msg)
        });
    }

    /// Fails worker `w` of `node`, activated too often at this instant (see [`instant`]).
    #[cold]
    fn stop_frozen_worker(&mut self, node: NodeId, w: WorkerId) {
        let name = self
            .k
            .net
            .node(node)
            .map_or_else(|| format!("node {}", node.0), |n| n.name().to_owned());
        let text = format!(
            "{name}/w{}: activated {} times at t = {} without time moving on (a loop of \
             zero-length waits?): stopped",
            w.0, self.k.instant.limit, self.k.now
        );
        self.k.log(node, w, LogStream::Err, text);
        self.k.end_worker(node, w, WorkerState::Failed);
    }

    /// Runs `f` on a worker's program with its context, if the worker is still running.
    #[inline]
    fn run_worker(
        &mut self,
        node: NodeId,
        w: WorkerId,
        f: impl FnOnce(&mut dyn NodeProgram, &mut Context),
    ) {
        let n = node.0 as usize;
        if !self.k.nodes[n]
            .workers
            .get(w.0 as usize)
            .is_some_and(|s| s.is_alive())
        {
            return;
        }
        if self.k.instant.activation(node, w) {
            return self.stop_frozen_worker(node, w);
        }
        if let Some(p) = self.programs[n][w.0 as usize].as_deref_mut() {
            f(
                p,
                &mut Context {
                    k: &mut self.k,
                    node,
                    worker: w,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests;
