//! mesh: the paper's §V experiment 1 — 16 and 8 internal nodes in a 2D mesh grid (`mesh16`:
//! 4×4, `mesh8`: 2×4) — with each VM (Lua, JavaScript) and the native Rust program. Every node
//! starts a series of floods; the run measures messages per second of wall time, the virtual
//! end-to-end latency of every flood at every node, and the VM workers. The virtual results
//! must be the same in every language; the example exits non-zero if they are not.
//!
//! Writes `results/mesh.csv`, `results/mesh.png` (messages/s of wall time and latency
//! quantiles per experiment and language) and `results/mesh_latency.png` (latency CDFs).
//!
//! `cargo run --release --example mesh -- [--floods F] [--repeats R] [--out DIR]`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vnet::plot::{BarPanel, Series, YAxis, log_bar_panels, series_chart};
use vnet::scenarios::{FloodLang, MeshTrafficReport, MeshTrafficRun, mesh_traffic};
use vnet::study::Table;

#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[derive(Parser)]
#[command(about = "mesh16 and mesh8 with each VM: wall-time throughput and virtual latency")]
struct Args {
    /// Floods each node starts (one every 5 ms).
    #[arg(long, default_value_t = 200)]
    floods: u32,
    /// Runs of each case; the wall time is their median.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Folder for the CSV and PNGs.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Run nothing: redraw `OUT/mesh.png` from `OUT/mesh.csv` (the latency CDFs of
    /// `mesh_latency.png` are not in the CSV and are left as they are).
    #[arg(long)]
    replot: bool,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mesh: {e}");
            ExitCode::FAILURE
        }
    }
}

const LANGS: [(FloodLang, &str); 3] = [
    (FloodLang::Lua, "lua"),
    (FloodLang::Js, "js"),
    (FloodLang::Rust, "rust"),
];

fn run(args: &Args) -> Result<(), String> {
    if args.replot {
        let (labels, bars) = read_bars(&args.out.join("mesh.csv"))?;
        return draw_bars(args, &labels, &bars);
    }
    let mut table = Table::new(&[
        "experiment",
        "lang",
        "workers",
        "floods_per_node",
        "messages",
        "wall_s",
        "messages_per_wall_s",
        "latency_mean_ms",
        "latency_p50_ms",
        "latency_p90_ms",
        "latency_p99_ms",
        "latency_max_ms",
        "virtual_end_ms",
    ]);
    let mut labels = Vec::new();
    let mut bars: Vec<(f64, f64, f64, usize)> = Vec::new();
    let mut cdfs = Vec::new();
    for (name, rows, cols) in [("mesh16", 4, 4), ("mesh8", 2, 4)] {
        let mut reference: Option<MeshTrafficReport> = None;
        for (s, &(lang, lang_name)) in LANGS.iter().enumerate() {
            let cfg = MeshTrafficRun {
                floods: args.floods,
                ..MeshTrafficRun::new(rows, cols, lang)
            };
            let runs = (0..args.repeats.max(1))
                .map(|_| mesh_traffic(&cfg))
                .collect::<Result<Vec<_>, _>>()?;
            let mut walls: Vec<f64> = runs.iter().map(|r| r.wall.as_secs_f64()).collect();
            walls.sort_by(f64::total_cmp);
            let wall = walls[walls.len() / 2];
            let r = runs.into_iter().next().ok_or("no run")?;
            if let Some(first) = &reference
                && (first.latencies_ms != r.latencies_ms
                    || first.messages != r.messages
                    || first.end != r.end)
            {
                return Err(format!(
                    "{name}: {lang_name} differs in virtual time from {}",
                    LANGS[0].1
                ));
            }
            let mean = r.latencies_ms.iter().sum::<f64>() / r.latencies_ms.len() as f64;
            let q = |p| r.latency_quantile(p);
            let rate = r.messages as f64 / wall;
            println!(
                "{name} {lang_name:<4} workers={} messages={} wall={:.4} s → {:.0} messages/s; latency p50={:.4} p99={:.4} max={:.4} ms",
                r.workers,
                r.messages,
                wall,
                rate,
                q(0.5),
                q(0.99),
                q(1.0)
            );
            table.push(vec![
                name.into(),
                lang_name.into(),
                r.workers.to_string(),
                args.floods.to_string(),
                r.messages.to_string(),
                format!("{wall:.6}"),
                format!("{rate:.1}"),
                format!("{mean:.6}"),
                format!("{:.6}", q(0.5)),
                format!("{:.6}", q(0.9)),
                format!("{:.6}", q(0.99)),
                format!("{:.6}", q(1.0)),
                format!("{:.6}", r.end.as_millis_f64()),
            ]);
            labels.push(format!("{name} {lang_name}"));
            bars.push((rate, q(0.5), q(0.99), s));
            if reference.is_none() {
                let mut sorted = r.latencies_ms.clone();
                sorted.sort_by(f64::total_cmp);
                let step = (sorted.len() / 200).max(1);
                let points = sorted
                    .iter()
                    .enumerate()
                    .step_by(step)
                    .map(|(i, &v)| (v, (i + 1) as f64 / sorted.len() as f64, 0.0))
                    .collect();
                cdfs.push(Series {
                    label: format!("{name} ({} latencies)", sorted.len()),
                    points,
                });
                reference = Some(r);
            }
        }
    }
    table.write(&args.out.join("mesh.csv"))?;
    draw_bars(args, &labels, &bars)?;
    series_chart(
        &args.out.join("mesh_latency.png"),
        "Virtual end-to-end latency of floods (1 ms links, 10 Mb/s, ≤ 50 µs jitter)",
        ("latency (virtual ms)", "fraction of deliveries"),
        &cdfs,
        YAxis::Linear,
    )?;
    println!("wrote {}", args.out.join("mesh.csv").display());
    Ok(())
}

/// One bar group: messages/s of wall time, latency p50 and p99, and the language's index.
type Bars = (f64, f64, f64, usize);

/// Draws `mesh.png` from the labels and figures.
fn draw_bars(args: &Args, labels: &[String], bars: &[Bars]) -> Result<(), String> {
    let panel = |title, pick: fn(&Bars) -> f64| BarPanel {
        title,
        bars: labels
            .iter()
            .zip(bars)
            .map(|(l, b)| (l.as_str(), pick(b), b.3))
            .collect(),
    };
    log_bar_panels(
        &args.out.join("mesh.png"),
        "Mesh grids of internal nodes (paper §V): throughput and virtual latency",
        &[
            panel("messages / s of wall time", |b| b.0),
            panel("latency p50 (virtual ms)", |b| b.1),
            panel("latency p99 (virtual ms)", |b| b.2),
        ],
        &["Lua 5.4", "JavaScript (boa)", "Rust (native)"],
        1,
    )
}

/// The bars of a `mesh.csv` written before.
fn read_bars(path: &std::path::Path) -> Result<(Vec<String>, Vec<Bars>), String> {
    let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut reader = csv::Reader::from_path(path).map_err(|e| at(&e))?;
    let (mut labels, mut bars) = (Vec::new(), Vec::new());
    for (i, record) in reader.records().enumerate() {
        let r = record.map_err(|e| at(&e))?;
        let num = |k: usize| -> Result<f64, String> {
            let v = r.get(k).unwrap_or("");
            v.parse()
                .map_err(|e| at(&format!("row {}, column {}: `{v}`: {e}", i + 2, k + 1)))
        };
        let (name, lang) = (r.get(0).unwrap_or(""), r.get(1).unwrap_or(""));
        let series = LANGS
            .iter()
            .position(|l| l.1 == lang)
            .ok_or_else(|| at(&format!("row {}: unknown language `{lang}`", i + 2)))?;
        labels.push(format!("{name} {lang}"));
        bars.push((num(6)?, num(8)?, num(10)?, series));
    }
    Ok((labels, bars))
}
