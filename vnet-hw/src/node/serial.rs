//! NMP over a serial line, for boards without IP: every `Request` frame holds one JSON-RPC
//! request, answered by a `Reply` frame to its sender. The methods are those of HTTP
//! ([`super::methods`]); the line is point to point, so requests are not signed.

use std::sync::Arc;

use super::root::Root;
use super::{NodeConfig, methods};
use crate::nmp::rpc::{self, Reply, RpcError};
use crate::uart::frame::Kind;
use crate::uart::line::Line;

/// Serves NMP on `line` until it closes. Call inside a tokio runtime.
pub async fn serve_serial(line: Line, config: NodeConfig) {
    let root = Root::new(config);
    let sender = line.sender();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // The line's receiver blocks; hand its packets to the runtime.
    let incoming = line.incoming;
    std::thread::spawn(move || {
        while let Ok(p) = incoming.recv() {
            if tx.send(p).is_err() {
                return;
            }
        }
    });
    while let Some((from, kind, payload)) = rx.recv().await {
        if kind != Kind::Request {
            continue;
        }
        let (root, sender) = (root.clone(), sender.clone());
        tokio::spawn(async move {
            let reply = answer(&root, &payload).await;
            if let Some(text) = reply {
                let _ = sender.send((from, Kind::Reply, text.into_bytes()));
            }
        });
    }
}

async fn answer(root: &Arc<Root>, body: &[u8]) -> Option<String> {
    match rpc::parse(body) {
        Ok(req) => {
            let outcome = methods::call(root, &req.method, &req.params).await;
            Some(
                Reply {
                    id: req.id?,
                    outcome,
                }
                .to_json(),
            )
        }
        Err((id, e)) => Some(
            Reply {
                id: id.unwrap_or(serde_json::Value::Null),
                outcome: Err::<serde_json::Value, RpcError>(e),
            }
            .to_json(),
        ),
    }
}
