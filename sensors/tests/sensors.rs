//! Signals, recordings, models and triggers against exact values where the maths gives them
//! and statistical bounds where it does not.

use std::path::Path;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use sensors::{
    Direction, Interpolation, Recording, Sensor, SensorError, SensorModel, SensorSpec, Signal,
    SignalSpec, Trigger, TriggerState,
};

fn build(json: &str) -> Result<Signal, SensorError> {
    let spec: SignalSpec = serde_json::from_str(json).unwrap();
    Signal::build(&spec, Path::new("."))
}

fn rng() -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(42)
}

#[test]
fn analytic_shapes_are_exact() {
    let o = [0.0, 0.0];
    let sine = build(r#"{"kind":"sine","amplitude":2,"period_s":4,"offset":1}"#).unwrap();
    assert_eq!(sine.value(1.0, o), 3.0);
    assert!((sine.value(3.0, o) + 1.0).abs() < 1e-12);
    let ramp = build(r#"{"kind":"ramp","start":5,"slope":0.5}"#).unwrap();
    assert_eq!(ramp.value(4.0, o), 7.0);
    let step = build(r#"{"kind":"step","at_s":2,"before":1,"after":9}"#).unwrap();
    assert_eq!((step.value(1.999, o), step.value(2.0, o)), (1.0, 9.0));
    let square = build(r#"{"kind":"square","low":0,"high":1,"period_s":10,"duty":0.3}"#).unwrap();
    let sq: Vec<f64> = [0.0, 2.9, 3.0, 9.9, 10.0, 12.0]
        .iter()
        .map(|&t| square.value(t, o))
        .collect();
    assert_eq!(sq, vec![1.0, 1.0, 0.0, 0.0, 1.0, 1.0]);
    let decay = build(r#"{"kind":"decay","initial":100,"target":20,"tau_s":10}"#).unwrap();
    assert!((decay.value(10.0, o) - (20.0 + 80.0 / std::f64::consts::E)).abs() < 1e-12);
    let sum = build(
        r#"{"kind":"sum","terms":[{"kind":"constant","value":1},{"kind":"ramp","slope":2}]}"#,
    )
    .unwrap();
    assert_eq!(sum.value(3.0, o), 7.0);
    let closure = Signal::from_fn(|t, p| t * p[0]);
    assert_eq!(closure.value(2.0, [3.0, 0.0]), 6.0);
}

#[test]
fn a_hot_spot_depends_on_position() {
    let f = build(r#"{"kind":"hot_spot","ambient":20,"peak":10,"x":5,"y":5,"sigma":2}"#).unwrap();
    assert_eq!(f.value(0.0, [5.0, 5.0]), 30.0);
    // One sigma away: 20 + 10·e^(−1/2).
    assert!((f.value(0.0, [7.0, 5.0]) - (20.0 + 10.0 * (-0.5f64).exp())).abs() < 1e-12);
    assert!(f.value(0.0, [50.0, 50.0]) - 20.0 < 1e-9);
}

#[test]
fn expressions_use_t_x_y() {
    let e = Signal::expression("20 + 2*sin(2*PI*t/60) - 0.5*x + y^2").unwrap();
    assert!((e.value(15.0, [2.0, 3.0]) - (20.0 + 2.0 - 1.0 + 9.0)).abs() < 1e-12);
    let only_y = Signal::expression("y * 2").unwrap();
    assert_eq!(only_y.value(9.0, [7.0, 4.0]), 8.0);
    let err = Signal::expression("z + 1").unwrap_err().to_string();
    assert!(
        err.contains("expression `z + 1`") && err.contains("unknown variable `z`"),
        "{err}"
    );
    let err = Signal::expression("2 * (t").unwrap_err().to_string();
    assert!(err.starts_with("expression `2 * (t`"), "{err}");
}

const CSV: &str = "time, temp, hum\n0, 10, 50\n1, 20, 40\n3, 40, 60\n";

#[test]
fn recordings_hold_or_interpolate_exactly() {
    let r = Recording::from_reader("r.csv", CSV.as_bytes()).unwrap();
    let temp = r.column("temp").unwrap();
    let at = |t, i, l| r.value(temp, t, i, l);
    use Interpolation::{Hold, Linear};
    // At the samples, both agree.
    for (t, v) in [(0.0, 10.0), (1.0, 20.0), (3.0, 40.0)] {
        assert_eq!((at(t, Hold, false), at(t, Linear, false)), (v, v));
    }
    assert_eq!(at(0.5, Hold, false), 10.0);
    assert_eq!(at(0.5, Linear, false), 15.0);
    assert_eq!(at(2.5, Linear, false), 35.0);
    assert_eq!(at(-1.0, Linear, false), 10.0);
    assert_eq!(at(7.0, Linear, false), 40.0);
    // Looping: period 3 s, so t = 3.5 reads as 0.5, and t = 7 as 1.
    assert_eq!(at(3.5, Linear, true), 15.0);
    assert_eq!(at(7.0, Hold, true), 20.0);
    let hum = r.column("hum").unwrap();
    assert_eq!(r.value(hum, 2.0, Linear, false), 50.0);
    let err = r.column("wind").unwrap_err().to_string();
    assert_eq!(err, "r.csv: no column `wind` (it has: temp, hum)");
}

#[test]
fn bad_csv_names_file_line_and_column() {
    for (text, want) in [
        (
            "time,temp\n0,1\n1,x\n",
            "bad.csv: line 3, column temp: `x` is not a number",
        ),
        (
            "time,temp\n0,1\n1,NaN\n",
            "bad.csv: line 3, column temp: `NaN` is not finite",
        ),
        (
            "time,temp\n0,1\n0,2\n",
            "bad.csv: line 3, column time: time 0 does not come after 0",
        ),
        (
            "time,temp\n0,1\n1\n",
            "bad.csv: line 3, column temp: the row has 1 cells, the header 2",
        ),
        (
            "time,temp\n0,1,5\n",
            "bad.csv: line 2, column 3: the row has 3 cells, the header 2",
        ),
        (
            "time\n0\n",
            "bad.csv: line 1, column 2: expected a time column",
        ),
        ("time,temp\n", "no samples"),
    ] {
        let err = Recording::from_reader("bad.csv", text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{text:?}: {err}");
    }
    let err = Recording::from_csv(Path::new("/nonexistent/x.csv"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("/nonexistent/x.csv: "), "{err}");
}

#[test]
fn recorded_signals_load_relative_to_the_network_file() {
    let dir = std::env::temp_dir().join(format!("vnet-sensors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("data.csv"), CSV).unwrap();
    let spec: SignalSpec = serde_json::from_str(
        r#"{"kind":"recorded","path":"data.csv","column":"temp","interpolation":"linear"}"#,
    )
    .unwrap();
    let s = Signal::build(&spec, &dir).unwrap();
    assert_eq!(s.value(2.0, [0.0, 0.0]), 30.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn sensor(model: SensorModel) -> Sensor {
    Sensor::new(Signal::constant(10.0), model).unwrap()
}

#[test]
fn gaussian_noise_has_its_mean_and_variance() {
    let mut s = sensor(SensorModel {
        noise_sigma: 2.0,
        bias: 1.0,
        ..Default::default()
    });
    let mut r = rng();
    let n = 200_000;
    let xs: Vec<f64> = (0..n)
        .map(|i| s.read(i as f64, [0.0; 2], &mut r).unwrap())
        .collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    // Standard error of the mean 2/√n = 0.0045; of the variance about 4·√(2/n) = 0.0126.
    assert!((mean - 11.0).abs() < 5.0 * 0.0045, "mean {mean}");
    assert!((var - 4.0).abs() < 5.0 * 0.0126, "variance {var}");
}

#[test]
fn uniform_noise_gain_dropouts_and_outliers_have_their_rates() {
    let mut s = sensor(SensorModel {
        noise_uniform: 0.5,
        gain_error: 0.1,
        dropout: 0.2,
        outlier: 0.05,
        outlier_size: 100.0,
        ..Default::default()
    });
    let mut r = rng();
    let n = 100_000;
    let reads: Vec<Option<f64>> = (0..n).map(|_| s.read(1.0, [0.0; 2], &mut r)).collect();
    let got: Vec<f64> = reads.iter().flatten().copied().collect();
    let drop_rate = 1.0 - got.len() as f64 / n as f64;
    assert!(
        (drop_rate - 0.2).abs() < 5.0 * (0.2f64 * 0.8 / n as f64).sqrt(),
        "{drop_rate}"
    );
    let (outliers, normal): (Vec<f64>, Vec<f64>) =
        got.iter().partition(|v| (*v - 11.0).abs() > 1.0);
    let out_rate = outliers.len() as f64 / got.len() as f64;
    assert!((out_rate - 0.05).abs() < 0.005, "{out_rate}");
    assert!(
        outliers
            .iter()
            .all(|v| ((v - 11.0).abs() - 100.0).abs() <= 0.5)
    );
    // Uniform on 11 ± 0.5 (gain 1.1 · 10): mean 11, variance 1/12.
    let mean = normal.iter().sum::<f64>() / normal.len() as f64;
    let var = normal.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / normal.len() as f64;
    assert!(normal.iter().all(|v| (10.5..=11.5).contains(v)));
    assert!((mean - 11.0).abs() < 0.005, "{mean}");
    assert!((var - 1.0 / 12.0).abs() < 0.002, "{var}");
}

#[test]
fn saturation_and_quantization_are_exact() {
    let m = SensorModel {
        adc_bits: Some(3),
        range: Some([0.0, 7.0]),
        ..Default::default()
    };
    // Eight levels 0..7, step 1.
    assert_eq!(m.adc_step(), Some(1.0));
    assert_eq!(m.limit(3.4), 3.0);
    assert_eq!(m.limit(3.5), 4.0);
    assert_eq!(m.limit(-2.0), 0.0);
    assert_eq!(m.limit(99.0), 7.0);
    let ten_bit = SensorModel {
        adc_bits: Some(10),
        range: Some([-10.0, 10.0]),
        ..Default::default()
    };
    let step: f64 = 20.0 / 1023.0;
    assert_eq!(ten_bit.limit(0.05), -10.0 + (10.05 / step).round() * step);
    let sat = SensorModel {
        range: Some([0.0, 5.0]),
        ..Default::default()
    };
    let mut s = Sensor::new(Signal::constant(8.0), sat).unwrap();
    assert_eq!(s.read(0.0, [0.0; 2], &mut rng()), Some(5.0));
}

#[test]
fn drift_is_a_random_walk_and_latency_shifts_time() {
    let mut s = Sensor::new(
        Signal::constant(0.0),
        SensorModel {
            drift_sigma: 1.0,
            ..Default::default()
        },
    )
    .unwrap();
    // After 100 s the drift has standard deviation 10: over many sensors, variance ≈ 100.
    let mut r = rng();
    let finals: Vec<f64> = (0..20_000)
        .map(|_| {
            s = Sensor::new(Signal::constant(0.0), s.model().clone()).unwrap();
            (1..=100)
                .map(|t| s.read(t as f64, [0.0; 2], &mut r).unwrap())
                .last()
                .unwrap()
        })
        .collect();
    let var = finals.iter().map(|x| x * x).sum::<f64>() / finals.len() as f64;
    assert!((var - 100.0).abs() < 5.0, "{var}");
    let lagging = Sensor::new(
        Signal::from_fn(|t, _| t),
        SensorModel {
            latency_ms: 250.0,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(lagging.truth(1.0, [0.0; 2]), 0.75);
}

#[test]
fn bad_models_name_the_field() {
    for (m, want) in [
        (
            SensorModel {
                noise_sigma: -1.0,
                ..Default::default()
            },
            "`noise_sigma`",
        ),
        (
            SensorModel {
                dropout: 1.5,
                ..Default::default()
            },
            "`dropout`",
        ),
        (
            SensorModel {
                adc_bits: Some(12),
                ..Default::default()
            },
            "`adc_bits`: quantization needs a `range`",
        ),
        (
            SensorModel {
                range: Some([3.0, 1.0]),
                ..Default::default()
            },
            "`range`",
        ),
    ] {
        let err = Sensor::new(Signal::constant(0.0), m)
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn trigger_times_are_exact() {
    let p = Trigger::Periodic {
        period_ms: 0.1,
        offset_ms: 5.0,
        until_ms: Some(5.3),
    };
    let times: Vec<u64> = (0..).map_while(|k| p.check_time(k)).collect();
    assert_eq!(times, vec![5_000_000, 5_100_000, 5_200_000, 5_300_000]);
    let at = Trigger::At {
        times_ms: vec![1.0, 2.5, 1000.0],
    };
    let times: Vec<u64> = (0..).map_while(|k| at.check_time(k)).collect();
    assert_eq!(times, vec![1_000_000, 2_500_000, 1_000_000_000]);
    assert_eq!(Trigger::OnDemand.check_time(0), None);
    let bad = Trigger::At {
        times_ms: vec![2.0, 1.0],
    };
    assert!(
        bad.validate()
            .unwrap_err()
            .to_string()
            .contains("`times_ms[1]`")
    );
    assert!(
        Trigger::Periodic {
            period_ms: 0.0,
            offset_ms: 0.0,
            until_ms: None
        }
        .validate()
        .is_err()
    );
}

#[test]
fn thresholds_fire_on_crossings_and_changes_on_moves() {
    let t = Trigger::Threshold {
        level: 5.0,
        direction: Direction::Rising,
        check_ms: 1.0,
    };
    let mut st = TriggerState::default();
    let fired: Vec<bool> = [4.0, 6.0, 7.0, 4.0, 5.0, 3.0]
        .iter()
        .map(|&v| st.fires(&t, Some(v)))
        .collect();
    assert_eq!(fired, vec![false, true, false, false, true, false]);
    let both = Trigger::Threshold {
        level: 5.0,
        direction: Direction::Both,
        check_ms: 1.0,
    };
    let mut st = TriggerState::default();
    let fired: Vec<bool> = [4.0, 6.0, 7.0, 4.0]
        .iter()
        .map(|&v| st.fires(&both, Some(v)))
        .collect();
    assert_eq!(fired, vec![false, true, false, true]);
    let c = Trigger::Change {
        delta: 1.0,
        check_ms: 1.0,
    };
    let mut st = TriggerState::default();
    let fired: Vec<bool> = [0.0, 0.5, 0.99, 1.0, 1.5, -0.1]
        .iter()
        .map(|&v| st.fires(&c, Some(v)))
        .collect();
    assert_eq!(fired, vec![true, false, false, true, false, true]);
    assert!(!st.fires(&c, None));
}

#[test]
fn specs_round_trip_and_check_ports() {
    let json = r#"{"name":"temp","signal":{"kind":"expr","expr":"20 + t"},"model":{"noise_sigma":0.5},"trigger":{"kind":"periodic","period_ms":100.0,"offset_ms":0.0,"until_ms":null},"port":"t"}"#;
    let spec: SensorSpec = serde_json::from_str(json).unwrap();
    let again: SensorSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
    assert_eq!(spec, again);
    assert!(spec.build(Path::new(".")).is_ok());
    let no_port = SensorSpec { port: None, ..spec };
    let err = no_port.build(Path::new(".")).unwrap_err().to_string();
    assert!(err.contains("`port`"), "{err}");
    let err = serde_json::from_str::<SensorSpec>(r#"{"name":"x","signal":{"kind":"warp"}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("warp"), "{err}");
}
