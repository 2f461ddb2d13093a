//! What a browser and the studio say to each other over the WebSocket `/ws`: JSON text frames,
//! one message each, typed here so a renamed field fails to compile. A browser sends
//! [`ClientMessage`]s (`{"cmd": "run", "speed": null}`); the studio sends [`ServerMessage`]s
//! (`{"type": "batch", …}`) to every connected browser, so all of them show the same run and
//! the same network.
//!
//! Bounds: a frame is at most [`MAX_FRAME`] bytes, code to evaluate at most [`MAX_CODE`], a
//! worker's program at most [`MAX_SOURCE`], a name at most [`MAX_NAME`]; anything else —
//! unknown commands or fields, bad values — gets an `error` reply naming it, and the
//! connection stays. `docs/studio.md` is the reference.

mod client;
mod server;

pub use client::{ClientMessage, WorkerAction};
pub use server::{
    AgentPlace, Clock, FaultView, LogEntry, MAX_MESSAGES_PER_BATCH, MAX_POINTS_PER_BATCH,
    MessageEvent, Point, ServerMessage, WorkerStatus,
};

/// The largest frame a browser may send, in bytes (an uploaded network file travels in one).
pub const MAX_FRAME: usize = 16 << 20;
/// The largest expression a shell may evaluate, in bytes.
pub const MAX_CODE: usize = 16 << 10;
/// The largest program a worker may be given, in bytes.
pub const MAX_SOURCE: usize = 256 << 10;
/// The longest node name, in bytes.
pub const MAX_NAME: usize = 64;
