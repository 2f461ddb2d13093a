//! PHOLD, the standard synthetic benchmark for discrete-event kernels, through vnet's public node API.
//!
//! N nodes each start M events. Handling an event schedules one new event at a uniformly chosen
//! node after a lookahead of 0.1 s plus an exponential delay of mean 0.9 s (a direct send, like
//! ns-3's `ScheduleWithContext`). The run ends at virtual time T.
//!
//! Usage: `cargo run --release --example phold -- [N M T] [--seed S]` (defaults 1024 16 200).
//! Prints one line in the format of the peers in `../shared/peers/`. With `VNET_PHOLD_MEMORY=1`
//! it also samples the event queue's memory overhead per pending event every virtual second.

use rand::RngExt;
use rand_distr::{Distribution, Exp};
use vnet::sim::{Context, Message, NodeId, NodeProgram, PortId, SimDuration, SimTime, Simulation};

const LOOKAHEAD: SimDuration = SimDuration::from_millis(100);

struct Phold {
    nodes: u32,
    initial: u32,
    delay: Exp<f64>,
}

impl Phold {
    fn forward(&self, ctx: &mut Context, dst: NodeId, msg: Message) {
        let extra = self.delay.sample(ctx.rng()) as u64;
        ctx.send_to(dst, LOOKAHEAD + SimDuration::from_nanos(extra), msg);
    }
}

impl NodeProgram for Phold {
    fn on_start(&mut self, ctx: &mut Context) {
        for _ in 0..self.initial {
            self.forward(ctx, ctx.node(), Message::empty());
        }
    }
    fn on_message(&mut self, ctx: &mut Context, _port: Option<PortId>, msg: Message) {
        let dst = NodeId(ctx.rng().random_range(0..self.nodes));
        self.forward(ctx, dst, msg);
    }
}

#[derive(clap::Parser)]
#[command(
    about = "PHOLD through the vnet kernel; prints one line like the peers in ../shared/peers"
)]
struct Args {
    /// Nodes (logical processes).
    #[arg(default_value_t = 1024)]
    n: u32,
    /// Initial events per node.
    #[arg(default_value_t = 16)]
    m: u32,
    /// Virtual end time in seconds.
    #[arg(default_value_t = 200.0)]
    t: f64,
    /// Master seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn main() {
    let Args { n, m, t, seed } = clap::Parser::parse();
    if n == 0 || t.is_nan() || t < 0.0 {
        eprintln!("phold: N must be at least 1 and T a non-negative number of seconds");
        std::process::exit(2);
    }

    let mut sim = Simulation::new(seed);
    sim.reserve_nodes(n as usize);
    let delay = Exp::new(1.0 / 0.9e9).expect("positive rate");
    for i in 0..n {
        let node = sim.add_node(&format!("lp{i}")).expect("fresh names");
        sim.add_worker(
            node,
            Box::new(Phold {
                nodes: n,
                initial: m,
                delay,
            }),
        );
    }
    // Start-up (each node scheduling its M initial events) is not timed, as in the peers.
    sim.run_until(SimTime::ZERO);
    let overhead_start = sim.queue_overhead_bytes() as f64 / sim.pending_events().max(1) as f64;
    let end = SimTime::from_secs_f64(t);
    let clock = std::time::Instant::now();
    let mut worst = overhead_start;
    if std::env::var_os("VNET_PHOLD_MEMORY").is_some() {
        // Sample the queue's overhead every virtual second (timing is then not comparable).
        let mut at = SimTime::ZERO;
        while at < end {
            at = (at + SimDuration::from_secs(1)).min(end);
            sim.run_until(at);
            worst =
                worst.max(sim.queue_overhead_bytes() as f64 / sim.pending_events().max(1) as f64);
        }
        eprintln!(
            "queue overhead per pending event: {overhead_start:.1} B after start-up, at most {worst:.1} B sampled each virtual second ({} pending at the end)",
            sim.pending_events()
        );
    } else {
        sim.run_until(end);
    }
    let wall = clock.elapsed().as_secs_f64();
    let events: u64 = (0..n)
        .filter_map(|i| sim.results().node_stats(NodeId(i)))
        .map(|s| s.received)
        .sum();
    println!(
        "vnet phold n={n} m={m} t={t} events={events} wall_s={wall:.3} events_per_s={:.0}",
        events as f64 / wall
    );
}
