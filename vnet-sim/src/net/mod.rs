//! The network graph G = ⟨N, P, C⟩: nodes with named ports, and links between ports.
//!
//! This layer knows nothing of programs or of the event loop: it holds the structure, the link
//! model and the counters; the kernel asks it what happens to a message and schedules that.

mod link;
mod message;
pub(crate) mod packed;
mod stats;

pub use link::{
    Jitter, Link, LinkDir, LinkParams, LinkParamsError, Rounding, SerialLine, Transmit,
};
pub use message::{Message, Payload};
pub use stats::{DropCause, LinkStats, NodeStats};

use std::hash::{BuildHasher, RandomState};

use compact_str::CompactString;
use hashbrown::HashTable;

use crate::queue::MAX_SOURCE;
use crate::rng::{StreamKind, stream};

/// A node, by index in its network.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NodeId(pub u32);

/// A port of a node, by index among that node's ports.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PortId(pub u16);

/// A link, by index in its network.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u32);

/// One end of a link: a node's port.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// The node.
    pub node: NodeId,
    /// The port on that node.
    pub port: PortId,
}

/// A named port: a message multiplexer (CMUX) over the link directions attached to it.
#[derive(Clone, Debug)]
pub struct Port {
    name: String,
    links: Vec<LinkDir>,
}

impl Port {
    /// The port's name, unique within its node.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The outgoing link directions attached to this port.
    pub fn links(&self) -> &[LinkDir] {
        &self.links
    }
}

/// A node's place in the graph.
#[derive(Clone, Debug)]
pub struct Node {
    /// Inline up to 24 bytes: no allocation for the usual short names.
    name: CompactString,
    /// A boxed slice, not a `Vec`: ports are added while building, and a million idle nodes
    /// should cost little.
    ports: Box<[Port]>,
}

impl Node {
    /// The node's name, unique within the network.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The node's ports, indexed by [`PortId`].
    pub fn ports(&self) -> &[Port] {
        &self.ports
    }
    /// The port called `name`.
    pub fn port_by_name(&self, name: &str) -> Option<PortId> {
        self.ports
            .iter()
            .position(|p| p.name == name)
            .map(|i| PortId(i as u16))
    }
}

/// Errors building a network.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NetError {
    /// Two nodes with one name.
    #[error("duplicate node name `{0}`")]
    DuplicateNode(String),
    /// Two ports with one name on a node.
    #[error("node `{node}` already has a port `{port}`")]
    DuplicatePort {
        /// The node.
        node: String,
        /// The port name.
        port: String,
    },
    /// More nodes than event keys can name, or ports than a node can have.
    #[error("too many {0}")]
    TooMany(&'static str),
    /// An id that names nothing.
    #[error("no such {0}")]
    NoSuch(&'static str),
    /// Link parameters out of range.
    #[error("link {link}: {reason}")]
    BadLink {
        /// The link, as `a.port -- b.port`.
        link: String,
        /// What is wrong.
        #[source]
        reason: LinkParamsError,
    },
    /// A device built of nodes (a switch) given the wrong number of them.
    #[error("{device}: {given} names for {needed} nodes")]
    WrongCount {
        /// The device.
        device: String,
        /// Names given.
        given: usize,
        /// Nodes it has.
        needed: usize,
    },
}

/// Nodes, ports and links. Link randomness is seeded per link direction from `seed`.
#[derive(Clone, Debug)]
pub struct Network {
    seed: u64,
    nodes: Vec<Node>,
    links: Vec<Link>,
    /// Name lookup only (never iterated, so its order cannot leak into a run): node ids,
    /// hashed by their node's name, which is kept once, in the node.
    names: HashTable<NodeId>,
    hasher: RandomState,
    /// Nodes' positions, by node (NaN: none); empty until one is set, so that networks
    /// without positions pay nothing for them.
    positions: Vec<[f64; 2]>,
    /// Bumped by every change to the graph, so views of it know when to refresh.
    revision: u64,
}

impl Network {
    /// An empty network whose link streams derive from `seed`.
    pub fn new(seed: u64) -> Self {
        Network {
            seed,
            nodes: Vec::new(),
            links: Vec::new(),
            names: HashTable::new(),
            hasher: RandomState::new(),
            positions: Vec::new(),
            revision: 0,
        }
    }

    /// Changes every time a node, port or link is added.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Makes room for `additional` more nodes at once, so that adding a million nodes does not
    /// hold two copies of the node table while it grows.
    pub fn reserve_nodes(&mut self, additional: usize) {
        self.nodes.reserve_exact(additional);
        let (nodes, hasher) = (&self.nodes, &self.hasher);
        self.names
            .reserve(additional, |&i| hasher.hash_one(&*nodes[i.0 as usize].name));
    }

    /// Adds a node; names must be unique.
    pub fn add_node(&mut self, name: &str) -> Result<NodeId, NetError> {
        if self.nodes.len() >= MAX_SOURCE as usize {
            return Err(NetError::TooMany("nodes"));
        }
        if self.node_by_name(name).is_some() {
            return Err(NetError::DuplicateNode(name.into()));
        }
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node {
            name: name.into(),
            ports: Box::default(),
        });
        let (nodes, hasher) = (&self.nodes, &self.hasher);
        self.names.insert_unique(hasher.hash_one(name), id, |&i| {
            hasher.hash_one(&*nodes[i.0 as usize].name)
        });
        self.revision += 1;
        Ok(id)
    }

    /// Places `node` at `pos`.
    pub fn set_position(&mut self, node: NodeId, pos: [f64; 2]) -> Result<(), NetError> {
        let i = node.0 as usize;
        if i >= self.nodes.len() {
            return Err(NetError::NoSuch("node"));
        }
        if self.positions.len() <= i {
            self.positions.resize(self.nodes.len(), [f64::NAN; 2]);
        }
        self.positions[i] = pos;
        Ok(())
    }

    /// Where `node` is (spatial sensor fields read it), if it was placed.
    pub fn position(&self, node: NodeId) -> Option<[f64; 2]> {
        self.positions
            .get(node.0 as usize)
            .copied()
            .filter(|p| !p[0].is_nan())
    }

    /// Adds a port to `node`; names must be unique within the node.
    pub fn add_port(&mut self, node: NodeId, name: &str) -> Result<PortId, NetError> {
        let n = self
            .nodes
            .get_mut(node.0 as usize)
            .ok_or(NetError::NoSuch("node"))?;
        if n.port_by_name(name).is_some() {
            return Err(NetError::DuplicatePort {
                node: n.name.to_string(),
                port: name.into(),
            });
        }
        if n.ports.len() >= u16::MAX as usize {
            return Err(NetError::TooMany("ports on one node"));
        }
        let mut ports = std::mem::take(&mut n.ports).into_vec();
        ports.push(Port {
            name: name.into(),
            links: Vec::new(),
        });
        n.ports = ports.into_boxed_slice();
        let id = PortId(n.ports.len() as u16 - 1);
        self.revision += 1;
        Ok(id)
    }

    /// The port `name` of `node`, created if missing.
    pub fn port_or_add(&mut self, node: NodeId, name: &str) -> Result<PortId, NetError> {
        match self.node(node).and_then(|n| n.port_by_name(name)) {
            Some(p) => Ok(p),
            None => self.add_port(node, name),
        }
    }

    /// Connects two ports with a full-duplex link.
    pub fn connect(
        &mut self,
        a: Endpoint,
        b: Endpoint,
        params: LinkParams,
    ) -> Result<LinkId, NetError> {
        for e in [a, b] {
            self.node(e.node)
                .and_then(|n| n.ports.get(e.port.0 as usize))
                .ok_or(NetError::NoSuch("port"))?;
        }
        let id = LinkId(u32::try_from(self.links.len()).map_err(|_| NetError::TooMany("links"))?);
        params.validate().map_err(|reason| NetError::BadLink {
            link: self.describe_ends(a, b),
            reason,
        })?;
        let rng = |d: u64| stream(self.seed, StreamKind::LinkDirection, (id.0 as u64) << 1 | d);
        self.links.push(Link::new([a, b], params, [rng(0), rng(1)]));
        self.nodes[a.node.0 as usize].ports[a.port.0 as usize]
            .links
            .push(LinkDir { link: id, dir: 0 });
        self.nodes[b.node.0 as usize].ports[b.port.0 as usize]
            .links
            .push(LinkDir { link: id, dir: 1 });
        self.revision += 1;
        Ok(id)
    }

    /// `a.port -- b.port`, for messages.
    pub fn describe_ends(&self, a: Endpoint, b: Endpoint) -> String {
        format!("{} -- {}", self.describe(a), self.describe(b))
    }

    /// `node.port`, for messages.
    pub fn describe(&self, e: Endpoint) -> String {
        let node = self.node(e.node);
        let port = node.and_then(|n| n.ports.get(e.port.0 as usize));
        format!(
            "{}.{}",
            node.map_or("?", |n| n.name()),
            port.map_or("?", |p| p.name())
        )
    }

    /// The nodes, indexed by [`NodeId`].
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    /// A node.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0 as usize)
    }
    /// The node called `name`.
    pub fn node_by_name(&self, name: &str) -> Option<NodeId> {
        let nodes = &self.nodes;
        self.names
            .find(self.hasher.hash_one(name), |&i| {
                &*nodes[i.0 as usize].name == name
            })
            .copied()
    }
    /// The links, indexed by [`LinkId`].
    pub fn links(&self) -> &[Link] {
        &self.links
    }
    /// A link.
    pub fn link(&self, id: LinkId) -> Option<&Link> {
        self.links.get(id.0 as usize)
    }
    pub(crate) fn link_mut(&mut self, id: LinkId) -> Option<&mut Link> {
        self.links.get_mut(id.0 as usize)
    }
    /// The seed link streams derive from.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}
