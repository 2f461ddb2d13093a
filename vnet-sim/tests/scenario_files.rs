//! Scenario files through the public API: generators, defaults, overrides by name and by
//! `--set` path, the `run` section, and the errors a user sees.

use serde_json::json;
use vnet_sim::netfile::{NetworkFile, Override, TopologySpec};
use vnet_sim::time::SimDuration;
use vnet_sim::topology::Topology;

const GRID: &str = r#"{
  "$schema": "../docs/netfile.schema.json",
  "seed": 7,
  "topology": { "kind": "grid", "rows": 3, "cols": 4 },
  "node_defaults": { "workers": [{ "lang": "lua", "code": "print(1)" }],
                     "params": { "size": 100, "origin": false } },
  "link_defaults": { "latency": "1ms", "bandwidth": "10Mbps" },
  "nodes": [ { "name": "n0", "params": { "origin": true } },
             { "name": "sink", "ports": ["up"] } ],
  "links": [ { "a": "n1.n0", "b": "n0.n1", "loss": 0.25 },
             { "a": "sink.up", "b": "n11.down", "latency": "5ms" } ],
  "run": { "until": "2s" }
}"#;

fn load(text: &str, sets: &[&str]) -> Result<NetworkFile, String> {
    let sets: Vec<Override> = sets.iter().map(|s| s.parse().unwrap()).collect();
    NetworkFile::from_json_with(text, &sets).map_err(|e| e.to_string())
}

#[test]
fn a_grid_generator_with_defaults_and_overrides_expands_to_plain_nodes_and_links() {
    let f = load(GRID, &[]).unwrap();
    // 12 generated nodes then the added one; 17 generated links then the added one.
    assert_eq!(f.nodes.len(), 13);
    assert_eq!(f.links.len(), 18);
    let names: Vec<&str> = f.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(&names[..3], ["n0", "n1", "n2"]);
    assert_eq!(names[12], "sink");
    // Positions as the grid's: node r·cols + c at (c, r).
    assert_eq!(f.nodes[6].pos, Some([2.0, 1.0]));
    let spaced = GRID.replace(r#""cols": 4 }"#, r#""cols": 4, "spacing": 10 }"#);
    assert_eq!(load(&spaced, &[]).unwrap().nodes[6].pos, Some([20.0, 10.0]));
    // The same links, in the same order, as the topology builder makes.
    let t = Topology::grid(3, 4);
    for (l, (a, b)) in f.links.iter().zip(t.edges()) {
        assert_eq!(
            (l.a.clone(), l.b.clone()),
            (format!("n{a}.n{b}"), format!("n{b}.n{a}"))
        );
    }
    // Params merge key by key, the node's winning; every node gets the worker.
    assert_eq!(f.nodes[0].params, json!({ "size": 100, "origin": true }));
    assert_eq!(f.nodes[5].params, json!({ "size": 100, "origin": false }));
    assert!(f.nodes.iter().all(|n| n.workers.len() == 1));
    // The generated link n0–n1 was overridden from its other end; defaults fill the rest.
    assert_eq!(f.links[0].loss, 0.25);
    assert_eq!(f.links[0].latency, SimDuration::from_millis(1));
    assert_eq!(f.links[1].loss, 0.0);
    assert_eq!(f.links[17].latency, SimDuration::from_millis(5));
    assert_eq!(f.links[17].bandwidth, Some(10_000_000));
    assert_eq!(f.run.until, Some(SimDuration::from_secs(2)));
    assert_eq!(f.seed, Some(7));
}

#[test]
fn set_overrides_any_value_by_path_before_expansion() {
    let f = load(
        GRID,
        &[
            "link_defaults.loss=0.1",
            "nodes.n3.params.origin=true",
            "nodes.sink.pos=[9, 9]",
            "run.until=5s",
            "seed=11",
            "links.0.loss=0",
        ],
    )
    .unwrap();
    assert_eq!(f.links[1].loss, 0.1);
    assert_eq!(f.links[0].loss, 0.0);
    assert_eq!(f.nodes[3].params, json!({ "size": 100, "origin": true }));
    assert_eq!(f.nodes[12].pos, Some([9.0, 9.0]));
    assert_eq!(f.run.until, Some(SimDuration::from_secs(5)));
    assert_eq!(f.seed, Some(11));
    // A value that is not JSON is a string.
    let o: Override = "nodes.n1.params.label=hello world".parse().unwrap();
    assert_eq!(o.value, json!("hello world"));
    let e = load(GRID, &["links.40.loss=0"]).unwrap_err();
    assert!(e.contains("index 40 is past the end (2 entries)"), "{e}");
    let e = load(GRID, &["seed.x=1"]).unwrap_err();
    assert!(e.contains("`seed` is a value"), "{e}");
    assert!("nodes..x=1".parse::<Override>().is_err());
    assert!("no-equals".parse::<Override>().is_err());
}

#[test]
fn unknown_fields_suggest_the_nearest_known_one() {
    let e = load(r#"{"nodes": [], "linkz": []}"#, &[]).unwrap_err();
    assert_eq!(e, "unknown field `linkz`, did you mean `links`?");
    let e = load(
        r#"{"nodes": [{"name": "a"}, {"name": "b"}], "links": [{"a": "a.p", "b": "b.p", "latnecy": "1ms"}]}"#,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e,
        "link 0 (a.p -- b.p): unknown field `latnecy`, did you mean `latency`?"
    );
    let e = load(
        r#"{"topology": {"kind": "gird", "rows": 2, "cols": 2}}"#,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e,
        "`topology`: unknown variant `gird`, did you mean `grid`?"
    );
    let e = load(
        r#"{"topology": {"kind": "ring", "n": 3}, "link_defaults": {"lattency": "1ms"}}"#,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e,
        "`link_defaults`: unknown field `lattency`, did you mean `latency`?"
    );
    let e = load(
        r#"{"topology": {"kind": "ring", "n": 3}, "node_defaults": {"prams": {}}}"#,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e,
        "`node_defaults`: unknown field `prams`, did you mean `params`?"
    );
    // Nothing close: the list of what is known.
    let e = load(r#"{"nodes": [{"name": "a", "zzzzzz": 1}]}"#, &[]).unwrap_err();
    assert!(e.contains("expected one of `name`"), "{e}");
    let e = load(r#"{"run": {"untill": "1s"}, "nodes": []}"#, &[]).unwrap_err();
    assert_eq!(e, "`run`: unknown field `untill`, did you mean `until`?");
}

#[test]
fn scenario_mistakes_are_named() {
    let e = load(r#"{"topology": {"kind": "ring", "n": 3}}"#, &[]).unwrap_err();
    assert!(
        e.contains(
            "link 0 (n0.n1 -- n1.n0): missing field `latency` (give it here or in `link_defaults`)"
        ),
        "{e}"
    );
    let e = load(
        r#"{"topology": {"kind": "grid", "rows": 0, "cols": 3}}"#,
        &[],
    )
    .unwrap_err();
    assert_eq!(e, "`topology`: the topology has no nodes");
    let e = load(
        r#"{"topology": {"kind": "line", "n": 2}, "link_defaults": {"a": "x.y"}}"#,
        &[],
    )
    .unwrap_err();
    assert!(e.contains("`link_defaults` cannot set `a`"), "{e}");
    let e = load(
        r#"{"topology": {"kind": "line", "n": 2}, "link_defaults": {"latency": "1ms", "loss": 2}}"#,
        &[],
    )
    .unwrap_err();
    assert!(
        e.starts_with("`link_defaults`: `loss` must be within [0, 1]"),
        "{e}"
    );
    let e = load(
        r#"{"topology": {"kind": "edges", "n": 2, "edges": [[0, 5]]}, "link_defaults": {"latency": "1ms"}}"#,
        &[],
    )
    .unwrap_err();
    assert!(e.contains("edge 0 (0, 5) names a node outside 0..2"), "{e}");
    let e = load(
        r#"{"topology": {"kind": "grid", "rows": 100000, "cols": 100000}}"#,
        &[],
    )
    .unwrap_err();
    assert!(e.contains("more than"), "{e}");
}

#[test]
fn every_generator_matches_its_topology_and_the_short_forms_parse() {
    for (spec, topo) in [
        (
            r#"{"kind":"torus","rows":3,"cols":3}"#,
            Topology::torus(3, 3),
        ),
        (r#"{"kind":"line","n":5}"#, Topology::line(5)),
        (r#"{"kind":"ring","n":6}"#, Topology::ring(6)),
        (r#"{"kind":"star","n":5}"#, Topology::star(5)),
        (r#"{"kind":"complete","n":4}"#, Topology::complete(4)),
        (
            r#"{"kind":"random_geometric","n":20,"radius":0.4,"seed":3}"#,
            Topology::random_geometric(20, 0.4, 3),
        ),
        (
            r#"{"kind":"erdos_renyi","n":20,"p":0.2}"#,
            Topology::erdos_renyi(20, 0.2, 0),
        ),
        (
            r#"{"kind":"edges","n":4,"edges":[[0,1],[1,2],[3,0]]}"#,
            Topology::from_edges(4, &[(0, 1), (1, 2), (3, 0)]).unwrap(),
        ),
    ] {
        let text = format!(r#"{{"topology": {spec}, "link_defaults": {{"latency": "1ms"}}}}"#);
        let f = load(&text, &[]).unwrap();
        assert_eq!(f.nodes.len(), topo.node_count(), "{spec}");
        assert_eq!(f.links.len(), topo.edge_count(), "{spec}");
        let g = topo.graph();
        for (n, t) in f.nodes.iter().zip(g.node_weights()) {
            assert_eq!((n.name.as_str(), n.pos), (t.name.as_str(), t.pos), "{spec}");
        }
    }
    assert_eq!(
        TopologySpec::from_short("grid:4x5"),
        Ok(TopologySpec::Grid {
            rows: 4,
            cols: 5,
            spacing: 1.0
        })
    );
    assert_eq!(
        TopologySpec::from_short("ring:8"),
        Ok(TopologySpec::Ring { n: 8 })
    );
    assert!(TopologySpec::from_short("grid:4").is_err());
    assert!(TopologySpec::from_short("blob:4").is_err());
}

#[test]
fn plain_files_still_load_and_save_round_trips_the_run_section() {
    let plain = r#"{"nodes": [{"name": "a"}, {"name": "b"}],
                   "links": [{"a": "a.p", "b": "b.p", "latency": "1ms"}]}"#;
    let f = load(plain, &[]).unwrap();
    assert!(f.run.is_empty());
    assert!(!f.to_json().contains("\"run\""));
    let g = load(GRID, &[]).unwrap();
    let back = NetworkFile::from_json(&g.to_json()).unwrap();
    assert_eq!(back, g);
}
