//! # sensors — synthetic and recorded sensor sources (skeleton)
//!
//! This crate will hold signals (analytic functions of time and space, recorded CSV data),
//! sensor models layered on them (noise, bias, drift, quantization, saturation, dropouts) and
//! triggers, each drawing from its own seeded stream. It knows nothing of the kernel: `vnet-sim`
//! depends on it, never the reverse.
//!
//! It is empty today; the sensors issue fills it. Nothing here pretends to work yet.
