use super::*;

const J: Lang = Lang::Js;

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
    let config = VmConfig {
        loop_iteration_limit: 100_000,
        ..VmConfig::default()
    };
    for code in [
        "for(;;){}",
        "while (true) { try { for(;;){} } catch (e) {} }",
        "function f() { return f() + 1 } f()",
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
            err(&sim, n, 0).to_lowercase().contains("limit"),
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
    assert!(e.contains("line 3"), "{e}");
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
