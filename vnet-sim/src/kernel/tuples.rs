//! The node's tuple space from a program's [`Context`] ([`crate::agents`] states its rules).

use serde_json::Value;

use super::WorkerId;
use super::context::Context;
use super::state::{Event, Kernel};
use crate::agents::{SharedSpace, TupleError, TupleSpace};
use crate::net::NodeId;
use crate::time::SimDuration;

impl Kernel {
    /// The node's tuple space, made on first use.
    pub(super) fn tuple_space(&mut self, node: NodeId) -> SharedSpace {
        self.extras
            .entry(node.0 as usize)
            .tuples
            .get_or_insert_with(Default::default)
            .clone()
    }
}

impl Context<'_> {
    /// This node's tuple space, for reading and taking without blocking (a Rust program that
    /// wants to wait for a tuple polls with a timer).
    pub fn tuples(&mut self) -> std::cell::RefMut<'_, TupleSpace> {
        // VMs borrow the space only during their own activation, never across a callback.
        self.k
            .extras
            .entry(self.node.0 as usize)
            .tuples
            .get_or_insert_with(Default::default)
            .borrow_mut()
    }

    /// Puts `tuple` (a non-empty array) into this node's tuple space for `lifetime` (for ever
    /// if `None`), waking the workers waiting for it.
    ///
    /// ```
    /// use serde_json::json;
    /// use vnet_sim::{Context, NodeProgram, Simulation};
    /// use vnet_sim::agents::any;
    /// struct Sensor;
    /// impl NodeProgram for Sensor {
    ///     fn on_start(&mut self, ctx: &mut Context) {
    ///         ctx.out(json!(["temp", 21.5]), None).unwrap();
    ///         let now = ctx.now();
    ///         let t = ctx.tuples().find(now, &[json!("temp"), any()], false);
    ///         assert_eq!(t, Some(vec![json!("temp"), json!(21.5)]));
    ///     }
    /// }
    /// let mut sim = Simulation::new(1);
    /// let n = sim.add_node("n").unwrap();
    /// sim.add_worker(n, Box::new(Sensor));
    /// sim.run();
    /// ```
    pub fn out(&mut self, tuple: Value, lifetime: Option<SimDuration>) -> Result<(), TupleError> {
        let tuple = TupleSpace::tuple_of("out", tuple)?;
        let now = self.now();
        let space = self.shared_tuples();
        let woken = space
            .borrow_mut()
            .out(now, tuple, lifetime.map(|d| now + d))?;
        for (worker, tag) in woken {
            self.wake_worker(WorkerId(worker), tag);
        }
        Ok(())
    }

    /// This node's tuple space as VM workers share it during an activation.
    pub(crate) fn shared_tuples(&mut self) -> SharedSpace {
        self.k.tuple_space(self.node)
    }

    /// Fires timer `tag` of `worker` of this node now (waking a worker blocked on the space).
    pub(crate) fn wake_worker(&mut self, worker: WorkerId, tag: u64) {
        let now = self.now();
        let node = self.node;
        self.k
            .schedule(node, now, Event::Timer { node, worker, tag });
    }
}
