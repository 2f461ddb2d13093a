//! echo: the echo (wave) algorithm from one node, swept over network shape and size. Each run
//! must cost exactly two messages per link and leave a spanning tree of parent pointers; the
//! example exits non-zero if one does not. Echo needs reliable links, so there is no loss; the
//! geometric graphs change with the seed, hence replications.
//!
//! Writes `results/echo.csv` (per shape and size: links, messages, decision time, tree depth)
//! and `results/echo.png` (decision time against size).
//!
//! `cargo run --release --example echo -- [--replications R] [--quick] [--out DIR]`

use std::process::ExitCode;

use clap::Parser;
use vnet::plot::{Series, YAxis, series_chart};
use vnet::scenarios::algorithms::{NetSpec, Shape, echo};
use vnet::study::{StudyArgs, Table, cells, exit_code, find, half_width, point_seed, replicate};

#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[derive(Parser)]
#[command(about = "The echo algorithm swept over shape and size")]
struct Args {
    #[command(flatten)]
    study: StudyArgs,
}

/// Replications per point unless `--replications` says otherwise.
const REPLICATIONS: usize = 10;

fn main() -> ExitCode {
    let args = Args::parse();
    exit_code("echo", run(&args))
}

fn run(args: &Args) -> Result<(), String> {
    let (sizes, reps): (&[usize], usize) = if args.study.quick {
        (&[9, 16], 2)
    } else {
        (
            &[16, 36, 64, 100, 144],
            args.study.replications.unwrap_or(REPLICATIONS),
        )
    };
    let mut table = Table::new(&[
        "shape",
        "n",
        "replications",
        "edges",
        "messages",
        "decided_ms",
        "decided_ms_ci95",
        "depth",
        "depth_ci95",
    ]);
    let mut series = Vec::new();
    for shape in Shape::ALL {
        let reps = if shape == Shape::Geometric { reps } else { 1 };
        let mut points = Vec::new();
        for &n in sizes {
            let master = point_seed(args.study.seed, &[shape as u64, n as u64]);
            let s = replicate(reps, master, |seed| {
                let r = echo(&NetSpec {
                    seed,
                    ..NetSpec::new(shape, n)
                })?;
                r.check()?;
                Ok(vec![
                    ("edges", r.edges as f64),
                    ("messages", r.messages as f64),
                    ("decided_ms", r.decided_ms.unwrap_or(f64::NAN)),
                    ("depth", r.depth as f64),
                ])
            })?;
            let (e, m, t, d) = (
                find(&s, "edges"),
                find(&s, "messages"),
                find(&s, "decided_ms"),
                find(&s, "depth"),
            );
            println!(
                "{:<9} n={n:<4} links={:>7.1} messages={:>7.1} decided={:.3} ms depth={:.1}",
                shape.name(),
                e.mean,
                m.mean,
                t.mean,
                d.mean
            );
            let mut row = vec![shape.name().into(), n.to_string(), reps.to_string()];
            row.extend([format!("{:.1}", e.mean), format!("{:.1}", m.mean)]);
            row.extend(cells(t).into_iter().chain(cells(d)));
            table.push(row);
            points.push((n as f64, t.mean, half_width(t)));
        }
        series.push(Series {
            label: shape.name().into(),
            points,
        });
    }
    table.write(&args.study.out.join("echo.csv"))?;
    series_chart(
        &args.study.out.join("echo.png"),
        "Echo: time until the initiator decides (1 ms links)",
        ("nodes", "virtual ms"),
        &series,
        YAxis::Linear,
    )?;
    println!("wrote {}", args.study.out.join("echo.csv").display());
    Ok(())
}
