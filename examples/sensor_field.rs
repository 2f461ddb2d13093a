//! sensor_field: an 8×8 grid of temperature sensors estimates the mean of a noisy field
//! in-network (Lua programs, convergecast to a sink); Monte Carlo over the sensor noise.
//!
//! For each noise level σ it runs R replications in parallel (independent seeds, the same
//! seeds at every level) and measures the sink's absolute error. It prints one line per level
//! and, for σ = 1 °C, `estimate_error_mean=X ci95=±Y replications=R`; it writes
//! `results/sensor_field.csv` (a row per run), `results/sensor_field_summary.csv` and the plot
//! `results/sensor_field.png` (error against noise, with the theory σ·√(2/πN)).
//!
//! `cargo run --release --example sensor_field -- [--replications R] [--seed S] [--threads T]`

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vnet::plot::{ErrorBars, Line, error_bar_chart};
use vnet::scenarios::{SensorField, sensor_field};
use vnet::sim::montecarlo::{MonteCarlo, Summary};

#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[derive(Parser)]
#[command(about = "Monte Carlo of in-network estimation over a noisy sensor field")]
struct Args {
    /// Replications per noise level.
    #[arg(long, default_value_t = 100)]
    replications: usize,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (default: all cores; the results do not depend on it).
    #[arg(long)]
    threads: Option<usize>,
    /// Folder for the CSV files and the plot.
    #[arg(long, default_value = "results")]
    out: PathBuf,
}

/// Noise levels (°C); the headline figure is at 1.
const LEVELS: [f64; 5] = [0.25, 0.5, 1.0, 2.0, 4.0];
const METRICS: [&str; 5] = ["estimate", "truth", "error", "abs_error", "samples"];

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sensor_field: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let mut rows = String::from("noise_sigma,replication,seed,");
    rows.push_str(&METRICS.join(","));
    rows.push('\n');
    let mut summary =
        String::from("noise_sigma,replications,abs_error_mean,ci95,sd,min,max,samples_mean\n");
    let (mut measured, mut theory) = (Vec::new(), Vec::new());
    let mut headline = None;
    for sigma in LEVELS {
        let mut mc = MonteCarlo::new(args.replications, args.seed);
        if let Some(t) = args.threads {
            mc = mc.threads(t);
        }
        let runs = mc
            .run(|r| {
                let p = SensorField {
                    noise_sigma: sigma,
                    seed: r.seed,
                    ..SensorField::default()
                };
                // A failed run is a bug in the scenario: the runner reports it by replication.
                let rep = sensor_field(&p).unwrap_or_else(|e| panic!("{e}"));
                let values = [
                    rep.estimate,
                    rep.truth,
                    rep.error(),
                    rep.error().abs(),
                    rep.samples as f64,
                ];
                METRICS.iter().map(|m| m.to_string()).zip(values).collect()
            })
            .map_err(|e| format!("σ = {sigma}: {e}"))?;
        for (r, values) in &runs.rows {
            let values: Vec<String> = values.iter().map(f64::to_string).collect();
            let _ = writeln!(rows, "{sigma},{},{},{}", r.index, r.seed, values.join(","));
        }
        let abs = Summary::of("abs_error", &runs.metric("abs_error").unwrap_or_default());
        let samples = Summary::of("samples", &runs.metric("samples").unwrap_or_default());
        let _ = writeln!(
            summary,
            "{sigma},{},{},{},{},{},{},{}",
            abs.n, abs.mean, abs.ci95, abs.sd, abs.min, abs.max, samples.mean
        );
        // The mean of N readings with Gaussian noise σ is off by |N(0, σ²/N)|, whose mean is
        // σ·√(2/(πN)) (quantization and dropouts change it little).
        let expected = sigma * (2.0 / (std::f64::consts::PI * samples.mean)).sqrt();
        println!(
            "noise_sigma={sigma} abs_error_mean={:.5} ci95=±{:.5} theory={expected:.5} samples_mean={:.1}",
            abs.mean, abs.ci95, samples.mean
        );
        measured.push((sigma, abs.mean, abs.ci95));
        theory.push((sigma, expected));
        if sigma == 1.0 {
            headline = Some(abs);
        }
    }
    let write = |name: &str, text: &str| {
        let path = args.out.join(name);
        std::fs::create_dir_all(&args.out)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    write("sensor_field.csv", &rows)?;
    write("sensor_field_summary.csv", &summary)?;
    error_bar_chart(
        &args.out.join("sensor_field.png"),
        "8x8 sensor field: error of the in-network mean",
        (
            "sensor noise sigma (degC)",
            "mean |estimate - truth| (degC)",
        ),
        &ErrorBars {
            label: &format!("measured, 95% CI ({} runs each)", args.replications),
            points: &measured,
        },
        &[Line {
            label: "theory sigma*sqrt(2/(pi N))",
            points: &theory,
        }],
    )?;
    if let Some(h) = headline {
        println!(
            "estimate_error_mean={:.5} ci95=±{:.5} replications={}",
            h.mean, h.ci95, h.n
        );
    }
    Ok(())
}
