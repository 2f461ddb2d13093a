//! NMP under load: 100 concurrent sessions on one `vnet-node`, each with its own port and a
//! Lua echo worker, each sending 1000 port messages over loopback HTTP (`port.send`) and
//! reading the echoes (`port.recv` long-polls). Checks that no message is lost or duplicated;
//! prints messages/s and the p50/p99 round-trip latency (send → echo read back).
//!
//! `cargo bench -p vnet-hw --bench nmp_load [-- SESSIONS MESSAGES]`

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use vnet_hw::launch::NodeProcesses;
use vnet_hw::nmp::client::Client;

const ECHO: &str = "while true do local p, m = recv() send(p, m) end";

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sessions = args.first().copied().unwrap_or(100) as usize;
    let messages = args.get(1).copied().unwrap_or(1000);
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_vnet-node"));
    let node = NodeProcesses::start_with(binary, &["load".to_owned()], &[], Stdio::null)
        .expect("vnet-node starts");
    let url = node.started()[0].url.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(load(&url, sessions, messages));
    node.stop();
    let (elapsed, mut latencies) = result;
    let total = latencies.len() as f64;
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    println!(
        "nmp_load: sessions={sessions} messages_per_session={messages} delivered={} lost=0 duplicated=0",
        latencies.len()
    );
    println!(
        "nmp_load: {:.0} messages/s (echoed round trips), latency p50={:.2} ms p99={:.2} ms, wall {:.2} s",
        total / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        elapsed.as_secs_f64()
    );
}

async fn load(url: &str, sessions: usize, messages: u64) -> (Duration, Vec<Duration>) {
    let client = Client::new(url, None);
    let mut ready = Vec::new();
    for i in 0..sessions {
        let s = client.call("session.open", json!({})).await.unwrap()["session"].clone();
        let port = format!("s{i}");
        client
            .call("port.create", json!({"name": port}))
            .await
            .unwrap();
        client
            .call(
                "vm.create",
                json!({"session": s, "lang": "lua", "code": ECHO, "ports": [port]}),
            )
            .await
            .unwrap();
        ready.push(port);
    }
    let start = Instant::now();
    let origin = Arc::new(start);
    let mut tasks = Vec::new();
    for port in ready {
        let (client, origin) = (client.clone(), origin.clone());
        tasks.push(tokio::spawn(async move {
            let reader = {
                let (client, port, origin) = (client.clone(), port.clone(), origin.clone());
                tokio::spawn(async move {
                    let mut seen = BTreeSet::new();
                    let mut lat = Vec::with_capacity(messages as usize);
                    let mut after = 0;
                    while (seen.len() as u64) < messages {
                        let r = client
                            .call(
                                "port.recv",
                                json!({"port": port, "after": after, "timeout_ms": 5000}),
                            )
                            .await
                            .unwrap();
                        let batch = r["messages"].as_array().unwrap();
                        assert!(
                            !batch.is_empty(),
                            "{port}: nothing for 5 s after {} echoes",
                            seen.len()
                        );
                        assert_eq!(r["dropped"], 0, "{port}: the inbox overflowed");
                        let now = origin.elapsed();
                        for m in batch {
                            after = m["seq"].as_u64().unwrap();
                            let k = m["value"]["k"].as_u64().unwrap();
                            assert!(seen.insert(k), "{port}: message {k} duplicated");
                            let sent = Duration::from_nanos(m["value"]["t"].as_u64().unwrap());
                            lat.push(now - sent);
                        }
                    }
                    assert_eq!(seen, (0..messages).collect(), "{port}: lost messages");
                    lat
                })
            };
            for k in 0..messages {
                let t = origin.elapsed().as_nanos() as u64;
                client
                    .call(
                        "port.send",
                        json!({"port": port, "value": {"k": k, "t": t}}),
                    )
                    .await
                    .unwrap();
            }
            reader.await.unwrap()
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (start.elapsed(), all)
}
