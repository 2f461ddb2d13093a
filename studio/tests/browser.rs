//! The studio in a real browser: Debian's `chromium`, headless, driven over the DevTools
//! protocol (chromiumoxide). It opens a small Lua network, runs it, sees a worker's output in
//! the monitor, evaluates `now()` in a shell, saves, and checks the saved file. Runs where
//! `/usr/bin/chromium` is installed; `.ci/run` installs it and sets `VNET_REQUIRE_CHROMIUM`, so
//! CI cannot skip it. With `VNET_WRITE_SCREENSHOTS=1` it writes `docs/studio-*.png`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::page::ScreenshotParams;
use futures_util::StreamExt;
use vnet_sim::netfile::NetworkFile;
use vnet_studio::{StudioConfig, start};

const CHROMIUM: &str = "/usr/bin/chromium";

const NET: &str = r#"{
  "topology": {"kind": "grid", "rows": 3, "cols": 3},
  "link_defaults": {"latency": "1ms", "bandwidth": "1Mbps"},
  "node_defaults": {"workers": [{"lang": "lua", "code": "local me = node()\nfor _, p in ipairs(me.ports) do send(p, me.name) end\nfor _ = 1, #me.ports do local _, v = recv(); print('heard ' .. v) end\nrecv()"}]}
}"#;

/// Polls `js` (an expression) in the page until it is true, for at most 15 s.
async fn wait_for(page: &chromiumoxide::Page, js: &str) {
    for _ in 0..150 {
        let ok = page
            .evaluate(js)
            .await
            .ok()
            .and_then(|r| r.into_value::<bool>().ok())
            .unwrap_or(false);
        if ok {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = page
        .evaluate("document.getElementById('status').textContent")
        .await
        .ok()
        .and_then(|r| r.into_value::<String>().ok());
    panic!("waited 15 s for `{js}`; status: {status:?}");
}

async fn text_of(page: &chromiumoxide::Page, selector: &str) -> String {
    page.find_element(selector)
        .await
        .unwrap()
        .inner_text()
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_runs_a_network_reads_a_monitor_evaluates_in_a_shell_and_saves() {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("VNET_REQUIRE_CHROMIUM").is_none(),
            "{CHROMIUM} is required here"
        );
        eprintln!("{CHROMIUM} not installed: the browser test did not run");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("studio-browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("grid.json");
    std::fs::write(&path, NET).unwrap();
    let studio = start(StudioConfig {
        file: Some(path.clone()),
        listen: "127.0.0.1:0".parse().unwrap(),
        seed: None,
    })
    .await
    .unwrap();

    let config = BrowserConfig::builder()
        .chrome_executable(CHROMIUM)
        .no_sandbox()
        .new_headless_mode()
        .window_size(1280, 800)
        .viewport(None)
        .user_data_dir(dir.join("profile"))
        .args([
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .build()
        .unwrap();
    let (mut browser, mut handler) = Browser::launch(config).await.unwrap();
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
    let page = browser.new_page(studio.url.as_str()).await.unwrap();

    // The world: 9 nodes and 12 links drawn.
    wait_for(
        &page,
        "document.querySelectorAll('#world g.node').length === 9",
    )
    .await;
    assert_eq!(
        page.evaluate("document.querySelectorAll('#world line').length")
            .await
            .unwrap()
            .into_value::<u64>()
            .unwrap(),
        12
    );
    // Run: every node hears each neighbour; the monitor shows it and the run ends.
    page.find_element("#run")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        &page,
        "document.getElementById('status').textContent.startsWith('done')",
    )
    .await;
    let monitor = text_of(&page, "#monitor").await;
    assert_eq!(monitor.matches("heard ").count(), 24, "{monitor}");
    assert!(monitor.contains("n4/w0 heard n1"), "{monitor}");
    let world_shot = page
        .screenshot(ScreenshotParams::builder().build())
        .await
        .unwrap();

    // Select n4 (click it in the world), then evaluate now() in its shell.
    page.find_element("#world g.node[data-name='n4'] circle")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        &page,
        "document.getElementById('node-title').textContent === 'node n4'",
    )
    .await;
    let input = page.find_element("#shell-input").await.unwrap();
    input.click().await.unwrap();
    input.type_str("now()").await.unwrap();
    input.press_key("Enter").await.unwrap();
    wait_for(
        &page,
        "document.getElementById('monitor').textContent.includes('> now()')",
    )
    .await;
    let monitor = text_of(&page, "#monitor").await;
    // The run ended when the last name arrived: 1 ms + 4 bytes ("n1") at 1 Mb/s = 1.032 ms.
    assert!(monitor.contains("= 1.032"), "{monitor}");
    assert!(
        !monitor.contains("n1/w0"),
        "only n4's lines when n4 is selected: {monitor}"
    );
    let monitor_shot = page
        .screenshot(ScreenshotParams::builder().build())
        .await
        .unwrap();

    // Save writes the file back; it is the network the studio opened.
    page.find_element("#save")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        &page,
        "document.getElementById('status').textContent.startsWith('saved')",
    )
    .await;
    let saved = NetworkFile::load(&path).unwrap();
    assert_eq!(saved, NetworkFile::from_json(NET).unwrap());

    if std::env::var_os("VNET_WRITE_SCREENSHOTS").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
        std::fs::write(docs.join("studio-world.png"), &world_shot).unwrap();
        std::fs::write(docs.join("studio-monitor.png"), &monitor_shot).unwrap();
    }
    assert!(world_shot.starts_with(b"\x89PNG"));
    browser.close().await.unwrap();
    let _ = browser.wait().await;
    events.abort();
}
