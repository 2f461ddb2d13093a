//! Ready-made scenarios: a network, its programs and what to measure, shared by examples and tests.

mod mesh_flood;

pub use mesh_flood::{FloodLang, MeshFlood, MeshFloodReport, mesh_flood};
