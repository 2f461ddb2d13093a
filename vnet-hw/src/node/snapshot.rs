//! `net.save` and `net.load`: a P-node's ports, links and live workers as JSON, and back.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::ops;
use super::root::{Root, State};
use crate::nmp::rpc::{RpcError, code};

/// The node's ports, their links and its live workers.
pub(super) fn net_save(st: &State) -> Value {
    json!({
        "ports": st.ports.iter().map(|p| json!({
            "name": p.name,
            "links": p.links.keys().map(|t| json!({"url": t.url, "port": t.port})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "workers": st.workers.values().filter(|w| w.state.is_alive()).map(|w| json!({
            "lang": w.lang,
            "code": w.code,
            "ports": w.ports.iter().map(|&i| st.ports[i].name.clone()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// What `net.save` returns and `net.load` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedNetwork {
    #[serde(default)]
    ports: Vec<SavedPort>,
    #[serde(default)]
    workers: Vec<SavedWorker>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedPort {
    name: String,
    #[serde(default)]
    links: Vec<SavedLink>,
}

/// A link's far end.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedLink {
    url: String,
    port: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedWorker {
    lang: String,
    code: String,
    #[serde(default)]
    ports: Option<Vec<String>>,
}

/// Recreates what `net` (as [`net_save`] returns it) holds, workers in `session`.
pub(super) fn net_load(root: &Arc<Root>, session: &str, net: &Value) -> Result<Value, RpcError> {
    if !net.is_object() {
        return Err(RpcError::params(
            "`network` must be an object (as net.save returns)",
        ));
    }
    let net: SavedNetwork = serde_json::from_value(net.clone())
        .map_err(|e| RpcError::params(format!("`network`: {e}")))?;
    if !root.lock().sessions.contains_key(session) {
        return Err(ops::no_session(session));
    }
    let (ports, workers) = (net.ports, net.workers);
    let (mut made_ports, mut made_links) = (0, 0);
    for (i, port) in ports.iter().enumerate() {
        let at = |e: RpcError| RpcError {
            message: format!("network.ports[{i}]: {}", e.message),
            ..e
        };
        if root.lock().port_index(&port.name).is_none() {
            ops::create_port(root, &port.name).map_err(at)?;
            made_ports += 1;
        }
        for (j, link) in port.links.iter().enumerate() {
            // Saved as the far end, {url, port}; linked from this port.
            match ops::link_port(root, &port.name, &link.url, &link.port) {
                Ok(()) => made_links += 1,
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
    let mut vms = Vec::new();
    for (i, w) in workers.iter().enumerate() {
        let at = |e: RpcError| RpcError {
            message: format!("network.workers[{i}]: {}", e.message),
            ..e
        };
        let lang = ops::lang(&w.lang).map_err(at)?;
        let mut st = root.lock();
        if !st.sessions.contains_key(session) {
            return Err(ops::no_session(session));
        }
        let ports = ops::port_indexes(&st, w.ports.as_deref()).map_err(at)?;
        vms.push(ops::start_worker(root, &mut st, session, lang, &w.code, ports).map_err(at)?);
    }
    Ok(json!({"ports": made_ports, "links": made_links, "vms": vms}))
}
