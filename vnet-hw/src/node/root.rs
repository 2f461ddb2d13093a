//! The root of a P-node: its sessions, workers, ports and links, and the CMUX rule that joins
//! them — a message a worker sends on a port goes to every link of the port, to every other
//! worker attached to it, and to the port's readers (`port.recv`).
//!
//! One mutex guards the state; nothing blocks while holding it (worker threads are fed through
//! non-blocking injectors, links through bounded channels). Long-polls wait on [`Notify`]s.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};
use vnet_sim::realtime::Injector;
use vnet_sim::vm::{CancelFlag, Lang};
use vnet_sim::{LogStream, Message, PortId, WorkerState};

use super::queue::SeqQueue;
use super::worker::{ME, Uplink};
use super::{Limits, NodeConfig};

/// Bytes of one output line kept in an event (longer ones are cut).
pub(crate) const MAX_LINE: usize = 16 << 10;

/// Bytes an event is counted beyond its text (its number, worker and stream), so that a
/// flood of empty lines is bounded by the byte limit too.
const EVENT_OVERHEAD: usize = 64;

/// Ended workers remembered for `vm.list` before the oldest are forgotten.
pub(crate) const ENDED_KEPT: usize = 1024;

/// An output event of a session's worker: a printed line, or the end of the worker.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct IoEvent {
    pub vm: u32,
    /// `out`, `err`, or `state`.
    pub stream: &'static str,
    pub text: String,
}

pub(crate) struct Session {
    pub vms: Vec<u32>,
    pub events: SeqQueue<IoEvent>,
    pub notify: Arc<Notify>,
    pub last_seen: Instant,
    /// Open `io.subscribe`s: a subscribed session is in use, and never times out.
    pub subscribers: usize,
}

impl Session {
    /// Whether nobody has used the session for `timeout`.
    pub fn is_stale(&self, timeout: std::time::Duration) -> bool {
        self.subscribers == 0 && self.last_seen.elapsed() > timeout
    }
}

pub(crate) struct Worker {
    pub lang: Lang,
    pub session: String,
    pub state: WorkerState,
    pub injector: Injector,
    pub cancel: CancelFlag,
    /// Root port indexes, in the worker's port order.
    pub ports: Vec<usize>,
    pub code: String,
}

/// Where a link forwards: a port on another node.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(crate) struct LinkTarget {
    pub url: String,
    pub port: String,
}

pub(crate) struct Port {
    pub name: String,
    pub links: BTreeMap<LinkTarget, mpsc::Sender<Value>>,
    /// What workers sent on it, for `port.recv`.
    pub inbox: SeqQueue<Value>,
    pub notify: Arc<Notify>,
    /// Messages a full link queue refused.
    pub link_drops: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub messages_in: u64,
    pub messages_out: u64,
}

pub(crate) struct State {
    pub sessions: BTreeMap<String, Session>,
    pub workers: BTreeMap<u32, Worker>,
    pub next_vm: u32,
    pub ports: Vec<Port>,
    pub counters: Counters,
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
    pub fn port_index(&self, name: &str) -> Option<usize> {
        self.ports.iter().position(|p| p.name == name)
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

    fn push_event(&mut self, vm: u32, stream: &'static str, text: String) {
        let Some(w) = self.workers.get(&vm) else {
            return;
        };
        if let Some(s) = self.sessions.get_mut(&w.session) {
            let bytes = text.len() + EVENT_OVERHEAD;
            s.events.push(IoEvent { vm, stream, text }, bytes);
            s.notify.notify_waiters();
        }
    }

    pub fn worker_json(&self, vm: u32, w: &Worker) -> Value {
        json!({
            "vm": vm,
            "lang": w.lang,
            "state": state_name(w.state),
            "session": w.session,
            "ports": w.ports.iter().map(|&p| self.ports[p].name.clone()).collect::<Vec<_>>(),
        })
    }
}

/// A worker state as NMP names it.
pub(crate) fn state_name(s: WorkerState) -> &'static str {
    match s {
        WorkerState::Starting | WorkerState::Running => "running",
        WorkerState::Waiting => "waiting",
        WorkerState::Finished => "finished",
        WorkerState::Failed => "failed",
        WorkerState::Killed => "killed",
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
            st.push_event(vm, "err", text);
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
            LogStream::Out => "out",
            LogStream::Err => "err",
        };
        self.lock()
            .push_event(vm, stream, vnet_sim::vm::cut_line(text, MAX_LINE));
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
        let name = state_name(w.state);
        st.push_event(vm, "state", name.to_owned());
    }
}
