//! The sensor-field scenario end to end: a sensible estimate, determinism, and noise that
//! averages out as the theory says.

use vnet::scenarios::{SAMPLES_PER_NODE, SensorField, sensor_field};

// JavaScript-free, but keep the binaries alike.
#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[test]
fn a_noiseless_field_is_estimated_to_within_the_adc_step() {
    let r = sensor_field(&SensorField {
        noise_sigma: 0.0,
        dropout: 0.0,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(r.samples, 64 * SAMPLES_PER_NODE);
    // Each reading is off by at most half a 12-bit step over 125 °C.
    assert!(r.error().abs() <= 0.5 * 125.0 / 4095.0, "{r:?}");
    assert!(
        (r.truth - 20.0).abs() > 1.0,
        "the hot spot lifts the mean: {r:?}"
    );
}

#[test]
fn same_seed_same_estimate_and_noise_averages_out() {
    let p = SensorField::default();
    let a = sensor_field(&p).unwrap();
    assert_eq!(a, sensor_field(&p).unwrap());
    let b = sensor_field(&SensorField {
        seed: 2,
        ..p.clone()
    })
    .unwrap();
    assert_ne!(a.estimate, b.estimate);
    // σ = 1 over about 600 samples: the error's sd is about 0.04; allow 5 of them.
    assert!(a.samples > 550 && a.samples < 640, "{a:?}");
    assert!(a.error().abs() < 0.2, "{a:?}");
}
