//! What an agent's runtime asks of its worker, through one internal call, `__agent(op, arg)`,
//! that the runtime scripts (`agent.lua`, `agent.js`) wrap into `moveto`, `clone`, `kill`,
//! `me` and `signal`: the parcel it started from, moving, cloning, signals.

use serde_json::{Value, json};

use super::io::{Command, Io};
use crate::agents::{MAX_OUT, Parcel, SharedPlatform};

/// An agent's seat on its worker: the parcel it came in and its node's platform.
#[derive(Clone, Debug)]
pub(crate) struct AgentSeat {
    pub parcel: Parcel,
    /// Set when the worker starts.
    pub platform: Option<SharedPlatform>,
}

/// The code an agent's worker runs: its class's code wrapped into a function that the
/// runtime calls, on the first line so that error lines keep the class file's numbers.
pub(crate) fn agent_program(parcel: &Parcel) -> String {
    match parcel.lang {
        super::Lang::Lua => format!(
            "local __class = function(...) {}\nend\n{}",
            parcel.code,
            include_str!("agent.lua")
        ),
        super::Lang::Js => format!(
            "const __class = function() {{{}\n}};\n{}",
            parcel.code,
            include_str!("agent.js")
        ),
    }
}

impl Io {
    fn seat(&self, op: &str) -> Result<&AgentSeat, String> {
        self.agent
            .as_deref()
            .ok_or_else(|| format!("{op}: only agents can call this"))
    }

    fn platform(&self, op: &str) -> Result<&SharedPlatform, String> {
        self.seat(op)?
            .platform
            .as_ref()
            .ok_or_else(|| format!("{op}: the agent is not on a platform"))
    }

    /// `__agent(op, arg)`: the runtime's one way to its worker.
    pub fn agent_call(&mut self, op: &str, arg: Value) -> Result<Value, String> {
        match op {
            "parcel" => {
                let p = &self.seat(op)?.parcel;
                Ok(json!({ "id": p.id, "state": p.state, "next": p.next, "class": p.class }))
            }
            "route" => {
                let Value::String(to) = &arg else {
                    return Err("moveto: expected a port or neighbour name".into());
                };
                self.route(to).map(|_| Value::Null)
            }
            "id" => {
                let node = self.node.name.clone();
                Ok(Value::String(self.platform(op)?.borrow_mut().new_id(&node)))
            }
            "move" => self.agent_move(arg).map(|()| Value::Null),
            "clone" => self.agent_clone(arg),
            "signal" => {
                let (to, name) = match (&arg["to"], &arg["name"]) {
                    (Value::String(t), Value::String(n)) => (t.clone(), n.clone()),
                    _ => return Err("signal: expected an agent id and a signal name".into()),
                };
                let arg = arg.get("arg").cloned().unwrap_or(Value::Null);
                let mut p = self.platform("signal")?.borrow_mut();
                Ok(Value::Bool(p.signal(&to, name, arg)))
            }
            "signals" => {
                let id = self.seat(op)?.parcel.id.clone();
                let queued = self.platform(op)?.borrow_mut().take_signals(&id);
                Ok(Value::Array(
                    queued.into_iter().map(|(n, a)| json!([n, a])).collect(),
                ))
            }
            "kill" => {
                let Value::String(id) = arg else {
                    return Err("kill: expected an agent id".into());
                };
                let w = self.platform(op)?.borrow().worker_of(&id);
                if let Some(w) = w {
                    self.kill(w);
                }
                Ok(Value::Bool(w.is_some()))
            }
            other => Err(format!("__agent: unknown operation `{other}`")),
        }
    }

    /// The parcel of this agent with `state` and `next` (from `arg`), checked against
    /// [`MAX_OUT`].
    fn parcel_with(&self, op: &str, id: String, arg: &Value) -> Result<Parcel, String> {
        let seat = self.seat(op)?;
        let next = match &arg["next"] {
            Value::String(s) => s.clone(),
            _ => return Err(format!("{op}: the next activity must be a name")),
        };
        let state = match &arg["state"] {
            s @ Value::Object(_) => s.clone(),
            _ => return Err(format!("{op}: the state must be a table of fields")),
        };
        let p = Parcel {
            id,
            state,
            next: Some(next),
            ..seat.parcel.clone()
        };
        let size = p.to_message().size() as usize;
        if size > MAX_OUT {
            return Err(format!(
                "{op}: the agent is {size} bytes (code and state), over the {MAX_OUT}-byte cap"
            ));
        }
        Ok(p)
    }

    /// The port and neighbour `to` names: a port with one link, or a neighbour's name.
    fn route(&self, to: &str) -> Result<(crate::net::PortId, String), String> {
        let node = &self.node;
        let (port, neighbour) = if let Some(port) = node.port(to) {
            match node
                .neighbours
                .get(port.0 as usize)
                .map_or(&[][..], |n| n.as_slice())
            {
                [one] => (port, one.clone()),
                [] => {
                    return Err(format!(
                        "moveto: port `{to}` of `{}` has no link",
                        node.name
                    ));
                }
                many => {
                    return Err(format!(
                        "moveto: port `{to}` of `{}` reaches {} nodes; name one ({})",
                        node.name,
                        many.len(),
                        many.join(", ")
                    ));
                }
            }
        } else {
            let port = node
                .neighbours
                .iter()
                .position(|ns| ns.iter().any(|n| n == to))
                .ok_or_else(|| {
                    format!(
                        "moveto: `{}` has no port or neighbour called `{to}`",
                        node.name
                    )
                })?;
            (crate::net::PortId(port as u16), to.to_owned())
        };
        Ok((port, neighbour))
    }

    /// `moveto`: queues the parcel onto the link towards `arg.to`.
    fn agent_move(&mut self, arg: Value) -> Result<(), String> {
        let Value::String(to) = &arg["to"] else {
            return Err("moveto: expected a port or neighbour name".into());
        };
        let (port, neighbour) = self.route(to)?;
        let seat = self.seat("moveto")?;
        let mut parcel = self.parcel_with("moveto", seat.parcel.id.clone(), &arg)?;
        parcel.hops += 1;
        let at = self.instructions;
        self.commands.push(Command::Move {
            port,
            to: neighbour,
            parcel: Box::new(parcel),
            at,
        });
        Ok(())
    }

    /// `clone`: queues a copy of this agent with `arg.state`, starting at `arg.next` here;
    /// returns its id.
    fn agent_clone(&mut self, arg: Value) -> Result<Value, String> {
        let id = match &arg["id"] {
            Value::String(s) => s.clone(),
            _ => {
                let node = self.node.name.clone();
                self.platform("clone")?.borrow_mut().new_id(&node)
            }
        };
        let parcel = self.parcel_with("clone", id.clone(), &arg)?;
        let at = self.instructions;
        self.commands.push(Command::Clone {
            parcel: Box::new(parcel),
            at,
        });
        self.next_worker += 1;
        Ok(Value::String(id))
    }
}
