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

/// Agents cross between simulated nodes and a P-node through its twin: a Lua and a JS agent
/// walk a → p (the P-node) → c carrying their path; one placed on the P-node walks back to a;
/// one sent from the P-node to a node without a platform is dropped with an error naming it.
#[test]
fn agents_move_between_simulated_nodes_and_a_p_node() {
    let nodes = NodeProcesses::start(&vnet_node_binary().unwrap(), &["p".to_owned()], &[]).unwrap();
    let url = &nodes.started()[0].url;
    let dir = folder("external", "agents");
    let lua = "return { path = '', start = 'visit',
      act = { visit = function(self)
        self.path = self.path .. node().name .. '/'
        record('lua', self.path)
        if node().name == 'a' then moveto('p') elseif node().name == 'p' then moveto('c') end
      end },
      trans = { visit = function(self) if node().name ~= 'c' then return 'visit' end end } }";
    let js = "return { path: '', start: 'visit',
      act: { visit() {
        this.path += node().name + '/';
        record('js', this.path);
        if (node().name === 'a') moveto('p'); else if (node().name === 'p') moveto('c');
      } },
      trans: { visit() { return node().name === 'c' ? null : 'visit'; } } };";
    let back = "return { start = 'go',
      act = { go = function() record('left', node().name) moveto('a') end,
              home = function() record('back', me() .. ' at ' .. node().name) end },
      trans = { go = 'home' } }";
    let lost =
        "return { start = 'go', act = { go = function() moveto('d') end, gone = function() end },
      trans = { go = 'gone' } }";
    let net = serde_json::json!({
        "nodes": [
            {"name": "a", "platform": true},
            {"name": "p", "external": {"url": url}, "platform": true},
            {"name": "c", "platform": true},
            {"name": "d"}
        ],
        "links": [
            {"a": "a.p", "b": "p.a", "latency": "20ms"},
            {"a": "p.c", "b": "c.p", "latency": "20ms"},
            {"a": "p.d", "b": "d.p", "latency": "20ms"}
        ],
        "agents": [
            {"at": "a", "code": lua, "lang": "lua", "class": "walker"},
            {"at": "a", "code": js, "lang": "js", "class": "walker"},
            {"at": "p", "code": back, "lang": "lua", "class": "back"},
            {"at": "p", "code": lost, "lang": "lua", "class": "lost", "after": "50ms"}
        ]
    });
    std::fs::write(dir.join("agents.json"), net.to_string()).unwrap();
    let o = vnet(
        &["run", "agents.json", "--until", "600ms", "--out", "out"],
        &dir,
    );
    let out = ok(&o);
    let records = std::fs::read_to_string(dir.join("out/records.csv")).unwrap();
    let has = |node: &str, name: &str, value: &str| {
        records
            .lines()
            .any(|l| l.contains(&format!(",{node},")) && l.contains(name) && l.ends_with(value))
    };
    for lang in ["lua", "js"] {
        assert!(has("a", lang, "a/"), "{lang}\n{records}");
        assert!(has("p", lang, "a/p/"), "{lang}\n{records}");
        assert!(has("c", lang, "a/p/c/"), "{lang}\n{records}");
    }
    assert!(has("p", "left", "p"), "{records}");
    assert!(has("a", "back", "p.1 at a"), "{records}");
    let err = text(&o.stderr);
    // The P-node's agents count with the simulated ones: placed a's 2 and p's 2; arrived at p
    // 2, at c 2, at a 1; departed from a 2 and from p 4 (the lost one too); ended at c 2, at a 1.
    assert!(
        err.contains(
            "vnet: agents placed=4 arrived=5 departed=6 cloned=0 finished=3 failed=0 killed=0 refused=1"
        ),
        "{err}"
    );
    assert!(
        format!("{out}{err}").contains(
            "agent p.2 left the P-node on port `d` and was dropped: node `d` hosts no agent platform"
        ),
        "{out}\n{err}"
    );
    nodes.stop();
}
