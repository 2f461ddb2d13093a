//! Running the parts of a [`Partition`](super::Partition) as MPI ranks (cargo feature `mpi`), one part a rank,
//! under `mpirun`: the threaded kernel's windows, with the barriers and the exchange made of
//! MPI collectives.
//!
//! Each window: an all-gather of every rank's (next event time, events sent, events received,
//! state) agrees on `T` and checks that every event sent so far has arrived (as ns-3's
//! granted-time-window synchronisation does); each rank runs its events earlier than `T + L`;
//! an all-to-all swaps the events ranks made for each other's nodes (with their keys); a gather
//! brings every rank's tagged writings to rank 0, which merges them in the sequential order.
//! At the end rank 0 gathers every rank's counters. Rank 0 returns the whole run; the others
//! return `None`.

use mpi::datatype::{Partition as Counts, PartitionMut};
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

use super::run::{Parallel, ParallelError, ParallelRun, WindowStats};
use crate::Simulation;
use crate::kernel::{
    Put, Writings, get_batch, get_final, get_writings, merge, put_batch, put_final, put_writings,
};
use crate::queue::EventKey;
use crate::time::{SimDuration, SimTime};

/// A rank's state in the all-gather: running, stopping (rank 0 says so), or failed.
const RUNNING: u64 = 0;
const STOPPING: u64 = 1;
const FAILED: u64 = 2;

impl Parallel<'_> {
    /// Runs the parts as the ranks of `world` instead of threads, part `r` on rank `r` (the
    /// communicator must have as many ranks as the partition has parts): builds this rank's
    /// part with `build(rank)` and runs it with the others. `on_window` (rank 0) sees the
    /// merged simulation after every window; false ends the run. `tracing` must be the same on
    /// every rank: whether rank 0 writes a trace (given with [`trace`](Parallel::trace)); so
    /// must [`hash_trace`](Parallel::hash_trace).
    /// Rank 0 returns the whole run; the others `None`.
    pub fn run_mpi<B, W>(
        self,
        world: &SimpleCommunicator,
        tracing: bool,
        build: B,
        mut on_window: W,
    ) -> Result<Option<ParallelRun>, ParallelError>
    where
        B: FnOnce(u32) -> Result<Simulation, String>,
        W: FnMut(&mut Simulation) -> bool,
    {
        let k = world.size() as usize;
        let r = world.rank() as u32;
        if k != self.partition.k as usize {
            return Err(ParallelError::Build {
                part: r,
                message: format!(
                    "{k} MPI ranks for {} parts: start as many ranks as parts",
                    self.partition.k
                ),
            });
        }
        if k > usize::from(u16::MAX) {
            return Err(ParallelError::Build {
                part: r,
                message: format!("{k} ranks: at most {} can run", u16::MAX),
            });
        }
        let lookahead = self.partition.lookahead;
        let built = build(r).map_err(|message| ParallelError::Build { part: r, message });
        let mut sim = match built {
            Ok(mut sim) if sim.network().nodes().len() == self.partition.part.len() => {
                let l = lookahead.unwrap_or(SimDuration::from_nanos(u64::MAX / 2));
                let mode = self.part_tracing(tracing);
                sim.enter_part(&self.partition.part, r, k as u32, l, mode);
                Some(sim)
            }
            Ok(sim) => {
                let e = ParallelError::Nodes {
                    partition: self.partition.part.len(),
                    simulation: sim.network().nodes().len(),
                };
                return Err(fail_all(world, e));
            }
            Err(e) => return Err(fail_all(world, e)),
        };
        let Some(part) = sim.as_mut() else {
            return Err(ParallelError::Panicked(r));
        };
        let mut sink = self.trace;
        let mut hash = self.hash.then(crate::trace::TraceHash::default);
        let mut stats = WindowStats {
            events: vec![0; k],
            busy: vec![std::time::Duration::ZERO; k],
            ..Default::default()
        };
        let (mut sent, mut received) = (0u64, 0u64);
        let mut state = RUNNING;
        let mut error: Option<String> = None;
        let mut stopped = false;
        let mut interrupted = false;
        let started = std::time::Instant::now();
        let root = world.process_at_rank(0);
        loop {
            let next = part.next_time().map_or(u64::MAX, |t| t.as_nanos());
            let mine = [next, sent, received, state];
            let mut all = vec![0u64; 4 * k];
            world.all_gather_into(&mine[..], &mut all[..]);
            let states: Vec<u64> = all.chunks(4).map(|c| c[3]).collect();
            if let Some(o) = states.iter().position(|&s| s == FAILED) {
                if error.is_none() && o as u32 != r {
                    error = Some(format!("rank {o} failed (its standard error says why)"));
                }
                break;
            }
            if states.iter().any(|&s| s != RUNNING) {
                break;
            }
            let total_sent: u64 = all.chunks(4).map(|c| c[1]).sum();
            let total_received: u64 = all.chunks(4).map(|c| c[2]).sum();
            if total_sent != total_received {
                error = Some(format!(
                    "ranks sent {total_sent} events to each other but received {total_received}"
                ));
                break;
            }
            let t = all.chunks(4).map(|c| c[0]).min().unwrap_or(u64::MAX);
            if t == u64::MAX || self.until.is_some_and(|u| t > u.as_nanos()) {
                break;
            }
            let end = super::run::window_end(t, lookahead, self.until);
            let t0 = std::time::Instant::now();
            let stop = part.run_part_until(end);
            stats.busy[r as usize] += t0.elapsed();
            stats.windows += 1;
            let violation = part.violation();

            // The exchange: every rank's events for every other rank.
            let mut out = Put::default();
            let mut counts = vec![0i32; k];
            for o in 0..k as u32 {
                let start = out.0.len();
                let batch = if o == r {
                    Vec::new()
                } else {
                    part.take_outbox(o)
                };
                sent += batch.len() as u64;
                stats.crossing += batch.len() as u64;
                put_batch(&mut out, &batch);
                counts[o as usize] = (out.0.len() - start) as i32;
            }
            let mut in_counts = vec![0i32; k];
            world.all_to_all_into(&counts[..], &mut in_counts[..]);
            let displs = offsets(&counts);
            let in_displs = offsets(&in_counts);
            let mut inbox = vec![0u8; in_counts.iter().map(|&c| c as usize).sum()];
            {
                let send = Counts::new(&out.0[..], &counts[..], &displs[..]);
                let mut recv = PartitionMut::new(&mut inbox[..], &in_counts[..], &in_displs[..]);
                world.all_to_all_varcount_into(&send, &mut recv);
            }
            for (o, (&at, &n)) in in_displs.iter().zip(&in_counts).enumerate() {
                if o as u32 == r {
                    continue;
                }
                let bytes = &inbox[at as usize..(at + n) as usize];
                match get_batch(bytes) {
                    Ok(batch) => {
                        received += batch.len() as u64;
                        part.take_inbox(batch);
                    }
                    Err(e) => error = Some(format!("events from rank {o}: {e}")),
                }
            }

            // What the window wrote, to rank 0: its stop, its refusal, its writings.
            let mut w = Put::default();
            put_window(&mut w, stop, violation.as_deref(), &part.take_writings());
            let len = w.0.len() as i32;
            if r == 0 {
                let mut lens = vec![0i32; k];
                root.gather_into_root(&len, &mut lens[..]);
                let at = offsets(&lens);
                let mut all = vec![0u8; lens.iter().map(|&c| c as usize).sum()];
                {
                    let mut recv = PartitionMut::new(&mut all[..], &lens[..], &at[..]);
                    root.gather_varcount_into_root(&w.0[..], &mut recv);
                }
                let mut parts = Vec::with_capacity(k);
                let mut stops = Vec::new();
                for (o, (&a, &n)) in at.iter().zip(&lens).enumerate() {
                    match get_window(&all[a as usize..(a + n) as usize]) {
                        Ok((stop, refused, writings)) => {
                            stops.extend(stop);
                            if let Some(v) = refused {
                                error.get_or_insert(v);
                            }
                            parts.push(writings);
                        }
                        Err(e) => {
                            error.get_or_insert(format!("writings from rank {o}: {e}"));
                            parts.push(Writings::default());
                        }
                    }
                }
                part.add_writings(merge(parts, &stops), &mut sink, hash.as_mut());
                let go = on_window(part);
                part.mark_writings();
                if !stops.is_empty() {
                    stopped = true;
                    state = STOPPING;
                }
                if !go {
                    interrupted = true;
                    state = STOPPING;
                }
            } else {
                root.gather_into(&len);
                root.gather_varcount_into(&w.0[..]);
            }
            if error.is_some() {
                state = FAILED;
            }
        }
        stats.events[r as usize] = part.events_run();

        // The end: every rank's counters to rank 0.
        let mut f = Put::default();
        put_final(&mut f, &part.part_final());
        let len = f.0.len() as i32;
        if r != 0 {
            root.gather_into(&len);
            root.gather_varcount_into(&f.0[..]);
            return match error {
                Some(e) => Err(ParallelError::Refused(e)),
                None => Ok(None),
            };
        }
        let mut lens = vec![0i32; k];
        root.gather_into_root(&len, &mut lens[..]);
        let at = offsets(&lens);
        let mut all = vec![0u8; lens.iter().map(|&c| c as usize).sum()];
        {
            let mut recv = PartitionMut::new(&mut all[..], &lens[..], &at[..]);
            root.gather_varcount_into_root(&f.0[..], &mut recv);
        }
        if let Some(e) = error {
            return Err(ParallelError::Refused(e));
        }
        for (o, (&a, &n)) in at.iter().zip(&lens).enumerate().skip(1) {
            let f = get_final(&all[a as usize..(a + n) as usize])
                .map_err(|e| ParallelError::Refused(format!("counters from rank {o}: {e}")))?;
            stats.events[o] = f.events();
            part.absorb(f);
        }
        stats.wall = started.elapsed();
        let end = match self.until {
            Some(u) if !stopped && !interrupted => u,
            _ => part.now(),
        };
        let Some(mut sim) = sim else {
            return Err(ParallelError::Panicked(0));
        };
        sim.leave_part(end, sink);
        Ok(Some(ParallelRun {
            sim,
            stats,
            stopped,
            interrupted,
            trace_hash: hash,
        }))
    }
}

/// Tells every rank that this one failed (they are at their first all-gather), then returns
/// `e`.
fn fail_all(world: &SimpleCommunicator, e: ParallelError) -> ParallelError {
    let k = world.size() as usize;
    let mine = [u64::MAX, 0, 0, FAILED];
    let mut all = vec![0u64; 4 * k];
    world.all_gather_into(&mine[..], &mut all[..]);
    // The others end their loop and gather their counters at rank 0: take part, with none.
    let root = world.process_at_rank(0);
    let none: [u8; 0] = [];
    if world.rank() == 0 {
        let mut lens = vec![0i32; k];
        root.gather_into_root(&0i32, &mut lens[..]);
        let at = offsets(&lens);
        let mut all = vec![0u8; lens.iter().map(|&c| c as usize).sum()];
        let mut recv = PartitionMut::new(&mut all[..], &lens[..], &at[..]);
        root.gather_varcount_into_root(&none[..], &mut recv);
    } else {
        root.gather_into(&0i32);
        root.gather_varcount_into(&none[..]);
    }
    e
}

/// Where each rank's bytes start.
fn offsets(counts: &[i32]) -> Vec<i32> {
    counts
        .iter()
        .scan(0, |a, &c| {
            let x = *a;
            *a += c;
            Some(x)
        })
        .collect()
}

fn put_window(out: &mut Put, stop: Option<EventKey>, refused: Option<&str>, w: &Writings) {
    let mut head = Vec::new();
    match stop {
        Some(k) => {
            head.push(1u8);
            head.extend_from_slice(&k.time().as_nanos().to_le_bytes());
            head.extend_from_slice(&k.source().to_le_bytes());
            head.extend_from_slice(&k.seq().to_le_bytes());
        }
        None => head.push(0),
    }
    let text = refused.unwrap_or("").as_bytes();
    head.extend_from_slice(&(text.len() as u32).to_le_bytes());
    head.extend_from_slice(text);
    out.0.extend_from_slice(&head);
    put_writings(out, w);
}

type Window = (Option<EventKey>, Option<String>, Writings);

fn get_window(b: &[u8]) -> Result<Window, String> {
    let short = || "the window's head is cut short".to_string();
    let (&flag, mut rest) = b.split_first().ok_or_else(short)?;
    let stop = if flag == 1 {
        let take = |rest: &mut &[u8], n: usize| -> Result<Vec<u8>, String> {
            if rest.len() < n {
                return Err(short());
            }
            let (a, b) = rest.split_at(n);
            *rest = b;
            Ok(a.to_vec())
        };
        let t = u64::from_le_bytes(take(&mut rest, 8)?.try_into().map_err(|_| short())?);
        let s = u32::from_le_bytes(take(&mut rest, 4)?.try_into().map_err(|_| short())?);
        let q = u64::from_le_bytes(take(&mut rest, 8)?.try_into().map_err(|_| short())?);
        Some(EventKey::new(SimTime::from_nanos(t), s, q))
    } else {
        None
    };
    if rest.len() < 4 {
        return Err(short());
    }
    let n = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
    let rest = &rest[4..];
    if rest.len() < n {
        return Err(short());
    }
    let text = String::from_utf8_lossy(&rest[..n]).into_owned();
    let refused = (!text.is_empty()).then_some(text);
    Ok((stop, refused, get_writings(&rest[n..])?))
}
