//! Mobile agents (the paper's JAM) and their meeting places, each node's tuple space.
//!
//! The contract of an agent (`docs/agents.md` has the whole of it):
//! - A class is Lua or JS code returning `{state fields…, start, act, trans, on}`; an
//!   [`AgentPlatform`] on a node runs each agent as a VM worker, one activity at a time.
//! - `moveto` takes effect when the activity ends: a [`Parcel`] (class code, state as JSON, next
//!   activity) goes over that one link as a single message, charged by its size, and the
//!   destination's platform resumes the agent at the next activity. At most [`MAX_OUT`] bytes
//!   leave; a platform refuses more than [`MAX_IN`].
//! - Clones start here at the transition of their own state; signals are handled between
//!   activities; a crash kills a node's agents; every platform counts what happened
//!   ([`AgentCounts`]).
//!
//! The contract of a [`TupleSpace`]:
//! - A **tuple** is a non-empty JSON array; a **pattern** is an array of the same length whose
//!   elements are values, which match equal values (numbers by value: `1` matches `1.0`), or the
//!   wildcard [`ANY`] (`ANY` in Lua and JavaScript), which matches anything.
//! - `out` adds a tuple, with an optional lifetime: it expires at the time of the `out` plus
//!   the lifetime and is gone for every operation at or after that instant.
//! - Waiters come first: a tuple put `out` goes to the workers blocked on a matching pattern, in
//!   the order they began to wait — every reader (`rd`) gets a copy, and the first taker
//!   (`take`) takes it, ending the round; only a tuple nobody took is stored.
//! - `inp` / `rdp` (and `take` / `rd` finding a match at once) pick the **oldest** matching
//!   tuple. Everything is ordered (no hash map), so a seed gives the same run.
//! - Operations take effect at the virtual time of the activation that makes them (as the
//!   store's do): not delayed by a host profile's compute time.
//! - The space is volatile: a crash of the node empties it (tuples and waiters).
//! - It counts what it does ([`TupleCounts`]; `Simulation::tuple_counts` sums them).
//! - It holds at most [`TupleSpace::CAP`] bytes (tuples' compact JSON); an `out` past that fails.

mod parcel;
mod platform;
mod tuples;

pub use parcel::{MAX_IN, MAX_OUT, PARCEL_KEY, Parcel, is_parcel};
pub(crate) use platform::admit;
pub use platform::{
    AgentCounts, AgentPlatform, Departure, Placement, Platform, Resident, SharedPlatform,
    is_agent_worker,
};
pub use tuples::{ANY, SharedSpace, TupleCounts, TupleError, TupleSpace, Waiter, any, matches};
