//! Leader election under node churn: the network file `examples/networks/leader_churn/leader.json`
//! (heartbeats flooded every 200 ms; the leader is the largest id heard within 700 ms) run with
//! its churn's MTBF and MTTR overridden, and measured from outside — from the kernel's fault log
//! (who was up when) and the nodes' `leader` records — never from what programs print.
//!
//! **Agreement** holds at an instant when every up node's leader is the largest id among the up
//! nodes it can reach (its connected component of up nodes: a grid with crashed nodes may
//! fall apart). After each fault (a crash, or a restarted node coming up) the **time to agree
//! again** is how long until agreement next holds; a fault after which it never holds again
//! before the run ends is an **error** (not counted in the time).

use std::collections::VecDeque;
use std::path::Path;

use vnet_sim::netfile::{NetworkFile, Override, ProgramRegistry};
use vnet_sim::vm::VmConfig;
use vnet_sim::{SimTime, Simulation};

/// What one run of the file showed.
#[derive(Clone, Debug, PartialEq)]
pub struct LeaderChurnReport {
    /// Crashes and boots after the warm-up.
    pub faults: usize,
    /// Of those, the ones agreement followed before the end.
    pub reagreed: usize,
    /// Mean time to agree again over those, ms.
    pub reagree_ms: f64,
    /// Longest time to agree again, ms.
    pub reagree_max_ms: f64,
    /// Fraction of the time after the warm-up in agreement.
    pub agreement: f64,
}

impl LeaderChurnReport {
    /// Faults after which agreement never came back, as a fraction (0 if none).
    pub fn error_rate(&self) -> f64 {
        if self.faults == 0 {
            0.0
        } else {
            1.0 - self.reagreed as f64 / self.faults as f64
        }
    }
}

/// Loads `file` with `sets` applied, runs it with `seed` to its `run.until`, and measures
/// agreement after `warmup`.
pub fn leader_churn(
    file: &Path,
    sets: &[Override],
    seed: u64,
    warmup: SimTime,
) -> Result<LeaderChurnReport, String> {
    let f = NetworkFile::load_with(file, sets).map_err(|e| e.to_string())?;
    let until = f
        .run
        .until
        .map(|d| SimTime::ZERO + d)
        .ok_or("the file needs a `run.until`")?;
    let base = file.parent().unwrap_or(Path::new("."));
    let mut sim = f
        .instantiate_at(
            &ProgramRegistry::new(),
            Some(seed),
            base,
            &VmConfig::default(),
        )
        .map_err(|e| e.to_string())?;
    sim.run_until(until);
    Ok(measure(&sim, warmup, until))
}

/// A change at one instant: a node goes down or up, or a node takes a leader.
enum Change {
    Up(usize, bool),
    Leader(usize, i64),
}

fn measure(sim: &Simulation, warmup: SimTime, end: SimTime) -> LeaderChurnReport {
    let net = sim.network();
    let n = net.nodes().len();
    let mut adjacent = vec![Vec::new(); n];
    for l in net.links() {
        let [a, b] = l.ends();
        adjacent[a.node.0 as usize].push(b.node.0 as usize);
        adjacent[b.node.0 as usize].push(a.node.0 as usize);
    }
    // Every change in time order: faults first at an instant, then the leaders taken at it.
    let mut changes: Vec<(SimTime, u8, Change)> = Vec::new();
    for r in sim.results().fault_log() {
        if let Some(node) = r.node {
            match r.kind {
                "crash" => changes.push((r.time, 0, Change::Up(node.0 as usize, false))),
                "boot" => changes.push((r.time, 0, Change::Up(node.0 as usize, true))),
                _ => {}
            }
        }
    }
    for r in sim.results().records() {
        if r.name == "leader" {
            if let Some(v) = r.value.as_f64() {
                changes.push((r.time, 1, Change::Leader(r.node.0 as usize, v as i64)));
            }
        }
    }
    changes.sort_by_key(|c| (c.0, c.1));
    let mut up = vec![true; n];
    let mut leader = vec![-1i64; n];
    let mut open: Vec<SimTime> = Vec::new(); // faults not yet followed by agreement
    let (mut faults, mut times) = (0usize, Vec::new());
    let (mut agreed_ns, mut last, mut agreed) = (0u64, warmup, false);
    let mut i = 0;
    while i < changes.len() {
        let t = changes[i].0;
        let mut faulted = false;
        while i < changes.len() && changes[i].0 == t {
            match changes[i].2 {
                Change::Up(x, u) => {
                    up[x] = u;
                    if !u {
                        leader[x] = -1;
                    }
                    faulted = true;
                }
                Change::Leader(x, v) => leader[x] = v,
            }
            i += 1;
        }
        if t > warmup {
            if agreed {
                agreed_ns += (t.min(end) - last.max(warmup)).as_nanos();
            }
            last = t;
        }
        if faulted && t >= warmup {
            faults += 1;
            open.push(t);
        }
        agreed = agreement(&up, &leader, &adjacent);
        if agreed {
            for f in open.drain(..) {
                times.push((t - f).as_nanos() as f64 / 1e6);
            }
        }
    }
    if agreed && end > last {
        agreed_ns += (end - last.max(warmup)).as_nanos();
    }
    let span = (end - warmup).as_nanos().max(1) as f64;
    LeaderChurnReport {
        faults,
        reagreed: times.len(),
        reagree_ms: if times.is_empty() {
            0.0
        } else {
            times.iter().sum::<f64>() / times.len() as f64
        },
        reagree_max_ms: times.iter().copied().fold(0.0, f64::max),
        agreement: agreed_ns as f64 / span,
    }
}

/// Whether every up node's leader is the largest id of its component of up nodes.
fn agreement(up: &[bool], leader: &[i64], adjacent: &[Vec<usize>]) -> bool {
    let mut component = vec![usize::MAX; up.len()];
    for start in 0..up.len() {
        if !up[start] || component[start] != usize::MAX {
            continue;
        }
        let (mut members, mut queue) = (vec![start], VecDeque::from([start]));
        component[start] = start;
        while let Some(x) = queue.pop_front() {
            for &y in &adjacent[x] {
                if up[y] && component[y] == usize::MAX {
                    component[y] = start;
                    members.push(y);
                    queue.push_back(y);
                }
            }
        }
        let max = members.iter().copied().max().unwrap_or(start) as i64;
        if members.iter().any(|&m| leader[m] != max) {
            return false;
        }
    }
    true
}
