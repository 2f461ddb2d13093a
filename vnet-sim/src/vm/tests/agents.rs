//! Mobile agents from Lua and JavaScript: a move keeps the state exactly and costs the link's
//! latency plus the parcel's serialization; clones, kills, signals, the tuple space between
//! agents and workers; failures stopped like workers; Lua and JS give the same records.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::{Value, json};

use crate::agents::{AgentPlatform, Parcel, Placement};
use crate::kernel::{Context, NodeProgram, RecordValue, Simulation};
use crate::net::{LinkParams, NodeId};
use crate::time::{SimDuration, SimTime};
use crate::vm::{Lang, VmConfig};

/// A chain a — b — c of 10 ms, 1 Mb/s links (ports named after the far node), a platform on
/// each node, and `class` placed on a.
fn chain(lang: Lang, class: &str, state: Value) -> (Simulation, [NodeId; 3]) {
    chain_with(lang, class, state, [true; 3], VmConfig::default())
}

/// [`chain`] with platforms only where `platforms` says, and agents under `config`.
fn chain_with(
    lang: Lang,
    class: &str,
    state: Value,
    platforms: [bool; 3],
    config: VmConfig,
) -> (Simulation, [NodeId; 3]) {
    let mut sim = Simulation::new(7);
    let names = ["a", "b", "c"];
    let ids = names.map(|n| sim.add_node(n).unwrap());
    let link = LinkParams::new(SimDuration::from_millis(10), 1_000_000);
    for i in 0..2 {
        let (x, y) = (ids[i], ids[i + 1]);
        sim.link(x, names[i + 1], y, names[i], link.clone())
            .unwrap();
    }
    let config = Rc::new(config);
    for (i, &n) in ids.iter().enumerate() {
        if !platforms[i] {
            continue;
        }
        let mut p = AgentPlatform::new(config.clone());
        if i == 0 {
            p = p.place(Placement {
                lang,
                class: "walker".into(),
                code: class.into(),
                state: state.clone(),
                after: SimDuration::ZERO,
            });
        }
        sim.add_worker(n, Box::new(p));
    }
    (sim, ids)
}

/// Reads node `n`'s tuples matching `["final", ANY]` at the end of the run.
struct Collect(Rc<RefCell<Vec<Value>>>);
impl NodeProgram for Collect {
    fn on_start(&mut self, ctx: &mut Context) {
        ctx.set_timer(SimDuration::from_secs(10), 0);
    }
    fn on_timer(&mut self, ctx: &mut Context, _: u64) {
        let now = ctx.now();
        while let Some(t) = ctx
            .tuples()
            .find(now, &[json!("final"), crate::agents::any()], true)
        {
            self.0.borrow_mut().push(t[1].clone());
        }
    }
}

const WALKER_LUA: &str = r#"
return {
  path = {}, f = 1.5, big = 9007199254740993, s = "é\n\"", t = true, nested = {x = {1, 2}, y = {}},
  start = "look",
  act = {
    look = function(self)
      self.path[#self.path + 1] = node().name
      record("at", node().name)
      record("t_ns", now_ns())
      self.f = self.f * 2
    end,
    go = function(self) moveto(node().name == "a" and "b" or "c") end,
    stop = function(self) out({"final", self}) end,
  },
  trans = {
    look = function(self) return #self.path < 3 and "go" or "stop" end,
    go = "look",
  },
}
"#;

const WALKER_JS: &str = r#"
return {
  path: [], f: 1.5, big: 9007199254740992, s: "é\n\"", t: true, nested: {x: [1, 2], y: {}},
  start: 'look',
  act: {
    look() {
      this.path.push(node().name);
      record('at', node().name);
      record('t_ns', now_ns());
      this.f = this.f * 2;
    },
    go() { moveto(node().name === 'a' ? 'b' : 'c'); },
    stop() { out(['final', this]); },
  },
  trans: {
    look() { return this.path.length < 3 ? 'go' : 'stop'; },
    go: 'look',
  },
};
"#;

fn walk(lang: Lang, code: &str) -> (Simulation, Vec<Value>) {
    let (mut sim, ids) = chain(lang, code, Value::Null);
    let got = Rc::new(RefCell::new(Vec::new()));
    sim.add_worker(ids[2], Box::new(Collect(got.clone())));
    sim.run();
    let got = got.borrow().clone();
    (sim, got)
}

fn errors(sim: &Simulation) -> Vec<String> {
    sim.results()
        .logs()
        .iter()
        .filter(|l| l.stream == crate::kernel::LogStream::Err)
        .map(|l| l.text.clone())
        .collect()
}

#[test]
fn a_moving_agent_keeps_its_state_and_pays_latency_plus_its_size() {
    // JavaScript numbers that are integral cross as integers (see the VM docs).
    let lua_f = |f: f64| json!(f);
    let js_f = |f: f64| json!(f as i64);
    for (lang, code, big, num) in [
        (
            Lang::Lua,
            WALKER_LUA,
            json!(9007199254740993_i64),
            &lua_f as &dyn Fn(f64) -> Value,
        ),
        (Lang::Js, WALKER_JS, json!(9007199254740992_i64), &js_f),
    ] {
        let (sim, finals) = walk(lang, code);
        assert_eq!(errors(&sim), Vec::<String>::new(), "{lang:?}");
        let expect = json!({"path": ["a", "b", "c"], "f": num(12.0), "big": big, "s": "é\n\"",
            "t": true, "nested": {"x": [1, 2], "y": {}}});
        assert_eq!(finals, vec![expect.clone()], "{lang:?}");
        // Arrival: 10 ms plus the parcel's bits at 1 Mb/s, per hop.
        let times: Vec<u64> = sim
            .results()
            .records()
            .iter()
            .filter(|r| r.name == "t_ns")
            .map(|r| match r.value {
                RecordValue::Int(i) => i as u64,
                RecordValue::Float(f) => f as u64,
                _ => panic!("t_ns"),
            })
            .collect();
        let hop = |path: Value, f: f64| {
            let mut state = expect.clone();
            state["path"] = path;
            state["f"] = num(f);
            let p = Parcel {
                id: "a.1".into(),
                lang,
                class: "walker".into(),
                code: code.into(),
                state,
                next: Some("look".into()),
                hops: 0,
            };
            p.to_message().size() as u64
        };
        let s1 = hop(json!(["a"]), 3.0);
        let s2 = hop(json!(["a", "b"]), 6.0);
        let ser = |bytes: u64| (bytes * 8 * 1_000_000_000).div_ceil(1_000_000);
        let t1 = 10_000_000 + ser(s1);
        let t2 = t1 + 10_000_000 + ser(s2);
        assert_eq!(times, vec![0, t1, t2], "{lang:?} sizes {s1} {s2}");
        let c = sim.agent_counts();
        assert_eq!((c.placed, c.arrived, c.departed, c.finished), (1, 2, 2, 1));
    }
}

/// A boss on `a` clones a scout (walks to `c`, marks the tuple space there), a pinger
/// (signals the boss), a victim (killed by the boss) and a bad one (fails).
const TEAM_LUA: &str = r#"
return {
  role = "boss",
  start = "split",
  act = {
    split = function(self)
      if self.role ~= "boss" then return end
      self.boss = me()
      record("scout", clone({role = "scout"}))
      clone({role = "pinger"})
      self.victim = clone({role = "victim"})
      clone({role = "bad"})
    end,
    go = function(self) moveto(node().name == "a" and "b" or "c") end,
    arrive = function(self)
      record("scout_at", node().name)
      out({"mark", me(), node().name})
    end,
    ping = function(self)
      record("signal_ok", signal(self.boss, "ping", 42))
      record("signal_missing", signal("nobody", "ping"))
    end,
    hang = function(self) sleep(1000000) end,
    bad = function(self) error("boom") end,
    wait = function(self) sleep(10) end,
    report = function(self)
      record("pinged", self.pinged)
      record("killed", kill(self.victim))
      kill()
    end,
  },
  trans = {
    split = function(s)
      local t = {boss = "wait", scout = "go", pinger = "ping", victim = "hang", bad = "bad"}
      return t[s.role]
    end,
    go = "arrive",
    arrive = function(s) if node().name == "c" then return nil end return "go" end,
    wait = "report",
  },
  on = {
    ping = function(self, v) self.pinged = v end,
  },
}
"#;

const TEAM_JS: &str = r#"
return {
  role: 'boss',
  start: 'split',
  act: {
    split() {
      if (this.role !== 'boss') return;
      this.boss = me();
      record('scout', clone({role: 'scout'}));
      clone({role: 'pinger'});
      this.victim = clone({role: 'victim'});
      clone({role: 'bad'});
    },
    go() { moveto(node().name === 'a' ? 'b' : 'c'); },
    arrive() {
      record('scout_at', node().name);
      out(['mark', me(), node().name]);
    },
    ping() {
      record('signal_ok', signal(this.boss, 'ping', 42));
      record('signal_missing', signal('nobody', 'ping'));
    },
    async hang() { await sleep(1000000); },
    bad() { throw new Error('boom'); },
    async wait() { await sleep(10); },
    report() {
      record('pinged', this.pinged);
      record('killed', kill(this.victim));
      kill();
    },
  },
  trans: {
    split: (s) => ({boss: 'wait', scout: 'go', pinger: 'ping', victim: 'hang', bad: 'bad'})[s.role],
    go: 'arrive',
    arrive: (s) => node().name === 'c' ? null : 'go',
    wait: 'report',
  },
  on: {
    ping(v) { this.pinged = v; },
  },
};
"#;

/// The records of a run as (time, node, name, value) text.
fn records(sim: &Simulation) -> Vec<String> {
    sim.results()
        .records()
        .iter()
        .map(|r| format!("{} {} {} {}", r.time, r.node.0, r.name, r.value))
        .collect()
}

#[test]
fn clones_signals_kills_and_failures_count_the_same_in_lua_and_js() {
    let worker = [
        (
            Lang::Lua,
            r#"local t = take({"mark", ANY, "c"}) record("mark", t[2])"#,
        ),
        (
            Lang::Js,
            r#"const t = await take(["mark", ANY, "c"]); record("mark", t[1]);"#,
        ),
    ];
    let mut runs = Vec::new();
    for ((lang, code), (_, w)) in [(Lang::Lua, TEAM_LUA), (Lang::Js, TEAM_JS)]
        .into_iter()
        .zip(worker)
    {
        let (mut sim, ids) = chain(lang, code, Value::Null);
        sim.add_worker(ids[2], crate::vm::vm_worker(lang, w));
        sim.run();
        let errs = errors(&sim);
        assert_eq!(errs.len(), 1, "{lang:?}: {errs:?}");
        assert!(
            errs[0].starts_with("a/w5 (agent a.5): ") && errs[0].contains("boom"),
            "{errs:?}"
        );
        let c = sim.agent_counts();
        assert_eq!(
            (
                c.placed, c.cloned, c.departed, c.arrived, c.finished, c.failed, c.killed
            ),
            (1, 4, 2, 2, 3, 1, 1),
            "{lang:?}"
        );
        let recs = records(&sim);
        for want in [
            "0s 0 scout a.2",
            "0s 0 signal_ok true",
            "0s 0 signal_missing false",
            "10ms 0 pinged 42",
            "10ms 0 killed true",
            "1 scout_at b",
        ] {
            assert!(
                recs.iter()
                    .any(|r| r.starts_with(want) || r.ends_with(want)),
                "{lang:?}: {want} in {recs:?}"
            );
        }
        assert!(recs.iter().any(|r| r.ends_with("2 mark a.2")), "{recs:?}");
        // Nothing is left on a but its platform.
        assert_eq!(sim.platform(ids[0]).unwrap().residents().count(), 0);
        // Times after a move differ: the class's code travels, and the texts differ in size.
        runs.push(
            recs.iter()
                .map(|r| r.split_once(' ').map_or("", |x| x.1).to_owned())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(runs[0], runs[1], "Lua and JS agents record the same");
}

/// Runs a one-activity Lua or JS agent on `a` of a chain whose `c` has no platform; its
/// errors and counts.
fn misbehave(lang: Lang, act: &str, config: VmConfig) -> (Vec<String>, crate::agents::AgentCounts) {
    let code = match lang {
        Lang::Lua => format!(
            "return {{ start = 'x', act = {{ x = function(self) {act} end, y = function(self) end }}, trans = {{ x = 'y' }} }}"
        ),
        Lang::Js => format!(
            "return {{ start: 'x', act: {{ async x() {{ {act} }}, y() {{}} }}, trans: {{ x: 'y' }} }};"
        ),
    };
    let (mut sim, _) = chain_with(lang, &code, Value::Null, [true, true, false], config);
    sim.run();
    (errors(&sim), sim.agent_counts())
}

#[test]
fn failing_looping_and_oversized_agents_are_stopped_with_a_named_error() {
    let small = VmConfig {
        instruction_budget: 100_000,
        loop_iteration_limit: 10_000,
        ..VmConfig::default()
    };
    let cases: [(Lang, &str, VmConfig, &str); 12] = [
        (
            Lang::Lua,
            "while true do end",
            small.clone(),
            "instruction budget",
        ),
        (Lang::Js, "while (true) {}", small.clone(), "loop"),
        (
            Lang::Lua,
            "self.s = string.rep('x', 70000) moveto('b')",
            VmConfig::default(),
            "over the 60000-byte cap",
        ),
        (
            Lang::Js,
            "this.s = 'x'.repeat(70000); moveto('b');",
            VmConfig::default(),
            "over the 60000-byte cap",
        ),
        (
            Lang::Lua,
            "moveto('zz')",
            VmConfig::default(),
            "`a` has no port or neighbour called `zz`",
        ),
        (
            Lang::Js,
            "moveto('zz');",
            VmConfig::default(),
            "`a` has no port or neighbour called `zz`",
        ),
        (
            Lang::Lua,
            "recv()",
            VmConfig::default(),
            "agents receive no messages",
        ),
        (
            Lang::Js,
            "recv();",
            VmConfig::default(),
            "agents receive no messages",
        ),
        (
            Lang::Lua,
            "self.f = print moveto('b')",
            VmConfig::default(),
            "",
        ),
        (
            Lang::Lua,
            "self.g = {print} moveto('b')",
            VmConfig::default(),
            "function",
        ),
        (
            Lang::Lua,
            "self.next_hop = 'c' moveto('b')",
            VmConfig::default(),
            "",
        ),
        // As `send` does, JSON drops a function nested in an array (to null).
        (
            Lang::Js,
            "this.f = [() => 1]; moveto('b');",
            VmConfig::default(),
            "",
        ),
    ];
    for (lang, act, config, want) in cases {
        let (errs, counts) = misbehave(lang, act, config);
        if want.is_empty() {
            assert!(errs.is_empty(), "{lang:?} `{act}`: {errs:?}");
            assert_eq!(
                (counts.departed, counts.arrived, counts.finished),
                (1, 1, 1),
                "{act}"
            );
            continue;
        }
        assert_eq!(errs.len(), 1, "{lang:?} `{act}`: {errs:?}");
        assert!(
            errs[0].starts_with("a/w1 (agent a.1): ") && errs[0].contains(want),
            "{lang:?} `{act}`: {errs:?}"
        );
        assert_eq!((counts.failed, counts.departed), (1, 0), "{lang:?} `{act}`");
    }
}

#[test]
fn a_move_to_a_node_without_a_platform_fails_the_agent_and_a_bad_class_is_named() {
    // b has a platform; c has none.
    let code = "return { start = 'x', act = { x = function(self) moveto(node().name == 'a' and 'b' or 'c') end }, trans = { x = 'x' } }";
    let (mut sim, _) = chain_with(
        Lang::Lua,
        code,
        Value::Null,
        [true, true, false],
        VmConfig::default(),
    );
    sim.run();
    assert_eq!(
        errors(&sim),
        vec!["b/w1 (agent a.1): moveto c: node `c` hosts no agent platform"]
    );
    for (lang, code, want) in [
        (
            Lang::Lua,
            "return 3",
            "agent class walker: the code must return a table (the class), not number",
        ),
        (
            Lang::Lua,
            "return { start = 'x', act = {} }",
            "agent a.1: no activity `x`",
        ),
        (
            Lang::Lua,
            "return { act = {} }",
            "agent class walker: `start` must name an activity",
        ),
        (
            Lang::Js,
            "return 3;",
            "agent class walker: the code must return an object (the class), not number",
        ),
        (
            Lang::Js,
            "return { start: 'x', act: {}, };",
            "agent a.1: no activity 'x'",
        ),
        (
            Lang::Lua,
            "return { start = 'x', act = { x = function() end }, trans = { x = 5 } }",
            "gave a number, not an activity name",
        ),
        (Lang::Lua, "return {", "walker.lua:"),
        (Lang::Js, "return {", "SyntaxError"),
    ] {
        let (mut sim, _) = chain(lang, code, Value::Null);
        sim.run();
        let errs = errors(&sim);
        assert!(
            errs.len() == 1 && errs[0].contains(want),
            "{lang:?} {code}: {errs:?}"
        );
        assert_eq!(sim.agent_counts().failed, 1, "{lang:?} {code}");
    }
}

#[test]
fn a_crash_kills_the_agents_on_a_node_and_bad_parcels_are_refused() {
    let code =
        "return { start = 'x', act = { x = function(self) sleep(1000) end }, trans = { x = 'x' } }";
    let (mut sim, ids) = chain(Lang::Lua, code, Value::Null);
    sim.run_until(SimTime::from_millis(5));
    assert_eq!(sim.platform(ids[0]).unwrap().residents().count(), 1);
    let fault = crate::faults::Fault::Crash(ids[0]);
    sim.schedule_fault(SimTime::from_millis(6), fault);
    // A malformed parcel and an oversized one, sent on port b by a Rust program on a: CMUX
    // hands them to a's own platform too.
    struct Send;
    impl NodeProgram for Send {
        fn on_start(&mut self, ctx: &mut Context) {
            let p = ctx.port("b").unwrap();
            ctx.send(p, crate::net::Message::value(json!({"$agent": {"id": 3}})));
            let big = "x".repeat(crate::agents::MAX_IN);
            ctx.send(
                p,
                crate::net::Message::value(json!({"$agent": {"id": big}})),
            );
        }
    }
    sim.add_worker(ids[0], Box::new(Send));
    sim.run_until(SimTime::from_secs(5));
    let c = sim.agent_counts();
    assert_eq!((c.placed, c.killed, c.refused), (1, 1, 4));
    assert_eq!(sim.platform(ids[0]).unwrap().residents().count(), 0);
    let errs = errors(&sim);
    assert_eq!(errs.len(), 4, "{errs:?}");
    for (e, want) in errs.iter().zip([
        "agent platform on a: an agent from a refused: a malformed agent: invalid type",
        "agent platform on a: an agent from a refused: an agent of 262164 bytes is over the 262144-byte cap",
        "agent platform on b: an agent from a refused: a malformed agent: invalid type",
        "agent platform on b: an agent from a refused: an agent of 262164 bytes is over the 262144-byte cap",
    ]) {
        assert!(e.contains(want), "{want} in {errs:?}");
    }
}

/// A 4×4 grid file with platforms everywhere and `count` random walkers of `lang` on n0, which
/// take 12 random steps each, marking every node they visit in its tuple space.
fn walkers_file(lang: &str, count: u32) -> String {
    let code = match lang {
        "lua" => {
            r#"return {
            steps = 0, start = "step",
            act = { step = function(self)
                if self.steps == 0 then record("k", params().k) end
                self.steps = self.steps + 1
                out({"seen", me()})
                local ns = {}
                for port, names in pairs(node().neighbours) do ns[#ns + 1] = names[1] end
                table.sort(ns)
                moveto(ns[math.random(#ns)])
            end },
            trans = { step = function(self) if self.steps < 12 then return "step" end end },
        }"#
        }
        _ => {
            r#"return {
            steps: 0, start: 'step',
            act: { step() {
                if (this.steps === 0) record('k', params().k);
                this.steps++;
                out(['seen', me()]);
                const ns = Object.values(node().neighbours).map((n) => n[0]).sort();
                moveto(ns[Math.floor(random() * ns.length)]);
            } },
            trans: { step() { return this.steps < 12 ? 'step' : null; } },
        };"#
        }
    };
    json!({
        "seed": 5,
        "topology": {"kind": "grid", "rows": 4, "cols": 4},
        "node_defaults": {"platform": true, "params": {"k": 7}},
        "link_defaults": {"latency": "2ms", "bandwidth": "1Mbps"},
        "agents": [{"at": "n0", "lang": lang, "class": "walker", "code": code, "count": count}],
    })
    .to_string()
}

fn run_file(text: &str, seed: u64) -> (Simulation, u64) {
    let file = crate::netfile::NetworkFile::from_json(text).unwrap();
    let mut sim = file
        .instantiate(&crate::netfile::ProgramRegistry::new(), Some(seed))
        .unwrap();
    let hash = Rc::new(RefCell::new(crate::trace::TraceHash::default()));
    sim.set_trace(Box::new(hash.clone()));
    sim.run();
    let h = hash.borrow().value();
    (sim, h)
}

#[test]
fn a_network_file_places_agents_and_a_seed_gives_the_same_trace() {
    for lang in ["lua", "js"] {
        let text = walkers_file(lang, 3);
        let (sim, h1) = run_file(&text, 5);
        assert_eq!(errors(&sim), Vec::<String>::new(), "{lang}");
        let c = sim.agent_counts();
        // 12 steps each; the last step's move is not made: its transition ends the agent.
        assert_eq!(
            (c.placed, c.departed, c.arrived, c.finished),
            (3, 33, 33, 3),
            "{lang}"
        );
        assert_eq!(run_file(&text, 5).1, h1, "{lang}: same seed, same trace");
        assert_ne!(
            run_file(&text, 6).1,
            h1,
            "{lang}: another seed, another walk"
        );
    }
}

#[test]
fn a_network_file_names_what_is_wrong_with_its_agents() {
    let base = json!({
        "nodes": [{"name": "a", "platform": true}, {"name": "b"}],
        "links": [{"a": "a.p", "b": "b.p", "latency": "1ms"}],
    });
    for (agent, want) in [
        (
            json!({"at": "c", "code": "return {}", "lang": "lua"}),
            "agent 0 (at `c`): no node is called `c`",
        ),
        (
            json!({"at": "b", "code": "return {}", "lang": "lua"}),
            "node `b` hosts no agents: give it \"platform\": true",
        ),
        (
            json!({"at": "a", "lang": "lua"}),
            "give exactly one of `code` and `path`",
        ),
        (json!({"at": "a", "code": "x"}), "give `lang`"),
        (json!({"at": "a", "path": "x.py"}), "give `lang`"),
        (
            json!({"at": "a", "code": "x", "lang": "lua", "state": 3}),
            "`state` must be an object",
        ),
        (
            json!({"at": "a", "code": "x", "lang": "lua", "count": 0}),
            "`count` must be at least 1",
        ),
        (
            json!({"at": "a", "code": "x", "lang": "lua", "colour": 1}),
            "unknown field `colour`",
        ),
        (
            json!({"at": "a", "code": "x", "lang": "lua", "after": "soon"}),
            "agent 0: ",
        ),
    ] {
        let mut f = base.clone();
        f["agents"] = json!([agent]);
        let e = crate::netfile::NetworkFile::from_json(&f.to_string())
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{want} in {e}");
    }
    let mut f = base.clone();
    f["agents"] = json!({"at": "a"});
    let e = crate::netfile::NetworkFile::from_json(&f.to_string())
        .unwrap_err()
        .to_string();
    assert!(e.contains("`agents` must be a list"), "{e}");
}

#[test]
fn a_full_platform_refuses_placed_cloned_and_arriving_agents_by_name() {
    // a holds at most 2: three placed sleepers, the third refused; on b (at most 1), a
    // sleeper that clones itself keeps the one it is, and refuses the clone.
    let sleeper =
        "return { start = 'z', act = { z = function() sleep(1000) end }, trans = { z = 'z' } }";
    let cloner = "return { start = 'c', act = { c = function() clone() end, z = function() sleep(1000) end },
        trans = { c = 'z', z = 'z' } }";
    let mut sim = Simulation::new(1);
    let (a, b) = (sim.add_node("a").unwrap(), sim.add_node("b").unwrap());
    sim.link(a, "b", b, "a", LinkParams::default()).unwrap();
    let config = Rc::new(VmConfig::default());
    let place = |code: &str| Placement {
        lang: Lang::Lua,
        class: "s".into(),
        code: code.into(),
        state: Value::Null,
        after: SimDuration::ZERO,
    };
    let pa = (0..3).fold(
        AgentPlatform::new(config.clone()).with_max_agents(2),
        |p, _| p.place(place(sleeper)),
    );
    sim.add_worker(a, Box::new(pa));
    let pb = AgentPlatform::new(config)
        .with_max_agents(1)
        .place(place(cloner));
    sim.add_worker(b, Box::new(pb));
    sim.run_until(SimTime::from_millis(10));
    // And one more arriving at b over the link.
    struct Send;
    impl NodeProgram for Send {
        fn on_start(&mut self, ctx: &mut Context) {
            let p = Parcel::new(
                "x.1".into(),
                Lang::Lua,
                "s".into(),
                String::new(),
                Value::Null,
            );
            let port = ctx.port("b").unwrap();
            ctx.send_over(port, None, p.to_message());
        }
    }
    sim.add_worker(a, Box::new(Send));
    sim.run_until(SimTime::from_millis(20));
    assert_eq!(sim.platform(a).unwrap().residents().count(), 2);
    assert_eq!(sim.platform(b).unwrap().residents().count(), 1);
    let c = sim.agent_counts();
    assert_eq!((c.placed, c.cloned, c.arrived, c.refused), (3, 0, 0, 3));
    let errs = errors(&sim);
    for want in [
        "agent platform on a: agent a.3 refused: the platform holds its most agents (2)",
        "agent platform on b: agent b.2 refused: the platform holds its most agents (1)",
        "agent platform on b: agent x.1 refused: the platform holds its most agents (1)",
    ] {
        assert!(errs.iter().any(|e| e.contains(want)), "{want} in {errs:?}");
    }
}
