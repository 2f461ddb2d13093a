//! Toward the parallel kernel: cutting a network into parts that threads (or MPI ranks) can run
//! side by side under conservative synchronous windows.
//!
//! The contract of a [`Partition`]:
//! - Every node is in exactly one of `k` parts, numbered `0..k`.
//! - A link whose latency is zero is never cut: its two ends share a part.
//! - The **lookahead** `L` is the smallest latency of a cut link (`None` if no link is cut).
//!   A window that runs every event earlier than `T_min + L` in each part cannot miss a
//!   message from another part, since none can arrive sooner than `L` after it is sent.
//! - [`auto`] makes `L` as large as it can while keeping the parts balanced; the same network
//!   always gives the same partition (no hashing, no randomness).
//!
//! [`Parallel`] runs the parts on threads (`vnet run --threads K`), or with the cargo feature
//! `mpi` as MPI ranks (`Parallel::run_mpi`, `vnet run --mpi`); `docs/parallel.md` states
//! the algorithm, its invariants, and when it helps.

#[cfg(feature = "mpi")]
mod mpi;
mod partition;
mod run;

/// The MPI bindings (rsmpi) `Parallel::run_mpi` uses: `mpi::initialize()` gives the world.
#[cfg(feature = "mpi")]
pub use ::mpi as bindings;
pub use partition::{Partition, PartitionError, auto, given};
pub use run::{Parallel, ParallelError, ParallelRun, WindowStats};

#[cfg(test)]
mod tests;
