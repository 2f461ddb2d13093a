//! The serial side over real ptys: frames and retransmission across a corrupting line, a Lua
//! worker on an emulated ESP32 board driven over serial, and a hybrid run with two emulated
//! boards behind an emulated switch and two simulated nodes.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::ops::ControlFlow;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::{ended, events_until, texts};
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use serialport::{SerialPort, TTYPort};
use vnet_hw::twin::Twin;
use vnet_hw::uart::client::{SerialClient, SerialHost};
use vnet_hw::uart::frame::Kind;
use vnet_hw::uart::line::Line;
use vnet_hw::uart::switch::{self, SwitchPort};
use vnet_sim::realtime::{Pacing, RealTime};
use vnet_sim::vm::{Lang, VmConfig, VmProgram};
use vnet_sim::{LinkParams, NodeId, SimDuration, SimTime, Simulation, WorkerId};

/// Copies bytes from `from` to `to`, flipping each with probability `p`.
fn corrupting_relay(mut from: TTYPort, mut to: TTYPort, p: f64, seed: u64) {
    std::thread::spawn(move || {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        from.set_timeout(Duration::from_millis(20)).unwrap();
        let mut buf = [0u8; 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                Err(_) => return,
            };
            for b in &mut buf[..n] {
                if rng.random_bool(p) {
                    *b ^= 0x21;
                }
            }
            if to.write_all(&buf[..n]).is_err() {
                return;
            }
        }
    });
}

/// Two stations joined through a relay that corrupts bytes; sends `n` messages from 1 to 2.
fn over_a_bad_line(n: usize, reliable: bool) -> (Vec<String>, u64, u64) {
    let (ma, sa) = TTYPort::pair().unwrap();
    let (mb, sb) = TTYPort::pair().unwrap();
    corrupting_relay(
        ma.try_clone_native().unwrap(),
        mb.try_clone_native().unwrap(),
        0.001,
        1,
    );
    corrupting_relay(mb, ma, 0.001, 2);
    let one = Line::start(Box::new(sa), 1, reliable).unwrap();
    let two = Line::start(Box::new(sb), 2, reliable).unwrap();
    for i in 0..n {
        one.send(2, Kind::Data, format!("message {i:04}").into_bytes())
            .unwrap();
    }
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while got.len() < n && Instant::now() < deadline {
        if let Ok((_, _, p)) = two.incoming.recv_timeout(Duration::from_millis(500)) {
            got.push(String::from_utf8(p).unwrap());
        } else if !reliable {
            break;
        }
    }
    let (decode, _) = two.stats();
    let (_, arq) = one.stats();
    (got, decode.corrupt, arq.retransmitted)
}

#[test]
fn frames_cross_a_corrupting_pty_line_and_retransmission_loses_none() {
    let n = 400;
    let want: Vec<String> = (0..n).map(|i| format!("message {i:04}")).collect();
    let (got, corrupt, _) = over_a_bad_line(n, false);
    let lost_without = n - got.len();
    assert!(
        corrupt > 0 && lost_without > 0,
        "corrupt={corrupt} lost={lost_without}"
    );
    let (got, corrupt, retransmitted) = over_a_bad_line(n, true);
    println!(
        "without acknowledgement: {lost_without} of {n} frames lost; with it: {} lost, {corrupt} corrupt chunks, {retransmitted} retransmissions",
        n - got.len()
    );
    assert!(corrupt > 0 && retransmitted > 0);
    assert_eq!(got, want);
}

/// An `esp32-emu` process on a pty, killed when dropped.
struct Board {
    child: Child,
    path: String,
}

impl Board {
    fn start(name: &str, address: u8) -> Board {
        let mut child = Command::new(env!("CARGO_BIN_EXE_esp32-emu"))
            .args(["--pty", "--name", name, "--address", &address.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let path = line.split_whitespace().last().unwrap().to_owned();
        assert!(path.starts_with("/dev/"), "{line}");
        Board { child, path }
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_lua_worker_on_an_emulated_board_prints_back_over_serial() {
    let board = Board::start("esp-a", 1);
    let host = SerialHost::open(&board.path, 0).unwrap();
    let c = host.client(1);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = c.call("session.open", json!({})).await.unwrap();
        assert_eq!(s["node"], "esp-a");
        let info = c.call("node.info", json!({})).await.unwrap();
        assert_eq!(info["profile"], "esp32");
        let code = "print('hello from ' .. node().name) print(6 * 7)";
        let vm = c
            .call(
                "vm.create",
                json!({"session": s["session"], "lang": "lua", "code": code}),
            )
            .await
            .unwrap()["vm"]
            .as_u64()
            .unwrap();
        assert_eq!(
            {
                let session = s["session"].as_str().unwrap();
                texts(&events_until(&c, session, |e| ended(e, vm)).await, vm, "out")
            },
            vec!["hello from esp-a", "42"]
        );
        // The board's 512 kB are shared by its workers: a second worker holding 300 kB does not fit.
        let hog = "a = string.rep('x', 100000) b = string.rep('y', 100000) c = string.rep('z', 100000) recv()";
        let mut vms = Vec::new();
        for _ in 0..2 {
            let r = c.call("vm.create", json!({"session": s["session"], "lang": "lua", "code": hog})).await.unwrap();
            vms.push(r["vm"].clone());
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let mut errors = Vec::new();
        let mut after = 0;
        while errors.is_empty() {
            let r = c.call("io.poll", json!({"session": s["session"], "after": after, "timeout_ms": 2000})).await.unwrap();
            for e in r["events"].as_array().unwrap() {
                after = e["seq"].as_u64().unwrap();
                if e["stream"] == "err" {
                    errors.push((e["vm"].clone(), e["text"].as_str().unwrap().to_owned()));
                }
            }
        }
        assert_eq!(errors[0].0, vms[1], "{errors:?}");
        assert!(errors[0].1.contains("node memory cap of 524288 bytes exceeded"), "{errors:?}");
        let list = c.call("vm.list", json!({})).await.unwrap();
        let state = |vm: &Value| list.as_array().unwrap().iter().find(|w| &w["vm"] == vm).unwrap()["state"].clone();
        assert_eq!(state(&vms[0]), "waiting");
        assert_eq!(state(&vms[1]), "failed");
        // Errors come back as NMP errors, as over HTTP.
        let e = c
            .call("vm.kill", json!({"session": s["session"], "vm": 99}))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("-32004"), "{e}");
    });
}

const TOKEN: &str = r#"
local me = node()
local a, b = me.ports[1], me.ports[2]
if me.name == 's0' then send(a, 0) end
local seen = 0
while true do
  local p, v = recv(nil, 4000)
  if not p then break end
  seen = seen + 1
  if v < LAST then send(p == a and b or a, v + 1) end
end
print(me.name .. ' seen=' .. seen)
"#;

#[test]
fn two_emulated_boards_behind_a_switch_and_two_simulated_nodes_pass_a_token() {
    // Ring s0 - b1 - s1 - b2 - s0; b1 and b2 are esp32-emu boards behind an emulated switch.
    let boards = [Board::start("b1", 1), Board::start("b2", 2)];
    let (host_side, switch_side) = TTYPort::pair().unwrap();
    let mut ports = vec![SwitchPort {
        port: Box::new(switch_side) as Box<dyn SerialPort>,
        addresses: vec![0],
    }];
    for (i, b) in boards.iter().enumerate() {
        let port = serialport::new(&b.path, 5_000_000).open().unwrap();
        ports.push(SwitchPort {
            port,
            addresses: vec![i as u8 + 1],
        });
    }
    let counters = switch::start(ports).unwrap();
    let host = SerialHost::on(Box::new(host_side), "switch", 0).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let last = 12;
    let code = TOKEN.replace("LAST", &last.to_string());

    let ring = ["s0", "b1", "s1", "b2"];
    let neighbours = |i: usize| vec![ring[(i + 3) % 4].to_owned(), ring[(i + 1) % 4].to_owned()];
    let twins: Vec<(usize, Twin<SerialClient>, u32)> = [(1usize, 1u8), (3, 2)]
        .into_iter()
        .map(|(i, addr)| {
            rt.block_on(async {
                let twin = Twin::over(host.client(addr), &neighbours(i)).await.unwrap();
                let vm = twin
                    .create_worker(vnet_hw::nmp::schema::Lang::Lua, &code, None)
                    .await
                    .unwrap();
                (i, twin, vm)
            })
        })
        .collect();

    let mut sim = Simulation::new(1);
    for (i, name) in ring.iter().enumerate() {
        let n = sim.add_node(name).unwrap();
        for p in neighbours(i) {
            sim.add_port(n, &p).unwrap();
        }
    }
    for i in 0..4 {
        let j = (i + 1) % 4;
        sim.link(
            NodeId(i as u32),
            ring[j],
            NodeId(j as u32),
            ring[i],
            LinkParams::new(SimDuration::from_millis(1), 1_000_000),
        )
        .unwrap();
    }
    let (mut realtime, injector) = RealTime::new(Pacing::BestEffort);
    for (i, twin, _) in &twins {
        let n = NodeId(*i as u32);
        sim.add_worker(n, Box::new(twin.relay(rt.handle(), n, injector.clone())));
    }
    for i in [0usize, 2] {
        sim.add_worker(
            NodeId(i as u32),
            Box::new(VmProgram::new(
                Lang::Lua,
                code.as_str(),
                Rc::new(VmConfig::default()),
            )),
        );
    }
    realtime
        .run(&mut sim, Some(SimTime::from_secs(60)), |sim| {
            let done = [0u32, 2].iter().all(|&i| {
                sim.worker_state(NodeId(i), WorkerId(0))
                    .is_some_and(|s| !s.is_alive())
            });
            if done {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    let mut seen = 0;
    for i in [0u32, 2] {
        let out: Vec<String> = sim
            .results()
            .worker_output(NodeId(i), WorkerId(0))
            .map(|l| l.text.clone())
            .collect();
        seen += out[0].rsplit('=').next().unwrap().parse::<u64>().unwrap();
    }
    for (_, twin, vm) in &twins {
        let out = rt
            .block_on(twin.worker_output(*vm, Duration::from_secs(30)))
            .unwrap()
            .out;
        seen += out[0].rsplit('=').next().unwrap().parse::<u64>().unwrap();
        rt.block_on(twin.close()).unwrap();
    }
    // The token was received with every value from 0 to LAST: each hop once, none lost.
    assert_eq!(seen, last + 1);
    assert!(
        counters
            .forwarded
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
}
