use super::*;
use crate::{LinkParams, SimDuration, Simulation};

/// Summary statistics against a data set worked by hand:
/// values 2, 4, 4, 4, 5, 5, 7, 9 — mean 5, sum of squares 32, sd √(32/7) = 2.13809,
/// t(0.975, 7) = 2.364624, half-width 2.364624 · 2.13809 / √8 = 1.78749.
#[test]
fn confidence_interval_matches_a_hand_computed_set() {
    let s = Summary::of("x", &[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
    assert_eq!((s.n, s.mean, s.min, s.max), (8, 5.0, 2.0, 9.0));
    assert!((s.sd - 2.138_089_935).abs() < 1e-8, "{}", s.sd);
    assert!((t_975(7) - 2.364_624_252).abs() < 1e-8);
    assert!((s.ci95 - 1.787_488).abs() < 1e-6, "{}", s.ci95);
    assert!((t_975(1) - 12.706_204_736).abs() < 1e-6);
    let one = Summary::of("y", &[3.0]);
    assert!(one.sd.is_nan() && one.ci95.is_nan());
}

/// A small simulation whose outcome depends on its seed: deliveries over a lossy link.
fn lossy(r: Replication) -> Metrics {
    struct Blast;
    impl crate::NodeProgram for Blast {
        fn on_start(&mut self, ctx: &mut crate::Context) {
            for _ in 0..100 {
                ctx.send(crate::PortId(0), crate::Message::bytes(vec![0; 10]));
            }
        }
    }
    let mut sim = Simulation::new(r.seed);
    let x = sim.add_node("x").unwrap();
    let y = sim.add_node("y").unwrap();
    let link = LinkParams::new(SimDuration::from_millis(1), 1_000_000).with_loss(0.3);
    sim.link(x, "p", y, "p", link).unwrap();
    struct Sink;
    impl crate::NodeProgram for Sink {
        fn on_message(
            &mut self,
            _: &mut crate::Context,
            _: Option<crate::PortId>,
            _: crate::Message,
        ) {
        }
    }
    sim.add_worker(x, Box::new(Blast));
    sim.add_worker(y, Box::new(Sink));
    sim.run();
    let got = sim.results().node_stats(y).map_or(0, |s| s.received);
    vec![("delivered".to_owned(), got as f64)]
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let one = MonteCarlo::new(24, 99)
        .threads(1)
        .progress(false)
        .run(lossy)
        .unwrap();
    let four = MonteCarlo::new(24, 99)
        .threads(4)
        .progress(false)
        .run(lossy)
        .unwrap();
    assert_eq!(one, four);
    let other = MonteCarlo::new(24, 100)
        .threads(2)
        .progress(false)
        .run(lossy)
        .unwrap();
    assert_ne!(one, other, "another master seed gives other runs");
    let delivered = one.metric("delivered").unwrap();
    assert!(
        delivered.iter().any(|&d| d != delivered[0]),
        "seeds differ per replication: {delivered:?}"
    );
    let s = &one.summary()[0];
    // 100 messages, 30 % loss: mean 70 within the CI (with slack: it is random).
    assert!((s.mean - 70.0).abs() < 3.0 * s.ci95 + 1.0, "{s:?}");
}

#[test]
fn bad_replications_are_named() {
    let e = MonteCarlo::new(3, 1)
        .progress(false)
        .run(|r| {
            if r.index == 1 {
                vec![("b".to_owned(), 1.0)]
            } else {
                vec![("a".to_owned(), 1.0)]
            }
        })
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("replication 1 (seed "), "{e}");
    let e = MonteCarlo::new(3, 1)
        .progress(false)
        .run(|r| {
            assert!(r.index != 2, "boom");
            vec![]
        })
        .unwrap_err()
        .to_string();
    assert!(e.contains("replication 2") && e.contains("boom"), "{e}");
    assert!(MonteCarlo::new(0, 1).run(|_| vec![]).is_err());
    // A scenario's own failure names the first failing replication in index order.
    let e = MonteCarlo::new(4, 1)
        .progress(false)
        .try_run(|r| match r.index {
            1 | 3 => Err(format!("check failed in {}", r.index)),
            _ => Ok(vec![("a".to_owned(), 1.0)]),
        })
        .unwrap_err();
    assert!(
        matches!(&e, MonteCarloError::Failed { index: 1, message, .. } if message == "check failed in 1"),
        "{e}"
    );
}

#[test]
fn csv_files_have_a_row_per_replication_and_per_metric() {
    let runs = MonteCarlo::new(3, 5)
        .progress(false)
        .run(|r| vec![("x".to_owned(), r.index as f64)])
        .unwrap();
    let dir = std::env::temp_dir().join(format!("vnet-mc-{}", std::process::id()));
    runs.write_csv(&dir.join("runs.csv")).unwrap();
    runs.write_summary_csv(&dir.join("summary.csv")).unwrap();
    let rows = std::fs::read_to_string(dir.join("runs.csv")).unwrap();
    let lines: Vec<&str> = rows.lines().collect();
    assert_eq!(lines[0], "replication,seed,x");
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[2], format!("1,{},1", replication_seed(5, 1)));
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert!(summary.starts_with("metric,n,mean,sd,ci95,ci_low,ci_high,min,max\nx,3,1,1,"));
    std::fs::remove_dir_all(&dir).ok();
}
