//! # vnet-hw — hardware in the loop (skeleton)
//!
//! This crate will hold the Network Management Protocol (NMP: JSON-RPC over HTTP and
//! WebSocket), the `vnet-node` daemon for external nodes, V-node twins that mirror them inside a
//! simulation, real-time pacing of virtual time, and the ESP32 UART cluster bridge. It builds on
//! `vnet-sim`; the kernel never depends on it.
//!
//! It is empty today; the hardware-in-the-loop issues fill it. Nothing here pretends to work yet.
