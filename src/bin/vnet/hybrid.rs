//! `vnet run` on a network with `external` nodes: the P-nodes are real, so the run is paced
//! at 1× real time (`vnet_sim::realtime`) until `--until`, their twins relay messages, and
//! what their workers write and record joins the run's output as their node's lines
//! (`p/w0` is worker 0 of P-node `p`).

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use vnet::hw::external::{ExternalNodes, PnodeOutput};
use vnet::sim::agents::AgentCounts;
use vnet::sim::netfile::NetworkFile;
use vnet::sim::realtime::{Pacing, RealTime, RealTimeEnd};
use vnet::sim::{LogStream, NodeId, RecordValue, SimTime, Simulation, WorkerId};

use crate::BadInput;

/// Whether `file` has external nodes.
pub(crate) fn has_pnodes(file: &NetworkFile) -> bool {
    file.nodes.iter().any(|n| n.external.is_some())
}

/// Runs `sim` in real time with its P-nodes until `until`; `each` sees the simulation after
/// every batch of events (to print). Returns whether Ctrl-C stopped it, and what the agents on
/// P-nodes did (summed over the P-nodes that host them; `None` if none does).
pub(crate) fn run(
    sim: &mut Simulation,
    file: &NetworkFile,
    base: &Path,
    until: Option<SimTime>,
    realtime: Option<f64>,
    stop: &AtomicBool,
    mut each: impl FnMut(&mut Simulation),
) -> Result<(bool, Option<AgentCounts>), BadInput> {
    let until = until.ok_or_else(|| {
        BadInput(
            "this network has external nodes (real P-nodes): give `--until` (or `run.until`) to say how long to run it in real time"
                .into(),
        )
    })?;
    if realtime.is_some_and(|k| k != 1.0) {
        return Err(BadInput(
            "this network has external nodes (real P-nodes): it runs at 1× real time only".into(),
        ));
    }
    let tokio = tokio::runtime::Runtime::new()
        .map_err(|e| BadInput(format!("cannot start the network runtime: {e}")))?;
    let (mut rt, injector) = RealTime::new(Pacing::BestEffort);
    let ext = ExternalNodes::connect(
        sim,
        file,
        base,
        &Default::default(),
        tokio.handle(),
        &injector,
    )
    .map_err(BadInput)?;
    let mut interrupted = false;
    let ended = rt.run(sim, Some(until), |sim| {
        take(&ext, sim);
        each(sim);
        if stop.load(Ordering::Relaxed) {
            interrupted = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    // Output that came in last, then the P-nodes' sessions end (their workers with them).
    take(&ext, sim);
    let mut agents: Option<AgentCounts> = None;
    for (node, r) in ext.agents() {
        match r {
            Ok(a) => agents.get_or_insert_with(Default::default).add(&a.counts),
            Err(e) => {
                let name = file.nodes.get(node).map_or("?", |n| n.name.as_str());
                eprintln!("vnet: warning: the agents of P-node `{name}` could not be counted: {e}");
            }
        }
    }
    ext.close();
    match ended {
        Ok(RealTimeEnd::ReachedTime | RealTimeEnd::ProgramStopped | RealTimeEnd::Stopped) => {}
        Ok(RealTimeEnd::Callback) => {}
        Err(e) => return Err(BadInput(e.to_string())),
    }
    Ok((interrupted, agents))
}

/// Adds what the P-nodes' workers wrote and recorded to the simulation's output.
fn take(ext: &ExternalNodes, sim: &mut Simulation) {
    for o in ext.take_output() {
        match o {
            PnodeOutput::Line {
                node,
                worker,
                err,
                text,
            } => {
                let stream = if err { LogStream::Err } else { LogStream::Out };
                sim.add_log(NodeId(node as u32), WorkerId(worker), stream, text);
            }
            PnodeOutput::Record {
                node,
                worker,
                name,
                value,
            } => {
                if let Ok(v) = RecordValue::from_json(&value) {
                    sim.add_record(NodeId(node as u32), WorkerId(worker), name, v);
                }
            }
            PnodeOutput::Ended { .. } => {}
        }
    }
}
