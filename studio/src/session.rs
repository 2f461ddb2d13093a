//! The simulation behind a studio: one thread owns the network file and its `Simulation`
//! (which stays on its thread: VM workers are not `Send`), takes commands from every browser in
//! arrival order, runs, and broadcasts what happened in batches about every 50 ms — sampled
//! when there are more messages than anyone can see, so drawing never slows a fast run.
//!
//! An unpaced run from a reset is exactly `vnet run`'s: the same events in the same order, so
//! the same trace hash (`Done::trace_hash`).

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc};
use vnet_sim::netfile::{NetworkFile, ProgramRegistry};
use vnet_sim::trace::{Tee, TraceHash, TraceKind, TraceRecord, TraceSink};
use vnet_sim::vm::{VmConfig, VmProgram};
use vnet_sim::{LogStream, SimTime, Simulation, WorkerId};

use crate::protocol::{
    ClientMessage, Clock, LogEntry, MAX_MESSAGES_PER_BATCH, MessageEvent, ServerMessage,
};

/// What the server hands the simulation thread.
pub(crate) enum Command {
    /// A browser's command; errors go back on `reply`.
    Client(ClientMessage, mpsc::Sender<Arc<str>>),
    /// A browser connected: send it a hello on `reply`.
    Hello(mpsc::Sender<Arc<str>>),
}

/// How often a running simulation reports.
const BATCH: Duration = Duration::from_millis(50);

/// Messages seen since the last batch, thinned evenly when there are too many.
#[derive(Default)]
struct Seen {
    kept: Vec<MessageEvent>,
    total: u64,
    /// Keep one in `stride` (doubles whenever `kept` fills).
    stride: u64,
    deliveries: u64,
}

impl TraceSink for Seen {
    fn record(&mut self, r: &TraceRecord<'_>) {
        let kind = match r.kind {
            TraceKind::Send => "send",
            TraceKind::Deliver => "deliver",
            TraceKind::Drop => "drop",
            _ => return,
        };
        if r.kind == TraceKind::Deliver {
            self.deliveries += 1;
        }
        self.total += 1;
        let stride = self.stride.max(1);
        if self.total % stride != 0 {
            return;
        }
        self.kept.push(MessageEvent {
            t_ns: r.time.as_nanos(),
            kind: kind.into(),
            id: r.msg.map(|m| m.to_string()).unwrap_or_default(),
            src: r.src_name.into(),
            dst: r.dst_name.into(),
            bytes: r.bytes,
            detail: r.detail.into(),
        });
        if self.kept.len() >= MAX_MESSAGES_PER_BATCH {
            // Keep every other one and take half as many from now on.
            let mut i = 0;
            self.kept.retain(|_| {
                i += 1;
                i % 2 == 0
            });
            self.stride = stride * 2;
        }
    }
}

/// One simulation and its observers, on the session thread.
struct Session {
    file: NetworkFile,
    path: Option<PathBuf>,
    seed: u64,
    sim: Simulation,
    hash: Rc<RefCell<TraceHash>>,
    seen: Rc<RefCell<Seen>>,
    events: u64,
    /// `None`: paused; `Some(None)`: as fast as possible; `Some(Some((k, wall, virtual)))`:
    /// paced at k× from that moment.
    running: Option<Option<(f64, Instant, SimTime)>>,
    out: broadcast::Sender<Arc<str>>,
    done_sent: bool,
    /// The network as `/network.json` serves it, kept equal to `file`.
    published: Arc<std::sync::Mutex<NetworkFile>>,
}

/// Builds `file`'s simulation (as `vnet run` does).
pub(crate) fn build(
    file: &NetworkFile,
    path: Option<&std::path::Path>,
    seed: u64,
) -> Result<Simulation, String> {
    let base = path
        .and_then(|p| p.parent())
        .unwrap_or(std::path::Path::new("."));
    file.instantiate_at(
        &ProgramRegistry::with_devices(),
        Some(seed),
        base,
        &VmConfig::default(),
    )
    .map_err(|e| e.to_string())
}

fn frame(m: &ServerMessage) -> Arc<str> {
    // Every message is plain data: it serialises.
    serde_json::to_string(m).unwrap_or_default().into()
}

impl Session {
    fn new(
        file: NetworkFile,
        path: Option<PathBuf>,
        seed: u64,
        out: broadcast::Sender<Arc<str>>,
        published: Arc<std::sync::Mutex<NetworkFile>>,
    ) -> Result<Self, String> {
        let sim = build(&file, path.as_deref(), seed)?;
        let mut s = Session {
            file,
            path,
            seed,
            sim,
            hash: Rc::default(),
            seen: Rc::default(),
            events: 0,
            running: None,
            out,
            done_sent: false,
            published,
        };
        s.observe();
        Ok(s)
    }

    fn observe(&mut self) {
        self.hash = Rc::default();
        self.seen = Rc::default();
        let sinks: Vec<Box<dyn TraceSink>> =
            vec![Box::new(self.hash.clone()), Box::new(self.seen.clone())];
        self.sim.set_trace(Box::new(Tee(sinks)));
    }

    fn clock(&mut self) -> Clock {
        Clock {
            t_ns: self.sim.now().as_nanos(),
            events: self.events,
            running: self.running.is_some(),
            seed: self.seed,
            idle: self.sim.next_event_time().is_none(),
        }
    }

    fn hello(&mut self) -> Arc<str> {
        frame(&ServerMessage::Hello {
            network: serde_json::to_value(&self.file).unwrap_or_default(),
            positions: crate::positions(&self.file),
            clock: self.clock(),
            file: self.path.as_ref().map(|p| p.display().to_string()),
        })
    }

    fn broadcast(&self, m: &ServerMessage) {
        // No browser connected is fine: nobody to tell.
        let _ = self.out.send(frame(m));
    }

    /// Sends what happened since the last batch (if anything did, or `always`).
    fn batch(&mut self, always: bool) {
        let logs = self.sim.take_logs();
        let seen = std::mem::take(&mut *self.seen.borrow_mut());
        self.seen.borrow_mut().deliveries = seen.deliveries;
        if !always && logs.is_empty() && seen.total == 0 {
            return;
        }
        let net = self.sim.network();
        let logs = logs
            .into_iter()
            .map(|l| LogEntry {
                t_ns: l.time.as_nanos(),
                node: net.node(l.node).map_or("?", |n| n.name()).to_owned(),
                worker: l.worker.0,
                err: l.stream == LogStream::Err,
                text: l.text,
            })
            .collect();
        let clock = self.clock();
        self.broadcast(&ServerMessage::Batch {
            clock,
            logs,
            messages: seen.kept,
            messages_total: seen.total,
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
        self.events += 1;
        true
    }

    fn handle(&mut self, m: ClientMessage) -> Result<(), String> {
        match m {
            ClientMessage::Run { speed } => {
                let pace = speed.map(|k| (k, Instant::now(), self.sim.now()));
                self.running = Some(pace);
                self.batch(true);
            }
            ClientMessage::Pause => {
                self.running = None;
                self.batch(true);
            }
            ClientMessage::Step { until_message } => {
                self.running = None;
                let before = self.seen.borrow().deliveries;
                // At most a million events looking for a delivery.
                for _ in 0..1_000_000 {
                    if !self.step_one() || !until_message {
                        break;
                    }
                    if self.seen.borrow().deliveries > before {
                        break;
                    }
                }
                self.batch(true);
            }
            ClientMessage::Reset { seed } => {
                let seed = seed.unwrap_or(self.seed);
                let sim = build(&self.file, self.path.as_deref(), seed)?;
                self.sim = sim;
                self.seed = seed;
                self.events = 0;
                self.running = None;
                self.done_sent = false;
                self.observe();
                let hello = self.hello();
                let _ = self.out.send(hello);
            }
            ClientMessage::Eval { node, worker, code } => {
                let id = self
                    .sim
                    .network()
                    .node_by_name(&node)
                    .ok_or_else(|| format!("no node `{node}`"))?;
                let now = self.sim.now();
                let vm = self
                    .sim
                    .program_mut(id, WorkerId(worker))
                    .and_then(|p| p.as_any_mut())
                    .and_then(|a| a.downcast_mut::<VmProgram>())
                    .ok_or_else(|| format!("node `{node}` has no Lua or JS worker {worker}"))?;
                let result = shell_eval(vm, &code, now);
                let (value, error) = match result {
                    Ok(v) => (Some(v), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                self.batch(false);
                self.broadcast(&ServerMessage::EvalResult {
                    node,
                    worker,
                    code,
                    value,
                    error,
                });
            }
            ClientMessage::MoveNode { node, pos } => {
                let i = self
                    .file
                    .nodes
                    .iter()
                    .position(|n| n.name == node)
                    .ok_or_else(|| format!("no node `{node}`"))?;
                let drawn = crate::positions(&self.file);
                let all_placed = self.file.nodes.iter().all(|n| n.pos.is_some());
                // The drawing's unit square back to the file's plane: the inverse of
                // `positions`' scaling, or the drawing itself when the file has no plane yet.
                let (lo, span) = if all_placed {
                    crate::bounds(&self.file)
                } else {
                    for (n, d) in self.file.nodes.iter_mut().zip(&drawn) {
                        n.pos = Some(*d);
                    }
                    ([0.0, 0.0], 1.0)
                };
                let at = [lo[0] + pos[0] * span, lo[1] + pos[1] * span];
                self.file.nodes[i].pos = Some(at);
                for (k, n) in self.file.nodes.iter().enumerate() {
                    if let Some(p) = n.pos {
                        self.sim
                            .set_position(vnet_sim::NodeId(k as u32), p)
                            .map_err(|e| e.to_string())?;
                    }
                }
                if let Ok(mut p) = self.published.lock() {
                    *p = self.file.clone();
                }
                self.broadcast(&ServerMessage::Positions {
                    positions: crate::positions(&self.file),
                });
            }
            ClientMessage::Save => {
                let path = self
                    .path
                    .clone()
                    .ok_or("the studio was opened without a file: download the network instead")?;
                self.file.save(&path).map_err(|e| e.to_string())?;
                self.broadcast(&ServerMessage::Saved {
                    file: path.display().to_string(),
                });
            }
        }
        Ok(())
    }

    /// Runs for one batch interval.
    fn run_slice(&mut self) {
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
            self.events += 1;
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

/// A shell line at the simulation's time `now`, as Lua's own REPL reads one: in Lua, first as an expression (`return …`),
/// and only if that does not compile, as a statement; JavaScript's completion value needs no
/// such help.
fn shell_eval(
    vm: &mut VmProgram,
    code: &str,
    now: SimTime,
) -> Result<serde_json::Value, vnet_sim::vm::EvalError> {
    if vm.lang() != vnet_sim::vm::Lang::Lua {
        return vm.eval_at(code, now);
    }
    match vm.eval_at(&format!("return {code}"), now) {
        // A syntax error says where ("… near 'x'") and happens before anything runs.
        Err(e) if is_syntax_error(&e.to_string()) => vm.eval_at(code, now),
        other => other,
    }
}

fn is_syntax_error(message: &str) -> bool {
    (message.contains(" near ") || message.contains("<eof>")) && !message.contains("attempt to")
}

/// The session thread's body: builds the simulation, then serves commands until every sender
/// is gone.
pub(crate) fn run(
    file: NetworkFile,
    path: Option<PathBuf>,
    seed: u64,
    commands: Receiver<Command>,
    out: broadcast::Sender<Arc<str>>,
    published: Arc<std::sync::Mutex<NetworkFile>>,
) {
    let mut s = match Session::new(file, path, seed, out, published) {
        Ok(s) => s,
        // `start` built it once already: this cannot fail on a file that built there.
        Err(_) => return,
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
        } else if !s.done_sent && s.sim.next_event_time().is_none() && s.events > 0 {
            s.done();
        }
    }
}
