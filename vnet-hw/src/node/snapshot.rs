//! `net.save` and `net.load`: a P-node's ports, links and live workers as JSON, and back.

use std::sync::Arc;

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

pub(super) fn net_load(root: &Arc<Root>, p: &Params) -> Result<Value, RpcError> {
    let session = p.str("session")?;
    let net = p.value("network")?;
    let ports = net
        .get("ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let workers = net
        .get("workers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let (mut made_ports, mut made_links) = (0, 0);
    for (i, port) in ports.iter().enumerate() {
        let Some(obj) = port.as_object() else {
            return Err(RpcError::params(format!(
                "network.ports[{i}] must be an object"
            )));
        };
        let name = Params(obj)
            .str("name")
            .map_err(|e| RpcError::params(format!("network.ports[{i}]: {}", e.message)))?;
        if root.lock().port_index(name).is_none() {
            port_create(root, &Params(obj))?;
            made_ports += 1;
        }
        for (j, l) in obj
            .get("links")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(link) = l.as_object() else {
                return Err(RpcError::params(format!(
                    "network.ports[{i}].links[{j}] must be an object"
                )));
            };
            // Saved as the far end, {url, port}; linked from this port.
            let mut args = Map::new();
            args.insert("port".into(), name.into());
            args.insert(
                "url".into(),
                link.get("url").cloned().unwrap_or(Value::Null),
            );
            args.insert(
                "remote_port".into(),
                link.get("port").cloned().unwrap_or(Value::Null),
            );
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
        let Some(obj) = w.as_object() else {
            return Err(RpcError::params(format!(
                "network.workers[{i}] must be an object"
            )));
        };
        let wp = Params(obj);
        let at = |e: RpcError| RpcError {
            message: format!("network.workers[{i}]: {}", e.message),
            ..e
        };
        let lang = lang_of(&wp).map_err(at)?;
        let code = wp.str("code").map_err(at)?;
        let mut st = root.lock();
        if !st.sessions.contains_key(session) {
            return Err(no_session(session));
        }
        let ports = ports_of(&st, obj.get("ports")).map_err(at)?;
        vms.push(start_worker(root, &mut st, session, lang, code, ports).map_err(at)?);
    }
    Ok(json!({"ports": made_ports, "links": made_links, "vms": vms}))
}
