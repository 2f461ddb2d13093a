use super::*;
use crate::trace::TraceHash;

const L: Lang = Lang::Lua;

const PONG: &str = r#"
while true do
  local port, m = recv()
  send(port, m)
end
"#;

#[test]
fn ping_pong_round_trips_take_exactly_twice_the_link_formula() {
    let (mut sim, a, b) = pair(L, &lua_ping(), L, PONG, VmConfig::default());
    sim.run();
    // One way: 10 ms + 100 B · 8 / 1 Mb/s = 10.8 ms; round trip 21.6 ms.
    assert_eq!(
        out(&sim, a, 0),
        vec!["1\t21.6\tp\t98", "2\t21.6\tp\t98", "3\t21.6\tp\t98"]
    );
    assert_eq!(state(&sim, a, 0), WorkerState::Finished);
    assert_eq!(state(&sim, b, 0), WorkerState::Waiting);
}

#[test]
fn recv_times_out_at_the_exact_time_and_returns_nil() {
    let (mut sim, n) = solo(
        L,
        "local p, v = recv('p', 2.5) print(p, v, now())",
        VmConfig::default(),
    );
    sim.run();
    assert_eq!(out(&sim, n, 0), vec!["nil\tnil\t2.5"]);
}

#[test]
fn recv_on_a_port_leaves_other_messages_queued() {
    let a = r#"send("x", "first on x") send("y", "then on y")"#;
    let b = r#"
      local p, v = recv("y") print(p, v, now())
      p, v = recv() print(p, v, now())
    "#;
    let mut sim = Simulation::new(1);
    let na = sim.add_node("a").unwrap();
    let nb = sim.add_node("b").unwrap();
    sim.link(
        na,
        "x",
        nb,
        "x",
        LinkParams::new(SimDuration::from_millis(1), 1_000_000_000),
    )
    .unwrap();
    sim.link(
        na,
        "y",
        nb,
        "y",
        LinkParams::new(SimDuration::from_millis(2), 1_000_000_000),
    )
    .unwrap();
    sim.add_worker(na, super::super::vm_worker(L, a));
    sim.add_worker(nb, super::super::vm_worker(L, b));
    sim.run();
    // `"then on y"` is 11 bytes of JSON: 88 ns at 1 Gb/s.
    assert_eq!(
        out(&sim, nb, 0),
        vec!["y\tthen on y\t2.000088", "x\tfirst on x\t2.000088"]
    );
}

#[test]
fn sleep_now_and_node_info() {
    let code = r#"
      sleep(1.5)
      local me = node()
      print(now(), me.name, me.id, me.worker, me.ports[1], me.neighbours.p[1])
    "#;
    let (mut sim, a, _) = pair(L, code, L, "", VmConfig::default());
    sim.run();
    assert_eq!(out(&sim, a, 0), vec!["1.5\ta\t0\t0\tp\tb"]);
}

#[test]
fn values_cross_faithfully_between_lua_workers() {
    let a =
        r#"send("p", {n = 3, f = 2.5, s = "hé", t = true, list = {1, 2, {x = 1}}, empty = {}})"#;
    let b = r#"
      local _, v = recv()
      print(math.type(v.n), math.type(v.f), v.s, v.t, #v.list, v.list[3].x, next(v.empty))
    "#;
    let (mut sim, _, b_id) = pair(L, a, L, b, VmConfig::default());
    sim.run();
    assert_eq!(
        out(&sim, b_id, 0),
        vec!["integer\tfloat\thé\ttrue\t3\t1\tnil"]
    );
}

#[test]
fn a_table_between_lua_workers_is_charged_and_seen_as_its_json() {
    // Lua to Lua, a table travels packed (no JSON value in between): it must still be charged
    // its compact JSON length and reach the other side whole; JavaScript sees the same value.
    let a = r#"send("p", {zeta = 1, alpha = {b = "x\n\"y", a = {1.5, -2, false}}, mid = "é"})"#;
    let b = r#"
      local _, v, meta = recv()
      print(now_ns() - meta.sent_ns, meta.from, meta.id, math.type(meta.sent_ns), meta.sent)
      local keys = {} for k in pairs(v) do keys[#keys + 1] = k end
      table.sort(keys)
      print(table.concat(keys, ","), #v.alpha.b, v.alpha.a[1], v.alpha.a[2], v.alpha.a[3], v.mid)
    "#;
    let (mut sim, _, b_id) = pair(L, a, L, b, VmConfig::default());
    sim.run();
    let json =
        serde_json::json!({"zeta": 1, "alpha": {"b": "x\n\"y", "a": [1.5, -2, false]}, "mid": "é"});
    let bytes = serde_json::to_string(&json).unwrap().len() as u64;
    // 10 ms, then bytes·8·10⁹ / 10⁶ ns at 1 Mb/s.
    let took = 10_000_000 + bytes * 8_000;
    assert_eq!(
        out(&sim, b_id, 0),
        vec![
            format!("{took}\ta\t0#1\tinteger\t0.0"),
            "alpha,mid,zeta\t4\t1.5\t-2\tfalse\té".to_owned()
        ]
    );
    assert_eq!(
        sim.network().links()[0].stats_forward().bytes_delivered,
        bytes
    );

    let js = "const [p, v] = await recv(); print(JSON.stringify(v));";
    let (mut sim, _, b_id) = pair(L, a, Lang::Js, js, VmConfig::default());
    sim.run();
    assert_eq!(
        out(&sim, b_id, 0),
        vec![serde_json::to_string(&json).unwrap()]
    );
}

#[test]
fn what_cannot_cross_gets_a_clear_error() {
    for (code, want) in [
        ("send('p', print)", "send: cannot send a function"),
        (
            "local t = {} t.self = t send('p', t)",
            "nested deeper than 64 levels",
        ),
        (
            "send('p', {1, 2, x = 3})",
            "mixing array items and string keys",
        ),
        ("send('p', {[2.5] = 1})", "key 2.5"),
        ("send('p', 0/0)", "cannot send the number NaN"),
        (
            "send('p', '\\xff')",
            "cannot send a string that is not valid UTF-8",
        ),
        (
            "send('p', {['\\xfe'] = 1})",
            "cannot send a table key that is not valid UTF-8",
        ),
        ("send('nope', 1)", "node `n` has no port `nope`"),
    ] {
        fails_with(L, code, VmConfig::default(), want);
    }
}

#[test]
fn api_errors_name_the_program_line() {
    for (code, want) in [
        (
            "\n\nsend('nope', 1)",
            "n/w0: program:3: send: node `n` has no port `nope`",
        ),
        (
            "\nrecv('nope')",
            "n/w0: program:2: recv: node `n` has no port `nope`",
        ),
        (
            "\nrecv('p', -1)",
            "n/w0: program:2: recv: expected a non-negative number",
        ),
        (
            "sleep('soon')",
            "n/w0: program:1: sleep: expected a non-negative number of ms",
        ),
        (
            "\n\n\nsend({}, 1)",
            "n/w0: program:4: send: expected a port name",
        ),
    ] {
        fails_with(L, code, VmConfig::default(), want);
    }
}

#[test]
fn fork_and_kill() {
    let code = r#"
      local child = fork("print('child', node().worker) while true do sleep(1) end")
      local doomed = fork("print('doomed never runs')")
      kill(doomed)
      print('parent forked', child, doomed)
      sleep(3)
      kill(child)
    "#;
    let (mut sim, n) = solo(L, code, VmConfig::default());
    sim.run();
    assert_eq!(out(&sim, n, 0), vec!["parent forked\t1\t2"]);
    assert_eq!(out(&sim, n, 1), vec!["child\t1"]);
    assert!(out(&sim, n, 2).is_empty());
    assert_eq!(state(&sim, n, 1), WorkerState::Killed);
    assert_eq!(state(&sim, n, 2), WorkerState::Killed);
    assert_eq!(state(&sim, n, 0), WorkerState::Finished);
}

#[test]
fn a_cancel_flag_raised_elsewhere_stops_a_spinning_worker() {
    let flag = crate::vm::CancelFlag::new();
    let config = VmConfig {
        instruction_budget: u64::MAX,
        cancel: Some(flag.clone()),
        ..VmConfig::default()
    };
    let (mut sim, n) = solo(
        L,
        "while true do pcall(function() while true do end end) end",
        config,
    );
    let raiser = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(30));
        flag.raise();
    });
    sim.run();
    raiser.join().unwrap();
    assert_eq!(state(&sim, n, 0), WorkerState::Failed);
    assert!(
        err(&sim, n, 0).starts_with("n/w0: killed"),
        "{}",
        err(&sim, n, 0)
    );
}

#[test]
fn a_worker_sees_ports_added_while_it_runs() {
    let (mut sim, n) = solo(
        L,
        "sleep(1) local i = node() print(#i.ports, i.ports[2]) send('late', 1)",
        VmConfig::default(),
    );
    sim.run_until(crate::time::SimTime::from_micros(500));
    sim.add_port(n, "late").unwrap();
    sim.run();
    assert_eq!(out(&sim, n, 0), vec!["2\tlate"]);
    assert_eq!(state(&sim, n, 0), WorkerState::Finished);
}

#[test]
fn runaway_loops_fail_cleanly_and_the_simulation_goes_on() {
    let config = VmConfig {
        instruction_budget: 200_000,
        ..VmConfig::default()
    };
    for code in [
        "while true do end",
        "while true do pcall(function() while true do end end) end",
        "local function f() return f() end f()",
    ] {
        let (mut sim, n) = solo(L, code, config.clone());
        sim.add_worker(
            n,
            super::super::vm_worker(L, "sleep(10) print('still here', now())"),
        );
        sim.run();
        assert_eq!(state(&sim, n, 0), WorkerState::Failed, "{code}");
        let e = err(&sim, n, 0);
        assert!(
            e.starts_with("n/w0: program:")
                && e.contains(": instruction budget of 200000 exceeded"),
            "{code}: {e}"
        );
        assert_eq!(out(&sim, n, 1), vec!["still here\t10.0"]);
    }
}

#[test]
fn memory_cap_stops_a_hungry_worker() {
    let config = VmConfig {
        memory_cap: 1 << 20,
        ..VmConfig::default()
    };
    let (mut sim, n) = solo(
        L,
        "local t = {} for i = 1, 1e7 do t[i] = string.rep('x', 100) .. i end",
        config,
    );
    sim.run();
    assert_eq!(state(&sim, n, 0), WorkerState::Failed);
    assert!(
        err(&sim, n, 0).contains("memory cap of"),
        "{}",
        err(&sim, n, 0)
    );
}

#[test]
fn sandbox_refuses_host_access() {
    for (code, want) in [
        ("io.open('/etc/passwd')", "global 'io'"),
        ("os.execute('true')", "global 'os'"),
        ("require('os')", "global 'require'"),
        ("load('return 1')", "global 'load'"),
        ("string.dump(print)", "field 'dump'"),
        ("dofile('/etc/passwd')", "global 'dofile'"),
        ("debug.getregistry()", "global 'debug'"),
        ("package.loadlib('x', 'y')", "global 'package'"),
    ] {
        fails_with(L, code, VmConfig::default(), want);
    }
}

#[test]
fn syntax_errors_name_the_line() {
    let (mut sim, n) = solo(L, "print('ok')\n\nlocal x = = 1\n", VmConfig::default());
    sim.run();
    assert_eq!(state(&sim, n, 0), WorkerState::Failed);
    let e = err(&sim, n, 0);
    assert!(e.contains("n/w0: program:3:"), "{e}");
}

#[test]
fn runtime_errors_fail_the_worker_with_a_traceback() {
    let (mut sim, n) = solo(
        L,
        "local function inner() error('boom') end\nsleep(1)\ninner()",
        VmConfig::default(),
    );
    sim.run();
    assert_eq!(state(&sim, n, 0), WorkerState::Failed);
    let e = err(&sim, n, 0);
    assert!(e.contains("n/w0: program:1: boom"), "{e}");
    assert!(e.contains("traceback"), "{e}");
}

#[test]
fn blocking_inside_a_user_coroutine_is_refused() {
    let (mut sim, n) = solo(
        L,
        "local co = coroutine.wrap(function() sleep(1) end) co()",
        VmConfig::default(),
    );
    sim.run();
    assert!(
        err(&sim, n, 0).contains("sleep() must be called by the worker itself"),
        "{}",
        err(&sim, n, 0)
    );
}

fn gossip_hash(seed: u64) -> u64 {
    let code = r#"
      local ports = node().ports
      for i = 1, 20 do
        sleep(random() * 5)
        send(ports[math.random(#ports)], {from = node().name, i = i})
      end
    "#;
    let mut sim = Simulation::new(seed);
    let ids = crate::topology::Topology::ring(5)
        .build(
            &mut sim,
            &LinkParams::new(SimDuration::from_millis(1), 1_000_000),
        )
        .unwrap();
    for &id in &ids {
        sim.add_worker(id, super::super::vm_worker(L, code));
    }
    let hash = std::rc::Rc::new(std::cell::RefCell::new(TraceHash::default()));
    sim.set_trace(Box::new(hash.clone()));
    sim.run();
    hash.borrow().value()
}

#[test]
fn same_seed_same_trace_with_lua_workers() {
    assert_eq!(gossip_hash(1), gossip_hash(1));
    assert_ne!(gossip_hash(1), gossip_hash(2));
}

#[test]
fn a_node_wide_cap_fails_the_worker_that_takes_the_node_over_it() {
    let cap = crate::vm::NodeMemoryCap::new(400 << 10);
    let config = Rc::new(VmConfig {
        node_memory: Some(cap.clone()),
        ..VmConfig::default()
    });
    let mut sim = Simulation::new(1);
    let n = sim.add_node("esp").unwrap();
    let other = sim.add_node("other").unwrap();
    // 250 kB each: one fits, two on one node do not; the other node has its own account.
    let hog = "big = string.rep('x', 250000) recv()";
    for node in [n, n, other] {
        sim.add_worker(node, Box::new(VmProgram::new(L, hog, config.clone())));
    }
    sim.run();
    assert_eq!(state(&sim, n, 0), WorkerState::Waiting);
    assert_eq!(state(&sim, n, 1), WorkerState::Failed);
    assert!(
        err(&sim, n, 1).contains("node memory cap of 409600 bytes exceeded"),
        "{}",
        err(&sim, n, 1)
    );
    assert_eq!(state(&sim, other, 0), WorkerState::Waiting);
    assert!(
        cap.used(n) > 250_000 && cap.used(n) < 400 << 10,
        "{}",
        cap.used(n)
    );
    // A killed worker's memory is given back.
    drop(sim);
    assert_eq!(cap.used(n), 0);
}

#[test]
fn a_worker_sees_links_added_to_its_ports_while_it_runs() {
    let (mut sim, n) = solo(
        L,
        "print(#node().neighbours.p) sleep(1) print(node().neighbours.p[1])",
        VmConfig::default(),
    );
    sim.run_until(crate::time::SimTime::from_micros(500));
    let m = sim.add_node("m").unwrap();
    sim.link(n, "p", m, "q", crate::net::LinkParams::default())
        .unwrap();
    sim.run();
    assert_eq!(out(&sim, n, 0), vec!["0", "m"]);
}

#[test]
fn a_runaway_loop_where_the_worker_cannot_yield_is_stopped_too() {
    // Inside a comparator called from C the hook cannot yield: it raises instead, and keeps
    // raising until the worker reaches a point where it can be stopped.
    let config = VmConfig {
        instruction_budget: 200_000,
        ..VmConfig::default()
    };
    for code in [
        "table.sort({3, 2, 1}, function(a, b) while true do end end)",
        "while true do pcall(table.sort, {3, 2, 1}, function(a, b) while true do end end) end",
        "local co = coroutine.wrap(function() while true do end end) co()",
    ] {
        let (mut sim, n) = solo(L, code, config.clone());
        sim.run();
        assert_eq!(state(&sim, n, 0), WorkerState::Failed, "{code}");
        assert!(
            err(&sim, n, 0).starts_with("n/w0: program:1: instruction budget of 200000 exceeded"),
            "{code}: {}",
            err(&sim, n, 0)
        );
    }
}

#[test]
fn finalizers_are_refused() {
    // Lua runs `__gc` with hooks off: a finalizer's loop would escape the budget.
    fails_with(
        L,
        "setmetatable({}, {__gc = function() while true do end end})",
        VmConfig::default(),
        "n/w0: program:1: setmetatable: __gc finalizers are not allowed",
    );
    // Other metatables work as in Lua, protected ones included.
    let (mut sim, n) = solo(
        L,
        r#"
local t = setmetatable({}, {__index = function(_, k) return k .. '!' end})
local locked = setmetatable({}, {__metatable = 'locked'})
print(t.hi, getmetatable(locked), pcall(setmetatable, locked, {}))
"#,
        VmConfig::default(),
    );
    sim.run();
    assert_eq!(
        out(&sim, n, 0),
        vec!["hi!\tlocked\tfalse\tsetmetatable: cannot change a protected metatable"]
    );
}

#[test]
fn a_message_too_big_for_the_cap_fails_the_receiver() {
    let config = VmConfig {
        memory_cap: 200 << 10,
        ..VmConfig::default()
    };
    let (mut sim, n) = solo(L, "local p, m = recv() print(#m)", config);
    sim.run();
    let big = serde_json::Value::String("x".repeat(300 << 10));
    sim.inject(
        sim.now(),
        n,
        Some(crate::net::PortId(0)),
        crate::net::Message::value(big),
    )
    .unwrap();
    sim.run();
    assert_eq!(state(&sim, n, 0), WorkerState::Failed);
    assert!(
        err(&sim, n, 0).contains("bytes exceeded (by a received message)"),
        "{}",
        err(&sim, n, 0)
    );
}

#[test]
fn errors_that_are_not_strings_are_named_by_type() {
    fails_with(
        L,
        "error({code = 1})",
        VmConfig::default(),
        "(error object is a table value)",
    );
    fails_with(L, "error(42)", VmConfig::default(), "42");
}

#[test]
fn pairs_visits_string_keys_in_the_same_order_in_every_state() {
    // Lua seeds string hashes per state unless built with a fixed seed (.cargo/config.toml):
    // two states at different addresses would then disagree.
    let code = "local t = {} for i = 1, 24 do t['key' .. i] = i end \
                local keys = {} for k in pairs(t) do keys[#keys + 1] = k end \
                print(table.concat(keys, ','))";
    let orders = (0..4)
        .map(|_| {
            let (mut sim, n) = solo(L, code, VmConfig::default());
            sim.run();
            out(&sim, n, 0)
        })
        .collect::<Vec<_>>();
    assert!(orders.windows(2).all(|w| w[0] == w[1]), "{orders:?}");
    assert!(super::super::lua_hashes_are_fixed());
}

#[test]
fn hostile_programs_fail_only_their_worker() {
    let capped = VmConfig {
        memory_cap: 1 << 20,
        ..VmConfig::default()
    };
    for (code, want) in [
        (
            "print(setmetatable({}, {__tostring = function() error('no text') end}))",
            "no text",
        ),
        // The stack's memory reaches the cap before Lua's stack limit.
        (
            "local function f() return f() + 1 end f()",
            "bytes exceeded",
        ),
        ("local s = string.rep('x', 1e9)", "bytes exceeded"),
        (
            "coroutine.wrap(function() recv() end)()",
            "recv() must be called by the worker",
        ),
        ("coroutine.yield()", "coroutine.yield called outside"),
        (
            "local t = {} for i = 1, 100 do t = {t} end send('p', t)",
            "nested deeper than 64 levels",
        ),
        (
            "fork(print)",
            "fork: expected the program's code as a string",
        ),
        ("kill(-1)", "kill: expected a worker id"),
        (
            "recv(nil, 1/0)",
            "recv: expected a non-negative number of milliseconds",
        ),
        ("math.random(3, 1)", "math.random: interval is empty"),
        ("setmetatable(1, {})", "setmetatable: expected a table"),
        (
            "error(setmetatable({}, {__tostring = function() return 'custom' end}))",
            "(error object is a table value)",
        ),
    ] {
        fails_with(L, code, capped.clone(), want);
    }
    // Blocking through pcall works: Lua 5.4's pcall is yieldable.
    let (mut sim, n) = solo(
        L,
        "print(pcall(sleep, 2), now()) print(pcall(recv, 'p', 1)) pcall(exit) print('not here')",
        VmConfig::default(),
    );
    sim.run();
    assert_eq!(out(&sim, n, 0), vec!["true\t2.0", "true"]);
    assert_eq!(state(&sim, n, 0), WorkerState::Finished);
}
