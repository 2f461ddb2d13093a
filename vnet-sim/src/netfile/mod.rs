//! The JSON network file: nodes (name, program, parameters, ports, position) and links between
//! ports with their parameters. Loading checks everything and names what is wrong and where;
//! saving writes a canonical form, so load → save → load gives the same file.
//!
//! ```json
//! {
//!   "seed": 42,
//!   "nodes": [
//!     { "name": "a", "program": "flood", "params": { "origin": true }, "ports": ["east"] },
//!     { "name": "b", "program": "flood", "ports": ["west"] }
//!   ],
//!   "links": [
//!     { "a": "a.east", "b": "b.west", "latency": "1ms", "bandwidth": "10Mbps",
//!       "queue": 64, "loss": 0.01, "jitter": { "kind": "uniform", "max": "100us" } }
//!   ]
//! }
//! ```
//!
//! Durations are written `"250us"`, `"1ms"`, `"2s"` (or an integer of ns: 0, or 1000 and
//! more — a bare 1 to 999 is refused as a likely missing unit); bandwidths `"10Mbps"`,
//! `"1500kbps"` (or an integer of bits/s). A link end is `"node.port"`. A node that lists
//! `ports` must declare every port its links use; one that lists none gets them from its links.
//! A node's `workers` are VM programs: `{ "lang": "lua", "code": "print(now())" }` or
//! `{ "lang": "js", "path": "ping.js" }` (relative to the file's folder).
//!
//! A file may also generate nodes and links (`topology`), give defaults (`node_defaults`,
//! `link_defaults`) and say how it runs (`run`): [`scenario`] expands all that into the plain form
//! above before anything is checked. `docs/netfile.md` is the user's reference; [`schema`] the
//! JSON Schema.

mod agents;
mod build;
mod error;
pub mod faults;
mod lint;
mod registry;
pub mod scenario;
pub mod schema;
/// The units network files use (they live beside `time`, below the network and the VMs).
pub use crate::units;

pub use agents::AgentSpec;
pub use error::NetFileError;
pub use faults::FaultSpec;
pub use registry::ProgramRegistry;
pub use scenario::{Override, RunSpec, TopologySpec};

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kernel::Simulation;
use crate::net::{Jitter, LinkParams, Network, NodeId, Rounding, SerialLine};
use crate::time::SimDuration;
use crate::topology::Topology;
use crate::vm::{HostProfile, Lang, VmConfig, VmProgram};

/// A whole network file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    /// The master seed; a run may override it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The nodes.
    pub nodes: Vec<NodeSpec>,
    /// The links.
    #[serde(default)]
    pub links: Vec<LinkSpec>,
    /// How `vnet run` runs it.
    #[serde(default, skip_serializing_if = "RunSpec::is_empty")]
    pub run: RunSpec,
    /// Faults during the run: crashes, partitions, holds, link faults, churn ([`faults`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSpec>,
    /// Mobile agents placed at the start, on nodes with a `platform` ([`AgentSpec`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<AgentSpec>,
}

/// One node of a network file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Unique name, without `.`.
    pub name: String,
    /// The program its worker runs, by registry name; no program means no worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// Parameters handed to the program's factory.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub params: Value,
    /// Port names, in port-id order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    /// Position in the plane, for spatial models and drawings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<[f64; 2]>,
    /// VM workers (Lua or JavaScript) started on the node, after the `program` if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workers: Vec<WorkerSpec>,
    /// The host the node's VM workers run on: a built-in name (`"pc"`, `"rpi-zero"`,
    /// `"esp32"`) or a full profile object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileSpec>,
    /// Sensors on the node (see [`sensors::SensorSpec`]); a sensor's `port` is added to the
    /// node if it does not list it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensors: Vec<sensors::SensorSpec>,
    /// A real node — a running `vnet-node` (a P-node) — that this node stands for: its
    /// `workers` run there, and the simulation holds its twin (`vnet_hw::external`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalSpec>,
    /// Whether the node hosts mobile agents (an agent platform, after its workers; on an
    /// `external` node, on its P-node).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub platform: bool,
    /// The part this node runs in on `vnet run --threads K` (0 to K − 1): every node gives
    /// one, or none does (the network is then cut automatically).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<u32>,
}

/// Where a P-node is and how to talk to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalSpec {
    /// The `vnet-node`'s base URL, e.g. `"http://127.0.0.1:7801"`.
    pub url: String,
    /// A file holding its pre-shared key, relative to the network file's folder; none for a
    /// node that runs without one (loopback only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl NodeSpec {
    /// The program `spec` (one of this node's workers) runs, with `code` — the spec's own
    /// or what its `path` holds — under `config` (see [`NetworkFile::node_config`]). A
    /// restarted worker is made the same way as one the file starts.
    pub fn worker_program(
        &self,
        spec: &WorkerSpec,
        code: String,
        config: std::rc::Rc<VmConfig>,
    ) -> VmProgram {
        let mut program = VmProgram::new(spec.lang, code, config);
        if !self.params.is_null() {
            program = program.with_params(self.params.clone());
        }
        if let Some(p) = &spec.path {
            // Errors then read `dv.lua:4: …`.
            let file = Path::new(p).file_name().map(|f| f.to_string_lossy());
            program = program.with_source_name(file.unwrap_or_default());
        }
        program
    }
}

/// A host profile in a network file: by name or spelled out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum ProfileSpec {
    /// A built-in profile: `pc`, `rpi-zero`, `esp32`.
    Named(String),
    /// A profile of your own.
    Custom(HostProfile),
}

impl ProfileSpec {
    /// The profile it names or holds.
    pub fn resolve(&self) -> Result<HostProfile, UnknownProfile> {
        match self {
            ProfileSpec::Named(n) => {
                HostProfile::by_name(n).ok_or_else(|| UnknownProfile { name: n.clone() })
            }
            ProfileSpec::Custom(p) => Ok(p.clone()),
        }
    }
}

/// A host profile named that is none of the built-in ones.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`profile`: unknown host `{name}` (pc, rpi-zero, esp32, or an object)")]
pub struct UnknownProfile {
    /// The name given.
    pub name: String,
}

/// A VM worker of a node: its language and its code, inline or in a file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerSpec {
    /// `"lua"` or `"js"`.
    pub lang: Lang,
    /// The program text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A file holding the program, relative to the network file's folder (see
    /// [`NetworkFile::instantiate_at`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// One link of a network file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// One end, `"node.port"`.
    pub a: String,
    /// The other end, `"node.port"`.
    pub b: String,
    /// Propagation delay.
    #[serde(with = "units::duration")]
    #[schemars(with = "crate::units::DurationText")]
    pub latency: SimDuration,
    /// Bits per second; omitted means infinitely fast.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "bandwidth")]
    #[schemars(with = "Option<crate::units::BandwidthText>")]
    pub bandwidth: Option<u64>,
    /// Transmit queue capacity in messages; omitted means unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<usize>,
    /// Loss probability in [0, 1].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub loss: f64,
    /// Extra random delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<Jitter>,
    /// Serial-line framing (`{"bits_per_byte": 10, "lanes": 2, "overhead_bytes": 11}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<SerialLine>,
    /// How serialization times are rounded: `"up"` (the default) or `"nearest"` (as ns-3).
    #[serde(default, skip_serializing_if = "is_up")]
    pub rounding: Rounding,
    /// Whether the link starts up.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub up: bool,
}

fn is_up(r: &Rounding) -> bool {
    *r == Rounding::Up
}
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}

mod bandwidth {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Text(String),
    }

    pub fn serialize<S: Serializer>(b: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match b {
            Some(bps) => s.serialize_str(&super::units::format_bandwidth(*bps)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        let raw = Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "expected a bandwidth such as \"10Mbps\" or an integer of bits/s",
            )
        })?;
        let bps = match raw {
            Raw::Int(0) => return Err(serde::de::Error::custom("bandwidth must be positive")),
            Raw::Int(v) => v,
            Raw::Text(t) => super::units::parse_bandwidth(&t).map_err(serde::de::Error::custom)?,
        };
        Ok(Some(bps))
    }
}

impl LinkSpec {
    /// The kernel's link parameters.
    pub fn params(&self) -> LinkParams {
        LinkParams {
            latency: self.latency,
            bandwidth: self.bandwidth,
            queue_capacity: self.queue,
            jitter: self.jitter.clone(),
            loss: self.loss,
            serial: self.serial,
            rounding: self.rounding,
        }
    }
    fn from_params(a: String, b: String, p: &LinkParams, up: bool) -> Self {
        LinkSpec {
            a,
            b,
            latency: p.latency,
            bandwidth: p.bandwidth,
            queue: p.queue_capacity,
            loss: p.loss,
            jitter: p.jitter.clone(),
            serial: p.serial,
            rounding: p.rounding,
            up,
        }
    }
}

/// The list at `key` of the top level (none: empty), each entry read as a `T`; an error names
/// the entry as `{what} {index}`.
fn entries<T: serde::de::DeserializeOwned>(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<Vec<T>, NetFileError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => (items.iter().enumerate())
            .map(|(i, v)| {
                serde_json::from_value(v.clone())
                    .map_err(|e| NetFileError::top(format!("{what} {i}: {}", error::clean(e))))
            })
            .collect(),
        Some(_) => Err(NetFileError::top(format!("`{key}` must be a list"))),
    }
}

/// Splits a link end `"node.port"` at its first dot; `None` if either part is empty.
pub fn split_end(end: &str) -> Option<(&str, &str)> {
    end.split_once('.')
        .filter(|(n, p)| !n.is_empty() && !p.is_empty())
}

impl NetworkFile {
    /// Parses and checks a network file (a scenario file: see [`scenario`]). Errors name the
    /// node or link and the field.
    pub fn from_json(text: &str) -> Result<Self, NetFileError> {
        Self::from_json_with(text, &[])
    }

    /// [`from_json`](Self::from_json) with `--set` overrides applied to the file's JSON first.
    pub fn from_json_with(text: &str, overrides: &[Override]) -> Result<Self, NetFileError> {
        let mut root: Value =
            serde_json::from_str(text).map_err(|e| NetFileError::syntax(e, text))?;
        if !root.is_object() {
            return Err(NetFileError::top("the file must be a JSON object"));
        }
        for o in overrides {
            o.apply(&mut root).map_err(NetFileError::top)?;
        }
        Self::from_value(root)
    }

    /// Checks and expands a file already parsed as JSON.
    pub fn from_value(root: Value) -> Result<Self, NetFileError> {
        let Value::Object(obj) = root else {
            return Err(NetFileError::top("the file must be a JSON object"));
        };
        for key in obj.keys() {
            if !scenario::TOP_FIELDS.contains(&key.as_str()) {
                let hint = match error::nearest(key, scenario::TOP_FIELDS) {
                    Some(k) => format!("did you mean `{k}`?"),
                    None => format!("expected one of {}", scenario::TOP_FIELDS.join(", ")),
                };
                return Err(NetFileError::top(format!("unknown field `{key}`, {hint}")));
            }
        }
        let seed = match obj.get("seed") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .ok_or_else(|| NetFileError::top("`seed` must be a non-negative integer"))?,
            ),
        };
        let run: RunSpec = match obj.get("run") {
            None | Some(Value::Null) => RunSpec::default(),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| NetFileError::top(format!("`run`: {}", error::clean(e))))?,
        };
        let faults: Vec<FaultSpec> = entries(&obj, "faults", "fault")?;
        let agents: Vec<AgentSpec> = entries(&obj, "agents", "agent")?;
        let expanded = scenario::expand(&obj)?;
        let mut nodes = Vec::with_capacity(expanded.nodes.len());
        for (i, item) in expanded.nodes.into_iter().enumerate() {
            let v = match item {
                scenario::Item::Spec(spec) => {
                    nodes.push(spec);
                    continue;
                }
                scenario::Item::Json(v) => v,
            };
            let label = v.get("name").and_then(Value::as_str).map(str::to_owned);
            let spec: NodeSpec = serde_json::from_value(v)
                .map_err(|e| NetFileError::node(i, label.as_deref(), e.to_string()))?;
            nodes.push(spec);
        }
        let mut links = Vec::with_capacity(expanded.links.len());
        for (i, item) in expanded.links.into_iter().enumerate() {
            let v = match item {
                scenario::Item::Spec(spec) => {
                    links.push(spec);
                    continue;
                }
                scenario::Item::Json(v) => v,
            };
            let label = match (
                v.get("a").and_then(Value::as_str),
                v.get("b").and_then(Value::as_str),
            ) {
                (Some(a), Some(b)) => Some(format!("{a} -- {b}")),
                _ => None,
            };
            let spec: LinkSpec = serde_json::from_value(v).map_err(|e| {
                let mut m = e.to_string();
                if m.starts_with("missing field `latency`") {
                    m = "missing field `latency` (give it here or in `link_defaults`)".into();
                }
                NetFileError::link(i, label.as_deref(), m)
            })?;
            links.push(spec);
        }
        let file = NetworkFile {
            seed,
            nodes,
            links,
            run,
            faults,
            agents,
        };
        file.check()?;
        Ok(file)
    }

    /// Reads and checks a network file from disk.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, NetFileError> {
        Self::load_with(path, &[])
    }

    /// [`load`](Self::load) with `--set` overrides.
    pub fn load_with(path: impl AsRef<Path>, overrides: &[Override]) -> Result<Self, NetFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| NetFileError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_json_with(&text, overrides).map_err(|e| e.in_file(path))
    }

    /// The canonical JSON text (pretty-printed).
    pub fn to_json(&self) -> String {
        // Every field is a plain string, number, array or map: serialization cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Writes the canonical JSON text to disk.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), NetFileError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json()).map_err(|e| NetFileError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// The parts the file gives its nodes (by node index) and how many, if it gives any.
    pub fn parts(&self) -> Option<(Vec<u32>, u32)> {
        let parts: Option<Vec<u32>> = self.nodes.iter().map(|n| n.part).collect();
        let parts = parts?;
        let k = parts.iter().max().map_or(1, |m| m + 1);
        Some((parts, k))
    }

    /// Every node gives a `part`, or none does; parts are numbered without gaps.
    fn check_parts(&self) -> Result<(), NetFileError> {
        let first = self.nodes.iter().position(|n| n.part.is_some());
        let Some(first) = first else { return Ok(()) };
        if let Some(i) = self.nodes.iter().position(|n| n.part.is_none()) {
            return Err(NetFileError::node(
                i,
                Some(&self.nodes[i].name),
                format!(
                    "`part`: give every node a part or none (node `{}` has one)",
                    self.nodes[first].name
                ),
            ));
        }
        let mut used: Vec<bool> = Vec::new();
        for n in &self.nodes {
            let p = n.part.unwrap_or(0) as usize;
            if p >= self.nodes.len() {
                let i = self
                    .nodes
                    .iter()
                    .position(|m| std::ptr::eq(m, n))
                    .unwrap_or(0);
                return Err(NetFileError::node(
                    i,
                    Some(&n.name),
                    format!("`part` {p}: there are only {} nodes", self.nodes.len()),
                ));
            }
            if used.len() <= p {
                used.resize(p + 1, false);
            }
            used[p] = true;
        }
        if let Some(gap) = used.iter().position(|u| !u) {
            return Err(NetFileError::top(format!(
                "`part`: no node is in part {gap}, but some are in part {}: number parts from 0 \
                 without gaps",
                used.len() - 1
            )));
        }
        Ok(())
    }

    /// Checks names, link ends and parameters.
    pub fn check(&self) -> Result<(), NetFileError> {
        let mut seen = std::collections::HashMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if n.name.is_empty() || n.name.contains('.') {
                return Err(NetFileError::node(
                    i,
                    Some(&n.name),
                    "`name` must be non-empty and contain no `.`".into(),
                ));
            }
            if let Some(first) = seen.insert(n.name.as_str(), i) {
                return Err(NetFileError::node(
                    i,
                    Some(&n.name),
                    format!("`name` is already used by node {first}"),
                ));
            }
            if let Some(p) = &n.profile {
                p.resolve()
                    .map_err(|m| NetFileError::node(i, Some(&n.name), m.to_string()))?;
            }
            if n.external.is_some() && (n.program.is_some() || !n.sensors.is_empty()) {
                return Err(NetFileError::node(
                    i,
                    Some(&n.name),
                    "an `external` node runs only `workers` (on the P-node): no `program` or `sensors`"
                        .into(),
                ));
            }
            for (w, spec) in n.workers.iter().enumerate() {
                if spec.code.is_some() == spec.path.is_some() {
                    return Err(NetFileError::node(
                        i,
                        Some(&n.name),
                        format!("worker {w}: give exactly one of `code` and `path`"),
                    ));
                }
            }
            let mut ports = std::collections::HashSet::new();
            for p in &n.ports {
                if !ports.insert(p.as_str()) {
                    return Err(NetFileError::node(
                        i,
                        Some(&n.name),
                        format!("port `{p}` is listed twice in `ports`"),
                    ));
                }
            }
        }
        self.check_parts()?;
        for (i, l) in self.links.iter().enumerate() {
            let label = format!("{} -- {}", l.a, l.b);
            for (field, end) in [("a", &l.a), ("b", &l.b)] {
                let Some((node, port)) = split_end(end) else {
                    return Err(NetFileError::link(
                        i,
                        Some(&label),
                        format!("`{field}` must be \"node.port\", got \"{end}\""),
                    ));
                };
                let Some(&ni) = seen.get(node) else {
                    return Err(NetFileError::link(
                        i,
                        Some(&label),
                        format!("`{field}` names unknown node `{node}`"),
                    ));
                };
                let declared = &self.nodes[ni].ports;
                if !declared.is_empty() && !declared.iter().any(|p| p == port) {
                    return Err(NetFileError::link(
                        i,
                        Some(&label),
                        format!("`{field}`: node `{node}` declares no port `{port}`"),
                    ));
                }
            }
            l.params()
                .validate()
                .map_err(|m| NetFileError::link(i, Some(&label), m.to_string()))?;
        }
        self.resolve_faults().map_err(NetFileError::top)?;
        self.check_agents()?;
        Ok(())
    }

    /// The file describing `net`'s nodes, ports and links as they are now; node programs and
    /// parameters come from `program_of` (the kernel does not know how a program was made).
    pub fn describe(
        net: &Network,
        seed: Option<u64>,
        program_of: impl Fn(usize) -> (Option<String>, Value),
    ) -> Self {
        let nodes = net
            .nodes()
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let (program, params) = program_of(i);
                NodeSpec {
                    name: n.name().to_owned(),
                    program,
                    params,
                    ports: n.ports().iter().map(|p| p.name().to_owned()).collect(),
                    pos: net.position(NodeId(i as u32)),
                    workers: Vec::new(),
                    profile: None,
                    sensors: Vec::new(),
                    external: None,
                    platform: false,
                    part: None,
                }
            })
            .collect();
        let links = net
            .links()
            .iter()
            .map(|l| {
                let [a, b] = l.ends();
                LinkSpec::from_params(net.describe(a), net.describe(b), l.params(), l.is_up())
            })
            .collect();
        NetworkFile {
            seed,
            nodes,
            links,
            run: RunSpec::default(),
            faults: Vec::new(),
            agents: Vec::new(),
        }
    }

    /// The file for a topology: every node runs `program` (if any) with no parameters, every
    /// edge is a link with `params`, ports named after neighbours as in [`Topology::build`].
    pub fn from_topology(t: &Topology, params: &LinkParams, program: Option<&str>) -> Self {
        let g = t.graph();
        let name = |i: usize| g[petgraph::graph::NodeIndex::new(i)].name.clone();
        let mut nodes: Vec<NodeSpec> = g
            .node_weights()
            .map(|n| NodeSpec {
                name: n.name.clone(),
                program: program.map(str::to_owned),
                params: Value::Null,
                ports: Vec::new(),
                pos: n.pos,
                workers: Vec::new(),
                profile: None,
                sensors: Vec::new(),
                external: None,
                platform: false,
                part: None,
            })
            .collect();
        let mut links = Vec::new();
        for (a, b) in t.edges() {
            nodes[a].ports.push(name(b));
            nodes[b].ports.push(name(a));
            links.push(LinkSpec::from_params(
                format!("{}.{}", name(a), name(b)),
                format!("{}.{}", name(b), name(a)),
                params,
                true,
            ));
        }
        NetworkFile {
            seed: None,
            nodes,
            links,
            run: RunSpec::default(),
            faults: Vec::new(),
            agents: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;

/// Builds and attaches node `n`'s sensors, adding their ports if the node lacks them.
fn attach_sensors(
    sim: &mut Simulation,
    node: crate::net::NodeId,
    n: &NodeSpec,
    base: &Path,
) -> Result<(), String> {
    for spec in &n.sensors {
        let what = |e: &dyn std::fmt::Display| format!("sensor `{}`: {e}", spec.name);
        let sensor = spec.build(base).map_err(|e| what(&e))?;
        let port = match &spec.port {
            None => None,
            Some(p) => Some(
                match sim.network().node(node).and_then(|x| x.port_by_name(p)) {
                    Some(id) => id,
                    None => sim.add_port(node, p).map_err(|e| what(&e))?,
                },
            ),
        };
        sim.add_sensor(node, &spec.name, sensor, spec.trigger.clone(), port)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
