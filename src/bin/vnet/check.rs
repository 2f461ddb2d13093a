//! `vnet check`: load, validate and describe a network file, without running it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use vnet::sim::netfile::{NetworkFile, ProfileSpec};

use crate::BadInput;

/// `vnet check FILE.json`.
#[derive(Args)]
pub(crate) struct CheckArgs {
    /// The network file.
    file: PathBuf,
    /// Change a value before checking, as `vnet run --set` does. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Also show how the network would be cut into K parts for K threads: the parts' sizes,
    /// the links cut and the lookahead (the shortest cut link). Only shown: runs are on one
    /// thread for now.
    #[arg(long, value_name = "K")]
    threads: Option<u32>,
}

/// Loads and builds the file (reading its program files) without running it; prints what it
/// holds and its warnings. Exit 0 when it loads, warnings or not.
pub(crate) fn check(a: &CheckArgs) -> Result<ExitCode, BadInput> {
    let file = crate::run::load(&a.file, &crate::run::overrides(&a.sets)?)?;
    // Building reads every program file and builds every sensor and device.
    let sim = crate::run::build(&file, &a.file, None)?;
    let parts = match a.threads {
        Some(k) => Some(parts_line(&file, &sim, k)?),
        None => None,
    };
    for line in describe(&file, &a.file.display().to_string()) {
        println!("{line}");
    }
    if let Some(line) = parts {
        println!("{line}");
    }
    let warnings = file.warnings();
    for w in &warnings {
        println!("warning: {w}");
    }
    if warnings.is_empty() {
        println!("ok");
    }
    Ok(ExitCode::SUCCESS)
}

/// How `sim` would be cut into `k` parts — the file's nodes' `part`s, else
/// `vnet_sim::parallel::auto` — as a line.
fn parts_line(
    file: &vnet::sim::netfile::NetworkFile,
    sim: &vnet::sim::Simulation,
    k: u32,
) -> Result<String, BadInput> {
    let p = crate::threads::cut_of(file, sim, k)?;
    let sizes: Vec<String> = p.sizes().iter().map(|s| s.to_string()).collect();
    let links = sim.network().links().len();
    let lookahead = p
        .lookahead
        .map_or_else(|| "none (no link cut)".to_owned(), |l| l.to_string());
    let whose = if file.parts().is_some() {
        " (the file's)"
    } else {
        ""
    };
    Ok(format!(
        "  parts:    {k}{whose}: {} nodes; {} of {links} links cut; lookahead {lookahead}",
        sizes.join(" + "),
        p.cut_links
    ))
}

/// `a 3, b 1` from counts, or `(none)`.
fn tally(counts: BTreeMap<String, usize>) -> String {
    if counts.is_empty() {
        return "(none)".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the file holds, a line a kind.
fn describe(file: &NetworkFile, name: &str) -> Vec<String> {
    let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    let workers: usize = file.nodes.iter().map(|n| n.workers.len()).sum();
    let mut langs = BTreeMap::new();
    let mut programs = BTreeMap::new();
    let mut profiles = BTreeMap::new();
    let mut sensors = BTreeMap::new();
    for n in &file.nodes {
        for w in &n.workers {
            *langs
                .entry(format!("{:?}", w.lang).to_lowercase())
                .or_insert(0) += 1;
        }
        if let Some(p) = &n.program {
            *programs.entry(p.clone()).or_insert(0) += 1;
        }
        let profile = match &n.profile {
            None => "none (programs take no virtual time)".to_owned(),
            Some(ProfileSpec::Named(p)) => p.clone(),
            Some(ProfileSpec::Custom(p)) => format!("{} (custom)", p.name),
        };
        *profiles.entry(profile).or_insert(0) += 1;
        for s in &n.sensors {
            *sensors.entry(s.name.clone()).or_insert(0) += 1;
        }
    }
    let mut faults = BTreeMap::new();
    for f in &file.faults {
        *faults.entry(f.kind().to_owned()).or_insert(0) += 1;
    }
    let platforms = file.nodes.iter().filter(|n| n.platform).count();
    let mut agents = BTreeMap::new();
    for a in &file.agents {
        let lang = a.language().map_or("?", |l| match l {
            vnet::sim::vm::Lang::Lua => "lua",
            vnet::sim::vm::Lang::Js => "js",
        });
        *agents
            .entry(format!("{} ({lang}) at {}", a.class_name(), a.at))
            .or_insert(0) += a.count as usize;
    }
    let names: Vec<&str> = file.nodes.iter().map(|n| n.name.as_str()).collect();
    let shown = if names.len() <= 12 {
        names.join(", ")
    } else {
        format!("{}, …, {}", names[..10].join(", "), names[names.len() - 1])
    };
    let mut run = Vec::new();
    if let Some(u) = file.run.until {
        run.push(format!(
            "until {}",
            vnet::sim::time::format_nanos(u.as_nanos())
        ));
    }
    if let Some(s) = file.run.seed.or(file.seed) {
        run.push(format!("seed {s}"));
    }
    for (what, v) in [
        ("out", &file.run.out),
        ("trace", &file.run.trace),
        ("records", &file.run.records),
        ("pcap", &file.run.pcap),
        ("stats", &file.run.stats),
    ] {
        if let Some(v) = v {
            run.push(format!("{what} {v}"));
        }
    }
    vec![
        format!(
            "{name}: {}, {}, {}",
            plural(file.nodes.len(), "node"),
            plural(file.links.len(), "link"),
            plural(workers, "worker")
        ),
        format!("  nodes:    {shown}"),
        format!("  workers:  {}", tally(langs)),
        format!("  programs: {}", tally(programs)),
        format!("  profiles: {}", tally(profiles)),
        format!("  sensors:  {}", tally(sensors)),
        format!("  faults:   {}", tally(faults)),
        if platforms == 0 {
            "  agents:   (none)".to_owned()
        } else {
            format!(
                "  agents:   {}; {}",
                plural(platforms, "platform"),
                tally(agents)
            )
        },
        format!(
            "  run:      {}",
            if run.is_empty() {
                "(defaults)".into()
            } else {
                run.join(", ")
            }
        ),
    ]
}
