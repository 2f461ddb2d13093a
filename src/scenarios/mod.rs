//! Ready-made scenarios: a network, its programs and what to measure, shared by examples and tests.

mod agent_survey;
pub mod algorithms;
mod esp32_cluster;
mod hybrid_mesh;
mod leader_churn;
mod mesh_flood;
mod mesh_traffic;
mod phold;
mod sensor_field;

pub use agent_survey::{SurveyMethod, SurveyReport, agent_survey, hot_nodes};
pub use esp32_cluster::{
    ClusterReport, ClusterRun, ESP32_EXCHANGE_LUA, esp32_cluster, line_limit_bps,
};
pub use hybrid_mesh::{HYBRID_FLOOD_LUA, HybridMesh, HybridReport, NodeResult, hybrid_mesh};
pub use leader_churn::{LeaderChurnReport, leader_churn};
pub use mesh_flood::{FloodLang, MeshFlood, MeshFloodReport, mesh_flood};
pub use mesh_traffic::{MeshTrafficReport, MeshTrafficRun, mesh_traffic};
pub use phold::{PholdShape, phold, phold_events};
pub use sensor_field::{SAMPLES_PER_NODE, SensorField, SensorFieldReport, field, sensor_field};

use vnet_sim::{Jitter, LinkParams, SimDuration};

/// Every scenario's links: `latency`, `bandwidth` (bits/s), `loss`, and uniform jitter up to
/// `jitter` (none at zero, so no draws are made).
pub(crate) fn link_params(
    latency: SimDuration,
    bandwidth: u64,
    jitter: SimDuration,
    loss: f64,
) -> LinkParams {
    let params = LinkParams::new(latency, bandwidth).with_loss(loss);
    if jitter > SimDuration::ZERO {
        params.with_jitter(Jitter::Uniform { max: jitter })
    } else {
        params
    }
}
