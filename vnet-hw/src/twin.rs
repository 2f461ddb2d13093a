//! V-node twins: a simulated node that mirrors one P-node through NMP.
//!
//! The twin owns an NMP session on the P-node. It creates the P-node's ports (named as its
//! own ports in the simulation) and workers there. In the simulation its program, [`Relay`],
//! forwards every message that reaches the twin over a simulated link to the P-node's port of
//! the same name (`port.send`); a poller per port long-polls what the P-node's workers send
//! (`port.recv`) and injects it, through the real-time run's [`Injector`], so that it leaves the
//! twin on the simulated links of that port. The simulation must run in real-time mode
//! ([`vnet_sim::realtime`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use vnet_sim::realtime::Injector;
use vnet_sim::{Context, Message, NodeId, NodeProgram, PortId};

use crate::nmp::auth::Key;
use crate::nmp::client::{Client, ClientError, Transport};
use crate::nmp::schema::{
    AgentPlacement, AgentsStart, CreateParams, IoPoll, Lang, NoParams, PlatformParams, PollParams,
    PortCreate, PortCreateParams, PortRecv, PortSend, RecvParams, SendParams, SessionClose,
    SessionOpen, SessionParams, Stream, VmCreate,
};

/// A P-node as a simulated node sees it, over HTTP (`C = Client`) or a serial line.
pub struct Twin<C: Transport = Client> {
    client: C,
    session: String,
    ports: Vec<String>,
    stop: Arc<AtomicBool>,
    /// The relay's tasks, stopped by [`Twin::close`].
    tasks: std::sync::Mutex<Vec<tokio::task::AbortHandle>>,
}

impl Twin<Client> {
    /// Opens a session on the P-node at `url` and creates `ports` there (those that exist are
    /// kept).
    pub async fn connect(
        url: &str,
        key: Option<Key>,
        ports: &[String],
    ) -> Result<Twin, ClientError> {
        Twin::over(Client::new(url, key), ports).await
    }
}

impl<C: Transport> Twin<C> {
    /// Opens a session through `client` and creates `ports` there (those that exist are kept).
    pub async fn over(client: C, ports: &[String]) -> Result<Twin<C>, ClientError> {
        let session = client.request::<SessionOpen>(&NoParams {}).await?.session;
        for p in ports {
            let params = PortCreateParams { name: p.clone() };
            match client.request::<PortCreate>(&params).await {
                Ok(_) => {}
                Err(ClientError::Rpc(e)) if e.code == crate::nmp::rpc::code::CONFLICT => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Twin {
            client,
            session,
            ports: ports.to_vec(),
            stop: Arc::new(AtomicBool::new(false)),
            tasks: Default::default(),
        })
    }

    /// The NMP client of the P-node.
    pub fn client(&self) -> &C {
        &self.client
    }

    /// The twin's session on the P-node.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// Starts a worker on the P-node, attached to all the twin's ports, whose `params()`
    /// returns `params` (`None`: nothing); returns its id.
    pub async fn create_worker(
        &self,
        lang: Lang,
        code: &str,
        params: Option<serde_json::Map<String, Value>>,
    ) -> Result<u32, ClientError> {
        let params = CreateParams {
            session: self.session.clone(),
            lang,
            code: code.to_owned(),
            params,
            ports: Some(self.ports.clone()),
        };
        Ok(self.client.request::<VmCreate>(&params).await?.vm)
    }

    /// Makes the P-node an agent platform in the twin's session, attached to all the twin's
    /// ports, with `agents` placed on it and `params` as their `params()`; returns the
    /// platform's worker id (its agents' output comes as that worker's). Give the twin's relay
    /// [`Relay::hosting_agents`] so that simulated agents may move to it.
    pub async fn start_platform(
        &self,
        params: Option<serde_json::Map<String, Value>>,
        agents: Vec<AgentPlacement>,
    ) -> Result<u32, ClientError> {
        let params = PlatformParams {
            session: self.session.clone(),
            ports: Some(self.ports.clone()),
            params,
            agents: Some(agents),
        };
        Ok(self.client.request::<AgentsStart>(&params).await?.vm)
    }

    /// The twin's program for the simulation, and the pollers that feed it: `node` is the twin's
    /// node, whose ports are, in order, the twin's ports; `injector` feeds the real-time run.
    pub fn relay(&self, handle: &Handle, node: NodeId, injector: Injector) -> Relay {
        let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Value)>();
        // Sends to the P-node, in order.
        let (client, ports) = (self.client.clone(), self.ports.clone());
        let mut tasks = Vec::new();
        tasks.push(handle.spawn(async move {
            while let Some((port, value)) = rx.recv().await {
                let params = SendParams {
                    port: ports[port].clone(),
                    value,
                };
                if let Err(e) = client.request::<PortSend>(&params).await {
                    eprintln!(
                        "twin of {}: port.send on {}: {e}",
                        client.describe(),
                        ports[port]
                    );
                }
            }
        }));
        for (i, port) in self.ports.iter().enumerate() {
            let (client, port, injector, stop) = (
                self.client.clone(),
                port.clone(),
                injector.clone(),
                self.stop.clone(),
            );
            tasks.push(handle.spawn(async move {
                let mut after = 0;
                while !stop.load(Ordering::Relaxed) {
                    let params = RecvParams {
                        port: port.clone(),
                        after: Some(after),
                        timeout_ms: Some(500),
                        max: None,
                    };
                    let r = client.request::<PortRecv>(&params).await;
                    let r = match r {
                        Ok(r) => r,
                        Err(_) if stop.load(Ordering::Relaxed) => return,
                        Err(e) => {
                            eprintln!("twin of {}: port.recv on {port}: {e}", client.describe());
                            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                            continue;
                        }
                    };
                    for msg in r.messages {
                        after = msg.seq;
                        let out = json!({"port": i, "value": msg.value});
                        if injector.message(node, None, Message::value(out)).is_err() {
                            return;
                        }
                    }
                }
            }));
        }
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(tasks.iter().map(|t| t.abort_handle()));
        Relay {
            to_pnode: tx,
            agents: false,
        }
    }

    /// Waits (up to `timeout`) until worker `vm` of this twin's session ends, and returns what
    /// it wrote: its standard output and standard error lines, and how it ended.
    pub async fn worker_output(
        &self,
        vm: u32,
        timeout: std::time::Duration,
    ) -> Result<WorkerOutput, ClientError> {
        let mut got = WorkerOutput::default();
        let mut after = 0;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let params = PollParams {
                session: self.session.clone(),
                after: Some(after),
                timeout_ms: Some(1000),
                max: None,
            };
            let r = self.client.request::<IoPoll>(&params).await?;
            for e in r.events {
                after = e.seq;
                if e.vm != vm {
                    continue;
                }
                match e.stream {
                    Stream::Out => got.out.push(e.text),
                    Stream::Err => got.err.push(e.text),
                    Stream::Record => got.records.push((e.text, e.value.unwrap_or(Value::Null))),
                    Stream::State => {
                        got.state = e.text;
                        return Ok(got);
                    }
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClientError::Timeout {
                    node: self.client.describe(),
                    what: format!("worker {vm} did not end within {timeout:?}"),
                });
            }
        }
    }

    /// Stops the pollers and closes the session (killing the twin's workers on the P-node).
    pub async fn close(&self) -> Result<(), ClientError> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            t.abort();
        }
        let params = SessionParams {
            session: self.session.clone(),
        };
        self.client
            .request::<SessionClose>(&params)
            .await
            .map(|_| ())
    }
}

/// What a P-node worker wrote, and how it ended (`finished`, `failed`, `killed`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkerOutput {
    /// What it recorded, as (name, value), in order.
    pub records: Vec<(String, Value)>,
    /// Standard-output lines.
    pub out: Vec<String>,
    /// Standard-error lines (errors, tracebacks).
    pub err: Vec<String>,
    /// The end state.
    pub state: String,
}

/// The twin's node program: messages from simulated links go to the P-node; messages from the
/// P-node (injected, direct) leave on the simulated port they were sent on.
///
/// With [`hosting_agents`](Relay::hosting_agents) the twin's node counts as an agent platform:
/// a simulated agent may `moveto` it, and its parcel goes to the P-node's platform like any
/// message. An agent leaving the P-node goes over the one link of its port, to a node that
/// hosts agents; otherwise it is dropped with a logged error and counted as refused.
pub struct Relay {
    to_pnode: mpsc::UnboundedSender<(usize, Value)>,
    agents: bool,
}

impl Relay {
    /// The P-node hosts agents (see [`Twin::start_platform`]): the twin's node counts as a
    /// platform in the simulation once the relay starts — call
    /// [`Simulation::host_agents`](vnet_sim::Simulation::host_agents) for the twin's node too
    /// if agents may move to it at time 0.
    pub fn hosting_agents(mut self) -> Self {
        self.agents = true;
        self
    }

    /// Carries an agent that left the P-node on port `port` on to the node across it.
    fn carry_agent(&mut self, ctx: &mut Context, port: PortId, parcel: Message) {
        let id = parcel_id(&parcel);
        let me = ctx.node_info().name().to_owned();
        let port_name = ctx
            .node_info()
            .ports()
            .get(port.0 as usize)
            .map_or_else(|| format!("#{}", port.0), |p| p.name().to_owned());
        let across = vnet_sim::vm::NodeInfo::of(ctx)
            .neighbours
            .get(port.0 as usize)
            .cloned()
            .unwrap_or_default();
        let why = match across.as_slice() {
            [n] => match ctx.network().node_by_name(n) {
                Some(to) if ctx.hosts_agents(to) => {
                    ctx.send_over(port, Some(to), parcel);
                    return;
                }
                _ => format!("node `{n}` hosts no agent platform"),
            },
            [] => "the port has no link".to_owned(),
            many => format!(
                "the port reaches {} nodes ({}), and an agent goes to one",
                many.len(),
                many.join(", ")
            ),
        };
        if let Some(p) = ctx.platform() {
            p.borrow_mut().count_refused();
        }
        ctx.log_error(format!(
            "twin {me}: agent {id} left the P-node on port `{port_name}` and was dropped: {why}"
        ));
    }
}

/// The id in an agent parcel, for messages about it.
fn parcel_id(msg: &Message) -> String {
    let v = crate::message_json(msg);
    v[vnet_sim::agents::PARCEL_KEY]["id"].as_str().map_or_else(
        || "(without an id)".to_owned(),
        |s| s.chars().take(64).collect(),
    )
}

impl NodeProgram for Relay {
    fn on_start(&mut self, ctx: &mut Context) {
        // Late for an agent moving at time 0: `Simulation::host_agents` is the early way.
        if self.agents {
            ctx.host_agents();
        }
    }

    fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, msg: Message) {
        let value = crate::message_json(&msg);
        match port {
            Some(p) => {
                let _ = self.to_pnode.send((p.0 as usize, value));
            }
            None => {
                // From the P-node: {"port": index, "value": v}.
                if let Some(i) = value["port"].as_u64() {
                    let out = Message::value(value["value"].clone());
                    if vnet_sim::agents::is_parcel(&out) {
                        self.carry_agent(ctx, PortId(i as u16), out);
                    } else {
                        ctx.send(PortId(i as u16), out);
                    }
                }
            }
        }
    }
}
