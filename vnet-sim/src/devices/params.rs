//! A switch as a network file declares it: the `params` of a node whose `program` is
//! `"uart_switch"` ([`ProgramRegistry::with_devices`](crate::netfile::ProgramRegistry::with_devices)).
//!
//! ```json
//! { "name": "switch", "program": "uart_switch",
//!   "params": { "interconnect": { "kind": "ring", "n": 8 }, "lanes": 2 } }
//! ```
//!
//! Every field but `interconnect` has the paper's value as default (see [`SwitchConfig::esp32`]):
//! `latency` 1 µs, `queue` 16 frames, `policy` `"drop"` (or `"backpressure"`), `bit_rate`
//! 5 Mb/s a lane, `lanes` 2 (8N1 framing, 11 bytes a frame), `wire_latency` 0. The switch's port
//! `i` must lead to device `i`: link `esp3.uart` to `switch.3`, with the same serial line (the
//! switch times its outputs with these parameters; the links carry them).

use serde::Deserialize;
use serde_json::Value;

use super::{FRAME_OVERHEAD, Interconnect, QueuePolicy, SwitchConfig};
use crate::net::SerialLine;
use crate::time::SimDuration;

/// The logical interconnect, by shape.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Shape {
    Ring {
        n: usize,
    },
    Mesh {
        rows: usize,
        cols: usize,
    },
    Star {
        n: usize,
        #[serde(default)]
        center: usize,
    },
    Complete {
        n: usize,
    },
    Custom {
        n: usize,
        pairs: Vec<[usize; 2]>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Policy {
    Drop,
    Backpressure,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SwitchParams {
    interconnect: Shape,
    #[serde(default, with = "crate::units::duration_opt")]
    latency: Option<SimDuration>,
    queue: Option<usize>,
    policy: Option<Policy>,
    bit_rate: Option<u64>,
    lanes: Option<u32>,
    #[serde(default, with = "crate::units::duration_opt")]
    wire_latency: Option<SimDuration>,
}

impl SwitchConfig {
    /// The configuration a network file's `params` describe (module doc), or what is wrong.
    pub fn from_params(params: &Value) -> Result<Self, String> {
        let p: SwitchParams = serde_json::from_value(params.clone()).map_err(|e| e.to_string())?;
        let interconnect = match p.interconnect {
            Shape::Ring { n } => Interconnect::ring(n),
            Shape::Mesh { rows, cols } => Interconnect::mesh(rows, cols),
            Shape::Star { n, center } => Interconnect::star(n, center),
            Shape::Complete { n } => Interconnect::complete(n),
            Shape::Custom { n, pairs } => {
                let pairs: Vec<(usize, usize)> = pairs.iter().map(|p| (p[0], p[1])).collect();
                Interconnect::custom(n, &pairs)
            }
        };
        if interconnect.is_empty() || interconnect.len() > 4096 {
            return Err("`interconnect` must have 1 to 4096 devices".into());
        }
        let mut c = SwitchConfig::esp32(interconnect);
        if let Some(l) = p.latency {
            c.latency = l;
        }
        if let Some(q) = p.queue {
            c.queue_capacity = q;
        }
        if let Some(Policy::Backpressure) = p.policy {
            c.policy = QueuePolicy::Backpressure;
        }
        if let Some(b) = p.bit_rate {
            if b == 0 {
                return Err("`bit_rate` must be positive".into());
            }
            c.bit_rate = b;
        }
        if let Some(k) = p.lanes {
            if k == 0 {
                return Err("`lanes` must be at least 1".into());
            }
            c.line = SerialLine::uart_8n1(k, FRAME_OVERHEAD);
        }
        if let Some(w) = p.wire_latency {
            c.wire_latency = w;
        }
        Ok(c)
    }
}
