//! election: leader election, two ways.
//! - **Chang–Roberts** on unidirectional rings of growing size, uids shuffled per replication,
//!   in Lua (and in JavaScript at the smaller sizes, which must cost the very same messages).
//!   The mean message count is compared with the theory, `n·H_n` for the election plus `n` for
//!   the announcement.
//! - **Flood-max** on grids and geometric graphs under link loss: how often every node agrees
//!   on the largest uid.
//!
//! Every Chang–Roberts run and every lossless flood-max run must elect exactly the largest uid;
//! the example exits non-zero if one does not. Writes `results/election.csv`,
//! `results/election.png` (Chang–Roberts messages against n, with the theory) and
//! `results/election_floodmax.png` (agreement against loss).
//!
//! `cargo run --release --example election -- [--replications R] [--quick] [--out DIR]`

use std::process::ExitCode;

use clap::Parser;
use vnet::plot::{Series, YAxis, series_chart};
use vnet::scenarios::algorithms::{NetSpec, Shape, chang_roberts, flood_max};
use vnet::sim::SimDuration;
use vnet::sim::vm::Lang;
use vnet::study::{StudyArgs, Table, cells, exit_code, find, half_width, point_seed, replicate};

#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[derive(Parser)]
#[command(about = "Leader election: Chang-Roberts on rings, flood-max under loss")]
struct Args {
    #[command(flatten)]
    study: StudyArgs,
}

/// Replications per point unless `--replications` says otherwise.
const REPLICATIONS: usize = 100;

fn main() -> ExitCode {
    let args = Args::parse();
    exit_code("election", run(&args))
}

/// n·H_n + n: the expected messages of Chang–Roberts over random uid orders, announcement included.
fn theory(n: usize) -> f64 {
    n as f64 * (1..=n).map(|k| 1.0 / k as f64).sum::<f64>() + n as f64
}

fn run(args: &Args) -> Result<(), String> {
    let quick = args.study.quick;
    let reps = if quick {
        3
    } else {
        args.study.replications.unwrap_or(REPLICATIONS)
    };
    let mut table = Table::new(&[
        "algorithm",
        "lang",
        "shape",
        "n",
        "loss",
        "replications",
        "messages",
        "messages_ci95",
        "theory_messages",
        "agreement",
        "agreement_ci95",
        "completion_ms",
        "completion_ms_ci95",
    ]);
    // Chang–Roberts: messages against ring size.
    let rings: &[usize] = if quick {
        &[8, 16]
    } else {
        &[8, 16, 32, 64, 128]
    };
    let mut measured = Vec::new();
    for &n in rings {
        for lang in [Lang::Lua, Lang::Js] {
            if lang == Lang::Js && n > 32 {
                continue;
            }
            let s = replicate(reps, point_seed(args.study.seed, &[n as u64]), |seed| {
                let r = chang_roberts(n, lang, seed)?;
                r.check(true)?;
                Ok(vec![
                    ("messages", r.messages as f64),
                    ("agreement", r.agreement()),
                    ("completion_ms", r.completion_ms),
                ])
            })?;
            let (m, a, t) = (
                find(&s, "messages"),
                find(&s, "agreement"),
                find(&s, "completion_ms"),
            );
            let name = if lang == Lang::Lua { "lua" } else { "js" };
            println!(
                "chang-roberts {name:<3} ring n={n:<4} messages={:>8.1}±{:.1} (theory {:.1}) completion={:.2} ms",
                m.mean,
                m.ci95,
                theory(n),
                t.mean
            );
            let mut row = vec![
                "chang-roberts".into(),
                name.into(),
                "ring".into(),
                n.to_string(),
                "0".into(),
                reps.to_string(),
            ];
            row.extend(cells(m));
            row.push(format!("{:.3}", theory(n)));
            row.extend(cells(a).into_iter().chain(cells(t)));
            table.push(row);
            if lang == Lang::Lua {
                measured.push((n as f64, m.mean, m.ci95));
            }
        }
    }
    let theory_line = rings.iter().map(|&n| (n as f64, theory(n), 0.0)).collect();
    series_chart(
        &args.study.out.join("election.png"),
        &format!("Chang-Roberts on a ring: messages ({reps} uid shuffles, 95 % CI)"),
        ("ring size n", "messages"),
        &[
            Series {
                label: "measured (Lua)".into(),
                points: measured,
            },
            Series {
                label: "theory n·H(n) + n".into(),
                points: theory_line,
            },
        ],
        YAxis::Linear,
    )?;
    // Flood-max: agreement against loss.
    let sizes: &[usize] = if quick { &[16] } else { &[16, 64] };
    let losses = [0.0, 0.05, 0.1, 0.2, 0.3];
    let mut series = Vec::new();
    for shape in [Shape::Grid, Shape::Geometric] {
        for &n in sizes {
            let mut points = Vec::new();
            for (k, &loss) in losses.iter().enumerate() {
                let master = point_seed(args.study.seed, &[shape as u64, n as u64, k as u64]);
                let s = replicate(reps, master, |seed| {
                    let net = NetSpec {
                        loss,
                        seed,
                        ..NetSpec::new(shape, n)
                    };
                    let r = flood_max(&net, SimDuration::from_millis(100))?;
                    if loss == 0.0 {
                        r.check(false)?;
                    }
                    Ok(vec![
                        ("messages", r.messages as f64),
                        ("agreement", r.agreement()),
                        ("all_agree", f64::from(u8::from(r.agreement() == 1.0))),
                        ("completion_ms", r.completion_ms),
                    ])
                })?;
                let (m, a, t) = (
                    find(&s, "messages"),
                    find(&s, "agreement"),
                    find(&s, "completion_ms"),
                );
                println!(
                    "flood-max {:<9} n={n:<4} loss={loss:<4} messages={:>8.1} agreement={:.3} all-agree runs={:.2}",
                    shape.name(),
                    m.mean,
                    a.mean,
                    find(&s, "all_agree").mean
                );
                let mut row = vec![
                    "flood-max".into(),
                    "lua".into(),
                    shape.name().into(),
                    n.to_string(),
                    loss.to_string(),
                    reps.to_string(),
                ];
                row.extend(cells(m));
                row.push(String::new());
                row.extend(cells(a).into_iter().chain(cells(t)));
                table.push(row);
                points.push((loss, a.mean, half_width(a)));
            }
            series.push(Series {
                label: format!("{} n={n}", shape.name()),
                points,
            });
        }
    }
    table.write(&args.study.out.join("election.csv"))?;
    series_chart(
        &args.study.out.join("election_floodmax.png"),
        &format!("Flood-max: fraction of nodes that learn the leader ({reps} runs, 95 % CI)"),
        ("loss probability per message", "agreement"),
        &series,
        YAxis::Fraction,
    )?;
    println!("wrote {}", args.study.out.join("election.csv").display());
    Ok(())
}
