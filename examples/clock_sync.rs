//! clock_sync: tree clock synchronisation (two-way exchanges down a tree from the root, in the
//! manner of TPSN), swept over network shape, size and link jitter, with Monte-Carlo
//! replications (clock offsets, drifts and jitter draws change with the seed). Reports each
//! node's clock error against its depth in the tree. Every node must end within the bound
//! `depth·(jitter + a reply's serialization) + drift·t` of true time; the example exits
//! non-zero if one does not.
//!
//! Writes `results/clock_sync.csv` (per shape, size, jitter: max error, and mean |error| by
//! depth) and `results/clock_sync.png` (mean |error| against depth for each jitter).
//!
//! `cargo run --release --example clock_sync -- [--replications R] [--quick] [--out DIR]`

use std::process::ExitCode;

use clap::Parser;
use vnet::plot::{Series, YAxis, series_chart};
use vnet::scenarios::algorithms::{ClockSync, NetSpec, Shape, clock_sync};
use vnet::sim::SimDuration;
use vnet::study::{StudyArgs, Table, cells, exit_code, find, half_width, point_seed, replicate};

#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[derive(Parser)]
#[command(about = "Tree clock synchronisation: error against depth and jitter")]
struct Args {
    #[command(flatten)]
    study: StudyArgs,
}

/// Replications per point unless `--replications` says otherwise.
const REPLICATIONS: usize = 10;

fn main() -> ExitCode {
    let args = Args::parse();
    exit_code("clock_sync", run(&args))
}

/// Depths reported (deeper nodes are folded into the last).
const DEPTHS: usize = 12;

/// The metric of mean |error| at depth `i + 1`.
fn depth_metric(i: usize) -> String {
    format!("err_d{}", i + 1)
}

fn run(args: &Args) -> Result<(), String> {
    let (sizes, reps): (&[usize], usize) = if args.study.quick {
        (&[16], 2)
    } else {
        (&[16, 64], args.study.replications.unwrap_or(REPLICATIONS))
    };
    let jitters_us = [0u64, 50, 200];
    let mut table = Table::new(&[
        "shape",
        "n",
        "jitter_us",
        "replications",
        "depth",
        "mean_abs_error_ms",
        "mean_abs_error_ms_ci95",
        "max_error_ms",
        "max_error_ms_ci95",
    ]);
    let mut series = Vec::new();
    for shape in Shape::ALL {
        for &n in sizes {
            for (k, &jitter) in jitters_us.iter().enumerate() {
                let master = point_seed(args.study.seed, &[shape as u64, n as u64, k as u64]);
                let s = replicate(reps, master, |seed| {
                    let net = NetSpec {
                        jitter: SimDuration::from_micros(jitter),
                        seed,
                        ..NetSpec::new(shape, n)
                    };
                    let cfg = ClockSync::new(net);
                    let r = clock_sync(&cfg)?;
                    r.check(&cfg)?;
                    // Mean |error| per depth in this run (NaN-free: 0 where no node is that deep).
                    let (mut sum, mut count) = ([0.0; DEPTHS], [0usize; DEPTHS]);
                    for &(d, e) in r.nodes_error.iter().flatten().filter(|e| e.0 > 0) {
                        let i = (d - 1).min(DEPTHS - 1);
                        sum[i] += e.abs();
                        count[i] += 1;
                    }
                    let mut m = vec![("max_error_ms".to_owned(), r.max_error_ms())];
                    m.extend((0..DEPTHS).map(|i| {
                        (
                            depth_metric(i),
                            if count[i] > 0 {
                                sum[i] / count[i] as f64
                            } else {
                                -1.0
                            },
                        )
                    }));
                    Ok(m)
                })?;
                let max = find(&s, "max_error_ms");
                println!(
                    "{:<9} n={n:<4} jitter={jitter:>3} µs max |error| = {:.4} ms (mean over {reps} runs)",
                    shape.name(),
                    max.mean
                );
                let mut points = Vec::new();
                for i in 0..DEPTHS {
                    let d = find(&s, &depth_metric(i));
                    // A depth no run reached is -1 in every run; a depth some runs lack is
                    // left out rather than averaged with the marker.
                    if d.min < 0.0 {
                        continue;
                    }
                    let mut row = vec![
                        shape.name().into(),
                        n.to_string(),
                        jitter.to_string(),
                        reps.to_string(),
                        (i + 1).to_string(),
                    ];
                    row.extend(cells(d).into_iter().chain(cells(max)));
                    table.push(row);
                    points.push((i as f64 + 1.0, d.mean, half_width(d)));
                }
                if shape == Shape::Grid && n == *sizes.last().unwrap_or(&n) {
                    series.push(Series {
                        label: format!("jitter {jitter} µs"),
                        points,
                    });
                }
            }
        }
    }
    table.write(&args.study.out.join("clock_sync.csv"))?;
    let n = sizes.last().copied().unwrap_or(0);
    series_chart(
        &args.study.out.join("clock_sync.png"),
        &format!("Clock sync on a {n}-node grid: mean |error| at 1 s by tree depth ({reps} runs)"),
        (
            "depth in the synchronisation tree (hops)",
            "mean |clock error| (ms)",
        ),
        &series,
        YAxis::Linear,
    )?;
    println!("wrote {}", args.study.out.join("clock_sync.csv").display());
    Ok(())
}
