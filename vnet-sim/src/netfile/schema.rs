//! The network file's JSON Schema, generated from the serde types that read it (schemars), so
//! a renamed field changes the schema. `docs/netfile.schema.json` is this schema as text; a
//! test keeps the two equal (`VNET_WRITE_SCHEMA=1 cargo test -p vnet-sim --test schema`
//! rewrites the file) and validates every example file against it.
//!
//! Beyond the types: a `links` entry needs only its ends (the rest may come from
//! `link_defaults` or a generated link); `node_defaults` and `link_defaults` take every field
//! of a node or link but its name or ends, and require none.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use super::scenario::{RunSpec, TOP_FIELDS, TopologySpec};
use super::{LinkSpec, NodeSpec};

/// The schema (JSON Schema 2020-12) of a network file as `vnet run` reads it.
pub fn json_schema() -> Value {
    let mut g = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator();
    let node = g.subschema_for::<NodeSpec>().to_value();
    // In the definitions, for the derived link forms below.
    g.subschema_for::<LinkSpec>();
    let topology = g.subschema_for::<TopologySpec>().to_value();
    let run = g.subschema_for::<RunSpec>().to_value();
    let fault = g.subschema_for::<super::FaultSpec>().to_value();
    let agent = g.subschema_for::<super::AgentSpec>().to_value();
    let mut defs = g.take_definitions(true);
    let derived = |name: &str, drop: &[&str], required: &[&str]| {
        let mut d = defs.get(name).cloned().unwrap_or(Value::Null);
        if let Some(props) = d.get_mut("properties").and_then(Value::as_object_mut) {
            for f in drop {
                props.remove(*f);
            }
        }
        if let Some(o) = d.as_object_mut() {
            o.insert("required".into(), json!(required));
        }
        d
    };
    let link_entry = derived("LinkSpec", &[], &["a", "b"]);
    let link_defaults = derived("LinkSpec", &["a", "b"], &[]);
    let node_defaults = derived("NodeSpec", &["name"], &[]);
    defs.insert("LinkEntry".into(), link_entry);
    defs.insert("LinkDefaults".into(), link_defaults);
    defs.insert("NodeDefaults".into(), node_defaults);
    let properties = json!({
        "$schema": { "type": "string", "description": "This schema's path or URL, for editors." },
        "seed": {
            "type": "integer", "minimum": 0,
            "description": "The master seed (default 0); `run.seed` and `--seed` override it."
        },
        "topology": topology,
        "node_defaults": { "$ref": "#/$defs/NodeDefaults" },
        "link_defaults": { "$ref": "#/$defs/LinkDefaults" },
        "nodes": {
            "type": "array", "items": node,
            "description": "Nodes; an entry named as a generated node overrides its fields."
        },
        "links": {
            "type": "array", "items": { "$ref": "#/$defs/LinkEntry" },
            "description": "Links; an entry with a generated link's two ends overrides its fields."
        },
        "run": run,
        "faults": {
            "type": "array", "items": fault,
            "description": "Faults during the run: crashes and restarts, partitions, cuts, holds, link faults, churn."
        },
        "agents": {
            "type": "array", "items": agent,
            "description": "Mobile agents placed at the start, on nodes with `platform`: see docs/agents.md."
        },
    });
    debug_assert_eq!(
        properties.as_object().map(|p| p.len()),
        Some(TOP_FIELDS.len())
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "vnet network file",
        "description": "A vnet network (scenario) file: see docs/netfile.md.",
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "$defs": defs,
    })
}

/// [`json_schema`] as the text of `docs/netfile.schema.json`.
pub fn json_schema_text() -> String {
    // A JSON value always serialises.
    serde_json::to_string_pretty(&json_schema()).unwrap_or_default() + "\n"
}
