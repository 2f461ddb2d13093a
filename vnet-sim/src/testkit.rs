//! Test scaffolding shared by the kernel's and the VMs' unit tests.

use crate::kernel::Simulation;
use crate::net::{LinkId, LinkParams, NodeId};

/// A simulation seeded `seed` with two nodes `a` and `b`, port `p` of each joined by one link.
pub(crate) fn linked_pair(seed: u64, params: LinkParams) -> (Simulation, NodeId, NodeId, LinkId) {
    let mut sim = Simulation::new(seed);
    let a = sim.add_node("a").unwrap();
    let b = sim.add_node("b").unwrap();
    let l = sim.link(a, "p", b, "p", params).unwrap();
    (sim, a, b, l)
}
