//! A V-node twin in a real-time simulation: a simulated Lua worker ping-pongs with a JS
//! worker on a `vnet-node` process through the twin.

mod common;

use std::ops::ControlFlow;
use std::rc::Rc;

use common::*;
use vnet_hw::twin::Twin;
use vnet_sim::realtime::{Pacing, RealTime};
use vnet_sim::vm::{Lang, VmConfig, VmProgram};
use vnet_sim::{LinkParams, SimDuration, SimTime, Simulation, WorkerId};

#[test]
fn a_simulated_worker_ping_pongs_with_a_p_node_through_its_twin() {
    let node = NodeProcess::start("b", &[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let twin = rt
        .block_on(Twin::connect(&node.url, None, &["a".to_owned()]))
        .unwrap();
    let vm = rt
        .block_on(twin.create_worker(
            vnet_hw::nmp::schema::Lang::Js,
            "for (;;) { const [p, m] = await recv(); send(p, m + 1); }",
            None,
        ))
        .unwrap();

    let mut sim = Simulation::new(1);
    let a = sim.add_node("a").unwrap();
    let b = sim.add_node("b").unwrap();
    sim.add_port(b, "a").unwrap();
    let latency = SimDuration::from_millis(5);
    sim.link(a, "b", b, "a", LinkParams::new(latency, 1_000_000_000))
        .unwrap();
    let ping = r#"
      local v = 0
      for i = 1, 10 do
        local t = now()
        send('b', v)
        local p, m = recv('b', 5000)
        assert(m == v + 1, 'round ' .. i .. ': ' .. tostring(m))
        v = m
        print(now() - t)
      end
      print('done', v)
    "#;
    sim.add_worker(
        a,
        Box::new(VmProgram::new(
            Lang::Lua,
            ping,
            Rc::new(VmConfig::default()),
        )),
    );
    let (mut realtime, injector) = RealTime::new(Pacing::BestEffort);
    sim.add_worker(b, Box::new(twin.relay(rt.handle(), b, injector)));
    realtime
        .run(&mut sim, Some(SimTime::from_secs(20)), |sim| {
            match sim.worker_state(a, WorkerId(0)) {
                Some(s) if !s.is_alive() => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            }
        })
        .unwrap();
    let out: Vec<String> = sim
        .results()
        .worker_output(a, WorkerId(0))
        .map(|l| l.text.clone())
        .collect();
    assert_eq!(out.last().map(String::as_str), Some("done\t10"), "{out:?}");
    // Each round trip crosses the 5 ms link twice, plus the real time the P-node took.
    for rtt in &out[..10] {
        let ms: f64 = rtt.parse().unwrap();
        assert!(ms >= 10.0, "{out:?}");
    }
    let events = rt.block_on(async {
        twin.client()
            .call(
                "vm.kill",
                serde_json::json!({"session": twin.session(), "vm": vm}),
            )
            .await
            .unwrap();
        let events = events_until(twin.client(), twin.session(), |e| ended(e, vm.into())).await;
        twin.close().await.unwrap();
        events
    });
    assert_eq!(texts(&events, vm.into(), "state"), vec!["killed"]);
}
