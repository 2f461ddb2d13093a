//! Node programs that examples and tests share: flooding and mesh traffic (Rust, Lua, JS),
//! the algorithm studies' programs (`algorithms/`, used by [`crate::scenarios::algorithms`]), and the Dhrystone 2.1
//! benchmark (Lua, JS, and the native Rust reference).

mod dhrystone;
mod flood;
mod mesh_traffic;

pub use dhrystone::{DHRYSTONE_JS, DHRYSTONE_LUA, dhrystone_native, dhrystone_source};
pub use flood::{FLOOD_JS, FLOOD_LUA, Flood, flood_params, flood_worker};
pub use mesh_traffic::{MESH_TRAFFIC_JS, MESH_TRAFFIC_LUA, MeshTraffic, TrafficParams};
