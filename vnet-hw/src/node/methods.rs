//! NMP's methods on a P-node: each request's parameters parsed into their schema type
//! ([`crate::nmp::schema`]: unknown, missing, `null` and ill-typed fields refused by name),
//! the root's state changed through its operations, and the reply built from its schema type.
//! Long-polls (`io.poll`, `port.recv`) wait outside the lock.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;

use super::root::{Root, State, vm_state};
use super::{agents, ops, snapshot, worker};
use crate::nmp::rpc::{RpcError, code};
use crate::nmp::schema::{self as s, Method, parse_params};

/// The longest a long-poll waits.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// Runs one call.
pub(crate) async fn call(
    root: &Arc<Root>,
    method: &str,
    params: &Value,
) -> Result<Value, RpcError> {
    match method {
        s::SessionOpen::NAME => reply(session_open(root, parse_params(params)?)),
        s::SessionResume::NAME => reply(session_resume(root, parse_params(params)?)),
        s::SessionClose::NAME => reply(session_close(root, parse_params(params)?)),
        s::NodeInfo::NAME => reply(node_info(root, parse_params(params)?)),
        s::VmCreate::NAME => reply(vm_create(root, parse_params(params)?)),
        s::VmKill::NAME => reply(vm_kill(root, parse_params(params)?)),
        s::VmList::NAME => {
            let s::NoParams {} = parse_params(params)?;
            reply(Ok(root.lock().vm_infos()))
        }
        s::VmEval::NAME => reply(vm_eval(root, parse_params(params)?).await),
        s::IoPoll::NAME => reply(io_poll(root, parse_params(params)?).await),
        s::IoAck::NAME => reply(io_ack(root, parse_params(params)?)),
        s::PortCreate::NAME => reply(port_create(root, parse_params(params)?)),
        s::PortLink::NAME => {
            let p: s::LinkParams = parse_params(params)?;
            ops::link_port(root, &p.port, &far_end(&p))?;
            reply(Ok(s::Linked { linked: true }))
        }
        s::PortUnlink::NAME => {
            let p: s::LinkParams = parse_params(params)?;
            ops::unlink_port(root, &p.port, &far_end(&p))?;
            reply(Ok(s::Unlinked { unlinked: true }))
        }
        s::PortSend::NAME => reply(port_send(root, parse_params(params)?)),
        s::PortRecv::NAME => reply(port_recv(root, parse_params(params)?).await),
        s::PortDeliver::NAME => reply(port_deliver(root, parse_params(params)?)),
        s::NetSave::NAME => {
            let s::NoParams {} = parse_params(params)?;
            reply(Ok(root.lock().saved()))
        }
        s::NetLoad::NAME => {
            // serde would read a struct from an array of its fields too.
            if params.get("network").is_some_and(|n| !n.is_object()) {
                return Err(RpcError::params(
                    "`network`: expected an object, as net.save returns",
                ));
            }
            reply(snapshot::net_load(root, parse_params(params)?))
        }
        s::AgentsStart::NAME => reply(agents::start(root, parse_params(params)?)),
        s::AgentsList::NAME => {
            let s::NoParams {} = parse_params(params)?;
            reply(agents::list(root).await)
        }
        s::IoSubscribe::NAME => Err(RpcError::new(
            code::INVALID_REQUEST,
            "io.subscribe is only available over the WebSocket (/nmp/ws)",
        )),
        other => Err(RpcError::new(
            code::METHOD_NOT_FOUND,
            format!("no method `{}`", other.chars().take(64).collect::<String>()),
        )),
    }
}

/// A method's typed result as the reply's JSON.
fn reply<R: Serialize>(r: Result<R, RpcError>) -> Result<Value, RpcError> {
    serde_json::to_value(r?)
        .map_err(|e| RpcError::new(code::INTERNAL_ERROR, format!("building the reply: {e}")))
}

fn far_end(p: &s::LinkParams) -> s::LinkEnd {
    s::LinkEnd {
        url: p.url.clone(),
        port: p.remote_port.clone(),
    }
}

fn session_open(root: &Root, _: s::NoParams) -> Result<s::Opened, RpcError> {
    let session = root.lock().open_session(root.limits())?;
    Ok(s::Opened {
        node: root.config.name.clone(),
        session,
    })
}

fn session_resume(root: &Root, p: s::SessionParams) -> Result<s::Resumed, RpcError> {
    let mut st = root.lock();
    let events = &st.session(&p.session)?.events;
    Ok(s::Resumed {
        last: events.last_seq(),
        dropped: events.dropped(),
        session: p.session,
    })
}

fn session_close(root: &Root, p: s::SessionParams) -> Result<s::Closed, RpcError> {
    if root.lock().close_session(&p.session) {
        Ok(s::Closed { closed: true })
    } else {
        Err(super::root::no_session(&p.session))
    }
}

fn node_info(root: &Root, _: s::NoParams) -> Result<s::Info, RpcError> {
    let st = root.lock();
    Ok(s::Info {
        name: root.config.name.clone(),
        profile: root.config.profile.as_ref().map(|p| p.name.clone()),
        uptime_ms: root.started.elapsed().as_millis() as u64,
        load: st.load(),
        ports: st.port_infos(),
        vms: st.vm_infos(),
    })
}

fn vm_create(root: &Arc<Root>, p: s::CreateParams) -> Result<s::Created, RpcError> {
    let mut st = root.lock();
    st.session(&p.session)?;
    let ports = ops::port_indexes(&st, p.ports.as_deref())?;
    let vm = ops::start_worker(
        root,
        &mut st,
        &p.session,
        worker::Program::Vm {
            lang: p.lang,
            code: p.code,
        },
        p.params.as_ref(),
        ports,
    )?;
    Ok(s::Created { vm })
}

fn vm_kill(root: &Root, p: s::VmParams) -> Result<s::Killed, RpcError> {
    let mut st = root.lock();
    st.session(&p.session)?;
    let alive = st
        .worker(p.vm)
        .map(|w| w.state.is_alive())
        .ok_or_else(|| no_vm(p.vm))?;
    st.kill(p.vm);
    Ok(s::Killed {
        vm: p.vm,
        killed: alive,
    })
}

fn no_vm(vm: u32) -> RpcError {
    RpcError::new(code::NO_SUCH_VM, format!("no vm {vm}"))
}

async fn vm_eval(root: &Arc<Root>, p: s::EvalParams) -> Result<s::Evaluated, RpcError> {
    let vm = p.vm;
    let (tx, rx) = tokio::sync::oneshot::channel();
    {
        let mut st = root.lock();
        st.session(&p.session)?;
        let w = st.worker(vm).ok_or_else(|| no_vm(vm))?;
        if !w.state.is_alive() {
            return Err(RpcError::new(
                code::VM_ERROR,
                format!("vm {vm} is {}", vm_state(w.state).as_str()),
            ));
        }
        if !worker::eval(&w.injector, p.code, tx) {
            return Err(RpcError::new(code::VM_ERROR, format!("vm {vm} has ended")));
        }
    }
    // A worker spinning in a loop answers when its budget stops it, or not at all if killed.
    match tokio::time::timeout(MAX_WAIT, rx).await {
        Ok(Ok(Ok(value))) => Ok(s::Evaluated { value }),
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

/// Waits on `notify` until `take(state, false)` has something, or the timeout; then returns
/// `take(state, true)`, what there is (`take` runs under the lock).
async fn long_poll<R: Default>(
    root: &Root,
    notify: Arc<Notify>,
    wait: Duration,
    mut take: impl FnMut(&mut State, bool) -> Result<Option<R>, RpcError>,
) -> Result<R, RpcError> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(r) = take(&mut root.lock(), false)? {
            return Ok(r);
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return take(&mut root.lock(), true).map(Option::unwrap_or_default);
        }
    }
}

/// A long-poll's wait and batch size from its optional parameters.
fn wait_and_max(timeout_ms: Option<u64>, max: Option<u64>) -> (Duration, usize) {
    (
        Duration::from_millis(timeout_ms.unwrap_or(0)).min(MAX_WAIT),
        max.unwrap_or(1000).clamp(1, 10_000) as usize,
    )
}

async fn io_poll(root: &Arc<Root>, p: s::PollParams) -> Result<s::Events, RpcError> {
    let after = p.after.unwrap_or(0);
    let (wait, max) = wait_and_max(p.timeout_ms, p.max);
    let notify = {
        let mut st = root.lock();
        let s = st.session(&p.session)?;
        // Polling after `n` acknowledges everything up to it.
        s.events.ack(after);
        s.notify.clone()
    };
    let take = |st: &mut State, force: bool| {
        let s = st.session(&p.session)?;
        Ok((force || s.events.has_after(after)).then(|| s.events_after(after, max)))
    };
    long_poll(root, notify, wait, take).await
}

fn io_ack(root: &Root, p: s::AckParams) -> Result<s::Acked, RpcError> {
    root.lock().session(&p.session)?.events.ack(p.seq);
    Ok(s::Acked { acked: p.seq })
}

fn port_create(root: &Root, p: s::PortCreateParams) -> Result<s::PortCreated, RpcError> {
    ops::create_port(root, &p.name)?;
    Ok(s::PortCreated { port: p.name })
}

fn port_send(root: &Root, p: s::SendParams) -> Result<s::Sent, RpcError> {
    let mut st = root.lock();
    let i = st.port_of(&p.port)?;
    // A client's message is not kept for `port.recv`: its size does not matter.
    st.send_on_port(i, p.value, 0, None);
    Ok(s::Sent { sent: true })
}

async fn port_recv(root: &Arc<Root>, p: s::RecvParams) -> Result<s::PortMessages, RpcError> {
    let after = p.after.unwrap_or(0);
    let (wait, max) = wait_and_max(p.timeout_ms, p.max);
    let notify = {
        let mut st = root.lock();
        let i = st.port_of(&p.port)?;
        let port = st.port(i);
        port.inbox.ack(after);
        port.notify.clone()
    };
    let take = |st: &mut State, force: bool| -> Result<Option<s::PortMessages>, RpcError> {
        let i = st.port_of(&p.port)?;
        let q = &st.port(i).inbox;
        if !force && !q.has_after(after) {
            return Ok(None);
        }
        Ok(Some(s::PortMessages {
            messages: q
                .after(after, max)
                .into_iter()
                .map(|(seq, value)| s::PortMessage { seq, value })
                .collect(),
            last: q.last_seq(),
            dropped: q.dropped(),
        }))
    };
    long_poll(root, notify, wait, take).await
}

fn port_deliver(root: &Root, p: s::DeliverParams) -> Result<s::Delivered, RpcError> {
    let mut st = root.lock();
    let i = st.port_of(&p.port)?;
    let delivered = p.messages.len() as u64;
    for v in p.messages {
        st.deliver_on_port(i, v);
    }
    Ok(s::Delivered { delivered })
}
