//! The node's operations with typed arguments — create and link ports, start workers — that
//! the NMP methods ([`super::methods`]) and `net.load` ([`super::snapshot`]) both adapt to.

use std::sync::Arc;

use tokio::sync::{Notify, mpsc};
use vnet_sim::WorkerState;
use vnet_sim::vm::{CancelFlag, Lang, VmConfig};

use super::links;
use super::queue::SeqQueue;
use super::root::{LinkTarget, Port, Root, State, Worker};
use super::worker::{self, WorkerSpec};
use crate::nmp::rpc::{RpcError, code};

/// `-32002` for session `id`.
pub(super) fn no_session(id: &str) -> RpcError {
    RpcError::new(
        code::NO_SUCH_SESSION,
        format!(
            "no open session `{}` (closed, or timed out)",
            id.chars().take(64).collect::<String>()
        ),
    )
}

/// `-32003` for a limit of `n` `what`.
pub(super) fn limit(what: &str, n: usize) -> RpcError {
    RpcError::new(code::LIMIT, format!("limit reached: at most {n} {what}"))
}

/// The index of port `name`, or `-32005`.
pub(super) fn port_of(st: &State, name: &str) -> Result<usize, RpcError> {
    st.port_index(name).ok_or_else(|| {
        RpcError::new(
            code::NO_SUCH_PORT,
            format!("no port `{}`", name.chars().take(64).collect::<String>()),
        )
    })
}

/// Creates a worker for `session` (checked by the caller's lock) and starts its thread.
pub(super) fn start_worker(
    root: &Arc<Root>,
    st: &mut State,
    session: &str,
    lang: Lang,
    code: &str,
    ports: Vec<usize>,
) -> Result<u32, RpcError> {
    let limits = root.limits();
    st.forget_ended();
    if st.workers.values().filter(|w| w.state.is_alive()).count() >= limits.max_workers {
        return Err(limit("live workers", limits.max_workers));
    }
    if code.len() > limits.max_code {
        return Err(limit("bytes of code", limits.max_code));
    }
    let vm = st.next_vm;
    st.next_vm += 1;
    let cancel = CancelFlag::new();
    let mut config = match &root.config.profile {
        Some(p) => VmConfig::on(p.clone()),
        None => VmConfig::default(),
    };
    config.cancel = Some(cancel.clone());
    // Lines are cut as they are printed, so unread output never holds a whole long line.
    config.max_line = super::root::MAX_LINE;
    // A profiled node's memory is shared by all its workers, each in a simulation of its own.
    config.node_memory = root.node_memory.as_ref().map(|m| m.scoped(vm));
    let spec = WorkerSpec {
        vm,
        lang,
        code: code.to_owned(),
        node_name: root.config.name.clone(),
        ports: ports.iter().map(|&i| st.ports[i].name.clone()).collect(),
        config,
    };
    let injector = worker::spawn(spec, root.clone()).map_err(|e| {
        RpcError::new(
            code::INTERNAL_ERROR,
            format!("cannot start a worker thread: {e}"),
        )
    })?;
    st.workers.insert(
        vm,
        Worker {
            lang,
            session: session.to_owned(),
            state: WorkerState::Running,
            injector,
            cancel,
            ports,
            code: code.to_owned(),
        },
    );
    if let Some(s) = st.sessions.get_mut(session) {
        s.vms.push(vm);
    }
    Ok(vm)
}

/// A worker language by its NMP name.
pub(super) fn lang(name: &str) -> Result<Lang, RpcError> {
    match name {
        "lua" => Ok(Lang::Lua),
        "js" => Ok(Lang::Js),
        other => Err(RpcError::params(format!(
            "`lang` must be \"lua\" or \"js\", not {:?}",
            other.chars().take(32).collect::<String>()
        ))),
    }
}

/// The indexes of the ports `names` (default: every port of the node).
pub(super) fn port_indexes(st: &State, names: Option<&[String]>) -> Result<Vec<usize>, RpcError> {
    match names {
        None => Ok((0..st.ports.len()).collect()),
        Some(names) => names.iter().map(|n| port_of(st, n)).collect(),
    }
}

fn port_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

/// Creates port `name` (a name of 1–64 characters of `[A-Za-z0-9_.-]`).
pub(super) fn create_port(root: &Root, name: &str) -> Result<(), RpcError> {
    if !port_name_ok(name) {
        return Err(RpcError::params(
            "a port name is 1-64 characters of [A-Za-z0-9_.-]",
        ));
    }
    let mut st = root.lock();
    if st.port_index(name).is_some() {
        return Err(RpcError::new(
            code::CONFLICT,
            format!("port `{name}` exists"),
        ));
    }
    if st.ports.len() >= root.limits().max_ports {
        return Err(limit("ports", root.limits().max_ports));
    }
    st.ports.push(Port {
        name: name.to_owned(),
        links: Default::default(),
        inbox: SeqQueue::new(root.limits().max_queue, root.limits().max_queue_bytes),
        notify: Arc::new(Notify::new()),
        link_drops: 0,
    });
    Ok(())
}

/// The link from `port` to `remote` on the node at `url`, checked.
fn link_target(url: &str, remote: &str) -> Result<LinkTarget, RpcError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 256 {
        return Err(RpcError::params(
            "`url` must be an http:// URL of a node (at most 256 characters)",
        ));
    }
    if !port_name_ok(remote) {
        return Err(RpcError::params("`remote_port` is not a port name"));
    }
    Ok(LinkTarget {
        url: url.trim_end_matches('/').to_owned(),
        port: remote.to_owned(),
    })
}

/// Forwards `port`'s messages to port `remote` of the node at `url`.
pub(super) fn link_port(
    root: &Arc<Root>,
    port: &str,
    url: &str,
    remote: &str,
) -> Result<(), RpcError> {
    let target = link_target(url, remote)?;
    let mut st = root.lock();
    let i = port_of(&st, port)?;
    let port = &mut st.ports[i];
    if port.links.contains_key(&target) {
        return Err(RpcError::new(
            code::CONFLICT,
            "the port is already linked there",
        ));
    }
    let (tx, rx) = mpsc::channel(root.limits().max_queue);
    links::spawn_forwarder(root.clone(), port.name.clone(), target.clone(), rx);
    port.links.insert(target, tx);
    Ok(())
}

/// Removes the link from `port` to port `remote` of the node at `url`.
pub(super) fn unlink_port(
    root: &Root,
    port: &str,
    url: &str,
    remote: &str,
) -> Result<(), RpcError> {
    let target = link_target(url, remote)?;
    let mut st = root.lock();
    let i = port_of(&st, port)?;
    match st.ports[i].links.remove(&target) {
        Some(_) => Ok(()),
        None => Err(RpcError::new(code::CONFLICT, "no such link")),
    }
}
