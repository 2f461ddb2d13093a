//! Flooding: the origin sends a message on every port; every node forwards the first copy it
//! gets on every port but the one it came in on, and ignores later copies. Each node records
//! `reached` (true) when the flood first reaches it. The same program in Rust, Lua and
//! JavaScript; the VM programs take their node's part from `params()` ([`flood_params`]).

use vnet_sim::vm::{Lang, VmProgram, vm_worker};
use vnet_sim::{Context, Message, NodeProgram, PortId};

/// The flood program in Lua. Parameters: `origin` (true on the node that starts the flood) and
/// `pad` (the message is a string of `pad` characters: `pad + 2` bytes of JSON).
pub const FLOOD_LUA: &str = include_str!("../../examples/networks/mesh16/flood.lua");

/// The flood program in JavaScript (the same parameters).
pub const FLOOD_JS: &str = include_str!("../../examples/networks/mesh16/flood.js");

/// A flood node's parameters: whether it starts the flood, and the padding that makes the
/// message `size` bytes of JSON.
pub fn flood_params(origin: bool, size: u32) -> serde_json::Value {
    serde_json::json!({"origin": origin, "pad": size.saturating_sub(2)})
}

/// A flood worker in `lang`: the origin (`origin`) or a node that joins, with `size`-byte
/// messages.
pub fn flood_worker(lang: Lang, origin: bool, size: u32) -> Box<VmProgram> {
    let code = match lang {
        Lang::Lua => FLOOD_LUA,
        Lang::Js => FLOOD_JS,
    };
    Box::new((*vm_worker(lang, code)).with_params(flood_params(origin, size)))
}

/// A flooding node in Rust.
pub struct Flood {
    origin: bool,
    size: u32,
    seen: bool,
}

impl Flood {
    /// A node that starts the flood (`origin`) or joins it; the message is `size` bytes of JSON.
    pub fn new(origin: bool, size: u32) -> Self {
        Flood {
            origin,
            size,
            seen: false,
        }
    }

    fn forward(&mut self, ctx: &mut Context, except: Option<PortId>, msg: &Message) {
        ctx.record("reached", true);
        for p in 0..ctx.port_count() as u16 {
            if Some(PortId(p)) != except {
                ctx.send(PortId(p), msg.clone());
            }
        }
    }
}

impl NodeProgram for Flood {
    fn on_start(&mut self, ctx: &mut Context) {
        if self.origin {
            self.seen = true;
            let pad = "x".repeat(self.size.saturating_sub(2) as usize);
            self.forward(ctx, None, &Message::value(serde_json::Value::String(pad)));
        }
    }

    fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, msg: Message) {
        if !self.seen {
            self.seen = true;
            self.forward(ctx, port, &msg);
        }
    }
}
