//! agents: finding hot spots in a sensor field with mobile agents, against flooding — how
//! many of the hot spots the sink learns of, how soon, and at what cost in messages and bytes,
//! with 95 % intervals over Monte Carlo replications.
//!
//! Runs the network files of `examples/networks/agents/` (a 6×6 grid, 5 ms 1 Mb/s links, a
//! `heat` sensor on every node, 3 hot spots drawn per replication): explorer agents (1, 2, 4
//! and 8, 60 random steps each, marking the way home in the nodes' tuple spaces, cloning a
//! carrier to the sink at each hot spot) and flooding (every node samples every 200 ms and
//! floods its first hot reading). With one explorer, Lua and JavaScript agents walk the same
//! walk: the example checks that they find the same hot spots with the same number of moves.
//! Writes `results/agents.csv` and `results/agents.png`.
//!
//! `cargo run --release --example agents -- [--replications R] [--quick] [--out DIR]`

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use vnet::plot::{BarPanel, log_bar_panels};
use vnet::scenarios::{SurveyMethod, agent_survey};
use vnet::sim::montecarlo::{MonteCarlo, Summary};
use vnet::study::{StudyArgs, Table, cells, exit_code, find, point_seed};

// JavaScript agents' heaps are measured for their memory caps.
#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[derive(Parser)]
#[command(about = "Hot spots in a sensor field: explorer agents against flooding")]
struct Args {
    #[command(flatten)]
    study: StudyArgs,
}

/// Replications per point unless `--replications` says otherwise.
const REPLICATIONS: usize = 20;
/// One method's means and 95 % half-widths: detected fraction, time, messages, bytes.
struct Row {
    label: String,
    values: [(f64, f64); 4],
}

/// Hot spots per replication.
const HOT: usize = 3;

fn main() -> ExitCode {
    let args = Args::parse();
    exit_code("agents", run(&args))
}

fn run(args: &Args) -> Result<(), String> {
    let quick = args.study.quick;
    let reps = if quick {
        2
    } else {
        args.study.replications.unwrap_or(REPLICATIONS)
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/networks/agents");
    let mut methods = vec![("flooding".to_owned(), SurveyMethod::Flooding)];
    let counts: &[u32] = if quick { &[1, 4] } else { &[1, 2, 4, 8] };
    for &count in counts {
        let s = if count == 1 { "" } else { "s" };
        methods.push((
            format!("{count} explorer{s}"),
            SurveyMethod::Explorers { count, js: false },
        ));
    }
    methods.push((
        "1 explorer (JS)".to_owned(),
        SurveyMethod::Explorers { count: 1, js: true },
    ));
    let mut table = Table::new(&[
        "method",
        "language",
        "explorers",
        "replications",
        "detected_fraction",
        "detected_fraction_ci95",
        "detection_ms",
        "detection_ms_ci95",
        "messages",
        "messages_ci95",
        "bytes",
        "bytes_ci95",
        "moves",
        "moves_ci95",
    ]);
    let mut rows = Vec::new();
    for (label, method) in &methods {
        // Every method sees the same hot spots: the seeds depend on the replication only.
        let seed = point_seed(args.study.seed, &[HOT as u64]);
        let runs = MonteCarlo::new(reps, seed).progress(false).try_run(|rep| {
            let seed = rep.seed;
            let r = agent_survey(&dir, *method, HOT, seed)?;
            if let SurveyMethod::Explorers {
                count: 1,
                js: false,
            } = method
            {
                let js = agent_survey(
                    &dir,
                    SurveyMethod::Explorers { count: 1, js: true },
                    HOT,
                    seed,
                )?;
                if (js.detected, js.moves, js.messages) != (r.detected, r.moves, r.messages) {
                    return Err(format!(
                        "seed {seed}: the Lua explorer found {} in {} moves, the JS one {} in {}",
                        r.detected, r.moves, js.detected, js.moves
                    ));
                }
            }
            // NaN where nothing was detected: left out of the time's summary below.
            Ok(vec![
                (
                    "detected_fraction".to_owned(),
                    r.detected as f64 / r.hot as f64,
                ),
                ("messages".to_owned(), r.messages as f64),
                ("bytes".to_owned(), r.bytes as f64),
                ("moves".to_owned(), r.moves as f64),
                ("detection_ms".to_owned(), r.detection_ms),
            ])
        });
        let runs = runs.map_err(|e| e.to_string())?;
        let s = runs.summary();
        let times: Vec<f64> = (runs.metric("detection_ms").unwrap_or_default().into_iter())
            .filter(|t| t.is_finite())
            .collect();
        let (d, msg, b, mv) = (
            find(&s, "detected_fraction").clone(),
            find(&s, "messages").clone(),
            find(&s, "bytes").clone(),
            find(&s, "moves").clone(),
        );
        let (t_mean, t_ci) = if times.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            let t = Summary::of("detection_ms", &times);
            (t.mean, vnet::study::half_width(&t))
        };
        println!(
            "{label:<17} detected {:>5.1}±{:<4.1} %  after {:>7.1}±{:<6.1} ms  messages {:>8.1}±{:<6.1}  bytes {:>10.0}±{:<8.0}",
            100.0 * d.mean,
            100.0 * d.ci95,
            t_mean,
            t_ci,
            msg.mean,
            msg.ci95,
            b.mean,
            b.ci95
        );
        let (lang, explorers) = match method {
            SurveyMethod::Flooding => ("lua", 0),
            SurveyMethod::Explorers { count, js } => (if *js { "js" } else { "lua" }, *count),
        };
        let kind = match method {
            SurveyMethod::Flooding => "flooding",
            SurveyMethod::Explorers { .. } => "explorers",
        };
        let mut row = vec![
            kind.to_owned(),
            lang.to_owned(),
            explorers.to_string(),
            reps.to_string(),
        ];
        row.extend(cells(&d));
        row.push(format!("{t_mean:.6}"));
        row.push(format!("{t_ci:.6}"));
        for x in [&msg, &b, &mv] {
            row.extend(cells(x));
        }
        table.push(row);
        // The JS explorer walks the Lua one's walk (checked above): the CSV has it, the
        // picture does not repeat it.
        if !matches!(method, SurveyMethod::Explorers { js: true, .. }) {
            rows.push(Row {
                label: label.clone(),
                values: [
                    (d.mean, d.ci95),
                    (t_mean, t_ci),
                    (msg.mean, msg.ci95),
                    (b.mean, b.ci95),
                ],
            });
        }
    }
    let out = &args.study.out;
    table.write(&out.join("agents.csv"))?;
    let series: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    // Each bar is labelled with its mean and 95 % half-width.
    let labels: Vec<Vec<String>> = (0..4)
        .map(|k| {
            rows.iter()
                .map(|r| {
                    let (m, ci) = r.values[k];
                    let ci = if ci.is_finite() { ci } else { 0.0 };
                    match k {
                        0 => format!("{m:.2} ± {ci:.2}"),
                        3 => format!("{:.1} ± {:.1} kB", m / 1e3, ci / 1e3),
                        _ => format!("{m:.0} ± {ci:.0}"),
                    }
                })
                .collect()
        })
        .collect();
    let panel = |title: &'static str, k: usize| BarPanel {
        title,
        bars: rows
            .iter()
            .enumerate()
            .map(|(i, r)| (labels[k][i].as_str(), r.values[k].0, i))
            .collect(),
    };
    log_bar_panels(
        &out.join("agents.png"),
        &format!(
            "Finding {HOT} hot spots on a 6x6 sensor grid: explorer agents vs flooding ({reps} runs each)"
        ),
        &[
            panel("hot spots the sink learns of (fraction)", 0),
            panel("mean time until the sink learns (ms)", 1),
            panel("messages on links", 2),
            panel("bytes on links", 3),
        ],
        &series,
        2,
    )?;
    println!("wrote {}", out.join("agents.csv").display());
    Ok(())
}
