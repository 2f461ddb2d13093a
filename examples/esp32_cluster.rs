//! esp32_cluster: the paper's §IV multicomputer — 8 ESP32 boards (host profile `esp32`, Lua)
//! whose interconnect is serial: k parallel 5 Mb/s UARTs (8N1) per board to a crossbar switch.
//! Each board sends frames to every logical neighbour; the run reports throughput and latency
//! for 1 and 2 UARTs per board, for a ring and a complete interconnect, against the line-rate
//! limit (k × 5 Mb/s × 8/10 of frame bytes per board).
//!
//! Writes `results/esp32_cluster.csv` and `results/esp32_cluster.png`.
//!
//! `cargo run --release --example esp32_cluster -- [--rounds R] [--out DIR]`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vnet::plot::{Series, YAxis, series_chart};
use vnet::scenarios::{ClusterRun, esp32_cluster, line_limit_bps};
use vnet::sim::devices::{Interconnect, SwitchConfig};
use vnet::study::Table;

#[derive(Parser)]
#[command(about = "8 ESP32 boards over a UART crossbar: 1 vs 2 links, ring vs complete")]
struct Args {
    /// Frames each board sends to each neighbour.
    #[arg(long, default_value_t = 20)]
    rounds: u32,
    /// Folder for the CSV and PNG.
    #[arg(long, default_value = "results")]
    out: PathBuf,
}

const BOARDS: usize = 8;
const PADS: [usize; 4] = [64, 512, 2048, 4096];

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("esp32_cluster: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<bool, String> {
    let mut table = Table::new(&[
        "interconnect",
        "uarts",
        "payload_pad_bytes",
        "frames_sent",
        "frames_received",
        "completion_ms",
        "rx_mbps_per_board",
        "line_limit_mbps",
        "utilisation",
        "latency_mean_ms",
        "latency_max_ms",
        "switch_dropped",
    ]);
    let mut series = Vec::new();
    let mut all_delivered = true;
    println!("interconnect uarts  pad    rx Mb/s/board  limit  util   latency mean/max ms   lost");
    for ic in [Interconnect::ring(BOARDS), Interconnect::complete(BOARDS)] {
        for lanes in [1, 2] {
            let mut points = Vec::new();
            for pad in PADS {
                let mut switch = SwitchConfig::esp32(ic.clone());
                switch.line.lanes = lanes;
                // Room for a whole round from every neighbour: the exchange measures the lines.
                switch.queue_capacity = args.rounds as usize * BOARDS;
                let limit = line_limit_bps(&switch);
                let r = esp32_cluster(&ClusterRun {
                    switch,
                    rounds: args.rounds,
                    pad,
                    seed: 1,
                })?;
                let rx = r.rx_bps_per_board(BOARDS);
                let lost = r.sent - r.received;
                all_delivered &= lost == 0;
                println!(
                    "{:<12} {lanes:>5} {pad:>5} {:>14.3} {:>6.1} {:>5.1}%  {:>8.2} / {:<8.2} {lost:>5}",
                    ic.name(),
                    rx / 1e6,
                    limit / 1e6,
                    100.0 * rx / limit,
                    r.latency_mean_s * 1e3,
                    r.latency_max_s * 1e3,
                );
                table.push(vec![
                    ic.name().to_owned(),
                    lanes.to_string(),
                    pad.to_string(),
                    r.sent.to_string(),
                    r.received.to_string(),
                    format!("{:.3}", r.completion_s * 1e3),
                    format!("{:.4}", rx / 1e6),
                    format!("{:.1}", limit / 1e6),
                    format!("{:.4}", rx / limit),
                    format!("{:.3}", r.latency_mean_s * 1e3),
                    format!("{:.3}", r.latency_max_s * 1e3),
                    (r.switch.dropped_full + r.switch.dropped_no_route).to_string(),
                ]);
                points.push((pad as f64, rx / 1e6, 0.0));
            }
            series.push(Series {
                label: format!(
                    "{}, {lanes} UART{}",
                    ic.name(),
                    if lanes > 1 { "s" } else { "" }
                ),
                points,
            });
        }
    }
    for lanes in [1u32, 2] {
        let mut s = SwitchConfig::esp32(Interconnect::ring(BOARDS));
        s.line.lanes = lanes;
        let limit = line_limit_bps(&s) / 1e6;
        series.push(Series {
            label: format!(
                "line-rate limit, {lanes} UART{}",
                if lanes > 1 { "s" } else { "" }
            ),
            points: PADS.iter().map(|&p| (p as f64, limit, 0.0)).collect(),
        });
    }
    table.write(&args.out.join("esp32_cluster.csv"))?;
    series_chart(
        &args.out.join("esp32_cluster.png"),
        "8 ESP32 boards over a UART crossbar: received throughput per board",
        ("payload padding (bytes)", "Mb/s of frame bytes per board"),
        &series,
        YAxis::Linear,
    )?;
    println!("wrote {}", args.out.join("esp32_cluster.csv").display());
    Ok(all_delivered)
}
