//! parallel_sweep: how well two threads pay against the window length and the share of events
//! that cross between parts. PHOLD (`vnet::scenarios::phold`, 4096 nodes × 16 events, T =
//! 150 s) with its lookahead — the window length — swept from 5 to 800 ms and its remote
//! fraction from 0 to 1 (on two parts about half the remote events cross). Each point runs
//! alone and on two threads, interleaved, and keeps the median of each (wall time of the run,
//! start-up included, building not); both runs must deliver the same events, or the example
//! exits non-zero.
//!
//! Writes `results/parallel_sweep.csv` (per point: events, windows, events per window, share
//! crossing, both wall times, speedup and efficiency = speedup / 2) and
//! `results/parallel_sweep.png` (speedup against the share of events crossing, one line per
//! lookahead).
//!
//! `cargo run --release --example parallel_sweep -- [--replications R] [--quick] [--out DIR]`

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use vnet::plot::{Series, YAxis, series_chart};
use vnet::scenarios::{PholdShape, phold, phold_events};
use vnet::sim::parallel::{Parallel, Partition};
use vnet::sim::{SimDuration, SimTime};
use vnet::study::{StudyArgs, Table, exit_code};

#[derive(Parser)]
#[command(about = "PHOLD on two threads: speedup against window length and crossing share")]
struct Args {
    #[command(flatten)]
    study: StudyArgs,
}

/// Runs of each kind per point unless `--replications` says otherwise (medians are kept).
const REPLICATIONS: usize = 5;

fn main() -> ExitCode {
    let args = Args::parse();
    exit_code("parallel_sweep", run(&args))
}

/// One point's measurement.
struct Point {
    events: u64,
    windows: u64,
    events_per_window: f64,
    crossing: f64,
    alone_s: f64,
    threads_s: f64,
}

fn run(args: &Args) -> Result<(), String> {
    let quick = args.study.quick;
    let reps = args
        .study
        .replications
        .unwrap_or(if quick { 1 } else { REPLICATIONS });
    let (n, m, t) = if quick {
        (512, 8, 10.0)
    } else {
        (4096, 16, 150.0)
    };
    let lookaheads_ms: &[u64] = if quick {
        &[20, 200]
    } else {
        &[5, 20, 50, 200, 800]
    };
    let remotes: &[f64] = if quick {
        &[0.0, 1.0]
    } else {
        &[0.0, 0.1, 0.5, 1.0]
    };
    let mut table = Table::new(&[
        "lookahead_ms",
        "remote",
        "events",
        "windows",
        "events_per_window",
        "crossing",
        "alone_s",
        "threads_s",
        "speedup",
        "efficiency",
    ]);
    let mut series = Vec::new();
    for &ms in lookaheads_ms {
        let mut points = Vec::new();
        let mut per_window = 0.0;
        for &remote in remotes {
            let shape = PholdShape {
                lookahead: SimDuration::from_millis(ms),
                remote,
            };
            let p = measure(n, m, t, args.study.seed, shape, reps)?;
            let speedup = p.alone_s / p.threads_s;
            println!(
                "lookahead {ms:>3} ms remote {remote:.1}: {} events, {:.0} a window, {:.1} % \
                 crossing; alone {:.3} s, 2 threads {:.3} s: {speedup:.2}x",
                p.events,
                p.events_per_window,
                100.0 * p.crossing,
                p.alone_s,
                p.threads_s
            );
            table.push(vec![
                ms.to_string(),
                format!("{remote}"),
                p.events.to_string(),
                p.windows.to_string(),
                format!("{:.1}", p.events_per_window),
                format!("{:.4}", p.crossing),
                format!("{:.4}", p.alone_s),
                format!("{:.4}", p.threads_s),
                format!("{speedup:.3}"),
                format!("{:.3}", speedup / 2.0),
            ]);
            points.push((100.0 * p.crossing, speedup, 0.0));
            per_window = p.events_per_window;
        }
        series.push(Series {
            label: format!("lookahead {ms} ms ({per_window:.0} events a window)"),
            points,
        });
    }
    let out = &args.study.out;
    table.write(&out.join("parallel_sweep.csv"))?;
    series_chart(
        &out.join("parallel_sweep.png"),
        &format!("PHOLD {n}x{m} on 2 threads: speedup over one thread"),
        ("events crossing to the other part (%)", "speedup"),
        &series,
        YAxis::Linear,
    )?;
    println!(
        "wrote {} and {}",
        out.join("parallel_sweep.csv").display(),
        out.join("parallel_sweep.png").display()
    );
    Ok(())
}

/// Runs one point alone and on two threads, `reps` times each, interleaved; medians.
fn measure(
    n: u32,
    m: u32,
    t: f64,
    seed: u64,
    shape: PholdShape,
    reps: usize,
) -> Result<Point, String> {
    let end = SimTime::from_secs_f64(t);
    let cut = Partition::blocks(n as usize, 2)
        .map_err(|e| e.to_string())?
        .with_direct_delay(shape.lookahead);
    let (mut alone, mut threads) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..reps {
        let mut sim = phold(n, m, seed, shape, |_| true);
        // Start-up (each node scheduling its first events) timed, as the threaded run's
        // first window holds it.
        let clock = Instant::now();
        sim.run_until(end);
        alone.push(clock.elapsed().as_secs_f64());
        let events = phold_events(&sim, n);

        let run = Parallel::new(&cut)
            .until(end)
            .run(
                |r| Ok(phold(n, m, seed, shape, |i| cut.part[i as usize] == r)),
                |_| true,
            )
            .map_err(|e| e.to_string())?;
        let w = &run.stats;
        threads.push(w.wall.as_secs_f64());
        let threaded = phold_events(&run.sim, n);
        if threaded != events {
            return Err(format!(
                "lookahead {} remote {}: {threaded} events on 2 threads, {events} alone",
                shape.lookahead, shape.remote
            ));
        }
        last = Some((
            events,
            w.windows,
            w.events_per_window(),
            w.crossing_fraction(),
        ));
    }
    let (events, windows, events_per_window, crossing) = last.ok_or("no runs")?;
    Ok(Point {
        events,
        windows,
        events_per_window,
        crossing,
        alone_s: median(&mut alone),
        threads_s: median(&mut threads),
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
