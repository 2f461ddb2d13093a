//! Sensors on the simulation's nodes: attaching them, placing nodes, and the triggered reads
//! (see [`crate::sense`]).

use std::cell::RefCell;
use std::rc::Rc;

use sensors::{Sensor, Trigger, TriggerState};

use super::Simulation;
use super::state::{Event, Kernel};
use crate::net::{Message, NetError, NodeId, PortId};
use crate::rng::{StreamKind, stream};
use crate::sense::{Attached, SensorBank, SensorId, SharedBank};
use crate::time::SimTime;
use crate::trace::TraceKind;

/// Why a sensor could not be attached.
#[derive(Debug, thiserror::Error)]
pub enum SensorSetupError {
    /// No such node.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The node already has a sensor of that name.
    #[error("node `{node}` already has a sensor `{name}`")]
    Duplicate {
        /// The node.
        node: String,
        /// The sensor.
        name: String,
    },
    /// The trigger is invalid, or has no port to report on.
    #[error("sensor `{name}`: {source}")]
    Invalid {
        /// The sensor.
        name: String,
        /// What is wrong.
        source: sensors::SensorError,
    },
}

impl Kernel {
    /// Schedules the `k`-th triggered read of `sensor` on `node`, keyed as the kernel's own
    /// (after the node's events of that instant) but numbered by node and sensor rather than
    /// by the kernel's count: a parallel run, where only the node's part reads its sensors,
    /// then keys it alike.
    pub(super) fn schedule_sample(&mut self, at: SimTime, node: NodeId, sensor: SensorId, k: u64) {
        let seq = 1 << 39 | (node.0 as u64) << 15 | (sensor.0 as u64 & 0x7fff);
        let key = crate::queue::EventKey::new(at.max(self.now), crate::queue::MAX_SOURCE, seq);
        self.queue.push(key, Event::Sample { node, sensor, k });
    }
}

impl Simulation {
    /// Places `node` at `pos` (spatial fields read it).
    pub fn set_position(&mut self, node: NodeId, pos: [f64; 2]) -> Result<(), NetError> {
        self.k.net.set_position(node, pos)?;
        if let Some(bank) = self
            .k
            .extras
            .get(node.0 as usize)
            .and_then(|e| e.sensors.as_ref())
        {
            bank.borrow_mut().set_pos(pos);
        }
        Ok(())
    }

    /// Attaches `sensor`, called `name`, to `node`. A `trigger` other than
    /// [`Trigger::OnDemand`] reads it at its instants from now on and delivers each reported
    /// reading to `port` as a message carrying the number.
    ///
    /// ```
    /// use sensors::{Sensor, SensorModel, Signal, Trigger};
    /// use vnet_sim::{Context, Message, NodeProgram, PortId, Simulation};
    ///
    /// struct Logger;
    /// impl NodeProgram for Logger {
    ///     fn on_message(&mut self, ctx: &mut Context, _: Option<PortId>, m: Message) {
    ///         ctx.log(format!("{} {}", ctx.now(), m.as_value().unwrap()));
    ///     }
    /// }
    /// let mut sim = Simulation::new(1);
    /// let n = sim.add_node("n").unwrap();
    /// let port = sim.add_port(n, "temp").unwrap();
    /// let ramp = Sensor::new(Signal::from_fn(|t, _| t), SensorModel::default()).unwrap();
    /// let every = Trigger::Periodic { period_ms: 500.0, offset_ms: 0.0, until_ms: Some(1000.0) };
    /// sim.add_sensor(n, "clock", ramp, every, Some(port)).unwrap();
    /// sim.add_worker(n, Box::new(Logger));
    /// sim.run();
    /// let lines: Vec<_> = sim.results().logs().iter().map(|l| l.text.as_str()).collect();
    /// assert_eq!(lines, ["0s 0.0", "500ms 0.5", "1s 1.0"]);
    /// ```
    pub fn add_sensor(
        &mut self,
        node: NodeId,
        name: &str,
        sensor: Sensor,
        trigger: Trigger,
        port: Option<PortId>,
    ) -> Result<SensorId, SensorSetupError> {
        let invalid = |source| SensorSetupError::Invalid {
            name: name.to_owned(),
            source,
        };
        let n = self.k.net.node(node).ok_or(NetError::NoSuch("node"))?;
        trigger.validate().map_err(invalid)?;
        if trigger != Trigger::OnDemand && port.is_none() {
            return Err(invalid(sensors::SensorError::Invalid {
                field: "port".into(),
                message: "a sensor with a trigger needs a port to report on".into(),
            }));
        }
        if port.is_some_and(|p| p.0 as usize >= n.ports().len()) {
            return Err(NetError::NoSuch("port").into());
        }
        let (node_name, pos) = (n.name().to_owned(), self.k.net.position(node));
        let extras = self.k.extras.entry(node.0 as usize);
        let bank = extras.sensors.get_or_insert_with(|| {
            let mut b = SensorBank::new(&node_name);
            b.set_pos(pos.unwrap_or([0.0, 0.0]));
            Rc::new(RefCell::new(b))
        });
        let mut b = bank.borrow_mut();
        if b.id(name).is_some() {
            return Err(SensorSetupError::Duplicate {
                node: node_name,
                name: name.to_owned(),
            });
        }
        let id =
            SensorId(u16::try_from(b.sensors.len()).map_err(|_| NetError::TooMany("sensors"))?);
        // A reading's event key has 15 bits for the sensor (see `Kernel::schedule_sample`).
        if id.0 >= 1 << 15 {
            return Err(NetError::TooMany("sensors").into());
        }
        let rng = stream(
            self.k.seed,
            StreamKind::Sensor,
            (node.0 as u64) << 16 | id.0 as u64,
        );
        b.sensors.push(Attached {
            name: name.to_owned(),
            sensor,
            trigger,
            state: TriggerState::default(),
            port,
            rng,
        });
        // The first instant not in the past.
        let now = self.k.now;
        let first = (0..).find_map(|k| match b.check_time(id, k) {
            None => Some(None),
            Some(t) if t >= now => Some(Some((k, t))),
            Some(_) => None,
        });
        drop(b);
        if let Some(Some((k, at))) = first {
            self.k.schedule_sample(at, node, id, k);
        }
        Ok(id)
    }

    /// The sensors of `node`, if it has any.
    pub fn sensors(&self, node: NodeId) -> Option<SharedBank> {
        self.k.extras.get(node.0 as usize)?.sensors.clone()
    }

    /// The `k`-th triggered read of `sensor` on `node`: report it, and schedule the next.
    pub(super) fn sample(&mut self, node: NodeId, sensor: SensorId, k: u64) {
        let Some(bank) = self
            .k
            .extras
            .get(node.0 as usize)
            .and_then(|e| e.sensors.clone())
        else {
            return;
        };
        let now = self.k.now;
        let report = bank.borrow_mut().triggered(sensor, now);
        if let Some(at) = bank.borrow().check_time(sensor, k + 1) {
            self.k.schedule_sample(at, node, sensor, k + 1);
        }
        if let Some((port, v)) = report {
            let name = bank.borrow().name(sensor).unwrap_or("").to_owned();
            let mut msg = Message::value(serde_json::Value::from(v));
            // The reading rides as the record's payload (observers plot it; hashes skip it).
            self.k.trace_message(
                TraceKind::Sample,
                None,
                node,
                node,
                port,
                0,
                &name,
                Some(&msg),
            );
            self.k.stamp(node, &mut msg);
            self.deliver(node, Some(port), None, msg);
        }
    }
}

#[cfg(test)]
mod tests {
    use sensors::{Direction, Sensor, SensorModel, Signal, Trigger};

    use crate::{Context, Message, NodeProgram, PortId, SimTime, Simulation};

    /// Logs every reading it receives, and reads `temp` itself at start.
    struct Logger;
    impl NodeProgram for Logger {
        fn on_start(&mut self, ctx: &mut Context) {
            let r = ctx.sensor("noisy");
            ctx.log(format!("start {r:?}"));
            let e = ctx.sensor("nope").unwrap_err();
            ctx.log(e.to_string());
        }
        fn on_message(&mut self, ctx: &mut Context, _: Option<PortId>, m: Message) {
            ctx.log(format!("{} {}", ctx.now(), m.as_value().unwrap()));
        }
    }

    fn ramp() -> Sensor {
        Sensor::new(Signal::from_fn(|t, _| t), SensorModel::default()).unwrap()
    }

    fn run(trigger: Trigger, seed: u64) -> Vec<String> {
        let mut sim = Simulation::new(seed);
        let n = sim.add_node("n").unwrap();
        let p = sim.add_port(n, "s").unwrap();
        sim.add_sensor(n, "ramp", ramp(), trigger, Some(p)).unwrap();
        let noisy = SensorModel {
            noise_sigma: 1.0,
            ..Default::default()
        };
        let s = Sensor::new(Signal::constant(0.0), noisy).unwrap();
        sim.add_sensor(n, "noisy", s, Trigger::OnDemand, None)
            .unwrap();
        sim.add_worker(n, Box::new(Logger));
        sim.run_until(SimTime::from_secs(3));
        sim.results()
            .logs()
            .iter()
            .map(|l| l.text.clone())
            .collect()
    }

    #[test]
    fn a_threshold_reports_the_first_check_at_or_past_its_level() {
        let t = Trigger::Threshold {
            level: 2.5,
            direction: Direction::Rising,
            check_ms: 100.0,
        };
        let logs = run(t, 1);
        assert_eq!(logs[1], "sensor: node `n` has no sensor `nope`");
        assert_eq!(&logs[2..], ["2500ms 2.5"]);
    }

    #[test]
    fn a_change_trigger_reports_each_move_of_delta() {
        let t = Trigger::Change {
            delta: 1.0,
            check_ms: 250.0,
        };
        assert_eq!(&run(t, 1)[2..], ["0s 0.0", "1s 1.0", "2s 2.0", "3s 3.0"]);
    }

    #[test]
    fn readings_on_demand_come_from_the_sensor_s_seeded_stream() {
        let t = Trigger::OnDemand;
        let a = run(t.clone(), 5);
        assert_eq!(a, run(t.clone(), 5));
        assert_ne!(a[0], run(t, 6)[0]);
        assert!(a[0].starts_with("start Ok(Some("), "{}", a[0]);
    }

    #[test]
    fn bad_attachments_are_refused() {
        let mut sim = Simulation::new(1);
        let n = sim.add_node("n").unwrap();
        let every = Trigger::Periodic {
            period_ms: 1.0,
            offset_ms: 0.0,
            until_ms: None,
        };
        let e = sim.add_sensor(n, "a", ramp(), every, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sensor `a`: `port`: a sensor with a trigger needs a port to report on"
        );
        sim.add_sensor(n, "a", ramp(), Trigger::OnDemand, None)
            .unwrap();
        let e = sim
            .add_sensor(n, "a", ramp(), Trigger::OnDemand, None)
            .unwrap_err();
        assert_eq!(e.to_string(), "node `n` already has a sensor `a`");
        let bad = Trigger::Periodic {
            period_ms: -1.0,
            offset_ms: 0.0,
            until_ms: None,
        };
        assert!(
            sim.add_sensor(n, "b", ramp(), bad, Some(PortId(0)))
                .is_err()
        );
    }
}
