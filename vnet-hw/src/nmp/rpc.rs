//! JSON-RPC 2.0 framing for NMP: requests, replies, and the error codes (the standard ones and
//! NMP's own in the server range).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The standard and NMP-specific JSON-RPC error codes.
pub mod code {
    /// Not JSON, or JSON nested too deep.
    pub const PARSE_ERROR: i64 = -32700;
    /// JSON, but not a JSON-RPC 2.0 request object.
    pub const INVALID_REQUEST: i64 = -32600;
    /// No method by that name.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Missing or ill-typed parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// The daemon failed (a bug, or a worker thread that could not start).
    pub const INTERNAL_ERROR: i64 = -32603;
    /// No key, wrong key, stale timestamp or replayed nonce.
    pub const UNAUTHORIZED: i64 = -32001;
    /// The session id names no open session.
    pub const NO_SUCH_SESSION: i64 = -32002;
    /// A limit (sessions, workers, ports, queue lengths) is reached.
    pub const LIMIT: i64 = -32003;
    /// The VM id names no worker of this node.
    pub const NO_SUCH_VM: i64 = -32004;
    /// The port name names no port of this node.
    pub const NO_SUCH_PORT: i64 = -32005;
    /// The worker's code failed (a syntax error, an error raised by eval).
    pub const VM_ERROR: i64 = -32006;
    /// The request conflicts with the node's state (a port that exists, a link twice).
    pub const CONFLICT: i64 = -32007;
}

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("NMP error {code}: {message}")]
pub struct RpcError {
    /// One of [`code`].
    pub code: i64,
    /// What went wrong, naming the parameter or object.
    pub message: String,
    /// More detail (a traceback), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }
    /// `-32602` naming what is wrong with the parameters.
    pub fn params(message: impl Into<String>) -> Self {
        Self::new(code::INVALID_PARAMS, message)
    }
}

/// A request as read off the wire (after the JSON parse).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The id to echo; `None` for a notification (no reply is sent).
    pub id: Option<Value>,
    /// The method name.
    pub method: String,
    /// The parameters (an object, or `null` when absent).
    pub params: Value,
}

impl Request {
    /// Checks the JSON-RPC 2.0 envelope of `v`; the error carries the id when it could be read.
    pub fn from_value(v: Value) -> Result<Request, (Option<Value>, RpcError)> {
        let Value::Object(mut m) = v else {
            return Err((
                None,
                RpcError::new(
                    code::INVALID_REQUEST,
                    "a request must be a JSON object (batches are not supported)",
                ),
            ));
        };
        let id = m.remove("id");
        if let Some(id) = &id {
            if !(id.is_string() || id.is_number() || id.is_null()) {
                return Err((
                    None,
                    RpcError::new(
                        code::INVALID_REQUEST,
                        "`id` must be a string, a number or null",
                    ),
                ));
            }
        }
        if m.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err((
                id,
                RpcError::new(code::INVALID_REQUEST, "`jsonrpc` must be \"2.0\""),
            ));
        }
        let method = match m.remove("method") {
            Some(Value::String(s)) => s,
            _ => {
                return Err((
                    id,
                    RpcError::new(code::INVALID_REQUEST, "`method` must be a string"),
                ));
            }
        };
        let params = match m.remove("params") {
            None | Some(Value::Null) => Value::Null,
            Some(p @ Value::Object(_)) => p,
            Some(_) => {
                return Err((
                    id,
                    RpcError::params("`params` must be an object (by-name parameters)"),
                ));
            }
        };
        Ok(Request { id, method, params })
    }

    /// The request as JSON-RPC 2.0 text.
    pub fn to_json(&self) -> String {
        let mut m = serde_json::Map::new();
        m.insert("jsonrpc".into(), "2.0".into());
        if let Some(id) = &self.id {
            m.insert("id".into(), id.clone());
        }
        m.insert("method".into(), self.method.clone().into());
        if !self.params.is_null() {
            m.insert("params".into(), self.params.clone());
        }
        Value::Object(m).to_string()
    }
}

/// A reply: the id and either a result or an error.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The request's id (`null` when it could not be read).
    pub id: Value,
    /// What the method returned, or why it failed.
    pub outcome: Result<Value, RpcError>,
}

impl Reply {
    /// The reply as JSON-RPC 2.0 text.
    pub fn to_json(&self) -> String {
        let body = match &self.outcome {
            Ok(r) => serde_json::json!({"jsonrpc": "2.0", "id": self.id, "result": r}),
            Err(e) => serde_json::json!({"jsonrpc": "2.0", "id": self.id, "error": e}),
        };
        body.to_string()
    }

    /// Reads a reply; `None` if `v` is not one.
    pub fn from_value(v: &Value) -> Option<Reply> {
        let id = v.get("id")?.clone();
        if let Some(e) = v.get("error") {
            return Some(Reply {
                id,
                outcome: Err(serde_json::from_value(e.clone()).ok()?),
            });
        }
        Some(Reply {
            id,
            outcome: Ok(v.get("result")?.clone()),
        })
    }
}

/// A server-to-client notification (WebSocket pushes): `{"jsonrpc":"2.0","method":…,"params":…}`.
pub fn notification(method: &str, params: Value) -> String {
    serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string()
}

/// Parses request text: the JSON parse (serde_json refuses nesting deeper than 128 levels) and
/// the envelope.
pub fn parse(body: &[u8]) -> Result<Request, (Option<Value>, RpcError)> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        (
            None,
            RpcError::new(code::PARSE_ERROR, format!("not valid JSON: {e}")),
        )
    })?;
    Request::from_value(v)
}
