//! A network file's `external` nodes, connected: each is a V-node twin ([`crate::twin`]) of a
//! running `vnet-node`. Connecting opens a session on every P-node, creates its ports (the
//! simulated node's ports, in order) and its `workers` there, and adds the twin's relay to the
//! simulation. What the P-node's workers write arrives as [`PnodeOutput`]s, and each worker can
//! be evaluated in, killed and started again — what `vnet run` and the studio need to treat
//! external nodes like internal ones. The simulation must run in real time
//! ([`vnet_sim::realtime`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::runtime::Handle;
use vnet_sim::netfile::{NetworkFile, WorkerSpec};
use vnet_sim::realtime::Injector;
use vnet_sim::{NodeId, Simulation};

use crate::nmp::auth::Key;
use crate::nmp::client::Transport;
use crate::nmp::schema::{EvalParams, IoPoll, PollParams, Stream, VmEval, VmKill, VmParams};
use crate::twin::Twin;

/// How long a call to a P-node may take before it counts as failed.
const CALL: Duration = Duration::from_secs(10);

/// Something a P-node's worker did.
#[derive(Clone, Debug, PartialEq)]
pub enum PnodeOutput {
    /// It wrote a line (`err`: to standard error).
    Line {
        /// The node's index in the network file.
        node: usize,
        /// The worker's index in the node's `workers`.
        worker: u32,
        /// Standard error?
        err: bool,
        /// The line.
        text: String,
    },
    /// It recorded a value.
    Record {
        /// The node's index.
        node: usize,
        /// The worker's index.
        worker: u32,
        /// The record's name.
        name: String,
        /// Its value.
        value: Value,
    },
    /// It ended: `finished`, `failed` or `killed`.
    Ended {
        /// The node's index.
        node: usize,
        /// The worker's index.
        worker: u32,
        /// How.
        state: String,
    },
}

/// One external node, connected.
struct Connected {
    node: usize,
    twin: Arc<Twin>,
    /// The P-node worker (vm id) of each of the node's `workers`.
    vms: Arc<Mutex<Vec<Option<u32>>>>,
}

/// Every external node of a network, connected to its P-node.
pub struct ExternalNodes {
    nodes: Vec<Connected>,
    handle: Handle,
    output: Receiver<PnodeOutput>,
}

fn code(
    spec: &WorkerSpec,
    base: &Path,
    texts: &BTreeMap<String, String>,
) -> Result<String, String> {
    match (&spec.code, &spec.path) {
        (Some(c), _) => Ok(c.clone()),
        (None, Some(p)) => match texts.get(p) {
            Some(t) => Ok(t.clone()),
            None => {
                std::fs::read_to_string(base.join(p)).map_err(|e| format!("reading `{p}`: {e}"))
            }
        },
        (None, None) => Err("a worker without code".into()),
    }
}

impl ExternalNodes {
    /// Connects every `external` node of `file` (built into `sim` by
    /// [`NetworkFile::instantiate_with`]): a session on its P-node, its ports and workers
    /// there, and the twin's relay in `sim`, fed by `injector`. Key files and worker paths are
    /// read relative to `base` (`texts` overrides a path's text). Call from outside the
    /// runtime `handle` belongs to.
    pub fn connect(
        sim: &mut Simulation,
        file: &NetworkFile,
        base: &Path,
        texts: &BTreeMap<String, String>,
        handle: &Handle,
        injector: &Injector,
    ) -> Result<ExternalNodes, String> {
        let (tx, output) = channel();
        let mut nodes = Vec::new();
        for (i, n) in file.nodes.iter().enumerate() {
            let Some(ext) = &n.external else { continue };
            let named = |e: String| format!("node `{}` ({}): {e}", n.name, ext.url);
            let key = match &ext.key {
                Some(k) => Some(Key::from_file(&base.join(k)).map_err(named)?),
                None => None,
            };
            let id = NodeId(i as u32);
            let ports: Vec<String> = sim
                .network()
                .node(id)
                .map(|node| node.ports().iter().map(|p| p.name().to_owned()).collect())
                .unwrap_or_default();
            let twin = handle
                .block_on(async {
                    tokio::time::timeout(CALL, Twin::connect(&ext.url, key, &ports)).await
                })
                .map_err(|_| named("no answer".into()))?
                .map_err(|e| named(e.to_string()))?;
            let twin = Arc::new(twin);
            let vms = Arc::new(Mutex::new(vec![None; n.workers.len()]));
            let c = Connected {
                node: i,
                twin: twin.clone(),
                vms: vms.clone(),
            };
            for (w, spec) in n.workers.iter().enumerate() {
                let text = code(spec, base, texts).map_err(named)?;
                let vm = c.create(handle, file, spec, &text).map_err(named)?;
                c.lock()[w] = Some(vm);
            }
            sim.add_worker(id, Box::new(twin.relay(handle, id, injector.clone())));
            handle.spawn(poll(twin, i, vms, tx.clone()));
            nodes.push(c);
        }
        Ok(ExternalNodes {
            nodes,
            handle: handle.clone(),
            output,
        })
    }

    /// Whether there are any.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Whether node `node` (an index in the file) is one of them.
    pub fn contains(&self, node: usize) -> bool {
        self.nodes.iter().any(|c| c.node == node)
    }

    /// What the P-nodes' workers did since the last call.
    pub fn take_output(&self) -> Vec<PnodeOutput> {
        self.output.try_iter().collect()
    }

    fn get(&self, node: usize) -> Result<&Connected, String> {
        self.nodes
            .iter()
            .find(|c| c.node == node)
            .ok_or_else(|| format!("node {node} is not external"))
    }

    /// Evaluates `code` in worker `worker` of external node `node`.
    pub fn eval(&self, node: usize, worker: u32, code: &str) -> Result<Value, String> {
        let c = self.get(node)?;
        let vm = c.vm(worker)?;
        let params = EvalParams {
            session: c.twin.session().to_owned(),
            vm,
            code: code.to_owned(),
        };
        let client = c.twin.client().clone();
        self.handle
            .block_on(async { tokio::time::timeout(CALL, client.request::<VmEval>(&params)).await })
            .map_err(|_| "the P-node did not answer".to_owned())?
            .map(|r| r.value)
            .map_err(|e| e.to_string())
    }

    /// Kills worker `worker` of external node `node`; false if it had ended.
    pub fn kill(&self, node: usize, worker: u32) -> Result<bool, String> {
        let c = self.get(node)?;
        let params = VmParams {
            session: c.twin.session().to_owned(),
            vm: c.vm(worker)?,
        };
        let client = c.twin.client().clone();
        self.handle
            .block_on(async { tokio::time::timeout(CALL, client.request::<VmKill>(&params)).await })
            .map_err(|_| "the P-node did not answer".to_owned())?
            .map(|k| k.killed)
            .map_err(|e| e.to_string())
    }

    /// Starts worker `worker` of external node `node` afresh on its P-node with `text` (a
    /// worker one past the last is a new one).
    pub fn start(
        &self,
        file: &NetworkFile,
        node: usize,
        worker: u32,
        text: &str,
    ) -> Result<(), String> {
        let c = self.get(node)?;
        let spec = file.nodes[node]
            .workers
            .get(worker as usize)
            .ok_or_else(|| format!("no worker {worker}"))?;
        let vm = c.create(&self.handle, file, spec, text)?;
        let mut vms = c.lock();
        if vms.len() <= worker as usize {
            vms.resize(worker as usize + 1, None);
        }
        vms[worker as usize] = Some(vm);
        Ok(())
    }

    /// Closes every session (ending the workers on the P-nodes).
    pub fn close(&self) {
        for c in &self.nodes {
            let twin = c.twin.clone();
            let _ = self
                .handle
                .block_on(async { tokio::time::timeout(CALL, twin.close()).await });
        }
    }
}

impl Connected {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Option<u32>>> {
        self.vms.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn vm(&self, worker: u32) -> Result<u32, String> {
        self.lock()
            .get(worker as usize)
            .copied()
            .flatten()
            .ok_or_else(|| format!("no worker {worker} on the P-node"))
    }

    fn create(
        &self,
        handle: &Handle,
        file: &NetworkFile,
        spec: &WorkerSpec,
        text: &str,
    ) -> Result<u32, String> {
        let params = match &file.nodes[self.node].params {
            Value::Object(m) => Some(m.clone()),
            _ => None,
        };
        let twin = self.twin.clone();
        let lang = spec.lang;
        let text = text.to_owned();
        handle
            .block_on(async {
                tokio::time::timeout(CALL, twin.create_worker(lang, &text, params)).await
            })
            .map_err(|_| "the P-node did not answer".to_owned())?
            .map_err(|e| e.to_string())
    }
}

/// Forwards what the twin's session's workers write, until the session or the receiver goes.
async fn poll(
    twin: Arc<Twin>,
    node: usize,
    vms: Arc<Mutex<Vec<Option<u32>>>>,
    tx: Sender<PnodeOutput>,
) {
    let mut after = 0;
    // Events of workers not known yet: a worker can write before `vm.create` has answered
    // with its id. Kept a while, then dropped (a killed worker's last words).
    let mut unknown: Vec<(tokio::time::Instant, crate::nmp::schema::Event)> = Vec::new();
    loop {
        let params = PollParams {
            session: twin.session().to_owned(),
            after: Some(after),
            timeout_ms: Some(if unknown.is_empty() { 500 } else { 50 }),
            max: None,
        };
        let Ok(r) = twin.client().request::<IoPoll>(&params).await else {
            // The session closed (or the node went): nothing more to forward.
            return;
        };
        let now = tokio::time::Instant::now();
        unknown.retain(|(at, _)| now.duration_since(*at) < Duration::from_secs(5));
        let waiting = std::mem::take(&mut unknown)
            .into_iter()
            .map(|(at, e)| (Some(at), e));
        let fresh = r.events.into_iter().map(|e| (None, e));
        for (seen, e) in waiting.chain(fresh) {
            after = after.max(e.seq);
            let slot = vms
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .position(|v| *v == Some(e.vm));
            let Some(worker) = slot.map(|w| w as u32) else {
                unknown.push((seen.unwrap_or(now), e));
                continue;
            };
            let out = match e.stream {
                Stream::Out | Stream::Err => PnodeOutput::Line {
                    node,
                    worker,
                    err: e.stream == Stream::Err,
                    text: e.text,
                },
                Stream::Record => PnodeOutput::Record {
                    node,
                    worker,
                    name: e.text,
                    value: e.value.unwrap_or(Value::Null),
                },
                Stream::State => PnodeOutput::Ended {
                    node,
                    worker,
                    state: e.text,
                },
            };
            if tx.send(out).is_err() {
                return;
            }
        }
    }
}
