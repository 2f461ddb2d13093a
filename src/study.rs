//! What the study examples share: replicating a seeded run with a check, summarising its
//! metrics, and writing the sweep's table as CSV.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vnet_sim::montecarlo::{MonteCarlo, Summary};

/// Runs `run` once per replication on [`MonteCarlo`] (seeds from `master` and the index,
/// results the same whatever the thread count) and summarises each metric. A replication's
/// error (a failed check) is the error, named with its index and seed.
pub fn replicate<F, S>(replications: usize, master: u64, run: F) -> Result<Vec<Summary>, String>
where
    F: Fn(u64) -> Result<Vec<(S, f64)>, String> + Sync,
    S: Into<String>,
{
    MonteCarlo::new(replications.max(1), master)
        .progress(false)
        .try_run(|r| {
            let metrics = run(r.seed)?;
            Ok(metrics.into_iter().map(|(k, v)| (k.into(), v)).collect())
        })
        .map(|runs| runs.summary())
        .map_err(|e| e.to_string())
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
    [format!("{:.6}", s.mean), format!("{:.6}", half_width(s))]
}

/// The half-width of `s`'s 95 % interval, 0 where it is undefined (one value).
pub fn half_width(s: &Summary) -> f64 {
    if s.ci95.is_finite() { s.ci95 } else { 0.0 }
}

/// The master seed of one sweep point: `seed` mixed with the point's coordinates, so that
/// every point draws independently and adding a point shifts no other's draws.
pub fn point_seed(seed: u64, coordinates: &[u64]) -> u64 {
    coordinates.iter().fold(seed, |acc, &c| {
        vnet_sim::rng::derive_seed(acc, vnet_sim::rng::StreamKind::User, c)
    })
}

/// The options every study example takes (`#[command(flatten)]` them into its own).
#[derive(clap::Args, Clone, Debug)]
pub struct StudyArgs {
    /// Replications per point (each example has its own default).
    #[arg(long)]
    pub replications: Option<usize>,
    /// A small sweep, as the tests and CI run it.
    #[arg(long)]
    pub quick: bool,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder for the CSV and PNG files.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
}

/// An example's exit: success, or the error on stderr after the example's name and failure.
pub fn exit_code(example: &str, result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{example}: {e}");
            ExitCode::FAILURE
        }
    }
}
