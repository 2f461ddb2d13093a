//! # sensors — synthetic and recorded sensor sources with Monte-Carlo noise
//!
//! What a simulated sensor measures and how badly it measures it, with nothing of the kernel
//! (`vnet-sim` depends on this crate, never the reverse):
//!
//! - [`signal`]: the quantity itself, a function of time and position — analytic shapes
//!   (constant, sine, ramp, step, square, exponential decay, sums), spatial fields (a hot
//!   spot), expressions in `t`, `x`, `y` ([exmex](https://docs.rs/exmex)), recorded data
//!   ([`recorded`]) and Rust closures.
//! - [`model`]: the sensor layered on a signal — Gaussian and uniform noise, bias, gain error,
//!   random-walk drift, saturation, ADC quantization, dropouts, outliers, sampling latency.
//!   Every reading makes the same number of draws from the random stream it is given, so two
//!   configurations read with the same stream see the same noise (common random numbers).
//! - [`trigger`]: when a sensor reports on its own — periodically, at listed times, when a
//!   threshold is crossed or the value changes — or only on demand.
//! - [`spec`]: the declaration a network file carries, and its checks.
//!
//! Time is in seconds (`f64`) for signals and in whole nanoseconds (`u64`) for triggers, so
//! trigger times are exact.
//!
//! ```
//! use rand::SeedableRng;
//! use sensors::{Sensor, SensorModel, Signal};
//!
//! // A 20 °C room with a ±0.5 °C sensor read through a 10-bit ADC over 0..50 °C.
//! let model = SensorModel { noise_sigma: 0.5, adc_bits: Some(10), range: Some([0.0, 50.0]), ..Default::default() };
//! let mut sensor = Sensor::new(Signal::constant(20.0), model).unwrap();
//! let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
//! let reading = sensor.read(1.0, [0.0, 0.0], &mut rng).unwrap();
//! assert!((reading - 20.0).abs() < 3.0);
//! ```

#![warn(missing_docs)]

pub mod model;
pub mod recorded;
pub mod signal;
pub mod spec;
pub mod trigger;

pub use model::{Sensor, SensorModel};
pub use recorded::{Interpolation, Recording};
pub use signal::{Pos, Signal, SignalSpec};
pub use spec::SensorSpec;
pub use trigger::{Direction, Trigger, TriggerState};

/// What can be wrong with a sensor's declaration or data; each names what and where.
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    /// A data file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// A bad cell, row or header in a CSV recording.
    #[error("{file}: line {line}, column {column}: {message}")]
    Csv {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column, or the column's name.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A recording has no column of that name.
    #[error("{file}: no column `{column}` (it has: {available})")]
    NoColumn {
        /// The file.
        file: String,
        /// The column asked for.
        column: String,
        /// The value columns it has.
        available: String,
    },
    /// An expression does not parse or uses an unknown variable.
    #[error("expression `{expr}`: {message}")]
    Expr {
        /// The expression text.
        expr: String,
        /// What is wrong.
        message: String,
    },
    /// A parameter out of its range.
    #[error("`{field}`: {message}")]
    Invalid {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> SensorError {
    SensorError::Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}
