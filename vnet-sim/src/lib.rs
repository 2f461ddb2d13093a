//! # vnet-sim — the vnet kernel
//!
//! Integer virtual time, a DES event queue, the network graph (nodes, named ports that multiplex
//! like VNetOS's CMUX, links with latency, bandwidth, queues, jitter and loss), node programs
//! behind one trait, topology builders, the JSON network file, traces and statistics.
//!
//! Layers, bottom up — each knows nothing of the ones above it:
//! - [`time`] and [`queue`]: virtual time and the event queue.
//! - [`rng`]: seeded random streams.
//! - [`net`]: nodes, ports, links, messages, counters.
//! - [`trace`]: trace records and sinks; [`capture`]: a sink writing pcap files.
//! - [`kernel`]: the event loop, [`Simulation`], [`Context`], [`NodeProgram`].
//! - [`devices`]: network devices as node programs (the serial-line switch of an ESP32 cluster).
//! - [`realtime`]: virtual time paced to the wall clock, and an injector for the outside world.
//! - [`topology`] and [`netfile`]: building networks from shapes and from JSON files.
//!
//! Start reading at [`Simulation`].

#![warn(missing_docs)]

pub mod agents;
pub mod capture;
pub mod devices;
pub mod faults;
pub mod kernel;
pub mod montecarlo;
pub mod net;
pub mod netfile;
pub mod parallel;
pub mod queue;
pub mod realtime;
pub mod rng;
pub mod sense;
pub mod time;
pub mod topology;
pub mod trace;
pub mod units;
pub mod vm;

#[cfg(test)]
mod testkit;

// Tests meter JavaScript workers' heaps, as a binary using vnet should.
#[cfg(test)]
#[global_allocator]
static ALLOC: vm::MeteredAlloc = vm::MeteredAlloc;

pub use kernel::{
    Context, LogLine, LogStream, NodeProgram, NotRecordable, Record, RecordValue, Results,
    RunStatus, SendReport, Simulation, TimerId, WorkerId, WorkerState,
};
pub use net::{
    DropCause, Endpoint, Jitter, LinkId, LinkParams, LinkParamsError, Message, Network, NodeId,
    Payload, PortId, Rounding, SerialLine,
};
pub use time::{SimDuration, SimTime};
