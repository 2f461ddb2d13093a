//! echo: the echo (wave) algorithm from one node, swept over network shape and size. Each run
//! must cost exactly two messages per link and leave a spanning tree of parent pointers; the
//! example exits non-zero if one does not. Echo needs reliable links, so there is no loss; the
//! geometric graphs change with the seed, hence replications.
//!
//! Writes `results/echo.csv` (per shape and size: links, messages, decision time, tree depth)
//! and `results/echo.png` (decision time against size).
//!
//! `cargo run --release --example echo -- [--replications R] [--quick] [--out DIR]`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vnet::plot::{Series, series_chart};
use vnet::scenarios::algorithms::{NetSpec, Shape, echo};
use vnet::study::{Table, cells, find, replicate};

#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[derive(Parser)]
#[command(about = "The echo algorithm swept over shape and size")]
struct Args {
    /// Replications per point (geometric graphs differ per seed; the others are fixed).
    #[arg(long, default_value_t = 10)]
    replications: usize,
    /// A small sweep, as the tests run it.
    #[arg(long)]
    quick: bool,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Folder for the CSV and PNG.
    #[arg(long, default_value = "results")]
    out: PathBuf,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let (sizes, reps): (&[usize], usize) = if args.quick {
        (&[9, 16], 2)
    } else {
        (&[16, 36, 64, 100, 144], args.replications)
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
            let master = args.seed ^ ((n as u64) << 20) ^ shape as u64;
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
            points.push((
                n as f64,
                t.mean,
                if t.ci95.is_finite() { t.ci95 } else { 0.0 },
            ));
        }
        series.push(Series {
            label: shape.name().into(),
            points,
        });
    }
    table.write(&args.out.join("echo.csv"))?;
    series_chart(
        &args.out.join("echo.png"),
        "Echo: time until the initiator decides (1 ms links)",
        ("nodes", "virtual ms"),
        &series,
        false,
    )?;
    println!("wrote {}", args.out.join("echo.csv").display());
    Ok(())
}
