//! Node programs in Rust that examples and tests share.

mod flood;

pub use flood::{FLOOD_JS, FLOOD_LUA, Flood, flood_source};
