//! How long a studio takes to run a network file as fast as possible, watched by one browser
//! connection (WebSocket): start, connect, `run`, wait for `done`. Prints the wall time and the
//! trace hash, to set beside `vnet run FILE --quiet`.
//!
//! `cargo run --release -p vnet-studio --example run_speed -- FILE.json`

use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use vnet_studio::{StudioConfig, start};

#[tokio::main]
async fn main() {
    let Some(file) = std::env::args().nth(1) else {
        eprintln!("usage: run_speed FILE.json");
        std::process::exit(2);
    };
    let t0 = Instant::now();
    let studio = match start(StudioConfig {
        file: Some(file.into()),
        listen: "127.0.0.1:0".parse().expect("an address"),
        seed: None,
    })
    .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("run_speed: {e}");
            std::process::exit(2);
        }
    };
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", studio.addr))
        .await
        .expect("the studio accepts a connection");
    let loaded = t0.elapsed();
    let t1 = Instant::now();
    ws.send(Message::Text(r#"{"cmd": "run"}"#.into()))
        .await
        .expect("the command is sent");
    let (mut batches, mut frames_bytes) = (0u64, 0usize);
    while let Some(Ok(Message::Text(t))) = ws.next().await {
        frames_bytes += t.len();
        if t.contains(r#""type":"batch""#) {
            batches += 1;
        }
        if t.contains(r#""type":"done""#) {
            let v: serde_json::Value = serde_json::from_str(&t).expect("JSON");
            println!(
                "run_speed: load {:.3} s, run {:.3} s ({batches} batches, {:.1} MB to the browser); trace_hash={}",
                loaded.as_secs_f64(),
                t1.elapsed().as_secs_f64(),
                frames_bytes as f64 / 1e6,
                v["trace_hash"].as_str().unwrap_or("")
            );
            return;
        }
    }
    eprintln!("run_speed: the connection ended before the run did");
    std::process::exit(1);
}
