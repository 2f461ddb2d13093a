//! Links from a P-node's port to a port on another P-node: one task per link drains the port's
//! bounded queue and delivers in order with `port.deliver`, batching what piled up meanwhile.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::root::Root;
use crate::nmp::client::{Client, Transport};
use crate::nmp::schema::{DeliverParams, LinkEnd, PortDeliver};

/// Messages in one `port.deliver`.
const BATCH: usize = 256;
/// Attempts per batch before it is counted as dropped.
const ATTEMPTS: u32 = 6;

/// Starts the task that forwards `port`'s messages to `target`; it ends when the link is
/// removed (its sender dropped).
pub(crate) fn spawn_forwarder(
    root: Arc<Root>,
    port: String,
    target: LinkEnd,
    mut rx: mpsc::Receiver<Value>,
) {
    let client = Client::new(&target.url, root.config.key.clone());
    let from = root.config.name.clone();
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(BATCH);
        while rx.recv_many(&mut batch, BATCH).await > 0 {
            let params = DeliverParams {
                port: target.port.clone(),
                messages: std::mem::take(&mut batch),
                from: Some(from.clone()),
            };
            let mut delivered = false;
            for attempt in 0..ATTEMPTS {
                match client.request::<PortDeliver>(&params).await {
                    Ok(_) => {
                        delivered = true;
                        break;
                    }
                    // A refusal (no such port, bad key) will not change on retry.
                    Err(crate::nmp::client::ClientError::Rpc(_)) => break,
                    Err(_) => tokio::time::sleep(Duration::from_millis(50 << attempt)).await,
                }
            }
            if !delivered {
                let mut st = root.lock();
                if let Some(i) = st.port_index(&port) {
                    st.port(i).link_drops += params.messages.len() as u64;
                }
            }
            batch.clear();
        }
    });
}
