use super::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Drives the queue like a simulation (pushes never earlier than the last pop) against a sorted
/// reference, with cancellations and many equal times.
fn check_against_reference(seed: u64, spread: u64, ops: usize) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut q = EventQueue::new();
    let mut reference: Vec<(EventKey, u64)> = Vec::new();
    let mut ids: Vec<(EventId, EventKey, u64)> = Vec::new();
    let mut now = 0u64;
    let mut seq = 0u64;
    for i in 0..ops {
        let r = rng.next_u64() % 10;
        if r < 5 || reference.is_empty() {
            let t = now + rng.next_u64() % spread;
            let key = EventKey::new(SimTime::from_nanos(t), (rng.next_u64() % 7) as u32, seq);
            seq += 1;
            let id = q.push(key, i as u64);
            reference.push((key, i as u64));
            ids.push((id, key, i as u64));
        } else if r < 9 {
            reference.sort();
            let want = reference.remove(0);
            let got = q.pop().expect("queue lost an event");
            assert_eq!(got, want, "seed {seed} op {i}");
            now = got.0.time;
        } else {
            let k = (rng.next_u64() as usize) % ids.len();
            let (id, key, v) = ids.swap_remove(k);
            let pending = reference.iter().position(|&x| x == (key, v));
            assert_eq!(q.cancel(id), pending.map(|_| v));
            if let Some(p) = pending {
                reference.remove(p);
            }
        }
        assert_eq!(q.len(), reference.len());
    }
    reference.sort();
    for want in reference {
        assert_eq!(q.pop(), Some(want));
    }
    assert!(q.pop().is_none());
}

#[test]
fn matches_sorted_reference_dense_ties() {
    check_against_reference(1, 4, 5000);
}

#[test]
fn matches_sorted_reference_wide_spread() {
    for seed in 0..5 {
        check_against_reference(seed, 1 << 40, 4000);
    }
}

#[test]
fn matches_sorted_reference_large_buckets() {
    // Many pending entries so buckets exceed the leaf size and get split.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let mut q = EventQueue::new();
    let mut times: Vec<u64> = (0..20_000).map(|_| rng.next_u64() >> 20).collect();
    for (i, &t) in times.iter().enumerate() {
        q.push(EventKey::new(SimTime::from_nanos(t), 0, i as u64), ());
    }
    times.sort();
    for &t in &times {
        assert_eq!(q.pop().map(|(k, _)| k.time().as_nanos()), Some(t));
    }
}

#[test]
fn ties_run_by_source_then_sequence() {
    let mut q = EventQueue::new();
    let t = SimTime::from_millis(1);
    q.push(EventKey::new(t, 3, 0), "c0");
    q.push(EventKey::new(t, 1, 5), "a5");
    q.push(EventKey::new(t, 1, 2), "a2");
    q.push(EventKey::new(t, 2, 0), "b0");
    let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, v)| v)).collect();
    assert_eq!(order, ["a2", "a5", "b0", "c0"]);
}

#[test]
fn key_fields_round_trip() {
    let k = EventKey::new(SimTime::from_nanos(77), MAX_SOURCE, (1 << 40) + 5);
    assert_eq!(
        (k.time().as_nanos(), k.source(), k.seq()),
        (77, MAX_SOURCE, 5)
    );
}

#[test]
fn stale_handles_do_not_touch_reused_slots() {
    let mut q = EventQueue::new();
    let a = q.push(EventKey::new(SimTime::ZERO, 0, 0), 1);
    assert_eq!(q.pop().map(|(_, v)| v), Some(1));
    let _b = q.push(EventKey::new(SimTime::ZERO, 0, 1), 2);
    assert_eq!(q.cancel(a), None, "handle of a run event must be stale");
    assert_eq!(q.len(), 1);
    assert_eq!(q.peek_time(), Some(SimTime::ZERO));
}

#[test]
fn peek_skips_cancelled() {
    let mut q = EventQueue::new();
    let a = q.push(EventKey::new(SimTime::from_nanos(1), 0, 0), ());
    q.push(EventKey::new(SimTime::from_nanos(9), 0, 1), ());
    q.cancel(a);
    assert_eq!(q.peek_time(), Some(SimTime::from_nanos(9)));
}

#[test]
fn matches_binary_heap_under_simulation_load() {
    // Thousands pending (rungs get built), delays from zero (late entries) to seconds, cancels.
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(77);
    let mut q = EventQueue::new();
    let mut reference = BinaryHeap::new();
    let mut cancellable = Vec::new();
    let mut seq = 0u64;
    let mut push = |q: &mut EventQueue<u64>,
                    reference: &mut BinaryHeap<_>,
                    now: u64,
                    rng: &mut Xoshiro256PlusPlus| {
        let d = match rng.next_u64() % 4 {
            0 => 0,
            1 => rng.next_u64() % 1000,
            2 => rng.next_u64() % 1_000_000,
            _ => 100_000_000 + rng.next_u64() % 2_000_000_000,
        };
        let key = EventKey::new(
            SimTime::from_nanos(now + d),
            (rng.next_u64() % 50) as u32,
            seq,
        );
        seq += 1;
        let id = q.push(key, seq);
        reference.push(Reverse((key, seq)));
        (id, key, seq)
    };
    for _ in 0..5000 {
        push(&mut q, &mut reference, 0, &mut rng);
    }
    let mut cancelled = std::collections::HashSet::new();
    for step in 0..200_000 {
        let (key, v) = q.pop().expect("queue ran dry early");
        // Skip reference entries that were cancelled.
        let want = loop {
            let Reverse(w) = reference.pop().expect("reference ran dry");
            if !cancelled.contains(&w.1) {
                break w;
            }
        };
        assert_eq!((key, v), want, "step {step}");
        let now = key.time().as_nanos();
        let (id, _, v) = push(&mut q, &mut reference, now, &mut rng);
        if rng.next_u64() % 8 == 0 {
            cancellable.push((id, v));
        }
        if rng.next_u64() % 16 == 0 && !cancellable.is_empty() {
            let (id, v) = cancellable.swap_remove((rng.next_u64() as usize) % cancellable.len());
            if q.cancel(id).is_some() {
                cancelled.insert(v);
            }
        }
        if rng.next_u64() % 3 == 0 {
            push(&mut q, &mut reference, now, &mut rng);
        } else if q.len() > 1000 {
            // Keep the population steady: one extra pop now and then.
            let (k, v) = q.pop().unwrap();
            let w = loop {
                let Reverse(w) = reference.pop().unwrap();
                if !cancelled.contains(&w.1) {
                    break w;
                }
            };
            assert_eq!((k, v), w);
        }
    }
}

#[test]
fn overhead_per_event_is_bounded() {
    let mut q = EventQueue::new();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    for i in 0..200_000u64 {
        q.push(
            EventKey::new(SimTime::from_nanos(rng.next_u64() >> 30), 0, i),
            [0u64; 4],
        );
    }
    for i in 0..400_000u64 {
        let (k, _) = q.pop().unwrap();
        q.push(
            EventKey::new(
                k.time() + crate::SimDuration::from_nanos(rng.next_u64() >> 30),
                1,
                i,
            ),
            [0u64; 4],
        );
    }
    // 20-byte entries + 8 bytes of slab bookkeeping (this payload has no niche: +8 for the tag).
    let per = q.overhead_bytes() as f64 / q.len() as f64;
    assert!(per <= 40.0, "{per} bytes per pending event");
}

#[test]
fn a_batch_pushed_at_once_pops_as_pushed_one_by_one() {
    // Like a parallel part at a barrier: events run, slots are freed, then a batch from another
    // part arrives (times spread over the queue, some equal, some before the rung's end).
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let (mut one, mut all) = (EventQueue::new(), EventQueue::new());
    let mut seq = 0u64;
    let mut now = 0u64;
    for round in 0..60 {
        let batch: Vec<(EventKey, u64)> = (0..rng.next_u64() % 3000)
            .map(|_| {
                seq += 1;
                let t = now + rng.next_u64() % 5_000_000;
                (EventKey::new(SimTime::from_nanos(t), 1, seq), seq)
            })
            .collect();
        for &(k, v) in &batch {
            one.push(k, v);
        }
        all.push_batch(batch);
        assert_eq!(one.len(), all.len(), "round {round}");
        for _ in 0..rng.next_u64() % 2000 {
            let (a, b) = (one.pop(), all.pop());
            assert_eq!(a, b, "round {round}");
            if let Some((k, _)) = a {
                now = k.time().as_nanos();
            }
        }
    }
    while let Some(a) = one.pop() {
        assert_eq!(Some(a), all.pop());
    }
    assert!(all.is_empty());
}
