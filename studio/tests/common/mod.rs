//! What the studio's black-box tests share: starting a studio, talking to it as a browser
//! does, and computing what `vnet run` would.
#![allow(dead_code)]

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use vnet_sim::netfile::{NetworkFile, ProgramRegistry};
use vnet_sim::trace::TraceHash;
use vnet_sim::vm::VmConfig;
use vnet_studio::{StudioConfig, start};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub fn mesh16() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/networks/mesh16/mesh16.json")
}

pub async fn studio(file: Option<PathBuf>) -> vnet_studio::Running {
    start(StudioConfig {
        file,
        listen: "127.0.0.1:0".parse().unwrap(),
        seed: None,
    })
    .await
    .unwrap()
}

pub async fn connect(addr: std::net::SocketAddr) -> Socket {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    ws
}

pub async fn send(ws: &mut Socket, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// The next message of type `kind` (others skipped), within 20 s.
pub async fn next(ws: &mut Socket, kind: &str) -> Value {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let Some(Ok(Message::Text(t))) = ws.next().await else {
                panic!("the studio closed the connection")
            };
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] == kind {
                return v;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no `{kind}` message"))
}

/// What `vnet run FILE` computes: every event, traced, from the file's seed.
pub fn run_hash(path: &Path) -> String {
    let file = NetworkFile::load(path).unwrap();
    let mut sim = file
        .instantiate_at(
            &ProgramRegistry::with_devices(),
            None,
            path.parent().unwrap(),
            &VmConfig::default(),
        )
        .unwrap();
    let hash = Rc::new(RefCell::new(TraceHash::default()));
    sim.set_trace(Box::new(hash.clone()));
    while sim.next_event_time().is_some() {
        sim.step();
    }
    sim.take_trace();
    format!("{:016x}", hash.borrow().value())
}

/// An empty folder of this test's own under the target's temporary folder.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sends `bad` and expects an error that says `says`.
pub async fn refused(ws: &mut Socket, bad: Value, says: &str) {
    send(ws, bad).await;
    let e = next(ws, "error").await;
    assert!(
        e["message"].as_str().unwrap_or("").contains(says),
        "expected an error saying {says:?}, got {e}"
    );
}

/// The log lines of every batch until one has `want` (at most 50 batches).
pub async fn logs_until(ws: &mut Socket, want: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for _ in 0..50 {
        let b = next(ws, "batch").await;
        for l in b["logs"].as_array().into_iter().flatten() {
            seen.push(l.clone());
        }
        if seen.iter().any(|l| l["text"].as_str() == Some(want)) {
            return seen;
        }
    }
    panic!("no line {want:?} in {seen:?}")
}

/// The next message of any type.
pub async fn next_any(ws: &mut Socket) -> Value {
    let Some(Ok(Message::Text(t))) = ws.next().await else {
        panic!("the studio closed the connection")
    };
    serde_json::from_str(&t).unwrap()
}

/// The next message of type `kind` for which `pred` holds (at most 100 looked at).
pub async fn until(ws: &mut Socket, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let v = next(ws, kind).await;
        if pred(&v) {
            return v;
        }
    }
    panic!("no `{kind}` message as wanted")
}
