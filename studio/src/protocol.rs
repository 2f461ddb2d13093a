//! What a browser and the studio say to each other over the WebSocket `/ws`: JSON text frames,
//! one message each, typed here so a renamed field fails to compile. A browser sends
//! [`ClientMessage`]s (`{"cmd": "run", "speed": null}`); the studio sends [`ServerMessage`]s
//! (`{"type": "batch", …}`) to every connected browser, so all of them show the same run.
//!
//! Bounds: a frame is at most [`MAX_FRAME`] bytes and code to evaluate at most [`MAX_CODE`];
//! anything else — unknown commands or fields, bad values — gets an `error` reply naming it,
//! and the connection stays.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The largest frame a browser may send, in bytes.
pub const MAX_FRAME: usize = 64 << 10;
/// The largest expression a shell may evaluate, in bytes.
pub const MAX_CODE: usize = 16 << 10;

/// A browser's command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Run: as fast as possible (`speed` absent or null) or at `speed`× real time.
    Run {
        /// Virtual seconds per wall second; null: as fast as possible.
        #[serde(default)]
        speed: Option<f64>,
    },
    /// Stop running (the simulation keeps its state).
    Pause,
    /// Run one event, or (`until_message`) up to and including the next delivery.
    Step {
        /// Step to the next delivered message rather than one event.
        #[serde(default)]
        until_message: bool,
    },
    /// Build the simulation again from the network, with `seed` if given.
    Reset {
        /// The master seed; absent: the current one.
        #[serde(default)]
        seed: Option<u64>,
    },
    /// Evaluate `code` inside worker `worker` of node `node` (a Lua or JS expression or chunk).
    Eval {
        /// The node's name.
        node: String,
        /// The worker's index on the node.
        worker: u32,
        /// What to evaluate.
        code: String,
    },
    /// Write the network back to the file the studio was opened with.
    Save,
    /// Move node `node` to `pos`, in the drawing's unit square (as `hello`'s positions). The
    /// network's positions change (a node without one gets the one it is drawn at), and so
    /// does the running simulation's: a spatial sensor reads the field where the node now is.
    MoveNode {
        /// The node's name.
        node: String,
        /// Where, in the drawing's unit square (−1 to 2 on each axis).
        pos: [f64; 2],
    },
}

/// One line a worker wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Virtual time, ns.
    pub t_ns: u64,
    /// The node's name.
    pub node: String,
    /// The worker's index.
    pub worker: u32,
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
    /// On connecting and after a reset: the network (the network file's plain form), where to
    /// draw each node, and the clock.
    Hello {
        /// The network file, expanded (`NetworkFile` as JSON).
        network: Value,
        /// Each node's drawing position, in the unit square, in node order.
        positions: Vec<[f64; 2]>,
        /// The clock.
        clock: Clock,
        /// The file the studio saves to, if any.
        file: Option<String>,
    },
    /// What happened since the last batch (about every 50 ms while running): the clock, worker
    /// output, and messages — all of them up to [`MAX_MESSAGES_PER_BATCH`], then a sample,
    /// with `messages_total` saying how many there were.
    Batch {
        /// The clock.
        clock: Clock,
        /// Worker output, in order.
        logs: Vec<LogEntry>,
        /// Messages (sampled when dense).
        messages: Vec<MessageEvent>,
        /// How many message events there were in all.
        messages_total: u64,
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

/// Messages a batch carries in full; beyond, it carries an even sample of this many.
pub const MAX_MESSAGES_PER_BATCH: usize = 500;

impl ClientMessage {
    /// Reads a frame, checking bounds; the error is what to tell the browser.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() > MAX_FRAME {
            return Err(format!("a frame is at most {MAX_FRAME} bytes"));
        }
        let m: ClientMessage =
            serde_json::from_str(text).map_err(|e| format!("bad command: {e}"))?;
        match &m {
            ClientMessage::Run { speed: Some(k) } if !(k.is_finite() && *k > 0.0) => {
                Err(format!("`speed` must be above 0, not {k}"))
            }
            ClientMessage::Eval { code, .. } if code.len() > MAX_CODE => {
                Err(format!("`code` is at most {MAX_CODE} bytes"))
            }
            ClientMessage::MoveNode { pos, .. }
                if !pos
                    .iter()
                    .all(|v| v.is_finite() && (-1.0..=2.0).contains(v)) =>
            {
                Err(format!(
                    "`pos` must be within −1 and 2 on each axis, not {pos:?}"
                ))
            }
            _ => Ok(m),
        }
    }
}
