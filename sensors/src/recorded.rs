//! Recorded data: a CSV file whose first column is time in seconds (strictly increasing) and
//! whose other columns are values, read by sample-and-hold or linear interpolation, optionally
//! looping.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::SensorError;

/// How a recording is read between its samples.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Interpolation {
    /// The latest sample at or before the time.
    #[default]
    Hold,
    /// The straight line between the samples either side.
    Linear,
}

/// A loaded CSV recording.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    file: String,
    times: Vec<f64>,
    names: Vec<String>,
    /// One vector per value column.
    columns: Vec<Vec<f64>>,
}

impl Recording {
    /// Loads `path`; errors name the file, line and column.
    pub fn from_csv(path: &Path) -> Result<Self, SensorError> {
        let file = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|source| SensorError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_reader(&file, f)
    }

    /// Parses CSV text from `reader`; `file` names it in errors.
    pub fn from_reader(file: &str, reader: impl Read) -> Result<Self, SensorError> {
        let err = |line: u64, column: String, message: String| SensorError::Csv {
            file: file.to_owned(),
            line,
            column,
            message,
        };
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(reader);
        let header = csv
            .headers()
            .map_err(|e| err(1, "1".into(), e.to_string()))?
            .clone();
        if header.len() < 2 {
            return Err(err(
                1,
                "2".into(),
                "expected a time column and at least one value column".into(),
            ));
        }
        let names: Vec<String> = header.iter().skip(1).map(str::to_owned).collect();
        let mut times = Vec::new();
        let mut columns = vec![Vec::new(); names.len()];
        for record in csv.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                err(line, "-".into(), e.to_string())
            })?;
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != header.len() {
                let i = record.len().min(header.len());
                let column = header
                    .get(i)
                    .map_or_else(|| (i + 1).to_string(), str::to_owned);
                return Err(err(
                    line,
                    column,
                    format!(
                        "the row has {} cells, the header {}",
                        record.len(),
                        header.len()
                    ),
                ));
            }
            for (i, cell) in record.iter().enumerate() {
                let column = header.get(i).unwrap_or("?");
                let v: f64 = cell.parse().map_err(|_| {
                    err(line, column.to_owned(), format!("`{cell}` is not a number"))
                })?;
                if !v.is_finite() {
                    return Err(err(
                        line,
                        column.to_owned(),
                        format!("`{cell}` is not finite"),
                    ));
                }
                if i == 0 {
                    if let Some(&prev) = times.last() {
                        if v <= prev {
                            return Err(err(
                                line,
                                column.to_owned(),
                                format!(
                                    "time {v} does not come after {prev} (times must increase)"
                                ),
                            ));
                        }
                    }
                    times.push(v);
                } else {
                    columns[i - 1].push(v);
                }
            }
        }
        if times.is_empty() {
            return Err(err(2, "1".into(), "no samples".into()));
        }
        Ok(Recording {
            file: file.to_owned(),
            times,
            names,
            columns,
        })
    }

    /// The index of the value column called `name`.
    pub fn column(&self, name: &str) -> Result<usize, SensorError> {
        self.names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| SensorError::NoColumn {
                file: self.file.clone(),
                column: name.to_owned(),
                available: self.names.join(", "),
            })
    }

    /// Sample times, in seconds.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// Column `col`'s value at time `t` (seconds). Before the first sample it is the first
    /// value; after the last, the last value, or — `looping` — the recording again from its
    /// start, with period `last time − first time` (the last sample's time is the first's).
    pub fn value(&self, col: usize, t: f64, interpolation: Interpolation, looping: bool) -> f64 {
        let (times, values) = (&self.times, &self.columns[col]);
        let (first, last) = (times[0], times[times.len() - 1]);
        let t = if looping && last > first && t > last {
            first + (t - first).rem_euclid(last - first)
        } else {
            t
        };
        // Index of the first sample after `t`.
        let after = times.partition_point(|&s| s <= t);
        if after == 0 {
            return values[0];
        }
        if after == times.len() {
            return values[after - 1];
        }
        let (i, j) = (after - 1, after);
        match interpolation {
            Interpolation::Hold => values[i],
            Interpolation::Linear => {
                let w = (t - times[i]) / (times[j] - times[i]);
                values[i] + w * (values[j] - values[i])
            }
        }
    }
}
