//! Agents on P-nodes, over NMP against `vnet-node` processes: `agents.start` makes a node an
//! agent platform, an agent moves from one P-node to another over a `port.link`, `agents.list`
//! shows who is where and what happened, and bad requests and bad parcels are refused by name.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use vnet_hw::nmp::client::Client;

const WALKER: &str = "return { start = 'go',
  act = { go = function() record('at', node().name) moveto('x') end,
          stay = function() record('at', node().name) sleep(60000) end },
  trans = { go = 'stay' } }";

/// `agents.list` of `c` until `done` holds for it (or 10 s pass).
async fn list_until(c: &Client, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let l = c.call("agents.list", json!({})).await.unwrap();
        if done(&l) {
            return l;
        }
        assert!(Instant::now() < deadline, "timed out: {l}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_agent_moves_between_two_p_nodes_and_is_listed() {
    let (n1, n2) = (NodeProcess::start("p1", &[]), NodeProcess::start("p2", &[]));
    let (c1, c2) = (n1.client(None), n2.client(None));
    let (s1, s2) = (open(&c1).await, open(&c2).await);
    for (c, other) in [(&c1, &n2.url), (&c2, &n1.url)] {
        c.call("port.create", json!({"name": "x"})).await.unwrap();
        let link = json!({"port": "x", "url": other, "remote_port": "x"});
        c.call("port.link", link).await.unwrap();
    }
    // Without a platform, the list is empty.
    let none = c2.call("agents.list", json!({})).await.unwrap();
    assert_eq!(none["vm"], Value::Null, "{none}");
    assert_eq!(none["agents"], json!([]));
    let p2 = c2
        .call("agents.start", json!({"session": s2}))
        .await
        .unwrap()["vm"]
        .as_u64()
        .unwrap();
    let start = json!({"session": s1, "params": {"k": 1},
        "agents": [{"lang": "lua", "code": WALKER, "class": "walker"}]});
    let p1 = c1.call("agents.start", start).await.unwrap()["vm"]
        .as_u64()
        .unwrap();

    let l2 = list_until(&c2, |l| {
        l["agents"].as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    assert_eq!(
        l2["agents"],
        json!([{"id": "p1.1", "class": "walker", "lang": "lua"}])
    );
    assert_eq!(l2["vm"], p2);
    assert_eq!(l2["session"], s2);
    assert_eq!(l2["state"], "waiting");
    assert_eq!(l2["counts"]["arrived"], 1);
    let l1 = list_until(&c1, |l| l["counts"]["departed"] == 1).await;
    assert_eq!(l1["agents"], json!([]));
    assert_eq!(l1["counts"]["placed"], 1);

    // What the agent records comes as its platform's events, on each node.
    let e1 = events_until(&c1, &s1, |e| !texts(e, p1, "record").is_empty()).await;
    let e2 = events_until(&c2, &s2, |e| !texts(e, p2, "record").is_empty()).await;
    let value = |e: &[Value], vm: u64| {
        e.iter()
            .find(|e| e["vm"] == vm && e["stream"] == "record")
            .map(|e| e["value"].clone())
    };
    assert_eq!(value(&e1, p1), Some(json!("p1")));
    assert_eq!(value(&e2, p2), Some(json!("p2")));

    // The platform is not a program: not in vm.list, nothing to evaluate in.
    let vms = c2.call("vm.list", json!({})).await.unwrap();
    assert_eq!(vms, json!([]));
    let eval = c2
        .call("vm.eval", json!({"session": s2, "vm": p2, "code": "1"}))
        .await;
    let Err(vnet_hw::nmp::client::ClientError::Rpc(e)) = eval else {
        panic!("{eval:?}")
    };
    assert_eq!(e.code, -32006);
    assert!(e.message.contains("agent platform"), "{}", e.message);

    // One platform per node.
    let again = c2.call("agents.start", json!({"session": s2})).await;
    assert_eq!(rpc_code(again), -32007);

    // A malformed parcel sent to the node is refused, counted and named.
    let bad = json!({"port": "x", "value": {"$agent": {"id": 5}}});
    c2.call("port.send", bad).await.unwrap();
    let l2 = list_until(&c2, |l| l["counts"]["refused"] == 1).await;
    assert_eq!(l2["agents"].as_array().map(Vec::len), Some(1));
    let e2 = events_until(&c2, &s2, |e| !texts(e, p2, "err").is_empty()).await;
    let err = &texts(&e2, p2, "err")[0];
    assert!(
        err.contains("agent platform on p2") && err.contains("a malformed agent"),
        "{err}"
    );

    // Killing the platform ends its agents; the node may host a new one.
    let k = c2
        .call("vm.kill", json!({"session": s2, "vm": p2}))
        .await
        .unwrap();
    assert_eq!(k["killed"], true);
    let l2 = c2.call("agents.list", json!({})).await.unwrap();
    assert_eq!(l2["vm"], Value::Null, "{l2}");
    c2.call("agents.start", json!({"session": s2}))
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_agents_requests_are_refused_by_name() {
    let node = NodeProcess::start("p1", &[]);
    let c = node.client(None);
    let s = open(&c).await;
    let cases = [
        (json!({}), -32602, "missing field `session`"),
        (json!({"session": "nope"}), -32002, "no open session"),
        (json!({"session": s, "ports": ["q"]}), -32005, "no port `q`"),
        (json!({"session": s, "agents": null}), -32602, "agents"),
        (
            json!({"session": s, "agents": [{"lang": "cobol", "code": ""}]}),
            -32602,
            "`agents[0].lang`",
        ),
        (
            json!({"session": s, "agents": [{"lang": "lua", "code": "", "when": 1}]}),
            -32602,
            "unknown field `when`",
        ),
        (
            json!({"session": s, "agents": [{"lang": "lua", "code": "", "after_ms": 1u64 << 60}]}),
            -32602,
            "`agents[0].after_ms`: at most",
        ),
        (
            json!({"session": s, "agents": [{"lang": "lua", "code": "x".repeat(300_000)}]}),
            -32003,
            "bytes of code and params",
        ),
    ];
    for (params, code, words) in cases {
        let r = c.call("agents.start", params.clone()).await;
        let Err(vnet_hw::nmp::client::ClientError::Rpc(e)) = r else {
            panic!("{params}: {r:?}")
        };
        assert_eq!(e.code, code, "{params}: {}", e.message);
        assert!(e.message.contains(words), "{params}: {}", e.message);
    }
    let r = c.call("agents.list", json!({"session": s})).await;
    assert_eq!(rpc_code(r), -32602);
    // A class that does not compile fails its agent, not the platform.
    let start =
        json!({"session": s, "agents": [{"lang": "js", "code": "return {", "class": "broken"}]});
    let vm = c.call("agents.start", start).await.unwrap()["vm"]
        .as_u64()
        .unwrap();
    let l = list_until(&c, |l| l["counts"]["failed"] == 1).await;
    assert_eq!(l["vm"], vm);
    let e = events_until(&c, &s, |e| !texts(e, vm, "err").is_empty()).await;
    assert!(texts(&e, vm, "err")[0].contains("p1.1"), "{e:?}");
}
