//! Mobile agents in the studio, over the WebSocket: the `hello` says where the placed agents
//! are, and batches follow them as they move (in transit, on no node); a walker that ends
//! leaves no agent behind.

mod common;

use common::*;
use serde_json::json;

/// A walker placed on `a` goes to `b`, then to `c`, where it stays 5 ms and ends.
const NET: &str = r#"{
  "node_defaults": {"platform": true},
  "nodes": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
  "links": [{"a": "a.b", "b": "b.a", "latency": "1ms"}, {"a": "b.c", "b": "c.b", "latency": "1ms"}],
  "agents": [{"at": "a", "lang": "lua", "class": "walker",
    "code": "return { start = 'go', act = { go = function(self) sleep(5) moveto(node().name == 'a' and 'b' or 'c') end, stay = function() sleep(5) end }, trans = { go = function() if node().name == 'b' then return 'stay' end return 'go' end } }"}]
}"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_studio_shows_where_agents_are() {
    let dir = fresh_dir("studio-agents");
    std::fs::write(dir.join("net.json"), NET).unwrap();
    let s = studio(Some(dir.join("net.json"))).await;
    let mut ws = connect(s.addr).await;
    let h = next(&mut ws, "hello").await;
    // Placed agents start when the run starts: none is anywhere yet.
    assert_eq!(h["agents"], json!([]));
    // Step event by event: every change of place comes in a batch.
    let mut places = Vec::new();
    for _ in 0..60 {
        send(&mut ws, json!({"cmd": "step"})).await;
        let b = next(&mut ws, "batch").await;
        if let Some(a) = b.get("agents") {
            let at: Vec<String> = (a.as_array().unwrap().iter())
                .map(|x| {
                    format!(
                        "{} {} at {}",
                        x["id"].as_str().unwrap(),
                        x["class"].as_str().unwrap(),
                        x["node"].as_str().unwrap()
                    )
                })
                .collect();
            places.push(at.join(", "));
        }
        if b["clock"]["idle"] == json!(true) {
            break;
        }
    }
    // On a link it is on no node: the parcel is a message (drawn moving like any).
    assert_eq!(
        places,
        [
            "a.1 walker at a",
            "",
            "a.1 walker at b",
            "",
            "a.1 walker at c",
            ""
        ]
    );
}
