//! Algorithm studies: classic distributed algorithms as Lua (and JavaScript) node programs on a
//! chosen topology, each run checking its own correctness condition and reporting the metrics a
//! study sweeps (messages, virtual completion time, accuracy).
//!
//! [`NetSpec`] says what network to build; [`run_programs`] builds it, gives every node its
//! program and runs the simulation to the end; each algorithm module turns the finished run's
//! records (what the programs `record`ed) into a report with a `check` that says what went
//! wrong, if anything. Programs read their node's part (a uid, a neighbour) from `params()`.

mod broadcast;
mod clock_sync;
mod echo;
mod election;
mod gossip;

pub use broadcast::{BroadcastReport, broadcast};
pub use clock_sync::{ClockSync, ClockSyncReport, clock_sync};
pub use echo::{EchoReport, echo};
pub use election::{ElectionReport, chang_roberts, flood_max};
pub use gossip::{Gossip, GossipReport, gossip};

use vnet_sim::rng::{SimRng, StreamKind, stream};
use vnet_sim::topology::Topology;
use vnet_sim::vm::{Lang, VmProgram, vm_worker};
use vnet_sim::{LinkParams, LogStream, RecordValue, SimDuration, Simulation};

/// The shape of a study's network.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A 2D mesh grid, as square as `n` allows (`rows = ⌊√n⌋`, `cols = ⌈n / rows⌉`; `rows·cols` nodes).
    Grid,
    /// A ring of `n` nodes.
    Ring,
    /// A connected random geometric graph of `n` nodes in the unit square, radius `√(2·ln n / n)`
    /// (redrawn from the next seed until connected).
    Geometric,
}

impl Shape {
    /// Every shape, in the order studies sweep them.
    pub const ALL: [Shape; 3] = [Shape::Grid, Shape::Ring, Shape::Geometric];

    /// Its name in CSV files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Grid => "grid",
            Shape::Ring => "ring",
            Shape::Geometric => "geometric",
        }
    }

    /// The topology of `n` nodes; `seed` places a geometric graph's nodes.
    pub fn topology(self, n: usize, seed: u64) -> Topology {
        match self {
            Shape::Grid => {
                let rows = ((n as f64).sqrt().floor() as usize).max(1);
                Topology::grid(rows, n.div_ceil(rows))
            }
            Shape::Ring => Topology::ring(n),
            Shape::Geometric => {
                let radius = (2.0 * (n.max(2) as f64).ln() / n.max(2) as f64).sqrt();
                (0..)
                    .map(|k| Topology::random_geometric(n, radius, seed.wrapping_add(k)))
                    .find(Topology::is_connected)
                    .unwrap_or_else(|| Topology::complete(n))
            }
        }
    }
}

impl std::str::FromStr for Shape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Shape::ALL
            .into_iter()
            .find(|shape| shape.name() == s)
            .ok_or_else(|| format!("unknown shape `{s}` (grid, ring or geometric)"))
    }
}

/// The network a study runs on: its shape and size, and one set of link parameters for every
/// link.
#[derive(Clone, Debug)]
pub struct NetSpec {
    /// The topology's shape.
    pub shape: Shape,
    /// Nodes asked for (a grid rounds up to full rows).
    pub n: usize,
    /// Link latency.
    pub latency: SimDuration,
    /// Link bandwidth, bits/s.
    pub bandwidth: u64,
    /// Uniform jitter bound per message (zero: none).
    pub jitter: SimDuration,
    /// Loss probability per message.
    pub loss: f64,
    /// Master seed of the run (links, nodes, and the study's own draws).
    pub seed: u64,
}

impl NetSpec {
    /// `n` nodes shaped `shape`: 1 ms links at 10 Mb/s, no jitter, no loss, seed 1.
    pub fn new(shape: Shape, n: usize) -> Self {
        NetSpec {
            shape,
            n,
            latency: SimDuration::from_millis(1),
            bandwidth: 10_000_000,
            jitter: SimDuration::ZERO,
            loss: 0.0,
            seed: 1,
        }
    }

    /// The link parameters every link gets.
    pub fn link_params(&self) -> LinkParams {
        super::link_params(self.latency, self.bandwidth, self.jitter, self.loss)
    }

    /// The topology (node `i` is named `n<i>`; ports are named after the neighbour).
    pub fn topology(&self) -> Topology {
        self.shape.topology(self.n, self.seed)
    }

    /// A random stream for the study's own draws (uids, initial values), apart from every
    /// node's and link's.
    pub fn rng(&self) -> SimRng {
        stream(self.seed, StreamKind::User, 0x5354_5544)
    }
}

/// A finished run: the simulation (logs, stats) and the network's figures.
pub struct StudyRun {
    /// The simulation after its run.
    pub sim: Simulation,
    /// The topology it ran on.
    pub topology: Topology,
    /// Messages handed to links, over every link and direction.
    pub messages: u64,
}

impl StudyRun {
    /// The values recorded under `name`, as `(node index, virtual ms, value)`, in the order
    /// recorded.
    pub fn records<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (usize, f64, &'a RecordValue)> + 'a {
        self.sim
            .results()
            .records()
            .iter()
            .filter(move |r| r.name == name)
            .map(|r| (r.node.0 as usize, r.time.as_millis_f64(), &r.value))
    }

    /// The first worker error, if a program failed (`node: message`).
    pub fn failure(&self) -> Option<String> {
        self.sim
            .results()
            .logs()
            .iter()
            .find(|l| l.stream == LogStream::Err)
            .map(|l| format!("node n{}: {}", l.node.0, l.text))
    }
}

/// Builds `net`, gives node `i` the worker `worker(i)` makes, and runs the simulation until
/// nothing is left to do.
pub fn run_programs(
    net: &NetSpec,
    mut worker: impl FnMut(usize) -> Box<VmProgram>,
) -> Result<StudyRun, String> {
    let topology = net.topology();
    let mut sim = Simulation::new(net.seed);
    let ids = topology
        .build(&mut sim, &net.link_params())
        .map_err(|e| e.to_string())?;
    for (i, &id) in ids.iter().enumerate() {
        sim.add_worker(id, worker(i));
    }
    sim.run();
    let messages = sim
        .network()
        .links()
        .iter()
        .map(|l| l.stats_total().sent)
        .sum();
    Ok(StudyRun {
        sim,
        topology,
        messages,
    })
}

/// A worker running `code` in `lang`, named `file` in its errors (`echo.lua:12: …`), with
/// `params` as what `params()` returns.
pub fn study_worker(
    lang: Lang,
    file: &str,
    code: &str,
    params: serde_json::Value,
) -> Box<VmProgram> {
    Box::new(
        (*vm_worker(lang, code))
            .with_source_name(file)
            .with_params(params),
    )
}

/// A recorded integer, if it is one.
fn int(v: &RecordValue) -> Option<i64> {
    match *v {
        RecordValue::Int(i) => Some(i),
        _ => None,
    }
}

/// A recorded number, if it is one.
fn float(v: &RecordValue) -> Option<f64> {
    v.as_f64()
}

/// The topology's link count, in the type reports count messages in.
fn edge_count(t: &Topology) -> u64 {
    t.edge_count() as u64
}
