//! What the study examples share: replicating a seeded run with a check, summarising its
//! metrics, and writing the sweep's table as CSV.

use std::path::Path;

use rayon::prelude::*;
use vnet_sim::montecarlo::{Summary, replication_seed};

/// Runs `run` once per replication, seeds derived from `master` and the index, in parallel,
/// results in index order (so the same whatever the thread count). Every replication must
/// report the same metric names; the first failure (a failed check) is returned with its seed.
pub fn replicate<F>(replications: usize, master: u64, run: F) -> Result<Vec<Summary>, String>
where
    F: Fn(u64) -> Result<Vec<(&'static str, f64)>, String> + Sync,
{
    let results: Vec<Result<Vec<(&'static str, f64)>, String>> = (0..replications.max(1))
        .into_par_iter()
        .map(|i| {
            let seed = replication_seed(master, i);
            run(seed).map_err(|e| format!("replication {i} (seed {seed}): {e}"))
        })
        .collect();
    let results = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    let names: Vec<&str> = results[0].iter().map(|m| m.0).collect();
    if let Some(i) = results
        .iter()
        .position(|r| r.iter().map(|m| m.0).ne(names.iter().copied()))
    {
        return Err(format!(
            "replication {i} reported other metrics than {names:?}"
        ));
    }
    Ok(names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let values: Vec<f64> = results.iter().map(|r| r[k].1).collect();
            Summary::of(name, &values)
        })
        .collect())
}

/// The summary named `name` in `summaries`.
pub fn find<'a>(summaries: &'a [Summary], name: &str) -> &'a Summary {
    summaries
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no metric `{name}`"))
}

/// A sweep's results: one row per point, written as CSV.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns.
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (as many cells as columns).
    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.header.len());
        self.rows.push(row);
    }

    /// Writes the table to `path`, creating its folder.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| at(&e))?;
        }
        let mut w = csv::Writer::from_path(path).map_err(|e| at(&e))?;
        w.write_record(&self.header).map_err(|e| at(&e))?;
        for row in &self.rows {
            w.write_record(row).map_err(|e| at(&e))?;
        }
        w.flush().map_err(|e| at(&e))
    }
}

/// A summary's mean and 95 % half-width as two cells (the half-width is 0 for one value).
pub fn cells(s: &Summary) -> [String; 2] {
    let ci = if s.ci95.is_finite() { s.ci95 } else { 0.0 };
    [format!("{:.6}", s.mean), format!("{ci:.6}")]
}
