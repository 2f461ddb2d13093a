//! PHOLD, the standard synthetic benchmark for discrete-event kernels, through vnet's public node API
//! (the model: `vnet::scenarios::phold`).
//!
//! N nodes each start M events. Handling an event schedules one new event at a uniformly chosen
//! node after a lookahead of 0.1 s plus an exponential delay of mean 0.9 s (a direct send, like
//! ns-3's `ScheduleWithContext`). The run ends at virtual time T.
//!
//! `--lookahead S` changes the minimum delay (a parallel run's window length), and `--remote P`
//! sends each new event to a uniformly chosen node with probability P only, else to the node
//! itself (the usual PHOLD "remote fraction"; on K parts about P·(K−1)/K of the events cross).
//!
//! Usage: `cargo run --release --example phold -- [N M T] [--seed S] [--lookahead S] [--remote P]
//! [--threads K | --mpi] [--trace-hash]` (defaults 1024 16 200, lookahead 0.1, remote 1).
//! Prints one line in the format of the peers in `../shared/peers/`; with `--trace-hash` the
//! line ends in the run's `trace_hash=H`, the same alone, on threads and on ranks. With
//! `VNET_PHOLD_MEMORY=1` it also samples the event queue's memory overhead per pending event
//! every virtual second.

use std::{cell::RefCell, rc::Rc};

use vnet::scenarios::{PholdShape, phold, phold_events};
use vnet::sim::parallel::{Parallel, Partition};
use vnet::sim::trace::TraceHash;
use vnet::sim::{SimDuration, SimTime, Simulation};

#[derive(clap::Parser)]
#[command(
    about = "PHOLD through the vnet kernel; prints one line like the peers in ../shared/peers"
)]
struct Args {
    /// Nodes (logical processes).
    #[arg(default_value_t = 1024)]
    n: u32,
    /// Initial events per node.
    #[arg(default_value_t = 16)]
    m: u32,
    /// Virtual end time in seconds.
    #[arg(default_value_t = 200.0)]
    t: f64,
    /// Master seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Minimum delay of an event in seconds (above 0): the lookahead of a parallel run.
    #[arg(long, default_value_t = 0.1)]
    lookahead: f64,
    /// Probability (0 to 1) that an event goes to a uniformly chosen node, not its own.
    #[arg(long, default_value_t = 1.0)]
    remote: f64,
    /// Run on K threads: the nodes in K runs of consecutive ids, the minimum delay as the
    /// lookahead (`vnet_sim::parallel`). Prints the windows' counts on standard error.
    #[arg(long)]
    threads: Option<u32>,
    /// Run as one rank of an MPI job (`mpirun -np K phold … --mpi`; needs `--features mpi`):
    /// the nodes in K runs of consecutive ids, one a rank; rank 0 prints the line.
    #[arg(long, conflicts_with = "threads")]
    mpi: bool,
    /// Hash the run's trace (every event's records, `vnet_sim::trace::TraceHash`) and end the
    /// line with `trace_hash=H`: equal alone, on threads and on ranks. Slower; not for timing.
    #[arg(long)]
    trace_hash: bool,
}

fn main() {
    let Args {
        n,
        m,
        t,
        seed,
        lookahead,
        remote,
        threads,
        mpi,
        trace_hash,
    } = clap::Parser::parse();
    if n == 0 || t.is_nan() || t < 0.0 {
        eprintln!("phold: N must be at least 1 and T a non-negative number of seconds");
        std::process::exit(2);
    }
    if !(lookahead > 0.0 && lookahead < 1e6 && (0.0..=1.0).contains(&remote)) {
        eprintln!(
            "phold: --lookahead must be a positive number of seconds, --remote a probability \
             from 0 to 1"
        );
        std::process::exit(2);
    }
    let shape = PholdShape {
        lookahead: SimDuration::from_secs_f64(lookahead),
        remote,
    };
    let run = Run {
        n,
        m,
        t,
        seed,
        shape,
        trace_hash,
    };
    if let Some(k) = threads {
        return threaded(&run, k);
    }
    if mpi {
        return ranked(&run);
    }

    let mut sim = phold(n, m, seed, shape, |_| true);
    let hash = trace_hash.then(|| {
        let h = Rc::new(RefCell::new(TraceHash::default()));
        sim.set_trace(Box::new(h.clone()));
        h
    });
    // Start-up (each node scheduling its M initial events) is not timed, as in the peers; a
    // threaded run's time includes it, so it is said apart.
    let started = std::time::Instant::now();
    sim.run_until(SimTime::ZERO);
    eprintln!(
        "phold: start-up {:.3} s (not in wall_s)",
        started.elapsed().as_secs_f64()
    );
    let overhead_start = sim.queue_overhead_bytes() as f64 / sim.pending_events().max(1) as f64;
    let end = SimTime::from_secs_f64(t);
    let clock = std::time::Instant::now();
    let mut worst = overhead_start;
    if std::env::var_os("VNET_PHOLD_MEMORY").is_some() {
        // Sample the queue's overhead every virtual second (timing is then not comparable).
        let mut at = SimTime::ZERO;
        while at < end {
            at = (at + SimDuration::from_secs(1)).min(end);
            sim.run_until(at);
            worst =
                worst.max(sim.queue_overhead_bytes() as f64 / sim.pending_events().max(1) as f64);
        }
        eprintln!(
            "queue overhead per pending event: {overhead_start:.1} B after start-up, at most {worst:.1} B sampled each virtual second ({} pending at the end)",
            sim.pending_events()
        );
    } else {
        sim.run_until(end);
    }
    let wall = clock.elapsed().as_secs_f64();
    let hash = hash.map(|h| h.borrow().value());
    report(&sim, &run, wall, hash);
}

/// What to run, from the command line.
struct Run {
    n: u32,
    m: u32,
    t: f64,
    seed: u64,
    shape: PholdShape,
    trace_hash: bool,
}

/// Prints the peers' line: events are messages received; then the trace's hash if asked.
fn report(sim: &Simulation, run: &Run, wall: f64, hash: Option<u64>) {
    let Run { n, m, t, .. } = *run;
    let events = phold_events(sim, n);
    let hash = hash.map_or(String::new(), |h| format!(" trace_hash={h:016x}"));
    println!(
        "vnet phold n={n} m={m} t={t} events={events} wall_s={wall:.3} events_per_s={:.0}{hash}",
        events as f64 / wall
    );
}

/// A parallel run of `cut` to T, hashing its trace if asked.
fn settings<'a>(cut: &'a Partition, run: &Run) -> Parallel<'a> {
    let p = Parallel::new(cut).until(SimTime::from_secs_f64(run.t));
    if run.trace_hash { p.hash_trace() } else { p }
}

/// PHOLD on `k` threads; timed from the first window (start-up included, building not).
fn threaded(run: &Run, k: u32) {
    let Run {
        n, m, seed, shape, ..
    } = *run;
    let cut = match Partition::blocks(n as usize, k) {
        Ok(c) => c.with_direct_delay(shape.lookahead),
        Err(e) => {
            eprintln!("phold: --threads {k}: {e}");
            std::process::exit(2);
        }
    };
    let ran = settings(&cut, run).run(
        |r| Ok(phold(n, m, seed, shape, |i| cut.part[i as usize] == r)),
        |_| true,
    );
    let ran = match ran {
        Ok(ran) => ran,
        Err(e) => {
            eprintln!("phold: {e}");
            std::process::exit(1);
        }
    };
    let w = &ran.stats;
    let hash = ran.trace_hash.as_ref().map(TraceHash::value);
    report(&ran.sim, run, w.wall.as_secs_f64(), hash);
    let busy: Vec<String> = w
        .busy
        .iter()
        .map(|b| format!("{:.3}", b.as_secs_f64()))
        .collect();
    eprintln!(
        "phold: threads={k} windows={} events/window={:.1} crossing={:.1} % busy_s=[{}] wall_s={:.3}",
        w.windows,
        w.events_per_window(),
        100.0 * w.crossing_fraction(),
        busy.join(","),
        w.wall.as_secs_f64()
    );
}

/// PHOLD as a rank of an MPI job.
#[cfg(feature = "mpi")]
fn ranked(run: &Run) {
    let Run {
        n, m, seed, shape, ..
    } = *run;
    use vnet::sim::parallel::bindings::traits::Communicator;
    let Some(universe) = vnet::sim::parallel::bindings::initialize() else {
        eprintln!("phold: --mpi: cannot initialise MPI");
        std::process::exit(2);
    };
    let world = universe.world();
    let k = world.size() as u32;
    let cut = match Partition::blocks(n as usize, k) {
        Ok(c) => c.with_direct_delay(shape.lookahead),
        Err(e) => {
            eprintln!("phold: --mpi with {k} ranks: {e}");
            std::process::exit(2);
        }
    };
    let ran = settings(&cut, run).run_mpi(
        &world,
        false,
        |r| Ok(phold(n, m, seed, shape, |i| cut.part[i as usize] == r)),
        |_| true,
    );
    match ran {
        Ok(Some(ran)) => {
            let w = &ran.stats;
            let hash = ran.trace_hash.as_ref().map(TraceHash::value);
            report(&ran.sim, run, w.wall.as_secs_f64(), hash);
            eprintln!(
                "phold: ranks={k} windows={} crossing={:.1} % wall_s={:.3}",
                w.windows,
                100.0 * w.crossing_fraction(),
                w.wall.as_secs_f64()
            );
        }
        Ok(None) => {}
        Err(e) => {
            eprintln!("phold: rank {}: {e}", world.rank());
            std::process::exit(1);
        }
    }
}

#[cfg(not(feature = "mpi"))]
fn ranked(_: &Run) {
    eprintln!("phold: --mpi: built without MPI; build with `--features mpi`");
    std::process::exit(2);
}
