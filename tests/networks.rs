//! Every network file in `examples/networks/` run with `vnet run`, as a user runs it, and
//! checked on one result — against the Rust scenario that runs the same experiment where there
//! is one, against the algorithm's own correctness condition where not.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vnet::scenarios::{ClusterRun, FloodLang, MeshFlood, SensorField, esp32_cluster, mesh_flood};
use vnet::sim::devices::{Interconnect, SwitchConfig};
use vnet::sim::topology::Topology;

fn networks() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/networks")
}

mod common;

fn out_dir(name: &str) -> PathBuf {
    common::folder("networks", name)
}

/// What a run recorded: (node, name) → values in order, and each (node, name)'s first time.
#[derive(Default)]
struct Records {
    values: BTreeMap<(String, String), Vec<String>>,
    first_ns: BTreeMap<(String, String), u64>,
}

impl std::ops::Index<&(String, String)> for Records {
    type Output = Vec<String>;
    fn index(&self, key: &(String, String)) -> &Vec<String> {
        &self.values[key]
    }
}

/// Runs `vnet run FILE --quiet --records DIR/records.csv ARGS…`; returns the records and stderr.
fn run(file: &str, args: &[&str], name: &str) -> (Records, String) {
    let dir = out_dir(name);
    let records = dir.join("records.csv");
    let out: Output = Command::new(env!("CARGO_BIN_EXE_vnet"))
        .arg("run")
        .arg(networks().join(file))
        .args(["--quiet", "--records"])
        .arg(&records)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{file}: {stderr}");
    let mut map = Records::default();
    let mut rd = csv::Reader::from_path(&records).unwrap();
    for row in rd.records() {
        let row = row.unwrap();
        let key = (row[1].to_owned(), row[3].to_owned());
        map.first_ns
            .entry(key.clone())
            .or_insert(row[0].parse().unwrap());
        map.values.entry(key).or_default().push(row[4].to_owned());
    }
    (map, stderr)
}

fn trace_hash(stderr: &str) -> u64 {
    let hex = stderr.split("trace_hash=").nth(1).unwrap();
    let hex = hex.split_whitespace().next().unwrap();
    u64::from_str_radix(hex, 16).unwrap()
}

#[test]
fn mesh16_file_gives_the_mesh16_examples_arrivals_and_trace_hash() {
    for (lang, set) in [
        (FloodLang::Lua, None),
        (
            FloodLang::Js,
            Some(r#"node_defaults.workers=[{"lang": "js", "path": "flood.js"}]"#),
        ),
    ] {
        let mut args = vec![];
        if let Some(s) = set {
            args = vec!["--set", s];
        }
        let (records, stderr) = run("mesh16/mesh16.json", &args, "mesh16");
        let report = mesh_flood(
            &MeshFlood {
                lang,
                ..MeshFlood::default()
            },
            None,
        );
        assert_eq!(trace_hash(&stderr), report.trace_hash, "{lang:?}");
        // First arrivals: when each node recorded `reached`.
        let arrivals: Vec<Option<u64>> = (0..16)
            .map(|i| {
                records
                    .first_ns
                    .get(&(format!("n{i}"), "reached".into()))
                    .copied()
            })
            .collect();
        let expected: Vec<Option<u64>> = report
            .arrivals
            .iter()
            .map(|t| t.map(|t| t.as_nanos()))
            .collect();
        assert_eq!(arrivals, expected, "{lang:?}");
    }
}

#[test]
fn chang_roberts_elects_the_largest_uid_on_the_ring() {
    let (records, _) = run("chang_roberts/ring.json", &[], "ring");
    for i in 0..8 {
        let who = format!("n{i}");
        if i == 3 {
            // n3 holds uid 8: it learns it won, and is the only one to record `elected`.
            assert_eq!(records[&(who, "elected".into())], ["true"]);
        } else {
            assert_eq!(records[&(who.clone(), "leader".into())], ["8"], "{who}");
            assert!(!records.values.contains_key(&(who, "elected".into())));
        }
    }
}

/// `leader_churn`: churn for the first 60 s only (a failure under way is still repaired), so
/// by the end every node is up again and all take the largest id, 15, as leader; the fault
/// line counts every crash and its restart; and the same seed gives the same trace hash.
#[test]
fn after_churn_ends_every_leader_churn_node_agrees_on_the_largest_id() {
    let args = ["--set", "faults.0.until=60s"];
    let (records, stderr) = run("leader_churn/leader.json", &args, "leader_churn");
    for i in 0..16 {
        let key = (format!("n{i}"), "leader".to_owned());
        assert_eq!(records[&key].last().map(String::as_str), Some("15"), "n{i}");
    }
    let faults = stderr
        .lines()
        .find(|l| l.starts_with("vnet: faults "))
        .unwrap_or_else(|| panic!("no fault line in {stderr}"));
    let count = |what: &str| -> u64 {
        let at = faults.find(&format!(" {what}=")).unwrap() + what.len() + 2;
        faults[at..].split(' ').next().unwrap().parse().unwrap()
    };
    assert!(count("crashes") > 10, "{faults}");
    assert_eq!(count("crashes"), count("restarts"), "{faults}");
    let (_, again) = run("leader_churn/leader.json", &args, "leader_churn_again");
    assert_eq!(trace_hash(&stderr), trace_hash(&again));
    let (_, other) = run(
        "leader_churn/leader.json",
        &["--seed", "2"],
        "leader_churn_seed2",
    );
    assert_ne!(trace_hash(&stderr), trace_hash(&other));
}

/// Hops from `from` to every node, breadth first.
fn bfs(n: usize, edges: &[(usize, usize)], from: usize) -> Vec<usize> {
    let mut dist = vec![usize::MAX; n];
    let mut queue = std::collections::VecDeque::from([from]);
    dist[from] = 0;
    while let Some(a) = queue.pop_front() {
        for &(x, y) in edges {
            for (p, q) in [(x, y), (y, x)] {
                if p == a && dist[q] == usize::MAX {
                    dist[q] = dist[a] + 1;
                    queue.push_back(q);
                }
            }
        }
    }
    dist
}

#[test]
fn distance_vector_tables_equal_bfs_distances_under_loss_in_lua_and_js() {
    let edges = Topology::grid(6, 6).edges();
    for file in ["dv_routing/grid.json", "dv_routing/grid-js.json"] {
        let (records, stderr) = run(file, &[], "dv");
        // 20 % of the tables were lost on the way.
        assert!(!stderr.contains("loss=0 "), "{stderr}");
        for from in 0..36 {
            let dist = bfs(36, &edges, from);
            for to in 0..36 {
                let hops = &records[&(format!("n{from}"), format!("hops:n{to}"))];
                assert_eq!(hops, &[dist[to].to_string()], "{file}: n{from} → n{to}");
            }
        }
    }
}

#[test]
fn the_sensor_field_file_estimates_what_the_sensor_field_scenario_does() {
    let (records, _) = run("sensor_field/field.json", &[], "field");
    let scenario = vnet::scenarios::sensor_field(&SensorField::default()).unwrap();
    let estimate: f64 = records[&("n0".into(), "estimate".into())][0]
        .parse()
        .unwrap();
    assert_eq!(estimate, scenario.estimate);
    assert!(scenario.error().abs() < 1.0, "{scenario:?}");
}

#[test]
fn the_esp32_cluster_file_delivers_every_frame_as_the_scenario_does() {
    let (records, _) = run("esp32_cluster/cluster.json", &[], "esp32");
    let mut switch = SwitchConfig::esp32(Interconnect::ring(8));
    switch.queue_capacity = 160;
    let scenario = esp32_cluster(&ClusterRun {
        switch,
        rounds: 20,
        pad: 512,
        seed: 1,
    })
    .unwrap();
    let mut last: f64 = 0.0;
    for i in 0..8 {
        let get = |name: &str| records[&(format!("esp{i}"), name.to_owned())][0].clone();
        assert_eq!(get("got"), "40");
        assert_eq!(get("expect"), "40");
        last = last.max(get("last_ms").parse().unwrap());
    }
    assert_eq!(scenario.received, 8 * 40);
    assert_eq!(last / 1e3, scenario.completion_s);
}

/// `agents`: the explorers (Lua and JavaScript, one each with `--set`) find every hot spot of
/// the file and carry it to the sink, whose `detected` records name the hot nodes; the two
/// languages make the same walk (same moves, clones and records); flooding finds them too;
/// and the same seed gives the same trace hash.
#[test]
fn agents_explorers_find_the_hot_spots_in_lua_and_js_as_flooding_does() {
    let hot = ["n14", "n23", "n33"];
    let agent_line = |stderr: &str| {
        stderr
            .lines()
            .find(|l| l.starts_with("vnet: agents "))
            .unwrap_or_else(|| panic!("no agents line in {stderr}"))
            .to_owned()
    };
    let mut seen = Vec::new();
    for file in ["agents/explore.json", "agents/explore-js.json"] {
        let (records, stderr) = run(file, &["--set", "agents.0.count=1"], "agents_one");
        let mut found = records[&("n0".to_owned(), "detected".to_owned())].clone();
        found.sort();
        seen.push((found, agent_line(&stderr), records.first_ns.clone()));
    }
    assert_eq!(seen[0].1, seen[1].1, "Lua and JS explorers count the same");
    assert_eq!(seen[0].0, seen[1].0);
    assert!(seen[0].1.contains("placed=1 "), "{}", seen[0].1);
    let (records, stderr) = run("agents/explore.json", &[], "agents_four");
    let mut found = records[&("n0".to_owned(), "detected".to_owned())].clone();
    found.sort();
    assert_eq!(found, hot, "four explorers find every hot spot");
    assert!(agent_line(&stderr).contains(" cloned=3 "), "{stderr}");
    let (_, again) = run("agents/explore.json", &[], "agents_again");
    assert_eq!(trace_hash(&stderr), trace_hash(&again));
    let (flood, _) = run("agents/flood.json", &[], "agents_flood");
    let mut found = flood[&("n0".to_owned(), "detected".to_owned())].clone();
    found.sort();
    assert_eq!(found, hot, "flooding finds every hot spot");
}
