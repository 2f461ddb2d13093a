//! What passes between a VM and its driver during one activation: the clock and random stream
//! going in, the commands (sends, output, forks, kills) coming out, and what the VM blocked on.

use serde_json::Value;

use crate::kernel::Context;
use crate::net::{Message, PortId};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// A node as a program sees it through `node()`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeInfo {
    /// Node id.
    pub id: u32,
    /// Node name.
    pub name: String,
    /// Port names, in port-id order.
    pub ports: Vec<String>,
    /// For each port (same order), the names of the nodes at the other end of its links.
    pub neighbours: Vec<Vec<String>>,
    /// This worker's id.
    pub worker: u32,
    /// How many times the node has booted: 1, then one more per restart.
    pub boot: u32,
}

impl NodeInfo {
    /// The view of the node `ctx` runs on, as its programs' `node()` shows it.
    pub fn of(ctx: &Context) -> Self {
        let net = ctx.network();
        let me = ctx.node_info();
        let ports = me.ports().iter().map(|p| p.name().to_owned()).collect();
        let neighbours = me
            .ports()
            .iter()
            .map(|p| {
                // A link direction starts at this port; its far end is the other endpoint.
                p.links()
                    .iter()
                    .filter_map(|ld| {
                        net.link(ld.link)
                            .map(|l| l.ends()[1 - ld.dir as usize].node)
                    })
                    .filter_map(|n| net.node(n))
                    .map(|n| n.name().to_owned())
                    .collect()
            })
            .collect();
        NodeInfo {
            id: ctx.node().0,
            name: me.name().to_owned(),
            ports,
            neighbours,
            worker: ctx.worker().0,
            boot: ctx.boot(),
        }
    }

    /// The id of the port called `name`.
    pub fn port(&self, name: &str) -> Option<PortId> {
        self.ports
            .iter()
            .position(|p| p == name)
            .map(|i| PortId(i as u16))
    }
}

/// Something a VM asked for that takes effect when its activation ends (at the same virtual time).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Command {
    Send {
        port: PortId,
        message: Message,
        at: u64,
    },
    Print {
        text: String,
        at: u64,
    },
    Record {
        name: String,
        value: crate::kernel::RecordValue,
        at: u64,
    },
    Fork {
        code: String,
        at: u64,
    },
    Kill(u32),
    /// An agent leaves over `port`'s link to node `to` (a name).
    Move {
        port: PortId,
        to: String,
        parcel: Box<crate::agents::Parcel>,
        at: u64,
    },
    /// A clone starts on this node.
    Clone {
        parcel: Box<crate::agents::Parcel>,
        at: u64,
    },
    /// Wake worker `worker` of the node with timer tag `tag`: a tuple it waited for came.
    Wake {
        worker: u32,
        tag: u64,
    },
}

/// Why a VM activation ended.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    /// Blocked in `recv(port, timeout)`.
    Recv {
        port: Option<PortId>,
        timeout: Option<SimDuration>,
    },
    /// Blocked in `sleep`.
    Sleep(SimDuration),
    /// Blocked in `rd` (`take`: `take`) on the node's tuple space, no tuple matching yet.
    Tuple {
        pattern: Vec<Value>,
        take: bool,
        timeout: Option<SimDuration>,
    },
    /// Blocked on something that never wakes (a JS promise nobody resolves).
    Stalled,
    /// The program ran to its end or called `exit()`.
    Finished,
    /// An error, a broken limit: the message says which.
    Failed(String),
}

/// What a blocked call returns when the VM is resumed.
#[derive(Clone, Debug)]
pub(crate) enum Resume {
    /// First activation: run the program from the top.
    Start,
    /// `recv` got a message on `port` (`None`: sent directly to the node).
    Message {
        port: Option<PortId>,
        message: Message,
        /// What `recv` returns third.
        meta: Meta,
    },
    /// `recv` timed out (returns nil / null).
    Timeout,
    /// `sleep` is over.
    Wake,
    /// `rd` / `take` got this tuple, or (`None`) timed out.
    Tuple(Option<Vec<Value>>),
}

impl Resume {
    /// `recv`'s message as it arrives (call it in `on_message`), with what the program learns
    /// of it beside the value: the sending node's name, when it was sent (virtual ms, and ns),
    /// and its id in the trace.
    pub fn message(ctx: &Context, port: Option<PortId>, message: Message) -> Resume {
        let from = ctx.network().node(message.src()).map_or("", |n| n.name());
        let meta = Meta {
            from: from.into(),
            sent: message.sent_at(),
            id: ctx.message_id(),
        };
        Resume::Message {
            port,
            message,
            meta,
        }
    }
}

/// What `recv` returns third, `{from, sent, sent_ns, id}`: the sending node's name, when the
/// message was sent, and its id in the trace. Typed, so that a VM builds its own value of it
/// without a JSON object in between.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub from: compact_str::CompactString,
    pub sent: SimTime,
    pub id: Option<crate::trace::MessageId>,
}

impl Meta {
    /// As a JSON-like value.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "from": self.from.as_str(),
            "sent": self.sent.as_millis_f64(),
            "sent_ns": self.sent.as_nanos(),
            "id": self.id.map(|m| m.to_string()),
        })
    }
}

/// The per-activation state a VM's API functions read and write.
#[derive(Clone, Debug, Default)]
pub(crate) struct Io {
    pub now: SimTime,
    pub rng: Option<SimRng>,
    pub node: std::rc::Rc<NodeInfo>,
    pub commands: Vec<Command>,
    /// Id the next `fork` gets.
    pub next_worker: u32,
    /// Set by the instruction hook when the budget ran out.
    pub budget_exceeded: bool,
    /// Where the program was when the budget ran out (`program:4`), if known.
    pub stopped_at: Option<String>,
    /// The worker's [`CancelFlag`](super::CancelFlag) was raised (Lua hook).
    pub cancelled: bool,
    /// Instructions counted this activation (in hook-interval steps).
    pub instructions: u64,
    /// Set by `exit()`.
    pub exit: bool,
    /// Virtual ns per counted instruction (0 without a host profile).
    pub ns_per_instruction: f64,
    /// Bytes of one output line; longer ones are cut ([`super::VmConfig::max_line`]).
    pub max_line: usize,
    /// The node's parameters, as `params()` returns them (`null`: none).
    pub params: std::rc::Rc<Value>,
    /// The node's sensors, if it has any.
    pub sensors: Option<crate::sense::SharedBank>,
    /// The node's stable storage (set when the worker starts).
    pub store: Option<crate::faults::SharedStore>,
    /// The node's tuple space (set when the worker starts).
    pub tuples: Option<crate::agents::SharedSpace>,
    /// The agent this worker runs, if it is one.
    pub agent: Option<Box<super::io_agents::AgentSeat>>,
}

impl Io {
    /// Milliseconds of virtual time, as `now()` returns them: the activation's start plus the
    /// compute time counted so far (with a host profile).
    pub fn now_ms(&self) -> f64 {
        self.now_ns() as f64 / 1e6
    }

    /// Whole nanoseconds of virtual time, as `now_ns()` returns them (exact, unlike `now()`'s
    /// float milliseconds).
    pub fn now_ns(&self) -> u64 {
        (self.now + self.compute_time(self.instructions)).as_nanos()
    }

    /// Virtual time `instructions` take on this worker's host.
    pub fn compute_time(&self, instructions: u64) -> SimDuration {
        // Without a host profile (the common case) computing is free: skip the float rounding
        // on the message path.
        if self.ns_per_instruction == 0.0 {
            return SimDuration::ZERO;
        }
        SimDuration::from_nanos((instructions as f64 * self.ns_per_instruction).round() as u64)
    }

    /// A uniform draw in [0, 1) from the node's stream.
    pub fn random(&mut self) -> f64 {
        use rand::RngExt;
        self.rng.as_mut().map_or(0.0, |r| r.random::<f64>())
    }

    /// A uniform integer in `lo..=hi` from the node's stream.
    pub fn random_int(&mut self, lo: i64, hi: i64) -> i64 {
        use rand::RngExt;
        self.rng.as_mut().map_or(lo, |r| r.random_range(lo..=hi))
    }

    /// Queues a send on the port called `port`; the error names the port and node.
    pub fn send(&mut self, port: &str, value: Value) -> Result<(), String> {
        self.send_message(port, Message::value(value))
    }

    /// Queues a send of `message` on the port called `port`.
    pub(crate) fn send_message(&mut self, port: &str, message: Message) -> Result<(), String> {
        let id = self
            .node
            .port(port)
            .ok_or_else(|| format!("send: node `{}` has no port `{port}`", self.node.name))?;
        let at = self.instructions;
        self.commands.push(Command::Send {
            port: id,
            message,
            at,
        });
        Ok(())
    }

    /// Reads the node's sensor `name` at the worker's current virtual time: the reading, or
    /// `None` if it dropped out.
    pub fn sensor(&mut self, name: &str) -> Result<Option<f64>, String> {
        let at = self.now + self.compute_time(self.instructions);
        match &self.sensors {
            Some(bank) => bank
                .try_borrow_mut()
                .map_err(|_| "sensor: the sensors are busy".to_owned())?
                .read(name, at)
                .map_err(|e| e.to_string()),
            None => Err(crate::sense::NoSuchSensor {
                node: self.node.name.clone(),
                name: name.to_owned(),
            }
            .to_string()),
        }
    }

    /// `store.get(key)`'s value, as a pointer that stays valid until the store is next
    /// written (no write happens while a VM pushes it).
    pub fn store_get(&self, key: &str) -> Result<Option<*const Value>, String> {
        let store = self.store_ref()?;
        let store = store.try_borrow().map_err(|_| "store: busy".to_owned())?;
        Ok(store.get(key).map(|v| v as *const Value))
    }

    /// `store.set(key, value)` (`null` removes the key).
    pub fn store_set(&mut self, key: &str, value: Value) -> Result<(), String> {
        let store = self.store_ref()?;
        let mut store = store
            .try_borrow_mut()
            .map_err(|_| "store: busy".to_owned())?;
        store.set(key, value).map_err(|e| e.to_string())
    }

    /// `store.clear()`.
    pub fn store_clear(&mut self) -> Result<(), String> {
        let store = self.store_ref()?;
        store
            .try_borrow_mut()
            .map_err(|_| "store: busy".to_owned())?
            .clear();
        Ok(())
    }

    /// The store, for `store.keys()` (which reads it without copying).
    pub fn store_ref(&self) -> Result<&crate::faults::SharedStore, String> {
        self.store.as_ref().ok_or_else(|| {
            "store: this worker has no node store (eval runs outside its node)".into()
        })
    }

    /// Queues a record of `value` under `name` (taking effect, under a host profile, when the
    /// worker has computed up to this point).
    pub fn record(
        &mut self,
        name: String,
        value: Result<crate::kernel::RecordValue, String>,
    ) -> Result<(), String> {
        if name.is_empty() {
            return Err("record: the name must be a non-empty string".into());
        }
        let value = value.map_err(|e| format!("record `{name}`: {e}"))?;
        let at = self.instructions;
        self.commands.push(Command::Record { name, value, at });
        Ok(())
    }

    /// Queues an output line; under a host profile it appears when the worker has computed
    /// up to this point, as a send would leave.
    pub fn print(&mut self, text: String) {
        let text = super::cut_line(text, self.max_line);
        let at = self.instructions;
        self.commands.push(Command::Print { text, at });
    }

    /// Queues a fork and returns the id the new worker will get.
    pub fn fork(&mut self, code: String) -> u32 {
        self.commands.push(Command::Fork {
            code,
            at: self.instructions,
        });
        self.next_worker += 1;
        self.next_worker - 1
    }

    pub fn kill(&mut self, worker: u32) {
        self.commands.push(Command::Kill(worker));
    }
}

/// Parses a millisecond count given by a program into a duration, to the nearest nanosecond;
/// a positive count is at least 1 ns, so that a wait always advances time (`sleep(deadline -
/// now())` with a sub-nanosecond rest would otherwise repeat at one instant for ever).
pub(crate) fn millis(what: &str, ms: f64) -> Result<SimDuration, String> {
    if ms.is_finite() && ms >= 0.0 {
        let ns = (ms * 1e6).round() as u64;
        Ok(SimDuration::from_nanos(if ms > 0.0 {
            ns.max(1)
        } else {
            0
        }))
    } else {
        Err(format!(
            "{what}: expected a non-negative number of milliseconds, got {ms}"
        ))
    }
}
