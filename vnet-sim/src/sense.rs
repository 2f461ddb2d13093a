//! Sensors on nodes: the kernel's side of the [`sensors`] crate.
//!
//! Each node may carry a [`SensorBank`]: its sensors by name, each with its own random stream
//! (derived from the master seed, the node and the sensor's index) and its trigger. A trigger
//! makes the kernel read the sensor at exact virtual instants and deliver a reported reading
//! to the sensor's port as a message carrying the number; programs also read sensors on demand
//! ([`Context::sensor`](crate::Context::sensor), `sensor(name)` in Lua and JavaScript). Both
//! kinds of read draw from the same stream, in the order they happen.

use std::cell::RefCell;
use std::rc::Rc;

use sensors::{Pos, Sensor, Trigger, TriggerState};

use crate::net::PortId;
use crate::rng::SimRng;
use crate::time::SimTime;

/// A sensor's index on its node.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SensorId(pub u16);

/// Reading a sensor that is not there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("sensor: node `{node}` has no sensor `{name}`")]
pub struct NoSuchSensor {
    /// The node's name.
    pub node: String,
    /// The name asked for.
    pub name: String,
}

pub(crate) struct Attached {
    pub name: String,
    pub sensor: Sensor,
    pub trigger: Trigger,
    pub state: TriggerState,
    pub port: Option<PortId>,
    pub rng: SimRng,
}

/// A node's sensors. Shared between the kernel (triggered reads) and the node's VM workers
/// (reads on demand), never used by both at once.
pub struct SensorBank {
    node: String,
    pos: Pos,
    pub(crate) sensors: Vec<Attached>,
}

impl std::fmt::Debug for SensorBank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SensorBank")
            .field("node", &self.node)
            .field("sensors", &self.names().collect::<Vec<_>>())
            .finish()
    }
}

/// A bank as the kernel and VM workers hold it.
pub type SharedBank = Rc<RefCell<SensorBank>>;

impl SensorBank {
    pub(crate) fn new(node: &str) -> Self {
        SensorBank {
            node: node.to_owned(),
            pos: [0.0, 0.0],
            sensors: Vec::new(),
        }
    }

    pub(crate) fn set_pos(&mut self, pos: Pos) {
        self.pos = pos;
    }

    /// The names of the sensors, in [`SensorId`] order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sensors.iter().map(|s| s.name.as_str())
    }

    /// The id of the sensor called `name`.
    pub fn id(&self, name: &str) -> Option<SensorId> {
        self.sensors
            .iter()
            .position(|s| s.name == name)
            .map(|i| SensorId(i as u16))
    }

    /// Reads the sensor called `name` at `now`: the reading, or `None` if it dropped out.
    pub fn read(&mut self, name: &str, now: SimTime) -> Result<Option<f64>, NoSuchSensor> {
        let pos = self.pos;
        let s = self
            .sensors
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| NoSuchSensor {
                node: self.node.clone(),
                name: name.to_owned(),
            })?;
        Ok(s.sensor.read(seconds(now), pos, &mut s.rng))
    }

    /// What a perfect sensor would read at `now` (for scoring estimates).
    pub fn truth(&self, id: SensorId, now: SimTime) -> Option<f64> {
        let s = self.sensors.get(id.0 as usize)?;
        Some(s.sensor.truth(seconds(now), self.pos))
    }

    /// A triggered read of sensor `id`: the reading and port, if the trigger reports it.
    pub(crate) fn triggered(&mut self, id: SensorId, now: SimTime) -> Option<(PortId, f64)> {
        let pos = self.pos;
        let s = self.sensors.get_mut(id.0 as usize)?;
        let reading = s.sensor.read(seconds(now), pos, &mut s.rng);
        let fires = s.state.fires(&s.trigger, reading);
        match (fires, s.port, reading) {
            (true, Some(port), Some(v)) => Some((port, v)),
            _ => None,
        }
    }

    /// The `k`-th instant sensor `id` is read at, if any.
    pub(crate) fn check_time(&self, id: SensorId, k: u64) -> Option<SimTime> {
        let s = self.sensors.get(id.0 as usize)?;
        s.trigger.check_time(k).map(SimTime::from_nanos)
    }

    /// The sensor's name.
    pub fn name(&self, id: SensorId) -> Option<&str> {
        self.sensors.get(id.0 as usize).map(|s| s.name.as_str())
    }
}

fn seconds(t: SimTime) -> f64 {
    t.as_nanos() as f64 / 1e9
}
