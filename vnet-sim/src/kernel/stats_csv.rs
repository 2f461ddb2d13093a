//! The stats report as CSV: one row per link direction, one row per node.

use serde::Serialize;

use crate::net::{LinkStats, Network, NodeStats};

#[derive(Serialize)]
struct LinkRow<'a> {
    link: u32,
    from: String,
    to: String,
    up: bool,
    #[serde(flatten)]
    stats: &'a LinkStats,
    queue_delay_mean_ns: f64,
}

#[derive(Serialize)]
struct NodeRow<'a> {
    node: u32,
    name: &'a str,
    #[serde(flatten)]
    stats: &'a NodeStats,
}

pub(super) fn write_links<W: std::io::Write>(net: &Network, out: W) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    for (i, l) in net.links().iter().enumerate() {
        let ends = l.ends();
        for d in 0..2 {
            let s = l.stats(d);
            w.serialize(LinkRow {
                link: i as u32,
                from: net.describe(ends[d]),
                to: net.describe(ends[1 - d]),
                up: l.is_up(),
                stats: s,
                queue_delay_mean_ns: if s.sent == 0 { 0.0 } else { s.queue_delay_total as f64 / s.sent as f64 },
            })?;
        }
    }
    w.flush()?;
    Ok(())
}

pub(super) fn write_nodes<W: std::io::Write>(net: &Network, stats: &[&NodeStats], out: W) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    for (i, (n, s)) in net.nodes().iter().zip(stats).enumerate() {
        w.serialize(NodeRow { node: i as u32, name: n.name(), stats: s })?;
    }
    w.flush()?;
    Ok(())
}
