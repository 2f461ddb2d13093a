//! `vnet`: run, check, sweep and draw network files from the command line, no Rust needed
//! (`docs/netfile.md` is the reference).
//!
//! `vnet run FILE.json` builds the network the file describes, runs it, prints what workers
//! write as they write it (virtual time, node/worker, text), writes the outputs asked for, and
//! ends with a summary. `vnet check` loads and validates a file without running it; `vnet
//! sweep` replicates it over parameter values; `vnet new` writes a starter folder; `vnet draw`
//! a picture. Exit status: 0 done, 1 a worker failed (unless `--allow-failures`), 2 bad input
//! (a file that does not load, an output that cannot be written), 130 stopped by Ctrl-C.

mod check;
mod draw;
mod hybrid;
mod live;
mod new;
mod outputs;
mod run;
mod studio;
mod summary;
mod sweep;
mod threads;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// JavaScript workers' memory caps need the metered heap.
#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

/// Run, check, sweep and draw vnet network files.
#[derive(Parser)]
#[command(
    name = "vnet",
    version,
    about = "Run, check, sweep, draw and open in the studio vnet network files (reference: docs/netfile.md)",
    after_help = "Exit status: 0 done; 1 a worker failed (vnet run, unless --allow-failures); \
                  2 bad input; 130 stopped by Ctrl-C."
)]
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
    /// Runs a network file many times over parameter values (Monte Carlo): runs.csv and a
    /// summary with 95 % intervals.
    Sweep(sweep::SweepArgs),
    /// Writes a starter folder: a network file and a program that `vnet run` runs as they are.
    New(new::NewArgs),
    /// Draws a network file's topology as a PNG or SVG picture.
    Draw(draw::DrawArgs),
    /// Serves the studio, the web GUI, and prints its URL (reference: docs/studio.md).
    Studio(studio::StudioArgs),
}

/// A failure that is the user's input: said on standard error, exit status 2.
pub(crate) struct BadInput(pub String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => run::run(&a),
        Command::Check(a) => check::check(&a),
        Command::Sweep(a) => sweep::sweep(&a),
        Command::New(a) => new::new(&a),
        Command::Draw(a) => draw::draw(&a),
        Command::Studio(a) => studio::studio(&a),
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
