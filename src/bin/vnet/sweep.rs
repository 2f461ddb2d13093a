//! `vnet sweep`: Monte Carlo over a network file. Every `--set PATH=V1,V2,…` with more than one
//! value is a parameter; the sweep runs every combination (in the order given, the last
//! parameter varying fastest) `--replications` times on the `MonteCarlo` runner. Replication
//! `r` has the same seed at every point (common random numbers: differences between points are
//! the parameter's, not the draw's), and the result does not depend on `--threads`.
//!
//! Writes `runs.csv` (one row per run: the parameters, replication, seed, message counts,
//! events, virtual end, failed workers, and the last value of every record as
//! `node.name`) and `summary.csv` (per point and numeric column: n, mean, sd, 95 % interval).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use clap::Args;
use vnet::sim::montecarlo::{MonteCarlo, Summary as Stat};
use vnet::sim::netfile::Override;
use vnet::sim::{RecordValue, SimTime};

use crate::BadInput;
use crate::summary::Summary;

/// `vnet sweep FILE.json`.
#[derive(Args)]
pub(crate) struct SweepArgs {
    /// The network file.
    file: PathBuf,
    /// A value, or a parameter with its values: `link_defaults.loss=0,0.05,0.1`. Values are
    /// split at commas outside brackets and quotes (`params.list=[1,2]` is one value).
    /// Repeatable; parameters combine.
    #[arg(long = "set", value_name = "PATH=V1,V2,...")]
    sets: Vec<String>,
    /// Runs per parameter point.
    #[arg(long, default_value_t = 10)]
    replications: usize,
    /// Threads (default: every core); the result is the same for any number.
    #[arg(long)]
    threads: Option<usize>,
    /// The master seed replication seeds derive from (default: the file's, else 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Stop each run at this virtual time (default: the file's `run.until`, else when idle).
    #[arg(long)]
    until: Option<String>,
    /// Folder for runs.csv and summary.csv (default: FILE's name + `-sweep`).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Splits `0,0.05,[1,2],"a,b"` at the commas outside brackets and quotes.
pub(crate) fn split_values(text: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quoted) = (Vec::new(), String::new(), 0i32, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

/// One parameter: its path and values, as `--set` texts.
struct Parameter {
    path: String,
    values: Vec<String>,
}

/// What one run left: counts and each record's last value.
struct RunResult {
    summary: Summary,
    records: BTreeMap<String, RecordValue>,
}

/// Runs the sweep.
pub(crate) fn sweep(a: &SweepArgs) -> Result<ExitCode, BadInput> {
    if a.replications == 0 {
        return Err(BadInput("--replications must be at least 1".into()));
    }
    let mut fixed = Vec::new();
    let mut params = Vec::new();
    for s in &a.sets {
        let (path, values) = s
            .split_once('=')
            .ok_or_else(|| BadInput(format!("--set `{s}`: write PATH=V1,V2,...")))?;
        let values = split_values(values);
        if values.len() == 1 {
            fixed.push(crate::run::overrides(std::slice::from_ref(s))?.remove(0));
        } else {
            params.push(Parameter {
                path: path.to_owned(),
                values,
            });
        }
    }
    // Every point: one value of each parameter.
    let mut points: Vec<Vec<usize>> = vec![vec![]];
    for p in &params {
        points = points
            .into_iter()
            .flat_map(|pt| {
                (0..p.values.len()).map(move |i| {
                    let mut next = pt.clone();
                    next.push(i);
                    next
                })
            })
            .collect();
    }
    let sets_of = |pt: &[usize]| -> Result<Vec<Override>, BadInput> {
        let mut sets = fixed.clone();
        for (p, &i) in params.iter().zip(pt) {
            sets.push(
                format!("{}={}", p.path, p.values[i])
                    .parse()
                    .map_err(|e| BadInput(format!("--set {e}")))?,
            );
        }
        Ok(sets)
    };
    // Every point must load: a bad value fails before any run.
    let mut master = None;
    for pt in &points {
        let file = crate::run::load(&a.file, &sets_of(pt)?)?;
        master = master.or(a.seed).or(file.run.seed).or(file.seed);
    }
    let master = master.unwrap_or(0);
    let out = a.out.clone().unwrap_or_else(|| {
        let stem = a
            .file
            .file_stem()
            .map_or("net".into(), |s| s.to_string_lossy());
        PathBuf::from(format!("{stem}-sweep"))
    });
    std::fs::create_dir_all(&out).map_err(|e| BadInput(format!("--out {}: {e}", out.display())))?;

    let t0 = Instant::now();
    let mut all: Vec<(usize, Vec<(u64, RunResult)>)> = Vec::new();
    for (k, pt) in points.iter().enumerate() {
        let label = point_label(&params, pt);
        if !a.quiet && !params.is_empty() {
            eprintln!("vnet sweep: point {}/{}: {label}", k + 1, points.len());
        }
        let sets = sets_of(pt)?;
        let results: Mutex<BTreeMap<usize, (u64, RunResult)>> = Mutex::default();
        let mut mc = MonteCarlo::new(a.replications, master).progress(!a.quiet);
        if let Some(t) = a.threads {
            mc = mc.threads(t);
        }
        mc.try_run(|r| {
            let res = one_run(a, &sets, r.seed)?;
            let mut map = results.lock().map_err(|_| "a run panicked".to_owned())?;
            map.insert(r.index, (r.seed, res));
            Ok(Vec::new())
        })
        .map_err(|e| BadInput(format!("point {label}: {e}")))?;
        let runs = results
            .into_inner()
            .map_err(|_| BadInput("a run panicked".into()))?;
        all.push((k, runs.into_values().collect()));
    }
    write_tables(&out, &params, &points, &all)?;
    let runs = points.len() * a.replications;
    eprintln!(
        "vnet sweep: {runs} runs ({} points × {}) in {:.2} s; wrote {} and {}",
        points.len(),
        a.replications,
        t0.elapsed().as_secs_f64(),
        out.join("runs.csv").display(),
        out.join("summary.csv").display()
    );
    Ok(ExitCode::SUCCESS)
}

fn point_label(params: &[Parameter], pt: &[usize]) -> String {
    if params.is_empty() {
        return "(no parameters)".into();
    }
    params
        .iter()
        .zip(pt)
        .map(|(p, &i)| format!("{}={}", p.path, p.values[i]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Builds and runs the file once with `seed`.
fn one_run(a: &SweepArgs, sets: &[Override], seed: u64) -> Result<RunResult, String> {
    let file = crate::run::load(&a.file, sets).map_err(|e| e.0)?;
    let until = match &a.until {
        Some(t) => Some(SimTime::from_nanos(
            vnet::sim::time::parse_nanos(t).map_err(|e| format!("--until: {e}"))?,
        )),
        None => file.run.until.map(|d| SimTime::ZERO + d),
    };
    crate::run::endless_churn(&file, until).map_err(|e| e.0)?;
    let mut sim = crate::run::build(&file, &a.file, Some(seed)).map_err(|e| e.0)?;
    let t0 = Instant::now();
    let mut events = 0u64;
    while let Some(t) = sim.next_event_time() {
        if until.is_some_and(|u| t > u) {
            break;
        }
        sim.step();
        events += 1;
        if events % 65536 == 0 {
            // Worker output is not kept in a sweep.
            sim.take_logs();
        }
    }
    if let Some(u) = until {
        sim.run_until(u);
    }
    let summary = Summary::of(&sim, seed, events, t0.elapsed().as_secs_f64());
    let mut records = BTreeMap::new();
    for r in sim.results().records() {
        let node = sim.network().node(r.node).map_or("?", |n| n.name());
        records.insert(format!("{node}.{}", r.name), r.value.clone());
    }
    Ok(RunResult { summary, records })
}

/// The counts every run has, as columns.
fn counts(s: &Summary) -> [(&'static str, f64); 8] {
    [
        ("messages_sent", s.sent as f64),
        ("messages_delivered", s.delivered as f64),
        ("dropped_queue_full", s.dropped_queue_full as f64),
        ("dropped_loss", s.dropped_loss as f64),
        ("dropped_link_down", s.dropped_link_down as f64),
        ("events", s.events as f64),
        ("virtual_end_ms", s.virtual_end_ns as f64 / 1e6),
        ("workers_failed", s.failed() as f64),
    ]
}

fn number(v: &RecordValue) -> Option<f64> {
    match v {
        RecordValue::Bool(b) => Some(f64::from(u8::from(*b))),
        other => other.as_f64(),
    }
}

fn write_tables(
    out: &std::path::Path,
    params: &[Parameter],
    points: &[Vec<usize>],
    all: &[(usize, Vec<(u64, RunResult)>)],
) -> Result<(), BadInput> {
    let io = |e: std::io::Error| BadInput(format!("{}: {e}", out.display()));
    // Record columns: every name any run recorded, in name order.
    let mut names: Vec<String> = all
        .iter()
        .flat_map(|(_, runs)| runs.iter().flat_map(|(_, r)| r.records.keys().cloned()))
        .collect();
    names.sort();
    names.dedup();
    let count_names: Vec<&str> = counts(&Summary::default()).iter().map(|c| c.0).collect();

    let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("runs.csv")).map_err(io)?);
    let mut csv = csv::Writer::from_writer(&mut w);
    let mut header: Vec<String> = params.iter().map(|p| p.path.clone()).collect();
    header.extend(["replication".into(), "seed".into()]);
    header.extend(count_names.iter().map(|s| (*s).to_owned()));
    header.extend(names.iter().cloned());
    csv.write_record(&header)
        .map_err(|e| BadInput(e.to_string()))?;
    let mut stats =
        csv::Writer::from_path(out.join("summary.csv")).map_err(|e| BadInput(e.to_string()))?;
    let mut stat_header: Vec<String> = params.iter().map(|p| p.path.clone()).collect();
    stat_header.extend(
        [
            "metric", "n", "mean", "sd", "ci95", "ci_low", "ci_high", "min", "max",
        ]
        .map(String::from),
    );
    stats
        .write_record(&stat_header)
        .map_err(|e| BadInput(e.to_string()))?;
    for (k, runs) in all {
        let pv: Vec<String> = params
            .iter()
            .zip(&points[*k])
            .map(|(p, &i)| p.values[i].clone())
            .collect();
        let mut columns: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (r, (seed, res)) in runs.iter().enumerate() {
            let mut row = pv.clone();
            row.extend([r.to_string(), seed.to_string()]);
            for (name, v) in counts(&res.summary) {
                row.push(v.to_string());
                columns.entry(name.to_owned()).or_default().push(v);
            }
            for name in &names {
                match res.records.get(name) {
                    Some(v) => {
                        row.push(v.to_string());
                        if let Some(x) = number(v) {
                            columns.entry(name.clone()).or_default().push(x);
                        }
                    }
                    None => row.push(String::new()),
                }
            }
            csv.write_record(&row)
                .map_err(|e| BadInput(e.to_string()))?;
        }
        // Records first (they are the results), then the counts, each in name order.
        let order = names
            .iter()
            .cloned()
            .chain(count_names.iter().map(|s| (*s).to_owned()));
        let mut printed = 0;
        for name in order {
            let Some(values) = columns.get(&name) else {
                continue;
            };
            let s = Stat::of(&name, values);
            let mut row = pv.clone();
            row.extend([
                name.clone(),
                s.n.to_string(),
                s.mean.to_string(),
                s.sd.to_string(),
                s.ci95.to_string(),
                (s.mean - s.ci95).to_string(),
                (s.mean + s.ci95).to_string(),
                s.min.to_string(),
                s.max.to_string(),
            ]);
            stats
                .write_record(&row)
                .map_err(|e| BadInput(e.to_string()))?;
            if printed < 12 {
                println!(
                    "{}{name}: {:.6} ± {:.6} (n={})",
                    if pv.is_empty() {
                        String::new()
                    } else {
                        format!("[{}] ", point_label(params, &points[*k]))
                    },
                    s.mean,
                    s.ci95,
                    s.n
                );
                printed += 1;
            }
        }
        if columns.len() > printed {
            println!("… {} more columns in summary.csv", columns.len() - printed);
        }
    }
    csv.flush().map_err(io)?;
    drop(csv);
    w.flush().map_err(io)?;
    stats.flush().map_err(io)?;
    Ok(())
}
