//! A serial line with frames and reliability on it: a thread that owns the port, decodes what
//! comes in, acknowledges and retransmits ([`Arq`]), and hands whole payloads across channels.

use std::io::{Read, Write};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use serialport::SerialPort;

use super::arq::{Arq, ArqStats};
use super::frame::{DecodeStats, Decoder, Frame, Kind, MAX_PAYLOAD};

/// A payload to send, or one received: (peer address, kind, bytes).
pub type Packet = (u8, Kind, Vec<u8>);

/// The handle of a running line: send with [`Line::send`], receive from [`Line::incoming`].
pub struct Line {
    tx: Sender<Packet>,
    /// Payloads that arrived, in order per sender, each once.
    pub incoming: Receiver<Packet>,
    stats: std::sync::Arc<std::sync::Mutex<(DecodeStats, ArqStats)>>,
}

/// Why a payload was refused.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// Longer than a frame carries.
    #[error("payload of {0} bytes is over the frame limit of {MAX_PAYLOAD}")]
    TooLong(usize),
    /// The line's thread has ended (the port closed or failed).
    #[error("the serial line is closed")]
    Closed,
}

impl Line {
    /// Starts the line on `port` for the station with address `me`.
    pub fn start(mut port: Box<dyn SerialPort>, me: u8, reliable: bool) -> std::io::Result<Line> {
        port.set_timeout(Duration::from_millis(2))
            .map_err(std::io::Error::other)?;
        let (tx, rx_out) = mpsc::channel::<Packet>();
        let (tx_in, incoming) = mpsc::channel::<Packet>();
        let stats = std::sync::Arc::new(std::sync::Mutex::new(Default::default()));
        let shared = stats.clone();
        std::thread::Builder::new()
            .name(format!("uart-{me}"))
            .spawn(move || run(port, Arq::new(me, reliable), rx_out, tx_in, shared))?;
        Ok(Line {
            tx,
            incoming,
            stats,
        })
    }

    /// Queues `payload` for `dst`.
    pub fn send(&self, dst: u8, kind: Kind, payload: Vec<u8>) -> Result<(), LineError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(LineError::TooLong(payload.len()));
        }
        self.tx
            .send((dst, kind, payload))
            .map_err(|_| LineError::Closed)
    }

    /// A sender usable from other threads.
    pub fn sender(&self) -> Sender<Packet> {
        self.tx.clone()
    }

    /// The decoder's and the reliability layer's counters so far.
    pub fn stats(&self) -> (DecodeStats, ArqStats) {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

fn run(
    mut port: Box<dyn SerialPort>,
    mut arq: Arq,
    out: Receiver<Packet>,
    incoming: Sender<Packet>,
    stats: std::sync::Arc<std::sync::Mutex<(DecodeStats, ArqStats)>>,
) {
    let mut decoder = Decoder::new();
    let mut buf = [0u8; 4096];
    let mut handle_gone = false;
    loop {
        loop {
            match out.try_recv() {
                Ok((dst, kind, payload)) => arq.send(dst, kind, payload),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    handle_gone = true;
                    break;
                }
            }
        }
        if handle_gone && arq.idle() {
            return;
        }
        let frames = arq.poll_transmit(Instant::now());
        if write_frames(&mut port, &frames).is_err() {
            return;
        }
        let n = match port.read(&mut buf) {
            Ok(0) => 0,
            Ok(n) => n,
            Err(e)
                if e.kind() == std::io::ErrorKind::TimedOut
                    || e.kind() == std::io::ErrorKind::WouldBlock =>
            {
                0
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => 0,
            // The other end of a pty closed, or the device went away.
            Err(_) => return,
        };
        for f in decoder.push(&buf[..n]) {
            let (deliver, acks) = arq.receive(f);
            if write_frames(&mut port, &acks).is_err() {
                return;
            }
            for f in deliver {
                if incoming.send((f.src, f.kind, f.payload)).is_err() && handle_gone {
                    return;
                }
            }
        }
        if let Ok(mut s) = stats.lock() {
            *s = (decoder.stats().clone(), arq.stats().clone());
        }
    }
}

fn write_frames(port: &mut Box<dyn SerialPort>, frames: &[Frame]) -> std::io::Result<()> {
    if frames.is_empty() {
        return Ok(());
    }
    let bytes: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
    port.write_all(&bytes)?;
    port.flush()
}
