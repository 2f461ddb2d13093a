use std::cell::RefCell;
use std::rc::Rc;

use serde_json::json;

use super::*;
use crate::kernel::{Context, NodeProgram, Simulation};
use crate::net::{LinkParams, Message, PortId, SerialLine};
use crate::time::{SimDuration, SimTime};

/// Sends `frames` (destination, padding bytes) at start; logs arrival times of what it gets.
struct Device {
    frames: Vec<(usize, usize)>,
    got: Rc<RefCell<Vec<(SimTime, u64)>>>,
}

impl NodeProgram for Device {
    fn on_start(&mut self, ctx: &mut Context) {
        for (k, &(to, pad)) in self.frames.iter().enumerate() {
            ctx.send(
                PortId(0),
                Message::value(json!({"to": to, "k": k, "pad": "x".repeat(pad)})),
            );
        }
    }
    fn on_message(&mut self, ctx: &mut Context, _: Option<PortId>, msg: Message) {
        let k = msg
            .as_value()
            .and_then(|v| v["k"].as_u64())
            .unwrap_or(u64::MAX);
        self.got.borrow_mut().push((ctx.now(), k));
    }
}

type Log = Rc<RefCell<Vec<(SimTime, u64)>>>;

fn cluster(
    config: SwitchConfig,
    frames: Vec<Vec<(usize, usize)>>,
) -> (Simulation, Cluster, Vec<Log>) {
    let mut sim = Simulation::new(1);
    let names: Vec<String> = (0..frames.len()).map(|i| format!("d{i}")).collect();
    let c = UartSwitch::build(&mut sim, "sw", &names, config).unwrap();
    let mut logs = Vec::new();
    for (d, f) in c.devices.iter().zip(frames) {
        let got = Log::default();
        sim.add_worker(
            *d,
            Box::new(Device {
                frames: f,
                got: got.clone(),
            }),
        );
        logs.push(got);
    }
    (sim, c, logs)
}

fn stats(sim: &mut Simulation, c: &Cluster) -> SwitchStats {
    sim.program_mut(c.switch, crate::kernel::WorkerId(0))
        .and_then(|p| p.as_any_mut())
        .and_then(|a| a.downcast_mut::<UartSwitch>())
        .unwrap()
        .stats()
        .clone()
}

/// The JSON size of a frame with `pad` padding bytes (k < 10).
fn size(pad: usize) -> u64 {
    json!({"to": 1, "k": 0, "pad": "x".repeat(pad)})
        .to_string()
        .len() as u64
}

#[test]
fn a_frame_crosses_the_switch_in_exactly_two_serialisations_plus_the_latency() {
    let config = SwitchConfig::esp32(Interconnect::complete(2));
    let (mut sim, _, logs) = cluster(config, vec![vec![(1, 88)], vec![]]);
    sim.run();
    let s = size(88); // 111 bytes of JSON + 11 of framing = 122, 61 per lane, 610 bits: 122 µs
    assert_eq!(s, 111);
    let wire = 122_000;
    assert_eq!(
        logs[1].borrow()[0].0,
        SimTime::from_nanos(wire + 1_000 + wire)
    );
    // One lane takes twice as long per hop.
    let mut one = SwitchConfig::esp32(Interconnect::complete(2));
    one.line.lanes = 1;
    let (mut sim, _, logs) = cluster(one, vec![vec![(1, 88)], vec![]]);
    sim.run();
    assert_eq!(
        logs[1].borrow()[0].0,
        SimTime::from_nanos(2 * wire + 1_000 + 2 * wire)
    );
}

#[test]
fn the_interconnect_decides_who_reaches_whom() {
    let config = SwitchConfig::esp32(Interconnect::ring(4));
    // Device 0 to 1 (neighbours), to 2 (not), and a frame without a destination.
    let (mut sim, c, logs) = cluster(config, vec![vec![(1, 0), (2, 0)], vec![], vec![], vec![]]);
    sim.run();
    assert_eq!(logs[1].borrow().len(), 1);
    assert_eq!(logs[2].borrow().len(), 0);
    let st = stats(&mut sim, &c);
    assert_eq!((st.forwarded, st.dropped_no_route), (1, 1));
}

#[test]
fn a_full_output_drops_or_holds_by_policy() {
    // Three devices each send 10 frames to device 0: 30 frames converge on one output.
    let frames = |_| (0..10).map(|_| (0usize, 100usize)).collect::<Vec<_>>();
    let all = vec![vec![], frames(()), frames(()), frames(())];
    let mut config = SwitchConfig::esp32(Interconnect::star(4, 0));
    config.queue_capacity = 4;
    let (mut sim, c, logs) = cluster(config.clone(), all.clone());
    sim.run();
    let st = stats(&mut sim, &c);
    let got = logs[0].borrow().len() as u64;
    assert!(st.dropped_full > 0, "{st:?}");
    assert_eq!(got + st.dropped_full, 30);
    assert!(st.max_occupancy <= 5);

    config.policy = QueuePolicy::Backpressure;
    let (mut sim, c, logs) = cluster(config, all);
    sim.run();
    let st = stats(&mut sim, &c);
    assert_eq!(
        logs[0].borrow().len(),
        30,
        "{st:?} pending={}",
        sim.pending_events()
    );
    assert_eq!(st.dropped_full, 0);
    assert!(st.held > 0);
    assert!(st.max_occupancy <= 5, "{st:?}");
    // The output never idles while frames wait: 30 frames back to back on one link.
    let per = LinkParams::new(SimDuration::ZERO, 5_000_000)
        .with_serial(SerialLine::uart_8n1(2, FRAME_OVERHEAD))
        .serialization(size(100) as u32);
    let last = logs[0].borrow().iter().map(|x| x.0).max().unwrap();
    let first = logs[0].borrow().iter().map(|x| x.0).min().unwrap();
    assert_eq!(last - first, SimDuration::from_nanos(per.as_nanos() * 29));
}
