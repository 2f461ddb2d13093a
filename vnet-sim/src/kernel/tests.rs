//! Kernel behaviour: exact link timing, queues, loss, partitions, CMUX, timers, workers, determinism.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::net::{DropCause, Jitter, Message, PortId};
use crate::time::SimDuration;
use crate::trace::TraceHash;

type Log = Rc<RefCell<Vec<(SimTime, u32, Option<PortId>, u32)>>>;

/// Records every arrival as (time, worker, port, size); on start, sends `burst` messages of
/// `size` bytes on port 0 (if `burst > 0`).
struct Probe {
    log: Log,
    burst: usize,
    size: usize,
}

impl NodeProgram for Probe {
    fn on_start(&mut self, ctx: &mut Context) {
        for _ in 0..self.burst {
            ctx.send(PortId(0), Message::bytes(vec![0u8; self.size]));
        }
    }
    fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, msg: Message) {
        self.log
            .borrow_mut()
            .push((ctx.now(), ctx.worker().0, port, msg.size()));
    }
}

fn probe(log: &Log, burst: usize, size: usize) -> Box<Probe> {
    Box::new(Probe {
        log: log.clone(),
        burst,
        size,
    })
}

/// Two nodes `a`, `b` joined on ports `p`; `a` sends `burst` messages of `size` bytes at t=0.
fn pair(params: LinkParams, burst: usize, size: usize) -> (Simulation, Log, LinkId) {
    let log: Log = Rc::default();
    let (mut sim, a, b, l) = crate::testkit::linked_pair(7, params);
    sim.add_worker(a, probe(&log, burst, size));
    sim.add_worker(b, probe(&log, 0, 0));
    (sim, log, l)
}

fn ms(x: u64) -> SimTime {
    SimTime::from_millis(x)
}

#[test]
fn idle_link_delivers_at_latency_plus_serialization() {
    // 1000 bytes at 1 Mb/s = 8 ms on the wire, plus 10 ms latency.
    let (mut sim, log, _) = pair(
        LinkParams::new(SimDuration::from_millis(10), 1_000_000),
        1,
        1000,
    );
    assert_eq!(sim.run(), RunStatus::Idle);
    assert_eq!(*log.borrow(), vec![(ms(18), 0, Some(PortId(0)), 1000)]);
}

#[test]
fn serialization_rounds_up_to_whole_nanoseconds() {
    let p = LinkParams::new(SimDuration::ZERO, 3_000_000_000);
    assert_eq!(p.serialization(1).as_nanos(), 3); // 8/3 ns -> 3
    assert_eq!(p.serialization(3).as_nanos(), 8);
}

#[test]
fn queued_messages_wait_for_the_transmitter() {
    let (mut sim, log, l) = pair(
        LinkParams::new(SimDuration::from_millis(10), 1_000_000),
        3,
        1000,
    );
    sim.run();
    let times: Vec<_> = log.borrow().iter().map(|x| x.0).collect();
    assert_eq!(times, vec![ms(18), ms(26), ms(34)]);
    let s = sim.network().link(l).unwrap().stats_forward();
    assert_eq!((s.sent, s.delivered, s.bytes_delivered), (3, 3, 3000));
    assert_eq!(s.queue_delay_total, 24_000_000); // 0 + 8 + 16 ms
    assert_eq!(s.queue_delay_max, 16_000_000);
}

#[test]
fn transmitter_frees_up_between_sends() {
    // a sends at 0 and again at 20 ms (after the first left the wire at 8 ms): no queueing.
    struct Twice;
    impl NodeProgram for Twice {
        fn on_start(&mut self, ctx: &mut Context) {
            ctx.send(PortId(0), Message::bytes(vec![0u8; 1000]));
            ctx.set_timer(SimDuration::from_millis(20), 0);
        }
        fn on_timer(&mut self, ctx: &mut Context, _: u64) {
            ctx.send(PortId(0), Message::bytes(vec![0u8; 1000]));
        }
    }
    let log: Log = Rc::default();
    let (mut sim, a, b, _) =
        crate::testkit::linked_pair(1, LinkParams::new(SimDuration::from_millis(10), 1_000_000));
    sim.add_worker(a, Box::new(Twice));
    sim.add_worker(b, probe(&log, 0, 0));
    sim.run();
    let times: Vec<_> = log.borrow().iter().map(|x| x.0).collect();
    assert_eq!(times, vec![ms(18), ms(38)]);
}

#[test]
fn drop_tail_at_capacity() {
    // One in transmission plus two waiting; the fourth and fifth are dropped.
    let params = LinkParams::new(SimDuration::from_millis(1), 1_000_000).with_queue(2);
    let (mut sim, log, l) = pair(params, 5, 1000);
    sim.run();
    assert_eq!(log.borrow().len(), 3);
    let s = sim.network().link(l).unwrap().stats_forward();
    assert_eq!(
        (s.sent, s.delivered, s.dropped_queue_full, s.dropped()),
        (5, 3, 2, 2)
    );
}

#[test]
fn zero_capacity_queue_only_sends_when_idle() {
    let params = LinkParams::new(SimDuration::ZERO, 1_000_000).with_queue(0);
    let (mut sim, log, _) = pair(params, 3, 10);
    sim.run();
    assert_eq!(log.borrow().len(), 1);
}

#[test]
fn loss_rate_within_statistical_bounds() {
    let n = 20_000u64;
    let p = 0.1;
    let (mut sim, log, l) = pair(LinkParams::default().with_loss(p), n as usize, 10);
    sim.run();
    let lost = sim.network().link(l).unwrap().stats_forward().dropped_loss;
    let sigma = (n as f64 * p * (1.0 - p)).sqrt();
    assert!(
        (lost as f64 - n as f64 * p).abs() < 4.0 * sigma,
        "lost {lost} of {n}"
    );
    assert_eq!(log.borrow().len() as u64, n - lost);
}

#[test]
fn jitter_stays_within_its_range() {
    let j = Jitter::Uniform {
        max: SimDuration::from_millis(2),
    };
    let params = LinkParams {
        latency: SimDuration::from_millis(5),
        jitter: Some(j),
        ..Default::default()
    };
    let (mut sim, log, _) = pair(params, 500, 10);
    sim.run();
    let times: Vec<_> = log.borrow().iter().map(|x| x.0).collect();
    assert_eq!(times.len(), 500);
    assert!(times.iter().all(|&t| t >= ms(5) && t <= ms(7)));
    assert!(times.iter().any(|&t| t != times[0]), "jitter had no effect");
}

#[test]
fn partition_drops_in_flight_and_heal_restores() {
    // a sends one message every 10 ms; the link is down from 15 ms to 35 ms.
    struct Ticker;
    impl NodeProgram for Ticker {
        fn on_start(&mut self, ctx: &mut Context) {
            ctx.set_timer(SimDuration::ZERO, 0);
        }
        fn on_timer(&mut self, ctx: &mut Context, n: u64) {
            ctx.send(PortId(0), Message::bytes(vec![0u8; 10]));
            if n < 5 {
                ctx.set_timer(SimDuration::from_millis(10), n + 1);
            }
        }
    }
    let log: Log = Rc::default();
    let (mut sim, a, b, l) = crate::testkit::linked_pair(
        1,
        LinkParams::new(SimDuration::from_millis(8), 1_000_000_000),
    );
    sim.add_worker(a, Box::new(Ticker));
    sim.add_worker(b, probe(&log, 0, 0));
    sim.schedule_link_state(ms(15), l, false);
    sim.schedule_link_state(ms(35), l, true);
    sim.run();
    // Sent at 0, 10 (in flight at 15: lost), 20, 30 (link down: lost), 40, 50.
    let times: Vec<u64> = log
        .borrow()
        .iter()
        .map(|x| x.0.as_nanos() / 1_000_000)
        .collect();
    assert_eq!(times, vec![8, 48, 58]);
    let s = sim.network().link(l).unwrap().stats_forward();
    assert_eq!((s.sent, s.delivered, s.dropped_link_down), (6, 3, 3));
}

#[test]
fn cmux_port_fans_out_to_links_and_sibling_workers() {
    // Hub port "p" of node h is linked to three leaves; h runs two workers.
    let log: Log = Rc::default();
    let leaf_log: Log = Rc::default();
    let mut sim = Simulation::new(3);
    let h = sim.add_node("h").unwrap();
    for i in 0..3 {
        let leaf = sim.add_node(&format!("leaf{i}")).unwrap();
        sim.link(
            h,
            "p",
            leaf,
            "p",
            LinkParams::new(SimDuration::from_millis(1 + i), 1_000_000),
        )
        .unwrap();
        sim.add_worker(leaf, probe(&leaf_log, 0, 0));
    }
    sim.add_worker(h, probe(&log, 1, 125)); // worker 0 sends once: 1 ms on the wire
    sim.add_worker(h, probe(&log, 0, 0)); // worker 1 only listens
    sim.run();
    // The sibling gets its copy at once; the sender gets none.
    assert_eq!(
        *log.borrow(),
        vec![(SimTime::ZERO, 1, Some(PortId(0)), 125)]
    );
    let times: Vec<_> = leaf_log.borrow().iter().map(|x| x.0).collect();
    assert_eq!(times, vec![ms(2), ms(3), ms(4)]);
}

#[test]
fn link_arrivals_reach_every_worker_on_the_node() {
    let log: Log = Rc::default();
    let (mut sim, a, b, _) =
        crate::testkit::linked_pair(3, LinkParams::new(SimDuration::from_millis(1), 1_000_000));
    sim.add_worker(a, probe(&log, 1, 0));
    for _ in 0..3 {
        sim.add_worker(b, probe(&log, 0, 0));
    }
    sim.run();
    let workers: Vec<u32> = log.borrow().iter().map(|x| x.1).collect();
    assert_eq!(workers, vec![0, 1, 2]);
    assert_eq!(sim.results().node_stats(b).unwrap().received, 1);
}

#[test]
fn cancelled_timer_never_fires() {
    struct Timers {
        fired: Rc<RefCell<Vec<(SimTime, u64)>>>,
        cancel_result: Rc<RefCell<Vec<bool>>>,
    }
    impl NodeProgram for Timers {
        fn on_start(&mut self, ctx: &mut Context) {
            let t1 = ctx.set_timer(SimDuration::from_millis(5), 1);
            ctx.set_timer(SimDuration::from_millis(7), 2);
            let r = ctx.cancel_timer(t1);
            self.cancel_result.borrow_mut().push(r);
            let r = ctx.cancel_timer(t1);
            self.cancel_result.borrow_mut().push(r);
        }
        fn on_timer(&mut self, ctx: &mut Context, tag: u64) {
            self.fired.borrow_mut().push((ctx.now(), tag));
        }
    }
    let fired = Rc::default();
    let cancel_result = Rc::default();
    let mut sim = Simulation::new(1);
    let a = sim.add_node("a").unwrap();
    sim.add_worker(
        a,
        Box::new(Timers {
            fired: Rc::clone(&fired),
            cancel_result: Rc::clone(&cancel_result),
        }),
    );
    sim.run();
    assert_eq!(*fired.borrow(), vec![(ms(7), 2)]);
    assert_eq!(*cancel_result.borrow(), vec![true, false]);
    assert_eq!(sim.results().node_stats(a).unwrap().timers, 1);
}

#[test]
fn direct_send_arrives_after_its_delay() {
    let log: Log = Rc::default();
    let mut sim = Simulation::new(1);
    let a = sim.add_node("a").unwrap();
    let b = sim.add_node("b").unwrap();
    let l2 = log.clone();
    sim.add_worker(b, probe(&log, 0, 0));
    sim.add_worker(
        a,
        Box::new(move |ctx: &mut Context, _: Option<PortId>, _: Message| {
            l2.borrow_mut().push((ctx.now(), 9, None, 0))
        }),
    );
    // A closure program has no on_start; kick it with a direct message from b's probe instead.
    struct Kick(NodeId);
    impl NodeProgram for Kick {
        fn on_start(&mut self, ctx: &mut Context) {
            ctx.send_to(self.0, SimDuration::from_micros(1500), Message::empty());
        }
    }
    sim.add_worker(b, Box::new(Kick(a)));
    sim.run();
    assert_eq!(
        *log.borrow(),
        vec![(SimTime::from_micros(1500), 9, None, 0)]
    );
}

#[test]
fn run_until_stops_at_the_boundary_and_resumes() {
    let (mut sim, log, _) = pair(
        LinkParams::new(SimDuration::from_millis(10), 1_000_000),
        3,
        1000,
    );
    assert_eq!(sim.run_until(ms(26)), RunStatus::ReachedTime);
    assert_eq!(
        log.borrow().len(),
        2,
        "an event exactly at the end time runs"
    );
    assert_eq!(sim.now(), ms(26));
    assert_eq!(sim.step(), Some(ms(34)));
    assert_eq!(sim.run_until(ms(100)), RunStatus::Idle);
    assert_eq!(sim.now(), ms(100));
}

#[test]
fn a_program_can_stop_the_run() {
    struct Stopper;
    impl NodeProgram for Stopper {
        fn on_start(&mut self, ctx: &mut Context) {
            ctx.set_timer(SimDuration::from_millis(1), 0);
            ctx.set_timer(SimDuration::from_millis(2), 1);
        }
        fn on_timer(&mut self, ctx: &mut Context, _: u64) {
            ctx.stop();
        }
    }
    let mut sim = Simulation::new(1);
    let a = sim.add_node("a").unwrap();
    sim.add_worker(a, Box::new(Stopper));
    assert_eq!(sim.run(), RunStatus::Stopped);
    assert_eq!(sim.now(), ms(1));
    assert_eq!(sim.pending_events(), 1);
    assert_eq!(sim.run(), RunStatus::Stopped);
    assert_eq!(sim.now(), ms(2));
}

#[test]
fn spawn_kill_and_exit() {
    struct Parent {
        log: Log,
    }
    impl NodeProgram for Parent {
        fn on_start(&mut self, ctx: &mut Context) {
            let child = ctx.spawn(probe(&self.log, 0, 0));
            assert_eq!(child, WorkerId(1));
            let doomed = ctx.spawn(probe(&self.log, 0, 0));
            assert!(ctx.kill(doomed));
            assert!(!ctx.kill(doomed));
            ctx.send(PortId(0), Message::bytes(vec![1, 2, 3]));
            ctx.exit();
        }
    }
    let log: Log = Rc::default();
    let mut sim = Simulation::new(1);
    let a = sim.add_node("a").unwrap();
    sim.add_port(a, "p").unwrap();
    let w0 = sim.add_worker(a, Box::new(Parent { log: log.clone() }));
    sim.run();
    assert_eq!(*log.borrow(), vec![(SimTime::ZERO, 1, Some(PortId(0)), 3)]);
    assert_eq!(sim.worker_state(a, w0), Some(WorkerState::Finished));
    assert_eq!(sim.worker_state(a, WorkerId(1)), Some(WorkerState::Running));
    assert_eq!(sim.worker_state(a, WorkerId(2)), Some(WorkerState::Killed));
    assert!(
        sim.program(a, w0).is_none(),
        "an ended worker's program is dropped"
    );
}

/// Random gossip on a ring with jitter and loss: every draw matters, so the trace hash tells runs apart.
fn gossip_hash(seed: u64) -> (u64, u64) {
    struct Gossip;
    impl NodeProgram for Gossip {
        fn on_start(&mut self, ctx: &mut Context) {
            ctx.set_timer(SimDuration::from_millis(1), 0);
        }
        fn on_timer(&mut self, ctx: &mut Context, _: u64) {
            let ports = ctx.port_count() as u16;
            let p = rand::RngExt::random_range(ctx.rng(), 0..ports);
            ctx.send(PortId(p), Message::bytes(vec![0u8; 50]));
            if ctx.now() < SimTime::from_millis(200) {
                let d = rand::RngExt::random_range(ctx.rng(), 1..5_000_000u64);
                ctx.set_timer(SimDuration::from_nanos(d), 0);
            }
        }
    }
    let mut sim = Simulation::new(seed);
    let ids: Vec<_> = (0..6)
        .map(|i| sim.add_node(&format!("n{i}")).unwrap())
        .collect();
    let j = Jitter::Exponential {
        mean: SimDuration::from_micros(200),
    };
    for i in 0..6 {
        let params = LinkParams::new(SimDuration::from_millis(1), 1_000_000)
            .with_loss(0.05)
            .with_jitter(j.clone());
        sim.link(ids[i], "cw", ids[(i + 1) % 6], "ccw", params)
            .unwrap();
        sim.add_worker(ids[i], Box::new(Gossip));
    }
    let hash = Rc::new(RefCell::new(TraceHash::default()));
    sim.set_trace(Box::new(hash.clone()));
    sim.run();
    let h = hash.borrow();
    (h.value(), h.records())
}

#[test]
fn same_seed_same_trace_other_seed_other_trace() {
    let a = gossip_hash(11);
    assert!(a.1 > 500, "too few trace records to mean anything: {}", a.1);
    assert_eq!(a, gossip_hash(11));
    assert_ne!(a.0, gossip_hash(12).0);
}

#[test]
fn adding_a_node_does_not_shift_other_nodes_draws() {
    struct Draw(Rc<RefCell<Vec<u64>>>);
    impl NodeProgram for Draw {
        fn on_start(&mut self, ctx: &mut Context) {
            self.0.borrow_mut().push(rand::Rng::next_u64(ctx.rng()));
        }
    }
    // Node "x" draws once; `before` / `after` add another drawing node ahead of it or after it.
    let draw_of_x = |before: bool, after: bool| {
        let out = Rc::new(RefCell::new(Vec::new()));
        let mut sim = Simulation::new(5);
        let add = |sim: &mut Simulation, name: &str| {
            let n = sim.add_node(name).unwrap();
            sim.add_worker(n, Box::new(Draw(out.clone())));
            n
        };
        if before {
            add(&mut sim, "before");
        }
        let x = add(&mut sim, "x");
        if after {
            add(&mut sim, "after");
        }
        sim.run();
        let i = if before { 1 } else { 0 };
        (x, out.borrow()[i])
    };
    let (_, alone) = draw_of_x(false, false);
    assert_eq!(
        alone,
        draw_of_x(false, true).1,
        "a node added later shifted x's draws"
    );
    assert_ne!(
        alone,
        draw_of_x(true, false).1,
        "x with another id must get another stream"
    );
}

#[test]
fn stats_and_trace_csv() {
    let (mut sim, _, _) = pair(
        LinkParams::new(SimDuration::from_millis(1), 1_000_000).with_queue(1),
        3,
        100,
    );
    let buf = Rc::new(RefCell::new(crate::trace::WriterTrace::new(
        Vec::new(),
        crate::trace::TraceFormat::Csv,
    )));
    sim.set_trace(Box::new(buf.clone()));
    sim.run();
    let mut links = Vec::new();
    sim.results().write_link_stats_csv(&mut links).unwrap();
    let links = String::from_utf8(links).unwrap();
    let mut lines = links.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("link,from,to,up,sent,delivered,dropped_queue_full,dropped_loss,dropped_link_down,dropped_cut,dropped_node_down,cut,bytes_sent"), "{header}");
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("0,a.p,b.p,true,3,2,1,0,0,0,0,false,300,200,")
    );
    let mut nodes = Vec::new();
    sim.results().write_node_stats_csv(&mut nodes).unwrap();
    assert!(
        String::from_utf8(nodes)
            .unwrap()
            .contains("\n1,b,0,0,2,200,0,0\n")
    );
    sim.take_trace();
    assert!(buf.borrow().error().is_none());
    let trace = String::from_utf8(buf.borrow().get_ref().clone()).unwrap();
    let rows: Vec<&str> = trace.lines().collect();
    // Nodes by number and name; a send and its delivery or drop share the message's id.
    assert_eq!(
        rows,
        [
            "time_ns,kind,msg,src,src_name,dst,dst_name,port,bytes,detail",
            "0,start,,0,a,0,a,,0,",
            "0,send,0#1,0,a,1,b,p,100,",
            "0,send,0#2,0,a,1,b,p,100,",
            "0,send,0#3,0,a,1,b,p,100,",
            "0,drop,0#3,0,a,1,b,p,100,queue_full",
            "0,start,,1,b,1,b,,0,",
            "1800000,deliver,0#1,0,a,1,b,p,100,",
            "2600000,deliver,0#2,0,a,1,b,p,100,",
        ]
    );
}

#[test]
fn drop_causes_have_stable_names() {
    assert_eq!(DropCause::QueueFull.as_str(), "queue_full");
    assert_eq!(DropCause::Loss.as_str(), "loss");
    assert_eq!(DropCause::LinkDown.as_str(), "link_down");
}

#[test]
fn event_payload_keeps_its_niche() {
    // The slab relies on Option<Event> costing nothing over Event (memory per pending event).
    assert_eq!(
        std::mem::size_of::<Option<Event>>(),
        std::mem::size_of::<Event>()
    );
    assert!(std::mem::size_of::<Event>() <= 48);
}

#[test]
fn a_rust_program_that_never_leaves_an_instant_is_stopped() {
    struct Spin;
    impl NodeProgram for Spin {
        fn on_start(&mut self, ctx: &mut Context) {
            ctx.set_timer(SimDuration::from_millis(3), 0);
        }
        fn on_timer(&mut self, ctx: &mut Context, _: u64) {
            ctx.set_timer(SimDuration::ZERO, 0);
        }
    }
    let mut sim = Simulation::new(1);
    let n = sim.add_node("spinner").unwrap();
    let w = sim.add_worker(n, Box::new(Spin));
    sim.set_max_activations_per_instant(500);
    assert_eq!(sim.run(), crate::RunStatus::Idle);
    assert_eq!(sim.worker_state(n, w), Some(WorkerState::Failed));
    let e: Vec<_> = sim
        .results()
        .worker_output(n, w)
        .map(|l| l.text.clone())
        .collect();
    assert_eq!(
        e,
        vec![
            "spinner/w0: activated 500 times at t = 3ms without time moving on (a loop of \
             zero-length waits?): stopped"
        ]
    );
}

#[test]
fn link_directions_have_names() {
    struct Burst(u32);
    impl NodeProgram for Burst {
        fn on_start(&mut self, ctx: &mut Context) {
            for _ in 0..self.0 {
                ctx.send(PortId(0), Message::bytes(vec![0; 10]));
            }
        }
    }
    let mut sim = Simulation::new(1);
    let a = sim.add_node("a").unwrap();
    let b = sim.add_node("b").unwrap();
    let l = sim
        .link(
            a,
            "p",
            b,
            "p",
            LinkParams::infinite_bandwidth(SimDuration::from_millis(1)),
        )
        .unwrap();
    sim.add_worker(a, Box::new(Burst(3)));
    sim.add_worker(b, Box::new(Burst(2)));
    sim.run();
    let link = sim.network().link(l).unwrap();
    assert_eq!(link.stats_forward().delivered, 3); // a → b
    assert_eq!(link.stats_backward().delivered, 2); // b → a
    assert_eq!(link.stats_total().delivered, 5);
    assert_eq!(link.stats_total().bytes_sent, 50);
    assert_eq!(link.stats_total().queue_delay_max, 0);
}

#[test]
fn rust_programs_record_values_that_reach_the_trace() {
    use crate::trace::{TraceFormat, WriterTrace};
    struct Counter;
    impl NodeProgram for Counter {
        fn on_start(&mut self, ctx: &mut Context) {
            ctx.record("started", true);
            ctx.set_timer(SimDuration::from_millis(4), 0);
        }
        fn on_timer(&mut self, ctx: &mut Context, _: u64) {
            ctx.record("rtt_ms", 4.5);
            ctx.record_after(SimDuration::from_millis(1), "late".into(), 1u64.into());
        }
    }
    let mut sim = Simulation::new(1);
    let n = sim.add_node("c").unwrap();
    sim.add_worker(n, Box::new(Counter));
    let buf = Rc::new(RefCell::new(WriterTrace::new(Vec::new(), TraceFormat::Csv)));
    sim.set_trace(Box::new(buf.clone()));
    sim.run();
    let names: Vec<(u64, &str)> = sim
        .results()
        .records()
        .iter()
        .map(|r| (r.time.as_nanos(), r.name.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![(0, "started"), (4_000_000, "rtt_ms"), (5_000_000, "late")]
    );
    assert_eq!(
        sim.results()
            .last_record(n, "rtt_ms")
            .and_then(|v| v.as_f64()),
        Some(4.5)
    );
    sim.take_trace();
    let text = String::from_utf8(buf.borrow().get_ref().clone()).unwrap();
    assert!(
        text.contains("\n4000000,record,,0,c,0,c,,0,rtt_ms=4.5\n"),
        "{text}"
    );
}

#[test]
fn a_delivered_message_carries_its_sender_and_send_time() {
    struct Sender;
    impl NodeProgram for Sender {
        fn on_start(&mut self, ctx: &mut Context) {
            ctx.set_timer(SimDuration::from_millis(3), 0);
        }
        fn on_timer(&mut self, ctx: &mut Context, _: u64) {
            ctx.send(PortId(0), Message::bytes(vec![0; 125]));
        }
    }
    struct Receiver;
    impl NodeProgram for Receiver {
        fn on_message(&mut self, ctx: &mut Context, _: Option<PortId>, msg: Message) {
            ctx.record("src", msg.src().0);
            ctx.record("sent_ns", msg.sent_at().as_nanos());
            ctx.record("took_ns", (ctx.now() - msg.sent_at()).as_nanos());
            ctx.record(
                "id",
                ctx.message_id().map(|m| m.to_string()).unwrap_or_default(),
            );
        }
    }
    let mut sim = Simulation::new(1);
    let a = sim.add_node("a").unwrap();
    let b = sim.add_node("b").unwrap();
    // 1 ms and 1 Mb/s: 125 bytes take 1 ms more.
    sim.link(
        a,
        "p",
        b,
        "p",
        LinkParams::new(SimDuration::from_millis(1), 1_000_000),
    )
    .unwrap();
    sim.add_worker(a, Box::new(Sender));
    sim.add_worker(b, Box::new(Receiver));
    sim.run();
    let rec = |name| sim.results().last_record(b, name).cloned();
    assert_eq!(rec("src"), Some(RecordValue::Int(i64::from(a.0))));
    assert_eq!(rec("sent_ns"), Some(RecordValue::Int(3_000_000)));
    assert_eq!(rec("took_ns"), Some(RecordValue::Int(2_000_000)));
    // The trace's id, as the send record's: node a's events 0 and 1 were its start and its
    // timer, the send is its event 2.
    assert_eq!(rec("id"), Some(RecordValue::Text("0#2".into())));
    // Stamping costs no room: a message stays 24 bytes, and every pending event within 48.
    assert_eq!(std::mem::size_of::<Message>(), 24);
}
