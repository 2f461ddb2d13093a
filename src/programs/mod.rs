//! Node programs that examples and tests share: flooding (Rust, Lua, JS) and the Dhrystone 2.1
//! benchmark (Lua, JS, and the native Rust reference).

mod dhrystone;
mod flood;

pub use dhrystone::{DHRYSTONE_JS, DHRYSTONE_LUA, dhrystone_native, dhrystone_source};
pub use flood::{FLOOD_JS, FLOOD_LUA, Flood, flood_source};
