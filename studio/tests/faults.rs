//! Faults from the studio, over the WebSocket: crash, restart, cut and heal a running
//! simulation; every browser sees nodes down and links cut, and a restarted node's workers
//! keep their monitors.

mod common;

use common::*;
use serde_json::json;

const NET: &str = r#"{
  "nodes": [
    {"name": "a", "workers": [{"lang": "lua", "code": "while true do send('b', now()) sleep(10) end"}]},
    {"name": "b", "workers": [{"lang": "lua", "code": "print('boot ' .. node().boot .. ' starts ' .. ((store.get('n') or 0) + 1)) store.set('n', (store.get('n') or 0) + 1) while true do recv() end"}]}
  ],
  "links": [{"a": "a.b", "b": "b.a", "latency": "1ms"}]
}"#;

#[tokio::test(flavor = "multi_thread")]
async fn crash_restart_cut_and_heal_show_in_every_browser() {
    let dir = fresh_dir("studio-faults");
    std::fs::write(dir.join("net.json"), NET).unwrap();
    let s = studio(Some(dir.join("net.json"))).await;
    let mut a = connect(s.addr).await;
    let mut other = connect(s.addr).await;
    let h = next(&mut a, "hello").await;
    assert_eq!(h["faults"], json!({"down": [], "cut": []}));
    next(&mut other, "hello").await;

    send(&mut a, json!({"cmd": "step", "until_message": true})).await;
    logs_until(&mut a, "boot 1 starts 1").await;
    send(&mut a, json!({"cmd": "crash", "node": "b"})).await;
    let b = until(&mut other, "batch", |b| b.get("faults").is_some()).await;
    assert_eq!(b["faults"]["down"], json!(["b"]));
    assert_eq!(
        b["workers"],
        json!([{"node": "b", "worker": 0, "state": "crashed"}])
    );

    // Restarted (no profile: no boot time), its worker is fresh and its store kept.
    // Down until its boot event has run.
    send(&mut a, json!({"cmd": "restart", "node": "b"})).await;
    send(&mut a, json!({"cmd": "step", "until_message": true})).await;
    let b = until(&mut other, "batch", |b| b.get("faults").is_some()).await;
    assert_eq!(b["faults"]["down"], json!([]));
    let logs = logs_until(&mut a, "boot 2 starts 2").await;
    let line = logs
        .iter()
        .find(|l| l["text"] == "boot 2 starts 2")
        .unwrap();
    assert_eq!((&line["node"], &line["worker"]), (&json!("b"), &json!(0)));

    // Cut: the link is shown cut, and what a sends is dropped as `cut`.
    send(&mut a, json!({"cmd": "cut", "a": "a", "b": "b"})).await;
    let b = until(&mut other, "batch", |b| b.get("faults").is_some()).await;
    assert_eq!(b["faults"]["cut"], json!([0]));
    send(&mut a, json!({"cmd": "run", "speed": 20})).await;
    let drop = until(&mut a, "batch", |b| {
        b["messages"]
            .as_array()
            .is_some_and(|m| m.iter().any(|e| e["kind"] == "drop"))
    })
    .await;
    let m = drop["messages"].as_array().unwrap();
    assert!(
        m.iter()
            .any(|e| e["kind"] == "drop" && e["detail"] == "cut"),
        "{m:?}"
    );
    send(&mut a, json!({"cmd": "heal"})).await;
    let b = until(&mut other, "batch", |b| {
        b.get("faults").is_some_and(|f| f["cut"] == json!([]))
    })
    .await;
    assert_eq!(b["faults"]["down"], json!([]));
    send(&mut a, json!({"cmd": "pause"})).await;

    // A reset undoes every fault.
    send(&mut a, json!({"cmd": "crash", "node": "a"})).await;
    send(&mut a, json!({"cmd": "reset"})).await;
    let h = next(&mut other, "hello").await;
    assert_eq!(h["faults"], json!({"down": [], "cut": []}));

    refused(
        &mut a,
        json!({"cmd": "crash", "node": "zz"}),
        "no node `zz`",
    )
    .await;
    refused(&mut a, json!({"cmd": "cut", "a": "a"}), "missing field `b`").await;
    refused(
        &mut a,
        json!({"cmd": "cut", "a": "a", "b": "a"}),
        "no link `a -- a`",
    )
    .await;
}
