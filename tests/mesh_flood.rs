//! The mesh flood scenario end to end: exact first arrivals, determinism, seeds, loss.

use vnet::scenarios::{FloodLang, MeshFlood, mesh_flood};
use vnet::sim::{SimDuration, SimTime};

// JavaScript workers get their memory caps from a metered heap.
#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[test]
fn first_arrivals_are_hops_times_the_link_formula() {
    let cfg = MeshFlood {
        jitter: SimDuration::ZERO,
        ..MeshFlood::default()
    };
    let r = mesh_flood(&cfg, None);
    // Per hop: 1 ms latency + 100 B · 8 / 10 Mb/s = 80 µs, and no queueing on any link.
    let hop = 1_080_000u64;
    for row in 0..4 {
        for col in 0..4 {
            let want = SimTime::from_nanos((row + col) as u64 * hop);
            assert_eq!(r.arrivals[row * 4 + col], Some(want), "node ({row},{col})");
        }
    }
    // Every node forwards once on each port but its first arrival's: 2·24 − 15 = 33 sends.
    let sent: u64 = r
        .sim
        .network()
        .links()
        .iter()
        .map(|l| l.stats_total().sent)
        .sum();
    assert_eq!(sent, 33);
}

#[test]
fn same_seed_same_trace_hash_other_seed_other_hash() {
    let a = mesh_flood(
        &MeshFlood {
            seed: 5,
            ..MeshFlood::default()
        },
        None,
    );
    let b = mesh_flood(
        &MeshFlood {
            seed: 5,
            ..MeshFlood::default()
        },
        None,
    );
    let c = mesh_flood(
        &MeshFlood {
            seed: 6,
            ..MeshFlood::default()
        },
        None,
    );
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.arrivals, b.arrivals);
    assert_ne!(
        a.trace_hash, c.trace_hash,
        "jitter draws should differ between seeds"
    );
}

#[test]
fn jitter_only_delays() {
    let cfg = MeshFlood::default();
    let r = mesh_flood(&cfg, None);
    for (i, a) in r.arrivals.iter().enumerate() {
        let hops = (i / 4 + i % 4) as u64;
        let t = a.expect("lossless flood reaches everyone").as_nanos();
        assert!(
            t >= hops * 1_080_000 && t <= hops * 1_130_000,
            "node {i} at {t}"
        );
    }
}

#[test]
fn total_loss_reaches_no_one() {
    let r = mesh_flood(
        &MeshFlood {
            loss: 1.0,
            ..MeshFlood::default()
        },
        None,
    );
    assert_eq!(
        r.arrivals.iter().filter(|a| a.is_some()).count(),
        1,
        "only the origin"
    );
}

#[test]
fn lua_js_and_rust_floods_arrive_at_the_same_times() {
    let run = |lang| {
        mesh_flood(
            &MeshFlood {
                lang,
                seed: 9,
                ..MeshFlood::default()
            },
            None,
        )
        .arrivals
    };
    let rust = run(FloodLang::Rust);
    assert!(rust.iter().all(Option::is_some));
    assert_eq!(run(FloodLang::Lua), rust);
    assert_eq!(run(FloodLang::Js), rust);
}

#[test]
fn same_seed_same_trace_hash_with_vms() {
    for lang in [FloodLang::Lua, FloodLang::Js] {
        let a = mesh_flood(
            &MeshFlood {
                lang,
                seed: 4,
                ..MeshFlood::default()
            },
            None,
        );
        let b = mesh_flood(
            &MeshFlood {
                lang,
                seed: 4,
                ..MeshFlood::default()
            },
            None,
        );
        let c = mesh_flood(
            &MeshFlood {
                lang,
                seed: 5,
                ..MeshFlood::default()
            },
            None,
        );
        assert_eq!(a.trace_hash, b.trace_hash, "{lang:?}");
        assert_ne!(a.trace_hash, c.trace_hash, "{lang:?}");
    }
}
