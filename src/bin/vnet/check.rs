//! `vnet check`: load, validate and describe a network file, without running it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::BadInput;

/// `vnet check FILE.json`.
#[derive(Args)]
pub(crate) struct CheckArgs {
    /// The network file.
    file: PathBuf,
    /// Change a value before checking, as `vnet run --set` does. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
}

/// Loads and builds the file (reading its program files) without running it; prints what it
/// holds and its warnings.
pub(crate) fn check(a: &CheckArgs) -> Result<ExitCode, BadInput> {
    let file = crate::run::load(&a.file, &crate::run::overrides(&a.sets)?)?;
    let sim = crate::run::build(&file, &a.file, None)?;
    let net = sim.network();
    let workers: usize = (0..net.nodes().len())
        .map(|i| {
            (0..)
                .take_while(|&w| {
                    sim.worker_state(vnet::sim::NodeId(i as u32), vnet::sim::WorkerId(w))
                        .is_some()
                })
                .count()
        })
        .sum();
    println!(
        "{}: {} nodes, {} links, {} workers",
        a.file.display(),
        net.nodes().len(),
        net.links().len(),
        workers
    );
    let warnings = file.warnings();
    for w in &warnings {
        println!("warning: {w}");
    }
    if warnings.is_empty() {
        println!("ok");
    }
    Ok(ExitCode::SUCCESS)
}
