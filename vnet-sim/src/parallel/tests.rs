//! The threaded kernel against the sequential one: the same trace, records and counters for
//! programs that send over links and straight to other nodes, stop the run, or break the
//! lookahead.

use std::cell::RefCell;
use std::rc::Rc;

use rand::RngExt;

use super::{Parallel, ParallelError, Partition};
use crate::Simulation;
use crate::trace::TraceHash;
use crate::{Context, LinkParams, Message, NodeId, NodeProgram, PortId, SimDuration, SimTime};

/// Sends on a random port and straight to a random node, `lookahead` or later.
struct Chatter {
    nodes: u32,
    direct: SimDuration,
    stop_after: Option<u64>,
    seen: u64,
}

impl NodeProgram for Chatter {
    fn on_start(&mut self, ctx: &mut Context) {
        ctx.set_timer(SimDuration::from_micros(10 * u64::from(ctx.node().0)), 0);
    }
    fn on_timer(&mut self, ctx: &mut Context, _: u64) {
        let ports = ctx.port_count() as u16;
        let p = ctx.rng().random_range(0..ports);
        ctx.send(PortId(p), Message::bytes(vec![ctx.node().0 as u8; 20]));
        let dst = NodeId(ctx.rng().random_range(0..self.nodes));
        let extra = ctx.rng().random_range(0..1_000_000u64);
        ctx.send_to(
            dst,
            self.direct + SimDuration::from_nanos(extra),
            Message::empty(),
        );
        if ctx.now() < SimTime::from_millis(200) {
            let wait = ctx.rng().random_range(1_000..5_000_000u64);
            ctx.set_timer(SimDuration::from_nanos(wait), 0);
        }
    }
    fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, _: Message) {
        self.seen += 1;
        if self.seen % 7 == 0 {
            ctx.record("seen", self.seen);
            ctx.log(format!("seen {} (last on {port:?})", self.seen));
        }
        if self.stop_after == Some(self.seen) {
            ctx.stop();
        }
    }
}

/// A 4×4 grid, 1 ms links, every node chatting; programs only on nodes `mine` accepts.
fn grid(direct: SimDuration, stop_after: Option<u64>, mine: impl Fn(u32) -> bool) -> Simulation {
    let mut sim = Simulation::new(11);
    let n: Vec<NodeId> = (0..16)
        .map(|i| sim.add_node(&format!("n{i}")).unwrap())
        .collect();
    let link = LinkParams::new(SimDuration::from_millis(1), 1_000_000).with_queue(4);
    for r in 0..4 {
        for c in 0..4 {
            let i = r * 4 + c;
            if c < 3 {
                sim.link(n[i], "e", n[i + 1], "w", link.clone()).unwrap();
            }
            if r < 3 {
                sim.link(n[i], "s", n[i + 4], "n", link.clone()).unwrap();
            }
        }
    }
    for (i, &node) in n.iter().enumerate() {
        if mine(i as u32) {
            let stop_after = stop_after.filter(|_| i == 9);
            let p = Chatter {
                nodes: 16,
                direct,
                stop_after,
                seen: 0,
            };
            sim.add_worker(node, Box::new(p));
        }
    }
    sim
}

/// What a run leaves that must not depend on threads.
#[derive(Debug, PartialEq)]
struct Outcome {
    /// The trace's hash and records.
    hash: (u64, u64),
    now: SimTime,
    records: usize,
    logs: Vec<String>,
    link_stats: Vec<String>,
    received: u64,
}

fn outcome(sim: &Simulation, hash: &Rc<RefCell<TraceHash>>) -> Outcome {
    let r = sim.results();
    Outcome {
        hash: (hash.borrow().value(), hash.borrow().records()),
        now: sim.now(),
        records: r.records().len(),
        logs: r
            .logs()
            .iter()
            .map(|l| format!("{} {:?} {}", l.time, l.node, l.text))
            .collect(),
        link_stats: sim
            .network()
            .links()
            .iter()
            .map(|l| format!("{:?}", l.stats_total()))
            .collect(),
        received: (0..16)
            .filter_map(|i| r.node_stats(NodeId(i)))
            .map(|s| s.received)
            .sum(),
    }
}

fn alone(direct: SimDuration, stop_after: Option<u64>, until: SimTime) -> Outcome {
    let mut sim = grid(direct, stop_after, |_| true);
    let hash = Rc::new(RefCell::new(TraceHash::default()));
    sim.set_trace(Box::new(hash.clone()));
    sim.run_until(until);
    sim.take_trace();
    outcome(&sim, &hash)
}

/// How a threaded run hashes its trace.
#[derive(Copy, Clone, Debug)]
enum Hashing {
    /// A [`TraceHash`] sink, fed the merged trace.
    Sink,
    /// [`Parallel::hash_trace`] alone: the parts hash their events.
    Parts,
}

fn threaded(
    cut: &Partition,
    direct: SimDuration,
    stop_after: Option<u64>,
    until: SimTime,
    hashing: Hashing,
) -> Result<(Outcome, bool), ParallelError> {
    let hash = Rc::new(RefCell::new(TraceHash::default()));
    let run = Parallel::new(cut).until(until);
    let run = match hashing {
        Hashing::Sink => run.trace(Box::new(hash.clone())),
        Hashing::Parts => run.hash_trace(),
    };
    let mut run = run.run(
        |r| Ok(grid(direct, stop_after, |i| cut.part[i as usize] == r)),
        |_| true,
    )?;
    run.sim.take_trace();
    if let Some(h) = &run.trace_hash {
        *hash.borrow_mut() = h.clone();
    }
    Ok((outcome(&run.sim, &hash), run.stopped))
}

#[test]
fn threads_reproduce_the_sequential_run_over_links_and_direct_sends() {
    let direct = SimDuration::from_millis(1);
    let until = SimTime::from_millis(300);
    let want = alone(direct, None, until);
    assert!(want.received > 1000 && want.records > 100, "{want:?}");
    let net = grid(direct, None, |_| false);
    for k in 1..=4 {
        let cut = super::auto(net.network(), k)
            .unwrap()
            .with_direct_delay(direct);
        for hashing in [Hashing::Sink, Hashing::Parts] {
            let (got, stopped) = threaded(&cut, direct, None, until, hashing).unwrap();
            assert!(!stopped);
            assert_eq!(got, want, "{k} threads, {hashing:?}");
            // The same with parts in blocks of ids, the lookahead from direct sends alone.
            let cut = Partition::blocks(16, k).unwrap().with_direct_delay(direct);
            assert_eq!(
                threaded(&cut, direct, None, until, hashing).unwrap().0,
                want,
                "{k} blocks, {hashing:?}"
            );
        }
    }
}

#[test]
fn a_stop_ends_the_threaded_run_where_it_ends_the_sequential_one() {
    let direct = SimDuration::from_millis(1);
    let until = SimTime::from_millis(300);
    let want = alone(direct, Some(40), until);
    assert!(want.now < SimTime::from_millis(200), "{want:?}");
    let net = grid(direct, None, |_| false);
    let cut = super::auto(net.network(), 3)
        .unwrap()
        .with_direct_delay(direct);
    for hashing in [Hashing::Sink, Hashing::Parts] {
        let (got, stopped) = threaded(&cut, direct, Some(40), until, hashing).unwrap();
        assert!(stopped);
        // Counters may include the rest of the stopping window; the trace, lines and records
        // not.
        assert_eq!(
            (got.hash, got.records, &got.logs),
            (want.hash, want.records, &want.logs),
            "{hashing:?}"
        );
    }
}

#[test]
fn a_window_callback_that_says_stop_ends_the_merged_output_at_that_window() {
    let direct = SimDuration::from_millis(1);
    let until = SimTime::from_millis(300);
    let want = alone(direct, None, until);
    let net = grid(direct, None, |_| false);
    let cut = super::auto(net.network(), 2)
        .unwrap()
        .with_direct_delay(direct);
    let (mut windows, mut seen_at_stop) = (0, (0, SimTime::ZERO));
    let run = Parallel::new(&cut)
        .until(until)
        .run(
            |r| Ok(grid(direct, None, |i| cut.part[i as usize] == r)),
            |sim| {
                windows += 1;
                let logs = sim.results().logs();
                seen_at_stop = (logs.len(), logs.last().map_or(SimTime::ZERO, |l| l.time));
                windows < 40
            },
        )
        .unwrap();
    assert!(run.interrupted && !run.stopped);
    assert_eq!(windows, 40);
    // The lines are those of the sequential run up to the 40th window's end: a window never
    // splits an instant, so no line of the last one's instant is missing.
    let logs: Vec<String> = run
        .sim
        .results()
        .logs()
        .iter()
        .map(|l| format!("{} {:?} {}", l.time, l.node, l.text))
        .collect();
    let (lines, last) = seen_at_stop;
    assert!(
        lines > 0 && last < SimTime::from_millis(200),
        "{lines} lines by {last}"
    );
    assert_eq!(logs.len(), lines);
    assert_eq!(logs[..], want.logs[..lines]);
    assert!(
        want.logs[lines..]
            .iter()
            .all(|l| !l.starts_with(&format!("{last} ")))
    );
}

#[test]
fn a_direct_send_sooner_than_the_lookahead_is_refused_by_name() {
    let net = grid(SimDuration::ZERO, None, |_| false);
    let cut = super::auto(net.network(), 2).unwrap();
    let short = SimDuration::from_micros(10);
    let e = threaded(&cut, short, None, SimTime::from_millis(50), Hashing::Parts).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, ParallelError::Refused(_)), "{e:?}");
    assert!(text.contains("sent straight to node `n"), "{text}");
    assert!(text.contains("below the lookahead 1ms"), "{text}");
}

/// Panics at its first message.
struct Panics;
impl NodeProgram for Panics {
    fn on_start(&mut self, ctx: &mut Context) {
        ctx.set_timer(SimDuration::from_millis(3), 0);
    }
    fn on_timer(&mut self, _: &mut Context, _: u64) {
        panic!("a bug in a program");
    }
}

#[test]
fn a_part_that_panics_ends_the_run_without_hanging_the_others() {
    let build = |r: u32| {
        let mut sim = grid(SimDuration::from_millis(1), None, |i| i < 8 && r == 0);
        if r == 1 {
            sim.add_worker(NodeId(15), Box::new(Panics));
        }
        Ok(sim)
    };
    let cut = Partition::blocks(16, 2)
        .unwrap()
        .with_direct_delay(SimDuration::from_millis(1));
    let e = Parallel::new(&cut)
        .until(SimTime::from_millis(100))
        .run(build, |_| true)
        .err();
    assert_eq!(e, Some(ParallelError::Panicked(1)));
}

#[test]
fn a_partition_of_another_network_is_refused() {
    let cut = Partition::blocks(8, 2).unwrap();
    let e = Parallel::new(&cut)
        .run(|_| Ok(grid(SimDuration::ZERO, None, |_| false)), |_| true)
        .err();
    assert_eq!(
        e,
        Some(ParallelError::Nodes {
            partition: 8,
            simulation: 16
        })
    );
}
