//! Mobile agents on the studio's page in a real browser (Debian's `chromium`): stepping a run,
//! a person sees a badge on the node that holds an agent, with the agent in its tooltip, and
//! the badge follow the agent to the next node. Skips where `/usr/bin/chromium` is not
//! installed, unless `VNET_REQUIRE_CHROMIUM` is set (as `.ci/run` sets it).

#[path = "common/chrome.rs"]
mod chrome;

use chrome::*;

/// Two walkers placed on `a` go to `b` after 5 ms and stay there 5 ms.
const NET: &str = r#"{
  "node_defaults": {"platform": true},
  "nodes": [{"name": "a", "pos": [0, 0]}, {"name": "b", "pos": [1, 0]}],
  "links": [{"a": "a.b", "b": "b.a", "latency": "1ms"}],
  "agents": [{"at": "a", "lang": "js", "class": "walker", "count": 2,
    "code": "return { start: 'go', act: { async go() { await sleep(5); moveto('b'); }, async stay() { await sleep(5); } }, trans: { go: 'stay' } };"}]
}"#;

const BADGE_A: &str = "document.querySelector(\"#world g.agents[data-node='a']\")";
const BADGE_B: &str = "document.querySelector(\"#world g.agents[data-node='b']\")";

#[tokio::test(flavor = "multi_thread")]
async fn a_person_sees_agents_on_their_nodes() {
    let Some((browser, events, studio, _)) =
        setup_with("studio-browser-agents", "127.0.0.1:0", NET).await
    else {
        return;
    };
    let page = browser.new_page(studio.url.as_str()).await.unwrap();
    wait_for(
        &page,
        "document.querySelectorAll('#world g.node').length === 2",
    )
    .await;
    // One step starts a's platform, which starts both walkers.
    click(&page, "#step").await;
    wait_for(
        &page,
        &format!("{BADGE_A} && {BADGE_A}.dataset.count === '2'"),
    )
    .await;
    let badge: String = eval(&page, &format!("{BADGE_A}.textContent")).await;
    assert!(badge.starts_with('2'), "{badge}");
    assert!(
        badge.contains("agent a.1 (walker)") && badge.contains("agent a.2 (walker)"),
        "{badge}"
    );
    // Step on until both are on b: the badge moved.
    for _ in 0..40 {
        if eval::<bool>(
            &page,
            &format!("!!{BADGE_B} && {BADGE_B}.dataset.count === '2'"),
        )
        .await
        {
            break;
        }
        click(&page, "#step").await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    wait_for(
        &page,
        &format!("!!{BADGE_B} && {BADGE_B}.dataset.count === '2' && !{BADGE_A}"),
    )
    .await;
    if std::env::var_os("VNET_WRITE_SCREENSHOTS").is_some() {
        use chromiumoxide::page::ScreenshotParams;
        let png = page
            .screenshot(ScreenshotParams::builder().build())
            .await
            .unwrap();
        std::fs::write(std::env::temp_dir().join("studio-agents.png"), png).unwrap();
    }
    finish(browser, &page, events).await;
}
