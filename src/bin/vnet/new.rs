//! `vnet new NAME`: a starter folder — a network file, a program and the file format's JSON
//! Schema beside them — that `vnet run NAME/NAME.json` runs as it is.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;
use vnet::sim::netfile::TopologySpec;

use crate::BadInput;

const LUA: &str = include_str!("starter.lua");
const JS: &str = include_str!("starter.js");

/// `vnet new NAME`.
#[derive(Args)]
pub(crate) struct NewArgs {
    /// The folder to make (it must not exist, or be empty); the network file is named after it.
    name: PathBuf,
    /// The shape: grid:RxC, torus:RxC, line:N, ring:N, star:N, complete:N.
    #[arg(long, default_value = "grid:4x4")]
    topology: String,
    /// The program's language: lua or js.
    #[arg(long, default_value = "lua")]
    lang: String,
}

/// Writes the folder.
pub(crate) fn new(a: &NewArgs) -> Result<ExitCode, BadInput> {
    let topology =
        TopologySpec::from_short(&a.topology).map_err(|e| BadInput(format!("--topology {e}")))?;
    topology
        .build()
        .map_err(|e| BadInput(format!("--topology {}: {e}", a.topology)))?;
    let (program, code) = match a.lang.as_str() {
        "lua" => ("program.lua", LUA),
        "js" => ("program.js", JS),
        other => return Err(BadInput(format!("--lang {other}: lua or js"))),
    };
    let stem = a
        .name
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty() && s != "." && s != "..")
        .ok_or_else(|| BadInput(format!("{}: name a new folder", a.name.display())))?;
    if a.name.exists() {
        let empty = std::fs::read_dir(&a.name)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(BadInput(format!(
                "{}: already exists and is not empty (vnet new never overwrites)",
                a.name.display()
            )));
        }
    }
    let io = |e: std::io::Error| BadInput(format!("{}: {e}", a.name.display()));
    std::fs::create_dir_all(&a.name).map_err(io)?;
    let file = json!({
        "$schema": "netfile.schema.json",
        "seed": 1,
        "topology": topology,
        "node_defaults": {
            "workers": [{ "lang": a.lang, "path": program }],
            "params": { "origin": false, "greeting": "hello" }
        },
        "link_defaults": { "latency": "1ms", "bandwidth": "1Mbps" },
        "nodes": [{ "name": "n0", "params": { "origin": true } }],
        "run": { "until": "10s", "records": "records.csv" }
    });
    let net = a.name.join(format!("{stem}.json"));
    // A JSON value always serialises.
    let text = serde_json::to_string_pretty(&file).unwrap_or_default() + "\n";
    std::fs::write(&net, text).map_err(io)?;
    std::fs::write(a.name.join(program), code).map_err(io)?;
    // The schema beside the file: editors validate and complete it offline.
    std::fs::write(
        a.name.join("netfile.schema.json"),
        vnet::sim::netfile::schema::json_schema_text(),
    )
    .map_err(io)?;
    println!(
        "wrote {} and {}",
        net.display(),
        a.name.join(program).display()
    );
    println!("run it:  vnet run {}", net.display());
    Ok(ExitCode::SUCCESS)
}
