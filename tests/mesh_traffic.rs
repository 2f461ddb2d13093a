//! Mesh traffic: the same virtual latencies in Lua, JavaScript and Rust, and exact ones without
//! jitter.

use vnet::scenarios::{FloodLang, MeshTrafficRun, mesh_traffic};
use vnet::sim::SimDuration;

#[global_allocator]
static ALLOC: vnet::sim::vm::MeteredAlloc = vnet::sim::vm::MeteredAlloc;

#[test]
fn every_language_sees_the_same_latencies() {
    let run = |lang| {
        let cfg = MeshTrafficRun {
            floods: 5,
            ..MeshTrafficRun::new(2, 4, lang)
        };
        mesh_traffic(&cfg).unwrap()
    };
    let rust = run(FloodLang::Rust);
    assert_eq!(rust.workers, 8);
    assert_eq!(rust.latencies_ms.len(), 8 * 7 * 5);
    for lang in [FloodLang::Lua, FloodLang::Js] {
        let vm = run(lang);
        assert_eq!(vm.latencies_ms, rust.latencies_ms, "{lang:?}");
        assert_eq!((vm.messages, vm.end), (rust.messages, rust.end), "{lang:?}");
    }
}

#[test]
fn without_jitter_latency_is_the_link_formula_plus_queueing() {
    // A line n0 – n1 – n2; node i floods at i ms. A hop takes 1 ms + size·8 / 10 Mb/s:
    // {"o":0,"s":1,"t":0} is 19 bytes (15.2 µs); with "t":1000000 or 2000000, 25 bytes (20 µs).
    let cfg = MeshTrafficRun {
        floods: 1,
        jitter: SimDuration::ZERO,
        ..MeshTrafficRun::new(1, 3, FloodLang::Lua)
    };
    let r = mesh_traffic(&cfg).unwrap();
    let mut lat = r.latencies_ms.clone();
    lat.sort_by(f64::total_cmp);
    // n0's flood reaches n1 at 1.0152 ms, but n1's own flood holds the link to n2 until
    // 1.02 ms, so it reaches n2 at 1.02 + 1.0152 = 2.0352. n1's flood reaches both sides at
    // 1.02; n2's reaches n1 at 1.02 and n0 at 2.04 hops later, unhindered.
    assert_eq!(lat, vec![1.0152, 1.02, 1.02, 1.02, 2.0352, 2.04]);
}
