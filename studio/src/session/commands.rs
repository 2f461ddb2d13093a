//! What each browser command does to the session: run control, shells, worker control, and
//! edits of the network (which rebuild the simulation only if the result builds).

use std::path::Path;
use std::time::Instant;

use vnet_sim::faults::Fault;
use vnet_sim::netfile::NetworkFile;
use vnet_sim::vm::VmProgram;
use vnet_sim::{NodeId, SimTime};

use super::{Network, Session};
use crate::edit;
use crate::protocol::{ClientMessage, ServerMessage, WorkerAction};
use crate::workers::read_sources;

impl Session {
    /// A node of the simulation that faults may crash: not an external one (a real P-node).
    fn internal_node(&self, name: &str) -> Result<NodeId, String> {
        edit::node_index(&self.net.file, name)?;
        self.net.file.crashable_node(name)
    }

    pub(super) fn handle(&mut self, m: ClientMessage) -> Result<(), String> {
        match m {
            ClientMessage::Run { speed } => {
                self.check_speed(speed)?;
                let pace = speed.map(|k| (k, Instant::now(), self.sim.now()));
                self.running = Some(pace);
                self.batch(true);
            }
            ClientMessage::Pause => {
                self.running = None;
                self.pause_live();
                self.batch(true);
            }
            ClientMessage::Step { until_message } => {
                self.running = None;
                let before = self.seen.borrow().deliveries;
                // At most a million events looking for a delivery.
                for _ in 0..1_000_000 {
                    if !self.step_one() || !until_message {
                        break;
                    }
                    if self.seen.borrow().deliveries > before {
                        break;
                    }
                }
                self.batch(true);
            }
            ClientMessage::Reset { seed } => {
                let seed = seed.unwrap_or(self.seed);
                let built = self.build(seed)?;
                self.replace(built, seed);
            }
            ClientMessage::Eval { node, worker, code } => self.eval(node, worker, code)?,
            ClientMessage::MoveNode { node, pos } => {
                let i = edit::node_index(&self.net.file, &node)?;
                let at = edit::to_plane(&mut self.net.file, pos);
                self.net.file.nodes[i].pos = Some(at);
                for (k, n) in self.net.file.nodes.iter().enumerate() {
                    if let Some(p) = n.pos {
                        self.sim
                            .set_position(NodeId(k as u32), p)
                            .map_err(|e| e.to_string())?;
                    }
                }
                self.publish();
                self.broadcast(&ServerMessage::Positions {
                    positions: crate::positions(&self.net.file),
                });
            }
            ClientMessage::Save => self.save()?,
            ClientMessage::Worker {
                node,
                worker,
                action,
            } => {
                let i = edit::node_index(&self.net.file, &node)?;
                if self.is_pnode(i) {
                    self.pnode_worker(i, worker, action != WorkerAction::Kill)?;
                    self.batch(true);
                    return Ok(());
                }
                let id = self
                    .slots
                    .id(i, worker)
                    .ok_or_else(|| format!("node `{node}` has no Lua or JS worker {worker}"))?;
                let alive = self.slots.alive(&self.sim, i, worker);
                match action {
                    WorkerAction::Kill if !alive => {
                        return Err(format!("worker {worker} of `{node}` is not running"));
                    }
                    WorkerAction::Start if alive => {
                        return Err(format!("worker {worker} of `{node}` is running already"));
                    }
                    _ => {}
                }
                if alive {
                    self.sim.kill_worker(NodeId(i as u32), id);
                }
                if action != WorkerAction::Kill {
                    let net = &self.net;
                    self.slots
                        .start(&mut self.sim, &net.file, &net.sources, i, worker)?;
                    self.run_instant();
                }
                self.done_sent = false;
                self.batch(true);
            }
            ClientMessage::SetCode { node, worker, code } => {
                let i = edit::node_index(&self.net.file, &node)?;
                let spec = self.net.file.nodes[i]
                    .workers
                    .get_mut(worker as usize)
                    .ok_or_else(|| format!("node `{node}` has no worker {worker}"))?;
                let path = match (&spec.code, &spec.path) {
                    (None, Some(p)) => {
                        self.net.sources.insert(p.clone(), code.clone());
                        Some(p.clone())
                    }
                    _ => {
                        spec.code = Some(code.clone());
                        None
                    }
                };
                self.publish();
                self.broadcast(&ServerMessage::Code {
                    node,
                    worker,
                    path,
                    code,
                });
            }
            ClientMessage::AddWorker { node, lang, code } => {
                let i = edit::node_index(&self.net.file, &node)?;
                let slot = self.net.file.nodes[i].workers.len() as u32;
                self.net.file.nodes[i]
                    .workers
                    .push(vnet_sim::netfile::WorkerSpec {
                        lang,
                        code: Some(code),
                        path: None,
                    });
                let net = &self.net;
                let started = if self.is_pnode(i) {
                    self.pnode_worker(i, slot, true)
                } else {
                    self.slots
                        .start(&mut self.sim, &net.file, &net.sources, i, slot)
                };
                if let Err(e) = started {
                    self.net.file.nodes[i].workers.pop();
                    return Err(e);
                }
                self.run_instant();
                self.publish();
                self.done_sent = false;
                self.broadcast(&ServerMessage::NodeChanged {
                    index: i,
                    spec: serde_json::to_value(&self.net.file.nodes[i]).unwrap_or_default(),
                });
                self.batch(true);
            }
            ClientMessage::AddNode { name, pos, copy_of } => {
                self.edit(|f| edit::add_node(f, name, pos, copy_of.as_deref()).map(|_| ()))?
            }
            ClientMessage::RemoveNode { node } => self.edit(|f| edit::remove_node(f, &node))?,
            ClientMessage::SetNode { node, spec } => {
                self.edit(|f| edit::set_node(f, &node, *spec))?
            }
            ClientMessage::AddLink { a, b } => self.edit(|f| edit::add_link(f, &a, &b))?,
            ClientMessage::RemoveLink { a, b } => self.edit(|f| edit::remove_link(f, &a, &b))?,
            ClientMessage::SetLink { link } => self.edit(|f| edit::set_link(f, *link))?,
            ClientMessage::Load { text } => self.load(&text)?,
            ClientMessage::Crash { node } => {
                let n = self.internal_node(&node)?;
                self.sim.apply_fault(Fault::Crash(n));
                self.done_sent = false;
                self.batch(true);
            }
            ClientMessage::Restart { node, wipe } => {
                let n = self.internal_node(&node)?;
                self.sim.apply_fault(Fault::Restart { node: n, wipe });
                self.done_sent = false;
                self.batch(true);
            }
            ClientMessage::Cut { a, b } => {
                let (na, nb) = (
                    edit::node_index(&self.net.file, &a)?,
                    edit::node_index(&self.net.file, &b)?,
                );
                // Nodes with no link between them: nothing to cut, and the browser is told.
                self.net.file.links_named(&format!("{a} -- {b}"))?;
                let (a, b) = (NodeId(na as u32), NodeId(nb as u32));
                self.sim.apply_fault(Fault::Cut { from: a, to: b });
                self.sim.apply_fault(Fault::Cut { from: b, to: a });
                self.batch(true);
            }
            ClientMessage::Heal => {
                self.sim.apply_fault(Fault::Heal);
                self.batch(true);
            }
        }
        Ok(())
    }

    /// Runs what is due at the current instant (a worker just started), so that a paused
    /// studio shows what a started worker does at once; later events wait for run or step.
    fn run_instant(&mut self) {
        let now = self.sim.now();
        // Bounded: the kernel fails a worker that keeps one instant busy for ever.
        for _ in 0..1_000_000 {
            if self.sim.next_event_time() != Some(now) || !self.step_one() {
                break;
            }
        }
    }

    fn eval(&mut self, node: String, worker: u32, code: String) -> Result<(), String> {
        let i = edit::node_index(&self.net.file, &node)?;
        if self.is_pnode(i) {
            let (value, error) = match self.pnode_eval(i, worker, &code) {
                Ok(v) => (Some(v), None),
                Err(e) => (None, Some(e)),
            };
            self.broadcast(&ServerMessage::EvalResult {
                node,
                worker,
                code,
                value,
                error,
            });
            return Ok(());
        }
        let id = self
            .slots
            .id(i, worker)
            .ok_or_else(|| format!("node `{node}` has no Lua or JS worker {worker}"))?;
        let now = self.sim.now();
        let vm = self
            .sim
            .program_mut(NodeId(i as u32), id)
            .and_then(|p| p.as_any_mut())
            .and_then(|a| a.downcast_mut::<VmProgram>())
            .ok_or_else(|| format!("worker {worker} of `{node}` is not running"))?;
        let (value, error) = match shell_eval(vm, &code, now) {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(e.to_string())),
        };
        self.batch(false);
        self.broadcast(&ServerMessage::EvalResult {
            node,
            worker,
            code,
            value,
            error,
        });
        Ok(())
    }

    /// Applies `change` to a copy of the network; keeps it, and starts over from it, only if
    /// it builds.
    fn edit(
        &mut self,
        change: impl FnOnce(&mut NetworkFile) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut file = self.net.file.clone();
        change(&mut file)?;
        let old = std::mem::replace(&mut self.net.file, file);
        match self.build(self.seed) {
            Ok(built) => {
                self.publish();
                self.replace(built, self.seed);
                Ok(())
            }
            Err(e) => {
                self.net.file = old;
                Err(e)
            }
        }
    }

    /// Replaces the network with an uploaded file's.
    fn load(&mut self, text: &str) -> Result<(), String> {
        let file = NetworkFile::from_json(text).map_err(|e| {
            // A syntax error starts with its line and column, as in `network.json:2:12: …`.
            let e = e.to_string();
            let sep = if e.starts_with(|c: char| c.is_ascii_digit()) {
                ":"
            } else {
                ": "
            };
            format!("network.json{sep}{e}")
        })?;
        for n in &file.nodes {
            for w in &n.workers {
                if let Some(p) = &w.path
                    && (Path::new(p).is_absolute()
                        || Path::new(p).components().any(|c| c.as_os_str() == ".."))
                {
                    return Err(format!(
                        "node `{}`: worker path `{p}` must stay inside the studio's folder",
                        n.name
                    ));
                }
            }
        }
        let sources = read_sources(&file, &self.net.base)?;
        let net = Network {
            file,
            sources,
            base: self.net.base.clone(),
        };
        let seed = net.file.run.seed.or(net.file.seed).unwrap_or(self.seed);
        let old = std::mem::replace(&mut self.net, net);
        match self.build(seed) {
            Ok(built) => {
                self.publish();
                self.replace(built, seed);
                Ok(())
            }
            Err(e) => {
                self.net = old;
                Err(e)
            }
        }
    }

    /// Writes the network to its file and edited program texts to theirs.
    fn save(&mut self) -> Result<(), String> {
        let path = self
            .path
            .clone()
            .ok_or("the studio was opened without a file: download the network instead")?;
        for (p, text) in &self.net.sources {
            let at = self.net.base.join(p);
            if std::fs::read_to_string(&at).ok().as_deref() != Some(text.as_str()) {
                std::fs::write(&at, text)
                    .map_err(|e| format!("writing `{}`: {e}", at.display()))?;
            }
        }
        self.net.file.save(&path).map_err(|e| e.to_string())?;
        self.broadcast(&ServerMessage::Saved {
            file: path.display().to_string(),
        });
        Ok(())
    }
}

/// A shell line at the simulation's time `now`, as Lua's own REPL reads one: in Lua, first as
/// an expression (`return …`), and only if that does not compile, as a statement; JavaScript's
/// completion value needs no such help.
fn shell_eval(
    vm: &mut VmProgram,
    code: &str,
    now: SimTime,
) -> Result<serde_json::Value, vnet_sim::vm::EvalError> {
    if vm.lang() != vnet_sim::vm::Lang::Lua {
        return vm.eval_at(code, now);
    }
    match vm.eval_at(&format!("return {code}"), now) {
        // A syntax error says where ("… near 'x'") and happens before anything runs.
        Err(e) if is_syntax_error(&e.to_string()) => vm.eval_at(code, now),
        other => other,
    }
}

pub(super) fn is_syntax_error(message: &str) -> bool {
    (message.contains(" near ") || message.contains("<eof>")) && !message.contains("attempt to")
}
