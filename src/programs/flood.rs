//! Flooding: the origin sends a message on every port; every node forwards the first copy it
//! gets on every port but the one it came in on, and ignores later copies.

use std::cell::RefCell;
use std::rc::Rc;

use vnet_sim::{Context, Message, NodeProgram, PortId, SimTime};

/// A flooding node. The first-arrival time is written to the shared `arrivals[node]`.
pub struct Flood {
    origin: bool,
    size: u32,
    seen: bool,
    arrivals: Rc<RefCell<Vec<Option<SimTime>>>>,
}

impl Flood {
    /// A node that starts the flood (`origin`) or joins it; messages are charged `size` bytes.
    pub fn new(origin: bool, size: u32, arrivals: Rc<RefCell<Vec<Option<SimTime>>>>) -> Self {
        Flood {
            origin,
            size,
            seen: false,
            arrivals,
        }
    }

    fn forward(&mut self, ctx: &mut Context, except: Option<PortId>, msg: &Message) {
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
            self.arrivals.borrow_mut()[ctx.node().0 as usize] = Some(ctx.now());
            let msg = Message::value(serde_json::json!({ "flood": ctx.node_info().name() }))
                .with_size(self.size);
            self.forward(ctx, None, &msg);
        }
    }

    fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, msg: Message) {
        if self.seen {
            return;
        }
        self.seen = true;
        self.arrivals.borrow_mut()[ctx.node().0 as usize] = Some(ctx.now());
        self.forward(ctx, port, &msg);
    }
}
