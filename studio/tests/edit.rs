//! Editing the network and its workers from a browser, over the WebSocket: nodes, links and
//! their parameters; code, restart, kill and new workers in a running simulation; upload;
//! and saving what was edited so that `vnet run` runs it.

mod common;

use common::*;
use serde_json::{Value, json};
use vnet_sim::netfile::NetworkFile;

const NET: &str = r#"{
  "seed": 3,
  "nodes": [
    {"name": "a", "workers": [{"lang": "lua", "path": "hello.lua"}]},
    {"name": "b", "workers": [{"lang": "lua", "path": "hello.lua"}]}
  ],
  "links": [{"a": "a.b", "b": "b.a", "latency": "2ms", "bandwidth": "1Mbps"}]
}"#;

const HELLO: &str = "print('v1 ' .. node().name)\n";

fn names(hello: &Value, what: &str) -> Vec<String> {
    hello["network"][what]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| match what {
            "nodes" => n["name"].as_str().unwrap().to_owned(),
            _ => format!("{}-{}", n["a"].as_str().unwrap(), n["b"].as_str().unwrap()),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_and_links_are_added_edited_and_removed_for_every_browser() {
    let dir = fresh_dir("studio-edit-shape");
    std::fs::write(dir.join("net.json"), NET).unwrap();
    std::fs::write(dir.join("hello.lua"), HELLO).unwrap();
    let s = studio(Some(dir.join("net.json"))).await;
    let mut a = connect(s.addr).await;
    let mut b = connect(s.addr).await;
    let first = next(&mut a, "hello").await;
    assert_eq!(first["sources"]["hello.lua"], HELLO);
    next(&mut b, "hello").await;

    // A node like a, then a link from it to b: ports named after the other end.
    send(
        &mut a,
        json!({"cmd": "add_node", "pos": [0.5, 0.9], "copy_of": "a"}),
    )
    .await;
    let h = next(&mut b, "hello").await;
    assert_eq!(names(&h, "nodes"), ["a", "b", "n0"]);
    assert_eq!(h["network"]["nodes"][2]["workers"][0]["path"], "hello.lua");
    assert_eq!(h["positions"][2], json!([0.5, 0.9]));
    send(&mut a, json!({"cmd": "add_link", "a": "n0", "b": "b"})).await;
    let h = next(&mut b, "hello").await;
    assert_eq!(names(&h, "links"), ["a.b-b.a", "n0.b-b.n0"]);
    assert_eq!(
        h["network"]["links"][1]["latency"], "2ms",
        "the first link's parameters"
    );

    // Edit the new link's parameters; a bad value is refused and changes nothing.
    let mut link = h["network"]["links"][1].clone();
    link["loss"] = json!(0.5);
    link["latency"] = json!("7ms");
    send(&mut a, json!({"cmd": "set_link", "link": link})).await;
    let h = next(&mut b, "hello").await;
    assert_eq!(h["network"]["links"][1]["loss"], 0.5);
    assert_eq!(h["network"]["links"][1]["latency"], "7ms");
    let mut bad = link.clone();
    bad["loss"] = json!(1.5);
    refused(&mut a, json!({"cmd": "set_link", "link": bad}), "loss").await;
    refused(
        &mut a,
        json!({"cmd": "set_link", "link": {"a": "a.x", "b": "b.y", "latency": "1ms"}}),
        "no link between `a.x` and `b.y`",
    )
    .await;
    refused(
        &mut a,
        json!({"cmd": "add_link", "a": "n0", "b": "zz"}),
        "no node `zz`",
    )
    .await;
    refused(
        &mut a,
        json!({"cmd": "add_link", "a": "b", "b": "n0"}),
        "linked already",
    )
    .await;

    // A node's profile and params: set_node with the node's spec changed.
    let mut spec = h["network"]["nodes"][2].clone();
    spec["profile"] = json!("esp32");
    spec["params"] = json!({"k": 3});
    send(
        &mut a,
        json!({"cmd": "set_node", "node": "n0", "spec": spec}),
    )
    .await;
    let h = next(&mut b, "hello").await;
    assert_eq!(h["network"]["nodes"][2]["profile"], "esp32");
    assert_eq!(h["network"]["nodes"][2]["params"]["k"], 3);
    // Ports of its own: add one, then take it away again; a port a link uses cannot go.
    let mut ported = h["network"]["nodes"][2].clone();
    ported["ports"] = json!(["b", "spare"]);
    send(
        &mut a,
        json!({"cmd": "set_node", "node": "n0", "spec": ported}),
    )
    .await;
    let h = next(&mut b, "hello").await;
    assert_eq!(h["network"]["nodes"][2]["ports"], json!(["b", "spare"]));
    ported["ports"] = json!(["spare"]);
    refused(
        &mut a,
        json!({"cmd": "set_node", "node": "n0", "spec": ported}),
        "declares no port `b`",
    )
    .await;
    ported["ports"] = json!(["b"]);
    send(
        &mut a,
        json!({"cmd": "set_node", "node": "n0", "spec": ported}),
    )
    .await;
    let h = next(&mut b, "hello").await;
    assert_eq!(h["network"]["nodes"][2]["ports"], json!(["b"]));
    let spec = h["network"]["nodes"][2].clone();
    let mut bad = spec.clone();
    bad["profile"] = json!("cray");
    refused(
        &mut a,
        json!({"cmd": "set_node", "node": "n0", "spec": bad}),
        "unknown host `cray`",
    )
    .await;

    // Remove the link, then the node; removing it again is an error.
    send(
        &mut a,
        json!({"cmd": "remove_link", "a": "b.n0", "b": "n0.b"}),
    )
    .await;
    let h = next(&mut b, "hello").await;
    assert_eq!(names(&h, "links"), ["a.b-b.a"]);
    send(&mut a, json!({"cmd": "remove_node", "node": "n0"})).await;
    let h = next(&mut b, "hello").await;
    assert_eq!(names(&h, "nodes"), ["a", "b"]);
    refused(
        &mut a,
        json!({"cmd": "remove_node", "node": "n0"}),
        "no node `n0`",
    )
    .await;

    // What the studio saves, `vnet run` runs: the same network, loaded from the disk.
    send(
        &mut a,
        json!({"cmd": "add_node", "name": "c", "pos": [0.1, 0.1], "copy_of": "b"}),
    )
    .await;
    next(&mut a, "hello").await;
    send(&mut a, json!({"cmd": "add_link", "a": "c", "b": "a"})).await;
    let h = next(&mut a, "hello").await;
    send(&mut a, json!({"cmd": "save"})).await;
    next(&mut a, "saved").await;
    let saved = NetworkFile::load(dir.join("net.json")).unwrap();
    assert_eq!(serde_json::to_value(&saved).unwrap(), h["network"]);
    send(&mut a, json!({"cmd": "run"})).await;
    let done = next(&mut a, "done").await;
    assert_eq!(done["trace_hash"], run_hash(&dir.join("net.json")));
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_are_edited_restarted_killed_and_added_while_running() {
    let dir = fresh_dir("studio-edit-workers");
    std::fs::write(dir.join("net.json"), NET).unwrap();
    std::fs::write(dir.join("hello.lua"), HELLO).unwrap();
    let s = studio(Some(dir.join("net.json"))).await;
    let mut ws = connect(s.addr).await;
    let mut other = connect(s.addr).await;
    next(&mut ws, "hello").await;
    next(&mut other, "hello").await;
    send(&mut ws, json!({"cmd": "run"})).await;
    logs_until(&mut ws, "v1 b").await;
    next(&mut ws, "done").await;
    // Both workers finished: a second browser is told.
    let b = until(&mut other, "batch", |b| {
        !b["workers"].as_array().unwrap().is_empty()
    })
    .await;
    let ended: Vec<&str> = b["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["state"].as_str().unwrap())
        .collect();
    assert_eq!(ended, ["finished", "finished"], "{b}");

    // New code for hello.lua (every worker running the file), then restart a's worker.
    let v2 = "print('v2 ' .. node().name .. ' at ' .. now())\nwhile true do sleep(5) end\n";
    send(
        &mut ws,
        json!({"cmd": "set_code", "node": "a", "worker": 0, "code": v2}),
    )
    .await;
    let c = next(&mut other, "code").await;
    assert_eq!(
        (c["path"].as_str(), c["code"].as_str()),
        (Some("hello.lua"), Some(v2))
    );
    send(&mut ws, json!({"cmd": "step"})).await;
    next(&mut ws, "batch").await;
    refused(
        &mut ws,
        json!({"cmd": "worker", "node": "a", "worker": 0, "action": "kill"}),
        "not running",
    )
    .await;
    send(
        &mut ws,
        json!({"cmd": "worker", "node": "a", "worker": 0, "action": "start"}),
    )
    .await;
    send(&mut ws, json!({"cmd": "run"})).await;
    let lines = logs_until(&mut ws, "v2 a at 0.0").await;
    assert!(lines.iter().all(|l| l["worker"] == 0), "{lines:?}");
    refused(
        &mut ws,
        json!({"cmd": "worker", "node": "a", "worker": 0, "action": "start"}),
        "running already",
    )
    .await;
    // The new worker loops for ever: its shell answers, and kill ends it.
    send(&mut ws, json!({"cmd": "pause"})).await;
    send(
        &mut ws,
        json!({"cmd": "eval", "node": "a", "worker": 0, "code": "1 + 1"}),
    )
    .await;
    assert_eq!(next(&mut ws, "eval_result").await["value"], 2);
    send(
        &mut ws,
        json!({"cmd": "worker", "node": "a", "worker": 0, "action": "kill"}),
    )
    .await;
    until(&mut ws, "batch", |b| {
        b["workers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["state"] == "killed")
    })
    .await;
    refused(
        &mut ws,
        json!({"cmd": "eval", "node": "a", "worker": 0, "code": "1"}),
        "not running",
    )
    .await;
    send(&mut ws, json!({"cmd": "run"})).await;
    next(&mut ws, "done").await;

    // A worker added to a running node starts at once, in JavaScript too.
    send(
        &mut ws,
        json!({"cmd": "add_worker", "node": "b", "lang": "js", "code": "console.log('js on ' + node().name)"}),
    )
    .await;
    let n = next(&mut other, "node_changed").await;
    assert_eq!(
        (
            n["index"].as_u64(),
            n["spec"]["workers"][1]["lang"].as_str()
        ),
        (Some(1), Some("js"))
    );
    send(&mut ws, json!({"cmd": "run"})).await;
    let lines = logs_until(&mut ws, "js on b").await;
    assert_eq!(lines.last().unwrap()["worker"], 1);
    refused(
        &mut ws,
        json!({"cmd": "add_worker", "node": "b", "lang": "cobol", "code": ""}),
        "unknown variant `cobol`",
    )
    .await;

    // Save writes the edited program file; a reset runs the new code everywhere.
    send(&mut ws, json!({"cmd": "save"})).await;
    next(&mut ws, "saved").await;
    assert_eq!(std::fs::read_to_string(dir.join("hello.lua")).unwrap(), v2);
    let saved = NetworkFile::load(dir.join("net.json")).unwrap();
    assert_eq!(saved.nodes[1].workers.len(), 2);
    assert_eq!(saved.nodes[0].workers[0].path.as_deref(), Some("hello.lua"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_replaces_the_network_and_bad_ones_change_nothing() {
    let dir = fresh_dir("studio-edit-load");
    std::fs::write(dir.join("net.json"), NET).unwrap();
    std::fs::write(dir.join("hello.lua"), HELLO).unwrap();
    let s = studio(Some(dir.join("net.json"))).await;
    let mut ws = connect(s.addr).await;
    next(&mut ws, "hello").await;
    let text = r#"{"seed": 11, "topology": {"kind": "line", "n": 4},
        "node_defaults": {"workers": [{"lang": "lua", "path": "hello.lua"}]},
        "link_defaults": {"latency": "1ms"}}"#;
    send(&mut ws, json!({"cmd": "load", "text": text})).await;
    let h = next(&mut ws, "hello").await;
    assert_eq!(names(&h, "nodes"), ["n0", "n1", "n2", "n3"]);
    assert_eq!(h["clock"]["seed"], 11);
    refused(
        &mut ws,
        json!({"cmd": "load", "text": "{\"nodes\": [\n  {\"name\": }]}"}),
        "network.json:2:",
    )
    .await;
    refused(
        &mut ws,
        json!({"cmd": "load", "text": "{\"nodez\": []}"}),
        "did you mean `nodes`",
    )
    .await;
    refused(
        &mut ws,
        json!({"cmd": "load", "text": r#"{"nodes": [{"name": "x", "workers": [{"lang": "lua", "path": "../../etc/passwd"}]}]}"#}),
        "must stay inside",
    )
    .await;
    // Still the uploaded network.
    send(&mut ws, json!({"cmd": "reset"})).await;
    assert_eq!(
        names(&next(&mut ws, "hello").await, "nodes"),
        ["n0", "n1", "n2", "n3"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_carry_records_sensor_readings_and_message_values() {
    let dir = fresh_dir("studio-edit-observe");
    let net = r#"{"seed": 1, "nodes": [
      {"name": "s", "pos": [0, 0], "workers": [{"lang": "lua", "code":
        "for i = 1, 3 do local _, v = recv('temp'); record('seen', v); send('out', {n = i}) end"}],
       "sensors": [{"name": "temp", "signal": {"kind": "constant", "value": 21.5},
                    "trigger": {"kind": "periodic", "period_ms": 10, "until_ms": 30}, "port": "temp"}]},
      {"name": "t", "pos": [1, 0]}],
      "links": [{"a": "s.out", "b": "t.in", "latency": "1ms"}]}"#;
    std::fs::write(dir.join("net.json"), net).unwrap();
    let s = studio(Some(dir.join("net.json"))).await;
    let mut ws = connect(s.addr).await;
    next(&mut ws, "hello").await;
    send(&mut ws, json!({"cmd": "run"})).await;
    let (mut records, mut readings, mut sends) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(20), async {
            loop {
                let v = next_any(&mut ws).await;
                if v["type"] == "batch" || v["type"] == "done" {
                    return v;
                }
            }
        })
        .await
        .unwrap();
        if m["type"] == "done" {
            break;
        }
        records.extend(m["records"].as_array().unwrap().iter().cloned());
        readings.extend(m["readings"].as_array().unwrap().iter().cloned());
        sends.extend(
            m["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == "send")
                .cloned(),
        );
    }
    // Periodic from 0 to 30 ms inclusive: four readings.
    let times: Vec<u64> = readings
        .iter()
        .map(|r| r["t_ns"].as_u64().unwrap())
        .collect();
    assert_eq!(
        times,
        [0, 10_000_000, 20_000_000, 30_000_000],
        "{readings:?}"
    );
    assert!(
        readings
            .iter()
            .all(|r| r["name"] == "temp" && r["value"] == 21.5 && r["node"] == "s")
    );
    assert_eq!(records.len(), 3);
    assert!(
        records
            .iter()
            .all(|r| r["name"] == "seen" && r["value"] == 21.5)
    );
    let values: Vec<&str> = sends.iter().map(|e| e["value"].as_str().unwrap()).collect();
    assert_eq!(values, [r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":3}"#]);
}
