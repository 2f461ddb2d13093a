//! Real-time mode: virtual time paced to the wall clock, and an injector through which the
//! outside world (sockets, serial lines, other processes) reaches into a running simulation.
//!
//! [`RealTime::run`] runs a [`Simulation`] so that an event at virtual time `t` runs no earlier
//! than `t` after the run began on the wall clock. Between events it sleeps on the injector's
//! channel, so a message from outside enters the event queue at once, stamped with the virtual
//! time that corresponds to its arrival. Pacing is best effort (a run that falls behind catches
//! up as fast as it can) or a hard limit: falling behind by more than a set bound stops the run
//! with [`RealTimeError::Lagged`], as ns-3's `RealtimeSimulatorImpl` does in its hard-limit mode.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use vnet_sim::realtime::{Pacing, RealTime};
//! use vnet_sim::{Context, NodeProgram, SimDuration, SimTime, Simulation};
//!
//! struct Tick;
//! impl NodeProgram for Tick {
//!     fn on_start(&mut self, ctx: &mut Context) {
//!         ctx.set_timer(SimDuration::from_millis(20), 0);
//!     }
//! }
//! let mut sim = Simulation::new(1);
//! let n = sim.add_node("n").unwrap();
//! sim.add_worker(n, Box::new(Tick));
//! let (mut rt, _injector) = RealTime::new(Pacing::BestEffort);
//! let t = Instant::now();
//! rt.run(&mut sim, Some(SimTime::from_millis(30)), |_| std::ops::ControlFlow::Continue(()))
//!     .unwrap();
//! assert!(t.elapsed() >= Duration::from_millis(30));
//! ```

use std::ops::ControlFlow;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::kernel::{RunStatus, Simulation};
use crate::net::{Message, NodeId, PortId};
use crate::time::{SimDuration, SimTime};

/// How closely virtual time follows the wall clock.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Pacing {
    /// Never run ahead of the wall clock; when behind, catch up as fast as possible.
    BestEffort,
    /// As best effort, but an event that runs more than this late stops the run.
    HardLimit(Duration),
}

/// What an [`Injector`] hands to a running simulation.
pub enum Injection {
    /// A message for `node`, arriving on `port` (or direct, with `None`) now.
    Message {
        /// The receiving node.
        node: NodeId,
        /// The port it arrives on; `None` for a direct message.
        port: Option<PortId>,
        /// The message.
        msg: Message,
    },
    /// Any change to the simulation (a new port, a killed worker), made between two events.
    Call(Box<dyn FnOnce(&mut Simulation) + Send>),
    /// Ends the run.
    Stop,
}

/// The sending end of a real-time run's injection channel; cheap to clone, usable from any
/// thread. Sends fail once the run has ended.
#[derive(Clone)]
pub struct Injector(Sender<Injection>);

impl Injector {
    /// Hands `msg` to `node` on `port` at the current wall-clock instant.
    pub fn message(&self, node: NodeId, port: Option<PortId>, msg: Message) -> Result<(), Ended> {
        self.send(Injection::Message { node, port, msg })
    }

    /// Runs `f` on the simulation between two events.
    pub fn call(&self, f: impl FnOnce(&mut Simulation) + Send + 'static) -> Result<(), Ended> {
        self.send(Injection::Call(Box::new(f)))
    }

    /// Ends the run.
    pub fn stop(&self) -> Result<(), Ended> {
        self.send(Injection::Stop)
    }

    /// Sends any injection.
    pub fn send(&self, i: Injection) -> Result<(), Ended> {
        self.0.send(i).map_err(|_| Ended)
    }
}

/// The real-time run an [`Injector`] fed has ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the real-time run has ended")]
pub struct Ended;

/// Why a real-time run stopped early.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RealTimeError {
    /// Under [`Pacing::HardLimit`], an event ran later than the bound allows.
    #[error(
        "real-time run fell {behind:?} behind the wall clock at virtual time {at} (limit {limit:?})"
    )]
    Lagged {
        /// The virtual time of the late event.
        at: SimTime,
        /// How late it ran.
        behind: Duration,
        /// The bound.
        limit: Duration,
    },
    /// An injected message named a node or port the simulation does not have.
    #[error("injected message refused: {0}")]
    BadInjection(String),
}

/// How a real-time run ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RealTimeEnd {
    /// The requested end time was reached.
    ReachedTime,
    /// [`Injection::Stop`] arrived, or every injector was dropped with nothing left to run.
    Stopped,
    /// The `after_events` callback asked to stop.
    Callback,
    /// A program called [`crate::Context::stop`].
    ProgramStopped,
}

/// A real-time runner: the pacing and the receiving end of the injection channel.
pub struct RealTime {
    pacing: Pacing,
    rx: Receiver<Injection>,
    /// The wall-clock instant virtual time `origin` corresponds to (set when a run starts).
    start: Option<(Instant, SimTime)>,
}

impl RealTime {
    /// A runner and the injector that feeds it.
    pub fn new(pacing: Pacing) -> (RealTime, Injector) {
        let (tx, rx) = mpsc::channel();
        (
            RealTime {
                pacing,
                rx,
                start: None,
            },
            Injector(tx),
        )
    }

    /// Forgets where virtual time met the wall clock: the next [`run`](Self::run) paces from
    /// the simulation's time then, as if starting afresh (after a pause, so that the paused
    /// wall time is not caught up at full speed).
    pub fn rebase(&mut self) {
        self.start = None;
    }

    /// The virtual time that corresponds to the wall clock now.
    fn wall_now(&self) -> SimTime {
        match self.start {
            Some((wall, origin)) => {
                origin
                    + SimDuration::from_nanos(wall.elapsed().as_nanos().min(u64::MAX as u128) as u64)
            }
            None => SimTime::ZERO,
        }
    }

    /// Runs `sim` paced to the wall clock until `until` (virtual), a stop, or an error.
    /// `after_events` sees the simulation after every batch of events and injections (to
    /// forward output, check worker states) and may end the run.
    pub fn run(
        &mut self,
        sim: &mut Simulation,
        until: Option<SimTime>,
        mut after_events: impl FnMut(&mut Simulation) -> ControlFlow<()>,
    ) -> Result<RealTimeEnd, RealTimeError> {
        if self.start.is_none() {
            self.start = Some((Instant::now(), sim.now()));
        }
        let mut senders_gone = false;
        loop {
            // Everything already due, each event no earlier than its time.
            let now = self.wall_now();
            let mut ran = false;
            while let Some(t) = sim.next_event_time() {
                if t > now || until.is_some_and(|u| t > u) {
                    break;
                }
                if let Pacing::HardLimit(limit) = self.pacing {
                    let behind = Duration::from_nanos((self.wall_now() - t).as_nanos());
                    if behind > limit {
                        return Err(RealTimeError::Lagged {
                            at: t,
                            behind,
                            limit,
                        });
                    }
                }
                ran = true;
                if sim.run_until(t) == RunStatus::Stopped {
                    return Ok(RealTimeEnd::ProgramStopped);
                }
            }
            if ran && after_events(sim).is_break() {
                return Ok(RealTimeEnd::Callback);
            }
            if let Some(u) = until {
                if self.wall_now() >= u && sim.next_event_time().is_none_or(|t| t > u) {
                    sim.run_until(u);
                    return Ok(RealTimeEnd::ReachedTime);
                }
            }
            // Sleep until the next event (or the end), waking for injections.
            let next = match (sim.next_event_time(), until) {
                (Some(t), Some(u)) => Some(t.min(u)),
                (t, u) => t.or(u),
            };
            let wait = next
                .map(|t| Duration::from_nanos((t.saturating_since(self.wall_now())).as_nanos()));
            if senders_gone {
                match wait {
                    Some(w) => std::thread::sleep(w),
                    None => return Ok(RealTimeEnd::Stopped),
                }
                continue;
            }
            let got = match wait {
                Some(w) => self.rx.recv_timeout(w),
                None => self.rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match got {
                Ok(i) => {
                    if self.apply(sim, i)? {
                        return Ok(RealTimeEnd::Stopped);
                    }
                    // Whatever else arrived meanwhile, in order.
                    while let Ok(i) = self.rx.try_recv() {
                        if self.apply(sim, i)? {
                            return Ok(RealTimeEnd::Stopped);
                        }
                    }
                    if after_events(sim).is_break() {
                        return Ok(RealTimeEnd::Callback);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => senders_gone = true,
            }
        }
    }

    /// Applies one injection; `true` for [`Injection::Stop`].
    fn apply(&self, sim: &mut Simulation, i: Injection) -> Result<bool, RealTimeError> {
        match i {
            Injection::Message { node, port, msg } => {
                let at = self.wall_now();
                sim.inject(at, node, port, msg)
                    .map_err(|e| RealTimeError::BadInjection(e.to_string()))?;
            }
            Injection::Call(f) => f(sim),
            Injection::Stop => return Ok(true),
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests;
