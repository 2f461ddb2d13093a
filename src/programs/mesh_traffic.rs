//! Mesh traffic: every node starts a series of floods; every node forwards the first copy of
//! each and records (`latency_ns`) how long it took to arrive. The same program in Lua, JavaScript and Rust
//! (`mesh_traffic.lua`, `mesh_traffic.js`), for the paper's §V mesh experiments: it gives the
//! kernel and the VMs a steady load whose virtual timing is identical in all three.

use std::collections::BTreeSet;

use serde_json::json;
use vnet_sim::vm::{Lang, VmProgram, vm_worker};
use vnet_sim::{Context, Message, NodeProgram, PortId, SimDuration};

/// The program in Lua.
pub const MESH_TRAFFIC_LUA: &str = include_str!("mesh_traffic.lua");
/// The program in JavaScript.
pub const MESH_TRAFFIC_JS: &str = include_str!("mesh_traffic.js");

/// The knobs every node shares.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TrafficParams {
    /// Nodes in the network.
    pub nodes: usize,
    /// Floods each node starts.
    pub floods: u32,
    /// Between two floods of one node, whole ms.
    pub interval_ms: u32,
    /// Node `i` starts its first flood at `i · stagger_ms`.
    pub stagger_ms: u32,
}

impl TrafficParams {
    /// The parameters as the VM programs read them from `params()`.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "nodes": self.nodes,
            "floods": self.floods,
            "interval": self.interval_ms,
            "stagger": self.stagger_ms,
        })
    }

    /// A worker running the program in `lang` with these parameters.
    pub fn worker(&self, lang: Lang) -> Box<VmProgram> {
        let (file, code) = match lang {
            Lang::Lua => ("mesh_traffic.lua", MESH_TRAFFIC_LUA),
            Lang::Js => ("mesh_traffic.js", MESH_TRAFFIC_JS),
        };
        Box::new(
            (*vm_worker(lang, code))
                .with_source_name(file)
                .with_params(self.to_json()),
        )
    }
}

/// The program in Rust.
pub struct MeshTraffic {
    params: TrafficParams,
    sent: u32,
    seen: BTreeSet<(u64, u64)>,
    heard: usize,
    done: bool,
}

impl MeshTraffic {
    /// A node of a mesh-traffic run.
    pub fn new(params: TrafficParams) -> Self {
        MeshTraffic {
            params,
            sent: 0,
            seen: BTreeSet::new(),
            heard: 0,
            done: false,
        }
    }

    fn finish_if_done(&mut self, ctx: &mut Context) {
        let expect = (self.params.nodes - 1) * self.params.floods as usize;
        if !self.done && self.sent == self.params.floods && self.heard == expect {
            self.done = true;
            ctx.exit();
        }
    }
}

impl NodeProgram for MeshTraffic {
    fn on_start(&mut self, ctx: &mut Context) {
        let first = u64::from(ctx.node().0) * u64::from(self.params.stagger_ms);
        if self.params.floods > 0 {
            ctx.set_timer(SimDuration::from_millis(first), 0);
        }
    }

    fn on_timer(&mut self, ctx: &mut Context, _tag: u64) {
        self.sent += 1;
        let me = u64::from(ctx.node().0);
        self.seen.insert((me, u64::from(self.sent)));
        let msg = Message::value(json!({"o": me, "s": self.sent, "t": ctx.now().as_nanos()}));
        for p in 0..ctx.port_count() as u16 {
            ctx.send(PortId(p), msg.clone());
        }
        if self.sent < self.params.floods {
            ctx.set_timer(
                SimDuration::from_millis(u64::from(self.params.interval_ms)),
                0,
            );
        }
        self.finish_if_done(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, msg: Message) {
        let Some(v) = msg.as_value() else { return };
        let field = |k: &str| v.get(k).and_then(serde_json::Value::as_u64);
        let (Some(o), Some(s), Some(t)) = (field("o"), field("s"), field("t")) else {
            return;
        };
        if self.seen.insert((o, s)) {
            self.heard += 1;
            ctx.record("latency_ns", ctx.now().as_nanos().saturating_sub(t));
            for p in 0..ctx.port_count() as u16 {
                if Some(PortId(p)) != port {
                    ctx.send(PortId(p), msg.clone());
                }
            }
        }
        self.finish_if_done(ctx);
    }
}
