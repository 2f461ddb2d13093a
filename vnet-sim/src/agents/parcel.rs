//! [`Parcel`]: an agent on its way — its class's code, its state as JSON and the activity it
//! resumes at — as the one message `moveto` sends over a link.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::net::{Message, Payload};
use crate::vm::Lang;

/// The key of the envelope object a parcel travels in: `{"$agent": {...}}`.
pub const PARCEL_KEY: &str = "$agent";

/// The largest agent that may leave a node: its parcel's compact JSON, in bytes (JAM caps an
/// outgoing agent at 60 kB too). A `moveto` or `clone` past it fails the agent.
pub const MAX_OUT: usize = 60_000;

/// The largest parcel a platform takes in, in bytes (JAM's 256 kB): bigger ones, which only a
/// Rust program or a P-node can make, are refused and counted.
pub const MAX_IN: usize = 256 * 1024;

/// An agent between two activities: everything needed to run it anywhere.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parcel {
    /// The agent's id, for life: `<node of birth>.<n>` (`n0.3`).
    pub id: String,
    /// The language of its class.
    pub lang: Lang,
    /// The class's name (its file's stem).
    pub class: String,
    /// The class's code: a chunk (Lua) or function body (JavaScript) returning the class.
    pub code: String,
    /// The state fields, or `null` for a new agent, which starts with its class's fields.
    #[serde(default)]
    pub state: Value,
    /// The activity it resumes at; `None`: the class's `start`.
    #[serde(default)]
    pub next: Option<String>,
    /// Links crossed so far.
    #[serde(default)]
    pub hops: u32,
}

impl Parcel {
    /// A new agent of class `class` (`code` in `lang`) called `id`, starting at its class's
    /// start with its class's fields, overridden by `state`'s (an object, or `null`).
    pub fn new(id: String, lang: Lang, class: String, code: String, state: Value) -> Self {
        Parcel {
            id,
            lang,
            class,
            code,
            state,
            next: None,
            hops: 0,
        }
    }

    /// The parcel as a message, charged by its size like any value.
    pub fn to_message(&self) -> Message {
        Message::value(self.envelope())
    }

    /// The parcel in its envelope, `{"$agent": {...}}`.
    pub fn envelope(&self) -> Value {
        let body = serde_json::to_value(self).unwrap_or(Value::Null);
        let mut env = serde_json::Map::new();
        env.insert(PARCEL_KEY.to_owned(), body);
        Value::Object(env)
    }

    /// The parcel `msg` carries: `None` if it is not one; an error naming what is wrong if it
    /// is malformed or bigger than [`MAX_IN`].
    pub fn from_message(msg: &Message) -> Option<Result<Parcel, String>> {
        let body = envelope_body(msg)?;
        if msg.size() as usize > MAX_IN {
            return Some(Err(format!(
                "an agent of {} bytes is over the {MAX_IN}-byte cap of incoming agents",
                msg.size()
            )));
        }
        Some(
            Parcel::deserialize(body)
                .map_err(|e| format!("a malformed agent: {e}"))
                .and_then(|p| p.check().map(|()| p)),
        )
    }

    /// Refuses a parcel whose state is neither an object nor null.
    pub fn check(&self) -> Result<(), String> {
        match self.state {
            Value::Null | Value::Object(_) => Ok(()),
            _ => Err(format!("agent {}: its state must be an object", self.id)),
        }
    }
}

/// The body of `msg`'s envelope, if it is an agent parcel.
fn envelope_body(msg: &Message) -> Option<&Value> {
    match msg.payload() {
        Payload::Value(Value::Object(o)) if o.len() == 1 => o.get(PARCEL_KEY),
        _ => None,
    }
}

/// Whether `msg` is an agent in transit (VM workers do not receive those; platforms do).
pub fn is_parcel(msg: &Message) -> bool {
    // A packed message is asked without being decoded (the Lua message path).
    if let Some(p) = msg.as_packed() {
        return p.sole_key() == Some(PARCEL_KEY.as_bytes());
    }
    envelope_body(msg).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_parcel_round_trips_and_is_sized_as_its_json() {
        let mut p = Parcel::new(
            "n0.1".into(),
            Lang::Lua,
            "walker".into(),
            "return {}".into(),
            json!({"a": [1, 2.5, "x"]}),
        );
        p.next = Some("go".into());
        p.hops = 3;
        let m = p.to_message();
        assert!(is_parcel(&m));
        assert_eq!(
            m.size() as usize,
            serde_json::to_string(&p.envelope()).unwrap().len()
        );
        assert_eq!(Parcel::from_message(&m), Some(Ok(p)));
        assert_eq!(Parcel::from_message(&Message::value(json!({"x": 1}))), None);
        let bad = Message::value(json!({"$agent": {"id": "a"}}));
        let e = Parcel::from_message(&bad).unwrap().unwrap_err();
        assert!(e.contains("missing field"), "{e}");
        let bad = Message::value(json!({"$agent": {"id": "a", "lang": "lua", "class": "c",
            "code": "", "state": 3}}));
        assert!(
            Parcel::from_message(&bad)
                .unwrap()
                .unwrap_err()
                .contains("must be an object")
        );
    }
}
