//! `vnet run --threads K`: the file's network cut into K parts (`vnet_sim::parallel::auto`),
//! each built and run on its own thread in conservative windows; the output, trace and
//! counters are those of the sequential run.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use vnet::sim::netfile::NetworkFile;
use vnet::sim::parallel::{self, Parallel, Partition, WindowStats};
use vnet::sim::trace::TraceSink;
use vnet::sim::vm::VmConfig;
use vnet::sim::{SimTime, Simulation};

use crate::BadInput;

/// A file's network without programs: what the partition and the outputs are made from.
pub(crate) fn network_of(
    file: &NetworkFile,
    path: &Path,
    seed: u64,
) -> Result<Simulation, BadInput> {
    let base = path.parent().unwrap_or(Path::new("."));
    file.instantiate_part(
        &crate::registry(),
        Some(seed),
        base,
        &VmConfig::default(),
        &|_| false,
    )
    .map_err(|e| BadInput(format!("{}: {e}", path.display())))
}

/// Refuses what a threaded run cannot do, then cuts `net` into `k` parts.
pub(crate) fn partition(
    file: &NetworkFile,
    net: &Simulation,
    k: u32,
    realtime: bool,
) -> Result<Partition, BadInput> {
    if let Some(n) = file.nodes.iter().find(|n| n.external.is_some()) {
        return Err(BadInput(format!(
            "--threads: node `{}` is external (a P-node), and a run with P-nodes goes in real \
             time on one thread: leave out --threads",
            n.name
        )));
    }
    if realtime {
        return Err(BadInput(
            "--threads and --realtime do not go together: a real-time run is paced on one thread"
                .into(),
        ));
    }
    cut_of(file, net, k)
}

/// The file's own cut (nodes' `part`), checked against `k`, else the automatic one.
pub(crate) fn cut_of(file: &NetworkFile, net: &Simulation, k: u32) -> Result<Partition, BadInput> {
    match file.parts() {
        Some((_, given)) if given != k => Err(BadInput(format!(
            "--threads {k}: the file puts its nodes in {given} parts (their `part`): give \
             --threads {given}"
        ))),
        Some((parts, given)) => parallel::given(net.network(), parts, given)
            .map_err(|e| BadInput(format!("the file's `part`s: {e}"))),
        None => {
            parallel::auto(net.network(), k).map_err(|e| BadInput(format!("--threads {k}: {e}")))
        }
    }
}

/// Runs the file's parts on threads; `each` sees the merged simulation after every window.
/// Returns the merged simulation, whether Ctrl-C (`stop`) ended it, and the window counts.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    file: &NetworkFile,
    path: &Path,
    seed: u64,
    cut: &Partition,
    until: Option<SimTime>,
    sink: Box<dyn TraceSink>,
    stop: &AtomicBool,
    mut each: impl FnMut(&mut Simulation),
) -> Result<(Simulation, bool, WindowStats), BadInput> {
    let base = path.parent().unwrap_or(Path::new("."));
    let build = |r: u32| {
        file.instantiate_part(
            &crate::registry(),
            Some(seed),
            base,
            &VmConfig::default(),
            &|i| cut.part.get(i) == Some(&r),
        )
        .map_err(|e| format!("{}: {e}", path.display()))
    };
    let mut job = Parallel::new(cut).trace(sink);
    if let Some(u) = until {
        job = job.until(u);
    }
    let run = job
        .run(build, |sim| {
            each(sim);
            !stop.load(Ordering::Relaxed)
        })
        .map_err(|e| BadInput(format!("--threads: {e}")))?;
    Ok((run.sim, run.interrupted, run.stats))
}
