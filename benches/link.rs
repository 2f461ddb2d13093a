//! The message path through the kernel: a ping-pong over one link (send on a port, link model,
//! event queue, delivery to the program), per message; and a CMUX port fanning out to 8 links.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vnet::sim::topology::Topology;
use vnet::sim::{Context, LinkParams, Message, NodeProgram, PortId, SimDuration, Simulation};

const ROUNDS: u64 = 10_000;

/// Bounces every message back; node 0 starts, and stops after `ROUNDS` round trips.
struct Bounce {
    left: u64,
}

impl NodeProgram for Bounce {
    fn on_start(&mut self, ctx: &mut Context) {
        if ctx.node().0 == 0 {
            ctx.send(PortId(0), Message::bytes(vec![0u8; 100]));
        }
    }
    fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, msg: Message) {
        if ctx.node().0 == 0 {
            if self.left == 0 {
                return;
            }
            self.left -= 1;
        }
        ctx.send(port.unwrap_or(PortId(0)), msg);
    }
}

fn ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("link");
    group.throughput(Throughput::Elements(2 * ROUNDS));
    group.bench_function("ping_pong_100B", |b| {
        b.iter(|| {
            let mut sim = Simulation::new(1);
            let ids = Topology::line(2)
                .build(
                    &mut sim,
                    &LinkParams::new(SimDuration::from_millis(1), 10_000_000),
                )
                .unwrap();
            for &id in &ids {
                sim.add_worker(id, Box::new(Bounce { left: ROUNDS }));
            }
            sim.run();
            black_box(sim.now())
        });
    });
    group.finish();

    /// Sends `ROUNDS` messages on its one port (a star hub's), one per millisecond.
    struct Broadcaster(u64);
    impl NodeProgram for Broadcaster {
        fn on_start(&mut self, ctx: &mut Context) {
            ctx.set_timer(SimDuration::ZERO, 0);
        }
        fn on_timer(&mut self, ctx: &mut Context, _: u64) {
            ctx.send(PortId(0), Message::bytes(vec![0u8; 100]));
            self.0 += 1;
            if self.0 < ROUNDS {
                ctx.set_timer(SimDuration::from_millis(1), 0);
            }
        }
    }
    let mut group = c.benchmark_group("cmux");
    group.throughput(Throughput::Elements(8 * ROUNDS));
    group.bench_function("fan_out_8_links", |b| {
        b.iter(|| {
            let mut sim = Simulation::new(1);
            let hub = sim.add_node("hub").unwrap();
            for i in 0..8 {
                let leaf = sim.add_node(&format!("leaf{i}")).unwrap();
                sim.link(
                    hub,
                    "bus",
                    leaf,
                    "bus",
                    LinkParams::new(SimDuration::from_micros(100), 100_000_000),
                )
                .unwrap();
            }
            sim.add_worker(hub, Box::new(Broadcaster(0)));
            sim.run();
            black_box(sim.network().links()[7].stats(0).delivered)
        });
    });
    group.finish();
}

criterion_group!(benches, ping_pong);
criterion_main!(benches);
