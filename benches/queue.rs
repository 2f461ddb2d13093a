//! The event queue on the classic "hold" workload (pop the earliest, push one later by
//! 0.1 s + Exp(0.9 s)), against `std::collections::BinaryHeap` with the same keys.
//! Throughput is in hold operations (one pop + one push).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp};
use vnet::sim::queue::{EventKey, EventQueue};
use vnet::sim::rng::SimRng;
use vnet::sim::{SimDuration, SimTime};

const OPS: u64 = 100_000;

fn delay(rng: &mut SimRng, exp: &Exp<f64>) -> u64 {
    100_000_000 + exp.sample(rng) as u64
}

fn hold(c: &mut Criterion) {
    let exp = Exp::new(1.0 / 0.9e9).unwrap();
    let mut group = c.benchmark_group("hold");
    group.throughput(Throughput::Elements(OPS));
    for pending in [1_024usize, 16_384, 262_144] {
        group.bench_with_input(
            BenchmarkId::new("vnet_queue", pending),
            &pending,
            |b, &pending| {
                let mut rng = SimRng::seed_from_u64(1);
                let mut q = EventQueue::new();
                let mut seq = 0u64;
                for _ in 0..pending {
                    q.push(
                        EventKey::new(SimTime::from_nanos(delay(&mut rng, &exp)), 0, seq),
                        seq,
                    );
                    seq += 1;
                }
                b.iter(|| {
                    for _ in 0..OPS {
                        let (k, v) = q.pop().unwrap();
                        let t = k.time() + SimDuration::from_nanos(delay(&mut rng, &exp));
                        q.push(EventKey::new(t, rng.next_u32() & 1023, seq), black_box(v));
                        seq += 1;
                    }
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("binary_heap", pending),
            &pending,
            |b, &pending| {
                let mut rng = SimRng::seed_from_u64(1);
                let mut q = BinaryHeap::new();
                let mut seq = 0u64;
                for _ in 0..pending {
                    q.push(Reverse((delay(&mut rng, &exp), seq, seq)));
                    seq += 1;
                }
                b.iter(|| {
                    for _ in 0..OPS {
                        let Reverse((t, _, v)) = q.pop().unwrap();
                        q.push(Reverse((t + delay(&mut rng, &exp), seq, black_box(v))));
                        seq += 1;
                    }
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
