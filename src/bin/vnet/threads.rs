//! `vnet run --threads K`: the file's network cut into K parts (`vnet_sim::parallel::auto`),
//! each built and run on its own thread in conservative windows; the output, trace and
//! counters are those of the sequential run.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use vnet::sim::netfile::NetworkFile;
use vnet::sim::parallel::{self, Parallel, Partition, WindowStats};
use vnet::sim::trace::{TraceHash, TraceSink};
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

/// One parallel run of a file: what every part builds from.
pub(crate) struct Job<'a> {
    pub file: &'a NetworkFile,
    pub path: &'a Path,
    pub seed: u64,
    pub cut: &'a Partition,
    pub until: Option<SimTime>,
}

/// What a parallel run leaves.
pub(crate) struct Ran {
    /// The merged simulation.
    pub sim: Simulation,
    /// Whether Ctrl-C ended the run.
    pub interrupted: bool,
    /// How the windows went.
    pub stats: WindowStats,
    /// The trace's hash, as the sequential run's.
    pub hash: TraceHash,
}

impl Ran {
    fn of(run: parallel::ParallelRun) -> Ran {
        Ran {
            hash: run.trace_hash.unwrap_or_default(),
            sim: run.sim,
            interrupted: run.interrupted,
            stats: run.stats,
        }
    }
}

impl Job<'_> {
    /// Builds part `r`: the whole network, programs on the part's nodes only.
    fn build(&self, r: u32) -> Result<Simulation, String> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        self.file
            .instantiate_part(
                &crate::registry(),
                Some(self.seed),
                base,
                &VmConfig::default(),
                &|i| self.cut.part.get(i) == Some(&r),
            )
            .map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// The run's settings, threads or ranks alike: the trace's hash always (the parts hash
    /// their own events), the records for `sink` if there is one.
    fn settings(&self, sink: Option<Box<dyn TraceSink>>) -> Parallel<'_> {
        let p = Parallel::new(self.cut).hash_trace();
        let p = match sink {
            Some(s) => p.trace(s),
            None => p,
        };
        match self.until {
            Some(u) => p.until(u),
            None => p,
        }
    }

    /// Runs the parts on threads; `each` sees the merged simulation after every window.
    pub fn run(
        &self,
        sink: Option<Box<dyn TraceSink>>,
        stop: &AtomicBool,
        mut each: impl FnMut(&mut Simulation),
    ) -> Result<Ran, BadInput> {
        let run = self
            .settings(sink)
            .run(
                |r| self.build(r),
                |sim| {
                    each(sim);
                    !stop.load(Ordering::Relaxed)
                },
            )
            .map_err(|e| BadInput(format!("--threads: {e}")))?;
        Ok(Ran::of(run))
    }
}

/// This process as a rank of an MPI job (`--mpi`).
pub(crate) struct Ranks {
    #[cfg(feature = "mpi")]
    universe: parallel::bindings::environment::Universe,
}

#[cfg(not(feature = "mpi"))]
impl Ranks {
    /// Refuses `--mpi`: this binary has no MPI.
    pub fn start(mpi: bool) -> Result<Option<Ranks>, BadInput> {
        if mpi {
            return Err(BadInput(
                "--mpi: this vnet was built without MPI; build it with `cargo build --release \
                 --features mpi` (Debian: apt-get install libopenmpi-dev libclang-dev)"
                    .into(),
            ));
        }
        Ok(None)
    }
    pub fn size(&self) -> u32 {
        1
    }
    pub fn rank(&self) -> u32 {
        0
    }
    pub fn run_other(
        &self,
        _: &NetworkFile,
        _: &Path,
        _: u64,
        _: &Partition,
        _: Option<SimTime>,
        _: bool,
    ) -> Result<ExitCode, BadInput> {
        Ok(ExitCode::SUCCESS)
    }
    pub fn run_lead(
        &self,
        job: &Job<'_>,
        sink: Option<Box<dyn TraceSink>>,
        stop: &AtomicBool,
        each: impl FnMut(&mut Simulation),
    ) -> Result<Ran, BadInput> {
        job.run(sink, stop, each)
    }
}

#[cfg(feature = "mpi")]
impl Ranks {
    /// Joins the MPI job (`mpirun` started this process), with `--mpi`.
    pub fn start(mpi: bool) -> Result<Option<Ranks>, BadInput> {
        if !mpi {
            return Ok(None);
        }
        let universe = parallel::bindings::initialize()
            .ok_or_else(|| BadInput("--mpi: MPI is already initialised".into()))?;
        Ok(Some(Ranks { universe }))
    }
    pub fn size(&self) -> u32 {
        use parallel::bindings::traits::Communicator;
        self.universe.world().size() as u32
    }
    pub fn rank(&self) -> u32 {
        use parallel::bindings::traits::Communicator;
        self.universe.world().rank() as u32
    }

    /// Runs this rank's part (not rank 0): no output of its own but errors. `tracing`:
    /// whether rank 0 writes a trace or a capture (then every rank sends it every record).
    pub fn run_other(
        &self,
        file: &NetworkFile,
        path: &Path,
        seed: u64,
        cut: &Partition,
        until: Option<SimTime>,
        tracing: bool,
    ) -> Result<ExitCode, BadInput> {
        let job = Job {
            file,
            path,
            seed,
            cut,
            until,
        };
        let world = self.universe.world();
        job.settings(None)
            .run_mpi(&world, tracing, |r| job.build(r), |_| true)
            .map_err(|e| BadInput(format!("--mpi: rank {}: {e}", self.rank())))?;
        Ok(ExitCode::SUCCESS)
    }

    /// Runs rank 0's part and merges the others' output into it.
    pub fn run_lead(
        &self,
        job: &Job<'_>,
        sink: Option<Box<dyn TraceSink>>,
        stop: &AtomicBool,
        mut each: impl FnMut(&mut Simulation),
    ) -> Result<Ran, BadInput> {
        let world = self.universe.world();
        let tracing = sink.is_some();
        let run = job
            .settings(sink)
            .run_mpi(
                &world,
                tracing,
                |r| job.build(r),
                |sim| {
                    each(sim);
                    !stop.load(Ordering::Relaxed)
                },
            )
            .map_err(|e| BadInput(format!("--mpi: {e}")))?
            .ok_or_else(|| BadInput("--mpi: rank 0 got no result".into()))?;
        Ok(Ran::of(run))
    }
}
