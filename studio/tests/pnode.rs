//! External nodes in the studio: a running `vnet-node` as a V-node twin, linked to a simulated
//! node. Its worker's output reaches the monitors, its shell answers, it is killed and
//! started again from new code, the network runs only at 1× real time, and the saved file
//! keeps the node external (`tests/external.rs` at the root runs such a file with `vnet run`).

mod common;

use common::*;
use serde_json::json;
use vnet_hw::launch::{NodeProcesses, vnet_node_binary};
use vnet_sim::netfile::NetworkFile;

fn network(url: &str) -> String {
    json!({
        "nodes": [
            {"name": "a", "pos": [0, 0], "workers": [{"lang": "lua", "code":
                "send('p', 'ping')\nlocal _, v = recv('p')\nprint('a got ' .. v)\nrecord('got', 1)"}]},
            {"name": "p", "pos": [1, 0], "external": {"url": url}, "workers": [{"lang": "lua", "code":
                "x = 5\nlocal port, v = recv()\nprint('p got ' .. v)\nsend(port, v .. '-pong')\nwhile true do sleep(1000) end"}]}
        ],
        "links": [{"a": "a.p", "b": "p.a", "latency": "5ms"}]
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_external_node_is_run_watched_evaluated_restarted_and_saved() {
    let bin = tokio::task::spawn_blocking(vnet_node_binary)
        .await
        .unwrap()
        .unwrap();
    let nodes = NodeProcesses::start(&bin, &["p".to_owned()], &[]).unwrap();
    let url = nodes.started()[0].url.clone();
    let dir = fresh_dir("studio-pnode");
    let path = dir.join("hybrid.json");
    std::fs::write(&path, network(&url)).unwrap();
    let s = studio(Some(path.clone())).await;
    let mut ws = connect(s.addr).await;
    let hello = next(&mut ws, "hello").await;
    assert_eq!(hello["network"]["nodes"][1]["external"]["url"], url);

    refused(&mut ws, json!({"cmd": "run"}), "1× real time").await;
    refused(&mut ws, json!({"cmd": "run", "speed": 10}), "1× real time").await;
    send(&mut ws, json!({"cmd": "run", "speed": 1})).await;
    let lines = logs_until(&mut ws, "a got ping-pong").await;
    let p_line = lines.iter().find(|l| l["node"] == "p").expect("p's output");
    assert_eq!(
        (p_line["text"].as_str(), p_line["worker"].as_u64()),
        (Some("p got ping"), Some(0))
    );
    // In real time: at least the two link crossings (2 × 5 ms) have passed.
    let b = next(&mut ws, "batch").await;
    assert!(b["clock"]["t_ns"].as_u64().unwrap() >= 10_000_000, "{b}");

    // The P-node worker's shell, Lua's REPL rule included.
    send(
        &mut ws,
        json!({"cmd": "eval", "node": "p", "worker": 0, "code": "x * 2"}),
    )
    .await;
    assert_eq!(next(&mut ws, "eval_result").await["value"], 10);
    send(
        &mut ws,
        json!({"cmd": "eval", "node": "p", "worker": 0, "code": "x = 7"}),
    )
    .await;
    next(&mut ws, "eval_result").await;
    send(
        &mut ws,
        json!({"cmd": "eval", "node": "p", "worker": 0, "code": "x"}),
    )
    .await;
    assert_eq!(next(&mut ws, "eval_result").await["value"], 7);

    // Kill it (the P-node says so), give it new code, start it again.
    send(
        &mut ws,
        json!({"cmd": "worker", "node": "p", "worker": 0, "action": "kill"}),
    )
    .await;
    until(&mut ws, "batch", |b| {
        b["workers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["node"] == "p" && w["state"] == "killed")
    })
    .await;
    let v2 = "print('p v2 on ' .. node().name)\nwhile true do sleep(1000) end";
    send(
        &mut ws,
        json!({"cmd": "set_code", "node": "p", "worker": 0, "code": v2}),
    )
    .await;
    next(&mut ws, "code").await;
    send(
        &mut ws,
        json!({"cmd": "worker", "node": "p", "worker": 0, "action": "start"}),
    )
    .await;
    logs_until(&mut ws, "p v2 on p").await;
    send(&mut ws, json!({"cmd": "pause"})).await;

    // Saved, it is still external, with the new code.
    send(&mut ws, json!({"cmd": "save"})).await;
    next(&mut ws, "saved").await;
    let saved = NetworkFile::load(&path).unwrap();
    assert_eq!(saved.nodes[1].external.as_ref().unwrap().url, url);
    assert_eq!(saved.nodes[1].workers[0].code.as_deref(), Some(v2));

    nodes.stop();
}

/// An agent that moves from a simulated node to a P-node is shown there: the studio lists the
/// P-node's agents (NMP `agents.list`) with the simulated ones.
#[tokio::test(flavor = "multi_thread")]
async fn an_agent_on_a_p_node_is_shown_there() {
    let bin = tokio::task::spawn_blocking(vnet_node_binary)
        .await
        .unwrap()
        .unwrap();
    let nodes = NodeProcesses::start(&bin, &["p".to_owned()], &[]).unwrap();
    let url = nodes.started()[0].url.clone();
    let dir = fresh_dir("studio-pnode-agents");
    let path = dir.join("agents.json");
    let class = "return { start = 'go',
      act = { go = function() moveto('p') end, rest = function() sleep(60000) end },
      trans = { go = 'rest', rest = 'rest' } }";
    let net = json!({
        "nodes": [
            {"name": "a", "pos": [0, 0], "platform": true},
            {"name": "p", "pos": [1, 0], "external": {"url": url}, "platform": true}
        ],
        "links": [{"a": "a.p", "b": "p.a", "latency": "5ms"}],
        "agents": [{"at": "a", "lang": "lua", "class": "walker", "code": class}]
    });
    std::fs::write(&path, net.to_string()).unwrap();
    let s = studio(Some(path.clone())).await;
    let mut ws = connect(s.addr).await;
    next(&mut ws, "hello").await;
    send(&mut ws, json!({"cmd": "run", "speed": 1})).await;
    let b = until(&mut ws, "batch", |b| {
        b.get("agents").is_some_and(|a| {
            a.as_array()
                .is_some_and(|a| a.iter().any(|x| x["node"] == "p"))
        })
    })
    .await;
    assert_eq!(
        b["agents"],
        json!([{"id": "a.1", "class": "walker", "node": "p"}])
    );
    send(&mut ws, json!({"cmd": "pause"})).await;
    nodes.stop();
}
