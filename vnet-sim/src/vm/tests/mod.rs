//! VM workers in the kernel: API, timing, limits, sandbox, errors, determinism.

mod agents;
mod faults;
mod js;
mod lua;
mod profile;
mod sensors;
mod tuples;

use std::rc::Rc;

use super::{Lang, VmConfig, VmProgram};
use crate::kernel::{LogStream, RecordValue, Simulation, WorkerId, WorkerState};
use crate::net::{LinkParams, NodeId};
use crate::time::SimDuration;

/// Two nodes `a`, `b` joined port `p` to port `p` by a 10 ms, 1 Mb/s link, running `code_a`
/// and `code_b` (languages `la`, `lb`) under `config`.
pub(super) fn pair(
    la: Lang,
    code_a: &str,
    lb: Lang,
    code_b: &str,
    config: VmConfig,
) -> (Simulation, NodeId, NodeId) {
    let (mut sim, a, b, _) =
        crate::testkit::linked_pair(3, LinkParams::new(SimDuration::from_millis(10), 1_000_000));
    let config = Rc::new(config);
    sim.add_worker(a, Box::new(VmProgram::new(la, code_a, config.clone())));
    sim.add_worker(b, Box::new(VmProgram::new(lb, code_b, config)));
    (sim, a, b)
}

/// One node `n` with a port `p` (no links) running `code`.
pub(super) fn solo(lang: Lang, code: &str, config: VmConfig) -> (Simulation, NodeId) {
    let mut sim = Simulation::new(3);
    let n = sim.add_node("n").unwrap();
    sim.add_port(n, "p").unwrap();
    sim.add_worker(n, Box::new(VmProgram::new(lang, code, Rc::new(config))));
    (sim, n)
}

/// Standard output of a worker, line by line.
pub(super) fn out(sim: &Simulation, n: NodeId, w: u32) -> Vec<String> {
    sim.results()
        .worker_output(n, WorkerId(w))
        .filter(|l| l.stream == LogStream::Out)
        .map(|l| l.text.clone())
        .collect()
}

/// Standard error of a worker, joined.
pub(super) fn err(sim: &Simulation, n: NodeId, w: u32) -> String {
    sim.results()
        .worker_output(n, WorkerId(w))
        .filter(|l| l.stream == LogStream::Err)
        .map(|l| l.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `code` alone on a node and checks that its worker fails with `want` in its stderr.
pub(super) fn fails_with(lang: Lang, code: &str, config: VmConfig, want: &str) {
    let (mut sim, n) = solo(lang, code, config);
    sim.run();
    assert_eq!(state(&sim, n, 0), WorkerState::Failed, "{code}");
    assert!(
        err(&sim, n, 0).contains(want),
        "{code}: {}",
        err(&sim, n, 0)
    );
}

pub(super) fn state(sim: &Simulation, n: NodeId, w: u32) -> WorkerState {
    sim.worker_state(n, WorkerId(w)).unwrap()
}

/// The Lua side of the ping-pong tests: three round trips of a 98-character string (100 bytes
/// of JSON with its quotes), printing each RTT.
pub(super) fn lua_ping() -> String {
    r#"
local msg = string.rep("x", 98)
for i = 1, 3 do
  local t0 = now()
  send("p", msg)
  local port, back = recv("p")
  print(i, now() - t0, port, #back)
end
"#
    .to_owned()
}

/// Evaluates `code` in worker 0 of `n`.
fn eval(sim: &mut Simulation, n: NodeId, code: &str) -> Result<serde_json::Value, String> {
    sim.program_mut(n, WorkerId(0))
        .and_then(|p| p.as_any_mut())
        .and_then(|a| a.downcast_mut::<VmProgram>())
        .expect("a VM worker")
        .eval(code)
        .map_err(|e| e.to_string())
}

#[test]
fn eval_reads_and_changes_a_blocked_workers_globals() {
    for (lang, code, read, write, bad) in [
        (
            Lang::Lua,
            "count = 3 local p, m = recv() print(count)",
            "return {count = count, names = {'a', 'b'}}",
            "count = count + 1",
            "return (",
        ),
        (
            Lang::Js,
            "globalThis.count = 3; const [p, m] = await recv(); console.log(count);",
            "({count: count, names: ['a', 'b']})",
            "count = count + 1",
            "(",
        ),
    ] {
        let (mut sim, n) = solo(lang, code, VmConfig::default());
        sim.run();
        assert_eq!(
            eval(&mut sim, n, read),
            Ok(serde_json::json!({"count": 3, "names": ["a", "b"]})),
            "{lang:?}"
        );
        eval(&mut sim, n, write).unwrap();
        let e = eval(&mut sim, n, bad).unwrap_err();
        assert!(!e.is_empty(), "{lang:?}");
        sim.inject(
            sim.now(),
            n,
            Some(crate::net::PortId(0)),
            crate::net::Message::value(1.into()),
        )
        .unwrap();
        sim.run();
        assert_eq!(out(&sim, n, 0), vec!["4"], "{lang:?}");
    }
    // A runaway eval is stopped by the budget, and an eval cannot block.
    let config = VmConfig {
        instruction_budget: 100_000,
        ..VmConfig::default()
    };
    let (mut sim, n) = solo(
        Lang::Lua,
        "recv() local x = 0 for i = 1, 5000 do x = x + i end print(x)",
        config,
    );
    sim.run();
    let e = eval(&mut sim, n, "while true do end").unwrap_err();
    assert!(e.contains("budget"), "{e}");
    assert!(
        eval(&mut sim, n, "return recv()")
            .unwrap_err()
            .contains("coroutine")
    );
    // The worker keeps its own budget: about 20 000 instructions fit in 100 000.
    sim.inject(
        sim.now(),
        n,
        Some(crate::net::PortId(0)),
        crate::net::Message::empty(),
    )
    .unwrap();
    sim.run();
    assert_eq!(out(&sim, n, 0), vec!["12502500"]);
}

#[test]
fn lines_longer_than_max_line_are_cut_and_marked() {
    let config = VmConfig {
        max_line: 10,
        ..VmConfig::default()
    };
    for (lang, code) in [
        (Lang::Lua, "print(string.rep('é', 100)) print('short')"),
        (Lang::Js, "print('é'.repeat(100)); print('short');"),
    ] {
        let (mut sim, n) = solo(lang, code, config.clone());
        sim.run();
        // 'é' is two bytes: the cut falls on a character boundary.
        let want = format!("{}{}", "é".repeat(5), super::LINE_CUT_MARK);
        assert_eq!(out(&sim, n, 0), vec![want, "short".to_owned()], "{lang:?}");
    }
}

#[test]
fn a_wait_shorter_than_a_nanosecond_still_advances_time() {
    // `now()` is float ms: the rest `deadline - now()` falls below half a nanosecond before
    // `now()` reaches the deadline, and a wait of 0 would repeat at one instant for ever.
    for (lang, code) in [
        (
            Lang::Lua,
            "local deadline = 10.0000001 while now() < deadline do sleep(deadline - now()) end \
             print(now_ns())",
        ),
        (
            Lang::Js,
            "const deadline = 10.0000001; while (now() < deadline) await sleep(deadline - now()); \
             print(now_ns());",
        ),
    ] {
        let (mut sim, n) = solo(lang, code, VmConfig::default());
        sim.run();
        assert_eq!(out(&sim, n, 0), vec!["10000001"], "{lang:?}");
    }
}

#[test]
fn now_ns_is_exact_integer_time() {
    for (lang, code) in [
        (Lang::Lua, "sleep(1.5) print(now_ns(), math.type(now_ns()))"),
        (
            Lang::Js,
            "await sleep(1.5); print(now_ns(), Number.isInteger(now_ns()));",
        ),
    ] {
        let (mut sim, n) = solo(lang, code, VmConfig::default());
        sim.run();
        let want = if lang == Lang::Lua {
            "1500000\tinteger"
        } else {
            "1500000 true"
        };
        assert_eq!(out(&sim, n, 0), vec![want], "{lang:?}");
    }
}

#[test]
fn a_worker_that_never_leaves_an_instant_is_stopped() {
    for (lang, code) in [
        (Lang::Lua, "while true do sleep(0) end"),
        (Lang::Js, "for (;;) await sleep(0);"),
        (Lang::Lua, "while true do recv(nil, 0) end"),
    ] {
        let (mut sim, n) = solo(lang, code, VmConfig::default());
        sim.set_max_activations_per_instant(1000);
        sim.run();
        assert_eq!(state(&sim, n, 0), WorkerState::Failed, "{code}");
        let e = err(&sim, n, 0);
        assert!(
            e.contains("n/w0: activated 1000 times at t = 0s without time moving on"),
            "{code}: {e}"
        );
    }
}

#[test]
fn seventy_thousand_forks_over_a_nodes_life() {
    // Each child ends at once: few are alive together, but ids count past 65 535.
    let code = "local last for i = 1, 70000 do last = fork('exit()') if i % 100 == 0 then sleep(1) end end \
                print(last)";
    let (mut sim, n) = solo(Lang::Lua, code, VmConfig::default());
    sim.run();
    assert_eq!(out(&sim, n, 0), vec!["70000"], "{}", err(&sim, n, 0));
    assert_eq!(state(&sim, n, 70_000), WorkerState::Finished);
}

#[test]
fn js_forks_and_kills_past_65535_workers() {
    // 65 535 workers (Rust, ended at once) before the JS worker forks: its children's ids pass
    // the old 16-bit limit, and `kill` takes them.
    struct Done;
    impl crate::NodeProgram for Done {
        fn on_start(&mut self, ctx: &mut crate::Context) {
            ctx.exit();
        }
    }
    let mut sim = Simulation::new(3);
    let n = sim.add_node("n").unwrap();
    for _ in 0..65_535 {
        sim.add_worker(n, Box::new(Done));
    }
    sim.run();
    let code = "const a = fork('await sleep(1000);'); const b = fork('await sleep(1000);'); \
                kill(b); print(a, b);";
    let w = sim.add_worker(
        n,
        Box::new(VmProgram::new(Lang::Js, code, Rc::new(VmConfig::default()))),
    );
    sim.run();
    assert_eq!(w, WorkerId(65_535));
    assert_eq!(
        out(&sim, n, 65_535),
        vec!["65536 65537"],
        "{}",
        err(&sim, n, 65_535)
    );
    assert_eq!(state(&sim, n, 65_536), WorkerState::Finished);
    assert_eq!(state(&sim, n, 65_537), WorkerState::Killed);
}

#[test]
fn errors_name_the_program_and_line_once() {
    let config = VmConfig {
        instruction_budget: 1_000_000,
        memory_cap: 1 << 20,
        ..VmConfig::default()
    };
    for (lang, code, want) in [
        (
            Lang::Lua,
            "local t = nil\nprint(t.x)",
            "n/w0: program:2: attempt to index a nil value (local 't')",
        ),
        (
            Lang::Lua,
            "\nwhile true do end",
            "n/w0: program:2: instruction budget of 1000000 exceeded (a runaway loop?)",
        ),
        (
            Lang::Lua,
            "local t = {} for i = 1, 1e9 do t[i] = i end",
            "n/w0: memory cap of 1048576 bytes exceeded",
        ),
        (
            Lang::Js,
            "const t = null;\nprint(t.x);",
            if cfg!(feature = "quickjs") {
                "n/w0: program:2:7: uncaught TypeError: cannot read property 'x' of null"
            } else {
                "n/w0: program:2:9: uncaught TypeError: cannot convert 'null' or 'undefined' to object"
            },
        ),
        (
            Lang::Js,
            "let a = 1;\nfunction f(o) {\n  return o.x.y;\n}\nf({});",
            if cfg!(feature = "quickjs") {
                "n/w0: program:3:10: uncaught TypeError: cannot read property 'y' of undefined"
            } else {
                "n/w0: program:3:14: uncaught TypeError"
            },
        ),
        (
            Lang::Js,
            "let a = 1;\nlet b = 2;\nawait sleep(1);\nnull.x;",
            if cfg!(feature = "quickjs") {
                "n/w0: program:4:1: uncaught TypeError: cannot read property 'x' of null"
            } else {
                "n/w0: program:4:6: uncaught TypeError"
            },
        ),
        (
            Lang::Js,
            "let a = 1;\n\nthrow new Error('boom');",
            "n/w0: program:3:",
        ),
        (
            Lang::Js,
            "let a = 1;\nfor (;;) {}",
            if cfg!(feature = "quickjs") {
                "n/w0: step budget of 1000000 steps exceeded (a runaway loop?)"
            } else {
                "n/w0: loop limit of 10000000 iterations exceeded (a runaway loop?)"
            },
        ),
    ] {
        let (mut sim, n) = solo(lang, code, config.clone());
        sim.run();
        let e = err(&sim, n, 0);
        assert!(e.starts_with(want), "{code}: {e}");
    }
    // A program from a file is named by it.
    let program = VmProgram::new(Lang::Lua, "\n\nerror('boom')", Rc::new(VmConfig::default()))
        .with_source_name("dv.lua");
    let mut sim = Simulation::new(1);
    let n = sim.add_node("n14").unwrap();
    sim.add_worker(n, Box::new(program));
    sim.run();
    assert!(
        err(&sim, n, 0).starts_with("n14/w0: dv.lua:3: boom"),
        "{}",
        err(&sim, n, 0)
    );
}

#[test]
fn programs_record_typed_values_and_read_their_params() {
    let params = serde_json::json!({"origin": true, "hops": 3, "name": "n0"});
    for (lang, code) in [
        (
            Lang::Lua,
            "local p = params() record('hops', p.hops * 2) record('origin', p.origin) \
             record('ratio', 0.5) record('who', p.name) sleep(2) record('hops', 7)",
        ),
        (
            Lang::Js,
            "const p = params(); record('hops', p.hops * 2); record('origin', p.origin); \
             record('ratio', 0.5); record('who', p.name); await sleep(2); record('hops', 7);",
        ),
    ] {
        let mut sim = Simulation::new(3);
        let n = sim.add_node("n").unwrap();
        let program =
            VmProgram::new(lang, code, Rc::new(VmConfig::default())).with_params(params.clone());
        sim.add_worker(n, Box::new(program));
        sim.run();
        assert_eq!(err(&sim, n, 0), "", "{lang:?}");
        use crate::RecordValue as V;
        let got: Vec<(u64, &str, &V)> = sim
            .results()
            .records()
            .iter()
            .map(|r| (r.time.as_nanos(), r.name.as_str(), &r.value))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, "hops", &V::Int(6)),
                (0, "origin", &V::Bool(true)),
                (0, "ratio", &V::Float(0.5)),
                (0, "who", &V::Text("n0".into())),
                (2_000_000, "hops", &V::Int(7)),
            ],
            "{lang:?}"
        );
        assert_eq!(sim.results().last_record(n, "hops"), Some(&V::Int(7)));
        let mut csv = Vec::new();
        sim.results().write_records_csv(&mut csv).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "time_ns,node,worker,name,value\n0,n,0,hops,6\n0,n,0,origin,true\n0,n,0,ratio,0.5\n\
             0,n,0,who,n0\n2000000,n,0,hops,7\n"
        );
        let mut jsonl = Vec::new();
        sim.results().write_records_jsonl(&mut jsonl).unwrap();
        let first = String::from_utf8(jsonl).unwrap();
        assert_eq!(
            first.lines().next().unwrap(),
            r#"{"time_ns":0,"node":"n","worker":0,"name":"hops","value":6}"#
        );
    }
}

#[test]
fn a_record_must_be_a_name_and_a_plain_value() {
    for (lang, code, want) in [
        (
            Lang::Lua,
            "record('x', {1, 2})",
            "record `x`: a record's value must be a number, a boolean or a string, not an array",
        ),
        (
            Lang::Lua,
            "record(5, 1)",
            "record: expected a name (a string)",
        ),
        (
            Lang::Js,
            "record('x', {a: 1});",
            "record `x`: a record's value must be a number, a boolean or a string, not a table/object",
        ),
        (
            Lang::Js,
            "record('', 1);",
            "record: the name must be a non-empty string",
        ),
    ] {
        fails_with(lang, code, VmConfig::default(), want);
    }
    // Without parameters, `params()` is nil / null.
    let (mut sim, n) = solo(Lang::Lua, "print(params() == nil)", VmConfig::default());
    sim.run();
    assert_eq!(out(&sim, n, 0), vec!["true"]);
}

#[test]
fn recv_says_who_sent_a_message_and_when() {
    // 10 ms, 1 Mb/s: "hi" is 4 bytes of JSON, 32 µs on the wire; sent at 2 ms, in at 12.032 ms.
    let lua = "local p, m, meta = recv() record('id', meta.id) \
               record('from', meta.from) record('sent', meta.sent) \
               record('sent_ns', meta.sent_ns) record('took_ns', now_ns() - meta.sent_ns)";
    let js = "const [p, m, meta] = await recv(); record('id', meta.id); \
              record('from', meta.from); record('sent', meta.sent); \
              record('sent_ns', meta.sent_ns); record('took_ns', now_ns() - meta.sent_ns);";
    let senders = [
        (Lang::Lua, "sleep(2) send('p', 'hi')", lua),
        (Lang::Js, "await sleep(2); send('p', 'hi');", js),
    ];
    for (lang, sender, code) in senders {
        let (mut sim, a, b) = pair(lang, sender, lang, code, VmConfig::default());
        let trace = Rc::new(std::cell::RefCell::new(crate::trace::WriterTrace::new(
            Vec::new(),
            crate::trace::TraceFormat::Csv,
        )));
        sim.set_trace(Box::new(trace.clone()));
        sim.run();
        sim.take_trace();
        // The id is the trace's: the same in the send record and the delivery record.
        let text = String::from_utf8(trace.borrow().get_ref().clone()).unwrap();
        let id_of = |kind: &str| {
            text.lines()
                .find(|l| l.split(',').nth(1) == Some(kind))
                .and_then(|l| l.split(',').nth(2))
                .map(str::to_owned)
        };
        let sent_id = id_of("send").expect("a send record");
        assert_eq!(id_of("deliver"), Some(sent_id.clone()), "{lang:?}");
        let got = |name: &str| sim.results().last_record(b, name).cloned();
        assert_eq!(got("id"), Some(RecordValue::Text(sent_id)), "{lang:?}");
        assert_eq!(got("from"), Some(RecordValue::Text("a".into())), "{lang:?}");
        assert_eq!(got("sent").and_then(|v| v.as_f64()), Some(2.0), "{lang:?}");
        assert_eq!(
            got("sent_ns"),
            Some(RecordValue::Int(2_000_000)),
            "{lang:?}"
        );
        assert_eq!(
            got("took_ns"),
            Some(RecordValue::Int(10_032_000)),
            "{lang:?}"
        );
        assert!(
            sim.worker_state(a, WorkerId(0))
                .is_some_and(|s| !s.is_alive())
        );
    }
}
