use super::*;
use crate::vm::HostProfile;

fn on(profile: HostProfile) -> VmConfig {
    VmConfig {
        hook_interval: 1,
        ..VmConfig::on(profile)
    }
}

/// Virtual ms a 100 000-iteration empty loop takes, between two `now()` calls.
fn loop_ms(profile: HostProfile) -> f64 {
    loop_ms_in(Lang::Lua, profile, 100_000)
}

fn loop_ms_in(lang: Lang, profile: HostProfile, iterations: u32) -> f64 {
    let code = match lang {
        Lang::Lua => format!("local t0 = now() for i = 1, {iterations} do end print(now() - t0)"),
        Lang::Js => format!(
            "const t0 = now(); for (let i = 0; i < {iterations}; i++) {{}} print(now() - t0);"
        ),
    };
    let (mut sim, n) = solo(lang, &code, on(profile));
    sim.run();
    out(&sim, n, 0)[0].parse().unwrap()
}

#[test]
fn javascript_work_costs_virtual_time_too() {
    let esp = loop_ms_in(Lang::Js, HostProfile::esp32(), 100_000);
    let pc = loop_ms_in(Lang::Js, HostProfile::pc(), 100_000);
    let esp_twice = loop_ms_in(Lang::Js, HostProfile::esp32(), 200_000);
    // boa's counter: a few instructions per iteration, each costing
    // 1 / (dhrystones/s · instructions per dhrystone).
    let per_instr_ms = HostProfile::esp32().ns_per_instruction(Lang::Js) / 1e6;
    assert!(
        esp > 100_000.0 * per_instr_ms && esp < 100_000.0 * 50.0 * per_instr_ms,
        "esp32 loop took {esp} ms"
    );
    assert!(
        (esp / pc - 600.0).abs() < 0.01,
        "esp32 {esp} ms vs pc {pc} ms"
    );
    assert!(
        (esp_twice / esp - 2.0).abs() < 0.001,
        "{esp_twice} vs {esp}"
    );
    let free = {
        let (mut sim, n) = solo(
            Lang::Js,
            "const t0 = now(); for (let i = 0; i < 1000; i++) {} print(now() - t0);",
            VmConfig::default(),
        );
        sim.run();
        out(&sim, n, 0)
    };
    assert_eq!(free, vec!["0"]);
}

#[test]
fn a_js_send_leaves_when_its_computation_reaches_it() {
    // The send comes after the loop: it waits for the loop's virtual time, like Lua's.
    let ping =
        "for (let i = 0; i < 10000; i++) {} const t = now(); send('p', 1); await recv(); print(t);";
    let pong = "const [p, m] = await recv(); print(now()); send(p, m);";
    let (mut sim, a, b) = pair(Lang::Js, ping, Lang::Js, pong, on(HostProfile::esp32()));
    sim.run();
    let sent: f64 = out(&sim, a, 0)[0].parse().unwrap();
    let got: f64 = out(&sim, b, 0)[0].parse().unwrap();
    assert!(sent > 100.0, "the loop took no time: send at {sent} ms");
    // tcmsg 5 ms + latency 10 ms + 1 B at 1 Mb/s (8 µs), plus a few instructions on each
    // side (2.9 µs each on an ESP32; destructuring `[p, m]` alone takes dozens).
    assert!(
        (sent + 15.008..sent + 15.3).contains(&got),
        "sent {sent}, received {got}"
    );
}

#[test]
fn an_esp32_computes_600_times_slower_than_a_pc() {
    let (esp, pc) = (loop_ms(HostProfile::esp32()), loop_ms(HostProfile::pc()));
    // About 100 000 loop instructions (plus the few of the `now` call), each costing
    // 1 / (dhrystones/s · instructions per dhrystone).
    let per_instr_ms = HostProfile::esp32().ns_per_instruction(Lang::Lua) / 1e6;
    assert!(
        esp >= 100_000.0 * per_instr_ms && esp <= 100_010.0 * per_instr_ms,
        "esp32 loop took {esp} ms"
    );
    assert!(
        (esp / pc - 600.0).abs() < 0.01,
        "esp32 {esp} ms vs pc {pc} ms"
    );
}

#[test]
fn no_profile_no_compute_time() {
    let (mut sim, n) = solo(
        Lang::Lua,
        "local t0 = now() for i = 1, 100000 do end print(now() - t0)",
        VmConfig::default(),
    );
    sim.run();
    assert_eq!(out(&sim, n, 0), vec!["0.0"]);
}

#[test]
fn workers_start_after_t_ivm_and_forks_pay_it_again() {
    let code = "print(now()) fork('print(now())')";
    let (mut sim, n) = solo(Lang::Lua, code, on(HostProfile::esp32()));
    sim.run();
    let t0: f64 = out(&sim, n, 0)[0].parse().unwrap();
    let t1: f64 = out(&sim, n, 1)[0].parse().unwrap();
    assert!((100.0..100.1).contains(&t0), "first worker printed {t0}");
    assert!((200.0..200.1).contains(&t1), "forked worker printed {t1}");
}

#[test]
fn sends_pay_tcmsg_on_top_of_the_link() {
    let ping = "local t0 = now() send('p', 'x') recv() print(now() - t0)";
    let pong = "local p, m = recv() send(p, m)";
    let (mut sim, a, _) = pair(Lang::Lua, ping, Lang::Lua, pong, on(HostProfile::esp32()));
    sim.run();
    let rtt: f64 = out(&sim, a, 0)[0].parse().unwrap();
    // Each way: tcmsg 5 ms + 10 ms latency + 3 B · 8 / 1 Mb/s = 15.024 ms; plus a few
    // instructions of compute at 2.9 µs each.
    assert!((30.048..30.2).contains(&rtt), "rtt {rtt} ms");
}

#[test]
fn profiles_by_name() {
    assert_eq!(HostProfile::by_name("esp32"), Some(HostProfile::esp32()));
    assert_eq!(
        HostProfile::by_name("rpi-zero").map(|p| p.dhrystones_per_s),
        Some(40e3)
    );
    assert!(HostProfile::by_name("cray").is_none());
}

/// Each line's virtual time and the `now()` it printed, for worker 0 of `n`.
fn stamped(sim: &Simulation, n: NodeId) -> Vec<(f64, f64)> {
    sim.results()
        .worker_output(n, WorkerId(0))
        .filter(|l| l.stream == crate::LogStream::Out)
        .map(|l| (l.time.as_nanos() as f64 / 1e6, l.text.parse().unwrap()))
        .collect()
}

#[test]
fn a_line_appears_when_the_computation_reaches_it() {
    for (lang, code) in [
        (
            Lang::Lua,
            "for k = 1, 3 do for i = 1, 2000 do end print(now()) end",
        ),
        (
            Lang::Js,
            "for (let k = 0; k < 3; k++) { for (let i = 0; i < 2000; i++) {} print(now()); }",
        ),
    ] {
        let (mut sim, n) = solo(lang, code, on(HostProfile::esp32()));
        sim.run();
        let lines = stamped(&sim, n);
        assert_eq!(lines.len(), 3, "{lang:?}");
        for (at, printed) in &lines {
            // The line appears at the `now()` it shows, plus the few instructions (2.9 µs each
            // on an ESP32) of the call that prints it — not at the activation's start.
            assert!((0.0..0.03).contains(&(at - printed)), "{lang:?}: {lines:?}");
        }
        assert!(lines[2].0 > lines[0].0 + 1.0, "{lang:?}: {lines:?}");
    }
}

#[test]
fn what_a_worker_sends_and_prints_before_it_ends_comes_before_its_end() {
    for (lang, code) in [
        (
            Lang::Lua,
            "for k = 1, 5 do send('p', k) end print(now()) for i = 1, 5000 do end error('late')",
        ),
        (
            Lang::Js,
            "for (let k = 1; k <= 5; k++) send('p', k); print(now()); \
             for (let i = 0; i < 5000; i++) {} throw new Error('late');",
        ),
    ] {
        let (mut sim, a, b) = pair(
            lang,
            code,
            Lang::Lua,
            "while true do local p, m = recv() print(m) end",
            on(HostProfile::esp32()),
        );
        sim.run();
        assert_eq!(out(&sim, b, 0), vec!["1", "2", "3", "4", "5"], "{lang:?}");
        let lines: Vec<_> = sim.results().worker_output(a, WorkerId(0)).collect();
        // The printed line, then the failure once the loop's compute time has passed.
        assert_eq!(lines.len(), 2, "{lang:?}: {lines:?}");
        assert_eq!(lines[1].stream, crate::LogStream::Err);
        assert!(
            lines[1].text.contains("late"),
            "{lang:?}: {}",
            lines[1].text
        );
        let printed: f64 = lines[0].text.parse().unwrap();
        let failed_at = lines[1].time.as_nanos() as f64 / 1e6;
        assert!(failed_at > printed + 5.0, "{lang:?}: {lines:?}");
        assert_eq!(state(&sim, a, 0), WorkerState::Failed);
    }
}

#[test]
fn a_computing_worker_is_running_and_waits_only_once_its_computing_is_over() {
    let code = "for i = 1, 100000 do end recv()";
    let (mut sim, n) = solo(Lang::Lua, code, on(HostProfile::esp32()));
    let busy_ms = loop_ms(HostProfile::esp32());
    sim.run_until(crate::SimTime::from_millis(100 + busy_ms as u64 / 2));
    assert_eq!(state(&sim, n, 0), WorkerState::Running);
    sim.run_until(crate::SimTime::from_millis(100 + busy_ms as u64 + 1));
    assert_eq!(state(&sim, n, 0), WorkerState::Waiting);
}
