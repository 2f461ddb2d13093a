//! `vnet run`: build a network file's simulation, run it with live output, write the outputs,
//! and summarise.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use vnet::sim::netfile::{NetworkFile, Override};
use vnet::sim::vm::VmConfig;
use vnet::sim::{SimTime, Simulation};

use crate::BadInput;
use crate::live::Live;
use crate::outputs::{OutputPaths, Outputs, Requested};
use crate::summary::Summary;

/// `vnet run FILE.json`.
#[derive(Args)]
pub(crate) struct RunArgs {
    /// The network file.
    file: PathBuf,
    /// Stop at this virtual time (`10s`, `500ms`); default: the file's `run.until`, else when
    /// nothing is left to do.
    #[arg(long)]
    until: Option<String>,
    /// The master seed (default: the file's `run.seed`, else its `seed`, else 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Change a value of the file before it is read, by path: `link_defaults.loss=0.1`,
    /// `nodes.n3.params.origin=true`, `run.until=5s`. The value is JSON if it parses as JSON,
    /// else a string. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Write every output into this folder: trace.jsonl, records.csv, capture.pcap,
    /// links.csv, nodes.csv, output.txt (worker output) and summary.json.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write the event trace to this file: `.csv` or `.jsonl`.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Write what programs `record` to this file: `.csv` or `.jsonl`.
    #[arg(long, value_name = "FILE")]
    records: Option<PathBuf>,
    /// Write every transmission on a link to this pcap file (Wireshark, tshark).
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Write link and node statistics (links.csv, nodes.csv) into this folder.
    #[arg(long, value_name = "DIR")]
    stats: Option<PathBuf>,
    /// Pace virtual time to the wall clock, K times as fast (`--realtime` alone: K = 1).
    #[arg(long, value_name = "K", num_args = 0..=1, default_missing_value = "1")]
    realtime: Option<f64>,
    /// Print no worker output and no progress bar, only the summary.
    #[arg(long)]
    quiet: bool,
    /// Exit 0 even if a worker failed.
    #[arg(long)]
    allow_failures: bool,
    /// Run on K threads: the network is cut into K balanced parts (as `vnet check --threads K`
    /// shows) that run side by side in conservative windows as long as the shortest cut link's
    /// latency. Same output, records, counters and trace hash as without. Not with external
    /// nodes or --realtime.
    #[arg(long, value_name = "K")]
    threads: Option<u32>,
    /// Run as one rank of an MPI job: `mpirun -np N vnet run FILE --mpi` cuts the network
    /// into N parts, one a rank; rank 0 prints and writes everything, as one thread would.
    /// Needs a vnet built with `--features mpi`.
    #[arg(long, conflicts_with = "threads")]
    mpi: bool,
}

/// Parses the `--set` arguments.
pub(crate) fn overrides(sets: &[String]) -> Result<Vec<Override>, BadInput> {
    sets.iter()
        .map(|s| s.parse().map_err(|e| BadInput(format!("--set {e}"))))
        .collect()
}

/// Loads the file with overrides, naming it in errors.
pub(crate) fn load(path: &Path, sets: &[Override]) -> Result<NetworkFile, BadInput> {
    NetworkFile::load_with(path, sets).map_err(|e| BadInput(e.to_string()))
}

/// Builds the simulation of a loaded file, reading program files beside it.
pub(crate) fn build(
    file: &NetworkFile,
    path: &Path,
    seed: Option<u64>,
) -> Result<Simulation, BadInput> {
    let base = path.parent().unwrap_or(Path::new("."));
    file.instantiate_at(&crate::registry(), seed, base, &VmConfig::default())
        .map_err(|e| BadInput(format!("{}: {e}", path.display())))
}

/// Refuses a run that would never end: churn with no `until` needs the run to have one.
pub(crate) fn endless_churn(file: &NetworkFile, until: Option<SimTime>) -> Result<(), BadInput> {
    match file.faults.iter().position(|f| f.endless()) {
        Some(i) if until.is_none() => Err(BadInput(format!(
            "fault {i} (`churn`) never ends: give it an `until`, or the run one (`run.until`, --until)"
        ))),
        _ => Ok(()),
    }
}

/// The `--until` flag, else the file's.
fn until_of(flag: Option<&str>, file: &NetworkFile) -> Result<Option<SimTime>, BadInput> {
    match flag {
        Some(t) => vnet::sim::time::parse_nanos(t)
            .map(|ns| Some(SimTime::from_nanos(ns)))
            .map_err(|e| BadInput(format!("--until: {e}"))),
        None => Ok(file.run.until.map(|d| SimTime::ZERO + d)),
    }
}

/// Runs the file; see the crate doc for the exit status.
pub(crate) fn run(a: &RunArgs) -> Result<ExitCode, BadInput> {
    let file = load(&a.file, &overrides(&a.sets)?)?;
    let until = until_of(a.until.as_deref(), &file)?;
    endless_churn(&file, until)?;
    if let Some(k) = a.realtime {
        if !(k.is_finite() && k > 0.0) {
            return Err(BadInput(format!("--realtime {k}: give a speed-up above 0")));
        }
    }
    let seed = a.seed.or(file.run.seed).or(file.seed).unwrap_or(0);
    let ranks = crate::threads::Ranks::start(a.mpi)?;
    let threads = ranks.as_ref().map(|r| r.size()).or(a.threads);
    // With threads (or ranks), each part builds its own programs on its thread; the network
    // alone serves the partition and the outputs.
    let (mut sim, cut) = match threads {
        Some(k) => {
            let net = crate::threads::network_of(&file, &a.file, seed)?;
            let cut = crate::threads::partition(&file, &net, k, a.realtime.is_some())?;
            (net, Some(cut))
        }
        None => (build(&file, &a.file, Some(seed))?, None),
    };
    let base = a.file.parent().unwrap_or(Path::new("."));
    let paths = OutputPaths::resolve(
        &Requested {
            out: a.out.as_deref(),
            trace: a.trace.as_deref(),
            records: a.records.as_deref(),
            pcap: a.pcap.as_deref(),
            stats: a.stats.as_deref(),
        },
        &file.run,
        base,
    )?;
    if let (Some(ranks), Some(cut)) = (&ranks, &cut) {
        if ranks.rank() != 0 {
            // Rank 0 writes and prints everything; the others only run their part.
            return ranks.run_other(&file, &a.file, seed, cut, until, paths.wants_records());
        }
    }
    let mut outputs = Outputs::open(paths, &sim)?;
    if cut.is_none() {
        sim.set_trace(outputs.sink());
    }

    // Ctrl-C stops at the next event; a second one ends the process at once.
    let stop = Arc::new(AtomicBool::new(false));
    for result in [
        signal_hook::flag::register_conditional_shutdown(
            signal_hook::consts::SIGINT,
            130,
            stop.clone(),
        ),
        signal_hook::flag::register(signal_hook::consts::SIGINT, stop.clone()),
    ] {
        result.map_err(|e| BadInput(format!("cannot handle Ctrl-C: {e}")))?;
    }

    let mut live = Live::new(a.quiet, until);
    let t0 = Instant::now();
    let mut events: u64 = 0;
    let mut interrupted = false;
    let mut pnode_agents = None;
    let mut windows = None;
    if let Some(cut) = &cut {
        let sink = outputs.records_sink();
        let each = |sim: &mut Simulation| {
            live.print_logs(sim, outputs.output.as_mut());
            live.progress(sim.now(), sim.events_run());
        };
        let job = crate::threads::Job {
            file: &file,
            path: &a.file,
            seed,
            cut,
            until,
        };
        let ran = match &ranks {
            Some(ranks) => ranks.run_lead(&job, sink, &stop, each)?,
            None => job.run(sink, &stop, each)?,
        };
        sim = ran.sim;
        interrupted = ran.interrupted;
        events = sim.events_run();
        windows = Some((cut, ran.stats));
        outputs.set_trace_hash(ran.hash);
    } else if crate::hybrid::has_pnodes(&file) {
        (interrupted, pnode_agents) =
            crate::hybrid::run(&mut sim, &file, base, until, a.realtime, &stop, |sim| {
                live.print_logs(sim, outputs.output.as_mut());
                live.progress(sim.now(), sim.events_run());
            })?;
        events = sim.events_run();
    } else {
        while let Some(t) = sim.next_event_time() {
            if until.is_some_and(|u| t > u) {
                break;
            }
            if stop.load(Ordering::Relaxed) {
                interrupted = true;
                break;
            }
            if let Some(k) = a.realtime {
                pace(t0, t, k, &stop);
            }
            sim.step();
            events += 1;
            if events % 4096 == 0 || a.realtime.is_some() {
                live.print_logs(&mut sim, outputs.output.as_mut());
                live.progress(sim.now(), events);
            }
        }
        if let (Some(u), false) = (until, interrupted) {
            // The clock reaches `--until` even when nothing happens up to it.
            if let Some(k) = a.realtime {
                pace(t0, u, k, &stop);
            }
            sim.run_until(u);
        }
    }
    live.print_logs(&mut sim, outputs.output.as_mut());
    // Running time, as without threads: the parts' building (on their threads) left out.
    let wall = match &windows {
        Some((_, w)) => w.wall.as_secs_f64(),
        None => t0.elapsed().as_secs_f64(),
    };
    sim.take_trace();
    live.finish();

    let mut summary = Summary::of(&sim, seed, events, wall);
    summary.trace_hash = Some(outputs.trace_hash());
    summary.interrupted = interrupted;
    summary.parallel = windows.map(|(cut, w)| crate::summary::ParallelSummary::of(cut, &w, a.mpi));
    // Agents on P-nodes count with the simulated ones.
    if let Some(p) = pnode_agents {
        summary.agents.get_or_insert_with(Default::default).add(&p);
    }
    // Every output is written, also after Ctrl-C.
    let written = outputs.finish(&sim, &summary);
    for line in summary.lines() {
        eprintln!("{line}");
    }
    written?;
    // The process ends next: the system takes the memory back at once, where dropping the
    // simulation would close every Lua state object by object (≈ 0.8 s for 10 000 workers).
    std::mem::forget(sim);
    Ok(if interrupted {
        ExitCode::from(130)
    } else if summary.failed() > 0 && !a.allow_failures {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Sleeps until virtual time `t` is due at `k`× real time, waking early for Ctrl-C.
fn pace(t0: Instant, t: SimTime, k: f64, stop: &AtomicBool) {
    let due = t0 + Duration::from_secs_f64(t.as_nanos() as f64 / 1e9 / k);
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= due {
            return;
        }
        std::thread::sleep((due - now).min(Duration::from_millis(50)));
    }
}
