//! mesh16: 16 nodes in a 4×4 mesh grid (the paper's §V experiment 1) flood a message from one
//! corner over realistic links (1 ms, 10 Mb/s, up to 50 µs of jitter). The flooding program
//! runs in Lua by default (`--lang js` for JavaScript, `--lang rust` for the native one); all
//! three give the same first-arrival times.
//!
//! Prints every node's first-arrival time, per-link statistics, and last a line
//! `trace_hash=<hex>`: a hash of the full event trace, equal for equal seeds.
//!
//! `cargo run --release --example mesh16 -- [--lang lua|js|rust] [--seed S] [--loss P] [--trace out.csv|out.jsonl] [--link-stats links.csv]`

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vnet::scenarios::{FloodLang, MeshFlood, mesh_flood};
use vnet::sim::SimDuration;
use vnet::sim::trace::{TraceFormat, TraceSink, WriterTrace};

// JavaScript workers get their memory caps from a metered heap.
#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[derive(Parser)]
#[command(
    about = "Flood from a corner of a 4x4 mesh grid; prints arrivals, link stats and trace_hash"
)]
struct Args {
    /// Language of the flooding program: lua, js or rust.
    #[arg(long, default_value = "lua")]
    lang: FloodLang,
    /// Master seed (link jitter and loss draws derive from it).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Grid rows.
    #[arg(long, default_value_t = 4)]
    rows: usize,
    /// Grid columns.
    #[arg(long, default_value_t = 4)]
    cols: usize,
    /// Maximum uniform jitter per message, in microseconds.
    #[arg(long, default_value_t = 50)]
    jitter_us: u64,
    /// Loss probability per message.
    #[arg(long, default_value_t = 0.0)]
    loss: f64,
    /// Write the full event trace here (CSV, or JSON lines if the name ends in .jsonl).
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Write per-link-direction statistics here as CSV.
    #[arg(long)]
    link_stats: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !(0.0..=1.0).contains(&args.loss) || args.rows == 0 || args.cols == 0 {
        eprintln!("mesh16: --loss must be in [0, 1] and --rows/--cols at least 1");
        return ExitCode::from(2);
    }
    let cfg = MeshFlood {
        rows: args.rows,
        cols: args.cols,
        jitter: SimDuration::from_micros(args.jitter_us),
        loss: args.loss,
        seed: args.seed,
        lang: args.lang,
        ..MeshFlood::default()
    };
    let extra: Option<Box<dyn TraceSink>> = match &args.trace {
        None => None,
        Some(path) => match File::create(path) {
            Ok(f) => {
                let jsonl = path.extension().is_some_and(|e| e == "jsonl");
                let format = if jsonl {
                    TraceFormat::Jsonl
                } else {
                    TraceFormat::Csv
                };
                Some(Box::new(WriterTrace::new(BufWriter::new(f), format)))
            }
            Err(e) => {
                eprintln!("mesh16: cannot create {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
    };

    let report = mesh_flood(&cfg, extra);
    println!(
        "mesh16: {}x{} grid, links {} {}Mb/s jitter<={}us loss={}, flood of {} B from n0 in {:?}, seed {}",
        cfg.rows,
        cfg.cols,
        cfg.latency,
        cfg.bandwidth / 1_000_000,
        args.jitter_us,
        cfg.loss,
        cfg.size,
        cfg.lang,
        cfg.seed
    );
    println!("first arrival (ms):");
    for r in 0..cfg.rows {
        let row: Vec<String> = (0..cfg.cols)
            .map(|c| match report.arrivals[r * cfg.cols + c] {
                Some(t) => format!("{:>9.3}", t.as_millis_f64()),
                None => format!("{:>9}", "-"),
            })
            .collect();
        println!("  {}", row.join(" "));
    }

    let net = report.sim.network();
    println!("links (per direction): sent delivered dropped mean_queue_us");
    let (mut sent, mut delivered, mut dropped) = (0, 0, 0);
    for l in net.links() {
        let ends = l.ends();
        for d in 0..2 {
            let s = l.stats(d);
            let q = if s.sent == 0 {
                0.0
            } else {
                s.queue_delay_total as f64 / s.sent as f64 / 1e3
            };
            println!(
                "  {:>7} -> {:<7} {:>4} {:>9} {:>7} {:>13.1}",
                net.describe(ends[d]),
                net.describe(ends[1 - d]),
                s.sent,
                s.delivered,
                s.dropped(),
                q
            );
            (sent, delivered, dropped) = (
                sent + s.sent,
                delivered + s.delivered,
                dropped + s.dropped(),
            );
        }
    }
    println!(
        "totals: sent={sent} delivered={delivered} dropped={dropped} trace_records={}",
        report.trace_records
    );
    if let Some(path) = &args.link_stats {
        let written = File::create(path)
            .map_err(csv::Error::from)
            .and_then(|f| report.sim.results().write_link_stats_csv(BufWriter::new(f)));
        if let Err(e) = written {
            eprintln!("mesh16: writing {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    println!("trace_hash={:016x}", report.trace_hash);
    for l in report
        .sim
        .results()
        .logs()
        .iter()
        .filter(|l| l.stream == vnet::sim::LogStream::Err)
    {
        eprintln!("mesh16: {}", l.text);
    }
    let unreached = report.arrivals.iter().filter(|a| a.is_none()).count();
    if unreached > 0 && cfg.loss == 0.0 {
        eprintln!("mesh16: {unreached} nodes never got the flood on a lossless network");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
