//! `esp32-emu`: one emulated ESP32 board on a serial line — a pty it creates, or a device it
//! opens. It answers NMP in `uart` frames (the same methods as `vnet-node` over HTTP) and runs
//! Lua workers paced as an ESP32 (host profile `esp32`: 1000 dhrystones/s, 512 kB).
//!
//! ```text
//! esp32-emu --pty [--address A] [--name N]      # prints "esp32-emu N address A on /dev/pts/K"
//! esp32-emu --device /dev/ttyUSB0 [--baud B]
//! ```

use std::process::ExitCode;

use clap::Parser;
use serialport::SerialPort;
use vnet_hw::node::{NodeConfig, serve_serial};
use vnet_hw::uart::line::Line;
use vnet_sim::vm::HostProfile;

/// Meters each JavaScript worker's heap, so its memory cap holds (see `vnet_sim::vm::MeteredAlloc`).
#[global_allocator]
static ALLOC: vnet_sim::vm::MeteredAlloc = vnet_sim::vm::MeteredAlloc;

#[derive(Parser)]
#[command(about = "An emulated ESP32 board speaking NMP over a serial line")]
struct Args {
    /// Create a pty and print the path of its other end.
    #[arg(long, conflicts_with = "device")]
    pty: bool,
    /// Open this serial device instead.
    #[arg(long)]
    device: Option<String>,
    /// Baud rate for --device.
    #[arg(long, default_value_t = 5_000_000)]
    baud: u32,
    /// The board's station address on the line (the host is 0).
    #[arg(long, default_value_t = 1)]
    address: u8,
    /// The board's name.
    #[arg(long, default_value = "esp32")]
    name: String,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("esp32-emu: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    // With a pty, the board keeps its end open so the host may come and go.
    let (port, path, _keep): (Box<dyn SerialPort>, String, Option<serialport::TTYPort>) =
        if args.pty {
            let (master, slave) =
                serialport::TTYPort::pair().map_err(|e| format!("creating a pty: {e}"))?;
            let path = slave.name().ok_or("the pty has no name")?;
            (Box::new(master), path, Some(slave))
        } else {
            let dev = args.device.clone().ok_or("give --pty or --device PATH")?;
            let port = serialport::new(&dev, args.baud)
                .open()
                .map_err(|e| format!("opening {dev}: {e}"))?;
            (port, dev, None)
        };
    if args.address == 0 {
        return Err("address 0 is the host's".into());
    }
    let line = Line::start(port, args.address, true).map_err(|e| e.to_string())?;
    let mut config = NodeConfig::new(&args.name);
    config.profile = Some(HostProfile::esp32());
    println!("esp32-emu {} address {} on {path}", args.name, args.address);
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(serve_serial(line, config));
    Ok(())
}
