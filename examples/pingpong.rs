//! pingpong: two nodes on one link (10 ms, 1 Mb/s) bounce a 100-byte message 100 times, with the
//! programs in Lua, JavaScript, or one of each (`--lang lua|js|mixed`).
//!
//! Prints `rtt_virtual_ms=X expected_ms=Y`: X is the measured virtual round-trip time, Y the
//! link formula's 2·(latency + size·8/bandwidth). They must be equal, exactly; the example exits
//! non-zero if not.

use std::process::ExitCode;

use clap::Parser;
use vnet::sim::vm::{Lang, vm_worker};
use vnet::sim::{LinkParams, LogStream, SimDuration, Simulation};

// JavaScript workers get their memory caps from a metered heap.
#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

const ROUNDS: u64 = 100;

/// A 98-character string: 100 bytes once JSON-encoded with its quotes.
const PING_LUA: &str = r#"
local msg = string.rep("x", 98)
for i = 1, ROUNDS do
  send("eth0", msg)
  recv("eth0")
end
print("done")
"#;
const PING_JS: &str = r#"
const msg = "x".repeat(98);
for (let i = 0; i < ROUNDS; i++) {
  send("eth0", msg);
  await recv("eth0");
}
print("done");
"#;
const PONG_LUA: &str = r#"
while true do
  local port, m = recv()
  send(port, m)
end
"#;
const PONG_JS: &str = r#"
for (;;) {
  const [port, m] = await recv();
  send(port, m);
}
"#;

#[derive(Parser)]
#[command(about = "100 round trips of a 100-byte message over a 10 ms, 1 Mb/s link")]
struct Args {
    /// lua, js, or mixed (Lua pings, JavaScript pongs).
    #[arg(long, default_value = "lua")]
    lang: String,
    /// Master seed (nothing here is random; kept for symmetry with the other examples).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (ping, pong) = match args.lang.as_str() {
        "lua" => (Lang::Lua, Lang::Lua),
        "js" => (Lang::Js, Lang::Js),
        "mixed" => (Lang::Lua, Lang::Js),
        other => {
            eprintln!("pingpong: unknown --lang {other} (lua, js or mixed)");
            return ExitCode::from(2);
        }
    };
    let code = |lang, lua: &str, js: &str| {
        let src = if lang == Lang::Lua { lua } else { js };
        vm_worker(lang, &src.replace("ROUNDS", &ROUNDS.to_string()))
    };

    let latency = SimDuration::from_millis(10);
    let params = LinkParams::new(latency, 1_000_000);
    let mut sim = Simulation::new(args.seed);
    let a = sim.add_node("a").expect("fresh name");
    let b = sim.add_node("b").expect("fresh name");
    sim.link(a, "eth0", b, "eth0", params.clone())
        .expect("valid link");
    let pinger = sim.add_worker(a, code(ping, PING_LUA, PING_JS));
    sim.add_worker(b, code(pong, PONG_LUA, PONG_JS));
    sim.run();

    for l in sim
        .results()
        .logs()
        .iter()
        .filter(|l| l.stream == LogStream::Err)
    {
        eprintln!("pingpong: {}", l.text);
    }
    let Some(done) = sim
        .results()
        .worker_output(a, pinger)
        .find(|l| l.text == "done")
    else {
        eprintln!("pingpong: the pinger never finished");
        return ExitCode::FAILURE;
    };
    let expected_ns = 2 * (latency + params.serialization(100)).as_nanos();
    let measured_ns = done.time.as_nanos() / ROUNDS;
    let exact = done.time.as_nanos() == expected_ns * ROUNDS;
    println!(
        "pingpong {}: {ROUNDS} round trips of 100 B over 10 ms, 1 Mb/s; rtt_virtual_ms={} expected_ms={}",
        args.lang,
        measured_ns as f64 / 1e6,
        expected_ns as f64 / 1e6
    );
    if exact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
