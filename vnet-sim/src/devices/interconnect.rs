//! Logical interconnects: which devices a crossbar switch lets talk to which. The switch is a
//! full N:N multiplexer; the interconnect chosen for a run decides the pairs it connects.

/// A symmetric relation on `n` devices: who may send to whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interconnect {
    n: usize,
    name: String,
    /// `allowed[a * n + b]`.
    allowed: Vec<bool>,
}

impl Interconnect {
    fn from_pairs(n: usize, name: &str, pairs: impl IntoIterator<Item = (usize, usize)>) -> Self {
        let mut allowed = vec![false; n * n];
        for (a, b) in pairs {
            if a < n && b < n && a != b {
                allowed[a * n + b] = true;
                allowed[b * n + a] = true;
            }
        }
        Interconnect {
            n,
            name: name.to_owned(),
            allowed,
        }
    }

    /// Each device to the next and the previous, around a ring.
    pub fn ring(n: usize) -> Self {
        Self::from_pairs(n, "ring", (0..n).map(|i| (i, (i + 1) % n)))
    }

    /// A `rows × cols` 2D mesh, row-major.
    pub fn mesh(rows: usize, cols: usize) -> Self {
        let mut pairs = Vec::new();
        for r in 0..rows {
            for c in 0..cols {
                let i = r * cols + c;
                if c + 1 < cols {
                    pairs.push((i, i + 1));
                }
                if r + 1 < rows {
                    pairs.push((i, i + cols));
                }
            }
        }
        Self::from_pairs(rows * cols, "mesh", pairs)
    }

    /// Every device to `center` only.
    pub fn star(n: usize, center: usize) -> Self {
        Self::from_pairs(n, "star", (0..n).map(|i| (center, i)))
    }

    /// Every device to every other.
    pub fn complete(n: usize) -> Self {
        Self::from_pairs(
            n,
            "complete",
            (0..n).flat_map(|a| (0..n).map(move |b| (a, b))),
        )
    }

    /// The given pairs (either way); pairs naming a device `>= n` are ignored.
    pub fn custom(n: usize, pairs: &[(usize, usize)]) -> Self {
        Self::from_pairs(n, "custom", pairs.iter().copied())
    }

    /// Devices.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether it has no devices.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// `ring`, `mesh`, `star`, `complete` or `custom`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether `a` may send to `b`.
    pub fn connects(&self, a: usize, b: usize) -> bool {
        a < self.n && b < self.n && self.allowed[a * self.n + b]
    }

    /// The devices `a` may send to, ascending.
    pub fn neighbours(&self, a: usize) -> Vec<usize> {
        (0..self.n).filter(|&b| self.connects(a, b)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let r = Interconnect::ring(8);
        assert_eq!(r.neighbours(0), vec![1, 7]);
        assert!(!r.connects(0, 4));
        let m = Interconnect::mesh(2, 4);
        assert_eq!(m.neighbours(5), vec![1, 4, 6]);
        let s = Interconnect::star(8, 0);
        assert_eq!(s.neighbours(3), vec![0]);
        assert_eq!(s.neighbours(0).len(), 7);
        let c = Interconnect::complete(8);
        assert_eq!(c.neighbours(2).len(), 7);
        assert!(!c.connects(2, 2));
        let x = Interconnect::custom(4, &[(0, 3), (9, 1)]);
        assert_eq!(x.neighbours(3), vec![0]);
        assert!(x.neighbours(1).is_empty());
    }
}
