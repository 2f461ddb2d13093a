//! Serial frames (`docs/uart.md`): a header, the payload and a CRC-16, COBS-encoded and ended
//! by a zero byte, so a receiver finds the next frame after garbage or a corrupt one.
//!
//! ```text
//! dst:u8 src:u8 type:u8 seq:u16be len:u16be payload[len] crc:u16be   → COBS → 0x00
//! ```
//!
//! The CRC is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over everything before it.
//!
//! ```
//! use vnet_hw::uart::frame::{Decoder, Frame, Kind};
//! let f = Frame { dst: 2, src: 0, kind: Kind::Data, seq: 7, payload: b"hello".to_vec() };
//! let mut wire = b"\x13\x37garbage\x00".to_vec(); // noise first
//! wire.extend(f.encode());
//! let mut d = Decoder::new();
//! assert_eq!(d.push(&wire), vec![f]);
//! assert_eq!(d.stats().corrupt, 1);
//! ```

use crc::{CRC_16_IBM_3740, Crc};

const CRC16: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);

/// Bytes before the payload.
pub const HEADER: usize = 7;
/// Largest payload a frame carries.
pub const MAX_PAYLOAD: usize = 16 << 10;

/// What a frame carries.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A port message between nodes.
    Data = 1,
    /// Acknowledges the frame `seq` from the frame's destination.
    Ack = 2,
    /// An NMP request (JSON-RPC text).
    Request = 3,
    /// An NMP reply (JSON-RPC text).
    Reply = 4,
    /// An NMP notification from the board (JSON-RPC text).
    Event = 5,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Data,
            2 => Kind::Ack,
            3 => Kind::Request,
            4 => Kind::Reply,
            5 => Kind::Event,
            _ => return None,
        })
    }
}

/// One frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Destination address.
    pub dst: u8,
    /// Source address.
    pub src: u8,
    /// What it carries.
    pub kind: Kind,
    /// Sequence number (per source and destination; acks name the one they acknowledge).
    pub seq: u16,
    /// The payload (at most [`MAX_PAYLOAD`] bytes).
    pub payload: Vec<u8>,
}

impl Frame {
    /// The frame on the wire: COBS-encoded, with its closing zero byte.
    ///
    /// # Panics
    /// If the payload is longer than [`MAX_PAYLOAD`] (callers split or refuse first).
    pub fn encode(&self) -> Vec<u8> {
        assert!(self.payload.len() <= MAX_PAYLOAD, "frame payload too long");
        let mut raw = Vec::with_capacity(HEADER + self.payload.len() + 2);
        raw.extend([self.dst, self.src, self.kind as u8]);
        raw.extend(self.seq.to_be_bytes());
        raw.extend((self.payload.len() as u16).to_be_bytes());
        raw.extend(&self.payload);
        raw.extend(CRC16.checksum(&raw).to_be_bytes());
        let mut wire = cobs::encode_vec(&raw);
        wire.push(0);
        wire
    }

    /// The most bytes the frame can take on the wire (COBS adds one byte per 254 at most;
    /// exactly one for frames under 254 bytes).
    pub fn max_wire_len(&self) -> usize {
        let raw = HEADER + self.payload.len() + 2;
        raw + raw / 254 + 1 + 1
    }

    fn decode(body: &[u8]) -> Option<Frame> {
        let raw = cobs::decode_vec(body).ok()?;
        if raw.len() < HEADER + 2 {
            return None;
        }
        let (data, crc) = raw.split_at(raw.len() - 2);
        if CRC16.checksum(data).to_be_bytes() != crc {
            return None;
        }
        let len = u16::from_be_bytes([data[5], data[6]]) as usize;
        if data.len() != HEADER + len {
            return None;
        }
        Some(Frame {
            dst: data[0],
            src: data[1],
            kind: Kind::from_u8(data[2])?,
            seq: u16::from_be_bytes([data[3], data[4]]),
            payload: data[HEADER..].to_vec(),
        })
    }
}

/// What a [`Decoder`] has seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Good frames.
    pub frames: u64,
    /// Delimited chunks that were not a good frame (garbage, a bad CRC, a cut frame).
    pub corrupt: u64,
    /// Bytes thrown away while a chunk grew past any frame's size.
    pub overflowed: u64,
}

/// Turns a byte stream into frames, resynchronising at every zero byte.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    skipping: bool,
    stats: DecodeStats,
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the good frames they completed, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Frame> {
        let max = HEADER + MAX_PAYLOAD + 2 + (HEADER + MAX_PAYLOAD + 2) / 254 + 1;
        let mut out = Vec::new();
        for &b in bytes {
            if b != 0 {
                if self.buf.len() < max {
                    self.buf.push(b);
                } else {
                    // Too long for any frame: drop it up to the next delimiter.
                    self.skipping = true;
                    self.stats.overflowed += 1;
                }
                continue;
            }
            if self.buf.is_empty() && !self.skipping {
                continue; // idle delimiters
            }
            match (!self.skipping).then(|| Frame::decode(&self.buf)).flatten() {
                Some(f) => {
                    self.stats.frames += 1;
                    out.push(f);
                }
                None => self.stats.corrupt += 1,
            }
            self.buf.clear();
            self.skipping = false;
        }
        out
    }

    /// What it has seen.
    pub fn stats(&self) -> &DecodeStats {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: u16, payload: &[u8]) -> Frame {
        Frame {
            dst: 1,
            src: 2,
            kind: Kind::Data,
            seq,
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn frames_round_trip_whatever_their_bytes() {
        let payloads: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0; 300],
            (0..=255).collect(),
            vec![0xff; MAX_PAYLOAD],
        ];
        let mut wire = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let f = frame(i as u16, p);
            let e = f.encode();
            assert!(e.len() <= f.max_wire_len(), "payload {}", p.len());
            if p.len() + HEADER + 2 < 254 {
                assert_eq!(e.len(), p.len() + 11);
            }
            assert_eq!(e.iter().filter(|&&b| b == 0).count(), 1);
            wire.extend(e);
        }
        let mut d = Decoder::new();
        // Fed a byte at a time, as a UART delivers them.
        let got: Vec<Frame> = wire.chunks(1).flat_map(|c| d.push(c)).collect();
        let want: Vec<Frame> = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| frame(i as u16, p))
            .collect();
        assert_eq!(got, want);
        assert_eq!(d.stats().corrupt, 0);
    }

    #[test]
    fn a_corrupt_byte_costs_one_frame_and_the_next_is_found() {
        let mut wire = frame(1, b"first").encode();
        let second = frame(2, b"second").encode();
        let mut bad = second.clone();
        bad[4] ^= 0x40;
        wire.extend(bad);
        wire.extend(frame(3, b"third").encode());
        let mut d = Decoder::new();
        let got: Vec<u16> = d.push(&wire).iter().map(|f| f.seq).collect();
        assert_eq!(got, vec![1, 3]);
        assert_eq!(d.stats().corrupt, 1);
        // A cut frame (its end lost) merges with the next; both are lost, the one after is not.
        let mut wire = frame(4, b"cut").encode();
        wire.pop();
        wire.extend(frame(5, b"swallowed").encode());
        wire.extend(frame(6, b"found").encode());
        let got: Vec<u16> = d.push(&wire).iter().map(|f| f.seq).collect();
        assert_eq!(got, vec![6]);
        // An endless run of non-zero bytes is dropped without growing the buffer.
        let mut wire = vec![7u8; 100_000];
        wire.push(0);
        wire.extend(frame(7, b"after").encode());
        let got: Vec<u16> = d.push(&wire).iter().map(|f| f.seq).collect();
        assert_eq!(got, vec![7]);
        assert!(d.stats().overflowed > 0);
    }
}
