//! The node as an agent platform: `agents.start` runs an [`AgentPlatform`] as one of the
//! node's workers — its agents, arriving on its ports as parcels, placed or cloned, run in its
//! simulation — and `agents.list` asks it who is there. At most one platform per node, so an
//! arriving agent is taken in once.
//!
//! [`AgentPlatform`]: vnet_sim::agents::AgentPlatform

use std::sync::Arc;

use vnet_sim::SimDuration;
use vnet_sim::agents::Placement;

use super::methods::MAX_WAIT;
use super::ops;
use super::root::{Root, vm_state};
use super::worker::{self, Program};
use crate::nmp::rpc::{RpcError, code};
use crate::nmp::schema as s;

/// The latest an agent may be placed to start: a year, in milliseconds.
const MAX_AFTER_MS: u64 = 365 * 24 * 3600 * 1000;

/// `agents.start`: the node becomes an agent platform in session `p.session`.
pub(super) fn start(root: &Arc<Root>, p: s::PlatformParams) -> Result<s::Created, RpcError> {
    let agents = p.agents.unwrap_or_default();
    if let Some(i) = agents
        .iter()
        .position(|a| a.after_ms.is_some_and(|ms| ms > MAX_AFTER_MS))
    {
        return Err(RpcError::params(format!(
            "`agents[{i}].after_ms`: at most {MAX_AFTER_MS} (a year)"
        )));
    }
    let placed = agents
        .into_iter()
        .map(|a| Placement {
            lang: a.lang,
            class: a.class.unwrap_or_else(|| "agent".to_owned()),
            code: a.code,
            state: a
                .state
                .map_or(serde_json::Value::Null, serde_json::Value::Object),
            after: SimDuration::from_millis(a.after_ms.unwrap_or(0)),
        })
        .collect();
    let mut st = root.lock();
    st.session(&p.session)?;
    let ports = ops::port_indexes(&st, p.ports.as_deref())?;
    let program = Program::Platform {
        placed,
        max_agents: root.limits().max_workers,
    };
    let vm = ops::start_worker(root, &mut st, &p.session, program, p.params.as_ref(), ports)?;
    Ok(s::Created { vm })
}

/// `agents.list`: the platform, its agents and its counters (none if the node hosts none).
pub(super) async fn list(root: &Arc<Root>) -> Result<s::Agents, RpcError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (vm, session, state) = {
        let st = root.lock();
        let Some((vm, w)) = st.platform() else {
            return Ok(s::Agents {
                vm: None,
                session: None,
                state: None,
                agents: Vec::new(),
                counts: Default::default(),
            });
        };
        if !worker::agents(&w.injector, tx) {
            return Err(RpcError::new(
                code::VM_ERROR,
                format!("platform vm {vm} has ended"),
            ));
        }
        (vm, w.session.clone(), vm_state(w.state))
    };
    // The platform answers between two of its agents' activities; one spinning until its
    // budget stops it delays the answer as long.
    let (agents, counts) = match tokio::time::timeout(MAX_WAIT, rx).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => {
            return Err(RpcError::new(
                code::VM_ERROR,
                format!("platform vm {vm} ended before it answered"),
            ));
        }
        Err(_) => {
            return Err(RpcError::new(
                code::VM_ERROR,
                format!("platform vm {vm} did not answer within {MAX_WAIT:?}"),
            ));
        }
    };
    Ok(s::Agents {
        vm: Some(vm),
        session: Some(session),
        state: Some(state),
        agents,
        counts,
    })
}
