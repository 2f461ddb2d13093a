//! NMP's methods on a P-node: parameters checked and named in errors, then the root's state
//! changed under its lock. Long-polls (`io.poll`, `port.recv`) wait outside the lock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tokio::sync::Notify;
use vnet_sim::vm::Lang;

use super::queue::SeqQueue;
use super::root::{Root, Session, State, state_name};
use super::worker;
use super::{ops, snapshot};
use crate::nmp::method as m;
use crate::nmp::rpc::{RpcError, code};

/// The longest a long-poll waits.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// The named parameters of one call.
struct Params<'a>(&'a Map<String, Value>);

impl<'a> Params<'a> {
    pub(super) fn str(&self, name: &str) -> Result<&'a str, RpcError> {
        match self.0.get(name) {
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(RpcError::params(format!("`{name}` must be a string"))),
            None => Err(RpcError::params(format!("missing parameter `{name}`"))),
        }
    }
    /// An optional integer: absent is `default`; anything but a non-negative integer
    /// (`null` included) is refused.
    fn u64_or(&self, name: &str, default: u64) -> Result<u64, RpcError> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v.as_u64().ok_or_else(|| {
                RpcError::params(format!("`{name}` must be a non-negative integer"))
            }),
        }
    }
    fn u64(&self, name: &str) -> Result<u64, RpcError> {
        match self.0.get(name) {
            None => Err(RpcError::params(format!("missing parameter `{name}`"))),
            Some(_) => self.u64_or(name, 0),
        }
    }
    fn vm(&self) -> Result<u32, RpcError> {
        let vm = self.u64("vm")?;
        u32::try_from(vm).map_err(|_| RpcError::new(code::NO_SUCH_VM, format!("no vm {vm}")))
    }
    /// An optional string.
    fn str_opt(&self, name: &str) -> Result<Option<&'a str>, RpcError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(_) => self.str(name).map(Some),
        }
    }
    /// Refuses parameters `method` does not take, naming the first.
    fn only(&self, method: &str, known: &[&str]) -> Result<(), RpcError> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => Err(RpcError::params(format!(
                "unknown parameter `{}` for {method} (it takes: {})",
                k.chars().take(64).collect::<String>(),
                if known.is_empty() {
                    "nothing".to_owned()
                } else {
                    known.join(", ")
                }
            ))),
        }
    }
    pub(super) fn value(&self, name: &str) -> Result<&'a Value, RpcError> {
        self.0
            .get(name)
            .ok_or_else(|| RpcError::params(format!("missing parameter `{name}`")))
    }
    fn wait(&self) -> Result<Duration, RpcError> {
        Ok(Duration::from_millis(self.u64_or("timeout_ms", 0)?).min(MAX_WAIT))
    }
}

/// Runs one call.
pub(crate) async fn call(
    root: &Arc<Root>,
    method: &str,
    params: &Value,
) -> Result<Value, RpcError> {
    let empty = Map::new();
    let p = match params {
        Value::Object(o) => Params(o),
        _ => Params(&empty),
    };
    if let Some(known) = m::params_of(method) {
        p.only(method, known)?;
    }
    match method {
        m::SESSION_OPEN => session_open(root),
        m::SESSION_RESUME => with_session(root, &p, |_, id, s| {
            Ok(json!({"session": id, "last": s.events.last_seq(), "dropped": s.events.dropped()}))
        }),
        m::SESSION_CLOSE => {
            let id = p.str("session")?;
            if root.lock().close_session(id) {
                Ok(json!({"closed": true}))
            } else {
                Err(ops::no_session(id))
            }
        }
        m::NODE_INFO => Ok(node_info(root)),
        m::VM_CREATE => vm_create(root, &p),
        m::VM_KILL => {
            let vm = p.vm()?;
            with_session(root, &p, |st, _, _| {
                let was = st.workers.get(&vm).map(|w| w.state.is_alive());
                match was {
                    None => Err(RpcError::new(code::NO_SUCH_VM, format!("no vm {vm}"))),
                    Some(alive) => {
                        st.kill(vm);
                        Ok(json!({"vm": vm, "killed": alive}))
                    }
                }
            })
        }
        m::VM_LIST => {
            let st = root.lock();
            Ok(Value::Array(
                st.workers
                    .iter()
                    .map(|(id, w)| st.worker_json(*id, w))
                    .collect(),
            ))
        }
        m::VM_EVAL => vm_eval(root, &p).await,
        m::IO_POLL => io_poll(root, &p).await,
        m::IO_ACK => {
            let seq = p.u64("seq")?;
            with_session(root, &p, |_, _, s| {
                s.events.ack(seq);
                Ok(json!({"acked": seq}))
            })
        }
        m::PORT_CREATE => port_create(root, &p),
        m::PORT_LINK => port_link(root, &p, true),
        m::PORT_UNLINK => port_link(root, &p, false),
        m::PORT_SEND => {
            let value = p.value("value")?.clone();
            let mut st = root.lock();
            let i = ops::port_of(&st, p.str("port")?)?;
            // A client's message is not kept for `port.recv`: its size does not matter.
            st.send_on_port(i, value, 0, None);
            Ok(json!({"sent": true}))
        }
        m::PORT_RECV => port_recv(root, &p).await,
        m::PORT_DELIVER => {
            let Value::Array(msgs) = p.value("messages")? else {
                return Err(RpcError::params("`messages` must be an array"));
            };
            // Who sent them, for the record; optional.
            p.str_opt("from")?;
            let mut st = root.lock();
            let i = ops::port_of(&st, p.str("port")?)?;
            for v in msgs {
                st.deliver_on_port(i, v.clone());
            }
            Ok(json!({"delivered": msgs.len()}))
        }
        m::NET_SAVE => Ok(snapshot::net_save(&root.lock())),
        m::NET_LOAD => snapshot::net_load(root, p.str("session")?, p.value("network")?),
        m::IO_SUBSCRIBE => Err(RpcError::new(
            code::INVALID_REQUEST,
            "io.subscribe is only available over the WebSocket (/nmp/ws)",
        )),
        other => Err(RpcError::new(
            code::METHOD_NOT_FOUND,
            format!("no method `{}`", other.chars().take(64).collect::<String>()),
        )),
    }
}

/// Runs `f` on the session named by the `session` parameter, marking it seen.
fn with_session<R>(
    root: &Root,
    p: &Params,
    f: impl FnOnce(&mut State, &str, &mut Session) -> Result<R, RpcError>,
) -> Result<R, RpcError> {
    let id = p.str("session")?;
    let mut st = root.lock();
    let mut s = st.sessions.remove(id).ok_or_else(|| ops::no_session(id))?;
    s.last_seen = Instant::now();
    let r = f(&mut st, id, &mut s);
    st.sessions.insert(id.to_owned(), s);
    r
}

fn session_open(root: &Root) -> Result<Value, RpcError> {
    let mut st = root.lock();
    if st.sessions.len() >= root.limits().max_sessions {
        return Err(ops::limit("sessions", root.limits().max_sessions));
    }
    let id = hex::encode(rand::random::<[u8; 16]>());
    st.sessions.insert(
        id.clone(),
        Session {
            vms: Vec::new(),
            events: SeqQueue::new(root.limits().max_queue, root.limits().max_queue_bytes),
            notify: Arc::new(Notify::new()),
            last_seen: Instant::now(),
            subscribers: 0,
        },
    );
    Ok(json!({"session": id, "node": root.config.name}))
}

fn node_info(root: &Root) -> Value {
    let st = root.lock();
    let alive = st.workers.values().filter(|w| w.state.is_alive()).count();
    json!({
        "name": root.config.name,
        "profile": root.config.profile.as_ref().map(|p| p.name.clone()),
        "uptime_ms": root.started.elapsed().as_millis() as u64,
        "vms": st.workers.iter().map(|(id, w)| st.worker_json(*id, w)).collect::<Vec<_>>(),
        "ports": st.ports.iter().map(|p| json!({
            "name": p.name,
            "links": p.links.keys().collect::<Vec<_>>(),
            "queued": p.inbox.len(),
            "dropped": p.inbox.dropped(),
            "link_drops": p.link_drops,
        })).collect::<Vec<_>>(),
        "load": {
            "sessions": st.sessions.len(),
            "workers_alive": alive,
            "messages_in": st.counters.messages_in,
            "messages_out": st.counters.messages_out,
        },
    })
}

fn lang_of(p: &Params) -> Result<Lang, RpcError> {
    ops::lang(p.str("lang")?)
}

/// The optional `ports` parameter: names of ports (default: every port of the node).
fn ports_param(p: &Params) -> Result<Option<Vec<String>>, RpcError> {
    match p.0.get("ports") {
        None => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|_| RpcError::params("`ports` must be an array of port names")),
    }
}

fn vm_create(root: &Arc<Root>, p: &Params) -> Result<Value, RpcError> {
    let lang = lang_of(p)?;
    let code = p.str("code")?;
    let id = p.str("session")?.to_owned();
    let mut st = root.lock();
    if !st.sessions.contains_key(&id) {
        return Err(ops::no_session(&id));
    }
    let ports = ops::port_indexes(&st, ports_param(p)?.as_deref())?;
    let vm = ops::start_worker(root, &mut st, &id, lang, code, ports)?;
    Ok(json!({"vm": vm}))
}

async fn vm_eval(root: &Arc<Root>, p: &Params<'_>) -> Result<Value, RpcError> {
    let vm = p.vm()?;
    let code = p.str("code")?.to_owned();
    let (tx, rx) = tokio::sync::oneshot::channel();
    with_session(root, p, |st, _, _| match st.workers.get(&vm) {
        Some(w) if w.state.is_alive() => {
            if worker::eval(&w.injector, code, tx) {
                Ok(())
            } else {
                Err(RpcError::new(code::VM_ERROR, format!("vm {vm} has ended")))
            }
        }
        Some(w) => Err(RpcError::new(
            code::VM_ERROR,
            format!("vm {vm} is {}", state_name(w.state)),
        )),
        None => Err(RpcError::new(code::NO_SUCH_VM, format!("no vm {vm}"))),
    })?;
    // A worker spinning in a loop answers when its budget stops it, or not at all if killed.
    match tokio::time::timeout(MAX_WAIT, rx).await {
        Ok(Ok(Ok(v))) => Ok(json!({"value": v})),
        Ok(Ok(Err(e))) => Err(RpcError::new(code::VM_ERROR, e)),
        Ok(Err(_)) => Err(RpcError::new(
            code::VM_ERROR,
            format!("vm {vm} ended before the eval ran"),
        )),
        Err(_) => Err(RpcError::new(
            code::VM_ERROR,
            format!("vm {vm} did not run the eval within {MAX_WAIT:?}"),
        )),
    }
}

/// Waits on `notify` until `ready` or the timeout; `ready` runs under the lock.
async fn long_poll<R>(
    root: &Root,
    notify: Arc<Notify>,
    wait: Duration,
    mut ready: impl FnMut(&mut State) -> Result<Option<R>, RpcError>,
) -> Result<Option<R>, RpcError> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(r) = ready(&mut root.lock())? {
            return Ok(Some(r));
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return Ok(None);
        }
    }
}

async fn io_poll(root: &Arc<Root>, p: &Params<'_>) -> Result<Value, RpcError> {
    let after = p.u64_or("after", 0)?;
    let max = p.u64_or("max", 1000)?.clamp(1, 10_000) as usize;
    let wait = p.wait()?;
    let id = p.str("session")?.to_owned();
    let notify = with_session(root, p, |_, _, s| {
        // Polling after `n` acknowledges everything up to it.
        s.events.ack(after);
        Ok(s.notify.clone())
    })?;
    let take = |st: &mut State| {
        let s = st
            .sessions
            .get_mut(&id)
            .ok_or_else(|| ops::no_session(&id))?;
        s.last_seen = Instant::now();
        Ok(s.events
            .has_after(after)
            .then(|| events_json(s, after, max)))
    };
    let got = long_poll(root, notify, wait, take).await?;
    match got {
        Some(v) => Ok(v),
        None => with_session(root, p, |_, _, s| Ok(events_json(s, after, max))),
    }
}

/// The events after `after`, as `io.poll` and `io.event` carry them.
pub(crate) fn events_json(s: &Session, after: u64, max: usize) -> Value {
    let events: Vec<Value> = s
        .events
        .after(after, max)
        .into_iter()
        .map(|(seq, e)| json!({"seq": seq, "vm": e.vm, "stream": e.stream, "text": e.text}))
        .collect();
    json!({"events": events, "last": s.events.last_seq(), "dropped": s.events.dropped()})
}

fn port_create(root: &Root, p: &Params) -> Result<Value, RpcError> {
    let name = p.str("name")?;
    ops::create_port(root, name)?;
    Ok(json!({"port": name}))
}

fn port_link(root: &Arc<Root>, p: &Params, link: bool) -> Result<Value, RpcError> {
    let port = p.str("port")?;
    let (url, remote) = (p.str("url")?, p.str("remote_port")?);
    if link {
        ops::link_port(root, port, url, remote)?;
        Ok(json!({"linked": true}))
    } else {
        ops::unlink_port(root, port, url, remote)?;
        Ok(json!({"unlinked": true}))
    }
}

async fn port_recv(root: &Arc<Root>, p: &Params<'_>) -> Result<Value, RpcError> {
    let name = p.str("port")?.to_owned();
    let after = p.u64_or("after", 0)?;
    let max = p.u64_or("max", 1000)?.clamp(1, 10_000) as usize;
    let wait = p.wait()?;
    let notify = {
        let mut st = root.lock();
        let i = ops::port_of(&st, &name)?;
        st.ports[i].inbox.ack(after);
        st.ports[i].notify.clone()
    };
    let take = |st: &mut State, force: bool| -> Result<Option<Value>, RpcError> {
        let i = ops::port_of(st, &name)?;
        let q = &st.ports[i].inbox;
        if !force && !q.has_after(after) {
            return Ok(None);
        }
        let msgs: Vec<Value> = q
            .after(after, max)
            .into_iter()
            .map(|(seq, v)| json!({"seq": seq, "value": v}))
            .collect();
        Ok(Some(
            json!({"messages": msgs, "last": q.last_seq(), "dropped": q.dropped()}),
        ))
    };
    match long_poll(root, notify, wait, |st| take(st, false)).await? {
        Some(v) => Ok(v),
        None => Ok(take(&mut root.lock(), true)?.unwrap_or(Value::Null)),
    }
}
