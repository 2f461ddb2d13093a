//! Link faults beyond loss: duplication, corruption and delay spikes, drawn per message.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::net::{Message, Payload};
use crate::rng::SimRng;
use crate::time::SimDuration;

/// A delay spike: with probability `p` a message takes `delay` longer (and may overtake, or be
/// overtaken by, others).
#[derive(Copy, Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spike {
    /// Probability per message, in [0, 1].
    pub p: f64,
    /// The extra delay.
    #[serde(with = "crate::units::duration")]
    #[schemars(with = "crate::units::DurationText")]
    pub delay: SimDuration,
}

/// What a link does to messages beside losing them; all zero by default.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct LinkFaults {
    /// Probability that a message arrives twice.
    pub duplicate: f64,
    /// Probability that a message arrives with one bit flipped ([`corrupt`]).
    pub corrupt: f64,
    /// Delay spikes.
    pub spike: Spike,
}

/// What the draws decided for one message.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub duplicate: bool,
    /// The random word that picks the bit to flip.
    pub corrupt: Option<u64>,
    pub spike: SimDuration,
}

impl LinkFaults {
    /// Whether any fault is set (none: no draws are made).
    pub fn is_none(&self) -> bool {
        self.duplicate == 0.0 && self.corrupt == 0.0 && self.spike.p == 0.0
    }
    /// Checks the probabilities; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("duplicate", self.duplicate),
            ("corrupt", self.corrupt),
            ("spike.p", self.spike.p),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("`{name}` must be within [0, 1], got {p}"));
            }
        }
        Ok(())
    }
    /// Draws what happens to one message, in a fixed order (duplicate, corrupt, spike), each
    /// only if its probability is non-zero.
    pub(crate) fn draw(&self, rng: &mut SimRng) -> Outcome {
        let mut o = Outcome::default();
        if self.duplicate > 0.0 {
            o.duplicate = rng.random::<f64>() < self.duplicate;
        }
        if self.corrupt > 0.0 && rng.random::<f64>() < self.corrupt {
            o.corrupt = Some(rng.random::<u64>());
        }
        if self.spike.p > 0.0 && rng.random::<f64>() < self.spike.p {
            o.spike = self.spike.delay;
        }
        o
    }
}

/// `msg` with one bit flipped, chosen by `r`: of its bytes, or of a value's compact JSON text.
/// A value whose damaged text is still JSON arrives as that value (a digit changed, a letter of
/// a string); otherwise it arrives as a string holding the damaged text (invalid UTF-8 replaced
/// by U+FFFD) — what Lua and JavaScript programs see either way is a plain value, never an
/// error. An empty message is left as it is. The size links charge is unchanged.
///
/// ```
/// use vnet_sim::{Message, faults::corrupt};
/// let m = corrupt(&Message::bytes(vec![0u8; 4]), 9);
/// assert_eq!(m.as_bytes(), Some(&[0u8, 2, 0, 0][..])); // bit 9: byte 1, bit 1
/// ```
pub fn corrupt(msg: &Message, r: u64) -> Message {
    let flip = |bytes: &mut Vec<u8>| {
        if !bytes.is_empty() {
            let bit = r % (bytes.len() as u64 * 8);
            bytes[(bit / 8) as usize] ^= 1 << (bit % 8);
        }
    };
    let payload = match msg.payload() {
        Payload::Empty => return msg.clone(),
        Payload::Bytes(b) => {
            let mut b = b.clone();
            flip(&mut b);
            Payload::Bytes(b)
        }
        Payload::Value(v) => {
            let mut text = serde_json::to_vec(v).unwrap_or_default();
            flip(&mut text);
            match serde_json::from_slice(&text) {
                Ok(v) => Payload::Value(v),
                Err(_) => Payload::Value(String::from_utf8_lossy(&text).into_owned().into()),
            }
        }
    };
    msg.with_payload(payload)
}
