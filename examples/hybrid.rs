//! hybrid: the paper's §V experiment 3 — 8 simulated nodes and 8 external nodes in a 4 × 4
//! mesh, flooding a message in real time.
//!
//! The example starts 8 `vnet-node` processes on free loopback ports (building the binary if
//! needed), mirrors each with a V-node twin in a real-time simulation, runs the same Lua program
//! on all 16 nodes, prints each node's result and `delivered=X lost=Y`, and stops every process
//! it started — also on error or Ctrl-C. Exits non-zero if anything was lost.

use std::process::ExitCode;

use vnet::hw::launch::{NodeProcesses, vnet_node_binary};
use vnet::scenarios::{HybridMesh, hybrid_mesh};

// JavaScript workers get their memory caps from a metered heap.
#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("hybrid: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<bool, String> {
    let mesh = HybridMesh::default();
    let binary = vnet_node_binary()?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let nodes = NodeProcesses::start(&binary, &mesh.external_names(), &[])?;
    rt.block_on(async { nodes.kill_on_ctrl_c() });
    println!(
        "started {} vnet-node processes: {}",
        nodes.started().len(),
        nodes
            .started()
            .iter()
            .map(|s| format!("{}@{}", s.name, s.url))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let report = hybrid_mesh(&mesh, nodes.started(), &rt)?;
    println!("node  where      hops  sent  got");
    for n in &report.nodes {
        let place = if n.external { "vnet-node" } else { "simulated" };
        println!(
            "{:<5} {place:<10} {:>4} {:>5} {:>4}",
            n.name, n.hops, n.sent, n.got
        );
    }
    println!("wall_time_s={:.2}", report.wall.as_secs_f64());
    println!("delivered={} lost={}", report.delivered(), report.lost());
    nodes.stop();
    let left = nodes.running();
    println!("vnet-node processes left running: {left}");
    Ok(report.lost() == 0 && left == 0 && report.nodes.iter().all(|n| n.hops >= 0))
}
