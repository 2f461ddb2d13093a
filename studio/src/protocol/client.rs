//! What a browser sends: run control, shells, worker control and network edits.

use serde::{Deserialize, Serialize};
use vnet_sim::netfile::{LinkSpec, NodeSpec};
use vnet_sim::vm::Lang;

use super::{MAX_CODE, MAX_FRAME, MAX_NAME, MAX_SOURCE};

/// A browser's command.
///
/// Run control (`run`, `pause`, `step`, `reset`), shells (`eval`) and worker control
/// (`worker`, `set_code`, `add_worker`) act on the running simulation. Edits of the network's
/// shape or parameters (`add_node`, `remove_node`, `set_node`, `add_link`, `remove_link`,
/// `set_link`, `load`) change the network and, if it still builds, rebuild the simulation
/// from time zero (paused, same seed) and send every browser a `hello`; if it does not, they
/// change nothing and the sender gets an `error` saying why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Run: as fast as possible (`speed` absent or null) or at `speed`× real time.
    Run {
        /// Virtual seconds per wall second; null: as fast as possible.
        #[serde(default)]
        speed: Option<f64>,
    },
    /// Stop running (the simulation keeps its state).
    Pause,
    /// Run one event, or (`until_message`) up to and including the next delivery.
    Step {
        /// Step to the next delivered message rather than one event.
        #[serde(default)]
        until_message: bool,
    },
    /// Build the simulation again from the network, with `seed` if given.
    Reset {
        /// The master seed; absent: the current one.
        #[serde(default)]
        seed: Option<u64>,
    },
    /// Evaluate `code` inside worker `worker` of node `node` (a Lua or JS expression or chunk).
    Eval {
        /// The node's name.
        node: String,
        /// The worker's index in the node's `workers`.
        worker: u32,
        /// What to evaluate.
        code: String,
    },
    /// Write the network back to the file the studio was opened with (and edited programs
    /// back to the files they came from).
    Save,
    /// Move node `node` to `pos`, in the drawing's unit square (as `hello`'s positions). The
    /// network's positions change (a node without one gets the one it is drawn at), and so
    /// does the running simulation's: a spatial sensor reads the field where the node now is.
    MoveNode {
        /// The node's name.
        node: String,
        /// Where, in the drawing's unit square (−1 to 2 on each axis).
        pos: [f64; 2],
    },
    /// Start, restart or kill worker `worker` of node `node` in the running simulation, at
    /// the current virtual time. A (re)started worker is a fresh program from the worker's
    /// current code.
    Worker {
        /// The node's name.
        node: String,
        /// The worker's index in the node's `workers`.
        worker: u32,
        /// What to do.
        action: WorkerAction,
    },
    /// Give worker `worker` of node `node` new code. It takes effect when the worker is next
    /// started or restarted, or at the next reset. A worker whose code comes from a file
    /// (`path`) changes that file's text for every worker that runs it; `save` writes it.
    SetCode {
        /// The node's name.
        node: String,
        /// The worker's index in the node's `workers`.
        worker: u32,
        /// The program.
        code: String,
    },
    /// Add a worker running `code` to node `node` and start it now.
    AddWorker {
        /// The node's name.
        node: String,
        /// `lua` or `js`.
        lang: Lang,
        /// The program.
        code: String,
    },
    /// Add a node at `pos` (the drawing's unit square), named `name` (default: the first free
    /// `n0`, `n1`, …), with the workers, profile, params and sensors of `copy_of` if given.
    AddNode {
        /// The new node's name.
        #[serde(default)]
        name: Option<String>,
        /// Where, in the drawing's unit square (−1 to 2 on each axis).
        pos: [f64; 2],
        /// A node to copy the programs and settings of.
        #[serde(default)]
        copy_of: Option<String>,
    },
    /// Remove node `node` and every link it has.
    RemoveNode {
        /// The node's name.
        node: String,
    },
    /// Replace node `node` with `spec` (its ports, profile, params, workers, sensors,
    /// position; a new name renames the node's link ends too).
    SetNode {
        /// The node's name now.
        node: String,
        /// What it becomes.
        spec: Box<NodeSpec>,
    },
    /// Link `a` to `b`: each a node (`"n3"`: a new port named after the node at the other
    /// end, as generated topologies name them) or a port (`"n3.east"`). The link takes the
    /// parameters of the network's first link (1 ms otherwise).
    AddLink {
        /// One end.
        a: String,
        /// The other end.
        b: String,
    },
    /// Remove the link between ends `a` and `b` (as the link lists them, either order).
    RemoveLink {
        /// One end, `node.port`.
        a: String,
        /// The other end.
        b: String,
    },
    /// Give the link with `link`'s two ends (either order) `link`'s parameters.
    SetLink {
        /// The link as it should be.
        link: Box<LinkSpec>,
    },
    /// Crash node `node` now, in the running simulation (`vnet_sim::faults`): its workers end
    /// as `crashed`, and messages for it are dropped until it restarts. A fault, not an edit:
    /// it is not saved, and a reset undoes it.
    Crash {
        /// The node's name.
        node: String,
    },
    /// Restart node `node` now (crashing it first if it is up): after its host profile's
    /// `t_boot` it is up, with fresh programs; its store survives unless `wipe`.
    Restart {
        /// The node's name.
        node: String,
        /// Empty the node's store.
        #[serde(default)]
        wipe: bool,
    },
    /// Cut every link between nodes `a` and `b`, both ways, now: messages in flight on them are
    /// dropped, and so is what is sent on them until `heal`.
    Cut {
        /// One node's name.
        a: String,
        /// The other's.
        b: String,
    },
    /// Lift every cut now.
    Heal,
    /// Replace the whole network with a network file's text (an upload). `path` workers are
    /// read relative to the studio's folder and must stay inside it.
    Load {
        /// The file's text.
        text: String,
    },
}

/// What [`ClientMessage::Worker`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerAction {
    /// Start it if it has ended (finished, failed or killed).
    Start,
    /// Kill it if alive, then start it.
    Restart,
    /// End it.
    Kill,
}

impl ClientMessage {
    /// Reads a frame, checking bounds; the error is what to tell the browser.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() > MAX_FRAME {
            return Err(format!("a frame is at most {MAX_FRAME} bytes"));
        }
        let m: ClientMessage =
            serde_json::from_str(text).map_err(|e| format!("bad command: {e}"))?;
        m.check()?;
        Ok(m)
    }

    fn check(&self) -> Result<(), String> {
        let in_square = |pos: &[f64; 2]| {
            if pos
                .iter()
                .all(|v| v.is_finite() && (-1.0..=2.0).contains(v))
            {
                Ok(())
            } else {
                Err(format!(
                    "`pos` must be within −1 and 2 on each axis, not {pos:?}"
                ))
            }
        };
        let name = |what: &str, n: &str| {
            if n.len() > MAX_NAME {
                Err(format!("`{what}` is at most {MAX_NAME} bytes"))
            } else {
                Ok(())
            }
        };
        let source = |code: &str| {
            if code.len() > MAX_SOURCE {
                Err(format!("`code` is at most {MAX_SOURCE} bytes"))
            } else {
                Ok(())
            }
        };
        match self {
            ClientMessage::Run { speed: Some(k) } if !(k.is_finite() && *k > 0.0) => {
                Err(format!("`speed` must be above 0, not {k}"))
            }
            ClientMessage::Eval { code, .. } if code.len() > MAX_CODE => {
                Err(format!("`code` is at most {MAX_CODE} bytes"))
            }
            ClientMessage::MoveNode { pos, .. } => in_square(pos),
            ClientMessage::AddNode { pos, name: n, .. } => {
                in_square(pos)?;
                n.as_deref().map_or(Ok(()), |n| name("name", n))
            }
            ClientMessage::SetCode { code, .. } | ClientMessage::AddWorker { code, .. } => {
                source(code)
            }
            ClientMessage::SetNode { spec, .. } => {
                name("spec.name", &spec.name)?;
                spec.workers
                    .iter()
                    .try_for_each(|w| w.code.as_deref().map_or(Ok(()), source))
            }
            _ => Ok(()),
        }
    }
}
