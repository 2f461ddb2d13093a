//! `vnet`: run and check network files from the command line, no Rust needed.
//!
//! `vnet run FILE.json` builds the network the file describes, runs it, prints what workers
//! write as they write it (virtual time, node/worker, text), and ends with a summary. `vnet
//! check FILE.json` loads and validates a file without running it. Exit status: 0 done, 1 a
//! worker failed (unless `--allow-failures`), 2 bad input (a file that does not load, an
//! output that cannot be written).

mod check;
mod live;
mod outputs;
mod run;
mod summary;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// JavaScript workers' memory caps need the metered heap.
#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

/// Run and check vnet network files.
#[derive(Parser)]
#[command(name = "vnet", version, about = "Run and check vnet network files")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a network file: live worker output, then a summary.
    Run(run::RunArgs),
    /// Loads and validates a network file without running it, and warns about likely mistakes.
    Check(check::CheckArgs),
}

/// A failure that is the user's input: said on standard error, exit status 2.
pub(crate) struct BadInput(pub String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => run::run(&a),
        Command::Check(a) => check::check(&a),
    };
    match result {
        Ok(code) => code,
        Err(BadInput(e)) => {
            eprintln!("vnet: {e}");
            ExitCode::from(2)
        }
    }
}

/// The Rust programs a network file may name in a node's `program`.
pub(crate) fn registry() -> vnet::sim::netfile::ProgramRegistry {
    vnet::sim::netfile::ProgramRegistry::with_devices()
}
