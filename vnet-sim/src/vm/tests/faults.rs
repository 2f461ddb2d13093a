//! VM workers under faults: `store` and `node().boot` in Lua and JavaScript, restarts from a
//! network file's `faults` section.

use crate::kernel::Simulation;
use crate::net::NodeId;
use crate::netfile::{NetworkFile, ProgramRegistry};
use crate::time::SimTime;

const LUA: &str = r#"
local n = (store.get("starts") or 0) + 1
store.set("starts", n)
store.set("log", {boot = node().boot, at = now()})
record("boot", node().boot)
record("starts", n)
record("keys", #store.keys())
sleep(1000)
"#;

const JS: &str = r#"
const n = (store.get("starts") ?? 0) + 1;
store.set("starts", n);
store.set("log", {boot: node().boot, at: now()});
record("boot", node().boot);
record("starts", n);
record("keys", store.keys().length);
await sleep(1000);
"#;

fn file(code: &str, lang: &str) -> String {
    serde_json::json!({
        "nodes": [{ "name": "n", "workers": [{ "lang": lang, "code": code }],
                    "profile": { "name": "tiny", "dhrystones_per_s": 1e9, "t_ivm": 0,
                                 "tcmsg": 0, "memory_cap": 16777216, "t_boot": "2ms" } }],
        "faults": [
            { "fault": "crash", "at": "10ms", "node": "n", "restart_after": "5ms" },
            { "fault": "restart", "at": "30ms", "node": "n" },
            { "fault": "restart", "at": "50ms", "node": "n", "wipe": true }
        ]
    })
    .to_string()
}

fn values(sim: &Simulation, name: &str) -> Vec<(u64, i64)> {
    (sim.results().records().iter())
        .filter(|r| r.node == NodeId(0) && r.name == name)
        .map(|r| {
            (
                r.time.as_nanos() / 1_000_000,
                r.value.as_f64().unwrap() as i64,
            )
        })
        .collect()
}

#[test]
fn store_survives_restarts_and_boot_counts_them_in_both_languages() {
    for (lang, code) in [("lua", LUA), ("js", JS)] {
        let f = NetworkFile::from_json(&file(code, lang)).unwrap();
        let mut sim = f.instantiate(&ProgramRegistry::new(), None).unwrap();
        sim.run_until(SimTime::from_millis(100));
        // Booted at 0; crashed at 10, up at 15 + 2; bounced at 30, up at 32; wiped at 50.
        assert_eq!(
            values(&sim, "boot"),
            [(0, 1), (17, 2), (32, 3), (52, 4)],
            "{lang}"
        );
        assert_eq!(
            values(&sim, "starts"),
            [(0, 1), (17, 2), (32, 3), (52, 1)],
            "{lang}"
        );
        assert_eq!(
            values(&sim, "keys"),
            [(0, 2), (17, 2), (32, 2), (52, 2)],
            "{lang}"
        );
        let store = sim.store(NodeId(0)).unwrap();
        assert_eq!(store.get("log").unwrap()["boot"], 4, "{lang}");
        assert_eq!(sim.results().fault_stats().restarts, 3, "{lang}");
    }
}

#[test]
fn store_misuse_fails_the_worker_with_a_clear_message() {
    for (lang, code, want) in [
        (
            "lua",
            "store.set(1, 2)",
            "store.set: expected a key (a string)",
        ),
        (
            "lua",
            "store.set('', 2)",
            "a key must be a non-empty string",
        ),
        (
            "lua",
            "store.set('k', string.rep('x', 2000000))",
            "would take the node's store past 1048576 bytes",
        ),
        ("js", "store.set('', 2)", "a key must be a non-empty string"),
    ] {
        let text = serde_json::json!({
            "nodes": [{ "name": "n", "workers": [{ "lang": lang, "code": code }] }]
        })
        .to_string();
        let f = NetworkFile::from_json(&text).unwrap();
        let mut sim = f.instantiate(&ProgramRegistry::new(), None).unwrap();
        sim.run();
        let err = &sim.results().logs()[0].text;
        assert!(err.contains(want), "{lang} {code}: {err}");
    }
}

#[test]
fn fault_sections_are_checked_by_name() {
    let bad = |faults: serde_json::Value| {
        let text = serde_json::json!({
            "nodes": [{ "name": "alpha" }, { "name": "beta" }],
            "links": [{ "a": "alpha.p", "b": "beta.p", "latency": "1ms" }],
            "faults": faults
        })
        .to_string();
        NetworkFile::from_json(&text).unwrap_err().to_string()
    };
    let e = bad(serde_json::json!([{ "fault": "crash", "at": "1s", "node": "alpah" }]));
    assert!(
        e.contains("fault 0 (`crash`): unknown node `alpah`, did you mean `alpha`?"),
        "{e}"
    );
    let e = bad(serde_json::json!([{ "fault": "hold", "at": "1s", "link": "alpha -- gamma" }]));
    assert!(e.contains("unknown node `gamma`"), "{e}");
    let e =
        bad(serde_json::json!([{ "fault": "crash", "at": "1s", "node": "alpha", "wiep": true }]));
    assert!(e.contains("fault 0: unknown field `wiep`"), "{e}");
    let e = bad(serde_json::json!([{ "fault": "crahs", "at": "1s" }]));
    assert!(e.contains("fault 0: unknown variant `crahs`"), "{e}");
    let e = bad(serde_json::json!([{ "fault": "link_faults", "link": "*", "duplicate": 2 }]));
    assert!(e.contains("`duplicate` must be within [0, 1]"), "{e}");
    let e = bad(serde_json::json!([{ "fault": "churn", "mtbf": "1s", "mttr": "1s" }]));
    assert!(e.contains("give `nodes`, `links` or both"), "{e}");
    let e =
        bad(serde_json::json!([{ "fault": "churn", "nodes": "*", "mtbf": "0s", "mttr": "1s" }]));
    assert!(
        e.contains("`mtbf`: the mean time must be above zero"),
        "{e}"
    );
    let e = bad(
        serde_json::json!([{ "fault": "churn", "nodes": "*", "mtbf": "1s",
        "mttr": {"kind": "uniform", "min": "2s", "max": "1s"} }]),
    );
    assert!(e.contains("`mttr`: uniform: min 2"), "{e}");
    let external = serde_json::json!({
        "nodes": [{ "name": "alpha" }, { "name": "p", "external": { "url": "http://127.0.0.1:1" } }],
        "links": [{ "a": "alpha.p", "b": "p.p", "latency": "1ms" }],
        "faults": [{ "fault": "crash", "at": "1s", "node": "p" }]
    });
    let e = NetworkFile::from_json(&external.to_string())
        .unwrap_err()
        .to_string();
    assert!(e.contains("node `p` is external (a real P-node)"), "{e}");
    // Every link form resolves.
    let ok = serde_json::json!({
        "nodes": [{ "name": "alpha" }, { "name": "beta" }],
        "links": [{ "a": "alpha.p", "b": "beta.p", "latency": "1ms" }],
        "faults": [
            { "fault": "hold", "at": "1s", "link": "beta -- alpha" },
            { "fault": "release", "at": "2s", "link": "beta.p -- alpha.p" },
            { "fault": "churn", "links": "*", "nodes": ["beta"], "mtbf": {"kind": "fixed", "value": "1s"}, "mttr": "10ms", "until": "5s" }
        ]
    });
    let f = NetworkFile::from_json(&ok.to_string()).unwrap();
    // Saved and loaded again, the same.
    assert_eq!(NetworkFile::from_json(&f.to_json()).unwrap(), f);
    let mut sim = f.instantiate(&ProgramRegistry::new(), None).unwrap();
    sim.run();
    let s = sim.results().fault_stats();
    // Fixed 1 s up, 10 ms down, until 5 s: failures at 1, 2.01, 3.02, 4.03 s.
    assert_eq!((s.crashes, s.links_down), (4, 4));
}
