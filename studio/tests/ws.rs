//! The studio from outside, over its WebSocket as a browser uses it: hello, run to the end
//! with `vnet run`'s trace hash, step, a shell's eval, bad commands, and two browsers seeing
//! the same run.

mod common;

use std::path::PathBuf;

use common::*;
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use vnet_sim::netfile::NetworkFile;
use vnet_studio::{StudioConfig, start};

#[tokio::test(flavor = "multi_thread")]
async fn an_unpaced_run_is_vnet_runs_run_and_every_browser_sees_it() {
    let s = studio(Some(mesh16())).await;
    let mut a = connect(s.addr).await;
    let mut b = connect(s.addr).await;
    let hello = next(&mut a, "hello").await;
    assert_eq!(hello["network"]["nodes"].as_array().unwrap().len(), 16);
    assert_eq!(hello["network"]["links"].as_array().unwrap().len(), 24);
    assert_eq!(hello["positions"].as_array().unwrap().len(), 16);
    assert_eq!(hello["clock"]["t_ns"], 0);
    assert_eq!(hello["clock"]["seed"], 1);
    next(&mut b, "hello").await;
    send(&mut a, json!({"cmd": "run"})).await;
    let done = next(&mut a, "done").await;
    assert_eq!(done["trace_hash"], run_hash(&mesh16()));
    assert_eq!(
        (done["sent"].as_u64(), done["delivered"].as_u64()),
        (Some(33), Some(33))
    );
    assert_eq!(done["clock"]["idle"], true);
    // b did nothing and saw it all.
    let done_b = next(&mut b, "done").await;
    assert_eq!(done_b, done);
    // Reset with another seed: a new hello to both, and another run.
    send(&mut b, json!({"cmd": "reset", "seed": 9})).await;
    let h = next(&mut a, "hello").await;
    assert_eq!(
        (h["clock"]["seed"].as_u64(), h["clock"]["events"].as_u64()),
        (Some(9), Some(0))
    );
    send(&mut b, json!({"cmd": "run", "speed": null})).await;
    let again = next(&mut a, "done").await;
    assert_ne!(again["trace_hash"], done["trace_hash"]);
}

const SHELL: &str = r#"{
  "nodes": [
    {"name": "a", "workers": [{"lang": "lua", "code": "x = 41\nfor i = 1, 3 do print('tick', i); sleep(10) end"}]},
    {"name": "b", "workers": [{"lang": "js", "code": "globalThis.y = 1; for (;;) { const [p, v] = await recv(); globalThis.y = v; }"}]}
  ],
  "links": [{"a": "a.p", "b": "b.p", "latency": "1ms"}]
}"#;

#[tokio::test(flavor = "multi_thread")]
async fn step_prints_eval_answers_and_bad_commands_get_errors() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("studio-shell");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("shell.json");
    std::fs::write(&path, SHELL).unwrap();
    let s = studio(Some(path.clone())).await;
    let mut ws = connect(s.addr).await;
    next(&mut ws, "hello").await;
    // Step until a's first line appears.
    let mut line = None;
    for _ in 0..10 {
        send(&mut ws, json!({"cmd": "step"})).await;
        let b = next(&mut ws, "batch").await;
        if let Some(l) = b["logs"].as_array().and_then(|l| l.first()) {
            line = Some(l.clone());
            break;
        }
    }
    let line = line.expect("a printed within ten steps");
    assert_eq!(
        (line["node"].as_str(), line["text"].as_str()),
        (Some("a"), Some("tick\t1"))
    );
    // The shell: a Lua global, now(), and a JS one.
    send(
        &mut ws,
        json!({"cmd": "eval", "node": "a", "worker": 0, "code": "x + 1"}),
    )
    .await;
    let r = next(&mut ws, "eval_result").await;
    assert_eq!(r["value"], 42);
    send(
        &mut ws,
        json!({"cmd": "eval", "node": "a", "worker": 0, "code": "now()"}),
    )
    .await;
    assert_eq!(next(&mut ws, "eval_result").await["value"], 0.0);
    // b's worker starts at the next event.
    send(&mut ws, json!({"cmd": "step"})).await;
    next(&mut ws, "batch").await;
    send(
        &mut ws,
        json!({"cmd": "eval", "node": "b", "worker": 0, "code": "y + 1"}),
    )
    .await;
    assert_eq!(next(&mut ws, "eval_result").await["value"], 2);
    // A statement works too (Lua's REPL rule), and changes the worker's state.
    send(
        &mut ws,
        json!({"cmd": "eval", "node": "a", "worker": 0, "code": "x = 7"}),
    )
    .await;
    assert_eq!(next(&mut ws, "eval_result").await["value"], Value::Null);
    send(
        &mut ws,
        json!({"cmd": "eval", "node": "a", "worker": 0, "code": "x"}),
    )
    .await;
    assert_eq!(next(&mut ws, "eval_result").await["value"], 7);
    send(
        &mut ws,
        json!({"cmd": "eval", "node": "a", "worker": 0, "code": "nosuch()"}),
    )
    .await;
    let r = next(&mut ws, "eval_result").await;
    assert!(r["error"].as_str().unwrap().contains("nosuch"), "{r}");
    // Mistakes are named; the connection stays.
    for (bad, says) in [
        (json!({"cmd": "fly"}), "unknown variant `fly`"),
        (
            json!({"cmd": "run", "speed": -2}),
            "`speed` must be above 0",
        ),
        (
            json!({"cmd": "step", "untill_message": true}),
            "unknown field `untill_message`",
        ),
        (
            json!({"cmd": "eval", "node": "zz", "worker": 0, "code": "1"}),
            "no node `zz`",
        ),
        (
            json!({"cmd": "eval", "node": "a", "worker": 5, "code": "1"}),
            "no Lua or JS worker 5",
        ),
        (
            json!({"cmd": "eval", "node": "a", "worker": 0, "code": "x".repeat(20_000)}),
            "at most",
        ),
    ] {
        send(&mut ws, bad).await;
        let e = next(&mut ws, "error").await;
        assert!(e["message"].as_str().unwrap().contains(says), "{e}");
    }
    ws.send(Message::Text("not json".into())).await.unwrap();
    assert!(
        next(&mut ws, "error").await["message"]
            .as_str()
            .unwrap()
            .starts_with("bad command")
    );
    // Step to the next delivered message: none come in this network, so it runs to the end
    // (a prints its last ticks; b waits for ever) and the run is done.
    send(&mut ws, json!({"cmd": "step", "until_message": true})).await;
    let b = next(&mut ws, "batch").await;
    assert_eq!(b["clock"]["idle"], true, "{b}");
    let texts: Vec<&str> = b["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["tick\t2", "tick\t3"]);
    assert_eq!(next(&mut ws, "done").await["clock"]["t_ns"], 30_000_000);
    // Save writes the network back; it loads as it was.
    send(&mut ws, json!({"cmd": "save"})).await;
    let saved = next(&mut ws, "saved").await;
    assert_eq!(saved["file"], path.display().to_string());
    let back = NetworkFile::load(&path).unwrap();
    assert_eq!(back, NetworkFile::from_json(SHELL).unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_and_its_script_are_served_and_a_bad_file_is_refused() {
    let s = studio(None).await;
    let get = |path: &str| {
        let url = format!("http://{}{path}", s.addr);
        async move {
            let mut stream = tokio::net::TcpStream::connect(
                url.trim_start_matches("http://").split('/').next().unwrap(),
            )
            .await
            .unwrap();
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let p = "/".to_owned() + url.splitn(4, '/').nth(3).unwrap_or("");
            stream
                .write_all(
                    format!("GET {p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
                )
                .await
                .unwrap();
            let mut out = String::new();
            stream.read_to_string(&mut out).await.unwrap();
            out
        }
    };
    let page = get("/").await;
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("<svg id=\"world\""),
        "{page}"
    );
    let js = get("/app.js").await;
    assert!(js.contains("text/javascript") && js.contains("import"));
    assert!(get("/state.js").await.contains("new WebSocket"));
    let cm = get("/vendor/codemirror/lua.js").await;
    assert!(cm.starts_with("HTTP/1.1 200") && cm.contains("defineMode(\"lua\""));
    assert!(get("/vendor/LICENSES.txt").await.contains("MIT"));
    assert!(get("/nothing.js").await.starts_with("HTTP/1.1 404"));
    let net = get("/network.json").await;
    assert!(net.contains("\"nodes\": []"), "{net}");
    let err = start(StudioConfig {
        file: Some(PathBuf::from("/nonexistent/x.json")),
        listen: "127.0.0.1:0".parse().unwrap(),
        seed: None,
    })
    .await
    .err()
    .unwrap();
    assert!(err.to_string().contains("x.json"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn moving_a_node_moves_it_for_every_browser_and_in_the_saved_file() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("studio-move");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A 3×3 grid: positions 0..2 on each axis, drawn as 0, 0.5, 1.
    let grid = dir.join("grid.json");
    std::fs::write(
        &grid,
        r#"{"topology": {"kind": "grid", "rows": 3, "cols": 3}, "link_defaults": {"latency": "1ms"}}"#,
    )
    .unwrap();
    let s = studio(Some(grid.clone())).await;
    let mut a = connect(s.addr).await;
    let mut b = connect(s.addr).await;
    let hello = next(&mut a, "hello").await;
    assert_eq!(hello["positions"][4], json!([0.5, 0.5]));
    next(&mut b, "hello").await;
    // n0 from the corner to the middle of the top edge's first half.
    send(
        &mut a,
        json!({"cmd": "move_node", "node": "n0", "pos": [0.25, 0.0]}),
    )
    .await;
    let moved = next(&mut b, "positions").await;
    assert_eq!(moved["positions"][0], json!([0.25, 0.0]));
    assert_eq!(moved["positions"][8], json!([1.0, 1.0]));
    send(&mut a, json!({"cmd": "save"})).await;
    next(&mut a, "saved").await;
    let saved = NetworkFile::load(&grid).unwrap();
    assert_eq!(
        saved.nodes[0].pos,
        Some([0.5, 0.0]),
        "the file's plane: 0.25 of a span of 2"
    );
    assert_eq!(saved.links.len(), 12);
    for (bad, says) in [
        (
            json!({"cmd": "move_node", "node": "zz", "pos": [0, 0]}),
            "no node `zz`",
        ),
        (
            json!({"cmd": "move_node", "node": "n1", "pos": [5, 0]}),
            "within −1 and 2",
        ),
    ] {
        send(&mut a, bad).await;
        let e = next(&mut a, "error").await;
        assert!(e["message"].as_str().unwrap().contains(says), "{e}");
    }

    // A network without positions: its nodes take the places they are drawn at.
    let path = dir.join("shell.json");
    std::fs::write(&path, SHELL).unwrap();
    let s = studio(Some(path.clone())).await;
    let mut c = connect(s.addr).await;
    let hello = next(&mut c, "hello").await;
    send(
        &mut c,
        json!({"cmd": "move_node", "node": "a", "pos": [0.5, 0.5]}),
    )
    .await;
    next(&mut c, "positions").await;
    send(&mut c, json!({"cmd": "save"})).await;
    next(&mut c, "saved").await;
    let saved = NetworkFile::load(&path).unwrap();
    assert_eq!(saved.nodes[0].pos, Some([0.5, 0.5]));
    let b_drawn: Vec<f64> = serde_json::from_value(hello["positions"][1].clone()).unwrap();
    assert_eq!(saved.nodes[1].pos, Some([b_drawn[0], b_drawn[1]]));
}

#[tokio::test(flavor = "multi_thread")]
async fn off_loopback_every_request_needs_the_token() {
    // Listening on every address: the URL carries a token; requests (sent to 127.0.0.1) need it.
    let s = start(StudioConfig {
        file: Some(mesh16()),
        listen: "0.0.0.0:0".parse().unwrap(),
        seed: None,
    })
    .await
    .unwrap();
    let token = s
        .url
        .split("?token=")
        .nth(1)
        .expect("a token in the URL")
        .to_owned();
    assert!(token.len() >= 32, "{token}");
    let port = s.addr.port();
    let get = |path: String| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).await.unwrap();
        out
    };
    for path in [
        "/",
        "/app.js",
        "/network.json",
        "/vendor/codemirror/codemirror.js",
    ] {
        assert!(
            get(path.to_owned()).await.starts_with("HTTP/1.1 403"),
            "{path}"
        );
        let with = get(format!("{path}?token={token}")).await;
        assert!(with.starts_with("HTTP/1.1 200"), "{path}: {with}");
    }
    assert!(
        get("/?token=wrong".into())
            .await
            .starts_with("HTTP/1.1 403")
    );
    // The page sets a cookie with the token, so its own requests need not carry it.
    let page = get(format!("/?token={token}")).await;
    assert!(
        page.contains(&format!(
            "set-cookie: vnet_studio_token={token}; Path=/; HttpOnly"
        )),
        "{page}"
    );
    let with_cookie = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let req = format!(
            "GET /state.js HTTP/1.1\r\nHost: x\r\nCookie: a=b; vnet_studio_token={token}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).await.unwrap();
        out
    };
    assert!(with_cookie.starts_with("HTTP/1.1 200"), "{with_cookie}");
    let refused = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws")).await;
    assert!(refused.is_err(), "a WebSocket without the token is refused");
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws?token={token}"))
            .await
            .unwrap();
    assert_eq!(
        next(&mut ws, "hello").await["network"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        16
    );
}
