//! A network file's mobile agents: nodes that host a platform (`"platform": true`) and the
//! agents placed at the start (the top-level `agents` list). See `docs/agents.md`.

use std::path::Path;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{NetFileError, NetworkFile};
use crate::agents::{AgentPlatform, Placement};
use crate::time::SimDuration;
use crate::vm::{Lang, VmConfig};

/// Agents a network file starts on a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentSpec {
    /// The node they start on; it must have `"platform": true`.
    pub at: String,
    /// The class's file (`.lua` or `.js`), relative to the network file's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The class's code, instead of a `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `"lua"` or `"js"`; by default, from the `path`'s extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
    /// The class's name (in ids' records, traces and the studio); by default the `path`'s
    /// file stem, or `agent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Fields that override the class's own.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub state: Value,
    /// When they start (default: at once).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::units::duration_opt"
    )]
    #[schemars(with = "Option<crate::units::DurationText>")]
    pub after: Option<SimDuration>,
    /// How many (default 1), each with its own id.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}
fn is_one(n: &u32) -> bool {
    *n == 1
}

impl AgentSpec {
    /// The class's language.
    pub fn language(&self) -> Result<Lang, String> {
        if let Some(l) = self.lang {
            return Ok(l);
        }
        match self.path.as_deref().and_then(|p| p.rsplit_once('.')) {
            Some((_, "lua")) => Ok(Lang::Lua),
            Some((_, "js")) => Ok(Lang::Js),
            _ => {
                Err("give `lang` (\"lua\" or \"js\"): the path does not end in .lua or .js".into())
            }
        }
    }

    /// The class's name.
    pub fn class_name(&self) -> String {
        if let Some(c) = &self.class {
            return c.clone();
        }
        self.path
            .as_deref()
            .and_then(|p| Path::new(p).file_stem())
            .map_or_else(|| "agent".to_owned(), |s| s.to_string_lossy().into_owned())
    }
}

impl NetworkFile {
    /// Checks the `agents` list against the nodes: each names a node with a platform, has
    /// exactly one of `code` and `path`, a language, and an object (or no) `state`.
    pub(super) fn check_agents(&self) -> Result<(), NetFileError> {
        for (i, a) in self.agents.iter().enumerate() {
            let err = |m: String| NetFileError::top(format!("agent {i} (at `{}`): {m}", a.at));
            let Some(node) = self.nodes.iter().find(|n| n.name == a.at) else {
                let names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
                let hint = super::error::nearest(&a.at, &names)
                    .map_or(String::new(), |n| format!(" (did you mean `{n}`?)"));
                return Err(err(format!("no node is called `{}`{hint}", a.at)));
            };
            if !node.platform {
                return Err(err(format!(
                    "node `{}` hosts no agents: give it \"platform\": true",
                    a.at
                )));
            }
            if a.code.is_some() == a.path.is_some() {
                return Err(err("give exactly one of `code` and `path`".into()));
            }
            a.language().map_err(err)?;
            if !matches!(a.state, Value::Null | Value::Object(_)) {
                return Err(err("`state` must be an object of fields".into()));
            }
            if a.count == 0 {
                return Err(err("`count` must be at least 1".into()));
            }
        }
        Ok(())
    }

    /// Adds node `i`'s platform, with the agents placed there, if it hosts one: made again,
    /// without them, when the node restarts (the placed agents are not placed twice). An
    /// external node's platform runs on its P-node (`vnet_hw::external` starts it).
    pub(super) fn add_platform(
        &self,
        sim: &mut crate::kernel::Simulation,
        i: usize,
        config: &Rc<VmConfig>,
        base: &Path,
        sources: &mut std::collections::BTreeMap<String, String>,
    ) -> Result<(), NetFileError> {
        let n = &self.nodes[i];
        if !n.platform || n.external.is_some() {
            return Ok(());
        }
        let mut platform = AgentPlatform::new(config.clone()).with_params(n.params.clone());
        for (k, a) in self.agents.iter().enumerate() {
            if a.at != n.name {
                continue;
            }
            let code = match (&a.code, &a.path) {
                (Some(c), _) => c.clone(),
                (None, Some(p)) => match sources.get(p) {
                    Some(c) => c.clone(),
                    None => {
                        let c = std::fs::read_to_string(base.join(p)).map_err(|e| {
                            NetFileError::top(format!(
                                "agent {k} (at `{}`): reading `{p}`: {e}",
                                a.at
                            ))
                        })?;
                        sources.insert(p.clone(), c.clone());
                        c
                    }
                },
                (None, None) => String::new(),
            };
            let lang = a.language().map_err(NetFileError::top)?;
            for _ in 0..a.count {
                platform = platform.place(Placement {
                    lang,
                    class: a.class_name(),
                    code: code.clone(),
                    state: a.state.clone(),
                    after: a.after.unwrap_or(SimDuration::ZERO),
                });
            }
        }
        let (config, params) = (config.clone(), n.params.clone());
        sim.add_restartable(
            crate::net::NodeId(i as u32),
            Box::new(platform),
            move || Box::new(AgentPlatform::new(config.clone()).with_params(params.clone())),
        );
        Ok(())
    }
}
