//! The paper's §V experiment 3: a 2D mesh of simulated nodes and external nodes (P-nodes, here
//! `vnet-node` processes), joined through V-node twins, flooding a message in real time.
//!
//! Every node runs the same Lua program (`programs/hybrid_flood.lua`): simulated ones inside
//! the simulation, paced to the wall clock; external ones on their P-node, each with a twin in
//! the simulation that relays its ports. A checkerboard decides which nodes are external, so
//! every link joins a simulated node to an external one and every message crosses NMP.

use std::ops::ControlFlow;
use std::rc::Rc;
use std::time::{Duration, Instant};

use vnet_hw::launch::Started;
use vnet_hw::twin::Twin;
use vnet_sim::realtime::{Pacing, RealTime};
use vnet_sim::vm::{Lang, VmConfig, VmProgram};
use vnet_sim::{LinkParams, NodeId, SimDuration, SimTime, Simulation, WorkerId};

/// The flooding program; its parameters are `origin`, `start_ms` and `quiet_ms`.
pub const HYBRID_FLOOD_LUA: &str = include_str!("../programs/hybrid_flood.lua");

/// The experiment's shape.
#[derive(Clone, Debug)]
pub struct HybridMesh {
    /// Nodes per side (the mesh has `side²` nodes, half of them external).
    pub side: usize,
    /// Latency of the simulated links.
    pub latency: SimDuration,
    /// When the origin (`n0`) floods, after the start.
    pub start_delay: Duration,
    /// A node ends after this long without a message.
    pub quiet: Duration,
}

impl Default for HybridMesh {
    /// 4 × 4 nodes, 1 ms links, flood after 300 ms, 1.5 s of quiet ends a node.
    fn default() -> Self {
        HybridMesh {
            side: 4,
            latency: SimDuration::from_millis(1),
            start_delay: Duration::from_millis(300),
            quiet: Duration::from_millis(1500),
        }
    }
}

/// What one node reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeResult {
    /// `n<i>`, row-major.
    pub name: String,
    /// Whether it ran on a P-node.
    pub external: bool,
    /// Hops the first copy took (0 at the origin; -1 if none came).
    pub hops: i64,
    /// Copies it sent.
    pub sent: u64,
    /// Copies it received.
    pub got: u64,
}

/// The run's outcome.
#[derive(Clone, Debug)]
pub struct HybridReport {
    /// One per node, row-major.
    pub nodes: Vec<NodeResult>,
    /// Wall-clock time of the run.
    pub wall: Duration,
}

impl HybridReport {
    /// Copies sent by all nodes.
    pub fn sent(&self) -> u64 {
        self.nodes.iter().map(|n| n.sent).sum()
    }
    /// Copies received by all nodes.
    pub fn delivered(&self) -> u64 {
        self.nodes.iter().map(|n| n.got).sum()
    }
    /// Sent but never received.
    pub fn lost(&self) -> u64 {
        self.sent().saturating_sub(self.delivered())
    }
}

impl HybridMesh {
    /// The names of the nodes that run on P-nodes, row-major.
    pub fn external_names(&self) -> Vec<String> {
        (0..self.side * self.side)
            .filter(|&i| self.is_external(i))
            .map(|i| format!("n{i}"))
            .collect()
    }

    fn is_external(&self, i: usize) -> bool {
        (i / self.side + i % self.side) % 2 == 1
    }

    /// Neighbours of node `i` (N, W, E, S order), by index.
    fn neighbours(&self, i: usize) -> Vec<usize> {
        let (r, c, s) = (i / self.side, i % self.side, self.side);
        let mut n = Vec::new();
        if r > 0 {
            n.push(i - s);
        }
        if c > 0 {
            n.push(i - 1);
        }
        if c + 1 < s {
            n.push(i + 1);
        }
        if r + 1 < s {
            n.push(i + s);
        }
        n
    }

    /// The program's parameters, the same on every node.
    fn params(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut p = serde_json::Map::new();
        p.insert("origin".into(), "n0".into());
        p.insert(
            "start_ms".into(),
            (self.start_delay.as_millis() as u64).into(),
        );
        p.insert("quiet_ms".into(), (self.quiet.as_millis() as u64).into());
        p
    }
}

/// Runs the experiment with the external nodes at `started` (one per
/// [`HybridMesh::external_names`], in that order), driving async work on `rt`.
pub fn hybrid_mesh(
    mesh: &HybridMesh,
    started: &[Started],
    rt: &tokio::runtime::Runtime,
) -> Result<HybridReport, String> {
    let n = mesh.side * mesh.side;
    let names: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
    let port_names = |i: usize| -> Vec<String> {
        mesh.neighbours(i)
            .into_iter()
            .map(|j| names[j].clone())
            .collect()
    };
    let params = mesh.params();
    let wall = Instant::now();

    // Twins first, their P-node workers waiting for the flood.
    let mut twins = Vec::new();
    let external: Vec<usize> = (0..n).filter(|&i| mesh.is_external(i)).collect();
    if external.len() != started.len() {
        return Err(format!(
            "{} external nodes, {} P-nodes started",
            external.len(),
            started.len()
        ));
    }
    for (&i, node) in external.iter().zip(started) {
        if node.name != names[i] {
            return Err(format!(
                "P-node {} started for node {}",
                node.name, names[i]
            ));
        }
        let twin = rt
            .block_on(Twin::connect(&node.url, None, &port_names(i)))
            .map_err(|e| format!("{}: {e}", node.name))?;
        let vm = rt
            .block_on(twin.create_worker(
                vnet_hw::nmp::schema::Lang::Lua,
                HYBRID_FLOOD_LUA,
                Some(params.clone()),
            ))
            .map_err(|e| format!("{}: {e}", node.name))?;
        twins.push((i, twin, vm));
    }

    let mut sim = Simulation::new(1);
    for (i, name) in names.iter().enumerate() {
        let node = sim.add_node(name).map_err(|e| e.to_string())?;
        for p in port_names(i) {
            sim.add_port(node, &p).map_err(|e| e.to_string())?;
        }
    }
    for i in 0..n {
        for j in mesh.neighbours(i).into_iter().filter(|&j| j > i) {
            sim.link(
                NodeId(i as u32),
                &names[j],
                NodeId(j as u32),
                &names[i],
                LinkParams::new(mesh.latency, 100_000_000),
            )
            .map_err(|e| e.to_string())?;
        }
    }
    let (mut realtime, injector) = RealTime::new(Pacing::BestEffort);
    let config = Rc::new(VmConfig::default());
    for i in 0..n {
        let node = NodeId(i as u32);
        match twins.iter().find(|(t, _, _)| *t == i) {
            Some((_, twin, _)) => sim.add_worker(
                node,
                Box::new(twin.relay(rt.handle(), node, injector.clone())),
            ),
            None => sim.add_worker(
                node,
                Box::new(
                    VmProgram::new(Lang::Lua, HYBRID_FLOOD_LUA, config.clone())
                        .with_source_name("hybrid_flood.lua")
                        .with_params(serde_json::Value::Object(params.clone())),
                ),
            ),
        };
    }
    let internal: Vec<usize> = (0..n).filter(|&i| !mesh.is_external(i)).collect();
    let limit = SimTime::ZERO + SimDuration::from_secs(60);
    realtime
        .run(&mut sim, Some(limit), |sim| {
            let done = internal.iter().all(|&i| {
                sim.worker_state(NodeId(i as u32), WorkerId(0))
                    .is_some_and(|s| !s.is_alive())
            });
            if done {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .map_err(|e| e.to_string())?;

    // What each node recorded, by name: simulated nodes in the simulation, P-nodes over NMP.
    let mut recorded: Vec<Vec<(String, serde_json::Value)>> = vec![Vec::new(); n];
    for r in sim.results().records() {
        if !mesh.is_external(r.node.0 as usize) {
            let value = serde_json::to_value(&r.value).unwrap_or_default();
            recorded[r.node.0 as usize].push((r.name.clone(), value));
        }
    }
    for (i, twin, vm) in &twins {
        let got = rt
            .block_on(twin.worker_output(*vm, Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        if let Some(e) = got.err.first() {
            return Err(format!("worker {vm} on {}: {e}", twin.client().url()));
        }
        recorded[*i] = got.records;
        let _ = rt.block_on(twin.close());
    }
    if let Some(e) = sim
        .results()
        .logs()
        .iter()
        .find(|l| l.stream == vnet_sim::LogStream::Err)
    {
        return Err(format!("{}: {}", names[e.node.0 as usize], e.text));
    }
    let mut nodes: Vec<NodeResult> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let field = |key: &str| -> Result<i64, String> {
            recorded[i]
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| v.as_i64())
                .ok_or_else(|| format!("{name} recorded no {key}: {:?}", recorded[i]))
        };
        nodes.push(NodeResult {
            name: name.clone(),
            external: mesh.is_external(i),
            hops: field("hops")?,
            sent: field("sent")? as u64,
            got: field("got")? as u64,
        });
    }
    Ok(HybridReport {
        nodes,
        wall: wall.elapsed(),
    })
}
