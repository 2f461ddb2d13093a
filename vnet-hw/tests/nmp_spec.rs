//! The specification and the code cannot drift apart: every request and reply shown in
//! `docs/nmp.md` parses with the schema's types (`vnet_hw::nmp::schema`), which refuse unknown
//! fields — a field renamed on either side fails here.

use serde_json::Value;
use vnet_hw::nmp::method as m;
use vnet_hw::nmp::rpc::{Reply, Request};
use vnet_hw::nmp::schema::{self as s, Method, parse_params};

/// The `→` and `←` lines of the spec's code blocks, each with its continuation lines.
fn exchanges(spec: &str) -> Vec<(char, String)> {
    let mut out: Vec<(char, String)> = Vec::new();
    let mut in_block = false;
    for line in spec.lines() {
        if line.starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(rest) = line.strip_prefix("→ ") {
            out.push(('→', rest.to_owned()));
        } else if let Some(rest) = line.strip_prefix("← ") {
            out.push(('←', rest.to_owned()));
        } else if line.starts_with(' ') {
            if let Some((_, text)) = out.last_mut() {
                text.push_str(line.trim());
            }
        }
    }
    out
}

/// Parses `params` as method `M`'s, and `result` (if any) as its result.
fn check<M: Method>(params: &Value, result: Option<&Value>) -> Result<(), String> {
    parse_params::<M::Params>(params).map_err(|e| format!("params: {}", e.message))?;
    if let Some(r) = result {
        serde_json::from_value::<M::Result>(r.clone()).map_err(|e| format!("result: {e}"))?;
    }
    Ok(())
}

fn check_method(method: &str, params: &Value, result: Option<&Value>) -> Result<(), String> {
    match method {
        m::SESSION_OPEN => check::<s::SessionOpen>(params, result),
        m::SESSION_RESUME => check::<s::SessionResume>(params, result),
        m::SESSION_CLOSE => check::<s::SessionClose>(params, result),
        m::NODE_INFO => check::<s::NodeInfo>(params, result),
        m::VM_CREATE => check::<s::VmCreate>(params, result),
        m::VM_KILL => check::<s::VmKill>(params, result),
        m::VM_LIST => check::<s::VmList>(params, result),
        m::VM_EVAL => check::<s::VmEval>(params, result),
        m::IO_POLL => check::<s::IoPoll>(params, result),
        m::IO_SUBSCRIBE => check::<s::IoSubscribe>(params, result),
        m::IO_ACK => check::<s::IoAck>(params, result),
        m::PORT_CREATE => check::<s::PortCreate>(params, result),
        m::PORT_LINK => check::<s::PortLink>(params, result),
        m::PORT_UNLINK => check::<s::PortUnlink>(params, result),
        m::PORT_SEND => check::<s::PortSend>(params, result),
        m::PORT_RECV => check::<s::PortRecv>(params, result),
        m::PORT_DELIVER => check::<s::PortDeliver>(params, result),
        m::NET_SAVE => check::<s::NetSave>(params, result),
        m::NET_LOAD => check::<s::NetLoad>(params, result),
        m::AGENTS_START => check::<s::AgentsStart>(params, result),
        m::AGENTS_LIST => check::<s::AgentsList>(params, result),
        other => Err(format!("no method {other}")),
    }
}

const METHODS: [&str; 21] = [
    m::SESSION_OPEN,
    m::SESSION_RESUME,
    m::SESSION_CLOSE,
    m::NODE_INFO,
    m::VM_CREATE,
    m::VM_KILL,
    m::VM_LIST,
    m::VM_EVAL,
    m::IO_POLL,
    m::IO_SUBSCRIBE,
    m::IO_ACK,
    m::PORT_CREATE,
    m::PORT_LINK,
    m::PORT_UNLINK,
    m::PORT_SEND,
    m::PORT_RECV,
    m::PORT_DELIVER,
    m::NET_SAVE,
    m::NET_LOAD,
    m::AGENTS_START,
    m::AGENTS_LIST,
];

#[test]
fn every_example_in_the_spec_parses_with_the_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/nmp.md");
    let spec = std::fs::read_to_string(path).unwrap();
    let lines = exchanges(&spec);
    assert!(lines.len() > 40, "found only {} examples", lines.len());
    // The request each reply answers: the latest one with its id.
    let mut pending: Vec<Request> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut pushes = 0;
    for (arrow, text) in &lines {
        let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        match arrow {
            '→' => {
                let req = Request::from_value(v).unwrap_or_else(|e| panic!("{e:?}: {text}"));
                pending.push(req);
            }
            _ if v.get("method").is_some() => {
                // A push: `io.event`.
                assert_eq!(v["method"], m::IO_EVENT, "{text}");
                serde_json::from_value::<s::EventPush>(v["params"].clone())
                    .unwrap_or_else(|e| panic!("{e}: {text}"));
                pushes += 1;
            }
            _ => {
                let reply = Reply::from_value(&v).unwrap_or_else(|| panic!("not a reply: {text}"));
                let i = pending
                    .iter()
                    .rposition(|r| r.id.as_ref() == Some(&reply.id))
                    .unwrap_or_else(|| panic!("no request for {text}"));
                let req = pending.remove(i);
                let checked = match &reply.outcome {
                    Ok(result) => check_method(&req.method, &req.params, Some(result)),
                    // An error shown in the spec: the request's parameters are bad (-32602)
                    // and the schema says so too, or the method does not exist.
                    Err(e) if e.code == -32602 => {
                        match check_method(&req.method, &req.params, None) {
                            Ok(()) => Err("the schema takes the params the spec refuses".into()),
                            Err(_) => Ok(()),
                        }
                    }
                    Err(e) => {
                        assert_eq!(e.code, -32601, "{text}");
                        Ok(())
                    }
                };
                if let Err(e) = checked {
                    panic!("{} ({}): {e}", req.method, req.to_json());
                }
                seen.insert(req.method);
            }
        }
    }
    assert!(pending.is_empty(), "requests without replies: {pending:?}");
    assert_eq!(pushes, 1);
    for method in METHODS {
        assert!(seen.contains(method), "the spec shows no {method}");
    }
}

#[test]
fn a_renamed_field_is_an_error_not_a_default() {
    // The reply of an older or newer node: `vm` renamed.
    let r: Result<s::Created, _> = serde_json::from_str(r#"{"id": 3}"#);
    assert!(r.unwrap_err().to_string().contains("unknown field `id`"));
    let e =
        parse_params::<s::VmParams>(&serde_json::json!({"session": "S", "vm": null})).unwrap_err();
    assert_eq!(e.code, -32602);
    assert!(
        e.message.starts_with("`vm`: invalid type: null"),
        "{}",
        e.message
    );
    let e = parse_params::<s::PollParams>(&serde_json::json!({"sesion": "S"})).unwrap_err();
    assert!(
        e.message.contains("unknown field `sesion`"),
        "{}",
        e.message
    );
}

#[test]
fn state_names_are_serdes() {
    use s::VmState::*;
    for state in [Running, Waiting, Finished, Failed, Killed] {
        assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
    }
}
