use super::*;

const J: Lang = Lang::Js;

/// Whether JS workers run on QuickJS: some errors are the engine's own words.
const QUICKJS: bool = cfg!(feature = "quickjs");

const PING: &str = r#"
const msg = "x".repeat(98);
for (let i = 1; i <= 3; i++) {
  const t0 = now();
  send("p", msg);
  const [port, back] = await recv("p");
  print(i, (now() - t0).toFixed(3), port, back.length);
}
"#;
const PONG: &str = r#"
for (;;) {
  const [port, m] = await recv();
  send(port, m);
}
"#;

#[test]
fn ping_pong_round_trips_take_exactly_twice_the_link_formula() {
    let (mut sim, a, b) = pair(J, PING, J, PONG, VmConfig::default());
    sim.run();
    assert_eq!(
        out(&sim, a, 0),
        vec!["1 21.600 p 98", "2 21.600 p 98", "3 21.600 p 98"]
    );
    assert_eq!(state(&sim, a, 0), WorkerState::Finished);
    assert_eq!(state(&sim, b, 0), WorkerState::Waiting);
}

#[test]
fn lua_and_js_talk_with_exact_timing() {
    let lua_ping = super::lua_ping();
    let (mut sim, a, b) = pair(Lang::Lua, &lua_ping, J, PONG, VmConfig::default());
    sim.run();
    assert_eq!(
        out(&sim, a, 0),
        vec!["1\t21.6\tp\t98", "2\t21.6\tp\t98", "3\t21.6\tp\t98"]
    );
    assert_eq!(state(&sim, b, 0), WorkerState::Waiting);
}

#[test]
fn recv_times_out_with_null() {
    let (mut sim, n) = solo(
        J,
        "const r = await recv('p', 2.5); print(r, now());",
        VmConfig::default(),
    );
    sim.run();
    assert_eq!(out(&sim, n, 0), vec!["null 2.5"]);
}

#[test]
fn values_cross_between_lua_and_js() {
    let lua = r#"send("p", {n = 3, f = 2.5, s = "hé", t = true, list = {1, 2, {x = 1}}})
                 local _, v = recv() print(math.type(v.n), math.type(v.f), v.s, #v.list, v.ok)"#;
    let js = r#"const [p, v] = await recv();
                print(typeof v.n, v.f, v.s, v.t, v.list.length, v.list[2].x);
                v.ok = null; v.n = v.n * 2; send(p, v);"#;
    let (mut sim, a, b) = pair(Lang::Lua, lua, J, js, VmConfig::default());
    sim.run();
    assert_eq!(out(&sim, b, 0), vec!["number 2.5 hé true 3 1"]);
    assert_eq!(out(&sim, a, 0), vec!["integer\tfloat\thé\t3\tnil"]);
}

#[test]
fn functions_and_cycles_cannot_cross() {
    for (code, want) in [
        ("send('p', () => 1)", "send: cannot send a function"),
        ("const o = {}; o.o = o; send('p', o)", "send: "),
        ("send('nope', 1)", "node `n` has no port `nope`"),
    ] {
        fails_with(J, code, VmConfig::default(), want);
    }
}

#[test]
fn fork_kill_exit() {
    let code = r#"
      const child = fork("print('child', node().worker); for (;;) await sleep(1);");
      print('parent forked', child);
      await sleep(3);
      kill(child);
      exit();
      print('never');
    "#;
    let (mut sim, n) = solo(J, code, VmConfig::default());
    sim.run();
    assert_eq!(out(&sim, n, 0), vec!["parent forked 1"]);
    assert_eq!(out(&sim, n, 1), vec!["child 1"]);
    assert_eq!(state(&sim, n, 1), WorkerState::Killed);
    assert_eq!(state(&sim, n, 0), WorkerState::Finished);
}

#[test]
fn runaway_loops_fail_cleanly() {
    // boa's limit is a loop's iterations, QuickJS's budget an activation's steps.
    let config = VmConfig {
        loop_iteration_limit: 100_000,
        instruction_budget: 100_000,
        ..VmConfig::default()
    };
    // Deep recursion is boa's recursion limit, QuickJS's stack size.
    let (runaway, deep) = if QUICKJS {
        ("step budget", "stack size")
    } else {
        ("limit", "limit")
    };
    for (code, want) in [
        ("for(;;){}", runaway),
        ("while (true) { try { for(;;){} } catch (e) {} }", runaway),
        ("function f() { return f() + 1 } f()", deep),
    ] {
        let (mut sim, n) = solo(J, code, config.clone());
        sim.add_worker(
            n,
            super::super::vm_worker(J, "await sleep(10); print('still here', now())"),
        );
        sim.run();
        assert_eq!(state(&sim, n, 0), WorkerState::Failed, "{code}");
        assert!(
            err(&sim, n, 0).starts_with("n/w0: "),
            "{code}: {}",
            err(&sim, n, 0)
        );
        assert!(
            err(&sim, n, 0).to_lowercase().contains(want),
            "{code}: {}",
            err(&sim, n, 0)
        );
        assert_eq!(out(&sim, n, 1), vec!["still here 10"]);
    }
}

#[test]
fn no_host_objects_reachable() {
    let code = r#"
      const g = Function("return this")();
      const names = ["process", "require", "Deno", "Bun", "module", "fs", "std", "os", "load", "readFile"];
      print(names.filter(n => typeof g[n] !== "undefined").join(",") || "none");
      print(typeof g.send, typeof eval("1 + 1"));
    "#;
    let (mut sim, n) = solo(J, code, VmConfig::default());
    sim.run();
    assert_eq!(
        out(&sim, n, 0),
        vec!["none", "function number"],
        "{}",
        err(&sim, n, 0)
    );
}

#[test]
fn syntax_errors_name_the_line() {
    let (mut sim, n) = solo(J, "print('ok');\n\nlet x = = 1;\n", VmConfig::default());
    sim.run();
    assert_eq!(state(&sim, n, 0), WorkerState::Failed);
    let e = err(&sim, n, 0);
    let want = if QUICKJS { "program:3:9: " } else { "line 3" };
    assert!(e.contains(want), "{e}");
}

#[test]
fn exceptions_fail_only_their_worker() {
    let (mut sim, n) = solo(
        J,
        "await sleep(1); throw new RangeError('boom');",
        VmConfig::default(),
    );
    sim.add_worker(
        n,
        super::super::vm_worker(J, "await sleep(2); print('fine')"),
    );
    sim.run();
    assert_eq!(state(&sim, n, 0), WorkerState::Failed);
    assert!(
        err(&sim, n, 0).contains("RangeError: boom"),
        "{}",
        err(&sim, n, 0)
    );
    assert_eq!(out(&sim, n, 1), vec!["fine"]);
}

#[test]
fn a_second_blocking_call_without_await_is_an_error() {
    let (mut sim, n) = solo(J, "sleep(1); await sleep(2);", VmConfig::default());
    sim.run();
    assert!(
        err(&sim, n, 0).contains("another blocking call is still waiting"),
        "{}",
        err(&sim, n, 0)
    );
}

fn capped(bytes: usize) -> VmConfig {
    VmConfig {
        memory_cap: bytes,
        ..VmConfig::default()
    }
}

#[test]
fn memory_cap_stops_a_hungry_worker_at_its_next_api_call() {
    let code = "const a = [], big = 'x'.repeat(100000); for (let i = 0; ; i++) { a.push(big + i); await sleep(1); }";
    fails_with(
        J,
        code,
        capped(4 << 20),
        "memory cap of 4194304 bytes exceeded",
    );
}

#[test]
fn memory_cap_is_checked_when_an_activation_ends() {
    // No API call inside the loop: the check comes when the program blocks.
    let code = "const a = []; for (let i = 0; i < 100; i++) a.push('x'.repeat(100000 + i)); \
                await sleep(1); print('survived');";
    let (mut sim, n) = solo(J, code, capped(4 << 20));
    sim.run();
    assert_eq!(state(&sim, n, 0), WorkerState::Failed);
    assert!(
        err(&sim, n, 0).contains("memory cap"),
        "{}",
        err(&sim, n, 0)
    );
    assert!(out(&sim, n, 0).is_empty());
}

#[test]
fn catching_the_memory_error_does_not_save_the_worker() {
    // QuickJS joins `big + i` as a rope (small): it needs a string of its own each time.
    let grow = if QUICKJS {
        "'x'.repeat(100000 + i)"
    } else {
        "big + i"
    };
    let code = format!(
        "const a = [], big = 'x'.repeat(100000); try {{ for (let i = 0; ; i++) {{ a.push({grow}); print(i); }} }} \
         catch (e) {{ a.length = 0; print('caught ' + e.name); }}"
    );
    let code = code.as_str();
    let (mut sim, n) = solo(J, code, capped(4 << 20));
    sim.run();
    assert_eq!(state(&sim, n, 0), WorkerState::Failed);
    assert_eq!(
        out(&sim, n, 0).last().map(String::as_str),
        Some(if QUICKJS {
            "caught InternalError"
        } else {
            "caught RangeError"
        })
    );
}

#[test]
fn garbage_does_not_count_against_the_cap() {
    // 20 MB allocated in all, 100 kB at a time, freed only when boa's collector runs.
    let code = "const kb = 'x'.repeat(1000); for (let i = 0; i < 200; i++) { const t = []; \
                for (let j = 0; j < 100; j++) t.push(kb + j); await sleep(1); } \
                print('done');";
    let (mut sim, n) = solo(J, code, capped(4 << 20));
    sim.run();
    assert_eq!(out(&sim, n, 0), vec!["done"], "{}", err(&sim, n, 0));
    assert_eq!(state(&sim, n, 0), WorkerState::Finished);
}

#[test]
fn a_realm_bigger_than_the_cap_fails_at_creation() {
    fails_with(
        J,
        "print('never')",
        capped(64 << 10),
        "memory cap of 65536 bytes exceeded",
    );
}

#[test]
fn math_random_and_date_are_deterministic() {
    // Math.random draws from the node's stream, Date reads virtual time, local time is UTC.
    let code = "await sleep(1500); \
                print(Math.random() === Math.random(), Date.now(), new Date().getHours(), \
                      new Date().toISOString());
                print(Math.random());";
    let run = |seed| {
        let mut sim = crate::Simulation::new(seed);
        let n = sim.add_node("n").unwrap();
        sim.add_worker(n, super::super::vm_worker(J, code));
        sim.run();
        out(&sim, n, 0)
    };
    let one = run(1);
    assert_eq!(one[0], "false 1500 0 1970-01-01T00:00:01.500Z");
    assert_eq!(one, run(1));
    assert_ne!(one[1], run(2)[1]);
}

#[test]
fn buffers_are_bounded_by_the_memory_cap() {
    fails_with(
        J,
        "new ArrayBuffer(64 * 1024 * 1024);",
        VmConfig::default(),
        if QUICKJS {
            "memory cap of 16777216 bytes exceeded"
        } else {
            "RangeError"
        },
    );
}

#[test]
fn memory_cap_stops_a_computation_that_calls_no_api() {
    // Strings doubling, and objects piling up: no API call, no block, no loop limit near.
    for code in [
        "let s = 'x'; for (let i = 0; i < 40; i++) s = s.repeat(2); print(s.length);",
        "const a = []; for (;;) a.push({i: a.length});",
    ] {
        let t = std::time::Instant::now();
        fails_with(
            J,
            code,
            capped(4 << 20),
            if QUICKJS {
                // Exact: the allocation that would pass the cap is refused.
                "memory cap of 4194304 bytes exceeded"
            } else {
                "memory cap of 4194304 bytes exceeded (stopped at 6291456 bytes, garbage included)"
            },
        );
        assert!(t.elapsed() < std::time::Duration::from_secs(20), "{code}");
    }
}

#[test]
fn a_kill_stops_a_spinning_js_worker_at_once() {
    let cancel = crate::vm::CancelFlag::new();
    let config = VmConfig {
        cancel: Some(cancel.clone()),
        loop_iteration_limit: u64::MAX,
        instruction_budget: u64::MAX,
        ..VmConfig::default()
    };
    let killer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(100));
        cancel.raise();
    });
    let t = std::time::Instant::now();
    fails_with(J, "let n = 0; for (;;) n++;", config, "killed");
    assert!(
        t.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        t.elapsed()
    );
    killer.join().unwrap();
}

#[test]
fn a_runaway_loop_after_an_await_fails_like_one_before_it() {
    // boa's limit is a loop's iterations, QuickJS's budget an activation's steps.
    let config = VmConfig {
        loop_iteration_limit: 100_000,
        instruction_budget: 100_000,
        ..VmConfig::default()
    };
    for code in [
        "for (;;) {}",
        "const r = await recv(); for (;;) {}",
        "await sleep(5); for (;;) {}",
    ] {
        let (mut sim, a, _) = pair(J, code, J, "send('p', 1);", config.clone());
        sim.run();
        assert_eq!(state(&sim, a, 0), WorkerState::Failed, "{code}");
        let e = err(&sim, a, 0);
        let want = if QUICKJS {
            ": step budget of 100000 steps exceeded (a runaway loop?)"
        } else {
            ": loop limit of 100000 iterations exceeded (a runaway loop?)"
        };
        assert!(e.ends_with(want), "{code}: {e:?}");
    }
    // A kill after an await, likewise.
    let cancel = crate::vm::CancelFlag::new();
    let config = VmConfig {
        cancel: Some(cancel.clone()),
        loop_iteration_limit: u64::MAX,
        instruction_budget: u64::MAX,
        ..VmConfig::default()
    };
    let (mut sim, a, _) = pair(J, "await recv(); for (;;) {}", J, "send('p', 1);", config);
    let killer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(100));
        cancel.raise();
    });
    sim.run();
    killer.join().unwrap();
    assert_eq!(state(&sim, a, 0), WorkerState::Failed);
    assert!(err(&sim, a, 0).ends_with("killed"), "{}", err(&sim, a, 0));
}

#[test]
fn typed_arrays_are_there_when_used() {
    // On QuickJS they are made on first use; a program sees no difference.
    let code = "const a = new Uint8Array([1, 2, 300]); \
                print(a.join(','), a instanceof Uint8Array, typeof ArrayBuffer, \
                      new DataView(new ArrayBuffer(8)).byteLength, Object.getPrototypeOf(Int8Array).name); \
                Float32Array = 5; print(Float32Array, typeof Float64Array);";
    let (mut sim, n) = solo(J, code, VmConfig::default());
    sim.run();
    assert_eq!(
        out(&sim, n, 0),
        vec!["1,2,44 true function 8 TypedArray", "5 function"],
        "{}",
        err(&sim, n, 0)
    );
}
