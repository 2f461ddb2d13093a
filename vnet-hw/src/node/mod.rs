//! The P-node daemon behind `vnet-node`: a root that serves NMP and runs Lua and JavaScript
//! workers in real time, each on its own thread.
//!
//! - [`root`]: sessions, workers, ports, links and the CMUX rule, under one lock.
//! - [`ops`]: the node's operations, typed (ports, links, workers); [`methods`]: the NMP
//!   methods, parsing parameters into `nmp::schema` types and adapting them to `ops`;
//!   [`snapshot`]: `net.load` (`net.save` is `State::saved`).
//! - [`worker`]: a worker's thread (a one-node simulation paced to the wall clock).
//! - [`agents`]: the node as an agent platform (`agents.start`, `agents.list`).
//! - [`links`]: forwarding a port's messages to a port on another node.
//! - [`http`]: `POST /nmp` and `GET /nmp/ws`, with authentication and limits.
//! - [`serial`]: the same methods over a serial line (`uart` frames), for boards without IP.
//! - [`queue`]: the sequence-numbered queues behind resumable output and `port.recv`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use vnet_hw::node::{NodeConfig, serve};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:7700").await?;
//! serve(listener, NodeConfig::new("p1"), std::future::pending()).await
//! # }
//! ```

mod agents;
mod http;
mod links;
mod methods;
mod ops;
mod queue;
mod root;
mod serial;
mod snapshot;
mod worker;

pub use serial::serve_serial;

pub use queue::SeqQueue;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vnet_sim::vm::HostProfile;

use crate::nmp::auth::{Key, Verifier};

/// Bounds on what clients can make a node hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes in one request body or WebSocket frame.
    pub max_body: usize,
    /// Open sessions.
    pub max_sessions: usize,
    /// Workers alive at once.
    pub max_workers: usize,
    /// Ports.
    pub max_ports: usize,
    /// Items in one session's output queue, one port's inbox, one link's queue.
    pub max_queue: usize,
    /// Bytes in one session's unacknowledged output, or one port's inbox (the oldest go first).
    pub max_queue_bytes: usize,
    /// Bytes of code in one worker.
    pub max_code: usize,
}

impl Default for Limits {
    /// 1 MiB bodies, 256 sessions, 256 live workers, 1024 ports, 10 000 queued items and
    /// 16 MiB of them per queue, 256 kB of code.
    fn default() -> Self {
        Limits {
            max_body: 1 << 20,
            max_sessions: 256,
            max_workers: 256,
            max_ports: 1024,
            max_queue: 10_000,
            max_queue_bytes: 16 << 20,
            max_code: 256 << 10,
        }
    }
}

/// How a node runs.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// The node's name (what `node()` and `node.info` show).
    pub name: String,
    /// The host its workers model: their compute time is paced in wall-clock time (a `pc`
    /// node emulates the paper's PC; an `esp32` node computes as slowly as one). `None`: as fast
    /// as this machine.
    pub profile: Option<HostProfile>,
    /// The pre-shared key; `None` accepts unsigned requests (loopback only, see [`check_listen`]).
    pub key: Option<Key>,
    /// Bounds.
    pub limits: Limits,
    /// A session nobody has used for this long is closed and its workers killed.
    pub session_timeout: Duration,
}

impl NodeConfig {
    /// A node called `name`, no profile, no key, default limits, 60 s session timeout.
    pub fn new(name: &str) -> Self {
        NodeConfig {
            name: name.to_owned(),
            profile: None,
            key: None,
            limits: Limits::default(),
            session_timeout: Duration::from_secs(60),
        }
    }
}

/// Refuses to listen beyond loopback without a key: unsigned NMP would hand anyone on the
/// network the node's workers.
pub fn check_listen(addr: &SocketAddr, key: Option<&Key>) -> Result<(), String> {
    if key.is_none() && !addr.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on {addr} without a key: give --key-file, or listen on 127.0.0.1"
        ));
    }
    Ok(())
}

/// Serves NMP on `listener` until `shutdown` completes; then kills every worker.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: NodeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    check_listen(&addr, config.key.as_ref()).map_err(std::io::Error::other)?;
    let timeout = config.session_timeout;
    let server = Arc::new(http::Server {
        verifier: config.key.clone().map(|k| Mutex::new(Verifier::new(k))),
        root: root::Root::new(config),
    });
    // Close sessions nobody uses.
    let reaper_root = server.root.clone();
    let reaper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            reaper_root.lock().close_stale_sessions(timeout);
        }
    });
    let root = server.root.clone();
    let result = axum::serve(listener, http::router(server))
        .with_graceful_shutdown(shutdown)
        .await;
    reaper.abort();
    root.lock().close_all();
    result
}
