//! Churn: a node or a link failing and being repaired again and again, with up and down times
//! drawn from distributions.

use rand::RngExt;
use rand_distr::{Distribution, Exp};
use serde::{Deserialize, Serialize};

use crate::net::{LinkId, NodeId};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// A distribution of durations. In a network file a bare duration (`"30s"`) is an exponential
/// with that mean.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Lifetime {
    /// Exponential with this mean (memoryless failures: MTBF, MTTR).
    Mean(
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        SimDuration,
    ),
    /// A distribution spelled out.
    Spelled(LifetimeKind),
}

/// The distributions a [`Lifetime`] may name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LifetimeKind {
    /// Exponential with this mean.
    Exponential {
        /// Mean.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        mean: SimDuration,
    },
    /// Always this long.
    Fixed {
        /// The duration.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        value: SimDuration,
    },
    /// Uniform in `[min, max]`.
    Uniform {
        /// Shortest.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        min: SimDuration,
        /// Longest.
        #[serde(with = "crate::units::duration")]
        #[schemars(with = "crate::units::DurationText")]
        max: SimDuration,
    },
}

impl Lifetime {
    /// Exponential with mean `mean`.
    pub fn exponential(mean: SimDuration) -> Self {
        Lifetime::Mean(mean)
    }
    /// One draw, at least 1 ns (a fault and its repair never share an instant).
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        let exp = |mean: SimDuration, rng: &mut SimRng| match Exp::new(
            1.0 / mean.as_nanos().max(1) as f64,
        ) {
            Ok(d) => d.sample(rng).round() as u64,
            Err(_) => mean.as_nanos(),
        };
        let ns = match self {
            Lifetime::Mean(m) | Lifetime::Spelled(LifetimeKind::Exponential { mean: m }) => {
                exp(*m, rng)
            }
            Lifetime::Spelled(LifetimeKind::Fixed { value }) => value.as_nanos(),
            Lifetime::Spelled(LifetimeKind::Uniform { min, max }) => {
                let (lo, hi) = (min.as_nanos(), max.as_nanos().max(min.as_nanos()));
                rng.random_range(lo..=hi)
            }
        };
        SimDuration::from_nanos(ns.max(1))
    }
    /// Checks the distribution can be drawn from: a mean above zero, `min <= max`.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Lifetime::Spelled(LifetimeKind::Uniform { min, max }) if min > max => {
                Err(format!("uniform: min {min} is above max {max}"))
            }
            _ if self.mean() == SimDuration::ZERO => Err("the mean time must be above zero".into()),
            _ => Ok(()),
        }
    }

    /// The mean.
    pub fn mean(&self) -> SimDuration {
        match self {
            Lifetime::Mean(m) | Lifetime::Spelled(LifetimeKind::Exponential { mean: m }) => *m,
            Lifetime::Spelled(LifetimeKind::Fixed { value }) => *value,
            Lifetime::Spelled(LifetimeKind::Uniform { min, max }) => {
                SimDuration::from_nanos((min.as_nanos() + max.as_nanos()) / 2)
            }
        }
    }
}

/// What churns.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChurnTarget {
    /// A node: crashes, then restarts (after its boot time it is up).
    Node(NodeId),
    /// A link: goes down, then up.
    Link(LinkId),
}

/// Alternating failures and repairs: up for a draw of `up` (time between failures), down for
/// a draw of `down` (time to repair), from `from` until `until`. Each churn draws from its own
/// stream, derived from the seed and its target.
#[derive(Clone, Debug, PartialEq)]
pub struct Churn {
    /// Time up between failures (MTBF).
    pub up: Lifetime,
    /// Time down before the repair (MTTR; a node then boots for its boot time too).
    pub down: Lifetime,
    /// When the first up period starts.
    pub from: SimTime,
    /// No failure starts after this; one under way is still repaired, so from then on the
    /// network settles. `None`: for ever, so a run with churn needs an end time.
    pub until: Option<SimTime>,
    /// Whether a node's restarts empty its store.
    pub wipe: bool,
}

impl Churn {
    /// Exponential up and down times with means `mtbf` and `mttr`, from time 0, for ever.
    pub fn exponential(mtbf: SimDuration, mttr: SimDuration) -> Self {
        Churn {
            up: Lifetime::exponential(mtbf),
            down: Lifetime::exponential(mttr),
            from: SimTime::ZERO,
            until: None,
            wipe: false,
        }
    }
}
