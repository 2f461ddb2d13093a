//! Programs reading their node's sensors on demand, and receiving triggered reports.

use ::sensors::{Sensor, SensorModel, Signal, Trigger};

use super::*;
use crate::net::PortId;
use crate::time::SimTime;

/// A node `n` running `code`, with a sensor `clock` that reads the time in seconds exactly
/// and, if `dropout`, never answers.
fn with_clock(lang: Lang, code: &str, dropout: bool) -> (Simulation, NodeId) {
    let (mut sim, n) = solo(lang, code, VmConfig::default());
    let model = SensorModel {
        dropout: if dropout { 1.0 } else { 0.0 },
        ..Default::default()
    };
    let clock = Sensor::new(Signal::from_fn(|t, _| t), model).unwrap();
    sim.add_sensor(n, "clock", clock, Trigger::OnDemand, None)
        .unwrap();
    (sim, n)
}

#[test]
fn programs_read_sensors_at_their_virtual_time() {
    for (lang, code) in [
        (Lang::Lua, "sleep(1500) print(sensor('clock'))"),
        (Lang::Js, "await sleep(1500); print(sensor('clock'));"),
    ] {
        let (mut sim, n) = with_clock(lang, code, false);
        sim.run();
        assert_eq!(
            out(&sim, n, 0),
            vec!["1.5"],
            "{lang:?}: {}",
            err(&sim, n, 0)
        );
    }
}

#[test]
fn a_dropout_reads_as_nil_and_an_unknown_sensor_fails() {
    for (lang, code, want) in [
        (Lang::Lua, "print(sensor('clock'))", "nil"),
        (Lang::Js, "print(sensor('clock'));", "null"),
    ] {
        let (mut sim, n) = with_clock(lang, code, true);
        sim.run();
        assert_eq!(out(&sim, n, 0), vec![want]);
    }
    for (lang, code) in [(Lang::Lua, "sensor('wind')"), (Lang::Js, "sensor('wind');")] {
        let (mut sim, n) = with_clock(lang, code, false);
        sim.run();
        assert!(
            err(&sim, n, 0).contains("sensor: node `n` has no sensor `wind`"),
            "{}",
            err(&sim, n, 0)
        );
    }
    fails_with(
        Lang::Lua,
        "sensor('x')",
        VmConfig::default(),
        "node `n` has no sensor `x`",
    );
}

#[test]
fn triggered_samples_arrive_on_the_sensor_port() {
    let code = "for i = 1, 3 do local p, v = recv('p') print(p, now(), v) end";
    let (mut sim, n) = solo(Lang::Lua, code, VmConfig::default());
    let ramp = Sensor::new(Signal::from_fn(|t, _| 10.0 * t), SensorModel::default()).unwrap();
    let every = Trigger::Periodic {
        period_ms: 250.0,
        offset_ms: 100.0,
        until_ms: None,
    };
    sim.add_sensor(n, "ramp", ramp, every, Some(PortId(0)))
        .unwrap();
    sim.run_until(SimTime::from_secs(2));
    assert_eq!(
        out(&sim, n, 0),
        vec!["p\t100.0\t1.0", "p\t350.0\t3.5", "p\t600.0\t6.0"]
    );
}
