//! Ready-made scenarios: a network, its programs and what to measure, shared by examples and tests.

pub mod algorithms;
mod mesh_flood;
mod mesh_traffic;
mod sensor_field;

pub use mesh_flood::{FloodLang, MeshFlood, MeshFloodReport, mesh_flood};
pub use mesh_traffic::{MeshTrafficReport, MeshTrafficRun, mesh_traffic};
pub use sensor_field::{SAMPLES_PER_NODE, SensorField, SensorFieldReport, field, sensor_field};
