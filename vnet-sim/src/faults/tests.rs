//! Faults, tested exactly where the rules give the numbers.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::kernel::{Context, NodeProgram, Simulation, WorkerId, WorkerState};
use crate::net::{LinkParams, Message, NodeId, PortId};
use crate::testkit::linked_pair;
use crate::time::{SimDuration, SimTime};
use crate::trace::{TraceHash, TraceRecord, TraceSink};

fn ms(x: u64) -> SimDuration {
    SimDuration::from_millis(x)
}
fn at(x: u64) -> SimTime {
    SimTime::from_millis(x)
}

/// Keeps every trace record as `(time, kind, msg id, detail)`.
#[derive(Default)]
struct Kept(Vec<(SimTime, &'static str, Option<String>, String)>);
impl TraceSink for Kept {
    fn record(&mut self, r: &TraceRecord<'_>) {
        let id = r.msg.map(|m| m.to_string());
        self.0
            .push((r.time, r.kind.as_str(), id, r.detail.to_owned()));
    }
}
impl Kept {
    fn of(&self, kind: &str) -> Vec<(SimTime, Option<String>, String)> {
        (self.0.iter())
            .filter(|r| r.1 == kind)
            .map(|r| (r.0, r.2.clone(), r.3.clone()))
            .collect()
    }
}

fn kept(sim: &mut Simulation) -> Rc<RefCell<Kept>> {
    let k = Rc::new(RefCell::new(Kept::default()));
    sim.set_trace(Box::new(k.clone()));
    k
}

/// Sends `count` messages on port 0, one every `every`, numbered from 0, from time 0.
struct Ticker {
    sent: u64,
    count: u64,
    every: SimDuration,
    size: usize,
}
impl Ticker {
    fn new(count: u64, every: SimDuration) -> Self {
        Ticker {
            sent: 0,
            count,
            every,
            size: 0,
        }
    }
}
impl NodeProgram for Ticker {
    fn on_start(&mut self, ctx: &mut Context) {
        self.on_timer(ctx, 0);
    }
    fn on_timer(&mut self, ctx: &mut Context, _: u64) {
        if self.sent < self.count {
            let mut body = vec![0u8; self.size.max(8)];
            body[..8].copy_from_slice(&self.sent.to_le_bytes());
            ctx.send(PortId(0), Message::bytes(body));
            self.sent += 1;
            ctx.set_timer(self.every, 0);
        }
    }
}

/// Counts what it receives in its own state and in the node's store, records both, and
/// records `timer` (with its boot) 30 ms after it starts.
struct Counter {
    got: i64,
}
impl NodeProgram for Counter {
    fn on_start(&mut self, ctx: &mut Context) {
        ctx.set_timer(ms(30), 0);
        let boot = ctx.boot();
        ctx.record("start", boot as i64);
    }
    fn on_message(&mut self, ctx: &mut Context, _: Option<PortId>, m: Message) {
        self.got += 1;
        let total = {
            let mut s = ctx.store();
            let t = s.get("total").and_then(|v| v.as_i64()).unwrap_or(0) + 1;
            s.set("total", t.into()).unwrap();
            t
        };
        let seq = u64::from_le_bytes(m.as_bytes().unwrap()[..8].try_into().unwrap());
        ctx.record("got", self.got);
        ctx.record("total", total);
        ctx.record("seq", seq as i64);
    }
    fn on_timer(&mut self, ctx: &mut Context, _: u64) {
        let boot = ctx.boot();
        ctx.record("timer", boot as i64);
    }
}

fn records(sim: &Simulation, node: NodeId, name: &str) -> Vec<(SimTime, i64)> {
    (sim.results().records().iter())
        .filter(|r| r.node == node && r.name == name)
        .map(|r| (r.time, r.value.as_f64().unwrap() as i64))
        .collect()
}

#[test]
fn a_crashed_node_drops_what_comes_and_restarts_fresh_with_its_store() {
    let (mut sim, a, b, _) = linked_pair(1, LinkParams::infinite_bandwidth(ms(1)));
    sim.add_worker(a, Box::new(Ticker::new(10, ms(10))));
    sim.add_worker_with(b, || Box::new(Counter { got: 0 }));
    sim.set_boot_time(b, ms(5));
    sim.schedule_fault(at(25), Fault::Crash(b));
    sim.schedule_fault(
        at(45),
        Fault::Restart {
            node: b,
            wipe: false,
        },
    );
    let trace = kept(&mut sim);
    sim.run();
    // Sent at 0, 10, …, 90, each arriving 1 ms later. Down from 25 ms until booted at 50 ms:
    // the ones arriving at 31 and 41 ms are dropped.
    let got = records(&sim, b, "got");
    let times: Vec<u64> = got.iter().map(|r| r.0.as_nanos() / 1_000_000).collect();
    assert_eq!(times, [1, 11, 21, 51, 61, 71, 81, 91]);
    // The new program counts from 1 again; the store kept counting.
    let counts: Vec<i64> = got.iter().map(|r| r.1).collect();
    assert_eq!(counts, [1, 2, 3, 1, 2, 3, 4, 5]);
    assert_eq!(records(&sim, b, "total").last().unwrap().1, 8);
    assert_eq!(sim.store(b).unwrap().get("total"), Some(&8.into()));
    let drops = trace.borrow().of("drop");
    let drop_times: Vec<(SimTime, &str)> = drops.iter().map(|d| (d.0, d.2.as_str())).collect();
    assert_eq!(drop_times, [(at(31), "node_down"), (at(41), "node_down")]);
    // The old worker's timer (due at 30 ms) never fired; the new one's (50 + 30) did.
    assert_eq!(records(&sim, b, "timer"), [(at(80), 2)]);
    assert_eq!(records(&sim, b, "start"), [(at(0), 1), (at(50), 2)]);
    assert_eq!(sim.worker_state(b, WorkerId(0)), Some(WorkerState::Crashed));
    assert_eq!(sim.boots(b), Some(2));
    let f = sim.results().fault_stats();
    assert_eq!((f.crashes, f.restarts, f.dropped_node_down), (1, 1, 2));
    assert_eq!(sim.results().node_stats(b).unwrap().dropped_node_down, 2);
    let link = sim.network().links()[0].stats_forward().clone();
    assert_eq!(
        (link.sent, link.delivered, link.dropped_node_down),
        (10, 8, 2)
    );
    let log: Vec<(&str, u64)> = (sim.results().fault_log().iter())
        .map(|r| (r.kind, r.time.as_nanos() / 1_000_000))
        .collect();
    assert_eq!(log, [("crash", 25), ("restart", 45), ("boot", 50)]);
    let faults: Vec<String> = trace
        .borrow()
        .of("fault")
        .into_iter()
        .map(|r| r.2)
        .collect();
    assert_eq!(faults, ["crash b", "restart b", "boot b"]);
}

#[test]
fn a_wiping_restart_empties_the_store_and_a_bounce_crashes_first() {
    let (mut sim, a, b, _) = linked_pair(1, LinkParams::infinite_bandwidth(ms(1)));
    sim.add_worker(a, Box::new(Ticker::new(4, ms(10))));
    sim.add_worker_with(b, || Box::new(Counter { got: 0 }));
    // A restart of a node that is up: crash and boot at once (no boot time).
    sim.schedule_fault(
        at(15),
        Fault::Restart {
            node: b,
            wipe: true,
        },
    );
    sim.run();
    // Arrivals at 1, 11 (old program, store 1, 2); wiped at 15; 21, 31 (new: 1, 2).
    let totals: Vec<i64> = records(&sim, b, "total").iter().map(|r| r.1).collect();
    assert_eq!(totals, [1, 2, 1, 2]);
    assert_eq!(sim.results().fault_stats().crashes, 1);
}

#[test]
fn deferred_actions_of_a_crashed_worker_are_gone() {
    struct Slow;
    impl NodeProgram for Slow {
        fn on_start(&mut self, ctx: &mut Context) {
            ctx.send_after(ms(10), PortId(0), Message::bytes(vec![1]));
            ctx.log_after(ms(10), crate::LogStream::Out, "late".into());
        }
    }
    let (mut sim, a, _b, _) = linked_pair(1, LinkParams::infinite_bandwidth(ms(1)));
    sim.add_worker(a, Box::new(Slow));
    sim.schedule_fault(at(5), Fault::Crash(a));
    sim.run();
    assert_eq!(sim.network().links()[0].stats_forward().sent, 0);
    assert!(sim.results().logs().is_empty());
    assert_eq!(sim.deferred_actions(), 0);
}

#[test]
fn a_partition_drops_what_is_in_flight_across_it_and_heal_lifts_it() {
    // 10 ms latency; sends at 0, 5, 9 and 13 ms; partition at 8 ms, heal at 12 ms.
    struct At(Vec<u64>);
    impl NodeProgram for At {
        fn on_start(&mut self, ctx: &mut Context) {
            for (i, t) in self.0.iter().enumerate() {
                ctx.set_timer(ms(*t), i as u64);
            }
        }
        fn on_timer(&mut self, ctx: &mut Context, tag: u64) {
            ctx.send(PortId(0), Message::bytes(tag.to_le_bytes().to_vec()));
        }
    }
    let (mut sim, a, b, _) = linked_pair(1, LinkParams::infinite_bandwidth(ms(10)));
    sim.add_worker(a, Box::new(At(vec![0, 5, 9, 13])));
    sim.add_worker(b, Box::new(Counter { got: 0 }));
    sim.schedule_fault(at(8), Fault::Partition(vec![vec![a], vec![b]]));
    sim.schedule_fault(at(12), Fault::Heal);
    let trace = kept(&mut sim);
    sim.run();
    let drops: Vec<(SimTime, String)> = (trace.borrow().of("drop").into_iter())
        .map(|d| (d.0, d.2))
        .collect();
    // In flight at 8 ms: the sends of 0 and 5 ms, dropped when they would have arrived; the
    // send of 9 ms is dropped at once.
    assert_eq!(
        drops,
        [
            (at(9), "cut".into()),
            (at(10), "cut".into()),
            (at(15), "cut".into())
        ]
    );
    assert_eq!(records(&sim, b, "seq"), [(at(23), 3)]);
    let f = sim.results().fault_stats();
    assert_eq!(
        (f.partitions, f.heals, f.directions_cut, f.dropped_cut),
        (1, 1, 2, 3)
    );
    assert_eq!(sim.network().links()[0].stats_forward().dropped_cut, 3);
    assert!(!sim.network().links()[0].is_cut(0));
}

#[test]
fn a_one_way_cut_stops_one_direction_only() {
    let (mut sim, a, b, _) = linked_pair(1, LinkParams::infinite_bandwidth(ms(1)));
    sim.add_worker(a, Box::new(Ticker::new(3, ms(10))));
    sim.add_worker(b, Box::new(Ticker::new(3, ms(10))));
    // Counting happens in the tickers' peers: use a second worker on each node.
    sim.add_worker(a, Box::new(Counter { got: 0 }));
    sim.add_worker(b, Box::new(Counter { got: 0 }));
    sim.apply_fault(Fault::Cut { from: a, to: b });
    sim.run();
    let l = &sim.network().links()[0];
    assert_eq!(
        (l.stats_forward().delivered, l.stats_forward().dropped_cut),
        (0, 3)
    );
    assert_eq!(
        (l.stats_backward().delivered, l.stats_backward().dropped_cut),
        (3, 0)
    );
    assert!(l.is_cut(0) && !l.is_cut(1));
}

#[test]
fn held_messages_leave_in_order_on_release_as_if_sent_then() {
    // 1 ms latency, 1 Mb/s: a 125-byte message serializes in 1 ms.
    let (mut sim, a, b, l) = linked_pair(1, LinkParams::new(ms(1), 1_000_000));
    let mut t = Ticker::new(3, ms(2));
    t.size = 125;
    sim.add_worker(a, Box::new(t));
    sim.add_worker(b, Box::new(Counter { got: 0 }));
    sim.apply_fault(Fault::Hold(l));
    sim.schedule_fault(at(10), Fault::Release(l));
    let trace = kept(&mut sim);
    sim.run();
    // Sent at 0, 2, 4 ms, held; at 10 ms they queue: finished at 11, 12, 13, arriving 12, 13, 14.
    assert_eq!(
        records(&sim, b, "seq"),
        [(at(12), 0), (at(13), 1), (at(14), 2)]
    );
    let tr = trace.borrow();
    let sends = tr.of("send");
    assert!(sends.iter().all(|s| s.2 == "held"), "{sends:?}");
    let send_ids: Vec<_> = sends.iter().map(|s| s.1.clone()).collect();
    let deliver_ids: Vec<_> = tr.of("deliver").iter().map(|s| s.1.clone()).collect();
    assert_eq!(send_ids, deliver_ids);
    let f = sim.results().fault_stats();
    assert_eq!((f.held, f.released), (3, 3));
}

#[test]
fn a_link_going_down_drops_what_it_holds() {
    let (mut sim, a, b, l) = linked_pair(1, LinkParams::infinite_bandwidth(ms(1)));
    sim.add_worker(a, Box::new(Ticker::new(2, ms(1))));
    sim.add_worker(b, Box::new(Counter { got: 0 }));
    sim.apply_fault(Fault::Hold(l));
    sim.schedule_fault(at(5), Fault::LinkDown(l));
    sim.schedule_fault(at(6), Fault::LinkUp(l));
    sim.schedule_fault(at(7), Fault::Release(l));
    sim.run();
    assert!(records(&sim, b, "got").is_empty());
    let s = sim.network().links()[0].stats_forward().clone();
    assert_eq!((s.sent, s.dropped_link_down), (2, 2));
}

#[test]
fn duplication_corruption_and_spikes_at_certainty_are_exact() {
    let (mut sim, a, b, l) = linked_pair(1, LinkParams::infinite_bandwidth(ms(1)));
    sim.add_worker(a, Box::new(Ticker::new(2, ms(10))));
    sim.add_worker(b, Box::new(Counter { got: 0 }));
    let faults = LinkFaults {
        duplicate: 1.0,
        corrupt: 0.0,
        spike: Spike {
            p: 1.0,
            delay: ms(5),
        },
    };
    sim.apply_fault(Fault::LinkFaults(l, faults));
    let trace = kept(&mut sim);
    sim.run();
    // Each message twice, 1 + 5 ms after it was sent.
    let got: Vec<SimTime> = records(&sim, b, "seq").iter().map(|r| r.0).collect();
    assert_eq!(got, [at(6), at(6), at(16), at(16)]);
    let details: Vec<String> = trace.borrow().of("send").into_iter().map(|s| s.2).collect();
    assert_eq!(details, ["", "duplicate", "", "duplicate"]);
    let f = sim.results().fault_stats();
    assert_eq!((f.duplicated, f.spiked), (2, 2));
}

#[test]
fn corruption_flips_exactly_one_bit() {
    let (mut sim, a, b, l) = linked_pair(3, LinkParams::infinite_bandwidth(ms(1)));
    let mut t = Ticker::new(50, ms(1));
    t.size = 32;
    sim.add_worker(a, Box::new(t));
    let got = Rc::new(RefCell::new(Vec::new()));
    let g = got.clone();
    sim.add_worker(
        b,
        Box::new(move |_: &mut Context, _: Option<PortId>, m: Message| {
            g.borrow_mut().push(m.as_bytes().unwrap().to_vec());
        }),
    );
    let faults = LinkFaults {
        corrupt: 1.0,
        ..Default::default()
    };
    sim.apply_fault(Fault::LinkFaults(l, faults));
    sim.run();
    let got = got.borrow();
    assert_eq!(got.len(), 50);
    for (i, m) in got.iter().enumerate() {
        let mut sent = vec![0u8; 32];
        sent[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let flipped: u32 = m.iter().zip(&sent).map(|(x, y)| (x ^ y).count_ones()).sum();
        assert_eq!(flipped, 1, "message {i}");
    }
    assert_eq!(sim.results().fault_stats().corrupted, 50);
}

#[test]
fn a_corrupted_value_is_a_value_or_the_damaged_text() {
    let v = Message::value(serde_json::json!({"k": [1, 2, 3]}));
    let text = serde_json::to_string(v.as_value().unwrap()).unwrap();
    for r in 0..(text.len() as u64 * 8) {
        let c = corrupt(&v, r);
        let out = c.as_value().unwrap();
        assert_ne!(out, v.as_value().unwrap(), "bit {r}");
        assert_eq!(c.size(), v.size());
        if let Some(s) = out.as_str() {
            assert_eq!(s.chars().count(), text.len(), "bit {r}: {s}");
        }
    }
}

#[test]
fn duplication_rate_is_within_statistical_bounds() {
    let (mut sim, a, b, l) = linked_pair(9, LinkParams::infinite_bandwidth(ms(1)));
    let n = 10_000u64;
    sim.add_worker(a, Box::new(Ticker::new(n, SimDuration::from_micros(10))));
    sim.add_worker(
        b,
        Box::new(|_: &mut Context, _: Option<PortId>, _: Message| {}),
    );
    let p = 0.3;
    let faults = LinkFaults {
        duplicate: p,
        ..Default::default()
    };
    sim.apply_fault(Fault::LinkFaults(l, faults));
    sim.run();
    let d = sim.results().fault_stats().duplicated as f64;
    let (mean, sd) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
    assert!(
        (d - mean).abs() < 4.0 * sd,
        "{d} duplicates, expected {mean} ± {sd}"
    );
}

/// A ring of `n` flooding nodes under node and link churn: its trace hash and crash count.
fn churned_ring(seed: u64) -> (u64, u64, u64) {
    let mut sim = Simulation::new(seed);
    let n = 8;
    let ids: Vec<NodeId> = (0..n)
        .map(|i| sim.add_node(&format!("n{i}")).unwrap())
        .collect();
    let mut links = Vec::new();
    for i in 0..n {
        let p = LinkParams::infinite_bandwidth(ms(1));
        links.push(sim.link(ids[i], "cw", ids[(i + 1) % n], "ccw", p).unwrap());
    }
    for &id in &ids {
        sim.add_worker_with(id, || Box::new(Ticker::new(200, ms(5))));
    }
    let until = Some(at(1000));
    for &id in &ids {
        let mut c = Churn::exponential(ms(100), ms(20));
        c.until = until;
        sim.add_churn(ChurnTarget::Node(id), c);
    }
    let mut c = Churn::exponential(ms(50), ms(10));
    c.until = until;
    sim.add_churn(ChurnTarget::Link(links[0]), c);
    let hash = Rc::new(RefCell::new(TraceHash::default()));
    sim.set_trace(Box::new(hash.clone()));
    sim.run_until(at(1500));
    let f = sim.results().fault_stats();
    let h = hash.borrow().value();
    (h, f.crashes, f.links_down)
}

#[test]
fn churn_is_reproducible_from_the_seed_and_near_its_rates() {
    let a = churned_ring(5);
    assert_eq!(a, churned_ring(5));
    assert_ne!(a.0, churned_ring(6).0);
    // 8 nodes for 1 s, cycles of 100 + 20 ms on average: about 67 crashes.
    assert!((40..=95).contains(&a.1), "crashes {}", a.1);
    // One link, cycles of 60 ms: about 17.
    assert!((7..=30).contains(&a.2), "links down {}", a.2);
}
