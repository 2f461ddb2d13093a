//! The ESP32 cluster's serial side (paper §IV): frames on the wire, reliability over a lossy
//! line, NMP carried in frames for boards without IP, and the processes that speak it.
//! `docs/uart.md` specifies the wire format.
//!
//! - [`frame`]: the frame format, COBS-delimited with a CRC-16, and a resynchronising decoder.
//! - [`arq`]: acknowledgement and retransmission.
//! - [`line`]: a serial port with both on it, run on its own thread.
//! - [`client`]: NMP calls to boards over a serial port (host side).
//! - [`switch`]: an emulated crossbar switch joining serial ports by address.

pub mod arq;
pub mod client;
pub mod frame;
pub mod line;
pub mod switch;
