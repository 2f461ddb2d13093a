use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use super::*;
use crate::kernel::{Context, NodeProgram};
use crate::net::LinkParams;
use crate::testkit::linked_pair;

/// Logs the arrival time of every message; echoes on `p` when `echo`.
struct Recorder {
    echo: bool,
}

impl NodeProgram for Recorder {
    fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, msg: Message) {
        ctx.log(format!("{}", ctx.now().as_nanos()));
        if self.echo {
            if let Some(p) = port {
                ctx.send(p, msg);
            }
        }
    }
}

fn continue_(_: &mut Simulation) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

#[test]
fn events_wait_for_the_wall_clock() {
    let (mut sim, a, _, _) = linked_pair(
        1,
        LinkParams::new(SimDuration::from_millis(40), 1_000_000_000),
    );
    sim.add_worker(a, Box::new(Recorder { echo: false }));
    let b = crate::net::NodeId(1);
    sim.add_worker(b, Box::new(Recorder { echo: true }));
    let (mut rt, inj) = RealTime::new(Pacing::BestEffort);
    // Injected at once on b's port: b echoes it to a over the 40 ms link.
    inj.message(b, Some(PortId(0)), Message::bytes(vec![0; 10]))
        .unwrap();
    let t = Instant::now();
    let end = rt
        .run(&mut sim, Some(SimTime::from_millis(60)), continue_)
        .unwrap();
    let wall = t.elapsed();
    assert_eq!(end, RealTimeEnd::ReachedTime);
    assert!(
        wall >= Duration::from_millis(60),
        "ran ahead of the wall clock: {wall:?}"
    );
    assert!(wall < Duration::from_millis(2000), "{wall:?}");
    let arrivals: Vec<u64> = sim
        .results()
        .logs()
        .iter()
        .map(|l| l.text.parse().unwrap())
        .collect();
    assert_eq!(arrivals.len(), 2);
    // The echo takes exactly the link's latency plus serialization (80 ns) in virtual time.
    assert_eq!(arrivals[1] - arrivals[0], 40_000_080);
    assert_eq!(sim.now(), SimTime::from_millis(60));
}

#[test]
fn an_injection_arrives_at_its_wall_clock_time() {
    let mut sim = Simulation::new(1);
    let n = sim.add_node("n").unwrap();
    let p = sim.add_port(n, "in").unwrap();
    sim.add_worker(n, Box::new(Recorder { echo: false }));
    let (mut rt, inj) = RealTime::new(Pacing::BestEffort);
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        inj.message(n, Some(p), Message::bytes(vec![1])).unwrap();
        std::thread::sleep(Duration::from_millis(10));
        inj.stop().unwrap();
    });
    let end = rt.run(&mut sim, None, continue_).unwrap();
    sender.join().unwrap();
    assert_eq!(end, RealTimeEnd::Stopped);
    let at: u64 = sim.results().logs()[0].text.parse().unwrap();
    assert!(at >= 30_000_000, "arrived at {at} ns, before it was sent");
    assert!(at < 1_000_000_000, "arrived at {at} ns");
}

/// Takes 20 ms of wall time for every message, re-arming a 1 ms timer.
struct Slow;
impl NodeProgram for Slow {
    fn on_start(&mut self, ctx: &mut Context) {
        ctx.set_timer(SimDuration::from_millis(1), 0);
    }
    fn on_timer(&mut self, ctx: &mut Context, _: u64) {
        std::thread::sleep(Duration::from_millis(20));
        ctx.set_timer(SimDuration::from_millis(1), 0);
    }
}

#[test]
fn a_hard_limit_stops_a_run_that_falls_behind() {
    let mut sim = Simulation::new(1);
    let n = sim.add_node("n").unwrap();
    sim.add_worker(n, Box::new(Slow));
    let (mut rt, _inj) = RealTime::new(Pacing::HardLimit(Duration::from_millis(5)));
    let err = rt
        .run(&mut sim, Some(SimTime::from_secs(5)), continue_)
        .unwrap_err();
    let RealTimeError::Lagged { behind, limit, .. } = err else {
        panic!("{err}")
    };
    assert!(behind > limit);
    // Best effort runs the same program to the end, late.
    let mut sim = Simulation::new(1);
    let n = sim.add_node("n").unwrap();
    sim.add_worker(n, Box::new(Slow));
    let (mut rt, _inj) = RealTime::new(Pacing::BestEffort);
    let end = rt
        .run(&mut sim, Some(SimTime::from_millis(50)), continue_)
        .unwrap();
    assert_eq!(end, RealTimeEnd::ReachedTime);
}

#[test]
fn calls_change_the_simulation_between_events_and_bad_injections_are_errors() {
    let mut sim = Simulation::new(1);
    let n = sim.add_node("n").unwrap();
    let (mut rt, inj) = RealTime::new(Pacing::BestEffort);
    inj.call(move |sim| {
        sim.add_port(n, "late").unwrap();
    })
    .unwrap();
    inj.stop().unwrap();
    assert_eq!(
        rt.run(&mut sim, None, continue_).unwrap(),
        RealTimeEnd::Stopped
    );
    assert_eq!(sim.network().node(n).unwrap().ports().len(), 1);

    let (mut rt, inj) = RealTime::new(Pacing::BestEffort);
    inj.message(n, Some(PortId(7)), Message::bytes(vec![]))
        .unwrap();
    let err = rt.run(&mut sim, None, continue_).unwrap_err();
    assert_eq!(err, RealTimeError::BadInjection("no such port".into()));
    drop(inj);
}

#[test]
fn dropping_every_injector_ends_an_idle_run() {
    let mut sim = Simulation::new(1);
    sim.add_node("n").unwrap();
    let (mut rt, inj) = RealTime::new(Pacing::BestEffort);
    drop(inj);
    assert_eq!(
        rt.run(&mut sim, None, continue_).unwrap(),
        RealTimeEnd::Stopped
    );
}
