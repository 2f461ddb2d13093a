//! The node's tuple space from Lua and JavaScript: blocking reads and takes, the order waiters
//! are served in, time-outs, lifetimes, wildcards, a crash emptying the space, misuse; both
//! languages give the same records.

use crate::kernel::Simulation;
use crate::net::NodeId;
use crate::netfile::{NetworkFile, ProgramRegistry};

/// w0 reads, w1 takes, w2 reads (waiting in that order), w3 puts tuples out.
const LUA: [&str; 4] = [
    r#"local t = rd({"job", ANY}) record("rd0", t[2])
       local n = rd({"never"}, 7) record("timeout", n == nil and now() or -1)"#,
    r#"local t = take({"job", ANY}) record("take", t[2])"#,
    r#"local t = rd({"job", ANY}) record("rd2", t[2])"#,
    r#"sleep(5) out({"job", 1})
       sleep(5) out({"job", 2})
       sleep(5) record("left", inp({"job", ANY})[2]) record("none", inp({"job", ANY}) == nil)
       out({"tmp", 1}, 3)
       sleep(2) record("tmp17", rdp({"tmp", ANY}) ~= nil)
       sleep(1) record("tmp18", rdp({"tmp", ANY}) ~= nil)
       out({"n", 1, {a = {2, 3}}}) out({"n", 2, "x"})
       record("num", rdp({"n", 1.0, ANY})[2])
       record("oldest", rdp({"n", ANY, ANY})[2])
       record("short", rdp({"n", ANY}) == nil)
       record("now", take({"n", 2, "x"}, 0)[2])
       record("zero", take({"n", 2, "x"}, 0) == nil)"#,
];

const JS: [&str; 4] = [
    r#"const t = await rd(["job", ANY]); record("rd0", t[1]);
       const n = await rd(["never"], 7); record("timeout", n === null ? now() : -1);"#,
    r#"const t = await take(["job", ANY]); record("take", t[1]);"#,
    r#"const t = await rd(["job", ANY]); record("rd2", t[1]);"#,
    r#"await sleep(5); out(["job", 1]);
       await sleep(5); out(["job", 2]);
       await sleep(5); record("left", inp(["job", ANY])[1]); record("none", inp(["job", ANY]) === null);
       out(["tmp", 1], 3);
       await sleep(2); record("tmp17", rdp(["tmp", ANY]) !== null);
       await sleep(1); record("tmp18", rdp(["tmp", ANY]) !== null);
       out(["n", 1, {a: [2, 3]}]); out(["n", 2, "x"]);
       record("num", rdp(["n", 1.0, ANY])[1]);
       record("oldest", rdp(["n", ANY, ANY])[1]);
       record("short", rdp(["n", ANY]) === null);
       record("now", (await take(["n", 2, "x"], 0))[1]);
       record("zero", (await take(["n", 2, "x"], 0)) === null);"#,
];

fn run(lang: &str, codes: &[&str]) -> Simulation {
    let workers: Vec<_> = (codes.iter())
        .map(|c| serde_json::json!({ "lang": lang, "code": c }))
        .collect();
    let text = serde_json::json!({ "nodes": [{ "name": "n", "workers": workers }] }).to_string();
    let mut sim = NetworkFile::from_json(&text)
        .unwrap()
        .instantiate(&ProgramRegistry::new(), None)
        .unwrap();
    sim.run();
    sim
}

/// (ms, name, value) of every record, in order.
fn records(sim: &Simulation) -> Vec<(u64, String, f64)> {
    (sim.results().records().iter())
        .filter(|r| r.node == NodeId(0))
        .map(|r| {
            let ms = r.time.as_nanos() / 1_000_000;
            let v = match &r.value {
                crate::kernel::RecordValue::Bool(b) => f64::from(u8::from(*b)),
                other => other.as_f64().unwrap(),
            };
            (ms, r.name.clone(), v)
        })
        .collect()
}

#[test]
fn waiters_are_served_in_order_and_time_outs_and_lifetimes_are_exact_in_both_languages() {
    let want: Vec<(u64, String, f64)> = [
        // At 5 ms job 1 goes to w0 (a copy) and w1 (taken): w2, after the taker, waits on.
        (5, "rd0", 1.0),
        (5, "take", 1.0),
        // Job 2 nobody takes: w2 reads it and it stays.
        (10, "rd2", 2.0),
        (12, "timeout", 12.0),
        (15, "left", 2.0),
        (15, "none", 1.0),
        // Put out at 15 ms for 3 ms: there at 17, gone at 18.
        (17, "tmp17", 1.0),
        (18, "tmp18", 0.0),
        (18, "num", 1.0),
        (18, "oldest", 1.0),
        (18, "short", 1.0),
        (18, "now", 2.0),
        (18, "zero", 1.0),
    ]
    .into_iter()
    .map(|(t, n, v)| (t, n.to_owned(), v))
    .collect();
    for (lang, codes) in [("lua", LUA), ("js", JS)] {
        let sim = run(lang, &codes);
        let logs: Vec<_> = sim.results().logs().iter().map(|l| &l.text).collect();
        assert!(logs.is_empty(), "{lang}: {logs:?}");
        let mut got = records(&sim);
        got.sort_by_key(|r| r.0);
        assert_eq!(got, want, "{lang}");
        // 5 outs; 5 reads (2 by woken readers) and 3 takes (1 by a woken taker); 8 looks that
        // found nothing, 4 of them then waiting; tmp expired.
        let c = sim.tuple_counts();
        assert_eq!(
            (c.outs, c.reads, c.takes, c.misses, c.waits, c.expired),
            (5, 5, 3, 8, 4, 1),
            "{lang}"
        );
    }
}

#[test]
fn a_crash_empties_the_space_and_wakes_no_one() {
    let text = serde_json::json!({
        "nodes": [{ "name": "n", "workers": [
            { "lang": "lua", "code": "if node().boot == 1 then out({'kept', 1}) take({'never'}) else record('after', rdp({'kept', ANY}) == nil) end" }
        ]}],
        "faults": [{ "fault": "crash", "at": "5ms", "node": "n", "restart_after": "1ms" }]
    })
    .to_string();
    let mut sim = NetworkFile::from_json(&text)
        .unwrap()
        .instantiate(&ProgramRegistry::new(), None)
        .unwrap();
    sim.run();
    assert_eq!(records(&sim), [(6, "after".to_owned(), 1.0)]);
}

#[test]
fn misuse_fails_the_worker_with_a_clear_message() {
    for (lang, code, says) in [
        (
            "lua",
            "out('x')",
            "out: a tuple is a non-empty array, got \"x\"",
        ),
        ("lua", "out({})", "out: a tuple is a non-empty array"),
        ("lua", "out({'a', ANY})", "out: ANY belongs in patterns"),
        ("lua", "inp(3)", "inp: a tuple is a non-empty array, got 3"),
        ("lua", "rd({'a'}, -1)", "rd: expected a non-negative number"),
        (
            "lua",
            "coroutine.wrap(function() take({'a'}) end)()",
            "take() must be called by the worker itself",
        ),
        (
            "js",
            "out('x')",
            "out: a tuple is a non-empty array, got \"x\"",
        ),
        ("js", "out(['a', ANY])", "out: ANY belongs in patterns"),
        (
            "js",
            "rd(['a']); await take(['b'])",
            "take: another blocking call",
        ),
    ] {
        let sim = run(lang, &[code]);
        let logs = sim.results().logs();
        assert!(
            logs.iter().any(|l| l.text.contains(says)),
            "{lang} {code}: {:?}",
            logs.iter().map(|l| &l.text).collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_killed_waiter_takes_nothing() {
    let sim = run(
        "lua",
        &[
            "take({'job'})",
            "sleep(1) kill(0) sleep(1) out({'job'}) record('still', inp({'job'}) ~= nil)",
        ],
    );
    assert_eq!(records(&sim), [(2, "still".to_owned(), 1.0)]);
}
