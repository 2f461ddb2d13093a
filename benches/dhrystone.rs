//! The Dhrystone 2.1 kernels: the native Rust reference, and the Lua and JavaScript ports run
//! as workers (Lua with and without the step budget's count hook). Throughput is in
//! Dhrystones, so criterion's elements/s is dhry/s (`table1` reports the same figures).

use std::hint::black_box;
use std::rc::Rc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vnet::programs::{dhrystone_native, dhrystone_source};
use vnet::sim::Simulation;
use vnet::sim::vm::{Lang, VmConfig, VmProgram};

/// Runs `runs` Dhrystones in one `lang` worker under `config`.
fn in_worker(lang: Lang, runs: u64, config: &Rc<VmConfig>) {
    let mut sim = Simulation::new(1);
    let n = sim.add_node("n").unwrap();
    sim.add_worker(
        n,
        Box::new(VmProgram::new(
            lang,
            dhrystone_source(lang, runs),
            config.clone(),
        )),
    );
    sim.run();
    assert!(
        sim.results().logs()[0].text.starts_with("dhrystone ok"),
        "{}",
        sim.results().logs()[0].text
    );
}

fn dhrystone(c: &mut Criterion) {
    let mut group = c.benchmark_group("dhrystone");
    group.sample_size(20);
    let runs = 10_000u64;
    group.throughput(Throughput::Elements(runs));
    group.bench_function("native", |b| {
        b.iter(|| dhrystone_native(black_box(runs as u32)).unwrap())
    });
    // No budget and no profile: Lua runs without a count hook.
    let free = Rc::new(VmConfig {
        instruction_budget: u64::MAX,
        loop_iteration_limit: u64::MAX,
        ..VmConfig::default()
    });
    let budgeted = Rc::new(VmConfig {
        instruction_budget: u64::MAX - 1,
        ..(*free).clone()
    });
    group.bench_function("lua", |b| b.iter(|| in_worker(Lang::Lua, runs, &free)));
    group.bench_function("lua_budget_hook", |b| {
        b.iter(|| in_worker(Lang::Lua, runs, &budgeted))
    });
    let js_runs = 1_000u64;
    group.throughput(Throughput::Elements(js_runs));
    group.bench_function("js", |b| b.iter(|| in_worker(Lang::Js, js_runs, &free)));
    group.finish();
}

criterion_group!(benches, dhrystone);
criterion_main!(benches);
