//! Monte-Carlo replications: run a scenario R times with independent seeds, in parallel, and
//! summarise what it measured.
//!
//! Replication `i` gets the seed [`replication_seed`]`(master, i)`, whatever thread runs it, and
//! results come back in index order, so a run is identical with one thread or many. Each
//! replication builds its own [`Simulation`](crate::Simulation) on the thread that runs it
//! (simulations with VM workers stay on one thread).
//!
//! ```
//! use vnet_sim::montecarlo::MonteCarlo;
//! use rand::{RngExt, SeedableRng};
//!
//! let runs = MonteCarlo::new(50, 7).progress(false).run(|r| {
//!     let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(r.seed);
//!     vec![("u".to_owned(), rng.random::<f64>())]
//! }).unwrap();
//! let s = &runs.summary()[0];
//! assert!((s.mean - 0.5).abs() < 3.0 * s.ci95);
//! ```

mod summary;

pub use summary::{Summary, t_975};

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;

/// One replication: its index and the seed derived for it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Replication {
    /// 0-based index.
    pub index: usize,
    /// The seed the scenario must draw everything from.
    pub seed: u64,
}

/// What a scenario measured in one run: named values, the same names in the same order in
/// every run.
pub type Metrics = Vec<(String, f64)>;

/// The seed of replication `index` under `master`.
pub fn replication_seed(master: u64, index: usize) -> u64 {
    crate::rng::derive_seed(master, crate::rng::StreamKind::Replication, index as u64)
}

/// What went wrong in a replicated run.
#[derive(Debug, thiserror::Error)]
pub enum MonteCarloError {
    /// A replication reported other metrics than the first one.
    #[error("replication {index} (seed {seed}) reported metrics {got:?}, not {expected:?}")]
    MetricsDiffer {
        /// The replication.
        index: usize,
        /// Its seed.
        seed: u64,
        /// The first replication's names.
        expected: Vec<String>,
        /// This one's.
        got: Vec<String>,
    },
    /// A replication panicked.
    #[error("replication {index} (seed {seed}) panicked: {message}")]
    Panicked {
        /// The replication.
        index: usize,
        /// Its seed.
        seed: u64,
        /// The panic's message.
        message: String,
    },
    /// A replication reported a failure (a check it makes on its own run).
    #[error("replication {index} (seed {seed}): {message}")]
    Failed {
        /// The replication.
        index: usize,
        /// Its seed.
        seed: u64,
        /// What the scenario said.
        message: String,
    },
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    Pool(String),
    /// Nothing to run.
    #[error("no replications")]
    Empty,
}

/// A replicated experiment: how many runs, from which master seed, on how many threads.
#[derive(Clone, Debug)]
pub struct MonteCarlo {
    replications: usize,
    master_seed: u64,
    threads: Option<usize>,
    progress: bool,
}

impl MonteCarlo {
    /// `replications` runs seeded from `master_seed`, on all cores, with a progress bar on a
    /// terminal.
    pub fn new(replications: usize, master_seed: u64) -> Self {
        MonteCarlo {
            replications,
            master_seed,
            threads: None,
            progress: true,
        }
    }

    /// Runs on `n` threads (the result does not depend on it).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n.max(1));
        self
    }

    /// Shows a progress bar on standard error (only when it is a terminal).
    pub fn progress(mut self, show: bool) -> Self {
        self.progress = show;
        self
    }

    /// Runs `scenario` once per replication and collects what it measured.
    pub fn run<F>(&self, scenario: F) -> Result<Runs, MonteCarloError>
    where
        F: Fn(Replication) -> Metrics + Sync,
    {
        self.try_run(|r| Ok(scenario(r)))
    }

    /// [`run`](Self::run) for a scenario that can fail (say, a correctness check on its own
    /// run): the first failing replication, in index order, is the error.
    pub fn try_run<F>(&self, scenario: F) -> Result<Runs, MonteCarloError>
    where
        F: Fn(Replication) -> Result<Metrics, String> + Sync,
    {
        if self.replications == 0 {
            return Err(MonteCarloError::Empty);
        }
        let bar = if self.progress {
            indicatif::ProgressBar::new(self.replications as u64).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} replications, {elapsed} ({eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            )
        } else {
            indicatif::ProgressBar::hidden()
        };
        let one = |index: usize| {
            let r = Replication {
                index,
                seed: replication_seed(self.master_seed, index),
            };
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scenario(r)));
            bar.inc(1);
            (r, out)
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads.unwrap_or(0))
            .build()
            .map_err(|e| MonteCarloError::Pool(e.to_string()))?;
        let results: Vec<_> =
            pool.install(|| (0..self.replications).into_par_iter().map(one).collect());
        bar.finish_and_clear();
        let mut names: Option<Vec<String>> = None;
        let mut rows = Vec::with_capacity(results.len());
        for (r, out) in results {
            let metrics = out
                .map_err(|p| MonteCarloError::Panicked {
                    index: r.index,
                    seed: r.seed,
                    message: p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default(),
                })?
                .map_err(|message| MonteCarloError::Failed {
                    index: r.index,
                    seed: r.seed,
                    message,
                })?;
            let got: Vec<String> = metrics.iter().map(|(n, _)| n.clone()).collect();
            let expected = names.get_or_insert_with(|| got.clone());
            if *expected != got {
                return Err(MonteCarloError::MetricsDiffer {
                    index: r.index,
                    seed: r.seed,
                    expected: expected.clone(),
                    got,
                });
            }
            rows.push((r, metrics.into_iter().map(|(_, v)| v).collect()));
        }
        Ok(Runs {
            names: names.unwrap_or_default(),
            rows,
        })
    }
}

/// The replications' measurements, in index order.
#[derive(Clone, Debug, PartialEq)]
pub struct Runs {
    /// Metric names, in column order.
    pub names: Vec<String>,
    /// Each replication and its values (in `names` order).
    pub rows: Vec<(Replication, Vec<f64>)>,
}

impl Runs {
    /// Every replication's value of metric `name`.
    pub fn metric(&self, name: &str) -> Option<Vec<f64>> {
        let i = self.names.iter().position(|n| n == name)?;
        Some(self.rows.iter().map(|(_, v)| v[i]).collect())
    }

    /// One [`Summary`] per metric.
    pub fn summary(&self) -> Vec<Summary> {
        self.names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let values: Vec<f64> = self.rows.iter().map(|(_, v)| v[i]).collect();
                Summary::of(n, &values)
            })
            .collect()
    }

    /// Writes one row per replication: `replication,seed,<metrics…>`.
    pub fn write_csv(&self, path: &Path) -> std::io::Result<()> {
        let mut w = create(path)?;
        writeln!(w, "replication,seed,{}", self.names.join(","))?;
        for (r, values) in &self.rows {
            let values: Vec<String> = values.iter().map(f64::to_string).collect();
            writeln!(w, "{},{},{}", r.index, r.seed, values.join(","))?;
        }
        w.flush()
    }

    /// Writes one row per metric: `metric,n,mean,sd,ci95,ci_low,ci_high,min,max`.
    pub fn write_summary_csv(&self, path: &Path) -> std::io::Result<()> {
        let mut w = create(path)?;
        writeln!(w, "metric,n,mean,sd,ci95,ci_low,ci_high,min,max")?;
        for s in self.summary() {
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{}",
                s.name,
                s.n,
                s.mean,
                s.sd,
                s.ci95,
                s.mean - s.ci95,
                s.mean + s.ci95,
                s.min,
                s.max
            )?;
        }
        w.flush()
    }
}

fn create(path: &Path) -> std::io::Result<std::io::BufWriter<std::fs::File>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    Ok(std::io::BufWriter::new(std::fs::File::create(path)?))
}

#[cfg(test)]
mod tests;
