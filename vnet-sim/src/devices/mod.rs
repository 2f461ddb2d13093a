//! Network devices modelled as node programs: what sits between nodes and is not a link.
//!
//! - [`switch`]: the serial-line crossbar switch of the paper's ESP32 cluster (§IV).
//! - [`interconnect`]: the logical interconnects such a switch realises.
//! - [`params`]: a switch as a network file's node `params` declare it.

pub mod interconnect;
pub mod params;
pub mod switch;

pub use interconnect::Interconnect;
pub use switch::{Cluster, FRAME_OVERHEAD, QueuePolicy, SwitchConfig, SwitchStats, UartSwitch};

#[cfg(test)]
mod tests;
