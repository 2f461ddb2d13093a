//! What a run did, in numbers: printed at the end of `vnet run`, written as `summary.json`,
//! and one row of `vnet sweep`.

use serde_json::{Value, json};
use vnet::sim::{NodeId, Simulation, WorkerId, WorkerState};

/// A finished (or stopped) run's counts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Summary {
    pub seed: u64,
    pub virtual_end_ns: u64,
    pub events: u64,
    pub sent: u64,
    pub delivered: u64,
    pub dropped_queue_full: u64,
    pub dropped_loss: u64,
    pub dropped_link_down: u64,
    pub dropped_cut: u64,
    pub dropped_node_down: u64,
    /// Workers by final state: finished, failed, killed, waiting, running, crashed.
    pub workers: [usize; 6],
    pub faults: vnet::sim::faults::FaultStats,
    /// Agent counts, if any node hosts agents.
    pub agents: Option<vnet::sim::agents::AgentCounts>,
    /// Tuple-space counts, summed over nodes.
    pub tuples: vnet::sim::agents::TupleCounts,
    pub wall_s: f64,
    pub trace_hash: Option<u64>,
    pub interrupted: bool,
    /// How a `--threads` run went.
    pub parallel: Option<ParallelSummary>,
}

/// The windows of a `--threads` run.
#[derive(Clone, Debug, Default)]
pub(crate) struct ParallelSummary {
    pub threads: u32,
    /// MPI ranks (`--mpi`) rather than threads.
    pub mpi: bool,
    pub lookahead_ns: Option<u64>,
    pub windows: u64,
    pub events_per_window: f64,
    /// Events made in one part for another part's node, over all events.
    pub crossing_fraction: f64,
    /// Seconds each thread spent running its part's events (the rest: waiting, exchanging,
    /// merging the output).
    pub busy_s: Vec<f64>,
    /// Seconds the lead thread spent merging the parts' output.
    pub merging_s: f64,
}

impl ParallelSummary {
    pub fn of(
        cut: &vnet::sim::parallel::Partition,
        w: &vnet::sim::parallel::WindowStats,
        mpi: bool,
    ) -> Self {
        ParallelSummary {
            threads: cut.k,
            mpi,
            lookahead_ns: cut.lookahead.map(|l| l.as_nanos()),
            windows: w.windows,
            events_per_window: w.events_per_window(),
            crossing_fraction: w.crossing_fraction(),
            busy_s: w.busy.iter().map(|b| b.as_secs_f64()).collect(),
            merging_s: w.merging.as_secs_f64(),
        }
    }
}

impl Summary {
    /// The counts of `sim` after `events` events in `wall_s` seconds.
    pub fn of(sim: &Simulation, seed: u64, events: u64, wall_s: f64) -> Self {
        let mut s = Summary {
            seed,
            virtual_end_ns: sim.now().as_nanos(),
            events,
            wall_s,
            ..Summary::default()
        };
        for l in sim.network().links() {
            let t = l.stats_total();
            s.sent += t.sent;
            s.delivered += t.delivered;
            s.dropped_queue_full += t.dropped_queue_full;
            s.dropped_loss += t.dropped_loss;
            s.dropped_link_down += t.dropped_link_down;
            s.dropped_cut += t.dropped_cut;
        }
        s.faults = sim.results().fault_stats().clone();
        s.agents = sim.hosts_agents().then(|| sim.agent_counts());
        s.tuples = sim.tuple_counts();
        // Every message lost at a down node: over links, from siblings and direct.
        s.dropped_node_down = s.faults.dropped_node_down;
        for n in 0..sim.network().nodes().len() {
            for w in 0.. {
                let Some(state) = sim.worker_state(NodeId(n as u32), WorkerId(w)) else {
                    break;
                };
                s.workers[match state {
                    WorkerState::Finished => 0,
                    WorkerState::Failed => 1,
                    WorkerState::Killed => 2,
                    WorkerState::Waiting => 3,
                    WorkerState::Starting | WorkerState::Running => 4,
                    WorkerState::Crashed => 5,
                }] += 1;
            }
        }
        s
    }

    pub fn failed(&self) -> usize {
        self.workers[1]
    }

    fn events_per_s(&self) -> f64 {
        self.events as f64 / self.wall_s.max(1e-9)
    }

    /// The summary lines of `vnet run`: two, then one when faults happened, one when nodes
    /// host agents and one when tuple spaces were used.
    pub fn lines(&self) -> Vec<String> {
        let w = self.workers;
        let hash = self
            .trace_hash
            .map_or(String::new(), |h| format!("; trace_hash={h:016x}"));
        let stop = if self.interrupted {
            " (stopped by Ctrl-C)"
        } else {
            ""
        };
        let f = &self.faults;
        let faulty = *f != Default::default();
        let fault_drops = if faulty {
            format!(
                " cut={} node_down={}",
                self.dropped_cut, self.dropped_node_down
            )
        } else {
            String::new()
        };
        let crashed = if faulty {
            format!(" crashed={}", w[5])
        } else {
            String::new()
        };
        let mut lines = vec![
            format!(
                "vnet: virtual end {} ms{stop}; {} events; messages sent={} delivered={} \
                 dropped: queue_full={} loss={} link_down={}{fault_drops}",
                self.virtual_end_ns as f64 / 1e6,
                self.events,
                self.sent,
                self.delivered,
                self.dropped_queue_full,
                self.dropped_loss,
                self.dropped_link_down
            ),
            format!(
                "vnet: workers finished={} failed={} killed={} waiting={} running={}{crashed}; \
                 seed {}; wall {:.3} s, {:.0} events/s{hash}",
                w[0],
                w[1],
                w[2],
                w[3],
                w[4],
                self.seed,
                self.wall_s,
                self.events_per_s()
            ),
        ];
        if faulty {
            lines.push(format!(
                "vnet: faults crashes={} restarts={} partitions={} cuts={} heals={} \
                 links_down={} links_up={} held={} released={} duplicated={} corrupted={} \
                 spiked={}",
                f.crashes,
                f.restarts,
                f.partitions,
                f.cuts,
                f.heals,
                f.links_down,
                f.links_up,
                f.held,
                f.released,
                f.duplicated,
                f.corrupted,
                f.spiked
            ));
        }
        if let Some(a) = &self.agents {
            lines.push(format!(
                "vnet: agents placed={} arrived={} departed={} cloned={} finished={} failed={} \
                 killed={} refused={}",
                a.placed,
                a.arrived,
                a.departed,
                a.cloned,
                a.finished,
                a.failed,
                a.killed,
                a.refused
            ));
        }
        if let Some(p) = &self.parallel {
            let lookahead = p
                .lookahead_ns
                .map_or("none (no link cut)".to_string(), |l| {
                    vnet::sim::SimDuration::from_nanos(l).to_string()
                });
            lines.push(format!(
                "vnet: parallel {}={} lookahead={lookahead} windows={} \
                 events/window={:.1} crossing={:.1} % busy_s={} merging_s={:.3}",
                if p.mpi { "ranks" } else { "threads" },
                p.threads,
                p.windows,
                p.events_per_window,
                100.0 * p.crossing_fraction,
                p.busy_s
                    .iter()
                    .map(|b| format!("{b:.3}"))
                    .collect::<Vec<_>>()
                    .join(","),
                p.merging_s
            ));
        }
        let t = &self.tuples;
        if *t != Default::default() {
            lines.push(format!(
                "vnet: tuples out={} read={} taken={} missed={} waited={} expired={}",
                t.outs, t.reads, t.takes, t.misses, t.waits, t.expired
            ));
        }
        lines
    }

    /// `summary.json`: the same numbers, named.
    pub fn to_json(&self) -> Value {
        let w = self.workers;
        json!({
            "seed": self.seed,
            "virtual_end_ns": self.virtual_end_ns,
            "events": self.events,
            "messages": {
                "sent": self.sent,
                "delivered": self.delivered,
                "dropped_queue_full": self.dropped_queue_full,
                "dropped_loss": self.dropped_loss,
                "dropped_link_down": self.dropped_link_down,
                "dropped_cut": self.dropped_cut,
                "dropped_node_down": self.dropped_node_down,
            },
            "workers": {
                "finished": w[0], "failed": w[1], "killed": w[2], "waiting": w[3], "running": w[4],
                "crashed": w[5],
            },
            "faults": self.faults,
            "agents": self.agents,
            "tuples": self.tuples,
            "wall_s": self.wall_s,
            "events_per_s": self.events_per_s(),
            "trace_hash": self.trace_hash.map(|h| format!("{h:016x}")),
            "interrupted": self.interrupted,
            "parallel": self.parallel.as_ref().map(|p| json!({
                "threads": p.threads,
                "mpi": p.mpi,
                "lookahead_ns": p.lookahead_ns,
                "windows": p.windows,
                "events_per_window": p.events_per_window,
                "crossing_fraction": p.crossing_fraction,
                "busy_s": p.busy_s,
                "merging_s": p.merging_s,
            })),
        })
    }
}
