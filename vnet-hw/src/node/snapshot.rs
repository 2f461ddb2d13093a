//! `net.load`: recreating a P-node's ports, links and workers from what `net.save` returned
//! ([`crate::nmp::schema::SavedNetwork`]; `net.save` itself is `State::saved`).

use std::sync::Arc;

use super::ops;
use super::root::Root;
use crate::nmp::rpc::{RpcError, code};
use crate::nmp::schema::{LoadParams, Loaded};

/// Recreates `p.network`'s ports and links (those that exist are kept) and starts its workers
/// in `p.session`. Errors name the part (`network.workers[0]: …`).
pub(super) fn net_load(root: &Arc<Root>, p: LoadParams) -> Result<Loaded, RpcError> {
    let session = p.session.as_str();
    root.lock().session(session)?;
    let mut loaded = Loaded {
        ports: 0,
        links: 0,
        vms: Vec::new(),
    };
    for (i, port) in p.network.ports.iter().enumerate() {
        let at = |e: RpcError| RpcError {
            message: format!("network.ports[{i}]: {}", e.message),
            ..e
        };
        if root.lock().port_index(&port.name).is_none() {
            ops::create_port(root, &port.name).map_err(at)?;
            loaded.ports += 1;
        }
        for (j, link) in port.links.iter().enumerate() {
            // Saved as the far end, {url, port}; linked from this port.
            match ops::link_port(root, &port.name, link) {
                Ok(()) => loaded.links += 1,
                Err(e) if e.code == code::CONFLICT => {}
                Err(e) => {
                    return Err(RpcError::params(format!(
                        "network.ports[{i}].links[{j}]: {}",
                        e.message
                    )));
                }
            }
        }
    }
    for (i, w) in p.network.workers.iter().enumerate() {
        let at = |e: RpcError| RpcError {
            message: format!("network.workers[{i}]: {}", e.message),
            ..e
        };
        let mut st = root.lock();
        let ports = ops::port_indexes(&st, w.ports.as_deref()).map_err(at)?;
        let vm = ops::start_worker(
            root,
            &mut st,
            session,
            super::worker::Program::Vm {
                lang: w.lang,
                code: w.code.clone(),
            },
            w.params.as_ref(),
            ports,
        )
        .map_err(at)?;
        loaded.vms.push(vm);
    }
    Ok(loaded)
}
