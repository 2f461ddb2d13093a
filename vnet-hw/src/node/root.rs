//! The root of a P-node: its sessions, workers, ports and links, and the CMUX rule that joins
//! them — a message a worker sends on a port goes to every link of the port, to every other
//! worker attached to it, and to the port's readers (`port.recv`).
//!
//! One mutex guards the state; nothing blocks while holding it (worker threads are fed through
//! non-blocking injectors, links through bounded channels). Long-polls wait on [`Notify`]s.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde_json::Value;
use tokio::sync::{Notify, mpsc};
use vnet_sim::realtime::Injector;
use vnet_sim::vm::CancelFlag;
use vnet_sim::{LogStream, Message, PortId, RecordValue, WorkerState};

use super::queue::SeqQueue;
use super::worker::{ME, Program, Uplink};
use super::{Limits, NodeConfig};
use crate::nmp::rpc::{RpcError, code};
use crate::nmp::schema::{self, LinkEnd, Stream, VmState};

/// Bytes of one output line kept in an event (longer ones are cut).
pub(crate) const MAX_LINE: usize = 16 << 10;

/// Bytes an event is counted beyond its text (its number, worker and stream), so that a
/// flood of empty lines is bounded by the byte limit too.
const EVENT_OVERHEAD: usize = 64;

/// Ended workers remembered for `vm.list` before the oldest are forgotten.
pub(crate) const ENDED_KEPT: usize = 1024;

/// An output event of a session's worker: a printed line, or the end of the worker.
#[derive(Clone, Debug)]
pub(crate) struct IoEvent {
    pub vm: u32,
    pub stream: Stream,
    pub text: String,
    /// A record's value.
    pub value: Option<Value>,
}

/// A client's session: its workers and their output.
pub(crate) struct Session {
    pub vms: Vec<u32>,
    pub events: SeqQueue<IoEvent>,
    pub notify: Arc<Notify>,
    pub last_seen: Instant,
    /// Open `io.subscribe`s: a subscribed session is in use, and never times out.
    pub subscribers: usize,
}

impl Session {
    fn new(limits: &Limits) -> Session {
        Session {
            vms: Vec::new(),
            events: SeqQueue::new(limits.max_queue, limits.max_queue_bytes),
            notify: Arc::new(Notify::new()),
            last_seen: Instant::now(),
            subscribers: 0,
        }
    }

    /// Whether nobody has used the session for `timeout`.
    pub fn is_stale(&self, timeout: std::time::Duration) -> bool {
        self.subscribers == 0 && self.last_seen.elapsed() > timeout
    }

    /// Up to `max` events after `after`, as `io.poll` and `io.event` carry them.
    pub fn events_after(&self, after: u64, max: usize) -> schema::Events {
        schema::Events {
            events: self
                .events
                .after(after, max)
                .into_iter()
                .map(|(seq, e)| schema::Event {
                    seq,
                    vm: e.vm,
                    stream: e.stream,
                    text: e.text,
                    value: e.value,
                })
                .collect(),
            last: self.events.last_seq(),
            dropped: self.events.dropped(),
        }
    }
}

pub(crate) struct Worker {
    /// What it runs (a platform's placed agents are not kept).
    pub program: Program,
    pub session: String,
    pub state: WorkerState,
    pub injector: Injector,
    pub cancel: CancelFlag,
    /// Root port indexes, in the worker's port order.
    pub ports: Vec<usize>,
    /// What `vm.create` gave as `params`, for `net.save`.
    pub params: Option<serde_json::Map<String, Value>>,
}

impl Worker {
    /// Whether it is the node's agent platform.
    pub fn is_platform(&self) -> bool {
        matches!(self.program, Program::Platform { .. })
    }
}

/// A port of the node: its links, and what its workers sent for `port.recv`.
pub(crate) struct Port {
    pub name: String,
    /// Where it forwards (a port on another node), and the forwarder's queue.
    pub links: BTreeMap<LinkEnd, mpsc::Sender<Value>>,
    /// What workers sent on it, for `port.recv`.
    pub inbox: SeqQueue<Value>,
    pub notify: Arc<Notify>,
    /// Messages a full link queue refused.
    pub link_drops: u64,
}

impl Port {
    pub fn new(name: &str, limits: &Limits) -> Port {
        Port {
            name: name.to_owned(),
            links: BTreeMap::new(),
            inbox: SeqQueue::new(limits.max_queue, limits.max_queue_bytes),
            notify: Arc::new(Notify::new()),
            link_drops: 0,
        }
    }
}

#[derive(Default)]
struct Counters {
    messages_in: u64,
    messages_out: u64,
}

/// Everything the root's lock guards, changed only through its operations.
pub(crate) struct State {
    sessions: BTreeMap<String, Session>,
    workers: BTreeMap<u32, Worker>,
    next_vm: u32,
    ports: Vec<Port>,
    counters: Counters,
}

/// The root: configuration and the guarded state.
pub(crate) struct Root {
    pub config: NodeConfig,
    pub started: Instant,
    /// With a profile: the profile's memory, shared by all the node's workers.
    pub node_memory: Option<vnet_sim::vm::NodeMemoryCap>,
    state: Mutex<State>,
}

impl Root {
    pub fn new(config: NodeConfig) -> Arc<Root> {
        Arc::new(Root {
            node_memory: config
                .profile
                .as_ref()
                .map(|p| vnet_sim::vm::NodeMemoryCap::new(p.memory_cap)),
            config,
            started: Instant::now(),
            state: Mutex::new(State {
                sessions: BTreeMap::new(),
                workers: BTreeMap::new(),
                next_vm: 1,
                ports: Vec::new(),
                counters: Counters::default(),
            }),
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.config.limits
    }

    /// The state; a panic elsewhere while holding it does not take the node down.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    /// Opens a session; its id.
    pub fn open_session(&mut self, limits: &Limits) -> Result<String, RpcError> {
        if self.sessions.len() >= limits.max_sessions {
            return Err(limit("sessions", limits.max_sessions));
        }
        let id = hex::encode(rand::random::<[u8; 16]>());
        self.sessions.insert(id.clone(), Session::new(limits));
        Ok(id)
    }

    /// Session `id`, marked as used now.
    pub fn session(&mut self, id: &str) -> Result<&mut Session, RpcError> {
        let s = self.sessions.get_mut(id).ok_or_else(|| no_session(id))?;
        s.last_seen = Instant::now();
        Ok(s)
    }

    /// Session `id`, not marked as used (for pushes and the reaper).
    pub fn session_unmarked(&mut self, id: &str) -> Option<&mut Session> {
        self.sessions.get_mut(id)
    }

    /// Closes every session nobody has used for `timeout`.
    pub fn close_stale_sessions(&mut self, timeout: std::time::Duration) {
        let stale: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.is_stale(timeout))
            .map(|(id, _)| id.clone())
            .collect();
        for id in stale {
            self.close_session(&id);
        }
    }

    /// Closes every session and kills every worker (the node is shutting down).
    pub fn close_all(&mut self) {
        let ids: Vec<String> = self.sessions.keys().cloned().collect();
        for id in ids {
            self.close_session(&id);
        }
        let vms: Vec<u32> = self.workers.keys().copied().collect();
        for vm in vms {
            self.kill(vm);
        }
    }

    /// Worker `vm`.
    pub fn worker(&self, vm: u32) -> Option<&Worker> {
        self.workers.get(&vm)
    }

    /// Workers alive now.
    pub fn alive_workers(&self) -> usize {
        self.workers.values().filter(|w| w.state.is_alive()).count()
    }

    /// Records a new worker of `session` under the next id, made by `start` (which starts
    /// its thread); the id.
    pub fn add_worker(
        &mut self,
        session: &str,
        start: impl FnOnce(u32) -> Result<Worker, RpcError>,
    ) -> Result<u32, RpcError> {
        self.session(session)?;
        let vm = self.next_vm;
        let worker = start(vm)?;
        self.next_vm += 1;
        self.workers.insert(vm, worker);
        self.session(session)?.vms.push(vm);
        Ok(vm)
    }

    /// The live agent platform, if the node hosts agents: its id and worker.
    pub fn platform(&self) -> Option<(u32, &Worker)> {
        self.workers
            .iter()
            .find(|(_, w)| w.is_platform() && w.state.is_alive())
            .map(|(&vm, w)| (vm, w))
    }

    /// Every worker as `vm.list` shows it (a platform is not a program: `agents.list` shows it).
    pub fn vm_infos(&self) -> Vec<schema::VmInfo> {
        self.workers
            .iter()
            .filter_map(|(&vm, w)| match &w.program {
                Program::Vm { lang, .. } => Some((vm, w, *lang)),
                Program::Platform { .. } => None,
            })
            .map(|(vm, w, lang)| schema::VmInfo {
                vm,
                lang,
                ports: w
                    .ports
                    .iter()
                    .map(|&p| self.ports[p].name.clone())
                    .collect(),
                session: w.session.clone(),
                state: vm_state(w.state),
            })
            .collect()
    }

    /// The node as `node.info` shows it (but for what the configuration says).
    pub fn load(&self) -> schema::Load {
        schema::Load {
            messages_in: self.counters.messages_in,
            messages_out: self.counters.messages_out,
            sessions: self.sessions.len() as u64,
            workers_alive: self.alive_workers() as u64,
        }
    }

    /// The ports as `node.info` shows them.
    pub fn port_infos(&self) -> Vec<schema::PortInfo> {
        self.ports
            .iter()
            .map(|p| schema::PortInfo {
                name: p.name.clone(),
                links: p.links.keys().cloned().collect(),
                queued: p.inbox.len() as u64,
                dropped: p.inbox.dropped(),
                link_drops: p.link_drops,
            })
            .collect()
    }

    /// The ports, their links and the live workers, as `net.save` returns them.
    pub fn saved(&self) -> schema::SavedNetwork {
        schema::SavedNetwork {
            ports: self
                .ports
                .iter()
                .map(|p| schema::SavedPort {
                    name: p.name.clone(),
                    links: p.links.keys().cloned().collect(),
                })
                .collect(),
            workers: self
                .workers
                .values()
                .filter(|w| w.state.is_alive())
                .filter_map(|w| match &w.program {
                    Program::Vm { lang, code } => Some((w, *lang, code)),
                    Program::Platform { .. } => None,
                })
                .map(|(w, lang, code)| schema::SavedWorker {
                    lang,
                    code: code.clone(),
                    params: w.params.clone(),
                    ports: Some(
                        w.ports
                            .iter()
                            .map(|&i| self.ports[i].name.clone())
                            .collect(),
                    ),
                })
                .collect(),
        }
    }

    /// The index of port `name`.
    pub fn port_index(&self, name: &str) -> Option<usize> {
        self.ports.iter().position(|p| p.name == name)
    }

    /// The index of port `name`, or `-32005`.
    pub fn port_of(&self, name: &str) -> Result<usize, RpcError> {
        self.port_index(name).ok_or_else(|| {
            RpcError::new(
                code::NO_SUCH_PORT,
                format!("no port `{}`", name.chars().take(64).collect::<String>()),
            )
        })
    }

    /// The port at `index` (from [`port_of`](Self::port_of)).
    pub fn port(&mut self, index: usize) -> &mut Port {
        &mut self.ports[index]
    }

    /// Ports there are.
    pub fn port_count(&self) -> usize {
        self.ports.len()
    }

    /// Adds a port (its name checked and free).
    pub fn add_port(&mut self, port: Port) {
        self.ports.push(port);
    }

    /// Hands `value` on root port `port` to every live worker attached to it but `except`.
    fn hand_to_workers(&mut self, port: usize, value: &Value, except: Option<u32>) {
        for (id, w) in &self.workers {
            if Some(*id) == except || !w.state.is_alive() {
                continue;
            }
            if let Some(i) = w.ports.iter().position(|&p| p == port) {
                let msg = Message::value(value.clone());
                if w.injector.message(ME, Some(PortId(i as u16)), msg).is_ok() {
                    self.counters.messages_in += 1;
                }
            }
        }
    }

    /// Forwards `value` over every link of root port `port`.
    fn forward_on_links(&mut self, port: usize, value: &Value) {
        let p = &mut self.ports[port];
        for tx in p.links.values() {
            if tx.try_send(value.clone()).is_err() {
                p.link_drops += 1;
            }
        }
    }

    /// CMUX: `value` (of `size` bytes) sent on root port `port` by worker `from` (or by a
    /// client, `None`).
    pub fn send_on_port(&mut self, port: usize, value: Value, size: usize, from: Option<u32>) {
        self.counters.messages_out += 1;
        self.forward_on_links(port, &value);
        self.hand_to_workers(port, &value, from);
        // Only what workers send is kept for `port.recv`.
        if from.is_some() {
            let p = &mut self.ports[port];
            p.inbox.push(value, size);
            p.notify.notify_waiters();
        }
    }

    /// A message from a link: to the port's attached workers.
    pub fn deliver_on_port(&mut self, port: usize, value: Value) {
        self.hand_to_workers(port, &value, None);
    }

    /// Kills worker `vm` (its thread stops at its next hook call or block).
    pub fn kill(&mut self, vm: u32) -> bool {
        let Some(w) = self.workers.get_mut(&vm) else {
            return false;
        };
        if w.state.is_alive() {
            w.cancel.raise();
            let _ = w.injector.stop();
            w.state = WorkerState::Killed;
        }
        true
    }

    /// Closes session `id`: kills its workers and forgets them.
    pub fn close_session(&mut self, id: &str) -> bool {
        let Some(s) = self.sessions.remove(id) else {
            return false;
        };
        for vm in s.vms {
            self.kill(vm);
            self.workers.remove(&vm);
        }
        s.notify.notify_waiters();
        true
    }

    /// Forgets the oldest ended workers beyond [`ENDED_KEPT`] (their code and record).
    pub fn forget_ended(&mut self) {
        let ended: Vec<u32> = self
            .workers
            .iter()
            .filter(|(_, w)| !w.state.is_alive())
            .map(|(id, _)| *id)
            .collect();
        for vm in ended.iter().take(ended.len().saturating_sub(ENDED_KEPT)) {
            if let Some(w) = self.workers.remove(vm) {
                if let Some(s) = self.sessions.get_mut(&w.session) {
                    s.vms.retain(|v| v != vm);
                }
            }
        }
    }

    fn push_event(&mut self, vm: u32, stream: Stream, text: String) {
        self.push(IoEvent {
            vm,
            stream,
            text,
            value: None,
        });
    }

    fn push(&mut self, event: IoEvent) {
        let Some(w) = self.workers.get(&event.vm) else {
            return;
        };
        if let Some(s) = self.sessions.get_mut(&w.session) {
            let value_len = event.value.as_ref().map_or(0, |v| v.to_string().len());
            let bytes = event.text.len() + value_len + EVENT_OVERHEAD;
            s.events.push(event, bytes);
            s.notify.notify_waiters();
        }
    }
}

/// `-32002` for session `id`.
pub(crate) fn no_session(id: &str) -> RpcError {
    RpcError::new(
        code::NO_SUCH_SESSION,
        format!(
            "no open session `{}` (closed, or timed out)",
            id.chars().take(64).collect::<String>()
        ),
    )
}

/// `-32003` for a limit of `n` `what`.
pub(crate) fn limit(what: &str, n: usize) -> RpcError {
    RpcError::new(code::LIMIT, format!("limit reached: at most {n} {what}"))
}

/// A worker state as NMP names it.
pub(crate) fn vm_state(s: WorkerState) -> VmState {
    match s {
        WorkerState::Starting | WorkerState::Running => VmState::Running,
        WorkerState::Waiting => VmState::Waiting,
        WorkerState::Finished => VmState::Finished,
        WorkerState::Failed => VmState::Failed,
        WorkerState::Killed | WorkerState::Crashed => VmState::Killed,
    }
}

impl Uplink for Root {
    fn sent(&self, vm: u32, port: usize, msg: &Message) {
        let max = self.limits().max_body;
        let mut st = self.lock();
        let Some(root_port) = st.workers.get(&vm).and_then(|w| w.ports.get(port).copied()) else {
            return;
        };
        // What could not be carried in one NMP body is not queued either.
        if msg.size() as usize > max {
            let name = st.ports[root_port].name.clone();
            let text = format!(
                "a message of {} bytes sent on port `{name}` was dropped: the limit is {max}",
                msg.size()
            );
            st.push_event(vm, Stream::Err, text);
            return;
        }
        st.send_on_port(
            root_port,
            crate::message_json(msg),
            msg.size() as usize,
            Some(vm),
        );
    }

    fn output(&self, vm: u32, stream: LogStream, text: String) {
        let stream = match stream {
            LogStream::Out => Stream::Out,
            LogStream::Err => Stream::Err,
        };
        self.lock()
            .push_event(vm, stream, vnet_sim::vm::cut_line(text, MAX_LINE));
    }

    fn recorded(&self, vm: u32, name: String, value: &RecordValue) {
        // NaN and the infinities have no JSON form: they go as null, as in a JSON-lines file.
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.lock().push(IoEvent {
            vm,
            stream: Stream::Record,
            text: vnet_sim::vm::cut_line(name, MAX_LINE),
            value: Some(value),
        });
    }

    fn blocked(&self, vm: u32, state: WorkerState) {
        if let Some(w) = self.lock().workers.get_mut(&vm) {
            // Never revive a worker the root has killed.
            if w.state.is_alive() {
                w.state = state;
            }
        }
    }

    fn ended(&self, vm: u32, state: WorkerState) {
        let mut st = self.lock();
        let Some(w) = st.workers.get_mut(&vm) else {
            return;
        };
        // A kill from the root is already recorded; the thread reports how it stopped.
        if w.state.is_alive() {
            w.state = state;
        }
        let end = vm_state(w.state);
        st.push_event(vm, Stream::State, end.as_str().to_owned());
    }
}
