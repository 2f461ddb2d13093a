//! The schema of the agent methods: `agents.start` makes the node an agent platform (with
//! agents placed on it) and `agents.list` shows the agents on it (`docs/nmp.md`, Agents).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{AgentCounts, Lang, VmState, present};

/// `agents.start`'s parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformParams {
    /// The session the platform belongs to (closing it ends the platform and its agents).
    pub session: String,
    /// The ports agents arrive on and leave by (default: every port the node has).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub ports: Option<Vec<String>>,
    /// What the agents' `params()` returns on this node (default: nothing).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub params: Option<Map<String, Value>>,
    /// Agents to start on it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub agents: Option<Vec<AgentPlacement>>,
}

/// An agent `agents.start` places on the node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentPlacement {
    /// The class's language.
    pub lang: Lang,
    /// The class's code (a Lua chunk or JS function body returning the class).
    pub code: String,
    /// The class's name (default `agent`).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub class: Option<String>,
    /// Fields that override the class's.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub state: Option<Map<String, Value>>,
    /// Milliseconds after the platform starts that it starts (default 0).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub after_ms: Option<u64>,
}

/// `agents.list`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agents {
    /// The platform's worker (its output comes as that vm's events), or `null`: the node hosts
    /// no agents.
    pub vm: Option<u32>,
    /// The platform's session, or `null`.
    pub session: Option<String>,
    /// The platform's state, or `null`.
    pub state: Option<VmState>,
    /// The agents on the node now, by id.
    pub agents: Vec<AgentInfo>,
    /// What happened to agents on the node since the platform started.
    pub counts: AgentCounts,
}

/// An agent on a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentInfo {
    /// Its id (`p1.3`).
    pub id: String,
    /// Its class.
    pub class: String,
    /// Its language.
    pub lang: Lang,
}
