//! How long Debian's headless `chromium` takes to show a network in the studio: from the
//! page's navigation to the world drawn (every node and link), three times on fresh pages;
//! then how long the page takes to run it to the end as fast as possible, drawing as it goes.
//!
//! `cargo run --release -p vnet-studio --example first_render -- FILE.json [PATH=VALUE…]`
//! (the `PATH=VALUE`s are `vnet run --set`s, e.g. `topology.rows=32 topology.cols=32`).

use std::path::Path;
use std::time::{Duration, Instant};

use chromiumoxide::browser::{Browser, BrowserConfig};
use futures_util::StreamExt;
use vnet_sim::netfile::{NetworkFile, Override};
use vnet_studio::{StudioConfig, start};

const CHROMIUM: &str = "/usr/bin/chromium";

fn fail(what: impl std::fmt::Display) -> ! {
    eprintln!("first_render: {what}");
    std::process::exit(2);
}

async fn wait_for(page: &chromiumoxide::Page, js: &str, limit: Duration) {
    let t = Instant::now();
    while t.elapsed() < limit {
        let ok = page
            .evaluate(js)
            .await
            .ok()
            .and_then(|r| r.into_value::<bool>().ok())
            .unwrap_or(false);
        if ok {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    fail(format!("waited {limit:?} for `{js}`"));
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .unwrap_or_else(|| fail("usage: first_render FILE.json [PATH=VALUE…]"));
    let sets: Vec<Override> = args
        .map(|a| a.parse().unwrap_or_else(|e| fail(e)))
        .collect();
    let file = Path::new(&file);
    let net = NetworkFile::load_with(file, &sets).unwrap_or_else(|e| fail(e));
    // The expanded network beside copies of its program files, in a folder of its own.
    let dir = std::env::temp_dir().join(format!("vnet-first-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| fail(e));
    let base = file.parent().unwrap_or(Path::new("."));
    for n in &net.nodes {
        for w in &n.workers {
            if let Some(p) = &w.path {
                std::fs::copy(base.join(p), dir.join(p))
                    .unwrap_or_else(|e| fail(format!("{p}: {e}")));
            }
        }
    }
    let path = dir.join("network.json");
    net.save(&path).unwrap_or_else(|e| fail(e));
    let (nodes, links) = (net.nodes.len(), net.links.len());

    let studio = start(StudioConfig {
        file: Some(path),
        listen: "127.0.0.1:0".parse().expect("an address"),
        seed: None,
    })
    .await
    .unwrap_or_else(|e| fail(e));
    let config = BrowserConfig::builder()
        .chrome_executable(CHROMIUM)
        .no_sandbox()
        .new_headless_mode()
        .window_size(1400, 900)
        .viewport(None)
        .user_data_dir(dir.join("profile"))
        .args([
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
        ])
        .build()
        .unwrap_or_else(|e| fail(e));
    let (mut browser, mut handler) = Browser::launch(config).await.unwrap_or_else(|e| fail(e));
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });

    let drawn = format!("window.studioDrawn && window.studioDrawn.nodes === {nodes}");
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let page = browser
            .new_page(studio.url.as_str())
            .await
            .unwrap_or_else(|e| fail(e));
        wait_for(&page, &drawn, Duration::from_secs(60)).await;
        let ms: f64 = page
            .evaluate("window.studioDrawn.at")
            .await
            .ok()
            .and_then(|r| r.into_value().ok())
            .unwrap_or(f64::NAN);
        times.push(ms);
        if let Some(p) = last.replace(page) {
            let _ = p.close().await;
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "first render of {nodes} nodes and {links} links: {} ms (median {:.0} ms), from navigation start to the world drawn",
        times
            .iter()
            .map(|t| format!("{t:.0}"))
            .collect::<Vec<_>>()
            .join(", "),
        times[1]
    );
    if let Some(page) = last {
        let t = Instant::now();
        let _ = page
            .evaluate("document.getElementById('run').click()")
            .await;
        wait_for(
            &page,
            "document.getElementById('status').textContent.startsWith('done')",
            Duration::from_secs(600),
        )
        .await;
        let status: String = page
            .evaluate("document.getElementById('status').textContent")
            .await
            .ok()
            .and_then(|r| r.into_value().ok())
            .unwrap_or_default();
        println!(
            "run to the end in the page: {:.2} s — {status}",
            t.elapsed().as_secs_f64()
        );
    }
    let _ = browser.close().await;
    let _ = browser.wait().await;
    events.abort();
    let _ = std::fs::remove_dir_all(&dir);
}
