//! `vnet run` on a network with an external node: a real `vnet-node` (P-node) as a V-node
//! twin, linked to a simulated node, run at 1× real time until `--until`. Its worker's lines
//! and records join the run's output; without `--until` the run is refused.

mod common;

use common::*;
use vnet::hw::launch::{NodeProcesses, vnet_node_binary};

#[test]
fn vnet_run_runs_a_network_with_a_p_node_in_real_time() {
    let nodes = NodeProcesses::start(&vnet_node_binary().unwrap(), &["p".to_owned()], &[]).unwrap();
    let url = &nodes.started()[0].url;
    let dir = folder("external", "run");
    let net = serde_json::json!({
        "nodes": [
            {"name": "a", "workers": [{"lang": "lua", "code":
                "send('p', 'ping')\nlocal _, v = recv('p')\nprint('a got ' .. v .. ' at ' .. now())"}]},
            {"name": "p", "external": {"url": url}, "workers": [{"lang": "js", "code":
                "const [port, v] = await recv(); console.log('p got ' + v); record('pings', 1); send(port, v + '-pong');"}]}
        ],
        "links": [{"a": "a.p", "b": "p.a", "latency": "20ms"}]
    });
    std::fs::write(dir.join("hybrid.json"), net.to_string()).unwrap();
    let t = std::time::Instant::now();
    let o = vnet(
        &["run", "hybrid.json", "--until", "400ms", "--out", "out"],
        &dir,
    );
    let wall = t.elapsed();
    let out = ok(&o);
    assert!(out.contains("p/w0 p got ping"), "{out}");
    let a = out
        .lines()
        .find(|l| l.contains("a/w0 a got ping-pong at "))
        .unwrap_or_else(|| panic!("{out}"));
    // Two crossings of a 20 ms link, and the P-node's real time between.
    let at: f64 = a.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((40.0..400.0).contains(&at), "{a}");
    assert!(wall.as_millis() >= 400, "paced to the wall clock: {wall:?}");
    let records = std::fs::read_to_string(dir.join("out/records.csv")).unwrap();
    assert!(
        records
            .lines()
            .any(|l| l.contains(",p,") && l.contains("pings")),
        "{records}"
    );

    let o = vnet(&["run", "hybrid.json"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--until"), "{}", text(&o.stderr));
    let o = vnet(
        &["run", "hybrid.json", "--until", "1s", "--realtime=5"],
        &dir,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("1× real time"),
        "{}",
        text(&o.stderr)
    );
    nodes.stop();
}
