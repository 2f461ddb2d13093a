//! `vnet draw FILE.json -o net.svg|net.png`: the topology as a picture.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::BadInput;

/// `vnet draw FILE.json -o net.png`.
#[derive(Args)]
pub(crate) struct DrawArgs {
    /// The network file.
    file: PathBuf,
    /// The picture: `.png` or `.svg`.
    #[arg(short, long, value_name = "FILE")]
    out: PathBuf,
    /// Width and height in pixels.
    #[arg(long, default_value_t = 800)]
    size: u32,
    /// Change a value before drawing, as `vnet run --set` does. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
}

/// Draws the file's nodes (at their positions, or laid out) and links.
pub(crate) fn draw(a: &DrawArgs) -> Result<ExitCode, BadInput> {
    if !(100..=10_000).contains(&a.size) {
        return Err(BadInput(format!("--size {}: 100 to 10000 pixels", a.size)));
    }
    let file = crate::run::load(&a.file, &crate::run::overrides(&a.sets)?)?;
    vnet::network_picture::draw(&file, &a.out, a.size)
        .map_err(|e| BadInput(format!("-o {}: {e}", a.out.display())))?;
    println!(
        "{}: {} nodes, {} links",
        a.out.display(),
        file.nodes.len(),
        file.links.len()
    );
    Ok(ExitCode::SUCCESS)
}
