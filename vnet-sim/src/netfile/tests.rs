use super::*;
use crate::kernel::{Context, NodeProgram};
use crate::net::{Message, PortId};

const SAMPLE: &str = r#"{
  "seed": 42,
  "nodes": [
    { "name": "a", "program": "hello", "params": { "greeting": "hi" }, "ports": ["east"], "pos": [0.0, 1.0] },
    { "name": "b", "program": "hello", "ports": ["west", "spare"] }
  ],
  "links": [
    { "a": "a.east", "b": "b.west", "latency": "1ms", "bandwidth": "10Mbps", "queue": 64, "loss": 0.01,
      "jitter": { "kind": "uniform", "max": "100us" } }
  ]
}"#;

fn err(text: &str) -> String {
    NetworkFile::from_json(text).unwrap_err().to_string()
}

#[test]
fn loads_every_field() {
    let f = NetworkFile::from_json(SAMPLE).unwrap();
    assert_eq!(f.seed, Some(42));
    assert_eq!(f.nodes[0].params["greeting"], "hi");
    assert_eq!(f.nodes[1].ports, vec!["west", "spare"]);
    let l = &f.links[0];
    assert_eq!(
        (l.latency, l.bandwidth, l.queue, l.loss),
        (
            SimDuration::from_millis(1),
            Some(10_000_000),
            Some(64),
            0.01
        )
    );
    assert_eq!(
        l.jitter,
        Some(Jitter::Uniform {
            max: SimDuration::from_micros(100)
        })
    );
    assert!(l.up);
}

#[test]
fn save_and_load_round_trip() {
    let f = NetworkFile::from_json(SAMPLE).unwrap();
    let text = f.to_json();
    let g = NetworkFile::from_json(&text).unwrap();
    assert_eq!(f, g);
    assert_eq!(text, g.to_json(), "the canonical form is a fixed point");
    let dir = std::env::temp_dir().join(format!("vnet-netfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("net.json");
    f.save(&path).unwrap();
    assert_eq!(NetworkFile::load(&path).unwrap(), f);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn topology_file_round_trips_through_a_simulation() {
    let t = crate::topology::Topology::grid(3, 3);
    let params = LinkParams::new(SimDuration::from_millis(2), 5_000_000).with_queue(8);
    let f = NetworkFile::from_topology(&t, &params, None);
    let sim = f.instantiate(&ProgramRegistry::new(), Some(1)).unwrap();
    assert_eq!(
        (sim.network().nodes().len(), sim.network().links().len()),
        (9, 12)
    );
    let mut back = NetworkFile::describe(sim.network(), None, |_| (None, Value::Null));
    for (n, m) in back.nodes.iter_mut().zip(&f.nodes) {
        n.pos = m.pos;
    }
    assert_eq!(back, f);
}

#[test]
fn syntax_errors_give_line_and_column() {
    let e = err("{\n  \"nodes\": [\n    { \"name\": \"a\", }\n  ]\n}");
    assert!(e.starts_with("3:20: invalid JSON: trailing comma"), "{e}");
    // The line's text follows, with a caret under column 20.
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines[1], "        { \"name\": \"a\", }");
    assert_eq!(lines[2].find('^'), Some(4 + 19), "{e}");
}

#[test]
fn field_errors_name_the_node_or_link_and_the_field() {
    let e = err(r#"{"nodes": [{"name": "a"}, {"nmae": "b"}]}"#);
    assert!(e.contains("node 1") && e.contains("nmae"), "{e}");
    let e = err(r#"{"nodes": [{"name": "a", "ports": "p"}]}"#);
    assert!(
        e.contains("node 0 (`a`)") && e.contains("invalid type"),
        "{e}"
    );
    let e =
        err(r#"{"nodes": [{"name": "a"}, {"name": "b"}], "links": [{"a": "a.p", "b": "b.p"}]}"#);
    assert!(
        e.contains("link 0 (a.p -- b.p)") && e.contains("missing field `latency`"),
        "{e}"
    );
    let e = err(
        r#"{"nodes": [{"name": "a"}, {"name": "b"}], "links": [{"a": "a.p", "b": "b.p", "latency": "3 days"}]}"#,
    );
    assert!(
        e.contains("link 0") && e.contains("unknown time unit"),
        "{e}"
    );
    let e = err(
        r#"{"nodes": [{"name": "a"}, {"name": "b"}], "links": [{"a": "a.p", "b": "b.p", "latency": 5, "bandwidth": "fast"}]}"#,
    );
    assert!(e.contains("link 0") && e.contains("bandwidth"), "{e}");
}

#[test]
fn semantic_errors_name_the_culprit() {
    let e = err(r#"{"nodes": [{"name": "a"}, {"name": "a"}]}"#);
    assert_eq!(e, "node 1 (`a`): `name` is already used by node 0");
    let e = err(
        r#"{"nodes": [{"name": "a"}], "links": [{"a": "a.p", "b": "zz.p", "latency": "1ms"}]}"#,
    );
    assert_eq!(e, "link 0 (a.p -- zz.p): `b` names unknown node `zz`");
    let e = err(
        r#"{"nodes": [{"name": "a", "ports": ["p"]}, {"name": "b"}], "links": [{"a": "a.q", "b": "b.p", "latency": "1ms"}]}"#,
    );
    assert_eq!(e, "link 0 (a.q -- b.p): `a`: node `a` declares no port `q`");
    let e = err(
        r#"{"nodes": [{"name": "a"}, {"name": "b"}], "links": [{"a": "a.p", "b": "b.p", "latency": "1ms", "loss": 1.5}]}"#,
    );
    assert_eq!(
        e,
        "link 0 (a.p -- b.p): `loss` must be within [0, 1], got 1.5"
    );
    let e =
        err(r#"{"nodes": [{"name": "a"}], "links": [{"a": "ap", "b": "a.p", "latency": "1ms"}]}"#);
    assert_eq!(
        e,
        "link 0 (ap -- a.p): `a` must be \"node.port\", got \"ap\""
    );
    assert_eq!(
        err(r#"{"links": []}"#),
        "missing field `nodes` (or a `topology` that generates them)"
    );
    assert_eq!(err(r#"[1, 2]"#), "the file must be a JSON object");
    assert!(err(r#"{"nodes": [], "extra": 1}"#).contains("unknown field `extra`"));
}

#[test]
fn load_errors_name_the_file() {
    let e = NetworkFile::load("/nonexistent/vnet.json")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/nonexistent/vnet.json: "), "{e}");
}

struct Hello(String);
impl NodeProgram for Hello {
    fn on_start(&mut self, ctx: &mut Context) {
        ctx.send(PortId(0), Message::value(serde_json::json!(self.0)));
    }
    fn on_message(&mut self, ctx: &mut Context, _: Option<PortId>, msg: Message) {
        ctx.log(format!("{}", msg.as_value().unwrap()));
    }
}

fn registry() -> ProgramRegistry {
    let mut reg = ProgramRegistry::new();
    reg.register("hello", |p| {
        let g = match p.get("greeting") {
            None => "hello".to_owned(),
            Some(v) => v.as_str().ok_or("`greeting` must be a string")?.to_owned(),
        };
        Ok(Box::new(Hello(g)))
    });
    reg
}

#[test]
fn instantiate_runs_the_named_programs() {
    let f = NetworkFile::from_json(SAMPLE).unwrap();
    let mut sim = f.instantiate(&registry(), None).unwrap();
    assert_eq!(sim.seed(), 42);
    sim.run();
    let texts: Vec<_> = sim
        .results()
        .logs()
        .iter()
        .map(|l| {
            (
                sim.network().nodes()[l.node.0 as usize].name().to_owned(),
                l.text.clone(),
            )
        })
        .collect();
    // With 1% loss and this seed both greetings get through.
    assert_eq!(
        texts,
        vec![
            ("a".to_owned(), "\"hello\"".to_owned()),
            ("b".to_owned(), "\"hi\"".to_owned())
        ]
    );
}

#[test]
fn instantiate_names_unknown_programs_and_bad_params() {
    let f = NetworkFile::from_json(r#"{"nodes": [{"name": "x", "program": "helo"}]}"#).unwrap();
    let e = f.instantiate(&registry(), None).err().unwrap().to_string();
    assert_eq!(e, "node 0 (`x`): unknown program `helo` (known: hello)");
    let f = NetworkFile::from_json(
        r#"{"nodes": [{"name": "x", "program": "hello", "params": {"greeting": 3}}]}"#,
    )
    .unwrap();
    let e = f.instantiate(&registry(), None).err().unwrap().to_string();
    assert_eq!(
        e,
        "node 0 (`x`): program `hello`: `greeting` must be a string"
    );
}

#[test]
fn links_round_as_ns3_on_request() {
    let json = r#"{"nodes": [{"name": "a"}, {"name": "b"}], "links": [{"a": "a.p", "b": "b.p", "latency": "1ms", "bandwidth": "7Mbps", "rounding": "nearest"}]}"#;
    let f = NetworkFile::from_json(json).unwrap();
    let sim = f.instantiate(&ProgramRegistry::new(), None).unwrap();
    let p = sim.network().links()[0].params();
    assert_eq!(p.rounding, crate::net::Rounding::Nearest);
    assert_eq!(
        p.serialization(130),
        crate::SimDuration::from_nanos(148_571)
    );
    assert!(f.to_json().contains("\"rounding\": \"nearest\""));
    // Up is the default, and not written.
    let f = NetworkFile::from_json(&json.replace(r#", "rounding": "nearest""#, "")).unwrap();
    assert!(!f.to_json().contains("rounding"));
}

#[test]
fn links_can_start_down() {
    let f = NetworkFile::from_json(r#"{"nodes": [{"name": "a"}, {"name": "b"}], "links": [{"a": "a.p", "b": "b.p", "latency": 0, "up": false}]}"#).unwrap();
    let sim = f.instantiate(&ProgramRegistry::new(), None).unwrap();
    assert!(!sim.network().links()[0].is_up());
    assert!(f.to_json().contains("\"up\": false"));
}

#[test]
fn vm_workers_load_from_inline_code_and_files_and_round_trip() {
    let dir = std::env::temp_dir().join(format!("vnet-netfile-vm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("pong.js"),
        "for (;;) { const [p, m] = await recv(); send(p, m); }",
    )
    .unwrap();
    let text = r#"{
      "nodes": [
        { "name": "a", "workers": [ { "lang": "lua", "code": "send('p', 'hi') local _, m = recv() print(m, now())" } ] },
        { "name": "b", "workers": [ { "lang": "js", "path": "pong.js" } ] }
      ],
      "links": [ { "a": "a.p", "b": "b.p", "latency": "5ms" } ]
    }"#;
    let f = NetworkFile::from_json(text).unwrap();
    assert_eq!(NetworkFile::from_json(&f.to_json()).unwrap(), f);
    assert!(
        f.to_json().contains("\"path\": \"pong.js\""),
        "paths stay paths when saved"
    );
    let mut sim = f
        .instantiate_at(
            &ProgramRegistry::new(),
            None,
            &dir,
            &crate::vm::VmConfig::default(),
        )
        .unwrap();
    sim.run();
    let a = sim.network().node_by_name("a").unwrap();
    let out: Vec<_> = sim
        .results()
        .worker_output(a, crate::WorkerId(0))
        .map(|l| l.text.clone())
        .collect();
    assert_eq!(out, vec!["hi\t10.0"]);
    let e = f
        .instantiate(&ProgramRegistry::new(), None)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.starts_with("node 1 (`b`): worker 0: reading `pong.js`:"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_worker_needs_exactly_one_source() {
    let e = err(r#"{"nodes": [{"name": "a", "workers": [{"lang": "lua"}]}]}"#);
    assert_eq!(
        e,
        "node 0 (`a`): worker 0: give exactly one of `code` and `path`"
    );
    let e =
        err(r#"{"nodes": [{"name": "a", "workers": [{"lang": "lua", "code": "", "path": "x"}]}]}"#);
    assert_eq!(
        e,
        "node 0 (`a`): worker 0: give exactly one of `code` and `path`"
    );
    let e = err(r#"{"nodes": [{"name": "a", "workers": [{"lang": "python", "code": ""}]}]}"#);
    assert!(
        e.starts_with("node 0 (`a`): unknown variant `python`"),
        "{e}"
    );
}

#[test]
fn nodes_carry_host_profiles() {
    let text = r#"{ "nodes": [
        { "name": "slow", "profile": "esp32", "workers": [ { "lang": "lua", "code": "print(now())" } ] },
        { "name": "custom", "profile": { "name": "mine", "dhrystones_per_s": 5000.0, "t_ivm": "1ms", "tcmsg": "2ms", "memory_cap": 100000 } }
    ] }"#;
    let f = NetworkFile::from_json(text).unwrap();
    assert_eq!(NetworkFile::from_json(&f.to_json()).unwrap(), f);
    let mut sim = f.instantiate(&ProgramRegistry::new(), None).unwrap();
    sim.run();
    let t: f64 = sim.results().logs()[0].text.parse().unwrap();
    assert!(
        (100.0..100.1).contains(&t),
        "an esp32 worker boots in 100 ms, printed {t}"
    );
    let e = err(r#"{ "nodes": [ { "name": "x", "profile": "cray" } ] }"#);
    assert_eq!(
        e,
        "node 0 (`x`): `profile`: unknown host `cray` (pc, rpi-zero, esp32, or an object)"
    );
}

#[test]
fn nodes_carry_sensors_that_round_trip_and_report() {
    let dir = std::env::temp_dir().join(format!("vnet-netfile-sensors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("temp.csv"), "time,celsius\n0,20\n1,22\n").unwrap();
    let text = r#"{ "nodes": [
        { "name": "s", "pos": [3.0, 4.0],
          "sensors": [
            { "name": "field", "signal": { "kind": "expr", "expr": "x * 10 + y" } },
            { "name": "rec", "signal": { "kind": "recorded", "path": "temp.csv", "column": "celsius",
                                         "interpolation": "linear" },
              "model": { "adc_bits": 8, "range": [0, 51] },
              "trigger": { "kind": "at", "times_ms": [500] }, "port": "rec" }
          ],
          "workers": [ { "lang": "lua",
                         "code": "print(sensor('field')) local p, v = recv('rec') print(p, now(), v)" } ] }
    ] }"#;
    let f = NetworkFile::from_json(text).unwrap();
    assert_eq!(NetworkFile::from_json(&f.to_json()).unwrap(), f);
    let mut sim = f
        .instantiate_at(
            &ProgramRegistry::new(),
            None,
            &dir,
            &crate::vm::VmConfig::default(),
        )
        .unwrap();
    sim.run();
    let lines: Vec<_> = sim
        .results()
        .logs()
        .iter()
        .map(|l| l.text.as_str())
        .collect();
    // 21 at 500 ms, through an 8-bit ADC over 0..51 (steps of 0.2): exactly 21.
    assert_eq!(lines, vec!["34.0", "rec\t500.0\t21.0"]);
    for (sensor, want) in [
        (
            r#"{ "name": "t", "signal": { "kind": "expr", "expr": "q" } }"#,
            "node 0 (`n`): sensor `t`: expression `q`: unknown variable `q`",
        ),
        (
            r#"{ "name": "t", "signal": { "kind": "constant", "value": 1 }, "model": { "dropout": 2 } }"#,
            "node 0 (`n`): sensor `t`: `dropout`: a probability must be in 0..1, not 2",
        ),
        (
            r#"{ "name": "t", "signal": { "kind": "recorded", "path": "nope.csv", "column": "c" } }"#,
            "node 0 (`n`): sensor `t`: ./nope.csv: ",
        ),
    ] {
        let text = format!(r#"{{ "nodes": [ {{ "name": "n", "sensors": [ {sensor} ] }} ] }}"#);
        let e = NetworkFile::from_json(&text)
            .unwrap()
            .instantiate(&ProgramRegistry::new(), None)
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with(want), "{e}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn serial_links_round_trip_and_bad_ones_are_named() {
    let t = crate::topology::Topology::grid(1, 2);
    let params = LinkParams::new(SimDuration::ZERO, 5_000_000)
        .with_serial(crate::net::SerialLine::uart_8n1(2, 11));
    let f = NetworkFile::from_topology(&t, &params, None);
    let text = f.to_json();
    assert!(text.contains("\"lanes\": 2"), "{text}");
    let back = NetworkFile::from_json(&text).unwrap();
    assert_eq!(back, f);
    let sim = back.instantiate(&ProgramRegistry::new(), Some(1)).unwrap();
    assert_eq!(sim.network().links().len(), 1);
    let bad = text.replace("\"lanes\": 2", "\"lanes\": 0");
    let e = NetworkFile::from_json(&bad)
        .and_then(|f| f.instantiate(&ProgramRegistry::new(), Some(1)).map(|_| ()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("lane"), "{e}");
}

#[test]
fn node_params_reach_lua_and_js_workers() {
    let text = r#"{
      "nodes": [
        { "name": "a", "params": {"origin": true, "ttl": 3},
          "workers": [ { "lang": "lua", "code": "local p = params() record('ttl', p.ttl) record('origin', p.origin)" } ] },
        { "name": "b", "params": {"ttl": 5},
          "workers": [ { "lang": "js", "code": "const p = params(); record('ttl', p.ttl); record('origin', p.origin === true);" } ] }
      ],
      "links": []
    }"#;
    let f = NetworkFile::from_json(text).unwrap();
    let mut sim = f.instantiate(&ProgramRegistry::new(), None).unwrap();
    sim.run();
    let (a, b) = (
        sim.network().node_by_name("a").unwrap(),
        sim.network().node_by_name("b").unwrap(),
    );
    use crate::RecordValue as V;
    assert_eq!(sim.results().last_record(a, "ttl"), Some(&V::Int(3)));
    assert_eq!(sim.results().last_record(a, "origin"), Some(&V::Bool(true)));
    assert_eq!(sim.results().last_record(b, "ttl"), Some(&V::Int(5)));
    assert_eq!(
        sim.results().last_record(b, "origin"),
        Some(&V::Bool(false))
    );
}
