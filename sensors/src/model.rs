//! Sensor models: how a real sensor's reading departs from the signal it measures.
//!
//! A reading at time t is built in this order:
//!
//! 1. the signal at `t − latency` (a reading describes the world as it was);
//! 2. `· (1 + gain_error) + bias + drift(t)`, drift a random walk with `drift_sigma` per √s;
//! 3. `+ N(0, noise_sigma²) + U(−noise_uniform, noise_uniform)`;
//! 4. with probability `outlier`, `± outlier_size` (either sign, equally likely);
//! 5. clamped to `range` (saturation), then quantized to `adc_bits` over `range`;
//! 6. with probability `dropout`, no reading at all.
//!
//! Every reading draws the same six numbers from the stream whatever is enabled, so runs that
//! differ only in the model's parameters see the same underlying noise.

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::signal::{Pos, Signal};
use crate::{SensorError, invalid};

/// A sensor's imperfections. The default is a perfect sensor.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SensorModel {
    /// Standard deviation of Gaussian noise.
    pub noise_sigma: f64,
    /// Half-width of uniform noise.
    pub noise_uniform: f64,
    /// Constant offset.
    pub bias: f64,
    /// Relative gain error: the signal is scaled by `1 + gain_error`.
    pub gain_error: f64,
    /// Random-walk drift: standard deviation gained per √second.
    pub drift_sigma: f64,
    /// ADC resolution; quantizes over `range`, which it requires.
    pub adc_bits: Option<u32>,
    /// `[min, max]` the sensor can report (saturation), and the ADC's span.
    pub range: Option<[f64; 2]>,
    /// Probability that a reading is lost.
    pub dropout: f64,
    /// Probability that a reading is an outlier.
    pub outlier: f64,
    /// How far an outlier lands from the true reading.
    pub outlier_size: f64,
    /// How old the world a reading describes is, in milliseconds.
    pub latency_ms: f64,
}

impl SensorModel {
    /// Checks every parameter; the error names the first one out of range.
    pub fn validate(&self) -> Result<(), SensorError> {
        let non_negative = |field: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(invalid(
                    field,
                    format!("must be a non-negative number, not {v}"),
                ))
            }
        };
        non_negative("noise_sigma", self.noise_sigma)?;
        non_negative("noise_uniform", self.noise_uniform)?;
        non_negative("drift_sigma", self.drift_sigma)?;
        non_negative("outlier_size", self.outlier_size)?;
        non_negative("latency_ms", self.latency_ms)?;
        for (field, v) in [("bias", self.bias), ("gain_error", self.gain_error)] {
            if !v.is_finite() {
                return Err(invalid(field, format!("must be finite, not {v}")));
            }
        }
        for (field, p) in [("dropout", self.dropout), ("outlier", self.outlier)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(invalid(
                    field,
                    format!("a probability must be in 0..1, not {p}"),
                ));
            }
        }
        if let Some([lo, hi]) = self.range {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(invalid(
                    "range",
                    format!("needs min < max, not [{lo}, {hi}]"),
                ));
            }
        }
        if let Some(bits) = self.adc_bits {
            if !(1..=32).contains(&bits) {
                return Err(invalid("adc_bits", format!("must be 1..32, not {bits}")));
            }
            if self.range.is_none() {
                return Err(invalid("adc_bits", "quantization needs a `range`"));
            }
        }
        Ok(())
    }

    /// The size of one ADC step, if the model quantizes.
    pub fn adc_step(&self) -> Option<f64> {
        let bits = self.adc_bits?;
        let [lo, hi] = self.range?;
        Some((hi - lo) / ((1u64 << bits) - 1) as f64)
    }

    /// Saturation and quantization (steps 5 of the module docs) applied to `v`.
    pub fn limit(&self, v: f64) -> f64 {
        let Some([lo, hi]) = self.range else {
            return v;
        };
        let v = v.clamp(lo, hi);
        match self.adc_step() {
            Some(step) => lo + ((v - lo) / step).round() * step,
            None => v,
        }
    }
}

/// A signal seen through a [`SensorModel`], with the model's state (the drift).
#[derive(Clone, Debug)]
pub struct Sensor {
    signal: Signal,
    model: SensorModel,
    drift: f64,
    /// When the drift was last advanced (s).
    drift_at: f64,
}

impl Sensor {
    /// A sensor reading `signal` through `model` (checked).
    pub fn new(signal: Signal, model: SensorModel) -> Result<Self, SensorError> {
        model.validate()?;
        Ok(Sensor {
            signal,
            model,
            drift: 0.0,
            drift_at: 0.0,
        })
    }

    /// The model.
    pub fn model(&self) -> &SensorModel {
        &self.model
    }

    /// What a perfect sensor with the same latency would read at `t` (s).
    pub fn truth(&self, t: f64, pos: Pos) -> f64 {
        self.signal.value(t - self.model.latency_ms / 1e3, pos)
    }

    /// A reading at time `t` (s) at `pos`, or `None` if it dropped out. Draws six numbers
    /// from `rng`.
    pub fn read<R: Rng + ?Sized>(&mut self, t: f64, pos: Pos, rng: &mut R) -> Option<f64> {
        let m = &self.model;
        let u_drop: f64 = rng.random();
        let z_noise: f64 = rng.sample(StandardNormal);
        let u_uniform: f64 = rng.random();
        let u_outlier: f64 = rng.random();
        let u_sign: f64 = rng.random();
        let z_drift: f64 = rng.sample(StandardNormal);
        if t > self.drift_at {
            self.drift += m.drift_sigma * (t - self.drift_at).sqrt() * z_drift;
            self.drift_at = t;
        }
        let mut v = self.truth(t, pos) * (1.0 + m.gain_error) + m.bias + self.drift;
        v += m.noise_sigma * z_noise + m.noise_uniform * (2.0 * u_uniform - 1.0);
        if u_outlier < m.outlier {
            v += if u_sign < 0.5 {
                -m.outlier_size
            } else {
                m.outlier_size
            };
        }
        let v = m.limit(v);
        (u_drop >= m.dropout).then_some(v)
    }
}
