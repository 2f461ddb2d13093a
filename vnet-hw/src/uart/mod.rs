//! The ESP32 cluster's serial side (paper §IV): frames on the wire, reliability over a lossy
//! line, NMP carried in frames for boards without IP, and the processes that speak it.
//! `docs/uart.md` specifies the wire format.
//!
//! - [`frame`]: the frame format, COBS-delimited with a CRC-16, and a resynchronising decoder.
//! - [`arq`]: acknowledgement and retransmission.

pub mod arq;
pub mod frame;
