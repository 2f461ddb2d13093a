//! Flooding: the origin sends a message on every port; every node forwards the first copy it
//! gets on every port but the one it came in on, and ignores later copies. Each node logs
//! `first` when the flood first reaches it. The same program in Rust, Lua and JavaScript.

use vnet_sim::{Context, Message, NodeProgram, PortId};

/// The flood program in Lua: the message is a string of `PAD` characters (JSON: `PAD + 2` bytes).
pub const FLOOD_LUA: &str = r#"
local me = node()
local port, msg
if me.name == ORIGIN then
  msg = string.rep("x", PAD)
else
  port, msg = recv()
end
print("first")
for _, p in ipairs(me.ports) do
  if p ~= port then send(p, msg) end
end
"#;

/// The flood program in JavaScript.
pub const FLOOD_JS: &str = r#"
const me = node();
let port = null, msg;
if (me.name === ORIGIN) {
  msg = "x".repeat(PAD);
} else {
  [port, msg] = await recv();
}
print("first");
for (const p of me.ports) {
  if (p !== port) send(p, msg);
}
"#;

/// The flood source for `lang` ("lua" or "js") with the origin node and message size filled in.
pub fn flood_source(js: bool, origin: &str, size: u32) -> String {
    let pad = size.saturating_sub(2).to_string();
    let origin = format!("\"{origin}\"");
    let code = if js { FLOOD_JS } else { FLOOD_LUA };
    code.replace("ORIGIN", &origin).replace("PAD", &pad)
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
        ctx.log("first");
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
