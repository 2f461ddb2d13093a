//! `vnet run` and `vnet check` from outside, as a user runs them: a network file and a program
//! file in a folder, the binary, its output, its exit status and the files it writes.

use std::path::PathBuf;
use std::process::{Command, Output};

mod common;

use common::{text, vnet};

fn folder(name: &str) -> PathBuf {
    common::folder("cli", name)
}

/// Node a (Lua, from a file) sends 10, 20, 30 to node b (JS, inline), which answers each with
/// one more. 10 ms and 1 Mb/s: "10" is 2 bytes of JSON (16 µs), so each trip takes 10.016 ms.
const PING: &str = r#"{
  "seed": 3,
  "nodes": [
    {"name": "a", "params": {"n": 3}, "workers": [{"lang": "lua", "path": "ping.lua"}]},
    {"name": "b", "workers": [{"lang": "js", "code": "for (;;) { const [p, m, meta] = await recv(); print('got ' + m + ' from ' + meta.from); send(p, m + 1); }"}]}
  ],
  "links": [{"a": "a.p", "b": "b.p", "latency": "10ms", "bandwidth": "1Mbps"}]
}"#;

const PING_LUA: &str = r#"
for i = 1, params().n do
  send("p", i * 10)
  local _, v, meta = recv("p")
  record("back_ns", now_ns() - meta.sent_ns)
  print("back", v)
end
"#;

#[test]
fn run_prints_live_output_writes_records_and_summarises() {
    let dir = folder("ping");
    std::fs::write(dir.join("ping.json"), PING).unwrap();
    std::fs::write(dir.join("ping.lua"), PING_LUA).unwrap();
    let out = vnet(
        &["run", "ping.json", "--records", "r.csv", "--trace", "t.csv"],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
    assert_eq!(
        lines,
        [
            "10.016000 b/w0 got 10 from a",
            "20.032000 a/w0 back\t11",
            "30.048000 b/w0 got 20 from a",
            "40.064000 a/w0 back\t21",
            "50.080000 b/w0 got 30 from a",
            "60.096000 a/w0 back\t31",
        ]
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("virtual end 60.096 ms"), "{stderr}");
    assert!(stderr.contains("sent=6 delivered=6"), "{stderr}");
    assert!(stderr.contains("finished=1 failed=0"), "{stderr}");
    // The reply left b at 10.016 ms and took 10.016 ms back.
    let records = std::fs::read_to_string(dir.join("r.csv")).unwrap();
    assert_eq!(
        records,
        "time_ns,node,worker,name,value\n\
         20032000,a,0,back_ns,10016000\n\
         40064000,a,0,back_ns,10016000\n\
         60096000,a,0,back_ns,10016000\n"
    );
    let trace = std::fs::read_to_string(dir.join("t.csv")).unwrap();
    assert!(trace.starts_with("time_ns,kind,msg,src,src_name,dst,dst_name,port,bytes,detail\n"));
    assert_eq!(trace.lines().filter(|l| l.contains(",deliver,")).count(), 6);

    // The same seed, the same run: the trace hash repeats; --until stops early.
    let hash = |o: &Output| {
        text(&o.stderr)
            .split("trace_hash=")
            .nth(1)
            .map(|h| h.trim().to_owned())
    };
    let again = vnet(&["run", "ping.json", "--quiet"], &dir);
    assert!(again.stdout.is_empty());
    assert_eq!(hash(&again), hash(&out));
    let early = vnet(&["run", "ping.json", "--until", "25ms"], &dir);
    assert_eq!(text(&early.stdout).lines().count(), 2);
    assert!(
        text(&early.stderr).contains("virtual end 25 ms"),
        "{}",
        text(&early.stderr)
    );
}

#[test]
fn a_failed_worker_exits_1_and_bad_input_exits_2() {
    let dir = folder("fail");
    std::fs::write(
        dir.join("fail.json"),
        r#"{"nodes": [{"name": "n", "workers": [{"lang": "lua", "code": "local t = nil\nprint(t.x)"}]}]}"#,
    )
    .unwrap();
    let out = vnet(&["run", "fail.json"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("n/w0 [err] n/w0: program:2: attempt to index a nil value"),
        "{}",
        text(&out.stdout)
    );
    let out = vnet(&["run", "fail.json", "--allow-failures"], &dir);
    assert_eq!(out.status.code(), Some(0));

    std::fs::write(
        dir.join("bad.json"),
        "{\"nodes\": [\n  {\"name\": \"n\",}\n]}",
    )
    .unwrap();
    let out = vnet(&["run", "bad.json"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("vnet: bad.json:2:16: invalid JSON: trailing comma\n"),
        "{err}"
    );
    let out = vnet(&["run", "fail.json", "--set", "nodes.n.prams={}"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown field `prams`, did you mean `params`?"),
        "{}",
        text(&out.stderr)
    );
    let out = vnet(&["run", "missing.json"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let out = vnet(&["run", "fail.json", "--records", "r.txt"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(".csv or a .jsonl"));
}

#[test]
fn check_describes_a_file_and_warns_about_near_names() {
    let dir = folder("check");
    std::fs::write(dir.join("ping.json"), PING).unwrap();
    std::fs::write(dir.join("ping.lua"), PING_LUA).unwrap();
    let out = vnet(&["check", "ping.json"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "ping.json: 2 nodes, 1 link, 2 workers\n\
         \x20 nodes:    a, b\n\
         \x20 workers:  js 1, lua 1\n\
         \x20 programs: (none)\n\
         \x20 profiles: none (programs take no virtual time) 2\n\
         \x20 sensors:  (none)\n\
         \x20 faults:   (none)\n\
         \x20 agents:   (none)\n\
         \x20 run:      seed 3\n\
         ok\n"
    );
    // How it would be cut for threads: one link, 2 parts, the link's latency ahead.
    let out = vnet(&["check", "ping.json", "--threads", "2"], &dir);
    assert!(
        text(&out.stdout)
            .contains("  parts:    2: 1 + 1 nodes; 1 of 1 links cut; lookahead 10ms\n"),
        "{}",
        text(&out.stdout)
    );
    let out = vnet(&["check", "ping.json", "--threads", "3"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot cut 2 nodes into 3 parts: give between 1 and 2"),
        "{}",
        text(&out.stderr)
    );
    // A link end `a.uplnk` beside a port `a.uplink`: a typo, most likely.
    std::fs::write(
        dir.join("typo.json"),
        r#"{"nodes": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
            "links": [{"a": "a.uplink", "b": "b.p", "latency": "1ms"},
                      {"a": "a.uplnk", "b": "c.p", "latency": "1ms"}]}"#,
    )
    .unwrap();
    let out = vnet(&["check", "typo.json"], &dir);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("warning:") && stdout.contains("uplnk"),
        "{stdout}"
    );
}

/// A 3×3 grid where every node sends its name to its neighbours and records what it hears.
const GRID: &str = r#"{
  "topology": {"kind": "grid", "rows": 3, "cols": 3},
  "node_defaults": {"workers": [{"lang": "lua", "path": "hello.lua"}], "params": {"greeting": "hi"}},
  "link_defaults": {"latency": "2ms"},
  "run": {"until": "1s", "records": "from-file.csv"}
}"#;

const HELLO_LUA: &str = r#"
local me = node()
for _, p in ipairs(me.ports) do send(p, params().greeting .. " from " .. me.name) end
for _ = 1, #me.ports do
  local _, v = recv()
  record("heard", v)
end
print("done")
"#;

#[test]
fn set_and_the_run_section_shape_a_run_and_out_collects_every_output() {
    let dir = folder("grid");
    std::fs::write(dir.join("grid.json"), GRID).unwrap();
    std::fs::write(dir.join("hello.lua"), HELLO_LUA).unwrap();
    // The run section: until 1 s, records beside the file.
    let out = vnet(&["run", "grid.json", "--quiet"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("virtual end 1000 ms"));
    let records = std::fs::read_to_string(dir.join("from-file.csv")).unwrap();
    // 12 links, both ways: 24 messages heard.
    assert_eq!(records.lines().count(), 1 + 24);
    assert!(
        records.contains("2000000,n4,0,heard,hi from n1\n"),
        "{records}"
    );

    // --set changes any value; flags override the run section.
    let out = vnet(
        &[
            "run",
            "grid.json",
            "--set",
            "node_defaults.params.greeting=hello",
            "--set",
            "nodes.n4.params.greeting=\"centre\"",
            "--set",
            "link_defaults.latency=5ms",
            "--until",
            "4ms",
            "--records",
            "flag.jsonl",
            "--out",
            "results",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Nothing arrives by 4 ms over 5 ms links.
    assert_eq!(std::fs::read_to_string(dir.join("flag.jsonl")).unwrap(), "");
    let res = dir.join("results");
    for f in [
        "trace.jsonl",
        "capture.pcap",
        "links.csv",
        "nodes.csv",
        "output.txt",
        "summary.json",
    ] {
        assert!(res.join(f).exists(), "{f} missing");
    }
    assert!(
        !res.join("records.csv").exists(),
        "--records goes where the flag says"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(res.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["virtual_end_ns"], 4_000_000);
    assert_eq!(summary["messages"]["sent"], 24);
    assert_eq!(summary["messages"]["delivered"], 0);
    assert_eq!(summary["workers"]["waiting"], 9);
    // The whole run with --out: output.txt holds every printed line, the summary the counts.
    let out = vnet(
        &[
            "run",
            "grid.json",
            "--set",
            "nodes.n4.params.greeting=centre",
            "--out",
            "all",
        ],
        &dir,
    );
    assert!(out.status.success());
    let printed = std::fs::read_to_string(dir.join("all/output.txt")).unwrap();
    assert_eq!(printed, text(&out.stdout));
    assert_eq!(printed.lines().filter(|l| l.ends_with(" done")).count(), 9);
    let records = std::fs::read_to_string(dir.join("all/records.csv")).unwrap();
    assert!(
        records.contains(",n1,0,heard,centre from n4\n"),
        "{records}"
    );
    let links = std::fs::read_to_string(dir.join("all/links.csv")).unwrap();
    assert_eq!(links.lines().count(), 1 + 24, "{links}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("all/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["workers"]["finished"], 9);
    assert_eq!(
        summary["trace_hash"].as_str().map(str::len),
        Some(16),
        "{summary}"
    );
}

#[test]
fn ctrl_c_stops_the_run_writes_every_output_and_exits_130() {
    let dir = folder("ctrlc");
    std::fs::write(
        dir.join("tick.json"),
        r#"{"nodes": [{"name": "t", "workers": [{"lang": "lua",
            "code": "for i = 1, 1000000 do sleep(10); record('tick', i) end"}]}]}"#,
    )
    .unwrap();
    let started = std::time::Instant::now();
    // At real time, a million ticks would take hours.
    let child = Command::new(env!("CARGO_BIN_EXE_vnet"))
        .args(["run", "tick.json", "--realtime", "--out", "o"])
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("(stopped by Ctrl-C)"));
    let wall = started.elapsed().as_secs_f64();
    let records = std::fs::read_to_string(dir.join("o/records.csv")).unwrap();
    let ticks = records.lines().count() - 1;
    // Paced at real time: about 70 ticks in 0.7 s, never more than the wall time allows.
    assert!(
        ticks >= 20 && (ticks as f64) <= wall * 100.0 + 1.0,
        "{ticks} in {wall}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("o/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["interrupted"], true);
    assert_eq!(summary["workers"]["waiting"], 1);
}

#[test]
fn realtime_paces_virtual_time_k_times_as_fast() {
    let dir = folder("realtime");
    std::fs::write(
        dir.join("slow.json"),
        r#"{"nodes": [{"name": "s", "workers": [{"lang": "lua",
            "code": "sleep(2000); print('woke')"}]}]}"#,
    )
    .unwrap();
    let t = std::time::Instant::now();
    let out = vnet(&["run", "slow.json", "--realtime=8"], &dir);
    let wall = t.elapsed().as_secs_f64();
    assert!(out.status.success());
    // 2 s of virtual time at 8× takes 0.25 s; without pacing it takes microseconds.
    assert!((0.25..2.0).contains(&wall), "{wall}");
    let out = vnet(&["run", "slow.json", "--realtime=0"], &dir);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn on_a_terminal_output_has_colour_and_a_progress_bar_appears_after_a_second() {
    // `script` (util-linux) gives the command a pseudo-terminal.
    let dir = folder("pty");
    std::fs::write(
        dir.join("slow.json"),
        r#"{"nodes": [{"name": "a", "workers": [{"lang": "lua",
            "code": "for i = 1, 15 do print('tick', i); sleep(100) end"}]}]}"#,
    )
    .unwrap();
    let cmd = format!(
        "{} run slow.json --realtime --until 1500ms",
        env!("CARGO_BIN_EXE_vnet")
    );
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .current_dir(&dir)
        .output()
        .expect("script (util-linux) runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tty = text(&out.stdout);
    // Time dim, node bold.
    assert!(
        tty.contains("\x1b[2m    0.000000\x1b[0m \x1b[1ma/w0\x1b[0m tick\t1"),
        "{tty:?}"
    );
    assert!(tty.contains("/1500 ms virtual, "), "{tty:?}");
    assert!(tty.contains("virtual end 1500 ms"));
    // Through a pipe: neither.
    let piped = vnet(&["run", "slow.json", "--until", "1500ms"], &dir);
    assert!(!text(&piped.stdout).contains('\x1b') && !text(&piped.stderr).contains('\x1b'));
}

/// JS local time is UTC whatever the host's zone (`TZ=JST-9`, nine hours east, needs no zone
/// files), on either engine: `Date` is as deterministic as the rest of a run.
#[test]
fn javascript_local_time_is_utc_whatever_the_host_zone() {
    let dir = folder("tz");
    let net = r#"{"nodes": [{"name": "n", "workers": [{"lang": "js", "code":
      "await sleep(1500); const d = new Date(); print(d.getHours(), d.getMilliseconds(), d.getTimezoneOffset(), Date.now(), new Date(2020, 0, 1).toISOString(), String(new Date(0)).slice(0, 24));"}]}]}"#;
    std::fs::write(dir.join("tz.json"), net).unwrap();
    for zone in ["JST-9", "EST5EDT", "UTC"] {
        let out = Command::new(env!("CARGO_BIN_EXE_vnet"))
            .args(["run", "tz.json"])
            .env("TZ", zone)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout).trim(),
            "1500.000000 n/w0 0 500 0 1500 2020-01-01T00:00:00.000Z Thu Jan 01 1970 00:00:00",
            "TZ={zone}"
        );
        // QuickJS checks its own build and would say so if local time followed the host.
        assert!(
            !text(&out.stderr).contains("time zone"),
            "{}",
            text(&out.stderr)
        );
    }
}
