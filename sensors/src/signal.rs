//! Signals: the true value a sensor measures, as a function of time (seconds) and the node's
//! position. [`SignalSpec`] is the declaration (JSON); [`Signal`] the built, callable form.

use std::path::Path;
use std::sync::Arc;

use exmex::prelude::*;
use serde::{Deserialize, Serialize};

use crate::recorded::{Interpolation, Recording};
use crate::{SensorError, invalid};

/// A position in the plane (metres, or whatever unit the field uses).
pub type Pos = [f64; 2];

/// A signal as a network file declares it; `kind` selects the shape.
///
/// ```
/// let spec: sensors::SignalSpec = serde_json::from_str(
///     r#"{ "kind": "sine", "amplitude": 2.0, "period_s": 60.0, "offset": 20.0 }"#).unwrap();
/// let s = sensors::Signal::build(&spec, std::path::Path::new(".")).unwrap();
/// assert!((s.value(15.0, [0.0, 0.0]) - 22.0).abs() < 1e-12);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SignalSpec {
    /// `value`.
    Constant {
        /// The value, always.
        value: f64,
    },
    /// `offset + amplitude · sin(2π (t + phase_s) / period_s)`.
    Sine {
        /// Half the peak-to-peak swing.
        amplitude: f64,
        /// Seconds per cycle.
        period_s: f64,
        /// Seconds added to `t` (default 0).
        #[serde(default)]
        phase_s: f64,
        /// The middle value (default 0).
        #[serde(default)]
        offset: f64,
    },
    /// `start + slope · t`.
    Ramp {
        /// The value at t = 0 (default 0).
        #[serde(default)]
        start: f64,
        /// Change per second.
        slope: f64,
    },
    /// `before` until `at_s`, `after` from then on.
    Step {
        /// When it steps, in seconds.
        at_s: f64,
        /// The value before (default 0).
        #[serde(default)]
        before: f64,
        /// The value from `at_s` on.
        after: f64,
    },
    /// `high` for the first `duty` fraction of each period, `low` for the rest.
    Square {
        /// The value for the rest of each period.
        low: f64,
        /// The value for the first `duty` of each period.
        high: f64,
        /// Seconds per period.
        period_s: f64,
        /// The fraction of each period at `high` (default 0.5).
        #[serde(default = "half")]
        duty: f64,
    },
    /// `target + (initial − target) · e^(−t / tau_s)`.
    Decay {
        /// The value at t = 0.
        initial: f64,
        /// The value it decays towards (default 0).
        #[serde(default)]
        target: f64,
        /// The time constant, in seconds.
        tau_s: f64,
    },
    /// A spatial field: `ambient + peak · e^(−d² / 2σ²)`, d the distance from `(x, y)`.
    HotSpot {
        /// The value far from the spot.
        ambient: f64,
        /// How much higher it is at the spot.
        peak: f64,
        /// The spot's x.
        x: f64,
        /// The spot's y.
        y: f64,
        /// The spread, in the units of the positions.
        sigma: f64,
    },
    /// An expression in `t` (seconds), `x` and `y` (the node's position), e.g.
    /// `20 + 5*sin(2*PI*t/60) - 0.1*x`. Functions: sin, cos, exp, ln, sqrt, abs, min, max, …
    Expr {
        /// The expression.
        expr: String,
    },
    /// A column of a CSV recording (first column: time in seconds). `path` is relative to
    /// the network file.
    Recorded {
        /// The CSV file.
        path: String,
        /// The column's header.
        column: String,
        /// Between rows: hold the last value, or interpolate linearly (default: hold).
        #[serde(default)]
        interpolation: Interpolation,
        /// Start again from the top after the last row (default: keep the last value).
        #[serde(default)]
        looping: bool,
    },
    /// The sum of the terms.
    Sum {
        /// The signals added.
        terms: Vec<SignalSpec>,
    },
}

fn half() -> f64 {
    0.5
}

type ValueFn = dyn Fn(f64, Pos) -> f64 + Send + Sync;

/// A built signal: cheap to clone, callable from any thread.
#[derive(Clone)]
pub struct Signal(Arc<ValueFn>);

impl std::fmt::Debug for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signal(..)")
    }
}

impl Signal {
    /// A signal computed by a Rust closure of time (s) and position.
    pub fn from_fn(f: impl Fn(f64, Pos) -> f64 + Send + Sync + 'static) -> Self {
        Signal(Arc::new(f))
    }

    /// A constant.
    pub fn constant(value: f64) -> Self {
        Self::from_fn(move |_, _| value)
    }

    /// The value at time `t` (seconds) and position `pos`.
    pub fn value(&self, t: f64, pos: Pos) -> f64 {
        (self.0)(t, pos)
    }

    /// Builds `spec`, loading recordings relative to `base_dir`; the error names the field,
    /// expression or file at fault.
    pub fn build(spec: &SignalSpec, base_dir: &Path) -> Result<Self, SensorError> {
        use std::f64::consts::TAU;
        let positive = |field: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(invalid(
                    field,
                    format!("must be a positive number, not {v}"),
                ))
            }
        };
        Ok(match spec.clone() {
            SignalSpec::Constant { value } => Self::constant(value),
            SignalSpec::Sine {
                amplitude,
                period_s,
                phase_s,
                offset,
            } => {
                let period = positive("period_s", period_s)?;
                Self::from_fn(move |t, _| offset + amplitude * (TAU * (t + phase_s) / period).sin())
            }
            SignalSpec::Ramp { start, slope } => Self::from_fn(move |t, _| start + slope * t),
            SignalSpec::Step {
                at_s,
                before,
                after,
            } => Self::from_fn(move |t, _| if t < at_s { before } else { after }),
            SignalSpec::Square {
                low,
                high,
                period_s,
                duty,
            } => {
                let period = positive("period_s", period_s)?;
                if !(0.0..=1.0).contains(&duty) {
                    return Err(invalid("duty", format!("must be in 0..1, not {duty}")));
                }
                Self::from_fn(move |t, _| {
                    if (t / period).rem_euclid(1.0) < duty {
                        high
                    } else {
                        low
                    }
                })
            }
            SignalSpec::Decay {
                initial,
                target,
                tau_s,
            } => {
                let tau = positive("tau_s", tau_s)?;
                Self::from_fn(move |t, _| target + (initial - target) * (-t / tau).exp())
            }
            SignalSpec::HotSpot {
                ambient,
                peak,
                x,
                y,
                sigma,
            } => {
                let s2 = 2.0 * positive("sigma", sigma)?.powi(2);
                Self::from_fn(move |_, p| {
                    let d2 = (p[0] - x).powi(2) + (p[1] - y).powi(2);
                    ambient + peak * (-d2 / s2).exp()
                })
            }
            SignalSpec::Expr { expr } => Self::expression(&expr)?,
            SignalSpec::Recorded {
                path,
                column,
                interpolation,
                looping,
            } => {
                let rec = Arc::new(Recording::from_csv(&base_dir.join(&path))?);
                let col = rec.column(&column)?;
                Self::from_fn(move |t, _| rec.value(col, t, interpolation, looping))
            }
            SignalSpec::Sum { terms } => {
                let parts = terms
                    .iter()
                    .map(|t| Self::build(t, base_dir))
                    .collect::<Result<Vec<_>, _>>()?;
                Self::from_fn(move |t, p| parts.iter().map(|s| s.value(t, p)).sum())
            }
        })
    }

    /// A signal from an expression in `t`, `x` and `y`.
    pub fn expression(text: &str) -> Result<Self, SensorError> {
        let bad = |message: String| SensorError::Expr {
            expr: text.to_owned(),
            message,
        };
        let expr = exmex::parse::<f64>(text).map_err(|e| bad(e.to_string()))?;
        // exmex takes the variables it found, in alphabetical order.
        let slots = expr
            .var_names()
            .iter()
            .map(|v| match v.as_str() {
                "t" => Ok(0),
                "x" => Ok(1),
                "y" => Ok(2),
                other => Err(bad(format!("unknown variable `{other}` (use t, x, y)"))),
            })
            .collect::<Result<Vec<usize>, _>>()?;
        Ok(Self::from_fn(move |t, p| {
            let all = [t, p[0], p[1]];
            let mut vars = [0.0; 3];
            for (v, &i) in vars.iter_mut().zip(&slots) {
                *v = all[i];
            }
            expr.eval(&vars[..slots.len()]).unwrap_or(f64::NAN)
        }))
    }
}
