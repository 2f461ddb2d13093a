//! The Dhrystone ports run to the benchmark's final values in every language.

use vnet::programs::{dhrystone_native, dhrystone_source};
use vnet::sim::Simulation;
use vnet::sim::vm::{Lang, vm_worker};

#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

fn run(lang: Lang, runs: u64) -> Vec<String> {
    let mut sim = Simulation::new(1);
    let n = sim.add_node("n").unwrap();
    sim.add_worker(n, vm_worker(lang, &dhrystone_source(lang, runs)));
    sim.run();
    sim.results()
        .logs()
        .iter()
        .map(|l| l.text.clone())
        .collect()
}

#[test]
fn lua_dhrystone_checks_out() {
    assert_eq!(run(Lang::Lua, 500), vec!["dhrystone ok 500 0.000000"]);
}

#[test]
fn javascript_dhrystone_checks_out() {
    assert_eq!(run(Lang::Js, 50), vec!["dhrystone ok 50 0.000000"]);
}

#[test]
fn native_dhrystone_checks_out() {
    assert_eq!(dhrystone_native(10_000), Ok(()));
}

/// The calibration constants are what the ports execute: on a host of D dhrystones/s, N runs
/// of the port take N / D seconds of virtual time.
#[test]
fn dhrystone_calibration() {
    use std::rc::Rc;
    use vnet::sim::vm::{HostProfile, VmConfig, VmProgram};
    for lang in [Lang::Lua, Lang::Js] {
        let mut esp = HostProfile::esp32();
        esp.t_ivm = Default::default();
        let config = VmConfig {
            hook_interval: 1,
            instruction_budget: u64::MAX,
            ..VmConfig::on(esp)
        };
        let elapsed = |runs: u64| {
            let mut sim = Simulation::new(1);
            let n = sim.add_node("n").unwrap();
            let code = dhrystone_source(lang, runs);
            sim.add_worker(
                n,
                Box::new(VmProgram::new(lang, code, Rc::new(config.clone()))),
            );
            sim.run();
            let line = sim.results().logs()[0].text.clone();
            line.rsplit(' ').next().unwrap().parse::<f64>().unwrap()
        };
        // The difference cancels the loop's set-up: N runs at 1 k dhry/s are N ms.
        // QuickJS counts its steps 10 000 at a time: measure over many more runs.
        let (runs, tolerance_ms) = if lang == Lang::Js && cfg!(feature = "quickjs") {
            (100_000, 10_000.0 / 66.0)
        } else {
            (100, 1e-6)
        };
        let per_runs = elapsed(2 * runs) - elapsed(runs);
        let want_ms = runs as f64;
        assert!(
            (per_runs - want_ms).abs() <= tolerance_ms,
            "{lang:?}: {per_runs} ms for {runs} runs"
        );
    }
}
