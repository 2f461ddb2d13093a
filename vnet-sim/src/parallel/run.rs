//! Running the parts of a [`Partition`] on threads, in conservative synchronous windows.
//!
//! Each window starts at `T`, the earliest pending event of any part, and runs every event
//! earlier than `T + L` (`L`, the lookahead) in every part at once. At the window's end the
//! parts swap the events they made for each other's nodes (keyed as the sequential kernel keys
//! them), and the lead part (0, on the calling thread) merges what all parts wrote in the
//! sequential order. Two barriers a window; the threads spin briefly, then yield.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Partition;
use crate::Simulation;
use crate::kernel::{Batch, Merged, PartFinal, PartTracing, Writings, merge};
use crate::queue::EventKey;
use crate::time::{SimDuration, SimTime};
use crate::trace::{TraceHash, TraceSink};

/// Why a parallel run failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParallelError {
    /// A part's simulation could not be built.
    #[error("part {part}: {message}")]
    Build {
        /// The part.
        part: u32,
        /// What went wrong.
        message: String,
    },
    /// The partition does not fit the simulation.
    #[error("the partition has {partition} nodes, the simulation {simulation}")]
    Nodes {
        /// Nodes in the partition.
        partition: usize,
        /// Nodes in the simulation.
        simulation: usize,
    },
    /// A program did what a parallel run cannot do (the run stopped at that window).
    #[error("{0}")]
    Refused(String),
    /// A part's thread panicked.
    #[error("part {0} panicked")]
    Panicked(u32),
}

/// How the windows went: what a model of more cores starts from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WindowStats {
    /// Windows run.
    pub windows: u64,
    /// Events each part ran.
    pub events: Vec<u64>,
    /// Events a part made for another part's nodes, over all parts.
    pub crossing: u64,
    /// Time each part spent running its events.
    pub busy: Vec<Duration>,
    /// Time the lead part spent merging the parts' output and handing it on (trace sink,
    /// window callback): serial work the other parts wait for.
    pub merging: Duration,
    /// Wall-clock time from the first window until every part has handed over its final
    /// state. Building the parts and dropping them afterwards are not included, as a
    /// sequential run's time leaves out building and dropping its simulation (dropping
    /// thousands of Lua workers takes a part a noticeable time: 0.4 s for 5 000).
    pub wall: Duration,
}

impl WindowStats {
    /// All events run.
    pub fn total_events(&self) -> u64 {
        self.events.iter().sum()
    }
    /// The share of events that crossed to another part.
    pub fn crossing_fraction(&self) -> f64 {
        self.crossing as f64 / self.total_events().max(1) as f64
    }
    /// Events a window, over all parts.
    pub fn events_per_window(&self) -> f64 {
        self.total_events() as f64 / self.windows.max(1) as f64
    }
}

/// The result of a parallel run.
pub struct ParallelRun {
    /// The whole run's results, read as after a sequential run: the lead part's simulation
    /// with every part's output, records, counters and worker states merged in (the trace
    /// sink given is back in it). Only the lead part's nodes still have their programs.
    pub sim: Simulation,
    /// How the windows went.
    pub stats: WindowStats,
    /// Whether a program stopped the run ([`crate::Context::stop`]): nothing after the
    /// stopping event is in the merged output (counters may include the rest of its window).
    pub stopped: bool,
    /// Whether the caller's window callback ended the run early.
    pub interrupted: bool,
    /// The trace's hash, with [`Parallel::hash_trace`]: the sequential run's
    /// [`TraceHash`] (up to where the run ended).
    pub trace_hash: Option<TraceHash>,
}

/// A run of the parts of a partition on threads.
///
/// ```
/// use vnet_sim::{parallel, LinkParams, SimDuration, SimTime, Simulation};
/// let build = |_part: u32| -> Result<Simulation, String> {
///     let mut sim = Simulation::new(7);
///     let a = sim.add_node("a").map_err(|e| e.to_string())?;
///     let b = sim.add_node("b").map_err(|e| e.to_string())?;
///     let l = LinkParams::new(SimDuration::from_millis(1), 1_000_000);
///     sim.link(a, "p", b, "p", l).map_err(|e| e.to_string())?;
///     Ok(sim)
/// };
/// let net = build(0).unwrap();
/// let cut = parallel::auto(net.network(), 2).unwrap();
/// let run = parallel::Parallel::new(&cut)
///     .until(SimTime::from_millis(10))
///     .run(build, |_| true)
///     .unwrap();
/// assert_eq!(run.sim.now(), SimTime::from_millis(10));
/// ```
pub struct Parallel<'a> {
    pub(super) partition: &'a Partition,
    pub(super) until: Option<SimTime>,
    pub(super) trace: Option<Box<dyn TraceSink>>,
    pub(super) hash: bool,
}

impl<'a> Parallel<'a> {
    /// A run of `partition`'s parts, one thread each (the lead part on the calling thread), or
    /// one MPI rank each (`run_mpi`, cargo feature `mpi`).
    pub fn new(partition: &'a Partition) -> Self {
        Parallel {
            partition,
            until: None,
            trace: None,
            hash: false,
        }
    }

    /// Runs every event due no later than `end` (default: until no events are left).
    pub fn until(mut self, end: SimTime) -> Self {
        self.until = Some(end);
        self
    }

    /// Writes the merged trace to `sink`, in the sequential run's order.
    pub fn trace(mut self, sink: Box<dyn TraceSink>) -> Self {
        self.trace = Some(sink);
        self
    }

    /// Computes the trace's hash ([`ParallelRun::trace_hash`]), the one a [`TraceHash`] sink
    /// gives on a sequential run. Without a [`trace`](Self::trace) sink, each part hashes
    /// the records of its own nodes' events itself, and only the few records of kernel
    /// events (faults, churn, link changes) are merged: a hash costs the lead part next to
    /// nothing.
    pub fn hash_trace(mut self) -> Self {
        self.hash = true;
        self
    }

    /// What the parts do with their trace records; `records`: whether the lead part has a
    /// sink for them.
    pub(super) fn part_tracing(&self, records: bool) -> PartTracing {
        match (records, self.hash) {
            (true, _) => PartTracing::Records,
            (false, true) => PartTracing::Hash,
            (false, false) => PartTracing::Off,
        }
    }

    /// Builds each part's simulation with `build(part)` on its own thread (the same network
    /// every time; programs are needed only on the part's own nodes) and runs them. After
    /// each window, `on_window` sees the lead part's simulation with the window's merged
    /// output lines and records; returning false ends the run there.
    pub fn run<B, W>(self, build: B, mut on_window: W) -> Result<ParallelRun, ParallelError>
    where
        B: Fn(u32) -> Result<Simulation, String> + Sync,
        W: FnMut(&mut Simulation) -> bool,
    {
        let k = self.partition.k.max(1);
        let owner: Arc<[u32]> = self.partition.part.clone().into();
        let lookahead = self.partition.lookahead;
        let shared = Shared::new(k as usize);
        let until = self.until;
        let tracing = self.part_tracing(self.trace.is_some());
        let mut hash = self.hash.then(TraceHash::default);
        let mut sink = self.trace;

        let mut lead: Option<(Simulation, PartReport)> = None;
        let mut lead_result: Result<(), ParallelError> = Ok(());
        std::thread::scope(|scope| {
            let mut handles = Vec::new();
            for r in 1..k {
                let (shared, build, owner) = (&shared, &build, owner.clone());
                handles.push(scope.spawn(move || {
                    let guard = AbortOnPanic(shared);
                    let sim = match start(build, r, k, &owner, lookahead, tracing) {
                        Ok(sim) => sim,
                        Err(e) => return shared.fail(e),
                    };
                    let mut sim = sim;
                    let mut report = part_loop(&mut sim, r, shared, lookahead, until, |_, _| true);
                    *lock(&shared.finals[r as usize]) = Some(sim.part_final());
                    report.ended = Some(Instant::now());
                    std::mem::forget(guard);
                    *lock(&shared.reports[r as usize]) = Some(report);
                }));
            }
            let guard = AbortOnPanic(&shared);
            match start(&build, 0, k, &owner, lookahead, tracing) {
                Ok(mut sim) => {
                    let mut report = part_loop(&mut sim, 0, &shared, lookahead, until, |sim, w| {
                        sim.add_writings(w, &mut sink, hash.as_mut());
                        let go = on_window(sim);
                        sim.mark_writings();
                        go
                    });
                    report.ended = Some(Instant::now());
                    lead = Some((sim, report));
                }
                Err(e) => shared.fail(e),
            }
            std::mem::forget(guard);
            for (i, h) in handles.into_iter().enumerate() {
                if h.join().is_err() {
                    lead_result = Err(ParallelError::Panicked(i as u32 + 1));
                }
            }
        });
        lead_result?;
        if let Some(e) = lock(&shared.error).take() {
            return Err(e);
        }
        let Some((mut sim, report)) = lead else {
            return Err(ParallelError::Panicked(0));
        };
        let mut stats = WindowStats {
            windows: report.windows,
            events: vec![0; k as usize],
            crossing: 0,
            busy: vec![Duration::ZERO; k as usize],
            merging: report.merging,
            wall: Duration::ZERO,
        };
        let absorbing = Instant::now();
        let mut ended = report.ended;
        let mut add = |r: usize, p: &PartReport| {
            stats.events[r] = p.events;
            stats.busy[r] = p.busy;
            stats.crossing += p.crossing;
            ended = ended.max(p.ended);
        };
        add(0, &report);
        for r in 1..k as usize {
            if let Some(p) = lock(&shared.reports[r]).take() {
                add(r, &p);
            }
            if let Some(f) = lock(&shared.finals[r]).take() {
                sim.absorb(f);
            }
        }
        if let (Some(s), Some(e)) = (report.started, ended) {
            stats.wall = e.saturating_duration_since(s) + absorbing.elapsed();
        }
        let stopped = !lock(&shared.stops).is_empty();
        let interrupted = report.interrupted;
        let end = match until {
            Some(u) if !stopped && !interrupted => u,
            _ => sim.now(),
        };
        sim.leave_part(end, sink);
        Ok(ParallelRun {
            sim,
            stats,
            stopped,
            interrupted,
            trace_hash: hash,
        })
    }
}

/// Builds part `r` and makes it a part.
fn start(
    build: &(impl Fn(u32) -> Result<Simulation, String> + Sync),
    r: u32,
    k: u32,
    owner: &Arc<[u32]>,
    lookahead: Option<SimDuration>,
    tracing: PartTracing,
) -> Result<Simulation, ParallelError> {
    if k > u32::from(u16::MAX) {
        return Err(ParallelError::Build {
            part: r,
            message: format!("{k} parts: at most {} can run", u16::MAX),
        });
    }
    let mut sim = build(r).map_err(|message| ParallelError::Build { part: r, message })?;
    let nodes = sim.network().nodes().len();
    if nodes != owner.len() {
        return Err(ParallelError::Nodes {
            partition: owner.len(),
            simulation: nodes,
        });
    }
    let l = lookahead.unwrap_or(SimDuration::from_nanos(u64::MAX / 2));
    sim.enter_part(owner, r, k, l, tracing);
    Ok(sim)
}

/// What one part's loop measured.
#[derive(Default)]
struct PartReport {
    windows: u64,
    events: u64,
    crossing: u64,
    busy: Duration,
    merging: Duration,
    interrupted: bool,
    /// When every part was built and the first window began.
    started: Option<Instant>,
    /// When the part had handed over its final state.
    ended: Option<Instant>,
}

/// Runs part `r` window by window until no part has events left (or up to `until`), a
/// program stops the run, a part fails or `lead` (on part 0) says stop.
fn part_loop(
    sim: &mut Simulation,
    r: u32,
    shared: &Shared,
    lookahead: Option<SimDuration>,
    until: Option<SimTime>,
    mut lead: impl FnMut(&mut Simulation, Merged) -> bool,
) -> PartReport {
    let k = shared.next.len();
    let mut report = PartReport::default();
    let events_before = sim.events_run();
    loop {
        let next = sim.next_time().map_or(u64::MAX, |t| t.as_nanos());
        shared.next[r as usize].store(next, Ordering::Release);
        if !shared.barrier.wait(&shared.abort) || shared.stop.load(Ordering::Acquire) {
            break;
        }
        report.started.get_or_insert_with(Instant::now);
        let t = shared
            .next
            .iter()
            .map(|n| n.load(Ordering::Acquire))
            .min()
            .unwrap_or(u64::MAX);
        if t == u64::MAX || until.is_some_and(|u| t > u.as_nanos()) {
            break;
        }
        let end = window_end(t, lookahead, until);
        let t0 = Instant::now();
        let stopped = sim.run_part_until(end);
        report.busy += t0.elapsed();
        report.windows += 1;
        if let Some(v) = sim.violation() {
            shared.fail(ParallelError::Refused(v));
        }
        if let Some(key) = stopped {
            lock(&shared.stops).push(key);
        }
        for o in (0..k as u32).filter(|&o| o != r) {
            let out = sim.take_outbox(o);
            if !out.is_empty() {
                report.crossing += out.len() as u64;
                lock(&shared.inbox[o as usize]).push(out);
            }
        }
        let mut writings = Some(sim.take_writings());
        if r != 0 {
            *lock(&shared.writings[r as usize]) = writings.take();
        }
        if !shared.barrier.wait(&shared.abort) {
            break;
        }
        for batch in std::mem::take(&mut *lock(&shared.inbox[r as usize])) {
            sim.take_inbox(batch);
        }
        if r == 0 {
            let t0 = Instant::now();
            let mut parts = vec![writings.take().unwrap_or_default()];
            for w in &shared.writings[1..] {
                parts.push(lock(w).take().unwrap_or_default());
            }
            let stops = lock(&shared.stops).clone();
            let go = lead(sim, merge(parts, &stops));
            if !go {
                report.interrupted = true;
            }
            if !stops.is_empty() || !go {
                shared.stop.store(true, Ordering::Release);
            }
            report.merging += t0.elapsed();
        }
    }
    report.events = sim.events_run() - events_before;
    report
}

/// The last instant of the window starting at `t` (ns): every event earlier than `t + L`,
/// none after `until`.
pub(super) fn window_end(
    t: u64,
    lookahead: Option<SimDuration>,
    until: Option<SimTime>,
) -> SimTime {
    let end = match lookahead {
        Some(l) => SimTime::from_nanos(t.saturating_add(l.as_nanos()).saturating_sub(1)),
        None => SimTime::from_nanos(u64::MAX),
    };
    until.map_or(end, |u| end.min(u))
}

/// What the parts share.
struct Shared {
    barrier: SpinBarrier,
    abort: AtomicBool,
    /// Set by the lead part when the run ends early (seen by all after the next barrier).
    stop: AtomicBool,
    next: Vec<AtomicU64>,
    inbox: Vec<Mutex<Vec<Batch>>>,
    writings: Vec<Mutex<Option<Writings>>>,
    /// The keys of the events at which programs stopped the run.
    stops: Mutex<Vec<EventKey>>,
    finals: Vec<Mutex<Option<PartFinal>>>,
    reports: Vec<Mutex<Option<PartReport>>>,
    error: Mutex<Option<ParallelError>>,
}

impl Shared {
    fn new(k: usize) -> Self {
        Shared {
            barrier: SpinBarrier::new(k),
            abort: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            next: (0..k).map(|_| AtomicU64::new(u64::MAX)).collect(),
            inbox: (0..k).map(|_| Mutex::default()).collect(),
            writings: (0..k).map(|_| Mutex::default()).collect(),
            stops: Mutex::default(),
            finals: (0..k).map(|_| Mutex::default()).collect(),
            reports: (0..k).map(|_| Mutex::default()).collect(),
            error: Mutex::default(),
        }
    }

    /// Ends the run for every part with `e` (the first error is kept).
    fn fail(&self, e: ParallelError) {
        lock(&self.error).get_or_insert(e);
        self.abort.store(true, Ordering::Release);
    }
}

/// Aborts the run if a part's thread unwinds, so that no other part waits for it for ever.
struct AbortOnPanic<'a>(&'a Shared);
impl Drop for AbortOnPanic<'_> {
    fn drop(&mut self) {
        self.0.abort.store(true, Ordering::Release);
    }
}

/// Locks `m`, also when another part panicked holding it (the run is aborting then).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A barrier that spins for a while before yielding: windows are short, and a sleeping
/// thread takes tens of microseconds to wake.
struct SpinBarrier {
    n: usize,
    count: AtomicUsize,
    generation: AtomicUsize,
}

impl SpinBarrier {
    fn new(n: usize) -> Self {
        SpinBarrier {
            n,
            count: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
        }
    }

    /// Waits for every part; false if the run was aborted meanwhile.
    fn wait(&self, abort: &AtomicBool) -> bool {
        let g = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::AcqRel);
        } else {
            let mut spins = 0u32;
            while self.generation.load(Ordering::Acquire) == g {
                if abort.load(Ordering::Acquire) {
                    return false;
                }
                if spins < 2000 {
                    std::hint::spin_loop();
                    spins += 1;
                } else {
                    std::thread::yield_now();
                }
            }
        }
        !abort.load(Ordering::Acquire)
    }
}
