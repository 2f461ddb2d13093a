//! Starting `vnet-node` processes for tests, and small client helpers.

#![allow(dead_code)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vnet_hw::launch::NodeProcesses;
use vnet_hw::nmp::auth::Key;
use vnet_hw::nmp::client::{Client, ClientError, Transport};

/// A `vnet-node` child process, killed when dropped.
pub struct NodeProcess {
    process: NodeProcesses,
    pub url: String,
}

impl NodeProcess {
    /// Starts `vnet-node` on a free loopback port with extra arguments.
    pub fn start(name: &str, extra: &[&str]) -> NodeProcess {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let binary = std::path::Path::new(env!("CARGO_BIN_EXE_vnet-node"));
        let process = NodeProcesses::start_with(binary, &[name.to_owned()], &extra, Stdio::null)
            .expect("vnet-node starts");
        let url = process.started()[0].url.clone();
        NodeProcess { process, url }
    }

    pub fn client(&self, key: Option<Key>) -> Client {
        Client::new(&self.url, key)
    }

    /// Resident memory of the process, in kB (Linux).
    pub fn rss_kb(&self) -> u64 {
        let pid = self.process.pids()[0];
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.process.running() == 1
    }
}

pub async fn open(c: &Client) -> String {
    c.call("session.open", json!({})).await.unwrap()["session"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Creates a worker in `session`; its id.
pub async fn create_vm(c: &impl Transport, session: &str, lang: &str, code: &str) -> u64 {
    let params = json!({"session": session, "lang": lang, "code": code});
    c.call("vm.create", params).await.unwrap()["vm"]
        .as_u64()
        .unwrap()
}

/// Polls `session`'s output until `done` holds for the events so far (or 20 s pass).
pub async fn events_until(
    c: &impl Transport,
    session: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    let mut after = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(&all) {
        assert!(
            Instant::now() < deadline,
            "timed out; events so far: {all:?}"
        );
        let r = c
            .call(
                "io.poll",
                json!({"session": session, "after": after, "timeout_ms": 2000}),
            )
            .await
            .unwrap();
        for e in r["events"].as_array().unwrap() {
            after = e["seq"].as_u64().unwrap();
            all.push(e.clone());
        }
    }
    all
}

/// The texts of `vm`'s events on `stream`.
pub fn texts(events: &[Value], vm: u64, stream: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["vm"] == vm && e["stream"] == stream)
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect()
}

/// Whether `vm` has ended (a `state` event).
pub fn ended(events: &[Value], vm: u64) -> bool {
    !texts(events, vm, "state").is_empty()
}

pub fn rpc_code(r: Result<Value, ClientError>) -> i64 {
    match r {
        Err(ClientError::Rpc(e)) => e.code,
        other => panic!("expected an NMP error, got {other:?}"),
    }
}
