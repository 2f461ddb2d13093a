//! Positions for drawing a network that has none: a force-directed layout
//! (Fruchterman–Reingold), deterministic — it starts from a circle and draws no random numbers,
//! so the same network is always drawn the same way.
//!
//! ```
//! // A path of three nodes: the middle one ends up between the others.
//! let p = vnet_studio::layout::spring(3, &[(0, 1), (1, 2)], 200);
//! let (a, b, c) = (p[0][0], p[1][0], p[2][0]);
//! assert!((a < b && b < c) || (a > b && b > c) || (p[0][1] - p[1][1]) * (p[1][1] - p[2][1]) > 0.0);
//! ```

/// Positions in the unit square for `n` nodes joined by `edges` (index pairs), after
/// `iterations` rounds of attraction along edges and repulsion between every pair.
pub fn spring(n: usize, edges: &[(usize, usize)], iterations: usize) -> Vec<[f64; 2]> {
    if n == 0 {
        return Vec::new();
    }
    let mut pos: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            [0.5 + 0.4 * a.cos(), 0.5 + 0.4 * a.sin()]
        })
        .collect();
    if n == 1 {
        return vec![[0.5, 0.5]];
    }
    let k = (1.0 / n as f64).sqrt();
    let mut temperature = 0.1;
    let cool = temperature / (iterations.max(1) as f64 + 1.0);
    // Beyond a few thousand nodes the all-pairs repulsion is too slow to be worth it.
    let repel = n <= 3000;
    for _ in 0..iterations {
        let mut disp = vec![[0.0f64; 2]; n];
        if repel {
            for a in 0..n {
                for b in a + 1..n {
                    let (dx, dy) = (pos[a][0] - pos[b][0], pos[a][1] - pos[b][1]);
                    let d2 = (dx * dx + dy * dy).max(1e-9);
                    let f = k * k / d2;
                    disp[a][0] += dx * f;
                    disp[a][1] += dy * f;
                    disp[b][0] -= dx * f;
                    disp[b][1] -= dy * f;
                }
            }
        }
        for &(a, b) in edges {
            if a >= n || b >= n || a == b {
                continue;
            }
            let (dx, dy) = (pos[a][0] - pos[b][0], pos[a][1] - pos[b][1]);
            let d = (dx * dx + dy * dy).sqrt().max(1e-9);
            let f = d / k;
            disp[a][0] -= dx * f;
            disp[a][1] -= dy * f;
            disp[b][0] += dx * f;
            disp[b][1] += dy * f;
        }
        for (p, d) in pos.iter_mut().zip(&disp) {
            let len = (d[0] * d[0] + d[1] * d[1]).sqrt().max(1e-9);
            let step = len.min(temperature);
            p[0] += d[0] / len * step;
            p[1] += d[1] / len * step;
        }
        temperature -= cool;
    }
    // Into the unit square, keeping the aspect ratio.
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in &pos {
        for i in 0..2 {
            lo[i] = lo[i].min(p[i]);
            hi[i] = hi[i].max(p[i]);
        }
    }
    let span = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(1e-9);
    pos.iter()
        .map(|p| [(p[0] - lo[0]) / span, (p[1] - lo[1]) / span])
        .collect()
}
