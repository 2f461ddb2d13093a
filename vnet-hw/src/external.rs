//! A network file's `external` nodes, connected: each is a V-node twin ([`crate::twin`]) of a
//! running `vnet-node`. Connecting opens a session on every P-node, creates its ports (the
//! simulated node's ports, in order) and its `workers` there, and adds the twin's relay to the
//! simulation; a node with `"platform": true` makes its P-node an agent platform (with the
//! agents the file places there) and its twin a place simulated agents may move to. What the
//! P-node's workers (and agents) write arrives as [`PnodeOutput`]s, and each worker can
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
use crate::nmp::schema::{
    AgentInfo, AgentPlacement, Agents, AgentsList, EvalParams, IoPoll, NoParams, PollParams,
    Stream, VmEval, VmKill, VmParams,
};
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
    /// Whether its P-node is an agent platform.
    platform: bool,
    /// The P-node worker (vm id) of each of the node's `workers`.
    vms: Arc<Mutex<Vec<Option<u32>>>>,
}

/// Every external node of a network, connected to its P-node.
pub struct ExternalNodes {
    nodes: Vec<Connected>,
    handle: Handle,
    output: Receiver<PnodeOutput>,
    /// The agents on each P-node that hosts them, by the node's index, as last listed.
    agents_seen: Arc<Mutex<BTreeMap<usize, Vec<AgentInfo>>>>,
}

/// How often the agents on P-nodes are listed for [`ExternalNodes::agents_now`].
const AGENTS_EVERY: Duration = Duration::from_millis(200);

/// A worker's or agent's program text: its `code`, or its `path`'s text (`texts` first, then
/// the file relative to `base`).
fn code(
    code: &Option<String>,
    path: &Option<String>,
    base: &Path,
    texts: &BTreeMap<String, String>,
) -> Result<String, String> {
    match (code, path) {
        (Some(c), _) => Ok(c.clone()),
        (None, Some(p)) => match texts.get(p) {
            Some(t) => Ok(t.clone()),
            None => {
                std::fs::read_to_string(base.join(p)).map_err(|e| format!("reading `{p}`: {e}"))
            }
        },
        (None, None) => Err("no code".into()),
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
        let agents_seen = Arc::new(Mutex::new(BTreeMap::new()));
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
            let mut c = Connected {
                node: i,
                twin: twin.clone(),
                platform: false,
                vms: vms.clone(),
            };
            for (w, spec) in n.workers.iter().enumerate() {
                let text = code(&spec.code, &spec.path, base, texts)
                    .map_err(|e| named(format!("worker {w}: {e}")))?;
                let vm = c.create(handle, file, spec, &text).map_err(named)?;
                c.lock()[w] = Some(vm);
            }
            let mut relay = twin.relay(handle, id, injector.clone());
            // The platform, as in a simulated node, is the worker after the node's workers.
            let platform = if n.platform {
                let agents = placements(file, &n.name, base, texts).map_err(named)?;
                let params = match &n.params {
                    Value::Object(m) => Some(m.clone()),
                    _ => None,
                };
                let start = twin.start_platform(params, agents);
                let vm = handle
                    .block_on(async { tokio::time::timeout(CALL, start).await })
                    .map_err(|_| named("no answer".into()))?
                    .map_err(|e| named(format!("agents.start: {e}")))?;
                relay = relay.hosting_agents();
                sim.host_agents(id);
                c.platform = true;
                Some((vm, n.workers.len() as u32))
            } else {
                None
            };
            sim.add_worker(id, Box::new(relay));
            if platform.is_some() {
                handle.spawn(list_agents(twin.clone(), i, agents_seen.clone()));
            }
            handle.spawn(poll(twin, i, vms, platform, tx.clone()));
            nodes.push(c);
        }
        Ok(ExternalNodes {
            nodes,
            handle: handle.clone(),
            output,
            agents_seen,
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

    /// The agents on every P-node that hosts them, and its counters (`agents.list`), by the
    /// node's index in the file.
    pub fn agents(&self) -> Vec<(usize, Result<Agents, String>)> {
        self.nodes
            .iter()
            .filter(|c| c.platform)
            .map(|c| {
                let client = c.twin.client().clone();
                let r = self
                    .handle
                    .block_on(async {
                        tokio::time::timeout(CALL, client.request::<AgentsList>(&NoParams {})).await
                    })
                    .map_err(|_| "the P-node did not answer".to_owned())
                    .and_then(|r| r.map_err(|e| e.to_string()));
                (c.node, r)
            })
            .collect()
    }

    /// The agents on each P-node that hosts them, by the node's index, as listed at most
    /// 200 ms ago (without waiting for the P-nodes: for a display).
    pub fn agents_now(&self) -> BTreeMap<usize, Vec<AgentInfo>> {
        self.agents_seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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

/// Lists the agents on the P-node of node `node` every [`AGENTS_EVERY`] into `seen`, while
/// the twin's session is open.
async fn list_agents(
    twin: Arc<Twin>,
    node: usize,
    seen: Arc<Mutex<BTreeMap<usize, Vec<AgentInfo>>>>,
) {
    loop {
        match twin.client().request::<AgentsList>(&NoParams {}).await {
            // Another session's platform, or none: this twin's has ended.
            Ok(l) if l.session.as_deref() != Some(twin.session()) => break,
            Ok(l) => {
                seen.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(node, l.agents);
            }
            Err(_) => break,
        }
        tokio::time::sleep(AGENTS_EVERY).await;
    }
    seen.lock().unwrap_or_else(|p| p.into_inner()).remove(&node);
}

/// The agents `file` places on node `node` (an external one), for its P-node's platform.
fn placements(
    file: &NetworkFile,
    node: &str,
    base: &Path,
    texts: &BTreeMap<String, String>,
) -> Result<Vec<AgentPlacement>, String> {
    let mut out = Vec::new();
    for (k, a) in file.agents.iter().enumerate() {
        if a.at != node {
            continue;
        }
        let named = |e: String| format!("agent {k}: {e}");
        let code = code(&a.code, &a.path, base, texts).map_err(named)?;
        let placement = AgentPlacement {
            lang: a.language().map_err(named)?,
            code,
            class: Some(a.class_name()),
            state: match &a.state {
                Value::Object(m) => Some(m.clone()),
                _ => None,
            },
            // Real time counts in milliseconds.
            after_ms: a.after.map(|d| d.as_nanos() / 1_000_000),
        };
        out.extend(std::iter::repeat_n(placement, a.count as usize));
    }
    Ok(out)
}

/// Forwards what the twin's session's workers write, until the session or the receiver goes;
/// `platform` is the platform's vm and the worker slot its agents' output goes under.
async fn poll(
    twin: Arc<Twin>,
    node: usize,
    vms: Arc<Mutex<Vec<Option<u32>>>>,
    platform: Option<(u32, u32)>,
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
            let slot = match platform {
                Some((vm, slot)) if vm == e.vm => Some(slot),
                _ => vms
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .position(|v| *v == Some(e.vm))
                    .map(|w| w as u32),
            };
            let Some(worker) = slot else {
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
