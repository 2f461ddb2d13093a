//! Ready-made scenarios: a network, its programs and what to measure, shared by examples and tests.

pub mod algorithms;
mod mesh_flood;
mod sensor_field;

pub use mesh_flood::{FloodLang, MeshFlood, MeshFloodReport, mesh_flood};
pub use sensor_field::{SAMPLES_PER_NODE, SensorField, SensorFieldReport, field, sensor_field};
