//! `docs/netfile.schema.json` is the schema the types generate, and every example network
//! file is valid against it. `VNET_WRITE_SCHEMA=1 cargo test -p vnet-sim --test schema`
//! rewrites the file after a change to the types.

use std::path::{Path, PathBuf};

use serde_json::Value;
use vnet_sim::netfile::NetworkFile;
use vnet_sim::netfile::schema::{json_schema, json_schema_text};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_shipped_schema_is_the_generated_one() {
    let path = root().join("docs/netfile.schema.json");
    let text = json_schema_text();
    if std::env::var_os("VNET_WRITE_SCHEMA").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == text,
        "docs/netfile.schema.json is out of date: run VNET_WRITE_SCHEMA=1 cargo test -p vnet-sim --test schema"
    );
}

/// Every `.json` under examples/networks.
fn example_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(root().join("examples/networks")).unwrap() {
        let dir = dir.unwrap().path();
        for f in std::fs::read_dir(&dir).into_iter().flatten() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "json") {
                files.push(f);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_example_file_is_valid_against_the_schema_and_loads() {
    let validator = jsonschema::validator_for(&json_schema()).unwrap();
    let files = example_files();
    assert!(files.len() >= 6, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.display());
        // It names the shipped schema, relative to itself, so editors find it.
        let named = value["$schema"].as_str().unwrap();
        assert!(f.parent().unwrap().join(named).exists(), "{}", f.display());
        NetworkFile::load(&f).unwrap();
    }
}

#[test]
fn the_schema_refuses_what_the_loader_refuses() {
    let validator = jsonschema::validator_for(&json_schema()).unwrap();
    for bad in [
        r#"{"nodes": [], "linkz": []}"#,
        r#"{"nodes": [{"name": "a", "prams": {}}]}"#,
        r#"{"topology": {"kind": "gird", "rows": 2, "cols": 2}}"#,
        r#"{"nodes": [], "link_defaults": {"latency": "1 fortnight"}}"#,
        r#"{"nodes": [], "links": [{"a": "x.p"}]}"#,
        r#"{"nodes": [], "run": {"untill": "1s"}}"#,
    ] {
        let v: Value = serde_json::from_str(bad).unwrap();
        assert!(!validator.is_valid(&v), "{bad}");
        assert!(NetworkFile::from_json(bad).is_err(), "{bad}");
    }
    // A links entry needs only its ends; defaults need nothing.
    let ok: Value = serde_json::from_str(
        r#"{"topology": {"kind": "ring", "n": 3}, "link_defaults": {"latency": "1ms"},
            "node_defaults": {"params": {"x": 1}}, "links": [{"a": "n0.n1", "b": "n1.n0", "loss": 0.1}]}"#,
    )
    .unwrap();
    assert!(validator.is_valid(&ok));
}
