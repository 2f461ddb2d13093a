//! table1: the paper's Table 1 (VM performance) on this host, beside the paper's rows and the
//! host profiles' reproduction of them in virtual time.
//!
//! For each VM vnet embeds — Lua 5.4 (mlua) and JavaScript (boa, or QuickJS) — it measures:
//! - **dhry/s**: the Dhrystone 2.1 port run as a worker, long enough to be stable;
//! - **t_iVM**: creating a worker (sandbox, API, loading a Dhrystone-sized program, running it
//!   to its first `recv`);
//! - **m_iVM**: live heap per idle worker (a counting allocator, after a garbage collection;
//!   not for LuaJIT, whose own allocator it cannot see);
//! - **tcmsg**: wall time of one message between workers on two linked nodes, through the
//!   kernel (ping-pong).
//!
//! Each is the median of `--repeats` runs. The native Rust Dhrystone is the reference. The
//! `model` rows run the Lua Dhrystone on simulated ESP32, Raspberry Pi Zero and PC hosts and
//! report virtual time. Writes `results/table1.csv`, `results/table1.md` and
//! `results/table1.png`.
//!
//! Built with `--no-default-features --features luajit`, Lua workers run on LuaJIT 2.1 and the
//! example measures that row alone into `results/table1_luajit.csv`; built with `--features
//! quickjs`, JS workers run on QuickJS and it measures the JS row alone into
//! `results/table1_quickjs.csv`. The default build merges both into the table (run them first).
//!
//! `cargo run --release --example table1 -- [--repeats N] [--seconds S]`

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use clap::Parser;
use vnet::heap::CountingAlloc;
use vnet::plot::{BarPanel, log_bar_panels};
use vnet::programs::{dhrystone_native, dhrystone_source};
use vnet::sim::vm::{HostProfile, JS_ENGINE, LUA_ENGINE, Lang, VmConfig, VmProgram};
use vnet::sim::{LinkParams, SimDuration, Simulation};

// Counts the live heap, for m_iVM (JS workers then run without memory caps: none is needed).
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[derive(Parser)]
#[command(about = "Reproduce the paper's Table 1 on this host")]
struct Args {
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Wall seconds one Dhrystone measurement runs for.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Folder for the CSV, Markdown and PNG files.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Measure nothing: read `OUT/table1.csv` and write its table and picture again.
    #[arg(long)]
    replot: bool,
}

/// One row of the table; `None` where a figure was not measured.
struct Row {
    host: String,
    vm: String,
    dhry_per_s: Option<f64>,
    t_ivm_ms: Option<f64>,
    m_ivm_kb: Option<f64>,
    tcmsg_ms: Option<f64>,
    source: &'static str,
}

#[cfg_attr(any(feature = "luajit", feature = "quickjs"), allow(dead_code))]
fn paper() -> Vec<Row> {
    let row = |host: &str, vm: &str, d: f64, t: f64, m: f64, c: f64| Row {
        host: host.into(),
        vm: vm.into(),
        dhry_per_s: Some(d),
        t_ivm_ms: Some(t),
        m_ivm_kb: Some(m),
        tcmsg_ms: Some(c),
        source: "paper",
    };
    vec![
        row("PC", "nodejs JS (ext)", 5000e3, 140.0, 20e3, 3.0),
        row("PC", "Firefox JS (int)", 4200e3, 100.0, 10e3, 4.0),
        row("PC", "plvm Lua/LuaJIT (ext)", 600e3, 3.0, 800.0, 0.1),
        row("Raspberry Pi Zero", "nodejs JS", 230e3, 1600.0, 20e3, 40.0),
        row(
            "Raspberry Pi Zero",
            "plvm Lua/LuaJIT (ext)",
            40e3,
            10.0,
            800.0,
            1.0,
        ),
        row("ESP32", "Lua FreeRTOS (ext)", 1e3, 100.0, 100.0, 5.0),
    ]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Limits that let a benchmark run as long as it needs: no budget, so Lua runs without a count
/// hook, as the paper's VMs do.
fn unlimited() -> VmConfig {
    VmConfig {
        instruction_budget: u64::MAX,
        loop_iteration_limit: u64::MAX,
        ..VmConfig::default()
    }
}

/// Runs `runs` Dhrystones in a `lang` worker under `config`; wall seconds and the program's
/// own line (`dhrystone ok <runs> <virtual ms>`).
fn dhrystone_run(lang: Lang, runs: u64, config: &VmConfig) -> Result<(f64, String), String> {
    let mut sim = Simulation::new(1);
    let n = sim.add_node("n").map_err(|e| e.to_string())?;
    let code = dhrystone_source(lang, runs);
    sim.add_worker(
        n,
        Box::new(VmProgram::new(lang, code, Rc::new(config.clone()))),
    );
    let t0 = Instant::now();
    sim.run();
    let wall = t0.elapsed().as_secs_f64();
    match sim.results().logs().first() {
        Some(l) if l.text.starts_with("dhrystone ok") => Ok((wall, l.text.clone())),
        other => Err(format!("{lang:?} Dhrystone failed: {other:?}")),
    }
}

/// Dhrystones per second of wall time in `lang`, the median of `repeats` runs of about
/// `seconds` each.
fn dhry_per_s(lang: Lang, config: &VmConfig, seconds: f64, repeats: usize) -> Result<f64, String> {
    let (t, _) = dhrystone_run(lang, 1000, config)?;
    let runs = ((seconds / t.max(1e-6)) * 1000.0).max(1000.0) as u64;
    let rates = (0..repeats)
        .map(|_| dhrystone_run(lang, runs, config).map(|(t, _)| runs as f64 / t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(median(rates))
}

#[cfg_attr(any(feature = "luajit", feature = "quickjs"), allow(dead_code))]
fn native_dhry_per_s(seconds: f64, repeats: usize) -> Result<f64, String> {
    let time = |runs: u32| {
        let t0 = Instant::now();
        dhrystone_native(runs).map(|()| t0.elapsed().as_secs_f64())
    };
    let t = time(100_000)?;
    let runs = ((seconds / t.max(1e-9)) * 100_000.0).clamp(1e5, 2e9) as u32;
    let rates = (0..repeats)
        .map(|_| time(runs).map(|t| runs as f64 / t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(median(rates))
}

/// t_iVM (ms) and m_iVM (kB): `k` workers on one node, each loading the Dhrystone program
/// and running it to a `recv` that never returns.
fn creation(lang: Lang, k: usize, repeats: usize) -> Result<(f64, f64), String> {
    let code = match lang {
        Lang::Lua => format!("recv()\n{}", dhrystone_source(lang, 1)),
        Lang::Js => format!("await recv();\n{}", dhrystone_source(lang, 1)),
    };
    let config = Rc::new(VmConfig::default());
    let (mut times, mut sizes) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        let mut sim = Simulation::new(1);
        let n = sim.add_node("n").map_err(|e| e.to_string())?;
        // boa collects garbage when it likes, also other workers'; collect it all before both
        // readings so the difference is what the workers keep.
        vnet::sim::vm::collect_js_garbage();
        let before = CountingAlloc::live_bytes();
        let t0 = Instant::now();
        for _ in 0..k {
            sim.add_worker(
                n,
                Box::new(VmProgram::new(lang, code.clone(), config.clone())),
            );
        }
        sim.run();
        times.push(t0.elapsed().as_secs_f64() * 1e3 / k as f64);
        vnet::sim::vm::collect_js_garbage();
        sizes.push((CountingAlloc::live_bytes() - before) as f64 / 1e3 / k as f64);
        let failed = sim
            .results()
            .logs()
            .iter()
            .find(|l| l.stream == vnet::sim::LogStream::Err);
        if let Some(l) = failed {
            return Err(format!("{lang:?} worker failed: {}", l.text));
        }
    }
    Ok((median(times), median(sizes)))
}

/// tcmsg (ms): wall time per message of a ping-pong between workers on two linked nodes.
fn tcmsg(lang: Lang, rounds: u64, repeats: usize) -> Result<f64, String> {
    let (ping, pong) = match lang {
        Lang::Lua => (
            format!("local m = {{seq = 1}} for i = 1, {rounds} do send('p', m) recv() end"),
            "while true do local p, m = recv() send(p, m) end".to_owned(),
        ),
        Lang::Js => (
            format!(
                "const m = {{seq: 1}}; for (let i = 0; i < {rounds}; i++) {{ send('p', m); await recv(); }}"
            ),
            "for (;;) { const [p, m] = await recv(); send(p, m); }".to_owned(),
        ),
    };
    let config = Rc::new(unlimited());
    let mut times = Vec::new();
    for _ in 0..repeats {
        let mut sim = Simulation::new(1);
        let a = sim.add_node("a").map_err(|e| e.to_string())?;
        let b = sim.add_node("b").map_err(|e| e.to_string())?;
        let link = LinkParams::new(SimDuration::from_micros(1), 1_000_000_000);
        sim.link(a, "p", b, "p", link).map_err(|e| e.to_string())?;
        sim.add_worker(
            a,
            Box::new(VmProgram::new(lang, ping.clone(), config.clone())),
        );
        sim.add_worker(
            b,
            Box::new(VmProgram::new(lang, pong.clone(), config.clone())),
        );
        let t0 = Instant::now();
        sim.run();
        times.push(t0.elapsed().as_secs_f64() * 1e3 / (2 * rounds) as f64);
        if let Some(l) = sim
            .results()
            .logs()
            .iter()
            .find(|l| l.stream == vnet::sim::LogStream::Err)
        {
            return Err(format!("{lang:?} ping-pong failed: {}", l.text));
        }
    }
    Ok(median(times))
}

/// The Lua Dhrystone on a simulated `profile` host: dhry/s of virtual time, the virtual
/// t_iVM (when the worker starts) and tcmsg (one message between two such workers over an
/// instant link, minus nothing: what a program measures).
#[cfg_attr(any(feature = "luajit", feature = "quickjs"), allow(dead_code))]
fn model(profile: HostProfile) -> Result<Row, String> {
    let config = VmConfig {
        profile: Some(profile.clone()),
        ..unlimited()
    };
    let runs = 2000;
    let (_, line) = dhrystone_run(Lang::Lua, runs, &config)?;
    let virtual_ms: f64 = line
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("unexpected line `{line}`"))?;
    // A message across an instant link: sent at t, taken at t + tcmsg (+ a few instructions).
    let mut sim = Simulation::new(1);
    let a = sim.add_node("a").map_err(|e| e.to_string())?;
    let b = sim.add_node("b").map_err(|e| e.to_string())?;
    sim.link(a, "p", b, "p", LinkParams::default())
        .map_err(|e| e.to_string())?;
    let config = Rc::new(config);
    let code_a = "print(now()) send('p', 1)";
    let code_b = "local p, m = recv() print(now())";
    sim.add_worker(
        a,
        Box::new(VmProgram::new(Lang::Lua, code_a, config.clone())),
    );
    sim.add_worker(b, Box::new(VmProgram::new(Lang::Lua, code_b, config)));
    sim.run();
    let times: Vec<f64> = sim
        .results()
        .logs()
        .iter()
        .filter_map(|l| l.text.parse().ok())
        .collect();
    let [boot, got] = times[..] else {
        return Err(format!("model ping printed {:?}", sim.results().logs()));
    };
    Ok(Row {
        host: format!("{} (model)", profile.name),
        vm: "Lua 5.4 (mlua), virtual time".into(),
        dhry_per_s: Some(runs as f64 / (virtual_ms / 1e3)),
        t_ivm_ms: Some(boot),
        m_ivm_kb: None,
        tcmsg_ms: Some(got - boot),
        source: "model",
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("table1: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The Lua row's figures: dhry/s, t_iVM, m_iVM and tcmsg of `LUA_ENGINE` workers.
fn vm_row(lang: Lang, vm: String, k: usize, rounds: u64, args: &Args) -> Result<Row, String> {
    let repeats = args.repeats.max(1);
    eprintln!("{vm}…");
    let dhry = dhry_per_s(lang, &unlimited(), args.seconds, repeats)?;
    let (t_ivm, m_ivm) = creation(lang, k, repeats)?;
    let c = tcmsg(lang, rounds, repeats)?;
    Ok(Row {
        host: HOST.into(),
        vm,
        dhry_per_s: Some(dhry),
        t_ivm_ms: Some(t_ivm),
        // LuaJIT keeps its own allocator, which the counting global allocator does not see:
        // what it would count is only the worker's Rust side.
        m_ivm_kb: (!(cfg!(feature = "luajit") && lang == Lang::Lua)).then_some(m_ivm),
        tcmsg_ms: Some(c),
        source: "measured",
    })
}

const HOST: &str = "this host";

/// The files a `luajit` or `quickjs` build writes its row to, and the default build merges in.
const LUAJIT_ROWS: &str = "table1_luajit.csv";
const QUICKJS_ROWS: &str = "table1_quickjs.csv";

/// Built with `--features luajit` or `quickjs`: measures the other engine's row alone, for the
/// default build to merge into the table.
#[cfg(any(feature = "luajit", feature = "quickjs"))]
fn run(args: &Args) -> Result<(), String> {
    let mut rows = Vec::new();
    if cfg!(feature = "luajit") {
        let row = vm_row(Lang::Lua, format!("{LUA_ENGINE} (mlua)"), 200, 20_000, args)?;
        rows.push((row, LUAJIT_ROWS));
    }
    if cfg!(feature = "quickjs") {
        let row = vm_row(
            Lang::Js,
            format!("JavaScript ({JS_ENGINE})"),
            200,
            20_000,
            args,
        )?;
        rows.push((row, QUICKJS_ROWS));
    }
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    for (row, file) in rows {
        let path = args.out.join(file);
        std::fs::write(&path, csv_text(std::slice::from_ref(&row)))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        print_row(&row);
        println!(
            "wrote {} (the default build's table1 merges it)",
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(any(feature = "luajit", feature = "quickjs")))]
fn run(args: &Args) -> Result<(), String> {
    if args.replot {
        let rows = read_rows(&args.out.join("table1.csv"), None)?;
        return write_files(args, &rows);
    }
    let repeats = args.repeats.max(1);
    let mut rows = paper();
    eprintln!("native Dhrystone…");
    rows.push(Row {
        host: HOST.into(),
        vm: "Rust (native reference)".into(),
        dhry_per_s: Some(native_dhry_per_s(args.seconds, repeats)?),
        t_ivm_ms: None,
        m_ivm_kb: None,
        tcmsg_ms: None,
        source: "measured",
    });
    rows.push(vm_row(
        Lang::Lua,
        format!("{LUA_ENGINE} (mlua)"),
        200,
        20_000,
        args,
    )?);
    rows.push(vm_row(
        Lang::Js,
        format!("JavaScript ({JS_ENGINE})"),
        20,
        2_000,
        args,
    )?);
    // What the step budget costs Lua: the same Dhrystone with the count hook on.
    let budgeted = VmConfig {
        instruction_budget: u64::MAX - 1,
        ..unlimited()
    };
    rows.push(Row {
        host: HOST.into(),
        vm: format!("{LUA_ENGINE} (mlua), step budget on"),
        dhry_per_s: Some(dhry_per_s(Lang::Lua, &budgeted, args.seconds, repeats)?),
        t_ivm_ms: None,
        m_ivm_kb: None,
        tcmsg_ms: None,
        source: "measured",
    });
    rows.extend(merged_rows(&args.out.join(LUAJIT_ROWS), "luajit")?);
    rows.extend(merged_rows(&args.out.join(QUICKJS_ROWS), "quickjs")?);
    for p in [
        HostProfile::pc(),
        HostProfile::raspberry_pi_zero(),
        HostProfile::esp32(),
    ] {
        rows.push(model(p)?);
    }
    write_files(args, &rows)
}

/// The rows a build with `feature` wrote, if it ran (none otherwise).
#[cfg(not(any(feature = "luajit", feature = "quickjs")))]
fn merged_rows(path: &std::path::Path, feature: &str) -> Result<Vec<Row>, String> {
    if !path.exists() {
        eprintln!(
            "(no {}: run the `{feature}` build's row first, see the README)",
            path.display()
        );
        return Ok(Vec::new());
    }
    read_rows(path, Some("measured"))
}

/// The rows of a table1 CSV file; `source` overrides the file's last column.
#[cfg(not(any(feature = "luajit", feature = "quickjs")))]
fn read_rows(path: &std::path::Path, source: Option<&'static str>) -> Result<Vec<Row>, String> {
    let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut reader = csv::Reader::from_path(path).map_err(|e| at(&e))?;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let r = record.map_err(|e| at(&e))?;
        let num = |k: usize| -> Result<Option<f64>, String> {
            match r.get(k).unwrap_or("") {
                "" => Ok(None),
                v => v
                    .parse()
                    .map(Some)
                    .map_err(|e| at(&format!("row {}, column {}: `{v}`: {e}", i + 2, k + 1))),
            }
        };
        rows.push(Row {
            host: r.get(0).unwrap_or(HOST).to_owned(),
            vm: r.get(1).unwrap_or("LuaJIT").to_owned(),
            dhry_per_s: num(2)?,
            t_ivm_ms: num(3)?,
            m_ivm_kb: num(4)?,
            tcmsg_ms: num(5)?,
            source: source.unwrap_or(match r.get(6).unwrap_or("") {
                "paper" => "paper",
                "model" => "model",
                _ => "measured",
            }),
        });
    }
    Ok(rows)
}

fn fmt(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v:.6}"))
}

/// A figure for people: three significant digits, k/M for large ones.
fn human(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v >= 1e6 => format!("{:.3}M", v / 1e6),
        Some(v) if v >= 1e3 => format!("{:.3}k", v / 1e3),
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) if v >= 1.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.4}"),
    }
}

/// The rows as CSV, with the header.
fn csv_text(rows: &[Row]) -> String {
    let mut csv = String::from("host,vm,dhry_per_s,t_ivm_ms,m_ivm_kb,tcmsg_ms,source\n");
    for r in rows {
        let _ = writeln!(
            csv,
            "\"{}\",\"{}\",{},{},{},{},{}",
            r.host,
            r.vm,
            fmt(r.dhry_per_s),
            fmt(r.t_ivm_ms),
            fmt(r.m_ivm_kb),
            fmt(r.tcmsg_ms),
            r.source
        );
    }
    csv
}

/// The row's four figures for people: dhry/s, t_iVM, m_iVM, tcmsg.
fn human_figures(r: &Row) -> [String; 4] {
    [r.dhry_per_s, r.t_ivm_ms, r.m_ivm_kb, r.tcmsg_ms].map(human)
}

fn print_row(r: &Row) {
    let [d, t, m, c] = human_figures(r);
    println!(
        "{:<22} {:<36} dhry/s={d:>9} t_iVM={t:>8} ms m_iVM={m:>8} kB tcmsg={c:>8} ms [{}]",
        r.host, r.vm, r.source
    );
}

#[cfg_attr(any(feature = "luajit", feature = "quickjs"), allow(dead_code))]
fn write_files(args: &Args, rows: &[Row]) -> Result<(), String> {
    let csv = csv_text(rows);
    let mut md = String::from(
        "| host | VM | dhry/s | t_iVM (ms) | m_iVM (kB) | tcmsg (ms) | source |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let [d, t, m, c] = human_figures(r);
        let _ = writeln!(
            md,
            "| {} | {} | {d} | {t} | {m} | {c} | {} |",
            r.host, r.vm, r.source
        );
        print_row(r);
    }
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    for (name, text) in [("table1.csv", &csv), ("table1.md", &md)] {
        let path = args.out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let labels: Vec<String> = rows
        .iter()
        .map(|r| format!("{}: {}", r.host.replace(" (model)", ""), r.vm))
        .collect();
    let series = |r: &Row| match r.source {
        "paper" => 0,
        "measured" => 1,
        _ => 2,
    };
    let panel = |title, get: fn(&Row) -> Option<f64>| BarPanel {
        title,
        bars: rows
            .iter()
            .zip(&labels)
            .map(|(r, l)| (l.as_str(), get(r).unwrap_or(0.0), series(r)))
            .collect(),
    };
    log_bar_panels(
        &args.out.join("table1.png"),
        "Table 1: VM performance, paper vs this host vs host models (log scale)",
        &[
            panel("dhrystones / s", |r| r.dhry_per_s),
            panel("t_iVM (ms)", |r| r.t_ivm_ms),
            panel("m_iVM (kB)", |r| r.m_ivm_kb),
            panel("tcmsg (ms)", |r| r.tcmsg_ms),
        ],
        &["paper", "measured here", "model (virtual time)"],
        2,
    )
}
