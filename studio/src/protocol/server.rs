//! What the studio tells browsers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Messages a batch carries in full; beyond, it carries a sample of about this many.
pub const MAX_MESSAGES_PER_BATCH: usize = 500;
/// Record values and sensor readings a batch carries in full; beyond, a sample.
pub const MAX_POINTS_PER_BATCH: usize = 2000;

/// One line a worker wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Virtual time, ns.
    pub t_ns: u64,
    /// The node's name.
    pub node: String,
    /// The worker's index in the node's `workers`; null for the node's Rust `program`.
    pub worker: Option<u32>,
    /// Standard error (true) or output.
    pub err: bool,
    /// The line.
    pub text: String,
}

/// A message seen on a link: sent, delivered or dropped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageEvent {
    /// Virtual time, ns.
    pub t_ns: u64,
    /// `send`, `deliver` or `drop`.
    pub kind: String,
    /// The trace id (`node#seq`) pairing a send with its delivery or drop.
    pub id: String,
    /// Sending node.
    pub src: String,
    /// Receiving node.
    pub dst: String,
    /// Bytes.
    pub bytes: u32,
    /// The drop's cause, else empty.
    pub detail: String,
    /// On sends: the message's value as JSON text (bytes as an array), cut at 256 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A number over time: a value a worker recorded, or a sensor's reading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Virtual time, ns.
    pub t_ns: u64,
    /// The node's name.
    pub node: String,
    /// The record's or the sensor's name.
    pub name: String,
    /// The value.
    pub value: f64,
}

/// A worker that ended, or started again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkerStatus {
    /// The node's name.
    pub node: String,
    /// The worker's index in the node's `workers`.
    pub worker: u32,
    /// `running` (also when waiting or booting), `finished`, `killed` or `failed`.
    pub state: String,
}

/// What faults have done to the network now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultView {
    /// Nodes that are down (crashed, or booting again), by name.
    pub down: Vec<String>,
    /// Links, by index in the network's `links`, with a direction cut.
    pub cut: Vec<u32>,
}

/// A mobile agent and the node it is on now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentPlace {
    /// The agent's id (`n0.3`).
    pub id: String,
    /// Its class.
    pub class: String,
    /// The node it is on.
    pub node: String,
}

/// The virtual clock and progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clock {
    /// Virtual time, ns.
    pub t_ns: u64,
    /// Events run since the last reset.
    pub events: u64,
    /// Whether it is running.
    pub running: bool,
    /// The master seed.
    pub seed: u64,
    /// Whether events are left.
    pub idle: bool,
}

/// What the studio tells browsers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// On connecting, after a reset and after every edit of the network: the network, where to
    /// draw each node, the clock, and the workers that are not running.
    Hello {
        /// The network file, expanded (`NetworkFile` as JSON); workers whose code is in a
        /// file keep their `path`, and `sources` holds the text.
        network: Value,
        /// The text of every program file the network names, by `path`.
        sources: BTreeMap<String, String>,
        /// Each node's drawing position, in the unit square, in node order.
        positions: Vec<[f64; 2]>,
        /// The clock.
        clock: Clock,
        /// The file the studio saves to, if any.
        file: Option<String>,
        /// Workers that are not running.
        workers: Vec<WorkerStatus>,
        /// Nodes down and links cut.
        faults: FaultView,
        /// Where the mobile agents are, by node then id (empty if no node hosts agents).
        #[serde(default)]
        agents: Vec<AgentPlace>,
    },
    /// What happened since the last batch (about every 50 ms while running).
    Batch {
        /// The clock.
        clock: Clock,
        /// Worker output, in order.
        logs: Vec<LogEntry>,
        /// Messages: all of them up to [`MAX_MESSAGES_PER_BATCH`], then a sample (whole
        /// messages: a send is kept with its delivery or drop).
        messages: Vec<MessageEvent>,
        /// How many message events there were in all.
        messages_total: u64,
        /// Numeric values workers recorded (sampled beyond [`MAX_POINTS_PER_BATCH`]).
        records: Vec<Point>,
        /// Sensor readings (sampled beyond [`MAX_POINTS_PER_BATCH`]).
        readings: Vec<Point>,
        /// Workers that ended or started since the last batch.
        workers: Vec<WorkerStatus>,
        /// Nodes down and links cut, when that changed since the last batch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        faults: Option<FaultView>,
        /// Where the mobile agents are, when that changed since the last batch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agents: Option<Vec<AgentPlace>>,
    },
    /// Nothing is left to run: the run's trace hash (equal to `vnet run`'s for an unpaced run
    /// from reset) and message counts.
    Done {
        /// The clock.
        clock: Clock,
        /// FNV-1a hash of the trace since the reset (16 hex digits).
        trace_hash: String,
        /// Messages handed to links.
        sent: u64,
        /// Messages delivered.
        delivered: u64,
        /// Messages dropped.
        dropped: u64,
    },
    /// The answer to an `eval`.
    EvalResult {
        /// The node.
        node: String,
        /// The worker.
        worker: u32,
        /// The code.
        code: String,
        /// The value, if it worked.
        value: Option<Value>,
        /// The error, if not.
        error: Option<String>,
    },
    /// Nodes moved: where every node is drawn now (after a `move_node`).
    Positions {
        /// Each node's drawing position, in node order.
        positions: Vec<[f64; 2]>,
    },
    /// A worker's code changed (after a `set_code`).
    Code {
        /// The node.
        node: String,
        /// The worker.
        worker: u32,
        /// The file it came from, if any: every worker running that file now has this code.
        path: Option<String>,
        /// The code.
        code: String,
    },
    /// A node changed without a rebuild (after an `add_worker`): its spec now.
    NodeChanged {
        /// The node's index.
        index: usize,
        /// The node (`NodeSpec` as JSON).
        spec: Value,
    },
    /// The network was written to `file`.
    Saved {
        /// The path.
        file: String,
    },
    /// A command was refused; `message` says why.
    Error {
        /// What was wrong.
        message: String,
    },
}
