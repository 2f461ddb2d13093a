//! Topology builders: the shapes networks are usually made of, as petgraph graphs, and a way to
//! turn one into nodes, ports and links of a [`Simulation`].
//!
//! Node `i` is named `n{i}`. When built, each edge becomes a link between two ports, each named
//! after the node at the other end — so in a grid, node `n5`'s port towards `n6` is called `n6`.
//!
//! ```
//! use vnet_sim::topology::Topology;
//! let t = Topology::grid(4, 4);
//! assert_eq!((t.node_count(), t.edge_count()), (16, 24));
//! assert_eq!(t.degree(0), 2); // a corner
//! ```

use petgraph::graph::{NodeIndex, UnGraph};
use rand::RngExt;

use crate::kernel::Simulation;
use crate::net::{LinkParams, NetError, NodeId};
use crate::rng::{StreamKind, stream};

/// A node of a topology: its name and, for spatial shapes, its position.
#[derive(Clone, Debug, PartialEq)]
pub struct TopoNode {
    /// The node's name (`n{i}`).
    pub name: String,
    /// Position in the plane (grid coordinates, or the unit square for random geometric graphs).
    pub pos: Option<[f64; 2]>,
}

/// An undirected network shape. Edges keep the order they were added in, so building the same
/// topology twice gives the same link ids.
#[derive(Clone, Debug)]
pub struct Topology {
    graph: UnGraph<TopoNode, ()>,
}

/// A topology's edge list named nodes that do not exist.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("edge {edge} ({a}, {b}) names a node outside 0..{nodes}")]
pub struct EdgeError {
    /// Index of the bad edge in the list.
    pub edge: usize,
    /// Its first end.
    pub a: usize,
    /// Its second end.
    pub b: usize,
    /// Number of nodes.
    pub nodes: usize,
}

impl Topology {
    fn with_nodes(n: usize, pos: impl Fn(usize) -> Option<[f64; 2]>) -> Self {
        let mut graph = UnGraph::with_capacity(n, n * 2);
        for i in 0..n {
            graph.add_node(TopoNode {
                name: format!("n{i}"),
                pos: pos(i),
            });
        }
        Topology { graph }
    }

    fn edge(&mut self, a: usize, b: usize) {
        let (a, b) = (NodeIndex::new(a), NodeIndex::new(b));
        if a != b && self.graph.find_edge(a, b).is_none() {
            self.graph.add_edge(a, b, ());
        }
    }

    /// A `rows × cols` 2D mesh grid; node `r·cols + c` sits at `(c, r)`.
    pub fn grid(rows: usize, cols: usize) -> Self {
        let mut t = Self::with_nodes(rows * cols, |i| {
            Some([(i % cols) as f64, (i / cols) as f64])
        });
        for r in 0..rows {
            for c in 0..cols {
                let i = r * cols + c;
                if c + 1 < cols {
                    t.edge(i, i + 1);
                }
                if r + 1 < rows {
                    t.edge(i, i + cols);
                }
            }
        }
        t
    }

    /// A grid whose rows and columns wrap around (every node has degree 4 when both sides ≥ 3).
    pub fn torus(rows: usize, cols: usize) -> Self {
        let mut t = Self::grid(rows, cols);
        for r in 0..rows {
            if cols > 2 {
                t.edge(r * cols + cols - 1, r * cols);
            }
        }
        for c in 0..cols {
            if rows > 2 {
                t.edge((rows - 1) * cols + c, c);
            }
        }
        t
    }

    /// `n` nodes in a line.
    pub fn line(n: usize) -> Self {
        let mut t = Self::with_nodes(n, |i| Some([i as f64, 0.0]));
        for i in 1..n {
            t.edge(i - 1, i);
        }
        t
    }

    /// `n` nodes in a ring (a line for `n < 3`), placed on a circle one unit apart along it,
    /// node 0 at the top, counting clockwise.
    pub fn ring(n: usize) -> Self {
        if n < 3 {
            return Self::line(n);
        }
        let r = n as f64 / std::f64::consts::TAU;
        let mut t = Self::with_nodes(n, |i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            Some([r * a.sin(), -r * a.cos()])
        });
        for i in 1..n {
            t.edge(i - 1, i);
        }
        t.edge(n - 1, 0);
        t
    }

    /// A star of `n` nodes: node 0 is the hub, linked to every other node.
    pub fn star(n: usize) -> Self {
        let mut t = Self::with_nodes(n, |_| None);
        for i in 1..n {
            t.edge(0, i);
        }
        t
    }

    /// Every pair of `n` nodes linked.
    pub fn complete(n: usize) -> Self {
        let mut t = Self::with_nodes(n, |_| None);
        for a in 0..n {
            for b in a + 1..n {
                t.edge(a, b);
            }
        }
        t
    }

    /// Erdős–Rényi G(n, p): each pair linked with probability `p`, drawn from a stream of `seed`.
    pub fn erdos_renyi(n: usize, p: f64, seed: u64) -> Self {
        let mut rng = stream(seed, StreamKind::User, 0x4552);
        let mut t = Self::with_nodes(n, |_| None);
        for a in 0..n {
            for b in a + 1..n {
                if rng.random::<f64>() < p {
                    t.edge(a, b);
                }
            }
        }
        t
    }

    /// A random geometric graph: `n` nodes placed uniformly in the unit square, linked when at
    /// most `radius` apart. Positions come from a stream of `seed`.
    pub fn random_geometric(n: usize, radius: f64, seed: u64) -> Self {
        let mut rng = stream(seed, StreamKind::User, 0x5247);
        let pts: Vec<[f64; 2]> = (0..n)
            .map(|_| [rng.random::<f64>(), rng.random::<f64>()])
            .collect();
        let mut t = Self::with_nodes(n, |i| Some(pts[i]));
        for a in 0..n {
            for b in a + 1..n {
                let (dx, dy) = (pts[a][0] - pts[b][0], pts[a][1] - pts[b][1]);
                if dx * dx + dy * dy <= radius * radius {
                    t.edge(a, b);
                }
            }
        }
        t
    }

    /// `n` nodes and the given edges (duplicates and self-loops are ignored).
    pub fn from_edges(n: usize, edges: &[(usize, usize)]) -> Result<Self, EdgeError> {
        let mut t = Self::with_nodes(n, |_| None);
        for (i, &(a, b)) in edges.iter().enumerate() {
            if a >= n || b >= n {
                return Err(EdgeError {
                    edge: i,
                    a,
                    b,
                    nodes: n,
                });
            }
            t.edge(a, b);
        }
        Ok(t)
    }

    /// The underlying graph.
    pub fn graph(&self) -> &UnGraph<TopoNode, ()> {
        &self.graph
    }
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }
    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }
    /// Number of neighbours of node `i`.
    pub fn degree(&self, i: usize) -> usize {
        self.graph.neighbors(NodeIndex::new(i)).count()
    }
    /// The edges as index pairs, in order.
    pub fn edges(&self) -> Vec<(usize, usize)> {
        self.graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| (a.index(), b.index()))
            .collect()
    }
    /// Whether every node can reach every other.
    pub fn is_connected(&self) -> bool {
        petgraph::algo::connected_components(&self.graph) <= 1
    }

    /// Adds the topology's nodes to `sim` and links every edge with `params`; returns the node
    /// ids in topology order. Ports are named after the neighbour.
    pub fn build(
        &self,
        sim: &mut Simulation,
        params: &LinkParams,
    ) -> Result<Vec<NodeId>, NetError> {
        let ids = self
            .graph
            .node_weights()
            .map(|n| {
                let id = sim.add_node(&n.name)?;
                if let Some(pos) = n.pos {
                    sim.set_position(id, pos)?;
                }
                Ok(id)
            })
            .collect::<Result<Vec<_>, NetError>>()?;
        for (a, b) in self.edges() {
            let (na, nb) = (
                &self.graph[NodeIndex::new(a)].name,
                &self.graph[NodeIndex::new(b)].name,
            );
            sim.link(ids[a], nb, ids[b], na, params.clone())?;
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn degrees(t: &Topology) -> Vec<usize> {
        (0..t.node_count()).map(|i| t.degree(i)).collect()
    }

    #[test]
    fn shapes_have_the_right_counts_and_degrees() {
        let g = Topology::grid(3, 4);
        assert_eq!((g.node_count(), g.edge_count()), (12, 3 * 3 + 2 * 4));
        assert_eq!(degrees(&g).iter().filter(|&&d| d == 2).count(), 4);
        assert_eq!(degrees(&g).iter().filter(|&&d| d == 4).count(), 2);

        let t = Topology::torus(4, 5);
        assert_eq!((t.node_count(), t.edge_count()), (20, 40));
        assert!(degrees(&t).iter().all(|&d| d == 4));

        let l = Topology::line(5);
        assert_eq!((l.edge_count(), degrees(&l)), (4, vec![1, 2, 2, 2, 1]));

        let r = Topology::ring(6);
        assert_eq!(r.edge_count(), 6);
        assert!(degrees(&r).iter().all(|&d| d == 2));

        let s = Topology::star(7);
        assert_eq!((s.edge_count(), s.degree(0), s.degree(3)), (6, 6, 1));

        let k = Topology::complete(6);
        assert_eq!(k.edge_count(), 15);
        assert!(degrees(&k).iter().all(|&d| d == 5));
    }

    #[test]
    fn random_graphs_are_seeded_and_plausible() {
        let a = Topology::erdos_renyi(200, 0.05, 1);
        assert_eq!(a.edges(), Topology::erdos_renyi(200, 0.05, 1).edges());
        assert_ne!(a.edges(), Topology::erdos_renyi(200, 0.05, 2).edges());
        // E[edges] = C(200,2)·0.05 = 995, sd ≈ 30.7.
        assert!(
            (a.edge_count() as f64 - 995.0).abs() < 4.0 * 30.7,
            "{}",
            a.edge_count()
        );

        let g = Topology::random_geometric(100, 0.2, 3);
        for (x, y) in g.edges() {
            let (p, q) = (
                g.graph()[NodeIndex::new(x)].pos.unwrap(),
                g.graph()[NodeIndex::new(y)].pos.unwrap(),
            );
            assert!(((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt() <= 0.2);
        }
        assert_eq!(g.edges(), Topology::random_geometric(100, 0.2, 3).edges());
    }

    #[test]
    fn edge_lists_are_checked() {
        let t = Topology::from_edges(3, &[(0, 1), (1, 2), (1, 0), (2, 2)]).unwrap();
        assert_eq!(t.edge_count(), 2);
        assert!(t.is_connected());
        assert_eq!(
            Topology::from_edges(3, &[(0, 3)]).unwrap_err(),
            EdgeError {
                edge: 0,
                a: 0,
                b: 3,
                nodes: 3
            }
        );
    }

    #[test]
    fn build_names_ports_after_neighbours() {
        let mut sim = Simulation::new(1);
        let ids = Topology::grid(2, 2)
            .build(&mut sim, &LinkParams::default())
            .unwrap();
        let n0 = sim.network().node(ids[0]).unwrap();
        let names: Vec<_> = n0.ports().iter().map(|p| p.name()).collect();
        assert_eq!(names, vec!["n1", "n2"]);
        assert_eq!(sim.network().links().len(), 4);
    }
}
