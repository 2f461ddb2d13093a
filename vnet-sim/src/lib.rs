//! vnet-sim: the vnet kernel.
pub mod queue;
pub mod time;
pub use time::{SimDuration, SimTime};
