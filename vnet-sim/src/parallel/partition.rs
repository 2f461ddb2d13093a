//! Partitions of a network: made automatically ([`auto`]) or checked when given ([`given`]).

use crate::net::Network;
use crate::time::SimDuration;

/// Nodes spread over parts, and the lookahead their cut links allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// The part of each node, by node id.
    pub part: Vec<u32>,
    /// How many parts.
    pub k: u32,
    /// The smallest latency of a cut link; `None` if no link is cut.
    pub lookahead: Option<SimDuration>,
    /// Links whose ends are in different parts.
    pub cut_links: usize,
}

impl Partition {
    /// `n` nodes cut into `k` runs of consecutive ids, as even as can be (node `i` in part
    /// `i·k/n`): for networks without links, whose nodes talk by direct sends
    /// ([`Context::send_to`](crate::Context::send_to)). Its lookahead is `None` until
    /// [`with_direct_delay`](Self::with_direct_delay) gives one.
    pub fn blocks(n: usize, k: u32) -> Result<Partition, PartitionError> {
        if k == 0 || k as usize > n.max(1) {
            return Err(PartitionError::Parts { k, nodes: n });
        }
        let part = (0..n as u64)
            .map(|i| (i * k as u64 / n as u64) as u32)
            .collect();
        Ok(Partition {
            part,
            k,
            lookahead: None,
            cut_links: 0,
        })
    }

    /// Declares that direct sends between parts wait at least `d` (a parallel run refuses
    /// one that waits less): the lookahead becomes the smaller of `d` and the shortest cut
    /// link.
    pub fn with_direct_delay(mut self, d: SimDuration) -> Self {
        self.lookahead = Some(self.lookahead.map_or(d, |l| l.min(d)));
        self
    }

    /// How many nodes each part holds.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![0; self.k as usize];
        for &p in &self.part {
            s[p as usize] += 1;
        }
        s
    }
}

/// Why a partition cannot be made or used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    /// Asked for no parts, or for more parts than nodes.
    #[error("cannot cut {nodes} nodes into {k} parts: give between 1 and {nodes}")]
    Parts {
        /// Parts asked for.
        k: u32,
        /// Nodes there are.
        nodes: usize,
    },
    /// A given partition names too few or too many nodes, or a part out of range.
    #[error("the partition gives {given} nodes a part, the network has {nodes}")]
    Length {
        /// Nodes the partition covers.
        given: usize,
        /// Nodes the network has.
        nodes: usize,
    },
    /// A part number out of range.
    #[error("node `{node}` is in part {part}, but there are only {k} parts")]
    PartRange {
        /// The node's name.
        node: String,
        /// Its part.
        part: u32,
        /// Parts there are.
        k: u32,
    },
    /// A zero-latency link between two parts: nothing could run ahead of it.
    #[error(
        "link {link} ({a} – {b}) has zero latency but joins parts {pa} and {pb}: put both ends in one part"
    )]
    ZeroLatencyCut {
        /// The link's index.
        link: usize,
        /// One end's node name.
        a: String,
        /// The other end's node name.
        b: String,
        /// `a`'s part.
        pa: u32,
        /// `b`'s part.
        pb: u32,
    },
}

/// Union-find over node ids, smaller id as the root (so clusters are named by their first node).
struct Clusters(Vec<u32>);

impl Clusters {
    fn new(n: usize) -> Self {
        Clusters((0..n as u32).collect())
    }
    fn root(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let up = self.0[self.0[x as usize] as usize];
            self.0[x as usize] = up;
            x = up;
        }
        x
    }
    fn join(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.root(a), self.root(b));
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.0[hi as usize] = lo;
    }
}

/// The links as `(latency, a, b)`.
fn edges(net: &Network) -> Vec<(SimDuration, u32, u32)> {
    net.links()
        .iter()
        .map(|l| {
            let [a, b] = l.ends();
            (l.params().latency, a.node.0, b.node.0)
        })
        .collect()
}

/// Packs the clusters that links shorter than `min_cut` make into `k` parts of about `n / k`
/// nodes each, in node order (neighbours in a generated topology have nearby ids, so parts
/// stay contiguous); the part of each node, and the largest part's size.
fn pack(
    n: usize,
    k: u32,
    links: &[(SimDuration, u32, u32)],
    min_cut: SimDuration,
) -> (Vec<u32>, usize) {
    let mut c = Clusters::new(n);
    for &(lat, a, b) in links {
        if lat < min_cut || lat == SimDuration::ZERO {
            c.join(a, b);
        }
    }
    let mut size = vec![0usize; n];
    for i in 0..n as u32 {
        size[c.root(i) as usize] += 1;
    }
    let target = n.div_ceil(k as usize);
    let mut part_of_root = vec![u32::MAX; n];
    let (mut part, mut filled) = (0u32, 0usize);
    let mut sizes = vec![0usize; k as usize];
    for i in 0..n {
        if c.root(i as u32) as usize != i {
            continue;
        }
        // Move on to the next part once this one is full, unless it is the last.
        if filled > 0 && filled + size[i] > target && part + 1 < k {
            part += 1;
            filled = 0;
        }
        part_of_root[i] = part;
        filled += size[i];
        sizes[part as usize] += size[i];
    }
    let parts = (0..n as u32)
        .map(|i| part_of_root[c.root(i) as usize])
        .collect();
    (parts, sizes.into_iter().max().unwrap_or(0))
}

/// The partition of `net` into `k` parts (by node id) as given, checked: every node in a part
/// below `k`, no zero-latency link cut. Its lookahead is computed.
pub fn given(net: &Network, part: Vec<u32>, k: u32) -> Result<Partition, PartitionError> {
    let n = net.nodes().len();
    if k == 0 || k as usize > n.max(1) {
        return Err(PartitionError::Parts { k, nodes: n });
    }
    if part.len() != n {
        return Err(PartitionError::Length {
            given: part.len(),
            nodes: n,
        });
    }
    let name = |i: u32| {
        net.node(crate::net::NodeId(i))
            .map_or_else(String::new, |x| x.name().to_owned())
    };
    if let Some(i) = part.iter().position(|&p| p >= k) {
        return Err(PartitionError::PartRange {
            node: name(i as u32),
            part: part[i],
            k,
        });
    }
    let mut lookahead: Option<SimDuration> = None;
    let mut cut_links = 0;
    for (i, (lat, a, b)) in edges(net).into_iter().enumerate() {
        let (pa, pb) = (part[a as usize], part[b as usize]);
        if pa == pb {
            continue;
        }
        if lat == SimDuration::ZERO {
            return Err(PartitionError::ZeroLatencyCut {
                link: i,
                a: name(a),
                b: name(b),
                pa,
                pb,
            });
        }
        cut_links += 1;
        lookahead = Some(lookahead.map_or(lat, |l| l.min(lat)));
    }
    Ok(Partition {
        part,
        k,
        lookahead,
        cut_links,
    })
}

/// Cuts `net` into `k` parts: balanced (no part more than a tenth over `n / k` nodes, if any
/// cut allows it; otherwise the most balanced cut), and among those, the one whose shortest
/// cut link is longest. Zero-latency links are never cut. Deterministic.
///
/// ```
/// use vnet_sim::{LinkParams, SimDuration, Simulation};
/// let mut sim = Simulation::new(1);
/// let n: Vec<_> = (0..4).map(|i| sim.add_node(&format!("n{i}")).unwrap()).collect();
/// let ms = |m| LinkParams::new(SimDuration::from_millis(m), 1_000_000);
/// sim.link(n[0], "b", n[1], "a", ms(1)).unwrap();  // short: kept inside a part
/// sim.link(n[1], "c", n[2], "b", ms(9)).unwrap();  // long: the cut
/// sim.link(n[2], "d", n[3], "c", ms(1)).unwrap();
/// let p = vnet_sim::parallel::auto(sim.network(), 2).unwrap();
/// assert_eq!(p.part, [0, 0, 1, 1]);
/// assert_eq!(p.lookahead, Some(SimDuration::from_millis(9)));
/// ```
pub fn auto(net: &Network, k: u32) -> Result<Partition, PartitionError> {
    let n = net.nodes().len();
    if k == 0 || k as usize > n.max(1) {
        return Err(PartitionError::Parts { k, nodes: n });
    }
    let links = edges(net);
    if k == 1 {
        return given(net, vec![0; n], 1);
    }
    // Candidate cuts: every distinct positive latency, longest first. Cutting only links at
    // least `L` long keeps the rest inside parts; a smaller `L` cuts more and balances better.
    let mut cuts: Vec<SimDuration> = links
        .iter()
        .map(|l| l.0)
        .filter(|&l| l > SimDuration::ZERO)
        .collect();
    cuts.sort_unstable_by(|a, b| b.cmp(a));
    cuts.dedup();
    let limit = n.div_ceil(k as usize) + n.div_ceil(k as usize) / 10;
    // Balance improves (roughly) as `L` falls: binary search for the largest `L` within the
    // limit (where balance is not monotonic this may settle for a shorter one).
    let fits = |l: &SimDuration| pack(n, k, &links, *l).1 <= limit;
    let chosen = match cuts.get(cuts.partition_point(|l| !fits(l))) {
        Some(&l) => l,
        // Nothing balances within a tenth: cut everything that may be cut.
        None => cuts.last().copied().unwrap_or(SimDuration::MAX),
    };
    let (part, _) = pack(n, k, &links, chosen);
    given(net, part, k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::Simulation;
    use crate::net::LinkParams;

    fn ms(m: u64) -> LinkParams {
        LinkParams::new(SimDuration::from_millis(m), 1_000_000)
    }

    /// A ring of `n` nodes whose link `i` (from node i to i+1) has latency `lat(i)`.
    fn ring(n: usize, lat: impl Fn(usize) -> u64) -> Simulation {
        let mut sim = Simulation::new(1);
        let ids: Vec<_> = (0..n)
            .map(|i| sim.add_node(&format!("n{i}")).unwrap())
            .collect();
        for i in 0..n {
            let j = (i + 1) % n;
            let link = if lat(i) == 0 {
                LinkParams::default()
            } else {
                ms(lat(i))
            };
            sim.link(ids[i], &format!("to{j}"), ids[j], &format!("to{i}"), link)
                .unwrap();
        }
        sim
    }

    #[test]
    fn the_longest_links_are_cut_and_the_parts_balanced() {
        // 8 nodes; the links 3→4 and 7→0 are 50 ms, the rest 2 ms: two parts of 4, lookahead 50.
        let sim = ring(8, |i| if i == 3 || i == 7 { 50 } else { 2 });
        let p = auto(sim.network(), 2).unwrap();
        assert_eq!(p.part, [0, 0, 0, 0, 1, 1, 1, 1]);
        assert_eq!(p.lookahead, Some(SimDuration::from_millis(50)));
        assert_eq!(p.cut_links, 2);
        // Four parts must cut short links too; the lookahead falls to them.
        let p = auto(sim.network(), 4).unwrap();
        assert_eq!(p.sizes(), [2, 2, 2, 2]);
        assert_eq!(p.lookahead, Some(SimDuration::from_millis(2)));
        // The same network, the same partition.
        assert_eq!(auto(sim.network(), 4).unwrap(), p);
    }

    #[test]
    fn zero_latency_links_are_never_cut() {
        // Nodes 0-1-2-3 joined by zero-latency links, 4..8 by 5 ms ones.
        let sim = ring(8, |i| if i < 3 { 0 } else { 5 });
        let p = auto(sim.network(), 2).unwrap();
        assert!(p.part[0..4].iter().all(|&x| x == p.part[0]), "{:?}", p.part);
        assert_eq!(p.lookahead, Some(SimDuration::from_millis(5)));
        // Even when balance suffers: 7 of 8 nodes welded together.
        let sim = ring(8, |i| if i < 6 { 0 } else { 5 });
        let p = auto(sim.network(), 2).unwrap();
        assert_eq!(p.sizes(), [7, 1]);
        // A given partition that cuts one is refused, naming it.
        let e = given(sim.network(), vec![0, 1, 1, 1, 1, 1, 1, 1], 2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "link 0 (n0 – n1) has zero latency but joins parts 0 and 1: put both ends in one part"
        );
    }

    #[test]
    fn bad_requests_are_named() {
        let sim = ring(3, |_| 1);
        let net = sim.network();
        assert_eq!(
            auto(net, 0).unwrap_err().to_string(),
            "cannot cut 3 nodes into 0 parts: give between 1 and 3"
        );
        assert!(matches!(auto(net, 4), Err(PartitionError::Parts { .. })));
        assert_eq!(
            given(net, vec![0, 1], 2).unwrap_err().to_string(),
            "the partition gives 2 nodes a part, the network has 3"
        );
        assert_eq!(
            given(net, vec![0, 1, 2], 2).unwrap_err().to_string(),
            "node `n2` is in part 2, but there are only 2 parts"
        );
        let one = auto(net, 1).unwrap();
        assert_eq!(
            (one.part, one.lookahead, one.cut_links),
            (vec![0, 0, 0], None, 0)
        );
    }

    #[test]
    fn a_grid_is_cut_into_bands_along_its_rows() {
        // A 6x6 grid with 1 ms links, in row-major ids: two parts of 3 rows, 6 cut links.
        let mut sim = Simulation::new(1);
        let topo = crate::topology::Topology::grid(6, 6);
        topo.build(&mut sim, &ms(1)).unwrap();
        let p = auto(sim.network(), 2).unwrap();
        assert_eq!(p.sizes(), [18, 18]);
        assert_eq!(p.cut_links, 6);
        assert_eq!(p.lookahead, Some(SimDuration::from_millis(1)));
    }
}
