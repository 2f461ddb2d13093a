//! The stats report as CSV: one row per link direction, one row per node.

use crate::net::{Network, NodeStats};

pub(super) fn write_links<W: std::io::Write>(net: &Network, out: W) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "link",
        "from",
        "to",
        "up",
        "sent",
        "delivered",
        "dropped_queue_full",
        "dropped_loss",
        "dropped_link_down",
        "dropped_cut",
        "dropped_node_down",
        "cut",
        "bytes_sent",
        "bytes_delivered",
        "queue_delay_total_ns",
        "queue_delay_max_ns",
        "queue_delay_mean_ns",
    ])?;
    for (i, l) in net.links().iter().enumerate() {
        let ends = l.ends();
        for d in 0..2 {
            let s = l.stats(d);
            let mean = if s.sent == 0 {
                0.0
            } else {
                s.queue_delay_total as f64 / s.sent as f64
            };
            w.write_record([
                i.to_string(),
                net.describe(ends[d]),
                net.describe(ends[1 - d]),
                l.is_up().to_string(),
                s.sent.to_string(),
                s.delivered.to_string(),
                s.dropped_queue_full.to_string(),
                s.dropped_loss.to_string(),
                s.dropped_link_down.to_string(),
                s.dropped_cut.to_string(),
                s.dropped_node_down.to_string(),
                l.is_cut(d).to_string(),
                s.bytes_sent.to_string(),
                s.bytes_delivered.to_string(),
                s.queue_delay_total.to_string(),
                s.queue_delay_max.to_string(),
                format!("{mean:.1}"),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

pub(super) fn write_nodes<W: std::io::Write>(
    net: &Network,
    stats: &[&NodeStats],
    out: W,
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "node",
        "name",
        "port_sends",
        "direct_sends",
        "received",
        "bytes_received",
        "timers",
        "dropped_node_down",
    ])?;
    for (i, (n, s)) in net.nodes().iter().zip(stats).enumerate() {
        w.write_record([
            i.to_string(),
            n.name().to_string(),
            s.port_sends.to_string(),
            s.direct_sends.to_string(),
            s.received.to_string(),
            s.bytes_received.to_string(),
            s.timers.to_string(),
            s.dropped_node_down.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}
