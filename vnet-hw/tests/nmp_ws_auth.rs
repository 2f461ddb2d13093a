//! NMP over WebSocket (pushed output, resuming a session after a dropped connection), request
//! signing, and a battery of bad input against `vnet-node` processes.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use vnet_hw::nmp::auth::{HEADER, Key};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws_connect(url: &str) -> Ws {
    let ws_url = format!("{}/nmp/ws", url.replacen("http://", "ws://", 1));
    tokio_tungstenite::connect_async(ws_url).await.unwrap().0
}

/// Sends a request (signed with `key` if given) and returns the reply with that id, keeping
/// notifications that arrive meanwhile in `pushed`.
async fn ws_call(
    ws: &mut Ws,
    key: Option<&Key>,
    id: u64,
    method: &str,
    params: Value,
    pushed: &mut Vec<Value>,
) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
    let frame = match key {
        Some(k) => format!("{}\n{body}", k.sign_now(body.as_bytes())),
        None => body,
    };
    ws.send(Message::Text(frame.into())).await.unwrap();
    loop {
        let v = next_json(ws).await;
        if v["id"] == id {
            return v;
        }
        pushed.push(v);
    }
}

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("a frame within 20 s")
            .expect("the connection is open")
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// The events carried by `io.event` notifications.
fn pushed_events(notes: &[Value]) -> Vec<Value> {
    notes
        .iter()
        .filter(|n| n["method"] == "io.event")
        .flat_map(|n| n["params"]["events"].as_array().unwrap().clone())
        .collect()
}

#[tokio::test]
async fn a_dropped_websocket_resumes_its_session_without_loss_or_duplicates() {
    let node = NodeProcess::start("p1", &[]);
    let mut ws = ws_connect(&node.url).await;
    let mut notes = Vec::new();
    let s =
        ws_call(&mut ws, None, 1, "session.open", json!({}), &mut notes).await["result"]["session"]
            .clone();
    let code = "for i = 1, 300 do print(i) sleep(2) end";
    let vm = ws_call(
        &mut ws,
        None,
        2,
        "vm.create",
        json!({"session": s, "lang": "lua", "code": code}),
        &mut notes,
    )
    .await["result"]["vm"]
        .as_u64()
        .unwrap();
    let r = ws_call(
        &mut ws,
        None,
        3,
        "io.subscribe",
        json!({"session": s, "after": 0}),
        &mut notes,
    )
    .await;
    assert_eq!(r["result"]["subscribed"], true);
    while pushed_events(&notes).len() < 40 {
        notes.push(next_json(&mut ws).await);
    }
    let first = pushed_events(&notes);
    let last_seen = first.last().unwrap()["seq"].as_u64().unwrap();
    // The connection dies mid-stream (no close handshake); the worker goes on printing.
    drop(ws);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut ws = ws_connect(&node.url).await;
    let mut notes = Vec::new();
    let r = ws_call(
        &mut ws,
        None,
        1,
        "session.resume",
        json!({"session": s}),
        &mut notes,
    )
    .await;
    assert!(r["result"]["last"].as_u64().unwrap() > last_seen, "{r}");
    ws_call(
        &mut ws,
        None,
        2,
        "io.subscribe",
        json!({"session": s, "after": last_seen}),
        &mut notes,
    )
    .await;
    while !ended(&pushed_events(&notes), vm) {
        notes.push(next_json(&mut ws).await);
    }
    let all: Vec<Value> = first.into_iter().chain(pushed_events(&notes)).collect();
    let seqs: Vec<u64> = all.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=301).collect::<Vec<_>>(), "no gap, no duplicate");
    let expected: Vec<String> = (1..=300).map(|i| i.to_string()).collect();
    assert_eq!(texts(&all, vm, "out"), expected);
    assert_eq!(texts(&all, vm, "state"), vec!["finished"]);
    let r = ws_call(
        &mut ws,
        None,
        3,
        "io.ack",
        json!({"session": s, "seq": 301}),
        &mut notes,
    )
    .await;
    assert_eq!(r["result"]["acked"], 301);
    // A JavaScript worker over the same connection: its output is pushed too.
    let js = "for (let i = 0; i < 3; i++) { print('js ' + i); await sleep(1); }";
    let params = json!({"session": s, "lang": "js", "code": js});
    let vm = ws_call(&mut ws, None, 4, "vm.create", params, &mut notes).await["result"]["vm"]
        .as_u64()
        .unwrap();
    while !ended(&pushed_events(&notes), vm) {
        notes.push(next_json(&mut ws).await);
    }
    let events = pushed_events(&notes);
    assert_eq!(texts(&events, vm, "out"), vec!["js 0", "js 1", "js 2"]);
    assert_eq!(texts(&events, vm, "state"), vec!["finished"]);
}

fn key_file(dir: &std::path::Path, key: &str) -> String {
    let path = dir.join("key");
    std::fs::write(&path, format!("{key}\n")).unwrap();
    path.to_str().unwrap().to_owned()
}

async fn post(url: &str, auth: Option<String>, body: impl Into<reqwest::Body>) -> Value {
    let mut req = reqwest::Client::new().post(format!("{url}/nmp")).body(body);
    if let Some(a) = auth {
        req = req.header(HEADER, a);
    }
    let text = req.send().await.unwrap().text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn err_code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not an error: {v}"))
}

#[tokio::test]
async fn only_requests_signed_with_the_key_fresh_and_once_pass() {
    let dir = std::env::temp_dir().join(format!("vnet-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = "correct horse battery staple";
    let node = NodeProcess::start("p1", &["--key-file", &key_file(&dir, secret)]);
    let key = Key::new(secret.as_bytes().to_vec()).unwrap();
    let body = r#"{"jsonrpc":"2.0","id":7,"method":"node.info"}"#;

    let unsigned = post(&node.url, None, body).await;
    assert_eq!(err_code(&unsigned), -32001);
    let wrong = Key::new(b"not the right key at all".to_vec()).unwrap();
    let bad = post(&node.url, Some(wrong.sign_now(body.as_bytes())), body).await;
    assert_eq!(err_code(&bad), -32001);
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signature")
    );

    let line = key.sign_now(body.as_bytes());
    let ok = post(&node.url, Some(line.clone()), body).await;
    assert_eq!(ok["result"]["name"], "p1", "{ok}");
    assert_eq!(ok["id"], 7);
    let replay = post(&node.url, Some(line), body).await;
    assert_eq!(err_code(&replay), -32001);
    assert!(
        replay["error"]["message"]
            .as_str()
            .unwrap()
            .contains("replayed")
    );

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let stale = post(
        &node.url,
        Some(key.sign(now - 120_000, "old1", body.as_bytes())),
        body,
    )
    .await;
    assert_eq!(err_code(&stale), -32001);
    assert!(
        stale["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stale")
    );
    // A signature over a different body does not cover this one.
    let moved = post(&node.url, Some(key.sign_now(b"{}")), body).await;
    assert_eq!(err_code(&moved), -32001);

    // The client signs for itself; over the WebSocket the first line is the signature.
    let c = node.client(Some(key.clone()));
    assert_eq!(c.call("node.info", json!({})).await.unwrap()["name"], "p1");
    let mut ws = ws_connect(&node.url).await;
    let mut notes = Vec::new();
    let r = ws_call(&mut ws, Some(&key), 1, "node.info", json!({}), &mut notes).await;
    assert_eq!(r["result"]["name"], "p1");
    let r = ws_call(&mut ws, None, 2, "node.info", json!({}), &mut notes).await;
    assert_eq!(r["error"]["code"], -32001);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn without_a_key_the_node_refuses_to_listen_beyond_loopback() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vnet-node"))
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("without a key"), "{err}");
}

#[tokio::test]
async fn bad_input_gets_json_rpc_errors_and_the_node_stays_up_and_bounded() {
    let mut node = NodeProcess::start("p1", &[]);
    let url = node.url.clone();
    let cases: Vec<(&str, Vec<u8>, i64)> = vec![
        ("truncated", br#"{"jsonrpc":"2.0","id":1,"method":"node.in"#.to_vec(), -32700),
        ("not utf-8", vec![0xff, 0xfe, b'{'], -32700),
        ("deep nesting", "[".repeat(100_000).into_bytes(), -32700),
        ("no method", br#"{"jsonrpc":"2.0","id":1}"#.to_vec(), -32600),
        ("wrong version", br#"{"jsonrpc":"1.0","id":1,"method":"node.info"}"#.to_vec(), -32600),
        ("batch", br#"[{"jsonrpc":"2.0","id":1,"method":"node.info"}]"#.to_vec(), -32600),
        ("object id", br#"{"jsonrpc":"2.0","id":{},"method":"node.info"}"#.to_vec(), -32600),
        ("unknown method", br#"{"jsonrpc":"2.0","id":1,"method":"rm.rf"}"#.to_vec(), -32601),
        ("positional params", br#"{"jsonrpc":"2.0","id":1,"method":"vm.list","params":[1]}"#.to_vec(), -32602),
        ("wrong type", br#"{"jsonrpc":"2.0","id":1,"method":"vm.create","params":{"session":"x","lang":5,"code":""}}"#.to_vec(), -32602),
        ("missing param", br#"{"jsonrpc":"2.0","id":1,"method":"port.create","params":{}}"#.to_vec(), -32602),
        ("bad port name", br#"{"jsonrpc":"2.0","id":1,"method":"port.create","params":{"name":"../etc"}}"#.to_vec(), -32602),
        ("no such session", br#"{"jsonrpc":"2.0","id":1,"method":"io.poll","params":{"session":"nope"}}"#.to_vec(), -32002),
        ("no such port", br#"{"jsonrpc":"2.0","id":1,"method":"port.send","params":{"port":"nope","value":1}}"#.to_vec(), -32005),
        ("negative vm", br#"{"jsonrpc":"2.0","id":1,"method":"vm.kill","params":{"session":"x","vm":-1}}"#.to_vec(), -32602),
        ("huge timeout", br#"{"jsonrpc":"2.0","id":1,"method":"port.recv","params":{"port":"nope","timeout_ms":1e300}}"#.to_vec(), -32602),
    ];
    let before = node.rss_kb();
    for round in 0..5 {
        for (what, body, code) in &cases {
            let r = post(&url, None, body.clone()).await;
            assert_eq!(err_code(&r), *code, "{what}: {r}");
        }
        // 10 MB: refused before it is all held.
        let r = post(&url, None, vec![b' '; 10 << 20]).await;
        assert_eq!(err_code(&r), -32600, "round {round}");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("larger than")
        );
    }
    // Over the WebSocket too, and the connection survives each.
    let mut ws = ws_connect(&url).await;
    ws.send(Message::Text("{not json".into())).await.unwrap();
    assert_eq!(next_json(&mut ws).await["error"]["code"], -32700);
    ws.send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["error"]["code"], -32600);
    let mut notes = Vec::new();
    let r = ws_call(&mut ws, None, 9, "node.info", json!({}), &mut notes).await;
    assert_eq!(r["result"]["name"], "p1");
    // A notification (no id) gets no reply, not even an error.
    assert!(node.alive());
    let after = node.rss_kb();
    assert!(
        after < before + 40_000,
        "RSS grew from {before} kB to {after} kB"
    );
    let c = node.client(None);
    assert_eq!(c.call("node.info", json!({})).await.unwrap()["name"], "p1");
}
