//! NMP over HTTP against `vnet-node` processes: workers, output, eval, kill, ports and links
//! across two nodes, save and load, sessions.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

#[tokio::test]
async fn lua_and_js_workers_run_and_their_output_is_read() {
    let node = NodeProcess::start("p1", &[]);
    let c = node.client(None);
    let s = open(&c).await;
    let lua = create_vm(
        &c,
        &s,
        "lua",
        "print('hello from ' .. node().name) print(1 + 1)",
    )
    .await;
    let js = create_vm(
        &c,
        &s,
        "js",
        "print('hello from js'); throw new Error('boom');",
    )
    .await;
    let events = events_until(&c, &s, |e| ended(e, lua) && ended(e, js)).await;
    assert_eq!(texts(&events, lua, "out"), vec!["hello from p1", "2"]);
    assert_eq!(texts(&events, lua, "state"), vec!["finished"]);
    assert_eq!(texts(&events, js, "out"), vec!["hello from js"]);
    assert_eq!(texts(&events, js, "state"), vec!["failed"]);
    assert!(texts(&events, js, "err")[0].contains("boom"));
    // Sequence numbers are consecutive from 1.
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    let list = c.call("vm.list", json!({})).await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    // A syntax error is the worker's failure, with the line.
    let bad = create_vm(&c, &s, "lua", "x = = 1").await;
    let events = events_until(&c, &s, |e| ended(e, bad)).await;
    assert!(texts(&events, bad, "err")[0].contains(":1:"), "{events:?}");
}

#[tokio::test]
async fn a_spinning_worker_is_killed_and_the_root_stays_responsive() {
    let node = NodeProcess::start("p1", &[]);
    let c = node.client(None);
    let s = open(&c).await;
    for lang in ["lua", "js"] {
        let code = if lang == "lua" {
            "while true do pcall(function() end) end"
        } else {
            "for (;;) {}"
        };
        let vm = create_vm(&c, &s, lang, code).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let t = Instant::now();
        let info = c.call("node.info", json!({})).await.unwrap();
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "node.info took {:?}",
            t.elapsed()
        );
        assert_eq!(info["name"], "p1");
        let r = c
            .call("vm.kill", json!({"session": s, "vm": vm}))
            .await
            .unwrap();
        assert_eq!(r["killed"], true, "{lang}");
        let events = events_until(&c, &s, |e| ended(e, vm)).await;
        assert_eq!(texts(&events, vm, "state"), vec!["killed"], "{lang}");
    }
}

#[tokio::test]
async fn eval_reads_a_waiting_workers_state() {
    let node = NodeProcess::start("p1", &[]);
    let c = node.client(None);
    let s = open(&c).await;
    c.call("port.create", json!({"name": "in"})).await.unwrap();
    let vm = create_vm(
        &c,
        &s,
        "lua",
        "seen = 0 while true do recv() seen = seen + 1 end",
    )
    .await;
    for i in 0..3 {
        c.call("port.send", json!({"port": "in", "value": i}))
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = c
            .call(
                "vm.eval",
                json!({"session": s, "vm": vm, "code": "return seen"}),
            )
            .await
            .unwrap();
        if r["value"] == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "{r}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let e = rpc_code(
        c.call(
            "vm.eval",
            json!({"session": s, "vm": vm, "code": "return ("}),
        )
        .await,
    );
    assert_eq!(e, -32006);
    // Blocked in recv, it is listed as waiting.
    let list = c.call("vm.list", json!({})).await.unwrap();
    assert_eq!(list[0]["state"], "waiting", "{list}");
}

#[tokio::test]
async fn two_nodes_ping_pong_over_links() {
    let a = NodeProcess::start("a", &[]);
    let b = NodeProcess::start("b", &[]);
    let (ca, cb) = (a.client(None), b.client(None));
    for (c, other) in [(&ca, &b.url), (&cb, &a.url)] {
        c.call("port.create", json!({"name": "p"})).await.unwrap();
        c.call(
            "port.link",
            json!({"port": "p", "url": other, "remote_port": "p"}),
        )
        .await
        .unwrap();
    }
    let sb = open(&cb).await;
    create_vm(
        &cb,
        &sb,
        "js",
        "for (;;) { const [p, m] = await recv(); send(p, {n: m.n, by: node().name}); }",
    )
    .await;
    let sa = open(&ca).await;
    let ping = r#"
      for i = 1, 20 do
        send('p', {n = i})
        local p, m = recv('p', 5000)
        assert(m and m.n == i and m.by == 'b', 'round ' .. i)
      end
      print('done 20')
    "#;
    let vm = create_vm(&ca, &sa, "lua", ping).await;
    let events = events_until(&ca, &sa, |e| ended(e, vm)).await;
    assert_eq!(texts(&events, vm, "out"), vec!["done 20"], "{events:?}");
    assert_eq!(texts(&events, vm, "state"), vec!["finished"]);
    // Unlinked, a's sends no longer reach b.
    ca.call(
        "port.unlink",
        json!({"port": "p", "url": b.url, "remote_port": "p"}),
    )
    .await
    .unwrap();
    let info = ca.call("node.info", json!({})).await.unwrap();
    assert_eq!(info["ports"][0]["links"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn port_recv_returns_what_workers_sent_with_a_cursor() {
    let node = NodeProcess::start("p1", &[]);
    let c = node.client(None);
    let s = open(&c).await;
    c.call("port.create", json!({"name": "out"})).await.unwrap();
    create_vm(&c, &s, "lua", "for i = 1, 5 do send('out', i) end").await;
    let mut got = Vec::new();
    let mut after = 0;
    while got.len() < 5 {
        let r = c
            .call(
                "port.recv",
                json!({"port": "out", "after": after, "timeout_ms": 2000}),
            )
            .await
            .unwrap();
        for m in r["messages"].as_array().unwrap() {
            after = m["seq"].as_u64().unwrap();
            got.push(m["value"].as_i64().unwrap());
        }
    }
    assert_eq!(got, vec![1, 2, 3, 4, 5]);
    // Asking again after the last one waits and returns nothing new.
    let r = c
        .call(
            "port.recv",
            json!({"port": "out", "after": after, "timeout_ms": 100}),
        )
        .await
        .unwrap();
    assert_eq!(r["messages"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn save_and_load_recreate_ports_links_and_workers() {
    let a = NodeProcess::start("a", &[]);
    let ca = a.client(None);
    let s = open(&ca).await;
    ca.call("port.create", json!({"name": "p"})).await.unwrap();
    ca.call(
        "port.link",
        json!({"port": "p", "url": "http://127.0.0.1:9", "remote_port": "q"}),
    )
    .await
    .unwrap();
    ca.call(
        "vm.create",
        json!({"session": s, "lang": "lua", "code": "recv()", "ports": ["p"]}),
    )
    .await
    .unwrap();
    let saved = ca.call("net.save", json!({})).await.unwrap();
    assert_eq!(
        saved,
        json!({"ports": [{"name": "p", "links": [{"url": "http://127.0.0.1:9", "port": "q"}]}],
               "workers": [{"lang": "lua", "code": "recv()", "ports": ["p"]}]})
    );
    let b = NodeProcess::start("b", &[]);
    let cb = b.client(None);
    let sb = open(&cb).await;
    let r = cb
        .call("net.load", json!({"session": sb, "network": saved}))
        .await
        .unwrap();
    assert_eq!(r["ports"], 1);
    assert_eq!(r["links"], 1);
    assert_eq!(cb.call("net.save", json!({})).await.unwrap(), saved);
    // A malformed network names the bad part.
    let e = cb
        .call(
            "net.load",
            json!({"session": sb, "network": {"workers": [{"lang": "cobol", "code": ""}]}}),
        )
        .await;
    match e {
        Err(vnet_hw::nmp::client::ClientError::Rpc(e)) => {
            assert!(e.message.contains("network.workers[0]"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn closing_or_abandoning_a_session_kills_its_workers() {
    let node = NodeProcess::start("p1", &["--session-timeout", "1"]);
    let c = node.client(None);
    let s = open(&c).await;
    create_vm(&c, &s, "lua", "recv()").await;
    c.call("session.close", json!({"session": s}))
        .await
        .unwrap();
    assert_eq!(
        rpc_code(c.call("io.poll", json!({"session": s})).await),
        -32002
    );
    let info = c.call("node.info", json!({})).await.unwrap();
    assert_eq!(info["load"]["workers_alive"], 0);
    // Left alone past the timeout, a session goes, and its workers with it.
    let s = open(&c).await;
    create_vm(&c, &s, "lua", "recv()").await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        rpc_code(c.call("session.resume", json!({"session": s})).await),
        -32002
    );
    let info = c.call("node.info", json!({})).await.unwrap();
    assert_eq!(info["load"]["workers_alive"], 0);
    assert_eq!(info["load"]["sessions"], 0);
}

#[tokio::test]
async fn a_profiled_node_computes_at_its_hosts_speed_in_wall_clock_time() {
    // 200 000 loop iterations: about 0.8 s on an ESP32 (1000 dhrystones/s at 249 Lua
    // instructions each), a millisecond on the paper's PC.
    let code = "for i = 1, 200000 do end sleep(0) print('done')";
    let mut took = Vec::new();
    for profile in ["esp32", "pc"] {
        let node = NodeProcess::start("p1", &["--profile", profile]);
        let c = node.client(None);
        assert_eq!(
            c.call("node.info", json!({})).await.unwrap()["profile"],
            profile
        );
        let s = open(&c).await;
        let t = Instant::now();
        let vm = create_vm(&c, &s, "lua", code).await;
        let events = events_until(&c, &s, |e| ended(e, vm)).await;
        took.push(t.elapsed());
        assert_eq!(texts(&events, vm, "out"), vec!["done"], "{profile}");
    }
    assert!(
        took[0] >= Duration::from_millis(700),
        "esp32 took {:?}",
        took[0]
    );
    assert!(
        took[1] < Duration::from_millis(500),
        "pc took {:?}",
        took[1]
    );
    // An unknown profile is refused with the names that exist.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vnet-node"))
        .args(["--listen", "127.0.0.1:0", "--profile", "cray"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("esp32"));
}

#[tokio::test]
async fn oversized_output_and_messages_are_cut_or_dropped_with_a_word() {
    let node = NodeProcess::start("p1", &[]);
    let c = node.client(None);
    let s = open(&c).await;
    c.call("port.create", json!({"name": "p"})).await.unwrap();
    let code =
        "print(string.rep('x', 100000)) send('p', string.rep('y', 2000000)) send('p', 'small')";
    let vm = create_vm(&c, &s, "lua", code).await;
    let events = events_until(&c, &s, |e| ended(e, vm)).await;
    let out = texts(&events, vm, "out");
    assert!(
        out[0].len() < 17_000 && out[0].ends_with("(line cut)"),
        "{}",
        out[0].len()
    );
    assert!(
        texts(&events, vm, "err")[0].contains("2000002 bytes"),
        "{events:?}"
    );
    let r = c
        .call(
            "port.recv",
            json!({"port": "p", "after": 0, "timeout_ms": 1000}),
        )
        .await
        .unwrap();
    assert_eq!(r["messages"], json!([{"seq": 1, "value": "small"}]));
}
