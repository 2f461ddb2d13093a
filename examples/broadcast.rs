//! broadcast: flooding from one node, swept over network shape, size and link loss, with
//! Monte-Carlo replications (loss draws and geometric layouts change with the seed).
//!
//! Without loss every run must reach every node with exactly `2|E| − (n − 1)` messages; the
//! example exits non-zero if one does not. Writes `results/broadcast.csv` (a row per shape, size
//! and loss: messages, coverage and completion time, each mean ± 95 %) and
//! `results/broadcast.png` (coverage against loss at the largest size).
//!
//! `cargo run --release --example broadcast -- [--replications R] [--quick] [--out DIR]`

use std::process::ExitCode;

use clap::Parser;
use vnet::plot::{Series, YAxis, series_chart};
use vnet::scenarios::algorithms::{NetSpec, Shape, broadcast};
use vnet::study::{StudyArgs, Table, cells, exit_code, find, half_width, point_seed, replicate};

#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[derive(Parser)]
#[command(about = "Flooding swept over shape, size and loss")]
struct Args {
    #[command(flatten)]
    study: StudyArgs,
}

/// Replications per point unless `--replications` says otherwise.
const REPLICATIONS: usize = 20;

fn main() -> ExitCode {
    let args = Args::parse();
    exit_code("broadcast", run(&args))
}

fn run(args: &Args) -> Result<(), String> {
    let (sizes, reps): (&[usize], usize) = if args.study.quick {
        (&[9, 16], 3)
    } else {
        (
            &[16, 36, 64, 100],
            args.study.replications.unwrap_or(REPLICATIONS),
        )
    };
    let losses = [0.0, 0.05, 0.1, 0.2, 0.3];
    let mut table = Table::new(&[
        "shape",
        "n",
        "edges",
        "loss",
        "replications",
        "messages",
        "messages_ci95",
        "coverage",
        "coverage_ci95",
        "completion_ms",
        "completion_ms_ci95",
    ]);
    let mut series = Vec::new();
    for shape in Shape::ALL {
        let mut points = Vec::new();
        for &n in sizes {
            for (k, &loss) in losses.iter().enumerate() {
                let master = point_seed(args.study.seed, &[shape as u64, n as u64, k as u64]);
                let s = replicate(reps, master, |seed| {
                    let net = NetSpec {
                        loss,
                        seed,
                        ..NetSpec::new(shape, n)
                    };
                    let r = broadcast(&net, 100)?;
                    r.check(loss == 0.0)?;
                    Ok(vec![
                        ("edges", r.edges as f64),
                        ("messages", r.messages as f64),
                        ("coverage", r.coverage()),
                        ("completion_ms", r.completion_ms),
                    ])
                })?;
                let (m, c, t) = (
                    find(&s, "messages"),
                    find(&s, "coverage"),
                    find(&s, "completion_ms"),
                );
                let mut row = vec![
                    shape.name().into(),
                    n.to_string(),
                    format!("{:.1}", find(&s, "edges").mean),
                ];
                row.extend([loss.to_string(), reps.to_string()]);
                row.extend(cells(m).into_iter().chain(cells(c)).chain(cells(t)));
                println!(
                    "{:<9} n={n:<4} loss={loss:<4} messages={:>8.1} coverage={:.3}±{:.3} completion={:.3} ms",
                    shape.name(),
                    m.mean,
                    c.mean,
                    c.ci95.max(0.0),
                    t.mean
                );
                table.push(row);
                if n == *sizes.last().unwrap_or(&n) {
                    points.push((loss, c.mean, half_width(c)));
                }
            }
        }
        series.push(Series {
            label: shape.name().into(),
            points,
        });
    }
    table.write(&args.study.out.join("broadcast.csv"))?;
    let n = sizes.last().copied().unwrap_or(0);
    series_chart(
        &args.study.out.join("broadcast.png"),
        &format!("Flooding: coverage vs link loss ({n} nodes, {reps} replications, 95 % CI)"),
        ("loss probability per message", "fraction of nodes reached"),
        &series,
        YAxis::Fraction,
    )?;
    println!("wrote {}", args.study.out.join("broadcast.csv").display());
    Ok(())
}
