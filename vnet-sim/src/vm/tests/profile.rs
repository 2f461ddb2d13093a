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
    let (mut sim, n) = solo(
        Lang::Lua,
        "local t0 = now() for i = 1, 100000 do end print(now() - t0)",
        on(profile),
    );
    sim.run();
    out(&sim, n, 0)[0].parse().unwrap()
}

#[test]
fn an_esp32_computes_600_times_slower_than_a_pc() {
    let (esp, pc) = (loop_ms(HostProfile::esp32()), loop_ms(HostProfile::pc()));
    // About 100 000 loop instructions (plus the few of the `now` call), each costing
    // 1 / (dhrystones/s · instructions per dhrystone).
    let per_instr_ms = HostProfile::esp32().ns_per_instruction() / 1e6;
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
