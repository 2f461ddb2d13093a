//! `net.save` and `net.load`: a P-node's ports, links and live workers as JSON, and back.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::methods::{Params, lang_of, no_session, port_create, port_link, ports_of, start_worker};
use super::root::{Root, State};
use crate::nmp::rpc::{RpcError, code};

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

pub(super) fn net_load(root: &Arc<Root>, p: &Params) -> Result<Value, RpcError> {
    let session = p.str("session")?;
    let net = p.value("network")?;
    if !net.is_object() {
        return Err(RpcError::params(
            "`network` must be an object (as net.save returns)",
        ));
    }
    let net: SavedNetwork = serde_json::from_value(net.clone())
        .map_err(|e| RpcError::params(format!("`network`: {e}")))?;
    if !root.lock().sessions.contains_key(session) {
        return Err(no_session(session));
    }
    let (ports, workers) = (net.ports, net.workers);
    let (mut made_ports, mut made_links) = (0, 0);
    for (i, port) in ports.iter().enumerate() {
        let mut obj = Map::new();
        obj.insert("name".into(), port.name.clone().into());
        if root.lock().port_index(&port.name).is_none() {
            port_create(root, &Params(&obj))
                .map_err(|e| RpcError::params(format!("network.ports[{i}]: {}", e.message)))?;
            made_ports += 1;
        }
        for (j, link) in port.links.iter().enumerate() {
            // Saved as the far end, {url, port}; linked from this port.
            let mut args = Map::new();
            args.insert("port".into(), port.name.clone().into());
            args.insert("url".into(), link.url.clone().into());
            args.insert("remote_port".into(), link.port.clone().into());
            match port_link(root, &Params(&args), true) {
                Ok(_) => made_links += 1,
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
        let mut obj = Map::new();
        obj.insert("lang".into(), w.lang.clone().into());
        let lang = lang_of(&Params(&obj)).map_err(at)?;
        let mut st = root.lock();
        if !st.sessions.contains_key(session) {
            return Err(no_session(session));
        }
        let names = w.ports.as_ref().map(|v| Value::from(v.clone()));
        let ports = ports_of(&st, names.as_ref()).map_err(at)?;
        vms.push(start_worker(root, &mut st, session, lang, &w.code, ports).map_err(at)?);
    }
    Ok(json!({"ports": made_ports, "links": made_links, "vms": vms}))
}
