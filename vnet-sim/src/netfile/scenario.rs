//! Scenario files: what a network file may say beyond a list of nodes and links — a
//! `topology` generator, `node_defaults` and `link_defaults`, a `run` section — and `--set`
//! overrides by path. Reading a network file first expands such a file's JSON into the plain
//! form, one entry per node and per link, which the rest of `netfile` checks and builds.
//!
//! The order, which `docs/netfile.md` states: overrides change the file's JSON first; the
//! generator makes nodes `n0…n{N-1}` and their links (ports named after the neighbour); entries
//! in `nodes` override a generated node of the same name or add one, entries in `links`
//! override the generated link with the same two ends (either way round) or add one; last,
//! defaults fill every field a node or link leaves out (`params` objects merge key by key, the
//! node's keys winning).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::NetFileError;
use crate::time::SimDuration;
use crate::topology::Topology;

/// The fields a network file may have at the top.
pub(super) const TOP_FIELDS: &[&str] = &[
    "$schema",
    "seed",
    "topology",
    "node_defaults",
    "link_defaults",
    "nodes",
    "links",
    "run",
    "faults",
    "agents",
];

/// A generator of nodes and links: the shapes of [`Topology`]. Nodes are named `n0`, `n1`, …;
/// each edge is a link whose ports are named after the node at the other end (`n0.n1` —
/// `n1.n0`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TopologySpec {
    /// `rows × cols` mesh; node `r·cols + c` at position `(c·spacing, r·spacing)`.
    Grid {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
        /// Distance between neighbours, for positions (default 1).
        #[serde(default = "one", skip_serializing_if = "is_one")]
        spacing: f64,
    },
    /// A grid whose rows and columns wrap around; positions as the grid's.
    Torus {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
        /// Distance between neighbours, for positions (default 1).
        #[serde(default = "one", skip_serializing_if = "is_one")]
        spacing: f64,
    },
    /// `n` nodes in a line; node `i` at `(i, 0)`.
    Line {
        /// Nodes.
        n: usize,
    },
    /// `n` nodes in a ring, on a circle one unit apart along it (`n0` at the top, clockwise);
    /// the closing link runs from the last node back to `n0`.
    Ring {
        /// Nodes.
        n: usize,
    },
    /// Node `n0` linked to each of the other `n - 1`; no positions.
    Star {
        /// Nodes.
        n: usize,
    },
    /// Every pair of `n` nodes linked; no positions.
    Complete {
        /// Nodes.
        n: usize,
    },
    /// `n` nodes placed uniformly in the unit square, linked when at most `radius` apart.
    RandomGeometric {
        /// Nodes.
        n: usize,
        /// Link distance.
        radius: f64,
        /// The graph's own seed (default 0): the same graph whatever the run's seed.
        #[serde(default)]
        seed: u64,
    },
    /// Erdős–Rényi G(n, p): each pair linked with probability `p`; no positions.
    ErdosRenyi {
        /// Nodes.
        n: usize,
        /// Link probability.
        p: f64,
        /// The graph's own seed (default 0).
        #[serde(default)]
        seed: u64,
    },
    /// `n` nodes and the listed edges `[a, b]` (node indices).
    Edges {
        /// Nodes.
        n: usize,
        /// Edges as index pairs.
        edges: Vec<[usize; 2]>,
    },
}

fn one() -> f64 {
    1.0
}
fn is_one(x: &f64) -> bool {
    *x == 1.0
}

/// Generators larger than this are refused (a typo of `rows: 1000000` would take all memory).
const MAX_GENERATED: usize = 1 << 20;

impl TopologySpec {
    /// The shape it describes, or why not.
    pub fn build(&self) -> Result<Topology, String> {
        let size = match *self {
            TopologySpec::Grid { rows, cols, .. } | TopologySpec::Torus { rows, cols, .. } => {
                rows.checked_mul(cols)
            }
            TopologySpec::Line { n }
            | TopologySpec::Ring { n }
            | TopologySpec::Star { n }
            | TopologySpec::Complete { n }
            | TopologySpec::RandomGeometric { n, .. }
            | TopologySpec::ErdosRenyi { n, .. }
            | TopologySpec::Edges { n, .. } => Some(n),
        };
        match size {
            Some(0) => return Err("the topology has no nodes".into()),
            Some(s) if s <= MAX_GENERATED => {}
            _ => return Err(format!("more than {MAX_GENERATED} nodes")),
        }
        Ok(match self {
            TopologySpec::Grid { rows, cols, .. } => Topology::grid(*rows, *cols),
            TopologySpec::Torus { rows, cols, .. } => Topology::torus(*rows, *cols),
            TopologySpec::Line { n } => Topology::line(*n),
            TopologySpec::Ring { n } => Topology::ring(*n),
            TopologySpec::Star { n } => Topology::star(*n),
            TopologySpec::Complete { n } => {
                if *n > 4096 {
                    return Err("`complete` takes at most 4096 nodes".into());
                }
                Topology::complete(*n)
            }
            TopologySpec::RandomGeometric { n, radius, seed } => {
                if !(radius.is_finite() && *radius >= 0.0) {
                    return Err("`radius` must be a finite number ≥ 0".into());
                }
                Topology::random_geometric(*n, *radius, *seed)
            }
            TopologySpec::ErdosRenyi { n, p, seed } => {
                if !(0.0..=1.0).contains(p) {
                    return Err("`p` must be in [0, 1]".into());
                }
                Topology::erdos_renyi(*n, *p, *seed)
            }
            TopologySpec::Edges { n, edges } => {
                let pairs: Vec<(usize, usize)> = edges.iter().map(|e| (e[0], e[1])).collect();
                Topology::from_edges(*n, &pairs).map_err(|e| e.to_string())?
            }
        })
    }

    /// How far apart generated positions are (grid and torus; 1 for the others).
    pub fn spacing(&self) -> f64 {
        match self {
            TopologySpec::Grid { spacing, .. } | TopologySpec::Torus { spacing, .. } => *spacing,
            _ => 1.0,
        }
    }

    /// The short form `vnet new --topology` takes: `grid:4x4`, `torus:3x5`, `line:5`,
    /// `ring:8`, `star:6`, `complete:4`.
    pub fn from_short(text: &str) -> Result<Self, String> {
        let (kind, size) = text.split_once(':').unwrap_or((text, ""));
        let num = |s: &str| {
            s.parse::<usize>()
                .map_err(|_| format!("`{text}`: `{s}` is not a whole number"))
        };
        let dims = || -> Result<(usize, usize), String> {
            let (r, c) = size
                .split_once('x')
                .ok_or_else(|| format!("`{text}`: write {kind}:ROWSxCOLS, as {kind}:4x4"))?;
            Ok((num(r)?, num(c)?))
        };
        Ok(match kind {
            "grid" => {
                let (rows, cols) = dims()?;
                TopologySpec::Grid {
                    rows,
                    cols,
                    spacing: 1.0,
                }
            }
            "torus" => {
                let (rows, cols) = dims()?;
                TopologySpec::Torus {
                    rows,
                    cols,
                    spacing: 1.0,
                }
            }
            "line" => TopologySpec::Line { n: num(size)? },
            "ring" => TopologySpec::Ring { n: num(size)? },
            "star" => TopologySpec::Star { n: num(size)? },
            "complete" => TopologySpec::Complete { n: num(size)? },
            other => {
                return Err(format!(
                    "unknown topology `{other}` (grid:RxC, torus:RxC, line:N, ring:N, star:N, \
                     complete:N)"
                ));
            }
        })
    }
}

/// How `vnet run` runs the file, unless its flags say otherwise. Paths are relative to the
/// network file's folder.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Stop at this virtual time (`"10s"`); omitted: when nothing is left to do.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::units::duration_opt"
    )]
    #[schemars(with = "Option<crate::units::DurationText>")]
    pub until: Option<SimDuration>,
    /// The master seed; overrides the file's top-level `seed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// A folder for every output (`trace.jsonl`, `records.csv`, `links.csv`, `nodes.csv`,
    /// `capture.pcap`, `summary.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out: Option<String>,
    /// The event trace: `.csv` or `.jsonl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// Records: `.csv` or `.jsonl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<String>,
    /// A packet capture (`.pcap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pcap: Option<String>,
    /// A folder for link and node statistics (`links.csv`, `nodes.csv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<String>,
}

impl RunSpec {
    /// Whether it says nothing (then it is not written).
    pub fn is_empty(&self) -> bool {
        *self == RunSpec::default()
    }
}

/// One node or link of the expanded file: built straight from the defaults (a generated one no
/// entry touched: the common case, and the fast one for large generated networks) or as JSON
/// to be read (everything else).
pub(super) enum Item<T> {
    /// Ready.
    Spec(T),
    /// Still to be read, with defaults filled in.
    Json(Value),
}

/// The plain parts of a scenario file: every node and every link, generated ones first, with
/// defaults filled in.
pub(super) struct Expanded {
    pub nodes: Vec<Item<super::NodeSpec>>,
    pub links: Vec<Item<super::LinkSpec>>,
}

/// A generated node or link, and the entry that overrides it, if any.
struct Generated<T> {
    identity: T,
    entry: Option<Map<String, Value>>,
}

/// Generates, overrides and fills in, as the module doc says.
pub(super) fn expand(root: &Map<String, Value>) -> Result<Expanded, NetFileError> {
    let mut gen_nodes: Vec<Generated<(String, Option<[f64; 2]>)>> = Vec::new();
    let mut gen_links: Vec<Generated<(String, String)>> = Vec::new();
    if let Some(t) = root.get("topology") {
        let spec: TopologySpec = serde_json::from_value(t.clone())
            .map_err(|e| NetFileError::top(format!("`topology`: {}", super::error::clean(e))))?;
        let topo = spec
            .build()
            .map_err(|e| NetFileError::top(format!("`topology`: {e}")))?;
        let g = topo.graph();
        let k = spec.spacing();
        if !(k.is_finite() && k > 0.0) {
            return Err(NetFileError::top("`topology`: `spacing` must be above 0"));
        }
        for n in g.node_weights() {
            gen_nodes.push(Generated {
                identity: (n.name.clone(), n.pos.map(|[x, y]| [x * k, y * k])),
                entry: None,
            });
        }
        let name = |i: usize| &g[petgraph::graph::NodeIndex::new(i)].name;
        for (a, b) in topo.edges() {
            gen_links.push(Generated {
                identity: (
                    format!("{}.{}", name(a), name(b)),
                    format!("{}.{}", name(b), name(a)),
                ),
                entry: None,
            });
        }
    }
    let listed = |key: &str| -> Result<Vec<Value>, NetFileError> {
        match root.get(key) {
            Some(Value::Array(a)) => Ok(a.clone()),
            None => Ok(Vec::new()),
            Some(_) => Err(NetFileError::top(format!("`{key}` must be an array"))),
        }
    };
    if root.get("nodes").is_none() && root.get("topology").is_none() {
        return Err(NetFileError::top(
            "missing field `nodes` (or a `topology` that generates them)",
        ));
    }
    // Overrides of generated nodes by name; a HashMap only for lookup, never iterated.
    let node_entries = listed("nodes")?;
    let mut added_nodes = Vec::new();
    if !node_entries.is_empty() {
        let by_name: std::collections::HashMap<&str, usize> = gen_nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.identity.0.as_str(), i))
            .collect();
        let mut hits = Vec::new();
        for entry in node_entries {
            let existing = entry
                .get("name")
                .and_then(Value::as_str)
                .and_then(|n| by_name.get(n).copied());
            match (existing, entry) {
                (Some(i), Value::Object(e)) => hits.push((i, e)),
                (_, e) => added_nodes.push(e),
            }
        }
        for (i, e) in hits {
            merge_entry(&mut gen_nodes[i].entry, e, &[]);
        }
    }
    let link_entries = listed("links")?;
    let mut added_links = Vec::new();
    if !link_entries.is_empty() {
        let key = |a: &str, b: &str| {
            if a <= b {
                (a.to_owned(), b.to_owned())
            } else {
                (b.to_owned(), a.to_owned())
            }
        };
        let by_ends: std::collections::HashMap<(String, String), usize> = gen_links
            .iter()
            .enumerate()
            .map(|(i, l)| (key(&l.identity.0, &l.identity.1), i))
            .collect();
        let mut hits = Vec::new();
        for entry in link_entries {
            let ends = entry
                .get("a")
                .and_then(Value::as_str)
                .zip(entry.get("b").and_then(Value::as_str));
            let existing = ends.and_then(|(a, b)| by_ends.get(&key(a, b)).copied());
            match (existing, entry) {
                (Some(i), Value::Object(e)) => hits.push((i, e)),
                (_, e) => added_links.push(e),
            }
        }
        for (i, e) in hits {
            merge_entry(&mut gen_links[i].entry, e, &["a", "b"]);
        }
    }

    let node_defaults = defaults(root, "node_defaults", &["name"])?;
    // Checked on their own, so a typo is named where it is; the result is the template of
    // every untouched generated node.
    let mut probe = node_defaults.clone().unwrap_or_default();
    probe.insert("name".into(), "probe".into());
    let node_template = serde_json::from_value::<super::NodeSpec>(Value::Object(probe))
        .map_err(|e| NetFileError::top(format!("`node_defaults`: {}", super::error::clean(e))))?;
    let link_defaults = defaults(root, "link_defaults", &["a", "b"])?;
    let mut link_template = None;
    if let Some(d) = &link_defaults {
        let mut probe = d.clone();
        probe.insert("a".into(), "p.a".into());
        probe.insert("b".into(), "p.b".into());
        let complete = probe.contains_key("latency");
        probe.entry("latency").or_insert("0ns".into());
        let spec =
            serde_json::from_value::<super::LinkSpec>(Value::Object(probe)).map_err(|e| {
                NetFileError::top(format!("`link_defaults`: {}", super::error::clean(e)))
            })?;
        spec.params()
            .validate()
            .map_err(|e| NetFileError::top(format!("`link_defaults`: {e}")))?;
        // Without a latency, generated links go the JSON way, which names what is missing.
        link_template = complete.then_some(spec);
    }
    let fill_node = |mut v: Value| {
        if let Some(d) = &node_defaults {
            fill(&mut v, d);
        }
        Item::Json(v)
    };
    let fill_link = |mut v: Value| {
        if let Some(d) = &link_defaults {
            fill(&mut v, d);
        }
        Item::Json(v)
    };

    let mut nodes = Vec::with_capacity(gen_nodes.len() + added_nodes.len());
    for g in gen_nodes {
        let (name, pos) = g.identity;
        match g.entry {
            None => {
                let mut spec = node_template.clone();
                spec.name = name;
                if pos.is_some() {
                    spec.pos = pos;
                }
                nodes.push(Item::Spec(spec));
            }
            Some(e) => {
                let mut base = Map::new();
                base.insert("name".into(), Value::String(name));
                if let Some([x, y]) = pos {
                    base.insert("pos".into(), serde_json::json!([x, y]));
                }
                let mut v = Value::Object(base);
                merge_into(&mut v, e, &[]);
                nodes.push(fill_node(v));
            }
        }
    }
    nodes.extend(added_nodes.into_iter().map(fill_node));
    let mut links = Vec::with_capacity(gen_links.len() + added_links.len());
    for g in gen_links {
        let (a, b) = g.identity;
        match (g.entry, &link_template) {
            (None, Some(t)) => {
                let mut spec = t.clone();
                spec.a = a;
                spec.b = b;
                links.push(Item::Spec(spec));
            }
            (entry, _) => {
                let mut v = serde_json::json!({ "a": a, "b": b });
                if let Some(e) = entry {
                    merge_into(&mut v, e, &["a", "b"]);
                }
                links.push(fill_link(v));
            }
        }
    }
    links.extend(added_links.into_iter().map(fill_link));
    Ok(Expanded { nodes, links })
}

/// Adds an override entry to what a generated item already has (two entries for one item
/// apply in order).
fn merge_entry(slot: &mut Option<Map<String, Value>>, entry: Map<String, Value>, keep: &[&str]) {
    match slot {
        None => *slot = Some(entry),
        Some(prev) => {
            let mut v = Value::Object(std::mem::take(prev));
            merge_into(&mut v, entry, keep);
            if let Value::Object(m) = v {
                *prev = m;
            }
        }
    }
}

/// The defaults object `key`, which may not set the identity fields `forbidden`.
fn defaults(
    root: &Map<String, Value>,
    key: &str,
    forbidden: &[&str],
) -> Result<Option<Map<String, Value>>, NetFileError> {
    match root.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(d)) => {
            if let Some(f) = forbidden.iter().find(|f| d.contains_key(**f)) {
                return Err(NetFileError::top(format!(
                    "`{key}` cannot set `{f}`: it names one node or link"
                )));
            }
            Ok(Some(d.clone()))
        }
        Some(_) => Err(NetFileError::top(format!("`{key}` must be an object"))),
    }
}

/// Sets every field of `entry` in `base` but the identity fields `keep` (a generated link
/// keeps its orientation when overridden from its other end); `params` objects merge key by key.
fn merge_into(base: &mut Value, entry: Map<String, Value>, keep: &[&str]) {
    let Value::Object(base) = base else { return };
    for (k, v) in entry
        .into_iter()
        .filter(|(k, _)| !keep.contains(&k.as_str()))
    {
        match (base.get_mut(&k), v) {
            (Some(Value::Object(b)), Value::Object(e)) if k == "params" => {
                for (pk, pv) in e {
                    b.insert(pk, pv);
                }
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Fills in what `item` leaves out from `defaults`; `params` objects merge, the item's keys
/// winning.
fn fill(item: &mut Value, defaults: &Map<String, Value>) {
    let Value::Object(item) = item else { return };
    for (k, v) in defaults {
        match item.get_mut(k) {
            None => {
                item.insert(k.clone(), v.clone());
            }
            Some(Value::Object(mine)) if k == "params" => {
                if let Value::Object(d) = v {
                    for (pk, pv) in d {
                        mine.entry(pk.clone()).or_insert_with(|| pv.clone());
                    }
                }
            }
            Some(_) => {}
        }
    }
}

/// One `--set PATH=VALUE`: a path of object keys, array indices and node names, and a value
/// (JSON if it parses as JSON, else the text as a string).
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The path, split at dots.
    pub path: Vec<String>,
    /// The value to set.
    pub value: Value,
}

impl std::str::FromStr for Override {
    type Err = String;
    /// Parses `link_defaults.loss=0.1`, `nodes.n3.params.origin=true`, `run.until=5s`.
    fn from_str(text: &str) -> Result<Self, String> {
        let (path, value) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}`: write PATH=VALUE, as link_defaults.loss=0.1"))?;
        let path: Vec<String> = path.trim().split('.').map(str::to_owned).collect();
        if path.iter().any(String::is_empty) {
            return Err(format!("`{text}`: the path has an empty part"));
        }
        Ok(Override {
            path,
            value: parse_value_text(value),
        })
    }
}

/// A value as `--set` reads it: JSON (`0.1`, `true`, `{"a":1}`, `"x"`) or else a string.
pub fn parse_value_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

impl Override {
    /// Sets the value in `root`, making objects along the way. In an array, a part is an index
    /// or the `name` of an element (in `nodes`, an unknown name adds a node entry of that name,
    /// so generated nodes can be overridden).
    pub fn apply(&self, root: &mut Value) -> Result<(), String> {
        let dotted = self.path.join(".");
        let mut at = root;
        for (i, part) in self.path.iter().enumerate() {
            let last = i + 1 == self.path.len();
            if at.is_null() {
                *at = Value::Object(Map::new());
            }
            at = match at {
                Value::Object(o) => {
                    let fresh = match (i, part.as_str()) {
                        _ if last => Value::Null,
                        (0, "nodes" | "links") => Value::Array(Vec::new()),
                        _ => Value::Object(Map::new()),
                    };
                    o.entry(part.clone()).or_insert(fresh)
                }
                Value::Array(a) => {
                    let found = match part.parse::<usize>() {
                        Ok(k) if k < a.len() => Some(k),
                        Ok(k) => {
                            return Err(format!(
                                "--set {dotted}: index {k} is past the end ({} entries)",
                                a.len()
                            ));
                        }
                        Err(_) => a
                            .iter()
                            .position(|e| e.get("name").and_then(Value::as_str) == Some(part)),
                    };
                    let k = match found {
                        Some(k) => k,
                        None if i == 1 && self.path[0] == "nodes" => {
                            a.push(serde_json::json!({ "name": part }));
                            a.len() - 1
                        }
                        None => {
                            return Err(format!("--set {dotted}: no entry named `{part}`"));
                        }
                    };
                    &mut a[k]
                }
                _ => {
                    let parent = self.path[..i].join(".");
                    return Err(format!(
                        "--set {dotted}: `{parent}` is a value, not an object or array"
                    ));
                }
            };
        }
        *at = self.value.clone();
        Ok(())
    }
}
