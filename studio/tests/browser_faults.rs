//! Faults from the studio's page in a real browser (Debian's `chromium`): a person crashes a
//! running node from its side pane and sees it drawn down, restarts it, cuts a link and sees
//! it drawn cut, and heals it. Skips where `/usr/bin/chromium` is not installed, unless
//! `VNET_REQUIRE_CHROMIUM` is set (as `.ci/run` sets it).

#[path = "common/chrome.rs"]
mod chrome;

use chrome::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_person_crashes_restarts_cuts_and_heals_from_the_page() {
    let Some((browser, events, studio, _)) = setup("studio-browser-faults", "127.0.0.1:0").await
    else {
        return;
    };
    let page = open_grid(&browser, studio.url.as_str()).await;
    click(&page, "#run").await;
    wait_for(
        &page,
        "document.getElementById('monitor').textContent.includes('heard')",
    )
    .await;

    // Crash n4 from its side pane: drawn down, its worker crashed, the button now restarts.
    select_node(&page, "n4").await;
    assert_eq!(text_of(&page, "#p-fault").await, "crash");
    click(&page, "#p-fault").await;
    wait_for(
        &page,
        "document.querySelector(\"#world g.node[data-name='n4']\").classList.contains('down')",
    )
    .await;
    wait_for(
        &page,
        "document.getElementById('p-fault').textContent === 'restart' && document.getElementById('node-info').textContent.includes('DOWN')",
    )
    .await;
    // Restarted, it is down until its boot event runs: run on, and it is up again, its
    // worker fresh (it says what it hears once more).
    click(&page, "#p-fault").await;
    wait_for(
        &page,
        "document.getElementById('p-fault').textContent === 'restart' && document.getElementById('status').textContent.includes('restart')",
    )
    .await;
    click(&page, "#run").await;
    wait_for(
        &page,
        "!document.querySelector(\"#world g.node[data-name='n4']\").classList.contains('down')",
    )
    .await;

    // Cut the first link from its side pane, then heal.
    click(&page, "#world line.link-hit").await;
    wait_for(&page, "!!document.getElementById('l-fault')").await;
    assert_eq!(text_of(&page, "#l-fault").await, "cut");
    click(&page, "#l-fault").await;
    wait_for(
        &page,
        "document.querySelectorAll('#world .link.cut').length === 1",
    )
    .await;
    wait_for(
        &page,
        "document.getElementById('l-fault').textContent === 'heal all cuts'",
    )
    .await;
    click(&page, "#l-fault").await;
    wait_for(
        &page,
        "document.querySelectorAll('#world .link.cut').length === 0",
    )
    .await;
    click(&page, "#pause").await;
    finish(browser, &page, events).await;
}
