//! A studio's VM workers as browsers address them — node name and index in the node's
//! `workers` — against the kernel's worker ids, which change when a worker is restarted (a
//! restart is a fresh program with a new id; ids are never reused). Also where each worker's
//! code is: inline in the network, or in a program file whose text the studio holds (and
//! may have edited).

use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;

use vnet_sim::netfile::{NetworkFile, WorkerSpec};
use vnet_sim::vm::VmConfig;
use vnet_sim::{NodeId, Simulation, WorkerId, WorkerState};

use crate::protocol::WorkerStatus;

/// The texts of the program files a network names, by `path`.
pub(crate) type Sources = BTreeMap<String, String>;

/// Reads every program file `file` names, relative to `base`.
pub(crate) fn read_sources(file: &NetworkFile, base: &Path) -> Result<Sources, String> {
    let mut sources = Sources::new();
    for n in &file.nodes {
        for w in &n.workers {
            if let (None, Some(p)) = (&w.code, &w.path)
                && !sources.contains_key(p)
            {
                let text = std::fs::read_to_string(base.join(p))
                    .map_err(|e| format!("node `{}`: reading `{p}`: {e}", n.name))?;
                sources.insert(p.clone(), text);
            }
        }
    }
    Ok(sources)
}

/// A worker's code: its own, or its file's text.
pub(crate) fn code_of(spec: &WorkerSpec, sources: &Sources) -> Result<String, String> {
    match (&spec.code, &spec.path) {
        (Some(c), _) => Ok(c.clone()),
        (None, Some(p)) => sources
            .get(p)
            .cloned()
            .ok_or_else(|| format!("no text for `{p}`")),
        (None, None) => Err("a worker without code".into()),
    }
}

/// `file` with every worker's code inline instead of in files: a file that stands alone (a
/// download).
pub(crate) fn inline(file: &NetworkFile, sources: &Sources) -> NetworkFile {
    let mut out = file.clone();
    for n in &mut out.nodes {
        for w in &mut n.workers {
            if let (None, Some(p)) = (&w.code, &w.path) {
                w.code = sources.get(p).cloned();
                w.path = None;
            }
        }
    }
    out
}

fn category(s: Option<WorkerState>) -> &'static str {
    match s {
        Some(WorkerState::Finished) => "finished",
        Some(WorkerState::Killed) => "killed",
        Some(WorkerState::Failed) => "failed",
        Some(WorkerState::Crashed) => "crashed",
        _ => "running",
    }
}

/// Which kernel worker each spec of each node is now, and what browsers were last told.
pub(crate) struct Slots {
    /// Each node's boots as last seen: a restart by a fault makes its workers again.
    boots: Vec<u32>,
    ids: Vec<Vec<WorkerId>>,
    slot_of: BTreeMap<(u32, u32), u32>,
    told: Vec<Vec<&'static str>>,
}

impl Slots {
    /// The slots of a simulation just built from `file`: a node's Rust `program` is its
    /// worker 0, its VM workers follow in order.
    pub(crate) fn new(file: &NetworkFile) -> Self {
        let mut s = Slots {
            boots: vec![1; file.nodes.len()],
            ids: Vec::new(),
            slot_of: BTreeMap::new(),
            told: Vec::new(),
        };
        for (i, n) in file.nodes.iter().enumerate() {
            let first = u32::from(n.program.is_some());
            s.ids.push(Vec::new());
            s.told.push(Vec::new());
            if n.external.is_some() {
                // Its workers run on its P-node, not in the kernel.
                continue;
            }
            for w in 0..n.workers.len() as u32 {
                s.push(i, WorkerId(first + w));
            }
        }
        s
    }

    fn push(&mut self, node: usize, id: WorkerId) {
        let slot = self.ids[node].len() as u32;
        self.ids[node].push(id);
        self.told[node].push("running");
        self.slot_of.insert((node as u32, id.0), slot);
    }

    /// The spec index of kernel worker `id` of `node`; `None` for the Rust `program`.
    /// Follows restarts: a node booted again runs its `program` and `workers` as new kernel
    /// workers, from the first id of that boot on, in the same order.
    pub(crate) fn sync_boots(&mut self, sim: &Simulation, file: &NetworkFile) {
        for (i, n) in file.nodes.iter().enumerate() {
            let node = NodeId(i as u32);
            let boots = sim.boots(node).unwrap_or(1);
            if boots == self.boots[i] || n.external.is_some() {
                continue;
            }
            self.boots[i] = boots;
            let Some(first) = sim.boot_first_worker(node) else {
                continue;
            };
            if sim.node_is_up(node) {
                let first = first.0 + u32::from(n.program.is_some());
                for slot in 0..self.ids[i].len() {
                    let id = WorkerId(first + slot as u32);
                    let old = std::mem::replace(&mut self.ids[i][slot], id);
                    self.slot_of.remove(&(i as u32, old.0));
                    self.slot_of.insert((i as u32, id.0), slot as u32);
                }
            } else {
                // Booting: try again at the next batch.
                self.boots[i] = boots - 1;
            }
        }
    }

    pub(crate) fn slot(&self, node: NodeId, id: WorkerId) -> Option<u32> {
        self.slot_of.get(&(node.0, id.0)).copied()
    }

    /// The kernel worker of spec `slot` of node `node`.
    pub(crate) fn id(&self, node: usize, slot: u32) -> Option<WorkerId> {
        self.ids
            .get(node)
            .and_then(|v| v.get(slot as usize))
            .copied()
    }

    /// Starts spec `slot` of node `node` (a new slot when it is one past the last) as a
    /// fresh program from its current code.
    pub(crate) fn start(
        &mut self,
        sim: &mut Simulation,
        file: &NetworkFile,
        sources: &Sources,
        node: usize,
        slot: u32,
    ) -> Result<(), String> {
        let n = &file.nodes[node];
        let spec = n
            .workers
            .get(slot as usize)
            .ok_or_else(|| format!("node `{}` has no worker {slot}", n.name))?;
        let code = code_of(spec, sources)?;
        let config = file
            .node_config(node, &Rc::new(VmConfig::default()))
            .map_err(|e| e.to_string())?;
        let program = n.worker_program(spec, code, config);
        let id = sim.add_worker(NodeId(node as u32), Box::new(program));
        if (slot as usize) == self.ids[node].len() {
            self.push(node, id);
        } else {
            let old = std::mem::replace(&mut self.ids[node][slot as usize], id);
            self.slot_of.remove(&(node as u32, old.0));
            self.slot_of.insert((node as u32, id.0), slot);
        }
        Ok(())
    }

    /// Whether spec `slot` of `node` is alive.
    pub(crate) fn alive(&self, sim: &Simulation, node: usize, slot: u32) -> bool {
        self.id(node, slot)
            .is_some_and(|id| category(sim.worker_state(NodeId(node as u32), id)) == "running")
    }

    /// Workers whose state changed since browsers were last told.
    pub(crate) fn changes(&mut self, sim: &Simulation, file: &NetworkFile) -> Vec<WorkerStatus> {
        let mut out = Vec::new();
        for (i, ids) in self.ids.iter().enumerate() {
            for (w, id) in ids.iter().enumerate() {
                let now = category(sim.worker_state(NodeId(i as u32), *id));
                let told = &mut self.told[i][w];
                if now != *told {
                    *told = now;
                    out.push(status(file, i, w, now));
                }
            }
        }
        out
    }

    /// Workers that are not running, as browsers were last told (for a hello).
    pub(crate) fn not_running(&self, file: &NetworkFile) -> Vec<WorkerStatus> {
        let mut out = Vec::new();
        for (i, told) in self.told.iter().enumerate() {
            for (w, now) in told.iter().enumerate() {
                if *now != "running" {
                    out.push(status(file, i, w, now));
                }
            }
        }
        out
    }
}

fn status(file: &NetworkFile, node: usize, worker: usize, state: &str) -> WorkerStatus {
    WorkerStatus {
        node: file.nodes[node].name.clone(),
        worker: worker as u32,
        state: state.into(),
    }
}
