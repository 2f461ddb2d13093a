//! The errors a caller can act on are typed: each says what went wrong by variant and field,
//! not only in its text (issue 15, item 6). Checked through the public API, as a user would.

use std::rc::Rc;

use vnet_sim::net::NetError;
use vnet_sim::netfile::{ProfileSpec, UnknownProfile};
use vnet_sim::time::{UnitError, parse_nanos};
use vnet_sim::units::parse_bandwidth;
use vnet_sim::vm::{EvalError, Lang, VmConfig, VmProgram};
use vnet_sim::{LinkParams, LinkParamsError, NotRecordable, RecordValue, SimDuration, Simulation};

#[test]
fn units_say_what_was_written_and_what_would_do() {
    assert_eq!(
        parse_nanos("3 days"),
        Err(UnitError::UnknownUnit {
            quantity: "time",
            unit: "days".into(),
            text: "3 days".into(),
            allowed: "ns, us, ms or s",
        })
    );
    assert_eq!(
        parse_nanos("1.5ns"),
        Err(UnitError::NotWhole {
            text: "1.5ns".into(),
            whole: "nanoseconds",
        })
    );
    assert_eq!(
        parse_bandwidth("0Mbps"),
        Err(UnitError::NotPositive {
            quantity: "bandwidth",
            text: "0Mbps".into(),
        })
    );
    // The text reads as before.
    assert_eq!(
        parse_bandwidth("5furlongs").unwrap_err().to_string(),
        "unknown bandwidth unit `furlongs` in `5furlongs` (use bps, kbps, Mbps or Gbps)"
    );
}

#[test]
fn a_bad_link_says_which_field() {
    let mut sim = Simulation::new(1);
    let a = sim.add_node("a").unwrap();
    let b = sim.add_node("b").unwrap();
    let lossy = LinkParams::new(SimDuration::from_millis(1), 1_000_000).with_loss(1.5);
    match sim.link(a, "p", b, "p", lossy) {
        Err(NetError::BadLink { reason, .. }) => assert_eq!(reason, LinkParamsError::Loss(1.5)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn records_evals_and_profiles_fail_by_kind() {
    assert_eq!(
        RecordValue::from_json(&serde_json::json!([1, 2])),
        Err(NotRecordable { found: "an array" })
    );
    // A worker that never started cannot evaluate anything.
    let mut idle = VmProgram::new(Lang::Lua, "", Rc::new(VmConfig::default()));
    assert_eq!(idle.eval("return 1"), Err(EvalError::NotRunning));
    assert_eq!(
        ProfileSpec::Named("pdp-11".into()).resolve(),
        Err(UnknownProfile {
            name: "pdp-11".into()
        })
    );
}
