//! Virtual time: [`SimTime`] (an instant) and [`SimDuration`] (a span), both integer nanoseconds.
//!
//! Integer time keeps runs bit-identical across machines and makes link arithmetic exact:
//! a delivery at `latency + size·8/bandwidth` is a sum of integers, never a rounded float.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant of virtual time, in nanoseconds since the start of the run.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(u64);

/// A span of virtual time, in nanoseconds.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(u64);

macro_rules! unit_constructors {
    ($ty:ident) => {
        impl $ty {
            /// Zero.
            pub const ZERO: $ty = $ty(0);
            /// The largest representable value (about 584 years).
            pub const MAX: $ty = $ty(u64::MAX);
            /// From whole nanoseconds.
            pub const fn from_nanos(ns: u64) -> Self {
                $ty(ns)
            }
            /// From whole microseconds (saturating).
            pub const fn from_micros(us: u64) -> Self {
                $ty(us.saturating_mul(1_000))
            }
            /// From whole milliseconds (saturating).
            pub const fn from_millis(ms: u64) -> Self {
                $ty(ms.saturating_mul(1_000_000))
            }
            /// From whole seconds (saturating).
            pub const fn from_secs(s: u64) -> Self {
                $ty(s.saturating_mul(1_000_000_000))
            }
            /// From fractional seconds, truncated to the nanosecond; negative and NaN give zero.
            pub fn from_secs_f64(s: f64) -> Self {
                // `as` saturates, and maps NaN to 0.
                $ty((s * 1e9) as u64)
            }
            /// The value in nanoseconds.
            pub const fn as_nanos(self) -> u64 {
                self.0
            }
            /// The value in (fractional) seconds.
            pub fn as_secs_f64(self) -> f64 {
                self.0 as f64 * 1e-9
            }
            /// The value in (fractional) milliseconds.
            pub fn as_millis_f64(self) -> f64 {
                self.0 as f64 * 1e-6
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self)
            }
        }

        impl fmt::Display for $ty {
            /// Shown with the largest unit that keeps the value whole, e.g. `1500us`, `2s`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&format_nanos(self.0))
            }
        }
    };
}

unit_constructors!(SimTime);
unit_constructors!(SimDuration);

impl SimTime {
    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    /// `self + d`, or `None` past [`SimTime::MAX`].
    pub fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        self.0.checked_add(d.0).map(SimTime)
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Saturates at [`SimTime::MAX`], which the kernel treats as "never".
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// Saturates at zero.
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.saturating_since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, o: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(o.0))
    }
}

/// Formats nanoseconds with the largest unit that divides them: `0s`, `250ns`, `1500us`, `10ms`, `2s`.
pub fn format_nanos(ns: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")];
    if ns == 0 {
        return "0s".into();
    }
    for (scale, name) in UNITS {
        if ns % scale == 0 {
            return format!("{}{}", ns / scale, name);
        }
    }
    format!("{ns}ns")
}

/// A duration or bandwidth that does not parse; it says what was written and what would do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// A unit that is not one of `allowed`.
    #[error("unknown {quantity} unit `{unit}` in `{text}` (use {allowed})")]
    UnknownUnit {
        /// `time` or `bandwidth`.
        quantity: &'static str,
        /// The unit written.
        unit: String,
        /// The whole text.
        text: String,
        /// The units that would do.
        allowed: &'static str,
    },
    /// A number that is not a whole count of the smallest unit (or not a number).
    #[error("`{text}` is not a whole number of {whole}")]
    NotWhole {
        /// The whole text.
        text: String,
        /// `nanoseconds` or `bits per second`.
        whole: &'static str,
    },
    /// Zero where only a positive value makes sense.
    #[error("{quantity} `{text}` must be positive")]
    NotPositive {
        /// `bandwidth`.
        quantity: &'static str,
        /// The whole text.
        text: String,
    },
}

/// Parses a duration written as an integer of nanoseconds or a number with a unit
/// (`ns`, `us`, `ms`, `s`), e.g. `"1ms"`, `"2.5us"`, `"100"`. Fractions must come out whole in ns.
pub fn parse_nanos(text: &str) -> Result<u64, UnitError> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, unit) = (t[..split].trim(), t[split..].trim());
    let scale: u64 = match unit {
        "" | "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        other => {
            return Err(UnitError::UnknownUnit {
                quantity: "time",
                unit: other.to_owned(),
                text: text.to_owned(),
                allowed: "ns, us, ms or s",
            });
        }
    };
    parse_scaled(num, scale).ok_or_else(|| UnitError::NotWhole {
        text: text.to_owned(),
        whole: "nanoseconds",
    })
}

/// `num` (decimal, maybe with a fraction) times `scale`, if that is a whole non-negative integer.
pub(crate) fn parse_scaled(num: &str, scale: u64) -> Option<u64> {
    if let Ok(v) = num.parse::<u64>() {
        return v.checked_mul(scale);
    }
    let (int, frac) = num.split_once('.')?;
    let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 18 {
        return None;
    }
    let denom = 10u64.pow(frac.len() as u32);
    let frac_v: u64 = frac.parse().ok()?;
    let scaled = (frac_v as u128) * (scale as u128);
    if scaled % denom as u128 != 0 {
        return None;
    }
    int.checked_mul(scale)?
        .checked_add((scaled / denom as u128) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_display() {
        assert_eq!(SimTime::from_millis(3).as_nanos(), 3_000_000);
        assert_eq!(SimDuration::from_micros(1500).to_string(), "1500us");
        assert_eq!(SimDuration::from_secs(2).to_string(), "2s");
        assert_eq!(SimDuration::from_nanos(7).to_string(), "7ns");
        assert_eq!(
            SimTime::ZERO + SimDuration::from_millis(1),
            SimTime::from_millis(1)
        );
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
    }

    #[test]
    fn parse_round_trips() {
        for ns in [0, 1, 999, 1000, 1_500_000, 10_000_000, 3_000_000_000] {
            assert_eq!(parse_nanos(&format_nanos(ns)), Ok(ns));
        }
        assert_eq!(parse_nanos("2.5us"), Ok(2500));
        assert_eq!(parse_nanos("0.1s"), Ok(100_000_000));
        assert!(parse_nanos("1.0000000001ns").is_err());
        assert!(parse_nanos("3 days").is_err());
        assert!(parse_nanos("-1ms").is_err());
    }
}
