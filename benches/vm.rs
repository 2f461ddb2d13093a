//! VM workers: creation time (sandbox + program load, to the first block), memory per idle
//! worker, a message between two workers through the kernel, and the cost of the Lua
//! instruction-counting hook. Memory is measured with a counting allocator and printed once.

use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vnet::heap::CountingAlloc;
use vnet::sim::vm::{Lang, VmConfig, VmProgram};
use vnet::sim::{LinkParams, SimDuration, SimTime, Simulation};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const IDLE: [(Lang, &str); 2] = [(Lang::Lua, "recv()"), (Lang::Js, "await recv();")];

/// A simulation with `n` idle workers of `lang` on one node, all started.
fn idle_workers(lang: Lang, code: &str, n: usize) -> Simulation {
    let config = Rc::new(VmConfig::default());
    let mut sim = Simulation::new(1);
    let node = sim.add_node("n").unwrap();
    for _ in 0..n {
        sim.add_worker(node, Box::new(VmProgram::new(lang, code, config.clone())));
    }
    sim.run_until(SimTime::ZERO);
    sim
}

fn report_memory() {
    for (lang, code) in IDLE {
        let n = 200;
        let before = CountingAlloc::live_bytes();
        let sim = idle_workers(lang, code, n);
        let per = (CountingAlloc::live_bytes() - before) as f64 / n as f64;
        println!(
            "memory per idle {lang:?} worker: {:.1} kB (live heap over {n} workers)",
            per / 1024.0
        );
        drop(sim);
    }
}

fn creation(c: &mut Criterion) {
    report_memory();
    let mut group = c.benchmark_group("vm_create");
    for (lang, code) in IDLE {
        group.bench_function(format!("{lang:?}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                // Workers are created and started by the kernel; time that, not the teardown.
                for chunk in 0..iters.div_ceil(100) {
                    let n = (iters - chunk * 100).min(100) as usize;
                    let t = Instant::now();
                    let sim = idle_workers(lang, code, n);
                    total += t.elapsed();
                    drop(black_box(sim));
                }
                total
            });
        });
    }
    // The floor under a Lua worker: a bare Lua 5.4 state with the same five libraries, made
    // through the C API (no mlua, no sandbox, no program), timed the same way.
    #[cfg(not(feature = "luajit"))]
    group.bench_function("Lua_state_floor", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for chunk in 0..iters.div_ceil(100) {
                let n = (iters - chunk * 100).min(100) as usize;
                let t = Instant::now();
                let states = (0..n).map(|_| bare_lua_state()).collect::<Vec<_>>();
                total += t.elapsed();
                for state in black_box(states) {
                    // SAFETY: each state was made above and is closed once.
                    unsafe { mlua::ffi::lua_close(state) };
                }
            }
            total
        });
    });
    group.finish();
}

/// `luaL_newstate` plus the libraries a Lua worker opens (base, coroutine, table, string,
/// utf8, math).
#[cfg(not(feature = "luajit"))]
fn bare_lua_state() -> *mut mlua::ffi::lua_State {
    use mlua::ffi;
    let libs: [(&std::ffi::CStr, ffi::lua_CFunction); 6] = [
        (c"_G", ffi::luaopen_base),
        (c"coroutine", ffi::luaopen_coroutine),
        (c"table", ffi::luaopen_table),
        (c"string", ffi::luaopen_string),
        (c"utf8", ffi::luaopen_utf8),
        (c"math", ffi::luaopen_math),
    ];
    // SAFETY: a fresh state, used only through the C API as documented.
    unsafe {
        let state = ffi::luaL_newstate();
        assert!(!state.is_null(), "out of memory");
        for (name, open) in libs {
            ffi::luaL_requiref(state, name.as_ptr(), open, 1);
            ffi::lua_pop(state, 1);
        }
        state
    }
}

const ROUNDS: u64 = 10_000;

fn messages(c: &mut Criterion) {
    // A small table (converted to and from JSON-like values at every hop), and a short string.
    let ping = [
        (
            Lang::Lua,
            "local m = {seq = 1} for i = 1, ROUNDS do send('p', m) recv() end",
        ),
        (
            Lang::Lua,
            "local m = 'seq' for i = 1, ROUNDS do send('p', m) recv() end",
        ),
        (
            Lang::Js,
            "const m = {seq: 1}; for (let i = 0; i < ROUNDS; i++) { send('p', m); await recv(); }",
        ),
    ];
    let pong = [
        (
            Lang::Lua,
            "while true do local p, m = recv() send(p, m) end",
        ),
        (
            Lang::Lua,
            "while true do local p, m = recv() send(p, m) end",
        ),
        (
            Lang::Js,
            "for (;;) { const [p, m] = await recv(); send(p, m); }",
        ),
    ];
    let mut group = c.benchmark_group("vm_message");
    group.throughput(Throughput::Elements(2 * ROUNDS));
    // Lua with the default step budget (so a count hook), and without (`unbudgeted`).
    let cases = ping
        .into_iter()
        .zip(pong)
        .flat_map(|(ping, pong)| {
            let budgets: &[bool] = if ping.0 == Lang::Lua {
                &[true, false]
            } else {
                &[true]
            };
            budgets.iter().map(move |&b| (ping, pong, b))
        })
        .collect::<Vec<_>>();
    for ((lang, ping), (_, pong), budgeted) in cases {
        let kind = if ping.contains("'seq'") {
            "string"
        } else {
            "table"
        };
        let suffix = if budgeted { "" } else { "_unbudgeted" };
        let config = if budgeted {
            VmConfig::default()
        } else {
            VmConfig {
                instruction_budget: u64::MAX,
                ..VmConfig::default()
            }
        };
        let ping = ping.replace("ROUNDS", &ROUNDS.to_string());
        group.bench_function(format!("{lang:?}_to_{lang:?}_{kind}{suffix}"), |b| {
            b.iter(|| {
                let config = Rc::new(config.clone());
                let mut sim = Simulation::new(1);
                let a = sim.add_node("a").unwrap();
                let z = sim.add_node("b").unwrap();
                sim.link(
                    a,
                    "p",
                    z,
                    "p",
                    LinkParams::new(SimDuration::from_micros(1), 1_000_000_000),
                )
                .unwrap();
                sim.add_worker(
                    a,
                    Box::new(VmProgram::new(lang, ping.as_str(), config.clone())),
                );
                sim.add_worker(z, Box::new(VmProgram::new(lang, pong, config)));
                sim.run();
                black_box(sim.now())
            });
        });
    }
    group.finish();
}

fn hook_cost(c: &mut Criterion) {
    let code = "local x = 0 for i = 1, 1000000 do x = x + i % 7 end";
    let mut group = c.benchmark_group("lua_count_hook");
    group.throughput(Throughput::Elements(1_000_000));
    // `None`: no budget and no profile, so no hook at all.
    for interval in [Some(100u32), Some(1000), Some(10_000), None] {
        let config = Rc::new(VmConfig {
            hook_interval: interval.unwrap_or(1000),
            instruction_budget: if interval.is_some() {
                u64::MAX - 1
            } else {
                u64::MAX
            },
            ..VmConfig::default()
        });
        let name = match interval {
            Some(i) => format!("every_{i}"),
            None => "off".to_owned(),
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut sim = Simulation::new(1);
                let n = sim.add_node("n").unwrap();
                sim.add_worker(n, Box::new(VmProgram::new(Lang::Lua, code, config.clone())));
                sim.run();
                black_box(sim.now())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, creation, messages, hook_cost);
criterion_main!(benches);
