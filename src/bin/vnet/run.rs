//! `vnet run`: build a network file's simulation, run it with live output, and summarise.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use clap::Args;
use vnet::sim::netfile::ProgramRegistry;
use vnet::sim::trace::{Tee, TraceFormat, TraceHash, TraceSink, WriterTrace};
use vnet::sim::vm::VmConfig;
use vnet::sim::{LogStream, NodeId, SimTime, Simulation, WorkerId, WorkerState};

use crate::BadInput;

/// `vnet run FILE.json`.
#[derive(Args)]
pub(crate) struct RunArgs {
    /// The network file.
    file: PathBuf,
    /// Stop at this virtual time (`10s`, `500ms`); default: when nothing is left to do.
    #[arg(long)]
    until: Option<String>,
    /// The master seed (default: the file's `seed`, else 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Write what programs `record` to this file: `.csv` or `.jsonl`.
    #[arg(long)]
    records: Option<PathBuf>,
    /// Write the event trace to this file: `.csv` or `.jsonl`.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Print no worker output, only the summary.
    #[arg(long)]
    quiet: bool,
    /// Exit 0 even if a worker failed.
    #[arg(long)]
    allow_failures: bool,
}

/// Which of the two file formats a path asks for, by its extension.
fn format_of(path: &Path, what: &str) -> Result<TraceFormat, BadInput> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => Ok(TraceFormat::Csv),
        Some("jsonl") => Ok(TraceFormat::Jsonl),
        _ => Err(BadInput(format!(
            "--{what} {}: name a .csv or a .jsonl file",
            path.display()
        ))),
    }
}

fn create(path: &Path) -> Result<BufWriter<File>, BadInput> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(|e| BadInput(format!("{}: {e}", path.display())))
}

/// Runs the file; see the crate doc for the exit status.
pub(crate) fn run(a: &RunArgs) -> Result<ExitCode, BadInput> {
    let file = crate::load(&a.file)?;
    let until = match &a.until {
        Some(t) => Some(SimTime::from_nanos(
            vnet::sim::time::parse_nanos(t).map_err(|e| BadInput(format!("--until: {e}")))?,
        )),
        None => None,
    };
    let records_format = a
        .records
        .as_deref()
        .map(|p| format_of(p, "records"))
        .transpose()?;
    let base = a.file.parent().unwrap_or(Path::new("."));
    let mut sim = file
        .instantiate_at(&ProgramRegistry::new(), a.seed, base, &VmConfig::default())
        .map_err(|e| BadInput(format!("{}: {e}", a.file.display())))?;
    // Every output is opened before the run, so a bad path costs no run.
    let records_out = a.records.as_deref().map(create).transpose()?;
    let hash = Rc::new(RefCell::new(TraceHash::default()));
    let mut sinks: Vec<Box<dyn TraceSink>> = vec![Box::new(hash.clone())];
    let trace_file = match &a.trace {
        Some(p) => {
            let w = Rc::new(RefCell::new(WriterTrace::new(
                create(p)?,
                format_of(p, "trace")?,
            )));
            sinks.push(Box::new(w.clone()));
            Some((p, w))
        }
        None => None,
    };
    sim.set_trace(Box::new(Tee(sinks)));

    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let t0 = Instant::now();
    let mut events: u64 = 0;
    loop {
        match sim.next_event_time() {
            None => break,
            Some(t) if until.is_some_and(|u| t > u) => break,
            Some(_) => {
                sim.step();
                events += 1;
            }
        }
        if events % 4096 == 0 {
            print_logs(&mut sim, &mut out, a.quiet);
        }
    }
    if let Some(u) = until {
        // The clock reaches `--until` even when nothing happens up to it.
        sim.run_until(u);
    }
    print_logs(&mut sim, &mut out, a.quiet);
    let wall = t0.elapsed();
    sim.take_trace();
    let _ = out.flush();
    drop(out);

    if let Some((p, w)) = &trace_file {
        if let Some(e) = w.borrow().error() {
            return Err(BadInput(format!("--trace {}: {e}", p.display())));
        }
    }
    if let (Some(mut w), Some(format), Some(p)) = (records_out, records_format, &a.records) {
        let results = sim.results();
        let written = match format {
            TraceFormat::Csv => results.write_records_csv(&mut w).map_err(|e| e.to_string()),
            TraceFormat::Jsonl => results
                .write_records_jsonl(&mut w)
                .map_err(|e| e.to_string()),
        };
        written
            .and_then(|()| w.flush().map_err(|e| e.to_string()))
            .map_err(|e| BadInput(format!("--records {}: {e}", p.display())))?;
    }

    // The summary.
    let (mut sent, mut delivered, mut queue_full, mut loss, mut link_down) = (0, 0, 0, 0, 0);
    for l in sim.network().links() {
        let s = l.stats_total();
        sent += s.sent;
        delivered += s.delivered;
        queue_full += s.dropped_queue_full;
        loss += s.dropped_loss;
        link_down += s.dropped_link_down;
    }
    let mut states = [0usize; 5];
    for n in 0..sim.network().nodes().len() {
        for w in 0.. {
            let Some(s) = sim.worker_state(NodeId(n as u32), WorkerId(w)) else {
                break;
            };
            states[match s {
                WorkerState::Finished => 0,
                WorkerState::Failed => 1,
                WorkerState::Killed => 2,
                WorkerState::Waiting => 3,
                WorkerState::Starting | WorkerState::Running => 4,
            }] += 1;
        }
    }
    let secs = wall.as_secs_f64();
    eprintln!(
        "vnet: virtual end {} ms; {events} events; messages sent={sent} delivered={delivered} \
         dropped: queue_full={queue_full} loss={loss} link_down={link_down}",
        sim.now().as_millis_f64()
    );
    eprintln!(
        "vnet: workers finished={} failed={} killed={} waiting={} running={}; wall {secs:.3} s, \
         {:.0} events/s; trace_hash={:016x}",
        states[0],
        states[1],
        states[2],
        states[3],
        states[4],
        events as f64 / secs.max(1e-9),
        hash.borrow().value()
    );
    Ok(if states[1] > 0 && !a.allow_failures {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints the lines logged since the last call: `time_ms node/wN text`, standard error marked.
fn print_logs(sim: &mut Simulation, out: &mut impl Write, quiet: bool) {
    let logs = sim.take_logs();
    if quiet {
        return;
    }
    for l in logs {
        let node = sim.network().node(l.node).map_or("?", |n| n.name());
        let mark = if l.stream == LogStream::Err {
            " [err]"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{:>12.6} {node}/w{}{mark} {}",
            l.time.as_millis_f64(),
            l.worker.0,
            l.text
        );
    }
}
