//! Counters kept by links and nodes, and their CSV form.

use serde::Serialize;

/// Why a message was lost.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropCause {
    /// The transmit queue was full (drop-tail).
    QueueFull,
    /// Lost on the wire (the link's loss probability).
    Loss,
    /// The link was down when sent, or went down while the message was queued or in flight.
    LinkDown,
    /// The link direction was cut (a partition), when sent or while queued or in flight.
    Cut,
    /// The receiving node was down (crashed, or booting again).
    NodeDown,
}

impl DropCause {
    /// The name used in traces and CSV: `queue_full`, `loss`, `link_down`, `cut`, `node_down`.
    pub fn as_str(self) -> &'static str {
        match self {
            DropCause::QueueFull => "queue_full",
            DropCause::Loss => "loss",
            DropCause::LinkDown => "link_down",
            DropCause::Cut => "cut",
            DropCause::NodeDown => "node_down",
        }
    }
}

/// Counters of one link direction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LinkStats {
    /// Messages handed to the link.
    pub sent: u64,
    /// Messages that arrived at the far port.
    pub delivered: u64,
    /// Dropped because the transmit queue was full.
    pub dropped_queue_full: u64,
    /// Dropped by the loss model.
    pub dropped_loss: u64,
    /// Dropped because the link was or went down.
    pub dropped_link_down: u64,
    /// Dropped because the direction was or got cut.
    pub dropped_cut: u64,
    /// Arrived, but dropped because the receiving node was down.
    pub dropped_node_down: u64,
    /// Bytes handed to the link.
    pub bytes_sent: u64,
    /// Bytes that arrived.
    pub bytes_delivered: u64,
    /// Sum over sent messages of the time spent waiting for the transmitter, ns.
    pub queue_delay_total: u64,
    /// Longest wait for the transmitter, ns.
    pub queue_delay_max: u64,
}

impl LinkStats {
    /// These counters and `other`'s added up; the longest wait is the larger of the two.
    pub fn merged(&self, other: &LinkStats) -> LinkStats {
        LinkStats {
            sent: self.sent + other.sent,
            delivered: self.delivered + other.delivered,
            dropped_queue_full: self.dropped_queue_full + other.dropped_queue_full,
            dropped_loss: self.dropped_loss + other.dropped_loss,
            dropped_link_down: self.dropped_link_down + other.dropped_link_down,
            dropped_cut: self.dropped_cut + other.dropped_cut,
            dropped_node_down: self.dropped_node_down + other.dropped_node_down,
            bytes_sent: self.bytes_sent + other.bytes_sent,
            bytes_delivered: self.bytes_delivered + other.bytes_delivered,
            queue_delay_total: self.queue_delay_total + other.queue_delay_total,
            queue_delay_max: self.queue_delay_max.max(other.queue_delay_max),
        }
    }

    pub(crate) fn count_drop(&mut self, cause: DropCause) {
        match cause {
            DropCause::QueueFull => self.dropped_queue_full += 1,
            DropCause::Loss => self.dropped_loss += 1,
            DropCause::LinkDown => self.dropped_link_down += 1,
            DropCause::Cut => self.dropped_cut += 1,
            DropCause::NodeDown => self.dropped_node_down += 1,
        }
    }
    /// All drops, whatever the cause.
    pub fn dropped(&self) -> u64 {
        self.dropped_queue_full
            + self.dropped_loss
            + self.dropped_link_down
            + self.dropped_cut
            + self.dropped_node_down
    }
}

/// Counters of one node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NodeStats {
    /// Sends on a port by the node's workers.
    pub port_sends: u64,
    /// Messages sent directly to a node (kernel-level schedule).
    pub direct_sends: u64,
    /// Messages delivered to the node (from links, siblings or directly), counted once per message.
    pub received: u64,
    /// Bytes of the received messages.
    pub bytes_received: u64,
    /// Timers that fired.
    pub timers: u64,
    /// Messages for the node dropped because it was down (crashed, or booting again).
    pub dropped_node_down: u64,
}
