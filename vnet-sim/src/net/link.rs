//! Links: full-duplex connections between two ports, each direction with its own transmitter.
//!
//! A message sent at `now` waits for the transmitter (FIFO), is serialized in
//! `ceil(size·8·10⁹ / bandwidth)` ns (or, with [`Rounding::Nearest`], rounded to the nearest
//! nanosecond, as ns-3 does), then propagates for `latency` (+ jitter). So on an idle link it
//! arrives at exactly `now + latency + size·8/bandwidth`, rounded up to the nanosecond. The transmit queue holds at most
//! `queue_capacity` messages waiting behind the one being sent; a message arriving to a full
//! queue is dropped (drop-tail). A lost message still occupies the transmitter (it is lost on
//! the wire). A link that goes down drops what is queued and in flight.

use std::collections::VecDeque;

use rand::RngExt;
use rand_distr::{Distribution, Exp, Normal};
use serde::{Deserialize, Serialize};

use super::stats::{DropCause, LinkStats};
use super::{Endpoint, LinkId};
use crate::faults::LinkFaults;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// Random extra propagation delay per message. Jitter can reorder messages, as on a real network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Jitter {
    /// Uniform in `[0, max]` ns.
    Uniform {
        /// Largest extra delay.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        max: SimDuration,
    },
    /// Normal with the given mean and standard deviation, truncated at zero.
    Normal {
        /// Mean extra delay.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        mean: SimDuration,
        /// Standard deviation.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        std_dev: SimDuration,
    },
    /// Exponential with the given mean.
    Exponential {
        /// Mean extra delay.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        mean: SimDuration,
    },
}

impl Jitter {
    fn sample(&self, rng: &mut SimRng) -> SimDuration {
        let ns = match *self {
            Jitter::Uniform { max } => {
                return SimDuration::from_nanos(rng.random_range(0..=max.as_nanos()));
            }
            Jitter::Normal { mean, std_dev } => {
                Normal::new(mean.as_nanos() as f64, std_dev.as_nanos() as f64)
                    .map(|d| d.sample(rng))
                    .unwrap_or(mean.as_nanos() as f64)
            }
            Jitter::Exponential { mean } => match Exp::new(1.0 / mean.as_nanos().max(1) as f64) {
                Ok(d) => d.sample(rng),
                Err(_) => 0.0,
            },
        };
        SimDuration::from_nanos(ns.max(0.0).round() as u64)
    }
}

/// How a message occupies a serial line: UART character framing, parallel lanes, and a
/// per-message frame overhead. With it, a message of `size` bytes is sent as
/// `size + overhead_bytes` bytes striped over `lanes` lines of `bandwidth` bits/s each, taking
/// `ceil(ceil((size + overhead_bytes) / lanes) · bits_per_byte · 10⁹ / bandwidth)` ns.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SerialLine {
    /// Bits on the wire per byte: 10 for 8N1 (start bit, 8 data bits, stop bit).
    pub bits_per_byte: u32,
    /// UARTs used in parallel; a frame's bytes are striped over them.
    pub lanes: u32,
    /// Bytes each message adds on the wire (frame header, CRC, delimiters).
    #[serde(default)]
    pub overhead_bytes: u32,
}

impl SerialLine {
    /// 8N1 framing on `lanes` parallel UARTs, `overhead_bytes` per frame.
    pub fn uart_8n1(lanes: u32, overhead_bytes: u32) -> Self {
        SerialLine {
            bits_per_byte: 10,
            lanes,
            overhead_bytes,
        }
    }
}

/// How a serialization time that is not a whole number of nanoseconds is rounded.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Up (the default): a message never leaves the wire before its last bit could.
    #[default]
    Up,
    /// To the nearest nanosecond, halves up — ns-3's `DataRate::CalculateBytesTxTime` — so that
    /// models ported from ns-3 match it to the nanosecond (a 130-byte frame at 7 Mb/s:
    /// 148 571 ns, where `Up` gives 148 572).
    Nearest,
}

/// The parameters of a link, the same in both directions.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkParams {
    /// Propagation delay.
    pub latency: SimDuration,
    /// Bits per second; `None` is infinitely fast (no serialization delay).
    pub bandwidth: Option<u64>,
    /// Messages that may wait behind the one being transmitted; `None` is unbounded.
    pub queue_capacity: Option<usize>,
    /// Extra random propagation delay.
    pub jitter: Option<Jitter>,
    /// Probability in `[0, 1]` that a message is lost on the wire.
    pub loss: f64,
    /// Serial-line framing (`bandwidth` is then each lane's bit rate); `None` is a plain
    /// 8-bits-per-byte link.
    pub serial: Option<SerialLine>,
    /// How serialization times are rounded to the nanosecond.
    pub rounding: Rounding,
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams {
            latency: SimDuration::ZERO,
            bandwidth: None,
            queue_capacity: None,
            jitter: None,
            loss: 0.0,
            serial: None,
            rounding: Rounding::Up,
        }
    }
}

impl LinkParams {
    /// A link with this latency and bandwidth (bits/s), unbounded queue, no jitter or loss.
    pub fn new(latency: SimDuration, bandwidth_bps: u64) -> Self {
        LinkParams {
            latency,
            bandwidth: Some(bandwidth_bps),
            ..Default::default()
        }
    }
    /// A link of infinite bandwidth: a message takes `latency` (+ any jitter) and no
    /// serialization time; nothing ever waits for the transmitter.
    ///
    /// ```
    /// use vnet_sim::{LinkParams, SimDuration};
    /// let p = LinkParams::infinite_bandwidth(SimDuration::from_millis(2));
    /// assert_eq!(p.serialization(1_000_000), SimDuration::ZERO);
    /// ```
    pub fn infinite_bandwidth(latency: SimDuration) -> Self {
        LinkParams {
            latency,
            ..Default::default()
        }
    }
    /// Sets the transmit queue capacity (messages waiting behind the one being sent).
    pub fn with_queue(mut self, capacity: usize) -> Self {
        self.queue_capacity = Some(capacity);
        self
    }
    /// Sets the loss probability.
    pub fn with_loss(mut self, p: f64) -> Self {
        self.loss = p;
        self
    }
    /// Sets the jitter distribution.
    pub fn with_jitter(mut self, j: Jitter) -> Self {
        self.jitter = Some(j);
        self
    }
    /// Makes this a serial line (see [`SerialLine`]).
    pub fn with_serial(mut self, line: SerialLine) -> Self {
        self.serial = Some(line);
        self
    }
    /// Sets how serialization times are rounded ([`Rounding::Nearest`] to match ns-3).
    pub fn with_rounding(mut self, rounding: Rounding) -> Self {
        self.rounding = rounding;
        self
    }
    /// Serialization time of `size` bytes: `ceil(size·8·10⁹ / bandwidth)` ns (or rounded to the
    /// nearest with [`Rounding::Nearest`]), or on a serial line the [`SerialLine`] formula.
    pub fn serialization(&self, size: u32) -> SimDuration {
        let Some(bw) = self.bandwidth.filter(|&b| b > 0) else {
            return SimDuration::ZERO;
        };
        let bits = match self.serial {
            None => size as u128 * 8,
            Some(line) => {
                let bytes = size as u128 + line.overhead_bytes as u128;
                bytes.div_ceil(line.lanes.max(1) as u128) * line.bits_per_byte as u128
            }
        };
        let ns = match self.rounding {
            Rounding::Up => (bits * 1_000_000_000).div_ceil(bw as u128),
            Rounding::Nearest => (bits * 1_000_000_000 + bw as u128 / 2) / bw as u128,
        };
        SimDuration::from_nanos(ns.min(u64::MAX as u128) as u64)
    }
    /// Checks the values a user may get wrong; the error names the field.
    pub fn validate(&self) -> Result<(), LinkParamsError> {
        if !(0.0..=1.0).contains(&self.loss) {
            return Err(LinkParamsError::Loss(self.loss));
        }
        if self.bandwidth == Some(0) {
            return Err(LinkParamsError::ZeroBandwidth);
        }
        if let Some(line) = self.serial {
            if line.lanes == 0 || line.bits_per_byte < 8 {
                return Err(LinkParamsError::Serial {
                    lanes: line.lanes,
                    bits_per_byte: line.bits_per_byte,
                });
            }
        }
        Ok(())
    }
}

/// Link parameters out of range, by field.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LinkParamsError {
    /// A loss probability outside [0, 1].
    #[error("`loss` must be within [0, 1], got {0}")]
    Loss(f64),
    /// A bandwidth of 0 bits/s.
    #[error("`bandwidth` must be positive (omit it for an infinitely fast link)")]
    ZeroBandwidth,
    /// A serial line with no lane, or fewer than 8 bits a byte.
    #[error(
        "`serial` needs at least one lane and 8 bits per byte, got {lanes} lanes and {bits_per_byte} bits"
    )]
    Serial {
        /// Lanes given.
        lanes: u32,
        /// Bits per byte given.
        bits_per_byte: u32,
    },
}

/// What became of a message handed to a link.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Transmit {
    /// It will arrive at `at`, having waited `queued` for the transmitter.
    Arrives {
        /// Arrival time at the far port.
        at: SimTime,
        /// Time spent waiting in the transmit queue.
        queued: SimDuration,
    },
    /// It is lost, for this reason.
    Dropped(DropCause),
}

/// One direction's transmitter state.
#[derive(Clone, Debug)]
struct Transmitter {
    /// Finish times of messages queued or being sent, oldest first.
    in_system: VecDeque<SimTime>,
    rng: SimRng,
    stats: LinkStats,
}

/// A full-duplex link between two ports. Direction 0 carries `ends[0]` → `ends[1]`.
#[derive(Clone, Debug)]
pub struct Link {
    ends: [Endpoint; 2],
    params: LinkParams,
    up: bool,
    /// Per direction, bumped whenever it goes down or is cut, so arrivals from before are
    /// recognised as lost; `lost` says why.
    epoch: [u32; 2],
    lost: [DropCause; 2],
    /// Directions cut by a partition or a one-way cut.
    cut: [bool; 2],
    /// Whether sends wait (the kernel keeps the held messages).
    held: bool,
    faults: LinkFaults,
    tx: [Transmitter; 2],
}

impl Link {
    pub(crate) fn new(ends: [Endpoint; 2], params: LinkParams, rngs: [SimRng; 2]) -> Self {
        let [r0, r1] = rngs;
        let t = |rng| Transmitter {
            in_system: VecDeque::new(),
            rng,
            stats: LinkStats::default(),
        };
        Link {
            ends,
            params,
            up: true,
            epoch: [0; 2],
            lost: [DropCause::LinkDown; 2],
            cut: [false; 2],
            held: false,
            faults: LinkFaults::default(),
            tx: [t(r0), t(r1)],
        }
    }
    /// The two ends; direction `d` goes from `ends()[d]` to `ends()[1 - d]`.
    pub fn ends(&self) -> [Endpoint; 2] {
        self.ends
    }
    /// The link's parameters.
    pub fn params(&self) -> &LinkParams {
        &self.params
    }
    /// Whether the link is up.
    pub fn is_up(&self) -> bool {
        self.up
    }
    /// Counters of direction `d`: 0 is [`stats_forward`](Self::stats_forward), 1
    /// [`stats_backward`](Self::stats_backward).
    pub fn stats(&self, d: usize) -> &LinkStats {
        &self.tx[d.min(1)].stats
    }
    /// Counters of the direction from `ends()[0]` to `ends()[1]` (the `a` end to the `b` end
    /// of a network file's link).
    pub fn stats_forward(&self) -> &LinkStats {
        &self.tx[0].stats
    }
    /// Counters of the direction from `ends()[1]` back to `ends()[0]`.
    pub fn stats_backward(&self) -> &LinkStats {
        &self.tx[1].stats
    }
    /// Both directions' counters added up (the longest queue wait is the larger one).
    pub fn stats_total(&self) -> LinkStats {
        self.tx[0].stats.merged(&self.tx[1].stats)
    }
    pub(crate) fn epoch(&self, d: usize) -> u32 {
        self.epoch[d & 1]
    }
    /// Whether direction `d` is cut (by a partition or a one-way cut).
    pub fn is_cut(&self, d: usize) -> bool {
        self.cut[d & 1]
    }
    /// Whether sends on the link are held (see [`crate::faults`]).
    pub fn is_held(&self) -> bool {
        self.held
    }
    /// Its duplication, corruption and delay spikes.
    pub fn faults(&self) -> &LinkFaults {
        &self.faults
    }
    pub(crate) fn set_faults(&mut self, f: LinkFaults) {
        self.faults = f;
    }
    pub(crate) fn set_held(&mut self, held: bool) {
        self.held = held;
    }
    /// Cuts direction `d` (dropping what waits and what is in flight) or lifts its cut.
    pub(crate) fn set_cut(&mut self, d: usize, cut: bool) {
        let d = d & 1;
        if cut && !self.cut[d] {
            self.lose(d, DropCause::Cut);
        }
        self.cut[d] = cut;
    }
    /// Forgets what direction `d` queues and carries: their arrivals will be drops for `cause`.
    fn lose(&mut self, d: usize, cause: DropCause) {
        self.epoch[d] = self.epoch[d].wrapping_add(1);
        self.lost[d] = cause;
        self.tx[d].in_system.clear();
    }
    /// Draws what the link's faults do to one message on direction `d` (nothing is drawn
    /// when no fault is set).
    pub(crate) fn draw_faults(&mut self, d: usize) -> crate::faults::Outcome {
        if self.faults.is_none() {
            return Default::default();
        }
        self.faults.draw(&mut self.tx[d & 1].rng)
    }
    /// Counts a held message handed to direction `d` and dropped (the link went down).
    /// Adds another copy's counters of direction `d` (a parallel run's parts each count
    /// their side).
    pub(crate) fn add_stats(&mut self, d: usize, other: &LinkStats) {
        let s = &mut self.tx[d & 1].stats;
        *s = s.merged(other);
    }

    pub(crate) fn count_held_drop(&mut self, d: usize, size: u32) {
        let stats = &mut self.tx[d & 1].stats;
        stats.sent += 1;
        stats.bytes_sent += size as u64;
        stats.count_drop(DropCause::LinkDown);
    }
    /// Counts a message that arrived over direction `d` but was dropped at its node.
    pub(crate) fn count_drop(&mut self, d: usize, cause: DropCause) {
        self.tx[d & 1].stats.count_drop(cause);
    }

    /// Hands a message of `size` bytes to direction `d` at `now`.
    pub(crate) fn transmit(&mut self, d: usize, now: SimTime, size: u32) -> Transmit {
        let params = &self.params;
        let tx = &mut self.tx[d];
        tx.stats.sent += 1;
        tx.stats.bytes_sent += size as u64;
        if !self.up {
            tx.stats.count_drop(DropCause::LinkDown);
            return Transmit::Dropped(DropCause::LinkDown);
        }
        if self.cut[d] {
            tx.stats.count_drop(DropCause::Cut);
            return Transmit::Dropped(DropCause::Cut);
        }
        while tx.in_system.front().is_some_and(|&f| f <= now) {
            tx.in_system.pop_front();
        }
        // The front of `in_system`, if any, is being transmitted; the rest wait.
        let waiting = tx.in_system.len().saturating_sub(1);
        if params
            .queue_capacity
            .is_some_and(|cap| !tx.in_system.is_empty() && waiting >= cap)
        {
            tx.stats.count_drop(DropCause::QueueFull);
            return Transmit::Dropped(DropCause::QueueFull);
        }
        let start = tx.in_system.back().map_or(now, |&f| f.max(now));
        let finish = start + params.serialization(size);
        if finish > now {
            tx.in_system.push_back(finish);
        }
        let queued = start - now;
        tx.stats.queue_delay_total += queued.as_nanos();
        tx.stats.queue_delay_max = tx.stats.queue_delay_max.max(queued.as_nanos());
        if params.loss > 0.0 && tx.rng.random::<f64>() < params.loss {
            tx.stats.count_drop(DropCause::Loss);
            return Transmit::Dropped(DropCause::Loss);
        }
        let jitter = params
            .jitter
            .as_ref()
            .map_or(SimDuration::ZERO, |j| j.sample(&mut tx.rng));
        Transmit::Arrives {
            at: finish + params.latency + jitter,
            queued,
        }
    }

    /// Records the arrival of a message sent with `epoch` on direction `d`; the cause if the
    /// link went down or the direction was cut since (the message is lost and counted so).
    pub(crate) fn arrive(&mut self, d: usize, epoch: u32, size: u32) -> Result<(), DropCause> {
        let d = d & 1;
        let stats = &mut self.tx[d].stats;
        if !self.up || epoch != self.epoch[d] {
            let cause = if self.up {
                self.lost[d]
            } else {
                DropCause::LinkDown
            };
            stats.count_drop(cause);
            return Err(cause);
        }
        stats.delivered += 1;
        stats.bytes_delivered += size as u64;
        Ok(())
    }

    /// Takes the link down (dropping everything queued or in flight) or brings it back up.
    pub(crate) fn set_up(&mut self, up: bool) {
        if self.up && !up {
            self.lose(0, DropCause::LinkDown);
            self.lose(1, DropCause::LinkDown);
        }
        self.up = up;
    }
}

/// Identifies a link direction: the link and which end sends.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct LinkDir {
    /// The link.
    pub link: LinkId,
    /// 0: from `ends[0]` to `ends[1]`; 1: the reverse.
    pub dir: u8,
}

#[cfg(test)]
mod serial_tests {
    use super::*;

    #[test]
    fn serial_lines_charge_framing_lanes_and_overhead_exactly() {
        let uart = |lanes, overhead| {
            LinkParams::new(SimDuration::ZERO, 5_000_000)
                .with_serial(SerialLine::uart_8n1(lanes, overhead))
        };
        // 100 bytes at 10 bits each over one 5 Mb/s UART: 200 µs.
        assert_eq!(uart(1, 0).serialization(100), SimDuration::from_micros(200));
        // Striped over two: 50 bytes each, 100 µs; an odd byte costs a whole character time.
        assert_eq!(uart(2, 0).serialization(100), SimDuration::from_micros(100));
        assert_eq!(uart(2, 0).serialization(101), SimDuration::from_micros(102));
        // 11 bytes of frame overhead: 111 bytes, 56 per lane.
        assert_eq!(
            uart(2, 11).serialization(100),
            SimDuration::from_micros(112)
        );
        // Without a serial line, 8 bits per byte as before.
        assert_eq!(
            LinkParams::new(SimDuration::ZERO, 5_000_000).serialization(100),
            SimDuration::from_micros(160)
        );
        assert_eq!(
            uart(0, 0).validate(),
            Err(LinkParamsError::Serial {
                lanes: 0,
                bits_per_byte: 10
            })
        );
        assert!(uart(2, 0).validate().is_ok());
    }

    #[test]
    fn nearest_rounding_matches_ns3() {
        // ns-3: a 130-byte frame at 7 Mb/s takes 148 571 ns (1 040 000 000 000 / 7 000 000 =
        // 148 571.43); rounding up gives 148 572.
        let up = LinkParams::new(SimDuration::ZERO, 7_000_000);
        let nearest = up.clone().with_rounding(Rounding::Nearest);
        assert_eq!(up.serialization(130), SimDuration::from_nanos(148_572));
        assert_eq!(nearest.serialization(130), SimDuration::from_nanos(148_571));
        // A half rounds up; an exact time is the same either way.
        let three =
            LinkParams::new(SimDuration::ZERO, 16_000_000_000).with_rounding(Rounding::Nearest);
        assert_eq!(three.serialization(1), SimDuration::from_nanos(1)); // 0.5 ns
        assert_eq!(nearest.serialization(0), SimDuration::ZERO);
        let exact = LinkParams::new(SimDuration::ZERO, 8_000_000);
        assert_eq!(
            exact.serialization(100),
            exact
                .clone()
                .with_rounding(Rounding::Nearest)
                .serialization(100)
        );
    }
}
