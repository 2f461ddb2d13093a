//! The node-program interface: what a worker on a node implements, in Rust today and for the
//! Lua and JavaScript VMs later (they sit behind this same trait).

use super::Context;
use crate::net::{Message, PortId};
use crate::queue::EventId;

/// A worker on a node, by index among that node's workers (never reused while the run lasts).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct WorkerId(pub u32);

/// A pending timer, for [`Context::cancel_timer`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimerId(pub(crate) EventId);

/// The life of a worker.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WorkerState {
    /// Created but not started yet (its VM is booting): receives nothing until it starts.
    Starting,
    /// Receives messages and timers.
    Running,
    /// Alive but blocked (a VM worker inside `recv` or `sleep`); receives messages and timers.
    Waiting,
    /// Left by itself ([`Context::exit`]).
    Finished,
    /// Ended by a program ([`Context::kill`]) or by the simulation.
    Killed,
    /// Stopped by an error (used by the VM workers).
    Failed,
    /// Its node crashed (see [`crate::faults`]); a restart starts a fresh worker.
    Crashed,
}

impl WorkerState {
    /// Running or waiting: the worker still gets messages and timers.
    #[inline]
    pub fn is_alive(self) -> bool {
        matches!(self, WorkerState::Running | WorkerState::Waiting)
    }
}

/// A program running as a worker on a node. Every method has a default that does nothing, so a
/// program implements only what it reacts to.
///
/// ```
/// use vnet_sim::{Context, Message, NodeProgram, PortId};
///
/// /// Sends every message it gets back out of the port it came in on.
/// struct Echo;
/// impl NodeProgram for Echo {
///     fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, msg: Message) {
///         if let Some(p) = port {
///             ctx.send(p, msg);
///         }
///     }
/// }
/// ```
pub trait NodeProgram {
    /// Called once when the worker starts (at time 0 for workers added before the run).
    fn on_start(&mut self, _ctx: &mut Context) {}
    /// A message arrived: on `port` from a link or a sibling worker, or directly
    /// (`port == None`) from [`Context::send_to`].
    fn on_message(&mut self, _ctx: &mut Context, _port: Option<PortId>, _msg: Message) {}
    /// A timer set with [`Context::set_timer`] fired; `tag` is the value given then.
    fn on_timer(&mut self, _ctx: &mut Context, _tag: u64) {}
    /// The program as [`Any`](std::any::Any), for an owner that knows its concrete type (a
    /// real-time node reaching a `VmProgram` through [`Simulation::program_mut`](crate::Simulation::program_mut)).
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }
}

/// Any closure `FnMut(&mut Context, Option<PortId>, Message)` is a message-only program.
impl<F: FnMut(&mut Context, Option<PortId>, Message)> NodeProgram for F {
    fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, msg: Message) {
        self(ctx, port, msg)
    }
}
