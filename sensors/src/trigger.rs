//! Triggers: when a sensor takes a reading on its own and reports it.
//!
//! A trigger names the instants at which the sensor is read ([`Trigger::check_time`], in whole
//! nanoseconds, so they are exact) and whether that reading is reported
//! ([`TriggerState::fires`]): always for periodic and listed times, on a crossing for a
//! threshold, on a large enough move for a change trigger.

use serde::{Deserialize, Serialize};

use crate::{SensorError, invalid};

/// Which way a threshold must be crossed.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From below `level` to at or above it.
    #[default]
    Rising,
    /// From above `level` to at or below it.
    Falling,
    /// Either.
    Both,
}

/// When a sensor reports by itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// Never: programs read it with `sensor(name)`.
    #[default]
    OnDemand,
    /// Every `period_ms` from `offset_ms`, until `until_ms` if given.
    Periodic {
        /// Milliseconds between reads.
        period_ms: f64,
        /// The first read's time (default 0).
        #[serde(default)]
        offset_ms: f64,
        /// No reads after this time (default: none).
        #[serde(default)]
        until_ms: Option<f64>,
    },
    /// At the listed times (ms).
    At {
        /// The times.
        times_ms: Vec<f64>,
    },
    /// Read every `check_ms`; report when the reading crosses `level`.
    Threshold {
        /// The level crossed.
        level: f64,
        /// Which crossings count (default: rising).
        #[serde(default)]
        direction: Direction,
        /// Milliseconds between reads.
        check_ms: f64,
    },
    /// Read every `check_ms`; report the first reading and then each one that moved at least
    /// `delta` from the last reported.
    Change {
        /// The least change reported.
        delta: f64,
        /// Milliseconds between reads.
        check_ms: f64,
    },
}

fn ns(field: &str, ms: f64) -> Result<u64, SensorError> {
    if ms.is_finite() && ms >= 0.0 {
        Ok((ms * 1e6).round() as u64)
    } else {
        Err(invalid(
            field,
            format!("must be a non-negative number of ms, not {ms}"),
        ))
    }
}

impl Trigger {
    /// Checks the parameters; the error names the first one out of range.
    pub fn validate(&self) -> Result<(), SensorError> {
        let positive = |field: &str, ms: f64| match ns(field, ms)? {
            0 => Err(invalid(field, "must be at least 1 ns")),
            _ => Ok(()),
        };
        match self {
            Trigger::OnDemand => Ok(()),
            Trigger::Periodic {
                period_ms,
                offset_ms,
                until_ms,
            } => {
                positive("period_ms", *period_ms)?;
                ns("offset_ms", *offset_ms)?;
                until_ms.map_or(Ok(0), |u| ns("until_ms", u)).map(drop)
            }
            Trigger::At { times_ms } => {
                for (i, &t) in times_ms.iter().enumerate() {
                    ns(&format!("times_ms[{i}]"), t)?;
                    if i > 0 && t <= times_ms[i - 1] {
                        return Err(invalid(
                            &format!("times_ms[{i}]"),
                            format!(
                                "{t} does not come after {} (times must increase)",
                                times_ms[i - 1]
                            ),
                        ));
                    }
                }
                Ok(())
            }
            Trigger::Threshold {
                level, check_ms, ..
            } => {
                if !level.is_finite() {
                    return Err(invalid("level", "must be finite"));
                }
                positive("check_ms", *check_ms)
            }
            Trigger::Change { delta, check_ms } => {
                if !(delta.is_finite() && *delta > 0.0) {
                    return Err(invalid("delta", format!("must be positive, not {delta}")));
                }
                positive("check_ms", *check_ms)
            }
        }
    }

    /// The `k`-th instant (ns, from 0) at which the sensor is read, if there is one. Assumes a
    /// validated trigger (a bad one has no instants).
    pub fn check_time(&self, k: u64) -> Option<u64> {
        match self {
            Trigger::OnDemand => None,
            Trigger::Periodic {
                period_ms,
                offset_ms,
                until_ms,
            } => {
                let period = ns("", *period_ms).ok().filter(|&p| p > 0)?;
                let t = ns("", *offset_ms)
                    .ok()?
                    .checked_add(k.checked_mul(period)?)?;
                match until_ms {
                    Some(u) if t > ns("", *u).ok()? => None,
                    _ => Some(t),
                }
            }
            Trigger::At { times_ms } => ns("", *times_ms.get(usize::try_from(k).ok()?)?).ok(),
            Trigger::Threshold { check_ms, .. } | Trigger::Change { check_ms, .. } => {
                let period = ns("", *check_ms).ok().filter(|&p| p > 0)?;
                k.checked_mul(period)
            }
        }
    }
}

/// What a trigger remembers between readings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TriggerState {
    /// The previous reading (threshold) or the last reported one (change).
    last: Option<f64>,
}

impl TriggerState {
    /// Whether `trigger` reports `reading` (`None`: the reading dropped out, and is neither
    /// reported nor remembered).
    pub fn fires(&mut self, trigger: &Trigger, reading: Option<f64>) -> bool {
        let Some(v) = reading else {
            return false;
        };
        match trigger {
            Trigger::OnDemand => false,
            Trigger::Periodic { .. } | Trigger::At { .. } => true,
            Trigger::Threshold {
                level, direction, ..
            } => {
                let before = self.last.replace(v);
                let Some(b) = before else { return false };
                let rising = b < *level && v >= *level;
                let falling = b > *level && v <= *level;
                match direction {
                    Direction::Rising => rising,
                    Direction::Falling => falling,
                    Direction::Both => rising || falling,
                }
            }
            Trigger::Change { delta, .. } => match self.last {
                Some(l) if (v - l).abs() < *delta => false,
                _ => {
                    self.last = Some(v);
                    true
                }
            },
        }
    }
}
