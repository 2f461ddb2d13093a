//! A network file's `faults` section: faults at given times and churn, by node and link names,
//! checked against the file and turned into kernel faults ([`crate::faults`]).
//!
//! ```json
//! "faults": [
//!   { "fault": "crash", "at": "2s", "node": "n3", "restart_after": "1s" },
//!   { "fault": "partition", "at": "5s", "groups": [["n0", "n1"], ["n2"]] },
//!   { "fault": "heal", "at": "8s" },
//!   { "fault": "link_faults", "link": "*", "duplicate": 0.01, "corrupt": 0.001 },
//!   { "fault": "churn", "nodes": "*", "mtbf": "30s", "mttr": "5s", "until": "120s" }
//! ]
//! ```
//!
//! A `link` is `"a.p -- b.q"` (one link, its ends either way round), `"a -- b"` (every link
//! between nodes `a` and `b`) or `"*"` (every link).

use serde::{Deserialize, Serialize};

use super::{NetworkFile, split_end};
use crate::faults::{Churn, ChurnTarget, Fault, Lifetime, LinkFaults, Spike};
use crate::kernel::Simulation;
use crate::net::{LinkId, NodeId};
use crate::time::{SimDuration, SimTime};

/// One entry of `faults`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultSpec {
    /// Cut every link between nodes of different groups (nodes in no group form one more).
    Partition {
        /// When (virtual time from the start).
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        at: SimDuration,
        /// Groups of node names.
        groups: Vec<Vec<String>>,
    },
    /// Cut what `from` sends to `to` (one way; `both`: both ways).
    Cut {
        /// When.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        at: SimDuration,
        /// The sending node.
        from: String,
        /// The receiving node.
        to: String,
        /// Cut the other way too.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        both: bool,
    },
    /// Lift every cut.
    Heal {
        /// When.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        at: SimDuration,
    },
    /// Hold what is sent on links until `release`.
    Hold {
        /// When.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        at: SimDuration,
        /// Which links.
        link: String,
    },
    /// Send what held links hold, in order.
    Release {
        /// When.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        at: SimDuration,
        /// Which links.
        link: String,
    },
    /// Crash a node (and restart it after `restart_after`, if given).
    Crash {
        /// When.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        at: SimDuration,
        /// The node.
        node: String,
        /// Restart it this long after the crash.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "crate::units::duration_opt"
        )]
        #[schemars(with = "Option<crate::units::DurationText>")]
        restart_after: Option<SimDuration>,
        /// Empty its store at that restart.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        wipe: bool,
    },
    /// Restart a node (crashing it first if it is up).
    Restart {
        /// When.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        at: SimDuration,
        /// The node.
        node: String,
        /// Empty its store.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        wipe: bool,
    },
    /// Take links down.
    LinkDown {
        /// When.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        at: SimDuration,
        /// Which links.
        link: String,
    },
    /// Bring links up.
    LinkUp {
        /// When.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        at: SimDuration,
        /// Which links.
        link: String,
    },
    /// Set links' duplication, corruption and delay spikes (from `at`, default 0).
    LinkFaults {
        /// When (default: from the start).
        #[serde(default, with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        at: SimDuration,
        /// Which links.
        link: String,
        /// Probability that a message arrives twice.
        #[serde(default)]
        duplicate: f64,
        /// Probability that a message arrives with a bit flipped.
        #[serde(default)]
        corrupt: f64,
        /// Delay spikes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        spike: Option<Spike>,
    },
    /// Fail and repair nodes and links again and again.
    Churn {
        /// Nodes that churn: `"*"` or a list of names.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nodes: Option<Selection>,
        /// Links that churn: `"*"`, or a list of link names (`"a -- b"`, `"a.p -- b.q"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        links: Option<Selection>,
        /// Time up between failures: a duration (the mean of an exponential) or a distribution.
        mtbf: Lifetime,
        /// Time down before the repair (a node then boots for its profile's `t_boot`).
        mttr: Lifetime,
        /// When churn begins (default 0).
        #[serde(default, with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        from: SimDuration,
        /// No failure starts after this (one under way is still repaired); default: never, so
        /// the run needs an `until`.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "crate::units::duration_opt"
        )]
        #[schemars(with = "Option<crate::units::DurationText>")]
        until: Option<SimDuration>,
        /// Empty a node's store at each restart.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        wipe: bool,
    },
}

/// `"*"` (everything) or a list of names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Selection {
    /// `"*"`.
    All(String),
    /// These names.
    Names(Vec<String>),
}

impl FaultSpec {
    /// The entry's `fault` tag: `"crash"`, `"churn"`, ….
    pub fn kind(&self) -> &'static str {
        match self {
            FaultSpec::Partition { .. } => "partition",
            FaultSpec::Cut { .. } => "cut",
            FaultSpec::Heal { .. } => "heal",
            FaultSpec::Hold { .. } => "hold",
            FaultSpec::Release { .. } => "release",
            FaultSpec::Crash { .. } => "crash",
            FaultSpec::Restart { .. } => "restart",
            FaultSpec::LinkDown { .. } => "link_down",
            FaultSpec::LinkUp { .. } => "link_up",
            FaultSpec::LinkFaults { .. } => "link_faults",
            FaultSpec::Churn { .. } => "churn",
        }
    }

    /// Whether this is churn with no end.
    pub fn endless(&self) -> bool {
        matches!(self, FaultSpec::Churn { until: None, .. })
    }
}

/// The file's faults as the kernel takes them.
#[derive(Default)]
pub(super) struct Resolved {
    pub at: Vec<(SimTime, Fault)>,
    pub churn: Vec<(ChurnTarget, Churn)>,
}

impl Resolved {
    pub fn apply(self, sim: &mut Simulation) {
        for (at, f) in self.at {
            sim.schedule_fault(at, f);
        }
        for (target, churn) in self.churn {
            sim.add_churn(target, churn);
        }
    }
}

impl NetworkFile {
    /// The node called `name`, if faults may crash it: not an external one (a real P-node
    /// runs on its own).
    pub fn crashable_node(&self, name: &str) -> Result<NodeId, String> {
        let id = self.node_id(name)?;
        if self.nodes[id.0 as usize].external.is_some() {
            return Err(format!(
                "node `{name}` is external (a real P-node): it cannot be crashed from the simulation"
            ));
        }
        Ok(id)
    }

    fn node_id(&self, name: &str) -> Result<NodeId, String> {
        match self.nodes.iter().position(|n| n.name == name) {
            Some(i) => Ok(NodeId(i as u32)),
            None => {
                let names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
                let hint = super::error::nearest(name, &names)
                    .map(|n| format!(", did you mean `{n}`?"))
                    .unwrap_or_default();
                Err(format!("unknown node `{name}`{hint}"))
            }
        }
    }

    /// The links `sel` names: `*`, `a -- b` or `a.p -- b.q` (either way round); an error
    /// if none.
    pub fn links_named(&self, sel: &str) -> Result<Vec<LinkId>, String> {
        if sel.trim() == "*" {
            return Ok((0..self.links.len()).map(|i| LinkId(i as u32)).collect());
        }
        let Some((x, y)) = sel.split_once("--").map(|(x, y)| (x.trim(), y.trim())) else {
            return Err(format!(
                "`{sel}`: a link is \"a.p -- b.q\", \"a -- b\" or \"*\""
            ));
        };
        let matches = |spec: &str, end: &str| match split_end(end) {
            Some((node, port)) => match split_end(spec) {
                Some((n, p)) => n == node && p == port,
                None => spec == node,
            },
            None => false,
        };
        for end in [x, y] {
            let node = split_end(end).map_or(end, |(n, _)| n);
            self.node_id(node)?;
        }
        let ids: Vec<LinkId> = (self.links.iter().enumerate())
            .filter(|(_, l)| {
                (matches(x, &l.a) && matches(y, &l.b)) || (matches(x, &l.b) && matches(y, &l.a))
            })
            .map(|(i, _)| LinkId(i as u32))
            .collect();
        if ids.is_empty() {
            return Err(format!("no link `{sel}`"));
        }
        Ok(ids)
    }

    /// Checks the `faults` section against the nodes and links and resolves its names.
    pub(super) fn resolve_faults(&self) -> Result<Resolved, String> {
        let mut r = Resolved::default();
        for (i, f) in self.faults.iter().enumerate() {
            self.resolve_fault(f, &mut r)
                .map_err(|m| format!("fault {i} (`{}`): {m}", f.kind()))?;
        }
        Ok(r)
    }

    fn resolve_fault(&self, f: &FaultSpec, r: &mut Resolved) -> Result<(), String> {
        let t = |d: &SimDuration| SimTime::ZERO + *d;
        let mut links = |at: &SimDuration, sel: &str, make: &dyn Fn(LinkId) -> Fault| {
            for id in self.links_named(sel)? {
                r.at.push((t(at), make(id)));
            }
            Ok::<(), String>(())
        };
        match f {
            FaultSpec::Partition { at, groups } => {
                let mut ids = Vec::new();
                for g in groups {
                    ids.push(
                        g.iter()
                            .map(|n| self.node_id(n))
                            .collect::<Result<_, _>>()?,
                    );
                }
                r.at.push((t(at), Fault::Partition(ids)));
            }
            FaultSpec::Cut { at, from, to, both } => {
                let (a, b) = (self.node_id(from)?, self.node_id(to)?);
                r.at.push((t(at), Fault::Cut { from: a, to: b }));
                if *both {
                    r.at.push((t(at), Fault::Cut { from: b, to: a }));
                }
            }
            FaultSpec::Heal { at } => r.at.push((t(at), Fault::Heal)),
            FaultSpec::Hold { at, link } => links(at, link, &Fault::Hold)?,
            FaultSpec::Release { at, link } => links(at, link, &Fault::Release)?,
            FaultSpec::LinkDown { at, link } => links(at, link, &Fault::LinkDown)?,
            FaultSpec::LinkUp { at, link } => links(at, link, &Fault::LinkUp)?,
            FaultSpec::LinkFaults {
                at,
                link,
                duplicate,
                corrupt,
                spike,
            } => {
                let faults = LinkFaults {
                    duplicate: *duplicate,
                    corrupt: *corrupt,
                    spike: spike.unwrap_or_default(),
                };
                faults.validate()?;
                links(at, link, &|id| Fault::LinkFaults(id, faults))?;
            }
            FaultSpec::Crash {
                at,
                node,
                restart_after,
                wipe,
            } => {
                let n = self.crashable_node(node)?;
                r.at.push((t(at), Fault::Crash(n)));
                if let Some(after) = restart_after {
                    let wipe = *wipe;
                    r.at.push((t(at) + *after, Fault::Restart { node: n, wipe }));
                }
            }
            FaultSpec::Restart { at, node, wipe } => {
                let n = self.crashable_node(node)?;
                r.at.push((
                    t(at),
                    Fault::Restart {
                        node: n,
                        wipe: *wipe,
                    },
                ));
            }
            FaultSpec::Churn {
                nodes,
                links,
                mtbf,
                mttr,
                from,
                until,
                wipe,
            } => {
                if nodes.is_none() && links.is_none() {
                    return Err("give `nodes`, `links` or both".into());
                }
                for (name, l) in [("mtbf", mtbf), ("mttr", mttr)] {
                    l.validate().map_err(|e| format!("`{name}`: {e}"))?;
                }
                let churn = Churn {
                    up: mtbf.clone(),
                    down: mttr.clone(),
                    from: t(from),
                    until: until.as_ref().map(t),
                    wipe: *wipe,
                };
                match nodes {
                    None => {}
                    Some(Selection::All(s)) if s == "*" => {
                        // Every simulated node: external ones run on their own.
                        for (i, n) in self.nodes.iter().enumerate() {
                            if n.external.is_none() {
                                r.churn
                                    .push((ChurnTarget::Node(NodeId(i as u32)), churn.clone()));
                            }
                        }
                    }
                    Some(Selection::All(s)) => {
                        return Err(format!("`nodes`: \"*\" or a list of names, got \"{s}\""));
                    }
                    Some(Selection::Names(names)) => {
                        for n in names {
                            let id = self.crashable_node(n)?;
                            r.churn.push((ChurnTarget::Node(id), churn.clone()));
                        }
                    }
                }
                let sels: Vec<&str> = match links {
                    None => vec![],
                    Some(Selection::All(s)) => vec![s.as_str()],
                    Some(Selection::Names(v)) => v.iter().map(String::as_str).collect(),
                };
                for sel in sels {
                    for id in self.links_named(sel)? {
                        r.churn.push((ChurnTarget::Link(id), churn.clone()));
                    }
                }
            }
        }
        Ok(())
    }
}
