//! `vnet run --threads K`, black-box: every network file in `examples/networks/` (Lua, JS and
//! Rust programs, sensors, agents, faults and churn) and `tests/parallel/faults.json` (every
//! kind of fault, on cut links too) give byte-for-byte the outputs of the sequential run —
//! trace, records, link and node statistics, worker output, packet capture and summary — on
//! 2, 3 and 4 threads; without a trace to write, the same `trace_hash`. And what a threaded
//! run cannot do is refused by name.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn vnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vnet"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `file` into a fresh folder (`--out`), with `threads` if given; returns the folder.
fn run_into(file: &Path, threads: Option<u32>, name: &str) -> PathBuf {
    let dir = common::folder("parallel", name);
    let dir_s = dir.to_str().unwrap().to_owned();
    let file_s = file.to_str().unwrap().to_owned();
    let k = threads.map(|k| k.to_string());
    let mut args = vec!["run", &file_s, "--quiet", "--out", &dir_s];
    if let Some(k) = &k {
        args.extend(["--threads", k]);
    }
    let out = vnet(&args);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// The `trace_hash` a run of `file` prints when it writes no trace (the parts of a threaded
/// run then hash their own events and merge no trace records).
fn hash_only(file: &Path, threads: u32) -> String {
    let (file, k) = (file.to_str().unwrap(), threads.to_string());
    let out = vnet(&["run", file, "--quiet", "--threads", &k]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{file}: {err}");
    let at = err.find("trace_hash=").expect("a trace_hash") + "trace_hash=".len();
    err[at..at + 16].to_owned()
}

/// `summary.json` without what may differ: wall time, speed, and the windows' counts.
fn summary(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let m = v.as_object_mut().unwrap();
    for k in ["wall_s", "events_per_s", "parallel"] {
        m.remove(k);
    }
    v
}

fn files() -> Vec<PathBuf> {
    let mut files = vec![root().join("tests/parallel/faults.json")];
    for dir in std::fs::read_dir(root().join("examples/networks")).unwrap() {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "json") {
                files.push(f);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_network_file_runs_on_threads_as_it_runs_alone() {
    let files = files();
    assert!(files.len() >= 10, "{files:?}");
    for (i, file) in files.iter().enumerate() {
        let alone = run_into(file, None, &format!("{i}-alone"));
        let windows_alone = summary(&alone);
        for k in [2, 3, 4] {
            let threaded = run_into(file, Some(k), &format!("{i}-threads{k}"));
            for out in [
                "trace.jsonl",
                "records.csv",
                "links.csv",
                "nodes.csv",
                "output.txt",
                "capture.pcap",
            ] {
                let a = std::fs::read(alone.join(out)).unwrap();
                let b = std::fs::read(threaded.join(out)).unwrap();
                assert!(a == b, "{}: {out} differs on {k} threads", file.display());
            }
            assert_eq!(summary(&threaded), windows_alone, "{}", file.display());
            let text = std::fs::read_to_string(threaded.join("summary.json")).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["parallel"]["threads"], k, "{}", file.display());
            assert_eq!(
                windows_alone["trace_hash"],
                hash_only(file, k).as_str(),
                "{}: the hash of a run without a trace, {k} threads",
                file.display()
            );
        }
    }
}

#[test]
fn the_faults_file_crosses_parts_and_its_faults_happen() {
    let file = root().join("tests/parallel/faults.json");
    let dir = run_into(&file, Some(2), "faults-2");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let p = &v["parallel"];
    assert_eq!(p["lookahead_ns"], 5_000_000);
    assert!(p["crossing_fraction"].as_f64().unwrap() > 0.01, "{p}");
    let f = &v["faults"];
    for k in [
        "crashes",
        "restarts",
        "partitions",
        "cuts",
        "released",
        "links_down",
    ] {
        assert!(f[k].as_u64().unwrap() >= 1, "{k}: {f}");
    }
    // Messages held on the cut links n5 -- n9 and n6 -- n10 (their ends in different parts)
    // are delivered after the release, and dropped when n6 -- n10 goes down.
    let trace = std::fs::read_to_string(dir.join("trace.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = trace
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let held: std::collections::BTreeSet<String> = lines
        .iter()
        .filter(|r| r["kind"] == "send" && r["detail"] == "held")
        .map(|r| r["msg"].as_str().unwrap().to_owned())
        .collect();
    let ended = |kind: &str, detail: &str| {
        lines
            .iter()
            .filter(|r| r["kind"] == kind && r["detail"] == detail)
            .filter(|r| held.contains(r["msg"].as_str().unwrap_or("")))
            .count()
    };
    assert!(ended("deliver", "") >= 1, "no held message was delivered");
    assert!(
        ended("drop", "link_down") >= 1,
        "no held message was dropped"
    );
}

#[test]
fn what_threads_cannot_do_is_refused_by_name() {
    let mesh = root().join("examples/networks/mesh16/mesh16.json");
    let mesh = mesh.to_str().unwrap();
    let bad = |args: &[&str], says: &str| {
        let out = vnet(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    bad(
        &["run", mesh, "--threads", "0"],
        "--threads 0: cannot cut 16 nodes into 0 parts",
    );
    bad(
        &["run", mesh, "--threads", "17"],
        "--threads 17: cannot cut 16 nodes into 17 parts",
    );
    bad(
        &["run", mesh, "--threads", "2", "--realtime"],
        "--threads and --realtime do not go together",
    );
}

/// A line of four nodes, `ring` Lua code passing a token; `parts` per node (or none), the
/// middle link's latency.
fn line_file(dir: &Path, parts: &[Option<u32>], middle: &str) -> PathBuf {
    let code = "local n = 0\nif node().name == 'a' then send('r', {n = 0}) end\n\
                while n < 20 do\n  local p, m = recv()\n  n = m.n + 1\n  record('n', n)\n\
                  send(p == 'l' and 'r' or 'l', {n = n})\nend";
    let names = ["a", "b", "c", "d"];
    let nodes: Vec<serde_json::Value> = names
        .iter()
        .zip(parts)
        .map(|(name, part)| {
            let mut n = serde_json::json!({
                "name": name, "ports": ["l", "r"],
                "workers": [{ "lang": "lua", "code": code }]
            });
            if let Some(p) = part {
                n["part"] = serde_json::json!(p);
            }
            n
        })
        .collect();
    let file = serde_json::json!({
        "seed": 5,
        "nodes": nodes,
        "links": [
            { "a": "a.r", "b": "b.l", "latency": "2ms" },
            { "a": "b.r", "b": "c.l", "latency": middle },
            { "a": "c.r", "b": "d.l", "latency": "2ms" }
        ],
        "run": { "until": "1s" }
    });
    let path = dir.join("line.json");
    std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    path
}

#[test]
fn a_file_may_give_its_own_cut() {
    let dir = common::folder("parallel", "given");
    let parts = [Some(0), Some(1), Some(1), Some(0)];
    let file = line_file(&dir, &parts, "3ms");
    let f = file.to_str().unwrap();
    let out = vnet(&["check", f, "--threads", "2"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("  parts:    2 (the file's): 2 + 2 nodes; 2 of 3 links cut; lookahead 2ms\n"),
        "{said}"
    );
    let alone = run_into(&file, None, "given-alone");
    let threaded = run_into(&file, Some(2), "given-threads");
    for out in ["trace.jsonl", "records.csv", "links.csv"] {
        assert_eq!(
            std::fs::read(alone.join(out)).unwrap(),
            std::fs::read(threaded.join(out)).unwrap(),
            "{out}"
        );
    }
    let refused = |args: &[&str], says: &str| {
        let out = vnet(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    refused(
        &["run", f, "--threads", "3"],
        "--threads 3: the file puts its nodes in 2 parts (their `part`): give --threads 2",
    );
    // Every node or none; no gaps; no zero-latency link cut.
    let f = line_file(&dir, &[Some(0), None, Some(1), Some(1)], "3ms");
    refused(
        &["run", f.to_str().unwrap(), "--threads", "2"],
        "node 1 (`b`): `part`: give every node a part or none (node `a` has one)",
    );
    let f = line_file(&dir, &[Some(0), Some(0), Some(2), Some(2)], "3ms");
    refused(
        &["check", f.to_str().unwrap()],
        "`part`: no node is in part 1, but some are in part 2",
    );
    let f = line_file(&dir, &[Some(0), Some(0), Some(1), Some(1)], "0ms");
    refused(
        &["run", f.to_str().unwrap(), "--threads", "2"],
        "the file's `part`s: link 1 (b – c) has zero latency but joins parts 0 and 1",
    );
}
