//! Packet capture: a [`TraceSink`] that writes every transmission on a link as a pcap record,
//! so Wireshark and tshark open a run as they open a capture — no plug-in, no configuration.
//!
//! The format (`docs/netfile.md`, "Packet capture"):
//! - pcap with nanosecond timestamps; a record's time is the virtual time the message was
//!   handed to the link (the trace's `send` record), counted from the Unix epoch.
//! - One record per message that goes onto a link, per direction: a CMUX port with three links
//!   gives three. Messages the link refuses (a full queue, a link that is down) never went out
//!   and are not written; a message lost on the way is (it was transmitted).
//! - Link type 252, Wireshark's "upper PDU export": each record starts with tags and then the
//!   message itself. The tags: the dissector to use (`json` for a Lua/JS value, whose compact JSON
//!   text follows; `data` for bytes or an empty message), the ends as text in the field
//!   `exported_pdu.col_proto_str` (`"n0.east > n1.west"`, shown in the Protocol column), and the two nodes as IPv4
//!   addresses (node number `i` is `10.0.0.0 + i`) in `exported_pdu.ipv4_src`/`ipv4_dst`, which
//!   fill the Source and Destination columns. Every tag's length is a multiple of 4 (text padded
//!   with NULs), which Wireshark reads the same whether or not it expects padding.
//! - A record holds at most [`SNAPLEN`] bytes; its original length is the full one.

use std::io::Write;
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, TsResolution};

use std::collections::BTreeMap;

use crate::net::{Network, Payload};
use crate::trace::{MessageId, TraceKind, TraceRecord, TraceSink};

/// The largest record written; longer messages are cut (their original length is kept).
pub const SNAPLEN: u32 = 262_144;

/// A send waiting to learn whether the link took it (its drop, if any, is the next record).
struct Pending {
    id: Option<MessageId>,
    frame: Vec<u8>,
    time_ns: u64,
}

/// Writes transmissions as pcap records (see the module doc).
pub struct PcapCapture<W: Write> {
    out: Option<PcapWriter<W>>,
    /// `(sender, its port, receiver)` → `receiver.port`: a send record names the sender's port
    /// only. Looked up, never iterated.
    far_ends: BTreeMap<(u32, String, u32), String>,
    pending: Option<Pending>,
    error: Option<String>,
    written: u64,
}

impl<W: Write> PcapCapture<W> {
    /// A capture of `net`'s links writing to `out` (the pcap header is written at once).
    pub fn new(out: W, net: &Network) -> Result<Self, String> {
        let mut far_ends = BTreeMap::new();
        for l in net.links() {
            let [a, b] = l.ends();
            for (from, to) in [(a, b), (b, a)] {
                let port = net.describe(from);
                let port = port.split_once('.').map_or("", |(_, p)| p).to_owned();
                far_ends
                    .entry((from.node.0, port, to.node.0))
                    .or_insert_with(|| net.describe(to));
            }
        }
        let header = PcapHeader {
            snaplen: SNAPLEN,
            datalink: DataLink::WIRESHARK_UPPER_PDU,
            ts_resolution: TsResolution::NanoSecond,
            ..PcapHeader::default()
        };
        let out = PcapWriter::with_header(out, header).map_err(|e| e.to_string())?;
        Ok(PcapCapture {
            out: Some(out),
            far_ends,
            pending: None,
            error: None,
            written: 0,
        })
    }

    /// The first error writing, if any (later records are then skipped).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The writer, with every record written to it (flush it), or the first error.
    pub fn into_inner(mut self) -> Result<W, String> {
        self.flush_pending();
        match (self.error.take(), self.out.take()) {
            (None, Some(out)) => Ok(out.into_writer()),
            (Some(e), _) => Err(e),
            (None, None) => Err("the capture was closed".into()),
        }
    }

    fn flush_pending(&mut self) {
        let Some(p) = self.pending.take() else { return };
        let Some(out) = self.out.as_mut() else { return };
        let cut = p.frame.len().min(SNAPLEN as usize);
        let packet = PcapPacket::new(
            Duration::from_nanos(p.time_ns),
            p.frame.len() as u32,
            &p.frame[..cut],
        );
        match out.write_packet(&packet) {
            Ok(_) => self.written += 1,
            Err(e) => {
                self.error.get_or_insert_with(|| e.to_string());
                self.out = None;
            }
        }
    }
}

/// One tag: big-endian type and length, the value padded with NULs to a multiple of 4.
fn tag(frame: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let padded = value.len().div_ceil(4) * 4;
    frame.extend_from_slice(&kind.to_be_bytes());
    frame.extend_from_slice(&(padded as u16).to_be_bytes());
    frame.extend_from_slice(value);
    frame.resize(frame.len() + padded - value.len(), 0);
}

fn ipv4(node: u32) -> [u8; 4] {
    let [_, a, b, c] = node.to_be_bytes();
    [10, a, b, c]
}

/// The record for a `send` to `to` (`node.port`): tags, then the message.
fn frame(r: &TraceRecord<'_>, to: &str, payload: &Payload) -> Vec<u8> {
    let (dissector, body): (&[u8], Vec<u8>) = match payload {
        // A value serialises without fail: it is already a JSON value.
        Payload::Value(v) => (b"json", serde_json::to_vec(v).unwrap_or_default()),
        Payload::Bytes(b) => (b"data", b.clone()),
        Payload::Empty => (b"data", Vec::new()),
    };
    let mut f = Vec::with_capacity(64 + body.len());
    tag(&mut f, 12, dissector);
    let ends = format!("{}.{} > {to}", r.src_name, r.port);
    tag(&mut f, 33, &ends.as_bytes()[..ends.len().min(1024)]);
    tag(&mut f, 20, &ipv4(r.src));
    tag(&mut f, 21, &ipv4(r.dst));
    f.extend_from_slice(&[0, 0, 0, 0]); // end of options
    f.extend_from_slice(&body);
    f
}

impl<W: Write> TraceSink for PcapCapture<W> {
    fn record(&mut self, r: &TraceRecord<'_>) {
        if let Some(p) = &self.pending {
            let refused = r.kind == TraceKind::Drop
                && r.msg == p.id
                && matches!(r.detail, "queue_full" | "link_down");
            if refused {
                self.pending = None;
            } else {
                self.flush_pending();
            }
        }
        if r.kind == TraceKind::Send && self.out.is_some() {
            let empty = Payload::Empty;
            let key = (r.src, r.port.to_owned(), r.dst);
            let to = self.far_ends.get(&key).map_or(r.dst_name, String::as_str);
            self.pending = Some(Pending {
                id: r.msg,
                frame: frame(r, to, r.payload.map_or(&empty, |m| m.payload())),
                time_ns: r.time.as_nanos(),
            });
        }
    }

    fn finish(&mut self) {
        // The writer itself is flushed by its owner, after `into_inner`.
        self.flush_pending();
    }
}
