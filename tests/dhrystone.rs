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
    sim.logs().iter().map(|l| l.text.clone()).collect()
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
