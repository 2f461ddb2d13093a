//! Seeded random streams. Every draw in a run comes from one of these.
//!
//! Each node and each link direction has its own stream, derived from the master seed and the
//! stream's identity alone — so adding a node or a link does not shift anyone else's draws.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator behind every stream: xoshiro256++ (fast, 256-bit state, stable across versions).
pub type SimRng = Xoshiro256PlusPlus;

/// What a stream belongs to; part of its derivation, so streams of different kinds never collide.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StreamKind {
    /// A node's stream (programs draw from it through their context).
    Node = 1,
    /// One direction of a link (loss and jitter).
    LinkDirection = 2,
    /// Free for users: examples and scenarios that need their own streams.
    User = 3,
    /// A sensor (id: node << 16 | sensor index).
    Sensor = 4,
    /// A Monte-Carlo replication's master seed (id: the replication's index).
    Replication = 5,
    /// A churn's failures and repairs (id: its target, node or `1 << 32 | link`, and its
    /// index `<< 33`).
    Churn = 6,
}

/// SplitMix64's finaliser: a bijective mix with good avalanche.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The stream `(kind, id)` of the run seeded with `master`.
///
/// ```
/// use rand::Rng;
/// use vnet_sim::rng::{stream, StreamKind};
/// let a = stream(7, StreamKind::Node, 3).next_u64();
/// assert_eq!(a, stream(7, StreamKind::Node, 3).next_u64());
/// assert_ne!(a, stream(7, StreamKind::Node, 4).next_u64());
/// ```
pub fn stream(master: u64, kind: StreamKind, id: u64) -> SimRng {
    Xoshiro256PlusPlus::seed_from_u64(derive_seed(master, kind, id))
}

/// The 64-bit seed of stream `(kind, id)` under `master` (what [`stream`] seeds with).
pub fn derive_seed(master: u64, kind: StreamKind, id: u64) -> u64 {
    mix(master ^ mix((kind as u64) << 56 ^ mix(id)))
}
