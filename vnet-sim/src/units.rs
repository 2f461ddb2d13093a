//! Human-readable units, beside [`crate::time`]: durations like `"1ms"`, bandwidths like
//! `"10Mbps"`, as network files and the serde forms of links and host profiles write them.

use crate::time::{SimDuration, UnitError, format_nanos, parse_nanos, parse_scaled};

/// Parses a bandwidth: an integer of bits/s or a number with `bps`, `kbps`, `Mbps`, `Gbps`.
pub fn parse_bandwidth(text: &str) -> Result<u64, UnitError> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, unit) = (t[..split].trim(), &t[split..]);
    let scale = match unit {
        "" | "bps" => 1,
        "kbps" | "Kbps" => 1_000,
        "Mbps" => 1_000_000,
        "Gbps" => 1_000_000_000,
        other => {
            return Err(UnitError::UnknownUnit {
                quantity: "bandwidth",
                unit: other.to_owned(),
                text: text.to_owned(),
                allowed: "bps, kbps, Mbps or Gbps",
            });
        }
    };
    match parse_scaled(num, scale) {
        Some(0) => Err(UnitError::NotPositive {
            quantity: "bandwidth",
            text: text.to_owned(),
        }),
        Some(v) => Ok(v),
        None => Err(UnitError::NotWhole {
            text: text.to_owned(),
            whole: "bits per second",
        }),
    }
}

/// Formats bits/s with the largest unit that keeps it whole: `10Mbps`, `1500kbps`, `7bps`.
pub fn format_bandwidth(bps: u64) -> String {
    for (scale, unit) in [
        (1_000_000_000, "Gbps"),
        (1_000_000, "Mbps"),
        (1_000, "kbps"),
    ] {
        if bps % scale == 0 && bps > 0 {
            return format!("{}{}", bps / scale, unit);
        }
    }
    format!("{bps}bps")
}

/// Serde helpers for a [`SimDuration`] written as `"1ms"` (or a bare integer of ns).
pub mod duration {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Text(String),
    }

    /// Writes the canonical text form.
    pub fn serialize<S: Serializer>(d: &SimDuration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_nanos(d.as_nanos()))
    }
    /// Reads `"1ms"`, `"250us"`, `"2s"` or an integer of ns. A bare integer from 1 to 999 is
    /// refused: `"latency": 1` meant as a millisecond would silently be a nanosecond.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SimDuration, D::Error> {
        match Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a duration such as \"1ms\" or an integer of ns")
        })? {
            Raw::Int(ns @ 1..=999) => Err(serde::de::Error::custom(format!(
                "a bare number is nanoseconds: {ns} would be {ns} ns; write it with a unit, \
                 as \"{ns}ms\", \"{ns}us\" or \"{ns}ns\""
            ))),
            Raw::Int(ns) => Ok(SimDuration::from_nanos(ns)),
            Raw::Text(t) => parse_nanos(&t)
                .map(SimDuration::from_nanos)
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandwidth_round_trip() {
        for bps in [1, 999, 1000, 1_500_000, 10_000_000, 2_000_000_000] {
            assert_eq!(parse_bandwidth(&format_bandwidth(bps)), Ok(bps));
        }
        assert_eq!(parse_bandwidth("2.5Mbps"), Ok(2_500_000));
        assert!(parse_bandwidth("0").is_err());
        assert!(parse_bandwidth("10 furlongs").is_err());
    }

    #[test]
    fn a_bare_number_below_a_microsecond_is_refused_with_a_hint() {
        #[derive(serde::Deserialize, Debug)]
        struct L {
            #[serde(with = "duration")]
            #[allow(dead_code)]
            latency: SimDuration,
        }
        let e = serde_json::from_str::<L>(r#"{"latency": 1}"#).unwrap_err();
        assert!(
            e.to_string().contains("write it with a unit, as \"1ms\""),
            "{e}"
        );
        let ok = |t| serde_json::from_str::<L>(t).unwrap().latency;
        assert_eq!(ok(r#"{"latency": 0}"#), SimDuration::ZERO);
        assert_eq!(ok(r#"{"latency": 1000}"#), SimDuration::from_micros(1));
        assert_eq!(ok(r#"{"latency": "1ns"}"#), SimDuration::from_nanos(1));
    }
}

/// Serde helpers for an optional [`SimDuration`] (`null` or absent: `None`), as [`duration`].
pub mod duration_opt {
    use serde::{Deserializer, Serializer};

    use crate::time::SimDuration;

    /// Writes the canonical text form, or null.
    pub fn serialize<S: Serializer>(d: &Option<SimDuration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::duration::serialize(d, s),
            None => s.serialize_none(),
        }
    }
    /// Reads what [`duration`](super::duration) reads.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SimDuration>, D::Error> {
        super::duration::deserialize(d).map(Some)
    }
}

/// The JSON Schema of a duration as network files write it (`"1ms"`, or an integer of ns), for
/// fields whose serde form is [`duration`] (`#[schemars(with = "DurationText")]`).
pub struct DurationText;

impl schemars::JsonSchema for DurationText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A duration: a number with a unit (ns, us, µs, ms, s), as \"250us\" or \"1.5ms\" (whole nanoseconds), or an integer of nanoseconds: 0, or 1000 and more.",
            "oneOf": [
                { "type": "string", "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*(ns|us|µs|ms|s)?\\s*$" },
                { "type": "integer", "minimum": 0 }
            ]
        })
    }
}

/// The JSON Schema of a bandwidth as network files write it (`"10Mbps"`, or an integer of
/// bits/s).
pub struct BandwidthText;

impl schemars::JsonSchema for BandwidthText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Bandwidth".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Bits per second: a number with a unit (bps, kbps, Mbps, Gbps), as \"10Mbps\", or a positive integer.",
            "oneOf": [
                { "type": "string", "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*(bps|kbps|Kbps|Mbps|Gbps)?\\s*$" },
                { "type": "integer", "minimum": 1 }
            ]
        })
    }
}
