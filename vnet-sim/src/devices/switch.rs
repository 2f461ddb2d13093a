//! A crossbar switch for serial-line clusters (the paper's §IV FPGA switch): N ports, each
//! joined to one device by a serial link (k parallel UARTs, see [`SerialLine`]), a switching
//! latency, per-output queues of bounded length, and a logical [`Interconnect`].
//!
//! A frame is a message whose value is an object with an integer `"to"`: the destination
//! device. A frame from device `a` to device `b` is forwarded, `latency` after it arrived, onto
//! `b`'s link if the interconnect connects `a` and `b`; otherwise it is dropped and counted.
//! An output queue holds at most `queue_capacity` frames besides the one being sent. When it is
//! full the [`QueuePolicy`] decides: `Drop` loses the frame (drop-tail), `Backpressure` holds
//! it, and every frame behind it from the same input, until the output has room (head-of-line
//! blocking, as a FIFO input buffer does).

use std::collections::VecDeque;

use super::Interconnect;
use crate::kernel::{Context, NodeProgram, Simulation};
use crate::net::{LinkParams, Message, NetError, NodeId, PortId, SerialLine};
use crate::time::{SimDuration, SimTime};

/// What a full output queue does with one more frame.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum QueuePolicy {
    /// Lose it.
    Drop,
    /// Hold it (and its input's later frames) until the output has room.
    Backpressure,
}

/// How the switch and its links are built.
#[derive(Clone, Debug, PartialEq)]
pub struct SwitchConfig {
    /// Who may talk to whom; its size is the number of devices.
    pub interconnect: Interconnect,
    /// Time from a frame's arrival to its start on the output.
    pub latency: SimDuration,
    /// Frames an output may hold waiting behind the one being sent.
    pub queue_capacity: usize,
    /// What a full output does.
    pub policy: QueuePolicy,
    /// Each lane's bit rate (default 5 Mb/s).
    pub bit_rate: u64,
    /// The serial framing of every device link (default 8N1 on 2 lanes, 11 bytes per frame).
    pub line: SerialLine,
    /// Propagation delay of the device links.
    pub wire_latency: SimDuration,
}

impl SwitchConfig {
    /// The paper's switch for `interconnect`: 2 × 5 Mb/s UARTs per device, 8N1, 11 bytes of
    /// framing per frame, 1 µs switching latency, 16-frame output queues that drop when full.
    pub fn esp32(interconnect: Interconnect) -> Self {
        SwitchConfig {
            interconnect,
            latency: SimDuration::from_micros(1),
            queue_capacity: 16,
            policy: QueuePolicy::Drop,
            bit_rate: 5_000_000,
            line: SerialLine::uart_8n1(2, FRAME_OVERHEAD),
            wire_latency: SimDuration::ZERO,
        }
    }

    /// The device links' parameters. Their transmit queues are unbounded: the switch keeps
    /// its outputs within `queue_capacity` itself, and a device's own sends queue in its UART
    /// driver.
    pub fn link_params(&self) -> LinkParams {
        LinkParams::new(self.wire_latency, self.bit_rate).with_serial(self.line)
    }
}

/// Bytes a frame adds on the wire: destination, source, type (1 each), sequence and length
/// (2 each), CRC-16 (2), COBS overhead byte and delimiter (1 each), for payloads under 245
/// bytes (`docs/uart.md`).
pub const FRAME_OVERHEAD: u32 = 11;

/// What the switch counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SwitchStats {
    /// Frames put on an output.
    pub forwarded: u64,
    /// Frames lost to a full output (`Drop`).
    pub dropped_full: u64,
    /// Frames whose destination the interconnect does not connect (or that had no `"to"`).
    pub dropped_no_route: u64,
    /// Frames that had to wait for room (`Backpressure`).
    pub held: u64,
    /// The most frames any output held at once (including the one being sent).
    pub max_occupancy: usize,
}

/// The switch's node program.
pub struct UartSwitch {
    config: SwitchConfig,
    params: LinkParams,
    /// Per output: when each frame on it (being sent or queued) finishes, oldest first.
    finishing: Vec<VecDeque<SimTime>>,
    /// Per input: frames held under backpressure, in arrival order (destination, frame).
    held: Vec<VecDeque<(usize, Message)>>,
    timer_set: bool,
    stats: SwitchStats,
}

/// The switch and its devices in a simulation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// The switch's node.
    pub switch: NodeId,
    /// The devices' nodes, by device index; each has one port, `uart`.
    pub devices: Vec<NodeId>,
}

impl UartSwitch {
    /// Adds a switch and `config.interconnect.len()` devices named `names` to `sim`, device `i`
    /// linked from its port `uart` to the switch's port `i`. Programs for the devices are the
    /// caller's to add.
    pub fn build(
        sim: &mut Simulation,
        switch_name: &str,
        names: &[String],
        config: SwitchConfig,
    ) -> Result<Cluster, NetError> {
        let n = config.interconnect.len();
        if names.len() != n {
            return Err(NetError::WrongCount {
                device: format!("switch `{switch_name}`"),
                given: names.len(),
                needed: n,
            });
        }
        let switch = sim.add_node(switch_name)?;
        let params = config.link_params();
        let mut devices = Vec::with_capacity(n);
        for (i, name) in names.iter().enumerate() {
            let d = sim.add_node(name)?;
            sim.link(d, "uart", switch, &i.to_string(), params.clone())?;
            devices.push(d);
        }
        sim.add_worker(switch, Box::new(UartSwitch::new(config)));
        Ok(Cluster { switch, devices })
    }

    /// A switch program (its node's port `i` must lead to device `i`).
    pub fn new(config: SwitchConfig) -> Self {
        let n = config.interconnect.len();
        UartSwitch {
            params: config.link_params(),
            config,
            finishing: vec![VecDeque::new(); n],
            held: vec![VecDeque::new(); n],
            timer_set: false,
            stats: SwitchStats::default(),
        }
    }

    /// What it counted so far.
    pub fn stats(&self) -> &SwitchStats {
        &self.stats
    }

    /// Frames on output `o` at `t`, forgetting those finished.
    fn occupancy(&mut self, o: usize, t: SimTime) -> usize {
        let q = &mut self.finishing[o];
        while q.front().is_some_and(|&f| f <= t) {
            q.pop_front();
        }
        q.len()
    }

    /// Puts `msg` on output `o` (after the switching latency), or drops it if the output is
    /// full under `Drop`; hands it back if it must be held (`Backpressure`).
    fn put(&mut self, ctx: &mut Context, o: usize, msg: Message) -> Result<(), Message> {
        let start = ctx.now() + self.config.latency;
        let busy = self.occupancy(o, start);
        if busy > self.config.queue_capacity && self.config.policy == QueuePolicy::Backpressure {
            return Err(msg);
        }
        if busy > self.config.queue_capacity {
            self.stats.dropped_full += 1;
            return Ok(());
        }
        let begins = self.finishing[o].back().map_or(start, |&f| f.max(start));
        self.finishing[o].push_back(begins + self.params.serialization(msg.size()));
        self.stats.forwarded += 1;
        self.stats.max_occupancy = self.stats.max_occupancy.max(busy + 1);
        ctx.send_after(self.config.latency, PortId(o as u16), msg);
        Ok(())
    }

    /// Retries held frames, inputs in order; re-arms the timer for the earliest finish.
    fn drain_held(&mut self, ctx: &mut Context) {
        for i in 0..self.held.len() {
            while let Some((o, msg)) = self.held[i].pop_front() {
                if let Err(msg) = self.put(ctx, o, msg) {
                    self.held[i].push_front((o, msg));
                    break;
                }
            }
        }
        self.arm(ctx);
    }

    fn arm(&mut self, ctx: &mut Context) {
        if self.timer_set || self.held.iter().all(VecDeque::is_empty) {
            return;
        }
        // The earliest moment an output a held frame waits for has room again.
        let wake = self
            .held
            .iter()
            .filter_map(|h| h.front())
            .filter_map(|(o, _)| self.finishing[*o].front().copied())
            .min();
        if let Some(t) = wake {
            let start = ctx.now() + self.config.latency;
            let delay = t.saturating_since(start);
            ctx.set_timer(delay.max(SimDuration::from_nanos(1)), 0);
            self.timer_set = true;
        }
    }
}

impl NodeProgram for UartSwitch {
    fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, msg: Message) {
        let Some(input) = port.map(|p| p.0 as usize) else {
            return;
        };
        let to = msg
            .as_value()
            .and_then(|v| v.get("to"))
            .and_then(|t| t.as_u64());
        let Some(o) = to
            .map(|t| t as usize)
            .filter(|&o| self.config.interconnect.connects(input, o))
        else {
            self.stats.dropped_no_route += 1;
            return;
        };
        if !self.held[input].is_empty() {
            // Behind a held frame: wait in line.
            self.held[input].push_back((o, msg));
            self.stats.held += 1;
            return;
        }
        if let Err(msg) = self.put(ctx, o, msg) {
            self.held[input].push_back((o, msg));
            self.stats.held += 1;
            self.arm(ctx);
        }
    }

    fn on_timer(&mut self, ctx: &mut Context, _: u64) {
        self.timer_set = false;
        self.drain_held(ctx);
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}
