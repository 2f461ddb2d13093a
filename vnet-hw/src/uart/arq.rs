//! Acknowledgement and retransmission over a lossy serial line (sans I/O: the caller moves
//! bytes and tells the time).
//!
//! Every frame but an [`Kind::Ack`] gets a sequence number per (source, destination) pair and
//! is acknowledged by its receiver. A sender keeps at most `window` frames unacknowledged per
//! destination and sends a frame again when its acknowledgement is `rto` late. A receiver hands
//! frames on in order, exactly once: it holds early ones, drops and re-acknowledges duplicates.
//! With `reliable: false` frames are sent once and never acknowledged.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::frame::{Frame, Kind};

/// Counters of an [`Arq`] end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArqStats {
    /// Frames sent for the first time.
    pub sent: u64,
    /// Frames sent again.
    pub retransmitted: u64,
    /// Frames handed on to the receiver, in order.
    pub delivered: u64,
    /// Frames received twice (their ack was lost).
    pub duplicates: u64,
    /// Frames given up after `max_retries` (the line is down).
    pub abandoned: u64,
}

struct Unacked {
    frame: Frame,
    sent_at: Instant,
    retries: u32,
}

/// One end's reliability layer.
pub struct Arq {
    me: u8,
    reliable: bool,
    window: usize,
    rto: Duration,
    max_retries: u32,
    next_seq: BTreeMap<u8, u16>,
    /// Per destination: frames waiting for room in the window.
    waiting: BTreeMap<u8, VecDeque<Frame>>,
    unacked: BTreeMap<(u8, u16), Unacked>,
    /// Per source: the next sequence number expected, and early frames.
    expected: BTreeMap<u8, u16>,
    early: BTreeMap<(u8, u16), Frame>,
    stats: ArqStats,
}

/// Whether `a` comes before `b` in wrapping sequence order.
fn before(a: u16, b: u16) -> bool {
    a != b && b.wrapping_sub(a) < 0x8000
}

impl Arq {
    /// The end with address `me`: window 8, 50 ms retransmission timeout, 40 retries.
    pub fn new(me: u8, reliable: bool) -> Self {
        Arq {
            me,
            reliable,
            window: 8,
            rto: Duration::from_millis(50),
            max_retries: 40,
            next_seq: BTreeMap::new(),
            waiting: BTreeMap::new(),
            unacked: BTreeMap::new(),
            expected: BTreeMap::new(),
            early: BTreeMap::new(),
            stats: ArqStats::default(),
        }
    }

    /// Sets the retransmission timeout.
    pub fn with_rto(mut self, rto: Duration) -> Self {
        self.rto = rto;
        self
    }

    /// Queues `payload` for `dst`.
    pub fn send(&mut self, dst: u8, kind: Kind, payload: Vec<u8>) {
        let seq = self.next_seq.entry(dst).or_insert(0);
        let frame = Frame {
            dst,
            src: self.me,
            kind,
            seq: *seq,
            payload,
        };
        *seq = seq.wrapping_add(1);
        self.waiting.entry(dst).or_default().push_back(frame);
    }

    /// Frames to put on the line now: new ones the windows allow, and those whose
    /// acknowledgement is late.
    pub fn poll_transmit(&mut self, now: Instant) -> Vec<Frame> {
        let mut out = Vec::new();
        let mut given_up = Vec::new();
        for (key, u) in self.unacked.iter_mut() {
            if now.duration_since(u.sent_at) >= self.rto {
                if u.retries >= self.max_retries {
                    given_up.push(*key);
                    continue;
                }
                u.retries += 1;
                u.sent_at = now;
                self.stats.retransmitted += 1;
                out.push(u.frame.clone());
            }
        }
        for key in given_up {
            self.unacked.remove(&key);
            self.stats.abandoned += 1;
        }
        for (dst, q) in self.waiting.iter_mut() {
            while !q.is_empty() {
                let in_flight = self.unacked.range((*dst, 0)..=(*dst, u16::MAX)).count();
                if self.reliable && in_flight >= self.window {
                    break;
                }
                let Some(f) = q.pop_front() else { break };
                self.stats.sent += 1;
                if self.reliable {
                    self.unacked.insert(
                        (f.dst, f.seq),
                        Unacked {
                            frame: f.clone(),
                            sent_at: now,
                            retries: 0,
                        },
                    );
                }
                out.push(f);
            }
        }
        out
    }

    /// Takes a frame off the line: returns the frames to hand on (in order, each once) and the
    /// acknowledgements to send.
    pub fn receive(&mut self, f: Frame) -> (Vec<Frame>, Vec<Frame>) {
        if f.dst != self.me {
            return (Vec::new(), Vec::new());
        }
        if f.kind == Kind::Ack {
            self.unacked.remove(&(f.src, f.seq));
            return (Vec::new(), Vec::new());
        }
        if !self.reliable {
            self.stats.delivered += 1;
            return (vec![f], Vec::new());
        }
        let ack = Frame {
            dst: f.src,
            src: self.me,
            kind: Kind::Ack,
            seq: f.seq,
            payload: Vec::new(),
        };
        let expected = self.expected.entry(f.src).or_insert(0);
        let mut out = Vec::new();
        if f.seq == *expected {
            let src = f.src;
            *expected = expected.wrapping_add(1);
            out.push(f);
            while let Some(next) = self.early.remove(&(src, *expected)) {
                *expected = expected.wrapping_add(1);
                out.push(next);
            }
        } else if before(f.seq, *expected) {
            self.stats.duplicates += 1;
        } else {
            self.early.entry((f.src, f.seq)).or_insert(f);
        }
        self.stats.delivered += out.len() as u64;
        (out, vec![ack])
    }

    /// Whether everything sent has been acknowledged and nothing waits.
    pub fn idle(&self) -> bool {
        self.unacked.is_empty() && self.waiting.values().all(VecDeque::is_empty)
    }

    /// Its counters.
    pub fn stats(&self) -> &ArqStats {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uart::frame::Decoder;
    use rand::{RngExt, SeedableRng};

    /// Moves frames between two ends over a line that corrupts bytes with probability `p`;
    /// returns what b received, and both decoders' corrupt-chunk counts.
    fn transfer(n: usize, p: f64, reliable: bool) -> (Vec<Vec<u8>>, u64, ArqStats) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let (mut a, mut b) = (
            Arq::new(1, reliable).with_rto(Duration::from_millis(5)),
            Arq::new(2, reliable),
        );
        let (mut da, mut db) = (Decoder::new(), Decoder::new());
        for i in 0..n {
            a.send(2, Kind::Data, format!("message {i}").into_bytes());
        }
        let mut got = Vec::new();
        let mut now = Instant::now();
        let line = |bytes: Vec<u8>, rng: &mut rand::rngs::StdRng| -> Vec<u8> {
            bytes
                .into_iter()
                .map(|x| if rng.random_bool(p) { x ^ 0x5a } else { x })
                .collect()
        };
        for _ in 0..10_000 {
            let ab: Vec<u8> = a
                .poll_transmit(now)
                .iter()
                .flat_map(Frame::encode)
                .collect();
            for f in db.push(&line(ab, &mut rng)) {
                let (deliver, acks) = b.receive(f);
                got.extend(deliver.into_iter().map(|f| f.payload));
                let ba: Vec<u8> = acks.iter().flat_map(Frame::encode).collect();
                for f in da.push(&line(ba, &mut rng)) {
                    a.receive(f);
                }
            }
            if a.idle() || (!reliable && a.stats().sent == n as u64) {
                break;
            }
            now += Duration::from_millis(1);
        }
        (got, db.stats().corrupt, a.stats().clone())
    }

    #[test]
    fn a_lossy_line_loses_nothing_with_retransmission() {
        let want: Vec<Vec<u8>> = (0..500)
            .map(|i| format!("message {i}").into_bytes())
            .collect();
        // Without acknowledgements, corrupt frames are simply lost (a corrupt chunk may hold
        // two frames, or one frame be cut in two, so counts differ).
        let (got, corrupt, _) = transfer(500, 0.002, false);
        assert!(corrupt > 0);
        assert!(got.len() < 500);
        // With them, every frame arrives once, in order.
        let (got, corrupt, stats) = transfer(500, 0.002, true);
        assert!(corrupt > 0 && stats.retransmitted > 0, "{stats:?}");
        assert_eq!(got, want);
        assert_eq!(stats.abandoned, 0);
    }

    #[test]
    fn sequence_numbers_wrap() {
        assert!(before(65535, 0));
        assert!(!before(0, 65535));
        let (mut a, mut b) = (Arq::new(1, true), Arq::new(2, true));
        a.next_seq.insert(2, 65534);
        b.expected.insert(1, 65534);
        for i in 0..4u8 {
            a.send(2, Kind::Data, vec![i]);
        }
        let now = Instant::now();
        let mut got = Vec::new();
        for f in a.poll_transmit(now) {
            let (d, acks) = b.receive(f);
            got.extend(d.into_iter().map(|f| f.payload[0]));
            for k in acks {
                a.receive(k);
            }
        }
        assert_eq!(got, vec![0, 1, 2, 3]);
        assert!(a.idle());
    }
}
