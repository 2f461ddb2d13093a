//! JavaScript workers, on one of two engines chosen when vnet is built: boa (`boa_engine`,
//! pure Rust, the default) or QuickJS (`rquickjs`, the `quickjs` feature, which wins when both
//! are on). Both give the same API, value mapping, sandbox, determinism and blocking
//! semantics (see [`crate::vm`]); they differ in how limits are enforced, as
//! [`crate::vm`]'s "Safety and limits" says.

#[cfg(all(feature = "boa", not(feature = "quickjs")))]
mod boa;
#[cfg(all(feature = "boa", not(feature = "quickjs")))]
mod boa_tuples;
#[cfg(feature = "quickjs")]
mod quickjs;
#[cfg(feature = "quickjs")]
mod quickjs_api;
#[cfg(feature = "quickjs")]
mod quickjs_compiled;
#[cfg(feature = "quickjs")]
mod quickjs_heap;
#[cfg(feature = "quickjs")]
mod quickjs_values;

#[cfg(all(feature = "boa", not(feature = "quickjs")))]
pub(crate) use boa::JsVm;
#[cfg(feature = "quickjs")]
pub(crate) use quickjs::JsVm;

#[cfg(not(any(feature = "boa", feature = "quickjs")))]
compile_error!(
    "vnet-sim: choose a JavaScript engine: the `boa` feature (the default) or `quickjs`"
);

use serde_json::Value;

use crate::time::SimDuration;
use crate::vm::io::{NodeInfo, Step};

/// A blocking call the program is awaiting, with `R`, what resolves its promise (each
/// engine's own handle).
pub(super) enum Pending<R> {
    Recv {
        port: Option<crate::net::PortId>,
        timeout: Option<SimDuration>,
        resolve: R,
    },
    Sleep {
        duration: SimDuration,
        resolve: R,
    },
    /// `rd` or `take` on the tuple space, with no match yet.
    Tuple {
        pattern: Vec<Value>,
        take: bool,
        timeout: Option<SimDuration>,
        resolve: R,
    },
}

impl<R> Pending<R> {
    /// What the worker waits for, for the driver.
    fn step(&self) -> Step {
        match self {
            Pending::Recv { port, timeout, .. } => Step::Recv {
                port: *port,
                timeout: *timeout,
            },
            Pending::Sleep { duration, .. } => Step::Sleep(*duration),
            Pending::Tuple {
                pattern,
                take,
                timeout,
                ..
            } => Step::Tuple {
                pattern: pattern.clone(),
                take: *take,
                timeout: *timeout,
            },
        }
    }
}

/// `node()`'s value: `{id, name, worker, boot, ports, neighbours: {port: [node names]}}`.
fn node_value(info: &NodeInfo) -> Value {
    let neighbours: serde_json::Map<String, Value> = info
        .ports
        .iter()
        .cloned()
        .zip(info.neighbours.iter().map(|n| Value::from(n.clone())))
        .collect();
    serde_json::json!({ "id": info.id, "name": info.name, "worker": info.worker, "boot": info.boot, "ports": info.ports, "neighbours": neighbours })
}

/// The engine behind [`Lang::Js`](super::Lang::Js) workers in this build.
pub const JS_ENGINE: &str = if cfg!(feature = "quickjs") {
    "QuickJS"
} else {
    "boa"
};

/// Frees the garbage of JS workers now, so that a heap reading counts only what they keep:
/// boa's collector is per thread and runs when it likes; QuickJS frees most garbage at once
/// (reference counts) and collects each worker's cycles itself.
pub fn collect_garbage() {
    #[cfg(all(feature = "boa", not(feature = "quickjs")))]
    boa_gc::force_collect();
}

/// `text` with the position the engine appends (` (program:2:9)`) moved to the front, as Lua
/// puts it: `program:2:9: uncaught TypeError: …`.
fn located(text: &str, source: &str) -> String {
    let at = format!(" ({source}:");
    match text.rfind(&at) {
        Some(i) if text.ends_with(')') => {
            let position = &text[i + 2..text.len() - 1];
            format!("{position}: {}", &text[..i])
        }
        _ => text.to_owned(),
    }
}

/// JS has only doubles: integral ones (up to 2^53) cross as integers, as the mapping promises.
#[cfg_attr(feature = "quickjs", allow(dead_code))]
fn integral_to_int(v: Value) -> Value {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 && !n.is_i64() => {
                Value::from(f as i64)
            }
            _ => Value::Number(n),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(integral_to_int).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, integral_to_int(v)))
                .collect(),
        ),
        other => other,
    }
}
