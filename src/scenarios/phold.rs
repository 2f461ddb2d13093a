//! PHOLD, the standard synthetic benchmark for discrete-event kernels, through vnet's public
//! node API (`examples/phold.rs` runs it alone, on threads or ranks; `examples/parallel_sweep.rs`
//! sweeps its lookahead and remote fraction on threads).
//!
//! N nodes each start M events. Handling an event schedules one new event after the lookahead
//! plus an exponential delay of mean 0.9 s (a direct send, like ns-3's
//! `ScheduleWithContext`): at a uniformly chosen node with probability `remote`, else at the
//! node itself.

use std::rc::Rc;

use rand::RngExt;
use rand_distr::{Distribution, Exp};
use vnet_sim::{Context, Message, NodeId, NodeProgram, PortId, SimDuration, Simulation};

/// PHOLD's knobs beside N and M.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct PholdShape {
    /// The minimum delay of an event: a parallel run's lookahead (0.1 s by default).
    pub lookahead: SimDuration,
    /// The probability that an event goes to a uniformly chosen node rather than its own
    /// (1 by default: no draw is made for it, as in the classic model). On K parts about
    /// `remote · (K − 1) / K` of the events cross.
    pub remote: f64,
}

impl Default for PholdShape {
    fn default() -> Self {
        PholdShape {
            lookahead: SimDuration::from_millis(100),
            remote: 1.0,
        }
    }
}

/// What every node's program shares: one allocation for the run, so that a node's own
/// program is a pointer (the smallest heap block; memory per node is one of PHOLD's figures).
struct Model {
    nodes: u32,
    initial: u32,
    delay: Exp<f64>,
    lookahead: SimDuration,
    /// The remote fraction, `None` for 1 (every event remote, no draw).
    remote: Option<f64>,
}

struct Phold(Rc<Model>);

impl Phold {
    fn forward(&self, ctx: &mut Context, dst: NodeId, msg: Message) {
        let extra = self.0.delay.sample(ctx.rng()) as u64;
        ctx.send_to(dst, self.0.lookahead + SimDuration::from_nanos(extra), msg);
    }
}

impl NodeProgram for Phold {
    fn on_start(&mut self, ctx: &mut Context) {
        for _ in 0..self.0.initial {
            self.forward(ctx, ctx.node(), Message::empty());
        }
    }
    fn on_message(&mut self, ctx: &mut Context, _port: Option<PortId>, msg: Message) {
        let remote = self.0.remote.is_none_or(|p| ctx.rng().random_bool(p));
        let dst = if remote {
            NodeId(ctx.rng().random_range(0..self.0.nodes))
        } else {
            ctx.node()
        };
        self.forward(ctx, dst, msg);
    }
}

/// PHOLD's simulation of `n` nodes with `m` events each, programs on the nodes `mine`
/// accepts (all of them alone; a part's own on threads or ranks).
pub fn phold(
    n: u32,
    m: u32,
    seed: u64,
    shape: PholdShape,
    mine: impl Fn(u32) -> bool,
) -> Simulation {
    let mut sim = Simulation::new(seed);
    sim.reserve_nodes(n as usize);
    let model = Rc::new(Model {
        nodes: n,
        initial: m,
        delay: Exp::new(1.0 / 0.9e9).expect("positive rate"),
        lookahead: shape.lookahead,
        remote: (shape.remote < 1.0).then_some(shape.remote),
    });
    for i in 0..n {
        let node = sim.add_node(&format!("lp{i}")).expect("fresh names");
        if mine(i) {
            sim.add_worker(node, Box::new(Phold(model.clone())));
        }
    }
    sim
}

/// PHOLD's events so far: messages its `n` nodes received.
pub fn phold_events(sim: &Simulation, n: u32) -> u64 {
    (0..n)
        .filter_map(|i| sim.results().node_stats(NodeId(i)))
        .map(|s| s.received)
        .sum()
}
