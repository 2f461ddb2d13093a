//! The declaration of a sensor in a network file: its name, what it measures, how well, when it
//! reports, and to which port.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::SensorError;
use crate::model::{Sensor, SensorModel};
use crate::signal::{Signal, SignalSpec};
use crate::trigger::Trigger;

/// A sensor as a node in a network file declares it.
///
/// ```
/// let spec: sensors::SensorSpec = serde_json::from_str(r#"{
///     "name": "temp",
///     "signal": { "kind": "hot_spot", "ambient": 20, "peak": 10, "x": 0, "y": 0, "sigma": 5 },
///     "model": { "noise_sigma": 0.2, "adc_bits": 12, "range": [-40, 85] },
///     "trigger": { "kind": "periodic", "period_ms": 100 },
///     "port": "temp"
/// }"#).unwrap();
/// assert!(spec.build(std::path::Path::new(".")).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SensorSpec {
    /// The name programs read it by (`sensor("temp")`), unique on its node.
    pub name: String,
    /// What it measures.
    pub signal: SignalSpec,
    /// How well (default: perfectly).
    #[serde(default, skip_serializing_if = "is_default")]
    pub model: SensorModel,
    /// When it reports by itself (default: only when read).
    #[serde(default, skip_serializing_if = "is_default")]
    pub trigger: Trigger,
    /// The node port its reports arrive on, as messages carrying the reading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

impl SensorSpec {
    /// Builds the sensor (loading recordings relative to `base_dir`) after checking the model
    /// and trigger.
    pub fn build(&self, base_dir: &Path) -> Result<Sensor, SensorError> {
        self.trigger.validate()?;
        if self.trigger != Trigger::OnDemand && self.port.is_none() {
            return Err(crate::invalid(
                "port",
                "a sensor with a trigger needs a port to report on",
            ));
        }
        Sensor::new(Signal::build(&self.signal, base_dir)?, self.model.clone())
    }
}
