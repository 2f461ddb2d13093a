//! The node's operations with typed arguments — create and link ports, start workers — that
//! the NMP methods ([`super::methods`]) and `net.load` ([`super::snapshot`]) both adapt to.

use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::sync::mpsc;
use vnet_sim::WorkerState;
use vnet_sim::vm::{CancelFlag, VmConfig};

use super::links;
use super::root::{MAX_LINE, Port, Root, State, Worker, limit};
use super::worker::{self, Program, WorkerSpec};
use crate::nmp::rpc::{RpcError, code};
use crate::nmp::schema::LinkEnd;

/// Starts a worker of `session` running `program` with `params` (what its `params()`
/// returns), attached to the root ports `ports`.
pub(super) fn start_worker(
    root: &Arc<Root>,
    st: &mut State,
    session: &str,
    program: Program,
    params: Option<&Map<String, Value>>,
    ports: Vec<usize>,
) -> Result<u32, RpcError> {
    let limits = root.limits();
    st.forget_ended();
    if st.alive_workers() >= limits.max_workers {
        return Err(limit("live workers", limits.max_workers));
    }
    let params_len = params.map_or(0, |p| Value::Object(p.clone()).to_string().len());
    let code_len = match &program {
        Program::Vm { code, .. } => code.len(),
        Program::Platform { placed, .. } => placed.iter().map(|p| p.code.len()).sum(),
    };
    if code_len + params_len > limits.max_code {
        return Err(limit("bytes of code and params", limits.max_code));
    }
    if let (Program::Platform { .. }, Some((vm, w))) = (&program, st.platform()) {
        return Err(RpcError::new(
            code::CONFLICT,
            format!(
                "the node hosts agents already: platform vm {vm} of session {}",
                w.session
            ),
        ));
    }
    let port_names: Vec<String> = ports.iter().map(|&i| st.port(i).name.clone()).collect();
    st.add_worker(session, |vm| {
        let cancel = CancelFlag::new();
        let mut config = match &root.config.profile {
            Some(p) => VmConfig::on(p.clone()),
            None => VmConfig::default(),
        };
        config.cancel = Some(cancel.clone());
        // Lines are cut as they are printed, so unread output never holds a whole long line.
        config.max_line = MAX_LINE;
        // A profiled node's memory is shared by all its workers, each in a simulation of its own.
        config.node_memory = root.node_memory.as_ref().map(|m| m.scoped(vm));
        // A platform's placed agents are not kept: they have started.
        let kept = match &program {
            Program::Platform { max_agents, .. } => Program::Platform {
                placed: Vec::new(),
                max_agents: *max_agents,
            },
            vm => vm.clone(),
        };
        let spec = WorkerSpec {
            vm,
            program,
            params: params.map_or(Value::Null, |p| Value::Object(p.clone())),
            node_name: root.config.name.clone(),
            ports: port_names,
            config,
        };
        let injector = worker::spawn(spec, root.clone()).map_err(|e| {
            RpcError::new(
                code::INTERNAL_ERROR,
                format!("cannot start a worker thread: {e}"),
            )
        })?;
        Ok(Worker {
            program: kept,
            session: session.to_owned(),
            state: WorkerState::Running,
            injector,
            cancel,
            ports,
            params: params.cloned(),
        })
    })
}

/// The indexes of the ports `names` (default: every port of the node).
pub(super) fn port_indexes(st: &State, names: Option<&[String]>) -> Result<Vec<usize>, RpcError> {
    match names {
        None => Ok((0..st.port_count()).collect()),
        Some(names) => names.iter().map(|n| st.port_of(n)).collect(),
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
    if st.port_count() >= root.limits().max_ports {
        return Err(limit("ports", root.limits().max_ports));
    }
    st.add_port(Port::new(name, root.limits()));
    Ok(())
}

/// The far end `to`, checked, as links key it.
fn link_end(to: &LinkEnd) -> Result<LinkEnd, RpcError> {
    let url = &to.url;
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 256 {
        return Err(RpcError::params(
            "`url` must be an http:// URL of a node (at most 256 characters)",
        ));
    }
    if !port_name_ok(&to.port) {
        return Err(RpcError::params("`remote_port` is not a port name"));
    }
    Ok(LinkEnd {
        url: url.trim_end_matches('/').to_owned(),
        port: to.port.clone(),
    })
}

/// Forwards `port`'s messages to the port `to` on another node.
pub(super) fn link_port(root: &Arc<Root>, port: &str, to: &LinkEnd) -> Result<(), RpcError> {
    let target = link_end(to)?;
    let mut st = root.lock();
    let i = st.port_of(port)?;
    let port = st.port(i);
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

/// Removes the link from `port` to the port `to`.
pub(super) fn unlink_port(root: &Root, port: &str, to: &LinkEnd) -> Result<(), RpcError> {
    let target = link_end(to)?;
    let mut st = root.lock();
    let i = st.port_of(port)?;
    match st.port(i).links.remove(&target) {
        Some(_) => Ok(()),
        None => Err(RpcError::new(code::CONFLICT, "no such link")),
    }
}
