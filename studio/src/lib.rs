//! # vnet studio — the paper's web GUI
//!
//! `vnet studio [FILE.json]` serves a page that shows the network as a world of nodes and
//! links, runs it (run, pause, step, reset; as fast as possible or paced), prints what workers
//! write, and evaluates expressions inside running workers — the paper's §III interface. Any
//! number of browsers may watch one studio; every command from one is shown in all.
//!
//! - [`protocol`]: the typed WebSocket messages (`/ws`).
//! - `session`: the thread that owns the simulation and batches what browsers see.
//! - `server`: axum routes — the page and its scripts, embedded in the binary; `/ws`;
//!   `/network.json` (download).
//! - [`layout`]: positions for networks that have none.
//!
//! Safety: it listens on 127.0.0.1 unless told otherwise; on any other address every request
//! needs the token printed in its URL. What a browser sends is typed and bounded; programs run
//! only in the sandboxed VMs.

mod assets;
mod edit;
pub mod layout;
mod observe;
pub mod protocol;
mod server;
mod session;
mod workers;

pub use server::{Running, StudioConfig, StudioError, start};

use vnet_sim::netfile::{NetworkFile, split_end};

/// Where each node of `file` is drawn, in the unit square (y down, as on screen): its `pos`
/// scaled to fit, or — when any node has none — a [`layout::spring`] layout.
pub fn positions(file: &NetworkFile) -> Vec<[f64; 2]> {
    let index = |name: &str| file.nodes.iter().position(|n| n.name == name);
    let given: Option<Vec<[f64; 2]>> = file.nodes.iter().map(|n| n.pos).collect();
    let raw = match given {
        Some(p) => p,
        None => {
            let edges: Vec<(usize, usize)> = file
                .links
                .iter()
                .filter_map(|l| {
                    let a = index(split_end(&l.a)?.0)?;
                    let b = index(split_end(&l.b)?.0)?;
                    Some((a, b))
                })
                .collect();
            layout::spring(file.nodes.len(), &edges, 300)
        }
    };
    let (lo, span) = bounds_of(&raw);
    raw.iter()
        .map(|p| [(p[0] - lo[0]) / span, (p[1] - lo[1]) / span])
        .collect()
}

/// The lower corner and side of the square [`positions`] maps onto the unit square, for a file
/// whose nodes all have positions.
pub(crate) fn bounds(file: &NetworkFile) -> ([f64; 2], f64) {
    let raw: Vec<[f64; 2]> = file.nodes.iter().filter_map(|n| n.pos).collect();
    bounds_of(&raw)
}

fn bounds_of(raw: &[[f64; 2]]) -> ([f64; 2], f64) {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in raw {
        for i in 0..2 {
            lo[i] = lo[i].min(p[i]);
            hi[i] = hi[i].max(p[i]);
        }
    }
    if raw.is_empty() {
        return ([0.0, 0.0], 1.0);
    }
    let span = (hi[0] - lo[0]).max(hi[1] - lo[1]);
    (lo, if span > 0.0 { span } else { 1.0 })
}
