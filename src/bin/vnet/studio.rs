//! `vnet studio [FILE.json]`: serve the web GUI and print its URL.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use vnet::studio::{StudioConfig, start};

use crate::BadInput;

/// `vnet studio`.
#[derive(Args)]
pub(crate) struct StudioArgs {
    /// The network file to open (and save back to); none: an empty network.
    file: Option<PathBuf>,
    /// Where to listen. Any address but a loopback one needs the token the URL carries.
    #[arg(long, default_value = "127.0.0.1:7800")]
    listen: SocketAddr,
    /// The master seed (default: the file's).
    #[arg(long)]
    seed: Option<u64>,
}

/// Serves until interrupted.
pub(crate) fn studio(a: &StudioArgs) -> Result<ExitCode, BadInput> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| BadInput(format!("cannot start: {e}")))?;
    rt.block_on(async {
        let running = start(StudioConfig {
            file: a.file.clone(),
            listen: a.listen,
            seed: a.seed,
        })
        .await
        .map_err(|e| BadInput(e.to_string()))?;
        println!("vnet studio: open {}", running.url);
        running.wait().await;
        Ok(ExitCode::SUCCESS)
    })
}
