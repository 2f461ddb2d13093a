//! gossip: push-sum averaging, swept over network shape, size and link loss, with Monte-Carlo
//! replications (the random choice of neighbour and the loss change with the seed). Prints and
//! plots the RMS error of the nodes' estimates round by round. Without loss every run must
//! conserve mass exactly (Σs and Σw constant) and end with less error than it began with; the
//! example exits non-zero if one does not.
//!
//! Writes `results/gossip.csv` (per shape, size, loss and round: RMS error mean ± 95 %) and
//! `results/gossip.png` (log error against rounds).
//!
//! `cargo run --release --example gossip -- [--replications R] [--rounds K] [--quick] [--out DIR]`

use std::process::ExitCode;

use clap::Parser;
use vnet::plot::{Series, YAxis, series_chart};
use vnet::scenarios::algorithms::{Gossip, NetSpec, Shape, gossip};
use vnet::sim::SimDuration;
use vnet::study::{StudyArgs, Table, cells, exit_code, point_seed, replicate};

#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[derive(Parser)]
#[command(about = "Push-sum gossip averaging: error against rounds")]
struct Args {
    #[command(flatten)]
    study: StudyArgs,
    /// Rounds per run.
    #[arg(long, default_value_t = 60)]
    rounds: u32,
}

/// Replications per point unless `--replications` says otherwise.
const REPLICATIONS: usize = 10;

fn main() -> ExitCode {
    let args = Args::parse();
    exit_code("gossip", run(&args))
}

fn run(args: &Args) -> Result<(), String> {
    let (sizes, reps, rounds): (&[usize], usize, u32) = if args.study.quick {
        (&[16], 2, 20)
    } else {
        (
            &[16, 64],
            args.study.replications.unwrap_or(REPLICATIONS),
            args.rounds,
        )
    };
    let losses = [0.0, 0.1];
    let mut table = Table::new(&[
        "shape",
        "n",
        "loss",
        "replications",
        "round",
        "rms_error",
        "rms_error_ci95",
    ]);
    let mut series = Vec::new();
    for shape in Shape::ALL {
        for &n in sizes {
            for (k, &loss) in losses.iter().enumerate() {
                let master = point_seed(args.study.seed, &[shape as u64, n as u64, k as u64]);
                let s = replicate(reps, master, |seed| {
                    let cfg = Gossip {
                        net: NetSpec {
                            loss,
                            seed,
                            ..NetSpec::new(shape, n)
                        },
                        rounds,
                        period: SimDuration::from_millis(10),
                    };
                    let r = gossip(&cfg)?;
                    if loss == 0.0 {
                        r.check(1.0)?;
                    }
                    Ok((0..).map(|k| format!("rms_{k}")).zip(r.rms_error).collect())
                })?;
                let mut points = Vec::new();
                for (r, sum) in s.iter().enumerate() {
                    let mut row = vec![
                        shape.name().into(),
                        n.to_string(),
                        loss.to_string(),
                        reps.to_string(),
                        r.to_string(),
                    ];
                    row.extend(cells(sum));
                    table.push(row);
                    points.push((r as f64, sum.mean, 0.0));
                }
                let last = &s[s.len() - 1];
                println!(
                    "{:<9} n={n:<4} loss={loss:<4} rms error {:.3} → {:.3e} after {rounds} rounds",
                    shape.name(),
                    s[0].mean,
                    last.mean
                );
                if n == *sizes.last().unwrap_or(&n) {
                    series.push(Series {
                        label: format!("{} loss {loss}", shape.name()),
                        points,
                    });
                }
            }
        }
    }
    table.write(&args.study.out.join("gossip.csv"))?;
    let n = sizes.last().copied().unwrap_or(0);
    series_chart(
        &args.study.out.join("gossip.png"),
        &format!("Push-sum gossip: RMS error of the estimates ({n} nodes, mean of {reps} runs)"),
        ("round", "RMS error"),
        &series,
        YAxis::Log,
    )?;
    println!("wrote {}", args.study.out.join("gossip.csv").display());
    Ok(())
}
