//! # vnet-hw — hardware in the loop
//!
//! VNetOS couples simulated nodes with physical ones (P-nodes: a PC, a Raspberry Pi) through
//! the Network Management Protocol. This crate holds both ends of it:
//!
//! - [`nmp`]: the protocol — JSON-RPC 2.0 over HTTP and WebSocket, key-based authentication,
//!   and an async client. `docs/nmp.md` specifies it.
//! - [`launch`]: starting `vnet-node` processes for a hybrid run, and stopping them all.
//! - [`twin`]: V-node twins, simulated nodes that mirror a P-node in a real-time run.
//! - [`external`]: a network file's `external` nodes connected as twins, with their workers'
//!   output, shells and restarts (what `vnet run` and the studio use).
//! - [`uart`]: the ESP32 cluster's serial frames, their reliability layer, NMP over serial.
//! - [`node`]: the P-node daemon (`vnet-node`): Lua and JavaScript workers in real time, each on
//!   its own thread, ports with CMUX, links to other P-nodes, resumable sessions.
//!
//! Real-time pacing and the injector that feeds a running simulation live in the kernel
//! ([`vnet_sim::realtime`]); this crate builds on them. The kernel never depends on it.

#![warn(missing_docs)]

pub mod external;
pub mod launch;
pub mod nmp;
pub mod node;
pub mod twin;
pub mod uart;

/// A message's payload as the JSON value NMP carries (bytes as a lossy UTF-8 string).
pub fn message_json(msg: &vnet_sim::Message) -> serde_json::Value {
    match msg.payload() {
        vnet_sim::Payload::Value(v) => serde_json::Value::clone(v),
        vnet_sim::Payload::Bytes(b) => {
            serde_json::Value::String(String::from_utf8_lossy(b).into_owned())
        }
        vnet_sim::Payload::Empty => serde_json::Value::Null,
    }
}
