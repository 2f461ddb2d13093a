//! faults: leader election under node churn — how long the nodes take to agree on a leader
//! again after a crash or a restart, against the mean time between failures (MTBF) and to
//! repair (MTTR), with 95 % intervals over Monte Carlo replications.
//!
//! Runs the network file `examples/networks/leader_churn/leader.json` (a 4×4 grid, heartbeats
//! flooded every 200 ms, leader = the largest id heard within 700 ms, every node churning with
//! exponential up and down times) with `faults.0.mtbf` and `faults.0.mttr` set per point, as
//! `vnet run --set` would. Measured by `vnet::scenarios::leader_churn` from the fault log and
//! the `leader` records. Writes `results/faults.csv`, `results/faults.png` (time to agree
//! again) and `results/faults_agreement.png` (fraction of time in agreement).
//!
//! `cargo run --release --example faults -- [--replications R] [--quick] [--out DIR]`

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use vnet::plot::{Series, YAxis, series_chart};
use vnet::scenarios::leader_churn;
use vnet::sim::SimTime;
use vnet::sim::netfile::Override;
use vnet::study::{StudyArgs, Table, cells, exit_code, find, point_seed, replicate};

#[derive(Parser)]
#[command(about = "Leader election under node churn: time to agree again against MTBF and MTTR")]
struct Args {
    #[command(flatten)]
    study: StudyArgs,
}

/// Replications per point unless `--replications` says otherwise.
const REPLICATIONS: usize = 20;

fn main() -> ExitCode {
    let args = Args::parse();
    exit_code("faults", run(&args))
}

fn run(args: &Args) -> Result<(), String> {
    let quick = args.study.quick;
    let reps = if quick {
        2
    } else {
        args.study.replications.unwrap_or(REPLICATIONS)
    };
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/networks/leader_churn/leader.json");
    let mtbfs: &[u64] = if quick {
        &[10, 40]
    } else {
        &[5, 10, 20, 40, 80]
    };
    let mttrs: &[u64] = if quick { &[2] } else { &[1, 4] };
    let mut table = Table::new(&[
        "mtbf_s",
        "mttr_s",
        "replications",
        "faults",
        "faults_ci95",
        "reagree_ms",
        "reagree_ms_ci95",
        "reagree_max_ms",
        "reagree_max_ms_ci95",
        "error_rate",
        "error_rate_ci95",
        "agreement",
        "agreement_ci95",
    ]);
    let (mut times, mut agreement) = (Vec::new(), Vec::new());
    for &mttr in mttrs {
        let (mut t_points, mut a_points) = (Vec::new(), Vec::new());
        for &mtbf in mtbfs {
            let sets: Vec<Override> = [
                format!("faults.0.mtbf={mtbf}s"),
                format!("faults.0.mttr={mttr}s"),
            ]
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()?;
            let seed = point_seed(args.study.seed, &[mtbf, mttr]);
            let s = replicate(reps, seed, |seed| {
                let r = leader_churn(&file, &sets, seed, SimTime::from_secs(2))?;
                if r.faults == 0 {
                    return Err(format!("mtbf {mtbf} s: no fault in the run"));
                }
                // The algorithm's correctness condition: agreement comes back after every
                // fault but those too close to the run's end (at most a few of hundreds).
                if r.faults - r.reagreed > 3 {
                    return Err(format!(
                        "mtbf {mtbf} s mttr {mttr} s seed {seed}: no agreement after {} of {} faults",
                        r.faults - r.reagreed,
                        r.faults
                    ));
                }
                Ok(vec![
                    ("faults", r.faults as f64),
                    ("reagree_ms", r.reagree_ms),
                    ("reagree_max_ms", r.reagree_max_ms),
                    ("error_rate", r.error_rate()),
                    ("agreement", r.agreement),
                ])
            })?;
            let (f, t, m, e, a) = (
                find(&s, "faults"),
                find(&s, "reagree_ms"),
                find(&s, "reagree_max_ms"),
                find(&s, "error_rate"),
                find(&s, "agreement"),
            );
            println!(
                "mtbf={mtbf:>3} s mttr={mttr} s: faults={:>6.1} time to agree again={:>6.1}±{:<5.1} ms \
                 (max {:>6.1}) errors={:.3} agreement={:.4}±{:.4}",
                f.mean, t.mean, t.ci95, m.mean, e.mean, a.mean, a.ci95
            );
            let mut row = vec![mtbf.to_string(), mttr.to_string(), reps.to_string()];
            for x in [f, t, m, e, a] {
                row.extend(cells(x));
            }
            table.push(row);
            t_points.push((mtbf as f64, t.mean, t.ci95));
            a_points.push((mtbf as f64, a.mean, a.ci95));
        }
        times.push(Series {
            label: format!("MTTR {mttr} s"),
            points: t_points,
        });
        agreement.push(Series {
            label: format!("MTTR {mttr} s"),
            points: a_points,
        });
    }
    let out = &args.study.out;
    table.write(&out.join("faults.csv"))?;
    series_chart(
        &out.join("faults.png"),
        "Leader election under churn, 4x4 Lua grid: time to agree again",
        ("MTBF per node (s)", "mean time to agree again (ms)"),
        &times,
        YAxis::Linear,
    )?;
    series_chart(
        &out.join("faults_agreement.png"),
        "Leader election under churn: time all up nodes agree",
        ("MTBF per node (s)", "fraction of time in agreement"),
        &agreement,
        YAxis::Fraction,
    )?;
    println!("wrote {}", out.join("faults.csv").display());
    Ok(())
}
