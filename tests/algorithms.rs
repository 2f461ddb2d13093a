//! The algorithm studies' fast variants: each algorithm on small networks of every shape, with
//! its correctness condition and the exact figures the theory gives.

use vnet::scenarios::algorithms::{
    ClockSync, Gossip, NetSpec, Shape, broadcast, chang_roberts, clock_sync, echo, flood_max,
    gossip,
};
use vnet::sim::SimDuration;
use vnet::sim::vm::Lang;

#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

/// Virtual ms as whole nanoseconds (what the kernel counts in).
fn ns(ms: f64) -> u64 {
    (ms * 1e6).round() as u64
}

#[test]
fn lossless_flood_reaches_everyone_with_the_exact_message_count() {
    for shape in Shape::ALL {
        let net = NetSpec::new(shape, 12);
        let r = broadcast(&net, 100).unwrap();
        r.check(true).unwrap();
        assert_eq!(r.reached, r.nodes);
        assert_eq!(r.messages, 2 * r.edges - (r.nodes as u64 - 1));
    }
    // A ring of 6: the far side hears at 3 hops of 1 ms + 100 B at 10 Mb/s (80 µs) each.
    let r = broadcast(&NetSpec::new(Shape::Ring, 6), 100).unwrap();
    assert_eq!(ns(r.completion_ms), 3_240_000);
    // A grid is as square as n allows: 5 nodes ask for 2 rows of 3.
    assert_eq!(
        broadcast(&NetSpec::new(Shape::Grid, 5), 100).unwrap().nodes,
        6
    );
}

#[test]
fn lossy_flood_reaches_fewer_and_never_sends_more_than_two_per_link() {
    let mut reached = 0;
    for seed in 0..10 {
        let net = NetSpec {
            loss: 0.3,
            seed,
            ..NetSpec::new(Shape::Ring, 16)
        };
        let r = broadcast(&net, 100).unwrap();
        r.check(false).unwrap();
        reached += r.reached;
    }
    assert!(
        reached < 160,
        "30 % loss on a ring should cut some floods short"
    );
}

#[test]
fn echo_sends_two_messages_per_link_and_builds_a_spanning_tree() {
    for shape in Shape::ALL {
        let r = echo(&NetSpec::new(shape, 16)).unwrap();
        r.check().unwrap();
        assert_eq!(r.messages, 2 * r.edges);
        assert_eq!(r.parents.iter().flatten().count(), r.nodes - 1);
    }
    // On a ring of 6 the wave goes both ways; the initiator decides when the two tokens come
    // back: 6 hops of 1 ms + 5 B ("tok" as JSON) at 10 Mb/s = 4 µs each.
    let r = echo(&NetSpec::new(Shape::Ring, 6)).unwrap();
    assert_eq!(r.decided_ms.map(ns), Some(6_024_000));
}

#[test]
fn chang_roberts_elects_the_largest_uid_in_lua_and_js() {
    for seed in 0..4 {
        let lua = chang_roberts(9, Lang::Lua, seed).unwrap();
        lua.check(true).unwrap();
        let js = chang_roberts(9, Lang::Js, seed).unwrap();
        js.check(true).unwrap();
        // Same uids, same algorithm: the same messages whatever the language.
        assert_eq!(
            (lua.uids.clone(), lua.messages),
            (js.uids.clone(), js.messages)
        );
        // Between 3n − 1 and n(n+1)/2 + n (see below).
        assert!(
            lua.messages >= 26 && lua.messages <= 45 + 9,
            "{}",
            lua.messages
        );
    }
}

#[test]
fn chang_roberts_stays_within_its_message_bounds() {
    // Every uid makes at least one hop and the largest makes n; at worst (uids falling along
    // the ring) the uid of rank k makes k hops. The `elected` message adds n. So the count lies
    // in [3n − 1, n(n+1)/2 + n], and over 40 shuffles it should not sit at one end.
    let n = 8u64;
    let counts: Vec<u64> = (0..40)
        .map(|seed| {
            let r = chang_roberts(n as usize, Lang::Lua, seed).unwrap();
            r.check(true).unwrap();
            r.messages
        })
        .collect();
    let (lo, hi) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
    assert!(lo >= 3 * n - 1 && hi <= n * (n + 1) / 2 + n, "{lo}..{hi}");
    assert!(lo < hi, "40 shuffles all cost {lo}");
}

#[test]
fn flood_max_agrees_on_the_largest_uid_without_loss() {
    for shape in Shape::ALL {
        let r = flood_max(&NetSpec::new(shape, 12), SimDuration::from_millis(50)).unwrap();
        r.check(false).unwrap();
        assert_eq!(r.agreement(), 1.0);
    }
}

#[test]
fn push_sum_conserves_mass_and_converges() {
    for shape in [Shape::Grid, Shape::Geometric] {
        let cfg = Gossip {
            net: NetSpec::new(shape, 16),
            rounds: 40,
            period: SimDuration::from_millis(10),
        };
        let r = gossip(&cfg).unwrap();
        r.check(1e-2).unwrap();
        assert_eq!(r.messages, 16 * 40);
    }
}

#[test]
fn push_sum_under_loss_loses_mass() {
    let cfg = Gossip {
        net: NetSpec {
            loss: 0.2,
            ..NetSpec::new(Shape::Grid, 16)
        },
        rounds: 20,
        period: SimDuration::from_millis(10),
    };
    let r = gossip(&cfg).unwrap();
    let w = r.mass.last().unwrap().1;
    assert!(w < 16.0 - 1e-6, "Σw = {w}: lost messages carry weight away");
    assert!(r.check(1.0).is_err());
}

#[test]
fn clock_sync_stays_within_its_bound() {
    for shape in Shape::ALL {
        let net = NetSpec {
            jitter: SimDuration::from_micros(100),
            ..NetSpec::new(shape, 16)
        };
        let cfg = ClockSync::new(net);
        let r = clock_sync(&cfg).unwrap();
        r.check(&cfg).unwrap();
        assert!(r.max_error_ms() > 0.0);
    }
}

#[test]
fn clock_sync_without_jitter_or_drift_is_exact_up_to_the_size_difference() {
    // No jitter, no drift: only the request and reply's serialization times differ, so each
    // hop's error is half that difference, and errors add along the path.
    let net = NetSpec::new(Shape::Ring, 5);
    let cfg = ClockSync {
        max_drift: 0.0,
        ..ClockSync::new(net)
    };
    let r = clock_sync(&cfg).unwrap();
    r.check(&cfg).unwrap();
    assert_eq!(r.nodes_error[0], Some((0, 0.0)));
    for e in r.nodes_error.iter().flatten() {
        assert!(e.1.abs() <= e.0 as f64 * cfg.bound_ms(1), "{e:?}");
    }
}

#[test]
fn studies_are_deterministic() {
    let net = NetSpec {
        loss: 0.1,
        jitter: SimDuration::from_micros(50),
        seed: 7,
        ..NetSpec::new(Shape::Geometric, 20)
    };
    let a = flood_max(&net, SimDuration::from_millis(30)).unwrap();
    let b = flood_max(&net, SimDuration::from_millis(30)).unwrap();
    assert_eq!(a, b);
    let cfg = ClockSync::new(net);
    assert_eq!(clock_sync(&cfg).unwrap(), clock_sync(&cfg).unwrap());
}
