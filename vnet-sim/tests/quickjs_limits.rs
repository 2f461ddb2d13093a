//! JS workers on QuickJS (the `quickjs` feature) are held to their limits by the engine itself:
//! this binary installs no `MeteredAlloc`, and still the memory cap is exact, a kill lands in
//! milliseconds, the step budget stops a runaway loop, and host profiles charge counted steps.
//! Through the public API, as a user's program would.
#![cfg(feature = "quickjs")]

use std::rc::Rc;
use std::time::{Duration, Instant};

use vnet_sim::vm::{CancelFlag, HostProfile, JS_ENGINE, Lang, VmConfig, VmProgram};
use vnet_sim::{LogStream, Simulation, WorkerId, WorkerState};

/// Runs `code` alone; its state, standard output and standard error.
fn run(code: &str, config: VmConfig) -> (WorkerState, Vec<String>, String) {
    let mut sim = Simulation::new(1);
    let n = sim.add_node("n").unwrap();
    let w = sim.add_worker(n, Box::new(VmProgram::new(Lang::Js, code, Rc::new(config))));
    sim.run();
    let lines = |stream| {
        sim.results()
            .worker_output(n, w)
            .filter(|l| l.stream == stream)
            .map(|l| l.text.clone())
            .collect::<Vec<_>>()
    };
    let state = sim.worker_state(n, WorkerId(0)).unwrap();
    (
        state,
        lines(LogStream::Out),
        lines(LogStream::Err).join("\n"),
    )
}

#[test]
fn the_engine_is_quickjs() {
    assert_eq!(JS_ENGINE, "QuickJS");
}

#[test]
fn the_memory_cap_holds_without_a_metered_global_allocator() {
    let config = VmConfig {
        memory_cap: 4 << 20,
        ..VmConfig::default()
    };
    // 1.5 MB strings, kept: the third cannot be had; catching the error does not save the worker.
    let code = "const a = []; try { for (let i = 0; ; i++) { a.push('x'.repeat(1500000 + i)); print(i); } } \
                catch (e) { a.length = 0; print('caught ' + e.name); }";
    let (state, out, err) = run(code, config);
    assert_eq!(state, WorkerState::Failed);
    assert_eq!(out, ["0", "1", "caught InternalError"], "{err}");
    assert!(
        err.starts_with("n/w0: memory cap of 4194304 bytes exceeded ("),
        "{err}"
    );
}

#[test]
fn a_kill_stops_a_spinning_worker_within_milliseconds() {
    let cancel = CancelFlag::new();
    let config = VmConfig {
        cancel: Some(cancel.clone()),
        instruction_budget: u64::MAX,
        ..VmConfig::default()
    };
    let raised = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        cancel.raise();
        Instant::now()
    });
    let (state, _, err) = run("let n = 0; for (;;) n++;", config);
    let stopped = Instant::now();
    let raised = raised.join().unwrap();
    assert_eq!(state, WorkerState::Failed);
    assert_eq!(err, "n/w0: killed");
    let late = stopped.duration_since(raised);
    assert!(
        late < Duration::from_millis(50),
        "stopped {late:?} after the kill"
    );
}

#[test]
fn the_step_budget_stops_a_runaway_loop_and_catch_cannot_swallow_it() {
    let config = VmConfig {
        instruction_budget: 1_000_000,
        ..VmConfig::default()
    };
    let (state, out, err) = run("try { for (;;) {} } catch (e) { print('caught'); }", config);
    assert_eq!(state, WorkerState::Failed);
    assert!(out.is_empty());
    assert_eq!(
        err,
        "n/w0: step budget of 1000000 steps exceeded (a runaway loop?)"
    );
}

#[test]
fn host_profiles_charge_the_counted_steps() {
    // A million iterations of this loop are two million steps (each iteration's branch on its
    // condition and its jump back), counted 10 000 at a time.
    let esp = HostProfile::esp32();
    let per_step_ms = esp.ns_per_instruction(Lang::Js) / 1e6;
    let config = VmConfig::on(esp);
    let (_, out, err) = run(
        "const t0 = now(); for (let i = 0; i < 1000000; i++) {} print(now() - t0);",
        config,
    );
    let ms: f64 = out.first().and_then(|l| l.parse().ok()).expect(&err);
    let steps = ms / per_step_ms;
    assert!(
        (steps - 2_000_000.0).abs() <= 10_000.0,
        "{ms} ms is {steps} steps"
    );
}
