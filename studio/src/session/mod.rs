//! The simulation behind a studio: one thread owns the network file and its `Simulation`
//! (which stays on its thread: VM workers are not `Send`), takes commands from every browser in
//! arrival order, runs, and broadcasts what happened in batches about every 50 ms — sampled
//! when there is more than anyone can see, so drawing never slows a fast run.
//!
//! An unpaced run from a reset is exactly `vnet run`'s: the same events in the same order, so
//! the same trace hash (`Done::trace_hash`). `commands.rs` is what each browser command does;
//! `pnodes.rs` the external nodes, whose networks run paced to the wall clock.

mod commands;
mod pnodes;

use crate::protocol::{AgentPlace, FaultView};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc};
use vnet_sim::netfile::{NetworkFile, ProgramRegistry};
use vnet_sim::trace::{Tee, TraceHash, TraceSink};
use vnet_sim::vm::VmConfig;
use vnet_sim::{LogStream, RecordValue, SimTime, Simulation};

use pnodes::Live;

use crate::observe::{Seen, Thinned};
use crate::protocol::{ClientMessage, Clock, LogEntry, Point, ServerMessage};
use crate::workers::{Slots, Sources, inline, read_sources};

/// What the server hands the simulation thread.
pub(crate) enum Command {
    /// A browser's command; errors go back on `reply`.
    Client(ClientMessage, mpsc::Sender<Arc<str>>),
    /// A browser connected: send it a hello on `reply`.
    Hello(mpsc::Sender<Arc<str>>),
}

/// How often a running simulation reports.
const BATCH: Duration = Duration::from_millis(50);

/// The network a studio shows: the file (workers keep their `path`s), the program files'
/// texts, and the folder paths are read from.
pub(crate) struct Network {
    pub(crate) file: NetworkFile,
    pub(crate) sources: Sources,
    pub(crate) base: PathBuf,
}

impl Network {
    /// Reads `file`'s program files from `base`.
    pub(crate) fn new(file: NetworkFile, base: PathBuf) -> Result<Self, String> {
        let sources = read_sources(&file, &base)?;
        Ok(Network {
            file,
            sources,
            base,
        })
    }

    /// Builds the simulation (as `vnet run` does, with the studio's program texts).
    pub(crate) fn build(&self, seed: u64) -> Result<Simulation, String> {
        self.file
            .instantiate_with(
                &ProgramRegistry::with_devices(),
                Some(seed),
                &self.base,
                &VmConfig::default(),
                &self.sources,
            )
            .map_err(|e| e.to_string())
    }
}

/// The folder a network file's paths are relative to.
pub(crate) fn base_of(path: Option<&Path>) -> PathBuf {
    path.and_then(|p| p.parent())
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

fn frame(m: &ServerMessage) -> Arc<str> {
    // Every message is plain data: it serialises.
    serde_json::to_string(m).unwrap_or_default().into()
}

/// One simulation and its observers, on the session thread.
struct Session {
    net: Network,
    path: Option<PathBuf>,
    seed: u64,
    sim: Simulation,
    slots: Slots,
    /// The P-nodes of external nodes, and the real-time runner they feed; `None` for a
    /// network without external nodes.
    live: Option<Live>,
    /// External nodes' workers that are not running, as browsers were told.
    pnode_states: BTreeMap<(usize, u32), String>,
    handle: tokio::runtime::Handle,
    hash: Rc<RefCell<TraceHash>>,
    seen: Rc<RefCell<Seen>>,
    /// `None`: paused; `Some(None)`: as fast as possible; `Some(Some((k, wall, virtual)))`:
    /// paced at k× from that moment.
    running: Option<Option<(f64, Instant, SimTime)>>,
    out: broadcast::Sender<Arc<str>>,
    done_sent: bool,
    /// Nodes down and links cut, as browsers were last told.
    told_faults: FaultView,
    /// Where agents were at the last batch.
    told_agents: Vec<AgentPlace>,
    /// The network as `/network.json` serves it: every program inline.
    published: Arc<Mutex<NetworkFile>>,
}

impl Session {
    fn new(
        net: Network,
        path: Option<PathBuf>,
        seed: u64,
        out: broadcast::Sender<Arc<str>>,
        published: Arc<Mutex<NetworkFile>>,
        handle: tokio::runtime::Handle,
    ) -> Result<Self, String> {
        let mut sim = net.build(seed)?;
        let live = Live::connect(&mut sim, &net, &handle)?;
        let slots = Slots::new(&net.file);
        let mut s = Session {
            net,
            path,
            seed,
            sim,
            slots,
            live,
            pnode_states: BTreeMap::new(),
            handle,
            hash: Rc::default(),
            seen: Rc::default(),
            running: None,
            out,
            done_sent: false,
            told_faults: FaultView::default(),
            told_agents: Vec::new(),
            published,
        };
        s.observe();
        s.publish();
        Ok(s)
    }

    /// Builds the network's simulation and connects its external nodes.
    fn build(&self, seed: u64) -> Result<(Simulation, Option<Live>), String> {
        let mut sim = self.net.build(seed)?;
        let live = Live::connect(&mut sim, &self.net, &self.handle)?;
        Ok((sim, live))
    }

    /// Starts over with `sim` (and its P-nodes), just built from the network.
    fn replace(&mut self, (sim, live): (Simulation, Option<Live>), seed: u64) {
        if let Some(old) = self.live.take() {
            old.close();
        }
        self.sim = sim;
        self.live = live;
        self.pnode_states.clear();
        self.seed = seed;
        self.slots = Slots::new(&self.net.file);
        self.running = None;
        self.done_sent = false;
        self.observe();
        let hello = self.hello();
        let _ = self.out.send(hello);
    }

    fn observe(&mut self) {
        self.hash = Rc::default();
        self.seen = Rc::default();
        let sinks: Vec<Box<dyn TraceSink>> =
            vec![Box::new(self.hash.clone()), Box::new(self.seen.clone())];
        self.sim.set_trace(Box::new(Tee(sinks)));
    }

    fn publish(&self) {
        if let Ok(mut p) = self.published.lock() {
            *p = inline(&self.net.file, &self.net.sources);
        }
    }

    fn clock(&mut self) -> Clock {
        Clock {
            t_ns: self.sim.now().as_nanos(),
            events: self.sim.events_run(),
            running: self.running.is_some(),
            seed: self.seed,
            idle: self.sim.next_event_time().is_none(),
        }
    }

    fn hello(&mut self) -> Arc<str> {
        self.slots.sync_boots(&self.sim, &self.net.file);
        let mut workers = self.slots.not_running(&self.net.file);
        workers.extend(self.pnodes_not_running());
        self.told_faults = self.fault_view();
        self.told_agents = self.agent_view();
        frame(&ServerMessage::Hello {
            network: serde_json::to_value(&self.net.file).unwrap_or_default(),
            sources: self.net.sources.clone(),
            positions: crate::positions(&self.net.file),
            clock: self.clock(),
            file: self.path.as_ref().map(|p| p.display().to_string()),
            workers,
            faults: self.told_faults.clone(),
            agents: self.told_agents.clone(),
        })
    }

    /// Where the agents are now, node by node.
    fn agent_view(&self) -> Vec<AgentPlace> {
        let mut all = Vec::new();
        if !self.sim.hosts_agents() {
            return all;
        }
        for (i, n) in self.sim.network().nodes().iter().enumerate() {
            if let Some(p) = self.sim.platform(vnet_sim::NodeId(i as u32)) {
                all.extend(p.residents().map(|r| AgentPlace {
                    id: r.id.clone(),
                    class: r.class.clone(),
                    node: n.name().to_owned(),
                }));
            }
        }
        // Agents on P-nodes, as last listed (their twins' registers are empty).
        for (i, agents) in self.pnode_agents() {
            let Some(n) = self.net.file.nodes.get(i) else {
                continue;
            };
            all.extend(agents.into_iter().map(|a| AgentPlace {
                id: a.id,
                class: a.class,
                node: n.name.clone(),
            }));
        }
        all
    }

    /// Which nodes are down and which links cut, now.
    fn fault_view(&self) -> FaultView {
        let net = self.sim.network();
        let down = (net.nodes().iter().enumerate())
            .filter(|(i, _)| !self.sim.node_is_up(vnet_sim::NodeId(*i as u32)))
            .map(|(_, n)| n.name().to_owned())
            .collect();
        let cut = (net.links().iter().enumerate())
            .filter(|(_, l)| l.is_cut(0) || l.is_cut(1))
            .map(|(i, _)| i as u32)
            .collect();
        FaultView { down, cut }
    }

    fn broadcast(&self, m: &ServerMessage) {
        // No browser connected is fine: nobody to tell.
        let _ = self.out.send(frame(m));
    }

    /// Sends what happened since the last batch (if anything did, or `always`).
    fn batch(&mut self, always: bool) {
        let logs = self.sim.take_logs();
        let records = self.sim.take_records();
        let seen = self.seen.borrow_mut().take();
        self.slots.sync_boots(&self.sim, &self.net.file);
        let mut workers = self.slots.changes(&self.sim, &self.net.file);
        let view = self.fault_view();
        let faults = (view != self.told_faults).then(|| {
            self.told_faults = view.clone();
            view
        });
        let places = self.agent_view();
        let agents = (places != self.told_agents).then(|| {
            self.told_agents = places.clone();
            places
        });
        let (pnode_logs, pnode_points, pnode_workers) = self.pnode_output();
        workers.extend(pnode_workers);
        if !always
            && logs.is_empty()
            && pnode_logs.is_empty()
            && seen.total == 0
            && records.is_empty()
            && pnode_points.is_empty()
            && workers.is_empty()
            && faults.is_none()
            && agents.is_none()
        {
            return;
        }
        let net = self.sim.network();
        let name = |n: vnet_sim::NodeId| net.node(n).map_or("?", |n| n.name()).to_owned();
        let mut logs: Vec<LogEntry> = logs
            .into_iter()
            .map(|l| LogEntry {
                t_ns: l.time.as_nanos(),
                node: name(l.node),
                worker: self.slots.slot(l.node, l.worker),
                err: l.stream == LogStream::Err,
                text: l.text,
            })
            .collect();
        logs.extend(pnode_logs);
        let mut points = Thinned::default();
        for p in pnode_points {
            points.push(p);
        }
        for r in records {
            let value = match r.value {
                RecordValue::Int(i) => i as f64,
                RecordValue::Float(f) => f,
                RecordValue::Bool(b) => f64::from(u8::from(b)),
                RecordValue::Text(_) => continue,
            };
            points.push(Point {
                t_ns: r.time.as_nanos(),
                node: name(r.node),
                name: r.name,
                value,
            });
        }
        let clock = self.clock();
        self.broadcast(&ServerMessage::Batch {
            clock,
            logs,
            messages: seen.kept,
            messages_total: seen.total,
            records: points.into_vec(),
            readings: seen.readings.into_vec(),
            workers,
            faults,
            agents,
        });
    }

    fn done(&mut self) {
        self.batch(true);
        let (mut sent, mut delivered, mut dropped) = (0, 0, 0);
        for l in self.sim.network().links() {
            let s = l.stats_total();
            sent += s.sent;
            delivered += s.delivered;
            dropped += s.dropped_queue_full + s.dropped_loss + s.dropped_link_down;
        }
        self.running = None;
        self.done_sent = true;
        let clock = self.clock();
        self.broadcast(&ServerMessage::Done {
            clock,
            trace_hash: format!("{:016x}", self.hash.borrow().value()),
            sent,
            delivered,
            dropped,
        });
    }

    fn step_one(&mut self) -> bool {
        if self.sim.next_event_time().is_none() {
            return false;
        }
        self.sim.step();
        true
    }

    /// Runs for one batch interval.
    fn run_slice(&mut self) {
        if self.live.is_some() {
            self.run_live_slice(BATCH);
            self.batch(true);
            return;
        }
        let end = Instant::now() + BATCH;
        let mut n = 0u32;
        loop {
            let Some(pace) = self.running else { return };
            let Some(t) = self.sim.next_event_time() else {
                self.done();
                return;
            };
            if let Some((k, wall0, virt0)) = pace {
                let due = wall0 + Duration::from_secs_f64((t - virt0).as_nanos() as f64 / 1e9 / k);
                let now = Instant::now();
                if due > now {
                    if due >= end {
                        std::thread::sleep(end.saturating_duration_since(now));
                        break;
                    }
                    std::thread::sleep(due - now);
                }
            }
            self.sim.step();
            n += 1;
            if n % 256 == 0 && Instant::now() >= end {
                break;
            }
            if pace.is_some() && Instant::now() >= end {
                break;
            }
        }
        self.batch(true);
    }
}

/// The session thread's body: builds the simulation (saying on `ready` whether it could),
/// then serves commands until every sender is gone.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    net: Network,
    path: Option<PathBuf>,
    seed: u64,
    commands: Receiver<Command>,
    out: broadcast::Sender<Arc<str>>,
    published: Arc<Mutex<NetworkFile>>,
    handle: tokio::runtime::Handle,
    ready: std::sync::mpsc::Sender<Result<(), String>>,
) {
    let mut s = match Session::new(net, path, seed, out, published, handle) {
        Ok(s) => {
            let _ = ready.send(Ok(()));
            s
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    loop {
        let cmd = if s.running.is_some() {
            match commands.try_recv() {
                Ok(c) => Some(c),
                Err(std::sync::mpsc::TryRecvError::Empty) => None,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return,
            }
        } else {
            match commands.recv_timeout(Duration::from_secs(3600)) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        };
        match cmd {
            Some(Command::Hello(reply)) => {
                let _ = reply.try_send(s.hello());
            }
            Some(Command::Client(m, reply)) => {
                if let Err(message) = s.handle(m) {
                    let _ = reply.try_send(frame(&ServerMessage::Error { message }));
                }
            }
            None => {}
        }
        if s.running.is_some() {
            s.run_slice();
        } else if !s.done_sent
            && s.live.is_none()
            && s.sim.next_event_time().is_none()
            && s.sim.events_run() > 0
        {
            s.done();
        }
    }
}
