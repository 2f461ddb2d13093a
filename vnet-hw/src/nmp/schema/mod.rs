//! NMP's schema as Rust types: for every method a params type and a result type, as
//! `docs/nmp.md` shows them. The daemon parses requests into them and builds replies from them,
//! the client and V-node twins call through them ([`Method`]), and a test parses every example
//! of the specification with them — so a renamed field fails to compile here, or fails that
//! test, instead of reading as `""` or vm 0 somewhere else.
//!
//! Parameters refuse unknown fields, and optional ones may be left out but not set to `null`
//! (lists included: `null` is not a list).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
pub use vnet_sim::vm::Lang;

use super::method as m;
use super::rpc::RpcError;

/// One NMP method: its name and the types of its parameters and result.
pub trait Method {
    /// The method's name on the wire.
    const NAME: &'static str;
    /// Its parameters (`params`).
    type Params: Serialize + DeserializeOwned + Send + Sync;
    /// Its result (`result`).
    type Result: Serialize + DeserializeOwned + Send;
}

/// Parses `params` (an object, or `null` for none) as `P`; the error (`-32602`) names the
/// field, by its path, and says what is wrong with it.
pub fn parse_params<P: DeserializeOwned>(params: &Value) -> Result<P, RpcError> {
    let empty = Value::Object(Default::default());
    let v = if params.is_null() { &empty } else { params };
    serde_path_to_error::deserialize(v).map_err(|e| {
        let mut path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // An unknown field's path ends with the field, which the message names already.
        if let Some(field) = inner
            .strip_prefix("unknown field `")
            .and_then(|r| r.split('`').next())
        {
            if let Some(parent) = path.strip_suffix(field) {
                path = parent.trim_end_matches('.').to_owned();
            }
        }
        if path.is_empty() || path == "." {
            RpcError::params(inner)
        } else {
            RpcError::params(format!("`{path}`: {inner}"))
        }
    })
}

/// An optional parameter: absent is `None`, `null` is refused (as any other wrong type).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

macro_rules! methods {
    ($($(#[$doc:meta])* $ty:ident = $name:path, $params:ty => $result:ty;)*) => {$(
        $(#[$doc])*
        #[derive(Copy, Clone, Debug)]
        pub struct $ty;
        impl Method for $ty {
            const NAME: &'static str = $name;
            type Params = $params;
            type Result = $result;
        }
    )*};
}

methods! {
    /// `session.open`.
    SessionOpen = m::SESSION_OPEN, NoParams => Opened;
    /// `session.resume`.
    SessionResume = m::SESSION_RESUME, SessionParams => Resumed;
    /// `session.close`.
    SessionClose = m::SESSION_CLOSE, SessionParams => Closed;
    /// `node.info`.
    NodeInfo = m::NODE_INFO, NoParams => Info;
    /// `vm.create`.
    VmCreate = m::VM_CREATE, CreateParams => Created;
    /// `vm.kill`.
    VmKill = m::VM_KILL, VmParams => Killed;
    /// `vm.list`.
    VmList = m::VM_LIST, NoParams => Vec<VmInfo>;
    /// `vm.eval`.
    VmEval = m::VM_EVAL, EvalParams => Evaluated;
    /// `io.poll`.
    IoPoll = m::IO_POLL, PollParams => Events;
    /// `io.subscribe` (WebSocket only).
    IoSubscribe = m::IO_SUBSCRIBE, SubscribeParams => Subscribed;
    /// `io.ack`.
    IoAck = m::IO_ACK, AckParams => Acked;
    /// `port.create`.
    PortCreate = m::PORT_CREATE, PortCreateParams => PortCreated;
    /// `port.link`.
    PortLink = m::PORT_LINK, LinkParams => Linked;
    /// `port.unlink`.
    PortUnlink = m::PORT_UNLINK, LinkParams => Unlinked;
    /// `port.send`.
    PortSend = m::PORT_SEND, SendParams => Sent;
    /// `port.recv`.
    PortRecv = m::PORT_RECV, RecvParams => PortMessages;
    /// `port.deliver`.
    PortDeliver = m::PORT_DELIVER, DeliverParams => Delivered;
    /// `net.save`.
    NetSave = m::NET_SAVE, NoParams => SavedNetwork;
    /// `net.load`.
    NetLoad = m::NET_LOAD, LoadParams => Loaded;
    /// `agents.start`.
    AgentsStart = m::AGENTS_START, PlatformParams => Created;
    /// `agents.list`.
    AgentsList = m::AGENTS_LIST, NoParams => Agents;
}

mod agents;
pub use agents::{AgentInfo, AgentPlacement, Agents, PlatformParams};
pub use vnet_sim::agents::AgentCounts;

/// A method that takes no parameters (`{}` or none).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// Names a session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionParams {
    /// The session's id.
    pub session: String,
}

/// `session.open`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opened {
    /// The node's name.
    pub node: String,
    /// The new session's id.
    pub session: String,
}

/// `session.resume`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resumed {
    /// The session's id.
    pub session: String,
    /// The last event's sequence number.
    pub last: u64,
    /// Events dropped for lack of room.
    pub dropped: u64,
}

/// `session.close`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closed {
    /// Always `true` (an unknown session is an error).
    pub closed: bool,
}

/// `node.info`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Info {
    /// The node's name.
    pub name: String,
    /// Its host profile's name, if it has one.
    pub profile: Option<String>,
    /// Milliseconds since it started.
    pub uptime_ms: u64,
    /// Its load.
    pub load: Load,
    /// Its ports.
    pub ports: Vec<PortInfo>,
    /// Its workers.
    pub vms: Vec<VmInfo>,
}

/// A node's load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Load {
    /// Messages handed to workers.
    pub messages_in: u64,
    /// Messages sent on ports (by workers and clients).
    pub messages_out: u64,
    /// Open sessions.
    pub sessions: u64,
    /// Workers alive.
    pub workers_alive: u64,
}

/// A port as `node.info` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortInfo {
    /// Its name.
    pub name: String,
    /// Where it forwards to.
    pub links: Vec<LinkEnd>,
    /// Messages waiting for `port.recv`.
    pub queued: u64,
    /// Messages `port.recv`'s queue dropped.
    pub dropped: u64,
    /// Messages its links could not take.
    pub link_drops: u64,
}

/// The far end of a link: a port on another node.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkEnd {
    /// The node's URL.
    pub url: String,
    /// The port there.
    pub port: String,
}

/// A worker's state as NMP names it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VmState {
    /// Running (or computing, under a profile).
    Running,
    /// Blocked in `recv` or `sleep`.
    Waiting,
    /// Ran to its end.
    Finished,
    /// Failed (an error, a broken limit).
    Failed,
    /// Killed.
    Killed,
}

impl VmState {
    /// The name on the wire, as serde writes it (`finished`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            VmState::Running => "running",
            VmState::Waiting => "waiting",
            VmState::Finished => "finished",
            VmState::Failed => "failed",
            VmState::Killed => "killed",
        }
    }
}

/// A worker as `vm.list` and `node.info` show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmInfo {
    /// Its id.
    pub vm: u32,
    /// Its language.
    pub lang: Lang,
    /// The ports it is attached to.
    pub ports: Vec<String>,
    /// Its session.
    pub session: String,
    /// Its state.
    pub state: VmState,
}

/// `vm.create`'s parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateParams {
    /// The session it belongs to.
    pub session: String,
    /// Its language.
    pub lang: Lang,
    /// Its program.
    pub code: String,
    /// The ports it is attached to (default: every port the node has).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub ports: Option<Vec<String>>,
    /// What the program's `params()` returns (default: nothing, `nil`/`null`).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub params: Option<serde_json::Map<String, Value>>,
}

/// `vm.create`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Created {
    /// The new worker's id.
    pub vm: u32,
}

/// Names a worker of a session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmParams {
    /// The session.
    pub session: String,
    /// The worker.
    pub vm: u32,
}

/// `vm.kill`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Killed {
    /// The worker.
    pub vm: u32,
    /// Whether it was still alive.
    pub killed: bool,
}

/// `vm.eval`'s parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalParams {
    /// The session.
    pub session: String,
    /// The worker.
    pub vm: u32,
    /// The code to evaluate.
    pub code: String,
}

/// `vm.eval`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluated {
    /// The value (Lua: the chunk's return value; JS: the completion value).
    pub value: Value,
}

/// `io.poll`'s parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollParams {
    /// The session.
    pub session: String,
    /// Events numbered above this (default 0); acknowledges everything up to it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub after: Option<u64>,
    /// How long to wait for an event (default 0, at most 30 000).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout_ms: Option<u64>,
    /// Events in one reply at most (default 1000, at most 10 000).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub max: Option<u64>,
}

/// Which stream an output event belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// A line the worker printed.
    Out,
    /// An error or a traceback.
    Err,
    /// The worker's end: `finished`, `failed` or `killed`.
    State,
    /// A value the worker recorded (`record(name, value)`): `text` is the name, `value` the
    /// value.
    Record,
}

/// An output event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Its sequence number in the session.
    pub seq: u64,
    /// The worker.
    pub vm: u32,
    /// Its stream.
    pub stream: Stream,
    /// The line, the end state, or a record's name.
    pub text: String,
    /// A record's value (a number, a boolean or a string; `null` for a number JSON cannot
    /// hold, such as NaN); absent on every other stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// `io.poll`'s result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Events {
    /// The events, oldest first.
    pub events: Vec<Event>,
    /// The last event's number.
    pub last: u64,
    /// Events dropped for lack of room.
    pub dropped: u64,
}

/// `io.event`'s parameters (a push after `io.subscribe`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventPush {
    /// The session.
    pub session: String,
    /// The events, oldest first.
    pub events: Vec<Event>,
    /// The last event's number.
    pub last: u64,
    /// Events dropped for lack of room.
    pub dropped: u64,
}

/// `io.subscribe`'s parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeParams {
    /// The session.
    pub session: String,
    /// Push the events numbered above this (default 0).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub after: Option<u64>,
}

/// `io.subscribe`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscribed {
    /// Always `true`.
    pub subscribed: bool,
}

/// `io.ack`'s parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckParams {
    /// The session.
    pub session: String,
    /// Acknowledge events up to this number.
    pub seq: u64,
}

/// `io.ack`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acked {
    /// The number acknowledged.
    pub acked: u64,
}

/// `port.create`'s parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortCreateParams {
    /// 1–64 characters of `[A-Za-z0-9_.-]`.
    pub name: String,
}

/// `port.create`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortCreated {
    /// The port's name.
    pub port: String,
}

/// `port.link`'s and `port.unlink`'s parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkParams {
    /// This node's port.
    pub port: String,
    /// The other node's URL.
    pub url: String,
    /// The port there.
    pub remote_port: String,
}

/// `port.link`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Linked {
    /// Always `true`.
    pub linked: bool,
}

/// `port.unlink`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unlinked {
    /// Always `true`.
    pub unlinked: bool,
}

/// `port.send`'s parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendParams {
    /// The port.
    pub port: String,
    /// The message.
    pub value: Value,
}

/// `port.send`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sent {
    /// Always `true`.
    pub sent: bool,
}

/// `port.recv`'s parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecvParams {
    /// The port.
    pub port: String,
    /// Messages numbered above this (default 0); forgets everything up to it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub after: Option<u64>,
    /// How long to wait for a message (default 0, at most 30 000).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout_ms: Option<u64>,
    /// Messages in one reply at most (default 1000, at most 10 000).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub max: Option<u64>,
}

/// A message workers sent on a port.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortMessage {
    /// Its sequence number on the port.
    pub seq: u64,
    /// The message.
    pub value: Value,
}

/// `port.recv`'s result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortMessages {
    /// The messages, oldest first.
    pub messages: Vec<PortMessage>,
    /// The last message's number.
    pub last: u64,
    /// Messages dropped for lack of room.
    pub dropped: u64,
}

/// `port.deliver`'s parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverParams {
    /// The port they arrive on.
    pub port: String,
    /// The messages, in order.
    pub messages: Vec<Value>,
    /// The sending node's name, for the record.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<String>,
}

/// `port.deliver`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivered {
    /// Messages taken.
    pub delivered: u64,
}

/// A node's ports, links and live workers: `net.save`'s result, `net.load`'s `network`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedNetwork {
    /// The ports, each with its links.
    #[serde(default)]
    pub ports: Vec<SavedPort>,
    /// The live workers.
    #[serde(default)]
    pub workers: Vec<SavedWorker>,
}

/// A saved port.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPort {
    /// Its name.
    pub name: String,
    /// Where it forwards to.
    #[serde(default)]
    pub links: Vec<LinkEnd>,
}

/// A saved worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedWorker {
    /// Its language.
    pub lang: Lang,
    /// Its program.
    pub code: String,
    /// What its `params()` returns (default: nothing).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub params: Option<serde_json::Map<String, Value>>,
    /// The ports it is attached to (default: every port).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub ports: Option<Vec<String>>,
}

/// `net.load`'s parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadParams {
    /// The session the workers start in.
    pub session: String,
    /// What to recreate: an object (the daemon refuses the array form serde would also take).
    pub network: SavedNetwork,
}

/// `net.load`'s result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Loaded {
    /// Ports created (existing ones are kept).
    pub ports: u64,
    /// Links made.
    pub links: u64,
    /// The workers started.
    pub vms: Vec<u32>,
}
