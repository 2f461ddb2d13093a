//! `vnet-node`: the P-node daemon. Serves NMP on one address and runs Lua and JavaScript
//! workers in real time.
//!
//! ```text
//! cargo run --release -p vnet-hw --bin vnet-node -- --listen 127.0.0.1:7700 [--key-file F] [--name N] [--profile P]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use vnet_hw::nmp::auth::Key;
use vnet_hw::node::{NodeConfig, check_listen, serve};
use vnet_sim::vm::HostProfile;

/// Meters each JavaScript worker's heap, so its memory cap holds (see `vnet_sim::vm::MeteredAlloc`).
#[global_allocator]
static ALLOC: vnet_sim::vm::MeteredAlloc = vnet_sim::vm::MeteredAlloc;

#[derive(Parser)]
#[command(
    about = "vnet P-node daemon: NMP over HTTP and WebSocket, Lua and JS workers in real time"
)]
struct Args {
    /// Address to listen on (port 0: any free port, printed on start).
    #[arg(long, default_value = "127.0.0.1:7700")]
    listen: SocketAddr,
    /// File holding the pre-shared key (at least 16 bytes; surrounding whitespace is ignored).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// The node's name.
    #[arg(long, default_value = "p-node")]
    name: String,
    /// Host profile the workers are paced as: pc, rpi-zero or esp32.
    #[arg(long)]
    profile: Option<String>,
    /// Seconds an unused session lives.
    #[arg(long, default_value_t = 60)]
    session_timeout: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vnet-node: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let key = match &args.key_file {
        Some(path) => Some(Key::from_file(path)?),
        None => None,
    };
    let profile = match &args.profile {
        Some(name) => Some(HostProfile::by_name(name).ok_or_else(|| {
            format!("--profile {name:?}: unknown host profile (pc, rpi-zero, esp32)")
        })?),
        None => None,
    };
    check_listen(&args.listen, key.as_ref())?;
    let mut config = NodeConfig::new(&args.name);
    config.key = key;
    config.profile = profile;
    config.session_timeout = Duration::from_secs(args.session_timeout);
    let rt = tokio::runtime::Runtime::new().map_err(|e| format!("starting the runtime: {e}"))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("listening on {}: {e}", args.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        if config.key.is_none() {
            eprintln!(
                "vnet-node: no key: requests are not authenticated; listening on loopback only"
            );
        }
        // The line a parent process waits for.
        println!("vnet-node {} listening on http://{addr}", config.name);
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        serve(listener, config, shutdown)
            .await
            .map_err(|e| e.to_string())
    })?;
    // Open WebSockets and long-polls do not hold the process up for long.
    rt.shutdown_timeout(Duration::from_secs(2));
    Ok(())
}
