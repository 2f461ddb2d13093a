//! NMP, the Network Management Protocol: JSON-RPC 2.0 over HTTP POST (`/nmp`) and WebSocket
//! (`/nmp/ws`), by which a controller manages a P-node's VM workers, output, ports and links.
//! `docs/nmp.md` is the specification, with an example of every request and reply.
//!
//! - [`rpc`]: the JSON-RPC envelope and error codes.
//! - [`auth`]: the pre-shared key and the per-request HMAC.
//! - [`client`]: an async client over HTTP, as V-node twins and tests use it.
//! - [`schema`]: every method's parameters and result as types ([`schema::Method`]).

pub mod auth;
pub mod client;
pub mod rpc;
pub mod schema;

/// Method names, as [`docs/nmp.md`] lists them.
pub mod method {
    /// Opens a session.
    pub const SESSION_OPEN: &str = "session.open";
    /// Resumes a session by id after a dropped connection.
    pub const SESSION_RESUME: &str = "session.resume";
    /// Closes a session, killing its workers.
    pub const SESSION_CLOSE: &str = "session.close";
    /// The node's name, profile, workers, ports and load.
    pub const NODE_INFO: &str = "node.info";
    /// Creates a Lua or JS worker.
    pub const VM_CREATE: &str = "vm.create";
    /// Kills a worker.
    pub const VM_KILL: &str = "vm.kill";
    /// Lists workers.
    pub const VM_LIST: &str = "vm.list";
    /// Evaluates code in a blocked worker.
    pub const VM_EVAL: &str = "vm.eval";
    /// Long-polls a session's output events.
    pub const IO_POLL: &str = "io.poll";
    /// Starts pushing a session's output over the WebSocket.
    pub const IO_SUBSCRIBE: &str = "io.subscribe";
    /// Acknowledges output events up to a sequence number.
    pub const IO_ACK: &str = "io.ack";
    /// Creates a port.
    pub const PORT_CREATE: &str = "port.create";
    /// Links a port to a port on another P-node.
    pub const PORT_LINK: &str = "port.link";
    /// Removes such a link.
    pub const PORT_UNLINK: &str = "port.unlink";
    /// Sends a message on a port.
    pub const PORT_SEND: &str = "port.send";
    /// Long-polls the messages workers sent on a port.
    pub const PORT_RECV: &str = "port.recv";
    /// Messages arriving over a link from another P-node.
    pub const PORT_DELIVER: &str = "port.deliver";
    /// The node's ports, links and workers as JSON.
    pub const NET_SAVE: &str = "net.save";
    /// Recreates ports, links and workers from `net.save`'s JSON.
    pub const NET_LOAD: &str = "net.load";
    /// Makes the node an agent platform, with agents placed on it.
    pub const AGENTS_START: &str = "agents.start";
    /// The node's agents and their counters.
    pub const AGENTS_LIST: &str = "agents.list";
    /// The WebSocket notification that carries output events.
    pub const IO_EVENT: &str = "io.event";
}
