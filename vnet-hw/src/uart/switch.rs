//! An emulated crossbar switch for serial ports (the cluster's FPGA switch, in software):
//! frames coming in on any port go out on the port behind which their destination address
//! sits. The switch checks each frame (CRC) and forwards it whole; reliability is the ends'.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serialport::SerialPort;

use super::frame::Decoder;

/// A port of the switch and the addresses reachable through it.
pub struct SwitchPort {
    /// The open port.
    pub port: Box<dyn SerialPort>,
    /// Station addresses behind it.
    pub addresses: Vec<u8>,
}

/// What the switch counted.
#[derive(Debug, Default)]
pub struct SwitchCounters {
    /// Frames forwarded.
    pub forwarded: AtomicU64,
    /// Frames for an address no port has.
    pub unroutable: AtomicU64,
}

/// Starts the switch: a thread per port. It runs until its ports close.
pub fn start(ports: Vec<SwitchPort>) -> std::io::Result<Arc<SwitchCounters>> {
    let counters = Arc::new(SwitchCounters::default());
    let mut writers = Vec::new();
    let mut readers = Vec::new();
    for mut p in ports {
        p.port
            .set_timeout(Duration::from_millis(50))
            .map_err(std::io::Error::other)?;
        let writer = p.port.try_clone().map_err(std::io::Error::other)?;
        writers.push((p.addresses.clone(), Mutex::new(writer)));
        readers.push(p.port);
    }
    let writers = Arc::new(writers);
    for (i, mut port) in readers.into_iter().enumerate() {
        let (writers, counters) = (writers.clone(), counters.clone());
        std::thread::Builder::new()
            .name(format!("switch-{i}"))
            .spawn(move || {
                let mut decoder = Decoder::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = match port.read(&mut buf) {
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => 0,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => 0,
                        Err(_) => return,
                    };
                    for f in decoder.push(&buf[..n]) {
                        let out = writers.iter().find(|(a, _)| a.contains(&f.dst));
                        let Some((_, w)) = out else {
                            counters.unroutable.fetch_add(1, Ordering::Relaxed);
                            continue;
                        };
                        let sent = w
                            .lock()
                            .map(|mut w| w.write_all(&f.encode()).and_then(|_| w.flush()).is_ok())
                            .unwrap_or(false);
                        if sent {
                            counters.forwarded.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })?;
    }
    Ok(counters)
}
