//! The studio in a real browser: Debian's `chromium`, headless, driven over the DevTools
//! protocol (chromiumoxide) with real mouse and keyboard events. It opens a small Lua network,
//! runs it, sees a worker's output in its monitor, clicks a message in the sequence chart,
//! evaluates `now()` in a shell, edits and restarts a worker in its code editor, adds a node
//! and draws a link with the mouse, drags a node, edits a link, saves, and checks the saved
//! file; makes a node external (a running `vnet-node`) from its side pane and runs it; and
//! opens a studio off loopback from its tokened URL. Runs where `/usr/bin/chromium` is
//! installed; `.ci/run` installs it and sets `VNET_REQUIRE_CHROMIUM`, so CI cannot skip it.
//! With `VNET_WRITE_SCREENSHOTS=1` it writes `docs/studio-*.png`.

use std::path::Path;

use chromiumoxide::layout::Point;
use chromiumoxide::page::ScreenshotParams;
use vnet_sim::netfile::NetworkFile;

#[path = "common/chrome.rs"]
mod chrome;

use chrome::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_person_runs_edits_and_saves_a_network_in_the_studio() {
    let Some((browser, events, studio, path)) = setup("studio-browser", "127.0.0.1:0").await else {
        return;
    };
    let page = browser.new_page(studio.url.as_str()).await.unwrap();
    let shots = std::env::var_os("VNET_WRITE_SCREENSHOTS").is_some();
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let shot = |name: &'static str| {
        let (page, docs) = (page.clone(), docs.clone());
        async move {
            let png = page
                .screenshot(ScreenshotParams::builder().build())
                .await
                .unwrap();
            assert!(png.starts_with(b"\x89PNG"));
            if shots {
                std::fs::write(docs.join(name), &png).unwrap();
            }
        }
    };

    // The world: 9 nodes and 12 links drawn.
    wait_for(
        &page,
        "document.querySelectorAll('#world g.node').length === 9",
    )
    .await;
    assert_eq!(
        eval::<u64>(
            &page,
            "document.querySelectorAll('#world line.link').length"
        )
        .await,
        12
    );
    // Run: every node hears each neighbour; the monitor shows it and the run ends.
    click(&page, "#run").await;
    wait_for(
        &page,
        "document.getElementById('status').textContent.startsWith('done')",
    )
    .await;
    let monitor = text_of(&page, "#monitor").await;
    assert_eq!(monitor.matches("heard ").count(), 24, "{monitor}");
    assert!(monitor.contains("n4/w0 heard n1"), "{monitor}");
    // The sequence chart has an arrow per message, the plots a plot of `heard`.
    wait_for(&page, "window.studioChartArrows().length === 24").await;
    wait_for(
        &page,
        "document.querySelectorAll('#plots .uplot').length === 1",
    )
    .await;
    assert!(text_of(&page, "#plots").await.contains("heard (all nodes)"));
    shot("studio-world.png").await;

    // Click an arrow: the message's value and times, and the monitor moves to that moment.
    let arrow: serde_json::Value = eval(
        &page,
        "window.studioChartArrows().find((a) => a.src === 'n1' && a.dst === 'n4')",
    )
    .await;
    // A quarter of the way along: its middle is where n4 → n1 crosses it.
    let end = |k: &str| arrow[k].as_f64().unwrap();
    let at = Point {
        x: end("x1") + (end("x2") - end("x1")) * 0.25,
        y: end("y1") + (end("y2") - end("y1")) * 0.25,
    };
    page.click(at).await.unwrap();
    wait_for(&page, "!document.getElementById('msg-detail').hidden").await;
    let detail = text_of(&page, "#msg-detail").await;
    assert!(detail.contains("n1 → n4"), "{detail}");
    assert!(detail.contains("sent      0.000 ms"), "{detail}");
    assert!(detail.contains("delivered 1.032 ms"), "{detail}");
    assert!(detail.contains(r#"value     "n1""#), "{detail}");
    wait_for(&page, "document.querySelector('#monitor .mark') !== null").await;
    shot("studio-chart.png").await;

    // Select n4 (click it in the world): its editor shows its code; evaluate now() in its shell.
    select_node(&page, "n4").await;
    wait_for(
        &page,
        "document.querySelector('#editor .CodeMirror').textContent.includes('local me = node()')",
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

    // Edit the code (type at the start of the first line) and restart the worker.
    click(&page, "#editor .CodeMirror-line").await;
    let editor = page.find_element("#editor textarea").await.unwrap();
    editor.press_key("Home").await.unwrap();
    editor
        .type_str("print('edited at ' .. now()) ")
        .await
        .unwrap();
    click(&page, "#w-restart").await;
    wait_for(
        &page,
        "document.getElementById('monitor').textContent.includes('n4/w0 edited at 1.032')",
    )
    .await;
    shot("studio-monitor.png").await;

    // Add a node like n4 (the selected one) in an empty spot, then link it to n8 by dragging.
    let world: [f64; 4] = eval(
        &page,
        "(() => { const r = document.getElementById('world').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()",
    )
    .await;
    let n8 = center(&page, "#world g.node[data-name='n8'] circle").await;
    click(&page, "#mode-node").await;
    let spot = Point {
        x: (n8.x + world[0] + world[2]) / 2.0,
        y: n8.y,
    };
    page.click(spot).await.unwrap();
    wait_for(
        &page,
        "document.querySelectorAll('#world g.node').length === 10",
    )
    .await;
    click(&page, "#mode-link").await;
    // The new node widened the drawing: everything moved.
    let n8 = center(&page, "#world g.node[data-name='n8'] circle").await;
    let n9 = center(&page, "#world g.node[data-name='n9'] circle").await;
    drag(&page, n9, n8).await;
    wait_for(
        &page,
        "document.querySelectorAll('#world line.link').length === 13",
    )
    .await;
    // Drag n9 down a little (select mode), then pick the new link and make it slower.
    click(&page, "#mode-select").await;
    let n9 = center(&page, "#world g.node[data-name='n9'] circle").await;
    let lower = Point {
        x: n9.x,
        y: n9.y + 40.0,
    };
    drag(&page, n9, lower).await;
    wait_for(&page, "(() => { const c = document.querySelector(\"#world g.node[data-name='n9'] circle\").getBoundingClientRect(); return c.top > 0; })()").await;
    let mid = {
        let a = center(&page, "#world g.node[data-name='n9'] circle").await;
        let b = center(&page, "#world g.node[data-name='n8'] circle").await;
        Point {
            x: (a.x + b.x) / 2.0,
            y: (a.y + b.y) / 2.0,
        }
    };
    page.click(mid).await.unwrap();
    wait_for(
        &page,
        "document.getElementById('node-title').textContent.startsWith('link n9.n8')",
    )
    .await;
    assert!(
        text_of(&page, "#node-info")
            .await
            .starts_with("0 messages sent, 0 dropped")
    );
    let latency = page.find_element("#l-latency").await.unwrap();
    latency.click().await.unwrap();
    eval::<bool>(
        &page,
        "(document.getElementById('l-latency').value = '', true)",
    )
    .await;
    latency.type_str("5ms").await.unwrap();
    click(&page, "#l-apply").await;
    wait_for(&page, "(() => { const l = document.getElementById('l-latency'); return l && l.value === '5ms'; })()").await;

    // Save writes the file back: what the studio saves, `vnet run` runs.
    click(&page, "#save").await;
    wait_for(
        &page,
        "document.getElementById('status').textContent.startsWith('saved')",
    )
    .await;
    let saved = NetworkFile::load(&path).unwrap();
    assert_eq!(saved.nodes.len(), 10);
    assert_eq!(saved.links.len(), 13);
    let n9 = &saved.nodes[9];
    assert_eq!(n9.name, "n9");
    assert!(
        n9.workers[0]
            .code
            .as_deref()
            .unwrap()
            .starts_with("print('edited at ' .. now()) local me")
    );
    assert!(
        n9.pos.unwrap()[1] > saved.nodes[8].pos.unwrap()[1],
        "dragged down: {:?}",
        n9.pos
    );
    let link = saved.links.last().unwrap();
    assert_eq!((link.a.as_str(), link.b.as_str()), ("n9.n8", "n8.n9"));
    assert_eq!(link.latency, vnet_sim::SimDuration::from_millis(5));
    let mut sim = saved
        .instantiate(&vnet_sim::netfile::ProgramRegistry::with_devices(), None)
        .unwrap();
    sim.run();
    let lines: Vec<String> = sim
        .results()
        .logs()
        .iter()
        .map(|l| l.text.clone())
        .collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("edited at 0"))
            .count(),
        2,
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l == "heard n9"), "{lines:?}");

    finish(browser, &page, events).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn off_loopback_the_page_works_from_its_tokened_url() {
    let Some((browser, events, studio, _)) = setup("studio-browser-token", "0.0.0.0:0").await
    else {
        return;
    };
    // The printed URL, visited on the loopback address.
    let url = studio.url.replace("0.0.0.0", "127.0.0.1");
    assert!(url.contains("?token="), "{url}");
    let page = browser.new_page(url.as_str()).await.unwrap();
    // Scripts, editor, plots and the WebSocket all load with the cookie the page set.
    wait_for(
        &page,
        "document.querySelectorAll('#world g.node').length === 9",
    )
    .await;
    click(&page, "#run").await;
    wait_for(
        &page,
        "document.getElementById('status').textContent.startsWith('done')",
    )
    .await;
    assert!(
        eval::<bool>(
            &page,
            "typeof window.CodeMirror === 'function' && typeof window.uPlot === 'function'"
        )
        .await
    );
    finish(browser, &page, events).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_makes_a_node_external_and_runs_it_on_its_p_node() {
    let bin = tokio::task::spawn_blocking(vnet_hw::launch::vnet_node_binary)
        .await
        .unwrap()
        .unwrap();
    let nodes = vnet_hw::launch::NodeProcesses::start(&bin, &["p".to_owned()], &[]).unwrap();
    let url = nodes.started()[0].url.clone();
    let Some((browser, events, studio, path)) = setup("studio-browser-pnode", "127.0.0.1:0").await
    else {
        return;
    };
    let page = open_grid(&browser, studio.url.as_str()).await;
    // Select n8, give it the P-node's URL, apply: it is drawn as external, the run is 1×.
    select_node(&page, "n8").await;
    let field = page.find_element("#p-url").await.unwrap();
    field.click().await.unwrap();
    field.type_str(&url).await.unwrap();
    click(&page, "#p-apply").await;
    wait_for(
        &page,
        "document.querySelector(\"#world g.node[data-name='n8']\").classList.contains('external')",
    )
    .await;
    assert!(eval::<bool>(&page, "document.getElementById('speed').disabled && document.getElementById('speed').value === '1'").await);
    // Run: n8's worker runs on the P-node; its lines reach the monitor like any node's.
    click(&page, "#run").await;
    wait_for(
        &page,
        "document.getElementById('monitor').textContent.includes('n8/w0 heard n5')",
    )
    .await;
    // Select nothing (click an empty corner of the world): every node's lines. The P-node's
    // worker says its own node's name (`vnet-node --name p`).
    let corner: [f64; 2] = eval(
        &page,
        "(() => { const r = document.getElementById('world').getBoundingClientRect(); return [r.left + 5, r.top + 5]; })()",
    )
    .await;
    page.click(Point {
        x: corner[0],
        y: corner[1],
    })
    .await
    .unwrap();
    wait_for(
        &page,
        "document.getElementById('node-title').textContent === 'all nodes'",
    )
    .await;
    wait_for(
        &page,
        "document.getElementById('monitor').textContent.includes('n5/w0 heard p')",
    )
    .await;
    click(&page, "#pause").await;
    click(&page, "#save").await;
    wait_for(
        &page,
        "document.getElementById('status').textContent.startsWith('saved')",
    )
    .await;
    let saved = NetworkFile::load(&path).unwrap();
    assert_eq!(
        saved.nodes[8].external.as_ref().map(|e| e.url.as_str()),
        Some(url.as_str())
    );
    finish(browser, &page, events).await;
    nodes.stop();
}
