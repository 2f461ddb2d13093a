//! PHOLD (`vnet::scenarios::phold`) on the threaded kernel: for several minimum delays (the
//! lookahead) and remote fractions, 2, 3 and 4 threads run the sequential run's events — the
//! same trace hash and the same count — and another seed hashes otherwise.
//! (`examples/phold --trace-hash` prints the same hashes; CI compares them under `mpirun`.)

use std::{cell::RefCell, rc::Rc};

use vnet::scenarios::{PholdShape, phold, phold_events};
use vnet::sim::parallel::{Parallel, Partition};
use vnet::sim::trace::TraceHash;
use vnet::sim::{SimDuration, SimTime};

const N: u32 = 96;
const M: u32 = 4;
const END: SimTime = SimTime::from_secs(10);

/// The sequential run's trace hash and events.
fn alone(seed: u64, shape: PholdShape) -> (u64, u64) {
    let mut sim = phold(N, M, seed, shape, |_| true);
    let hash = Rc::new(RefCell::new(TraceHash::default()));
    sim.set_trace(Box::new(hash.clone()));
    sim.run_until(END);
    let h = hash.borrow().value();
    (h, phold_events(&sim, N))
}

/// The same on `k` threads, the nodes cut into `k` runs of consecutive ids.
fn threaded(seed: u64, shape: PholdShape, k: u32) -> (u64, u64) {
    let cut = Partition::blocks(N as usize, k)
        .expect("a cut")
        .with_direct_delay(shape.lookahead);
    let run = Parallel::new(&cut)
        .until(END)
        .hash_trace()
        .run(
            |r| Ok(phold(N, M, seed, shape, |i| cut.part[i as usize] == r)),
            |_| true,
        )
        .expect("the threaded run");
    let h = run.trace_hash.expect("asked for").value();
    (h, phold_events(&run.sim, N))
}

#[test]
fn phold_on_threads_hashes_as_alone() {
    let shapes = [
        PholdShape::default(),
        PholdShape {
            lookahead: SimDuration::from_millis(20),
            remote: 0.3,
        },
        PholdShape {
            lookahead: SimDuration::from_millis(250),
            remote: 0.0,
        },
    ];
    for shape in shapes {
        let want = alone(5, shape);
        assert!(
            want.1 > u64::from(N * M),
            "{shape:?}: only {} events",
            want.1
        );
        for k in 2..=4 {
            assert_eq!(threaded(5, shape, k), want, "{shape:?} on {k} threads");
        }
    }
    assert_ne!(
        alone(6, PholdShape::default()).0,
        alone(5, PholdShape::default()).0
    );
}
