//! NMP over a serial line, host side: one [`SerialHost`] per port (a board, or a switch with
//! several boards behind it), and a [`SerialClient`] per board address that makes calls.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use serialport::SerialPort;
use tokio::sync::oneshot;

use super::frame::Kind;
use super::line::{Line, Packet};
use crate::nmp::client::{ClientError, Transport};
use crate::nmp::rpc::{Reply, Request};

type Pending = Arc<Mutex<HashMap<(u8, u64), oneshot::Sender<Value>>>>;

/// The host end of a serial port.
pub struct SerialHost {
    name: String,
    sender: std::sync::mpsc::Sender<Packet>,
    pending: Pending,
    next_id: Arc<AtomicU64>,
    line: Arc<Mutex<Line>>,
}

impl SerialHost {
    /// Opens the serial device at `path` (a pty, a USB UART) as station `me`.
    pub fn open(path: &str, me: u8) -> Result<SerialHost, String> {
        let port = serialport::new(path, 5_000_000)
            .timeout(Duration::from_millis(2))
            .open()
            .map_err(|e| format!("opening {path}: {e}"))?;
        Self::on(port, path, me)
    }

    /// Runs on an open port.
    pub fn on(port: Box<dyn SerialPort>, name: &str, me: u8) -> Result<SerialHost, String> {
        let mut line = Line::start(port, me, true).map_err(|e| format!("{name}: {e}"))?;
        let pending: Pending = Arc::default();
        let incoming = std::mem::replace(&mut line.incoming, std::sync::mpsc::channel().1);
        let waiting = pending.clone();
        std::thread::spawn(move || {
            while let Ok((from, kind, payload)) = incoming.recv() {
                if kind != Kind::Reply {
                    continue;
                }
                let Ok(v) = serde_json::from_slice::<Value>(&payload) else {
                    continue;
                };
                let Some(id) = v.get("id").and_then(Value::as_u64) else {
                    continue;
                };
                let tx = waiting.lock().ok().and_then(|mut p| p.remove(&(from, id)));
                if let Some(tx) = tx {
                    let _ = tx.send(v);
                }
            }
        });
        Ok(SerialHost {
            name: name.to_owned(),
            sender: line.sender(),
            pending,
            next_id: Arc::default(),
            line: Arc::new(Mutex::new(line)),
        })
    }

    /// A client of the board at `address` on this line.
    pub fn client(&self, address: u8) -> SerialClient {
        SerialClient {
            board: format!("{} #{address}", self.name),
            address,
            sender: self.sender.clone(),
            pending: self.pending.clone(),
            next_id: self.next_id.clone(),
            _line: self.line.clone(),
        }
    }

    /// The line's decoder and reliability counters.
    pub fn stats(&self) -> (super::frame::DecodeStats, super::arq::ArqStats) {
        self.line.lock().map(|l| l.stats()).unwrap_or_default()
    }
}

/// NMP calls to one board.
#[derive(Clone)]
pub struct SerialClient {
    board: String,
    address: u8,
    sender: std::sync::mpsc::Sender<Packet>,
    pending: Pending,
    next_id: Arc<AtomicU64>,
    /// Keeps the line running while any client lives.
    _line: Arc<Mutex<Line>>,
}

/// How long a call waits for its reply (long-polls included).
const CALL_TIMEOUT: Duration = Duration::from_secs(40);

impl SerialClient {
    fn error(&self, what: impl Into<String>) -> ClientError {
        ClientError::Serial {
            board: self.board.clone(),
            what: what.into(),
        }
    }

    /// Calls `method` with `params` on the board.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = Request {
            id: Some(id.into()),
            method: method.to_owned(),
            params,
        }
        .to_json();
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            p.insert((self.address, id), tx);
        }
        self.sender
            .send((self.address, Kind::Request, body.into_bytes()))
            .map_err(|_| self.error("the serial line is closed"))?;
        let v = match tokio::time::timeout(CALL_TIMEOUT, rx).await {
            Ok(Ok(v)) => v,
            _ => {
                if let Ok(mut p) = self.pending.lock() {
                    p.remove(&(self.address, id));
                }
                return Err(self.error(format!("no reply to {method} within {CALL_TIMEOUT:?}")));
            }
        };
        let reply =
            Reply::from_value(&v).ok_or_else(|| self.error("a reply that is not JSON-RPC"))?;
        Ok(reply.outcome?)
    }
}

impl Transport for SerialClient {
    fn call(
        &self,
        method: &str,
        params: Value,
    ) -> impl std::future::Future<Output = Result<Value, ClientError>> + Send {
        SerialClient::call(self, method, params)
    }
    fn describe(&self) -> String {
        self.board.clone()
    }
}
