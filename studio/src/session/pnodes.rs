//! External nodes in a studio: their P-nodes (`vnet_hw::external`), the real-time runner
//! their twins feed, what their workers write, and their workers' shells and restarts.
//! A network with external nodes runs only at 1× real time: its P-nodes are real.

use std::ops::ControlFlow;
use std::time::Duration;

use vnet_hw::external::{ExternalNodes, PnodeOutput};
use vnet_sim::realtime::{Pacing, RealTime, RealTimeEnd};
use vnet_sim::{SimDuration, Simulation};

use super::{Network, Session};
use crate::protocol::{LogEntry, Point, ServerMessage, WorkerStatus};
use crate::workers::code_of;

/// The P-nodes and the runner.
pub(crate) struct Live {
    rt: RealTime,
    ext: ExternalNodes,
}

impl Live {
    /// Connects `net`'s external nodes to `sim`; `None` when it has none.
    pub(crate) fn connect(
        sim: &mut Simulation,
        net: &Network,
        handle: &tokio::runtime::Handle,
    ) -> Result<Option<Live>, String> {
        if net.file.nodes.iter().all(|n| n.external.is_none()) {
            return Ok(None);
        }
        let (rt, injector) = RealTime::new(Pacing::BestEffort);
        let ext =
            ExternalNodes::connect(sim, &net.file, &net.base, &net.sources, handle, &injector)?;
        Ok(Some(Live { rt, ext }))
    }

    /// Ends the P-nodes' sessions (and so their workers).
    pub(crate) fn close(self) {
        self.ext.close();
    }
}

impl Session {
    /// The agents on P-nodes that host them, by node index, as last listed.
    pub(super) fn pnode_agents(
        &self,
    ) -> std::collections::BTreeMap<usize, Vec<vnet_hw::nmp::schema::AgentInfo>> {
        self.live
            .as_ref()
            .map(|l| l.ext.agents_now())
            .unwrap_or_default()
    }

    /// Whether node `i` is external.
    pub(super) fn is_pnode(&self, i: usize) -> bool {
        self.live.as_ref().is_some_and(|l| l.ext.contains(i))
    }

    /// The paced speed a run must have, if the network has external nodes.
    pub(super) fn check_speed(&self, speed: Option<f64>) -> Result<(), String> {
        if self.live.is_some() && speed != Some(1.0) {
            return Err(
                "this network has external nodes, which are real: run it at 1× real time".into(),
            );
        }
        Ok(())
    }

    /// A paused network with external nodes starts pacing afresh when run again.
    pub(super) fn pause_live(&mut self) {
        if let Some(l) = self.live.as_mut() {
            l.rt.rebase();
        }
    }

    /// Runs `slice` of virtual time paced to the wall clock, taking what the P-nodes send.
    pub(super) fn run_live_slice(&mut self, slice: Duration) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let until = self.sim.now() + SimDuration::from_nanos(slice.as_nanos() as u64);
        match live
            .rt
            .run(&mut self.sim, Some(until), |_| ControlFlow::Continue(()))
        {
            Ok(RealTimeEnd::ProgramStopped) => self.running = None,
            Ok(_) => {}
            Err(e) => {
                self.running = None;
                self.broadcast(&ServerMessage::Error {
                    message: e.to_string(),
                });
            }
        }
    }

    /// What the P-nodes' workers wrote, recorded and how they ended since the last batch.
    pub(super) fn pnode_output(&mut self) -> (Vec<LogEntry>, Vec<Point>, Vec<WorkerStatus>) {
        let (mut logs, mut points, mut states) = (Vec::new(), Vec::new(), Vec::new());
        let Some(live) = &self.live else {
            return (logs, points, states);
        };
        let t_ns = self.sim.now().as_nanos();
        let name = |i: usize| {
            self.net
                .file
                .nodes
                .get(i)
                .map_or("?", |n| &n.name)
                .to_owned()
        };
        for o in live.ext.take_output() {
            match o {
                PnodeOutput::Line {
                    node,
                    worker,
                    err,
                    text,
                } => logs.push(LogEntry {
                    t_ns,
                    node: name(node),
                    worker: Some(worker),
                    err,
                    text,
                }),
                PnodeOutput::Record {
                    node,
                    name: record,
                    value,
                    ..
                } => {
                    let value = match value {
                        serde_json::Value::Bool(b) => f64::from(u8::from(b)),
                        v => match v.as_f64() {
                            Some(x) => x,
                            None => continue,
                        },
                    };
                    points.push(Point {
                        t_ns,
                        node: name(node),
                        name: record,
                        value,
                    });
                }
                PnodeOutput::Ended {
                    node,
                    worker,
                    state,
                } => {
                    self.pnode_states.insert((node, worker), state.clone());
                    states.push(WorkerStatus {
                        node: name(node),
                        worker,
                        state,
                    });
                }
            }
        }
        (logs, points, states)
    }

    /// External nodes' workers that are not running.
    pub(super) fn pnodes_not_running(&self) -> Vec<WorkerStatus> {
        self.pnode_states
            .iter()
            .map(|((node, worker), state)| WorkerStatus {
                node: self.net.file.nodes[*node].name.clone(),
                worker: *worker,
                state: state.clone(),
            })
            .collect()
    }

    fn ext(&self) -> Result<&ExternalNodes, String> {
        self.live
            .as_ref()
            .map(|l| &l.ext)
            .ok_or_else(|| "no external nodes".to_owned())
    }

    /// Evaluates `code` in worker `worker` of external node `i`.
    pub(super) fn pnode_eval(
        &self,
        i: usize,
        worker: u32,
        code: &str,
    ) -> Result<serde_json::Value, String> {
        let ext = self.ext()?;
        let lua = self.net.file.nodes[i]
            .workers
            .get(worker as usize)
            .is_some_and(|w| w.lang == vnet_sim::vm::Lang::Lua);
        if !lua {
            return ext.eval(i, worker, code);
        }
        // Lua's REPL rule, as for internal workers: an expression first, then a statement.
        match ext.eval(i, worker, &format!("return {code}")) {
            Err(e) if super::commands::is_syntax_error(&e) => ext.eval(i, worker, code),
            other => other,
        }
    }

    /// Kills (`start`: false) or (re)starts worker `worker` of external node `i` from its
    /// current code.
    pub(super) fn pnode_worker(
        &mut self,
        i: usize,
        worker: u32,
        start: bool,
    ) -> Result<(), String> {
        let running = !self.pnode_states.contains_key(&(i, worker));
        if running {
            self.ext()?.kill(i, worker)?;
        }
        if !start {
            self.pnode_states.insert((i, worker), "killed".into());
            return Ok(());
        }
        let spec = self.net.file.nodes[i]
            .workers
            .get(worker as usize)
            .ok_or_else(|| format!("no worker {worker}"))?;
        let code = code_of(spec, &self.net.sources)?;
        self.ext()?.start(&self.net.file, i, worker, &code)?;
        self.pnode_states.remove(&(i, worker));
        Ok(())
    }
}
