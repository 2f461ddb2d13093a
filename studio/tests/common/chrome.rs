//! Driving the studio in Debian's `chromium`, headless, over the DevTools protocol
//! (chromiumoxide) with real mouse and keyboard events: shared by the browser tests. Where
//! `/usr/bin/chromium` is not installed they skip, unless `VNET_REQUIRE_CHROMIUM` is set (as
//! `.ci/run` sets it).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::input::{
    DispatchMouseEventParams, DispatchMouseEventType, MouseButton,
};
use chromiumoxide::layout::Point;
use futures_util::StreamExt;
use vnet_studio::{StudioConfig, start};

pub const CHROMIUM: &str = "/usr/bin/chromium";

pub const NET: &str = r#"{
  "topology": {"kind": "grid", "rows": 3, "cols": 3},
  "link_defaults": {"latency": "1ms", "bandwidth": "1Mbps"},
  "node_defaults": {"workers": [{"lang": "lua", "code": "local me = node()\nfor _, p in ipairs(me.ports) do send(p, me.name) end\nfor i = 1, #me.ports do local _, v = recv(); print('heard ' .. v); record('heard', i) end\nrecv()"}]}
}"#;

/// Polls `js` (an expression) in the page until it is true, for at most 15 s.
pub async fn wait_for(page: &chromiumoxide::Page, js: &str) {
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
    let monitor = page
        .evaluate("document.getElementById('clock').textContent + ' | ' + document.getElementById('monitor').textContent.slice(-300)")
        .await
        .ok()
        .and_then(|r| r.into_value::<String>().ok());
    panic!("waited 15 s for `{js}`; status: {status:?}; monitor: {monitor:?}");
}

pub async fn text_of(page: &chromiumoxide::Page, selector: &str) -> String {
    page.find_element(selector)
        .await
        .unwrap()
        .inner_text()
        .await
        .unwrap()
        .unwrap_or_default()
}

/// The value of `js` in the page.
pub async fn eval<T: serde::de::DeserializeOwned>(page: &chromiumoxide::Page, js: &str) -> T {
    page.evaluate(js).await.unwrap().into_value::<T>().unwrap()
}

/// The middle of the element `selector` on the page.
pub async fn center(page: &chromiumoxide::Page, selector: &str) -> Point {
    let [x, y]: [f64; 2] = eval(
        page,
        &format!(
            "(() => {{ const r = document.querySelector(\"{selector}\").getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }})()"
        ),
    )
    .await;
    Point { x, y }
}

pub async fn mouse(page: &chromiumoxide::Page, kind: DispatchMouseEventType, p: Point) {
    let mut e = DispatchMouseEventParams::builder()
        .r#type(kind.clone())
        .x(p.x)
        .y(p.y);
    if kind != DispatchMouseEventType::MouseMoved {
        e = e.button(MouseButton::Left).click_count(1);
    } else {
        e = e.button(MouseButton::Left).buttons(1);
    }
    page.execute(e.build().unwrap()).await.unwrap();
}

/// Presses the mouse at `from`, moves it in steps to `to`, and releases it there.
pub async fn drag(page: &chromiumoxide::Page, from: Point, to: Point) {
    mouse(page, DispatchMouseEventType::MouseMoved, from).await;
    mouse(page, DispatchMouseEventType::MousePressed, from).await;
    for k in 1..=5 {
        let f = f64::from(k) / 5.0;
        let p = Point {
            x: from.x + (to.x - from.x) * f,
            y: from.y + (to.y - from.y) * f,
        };
        mouse(page, DispatchMouseEventType::MouseMoved, p).await;
    }
    mouse(page, DispatchMouseEventType::MouseReleased, to).await;
}

pub async fn click(page: &chromiumoxide::Page, selector: &str) {
    page.find_element(selector)
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub async fn chromium(dir: &Path) -> Option<(Browser, tokio::task::JoinHandle<()>)> {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("VNET_REQUIRE_CHROMIUM").is_none(),
            "{CHROMIUM} is required here"
        );
        eprintln!("{CHROMIUM} not installed: the browser test did not run");
        return None;
    }
    let config = BrowserConfig::builder()
        .chrome_executable(CHROMIUM)
        .no_sandbox()
        .new_headless_mode()
        .window_size(1400, 1000)
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
    let (browser, mut handler) = Browser::launch(config).await.unwrap();
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
    Some((browser, events))
}

pub async fn status(page: &chromiumoxide::Page) -> String {
    text_of(page, "#status").await
}

/// The browser, its event loop, the studio and the network file's path.
pub type Setup = (
    Browser,
    tokio::task::JoinHandle<()>,
    vnet_studio::Running,
    PathBuf,
);

/// A fresh folder `name` holding `NET` as `grid.json`, chromium, and a studio on it listening
/// on `listen`; `None` where chromium is not installed (and not required).
pub async fn setup(name: &str, listen: &str) -> Option<Setup> {
    setup_with(name, listen, NET).await
}

/// [`setup`] with the network `net` instead of `NET`.
pub async fn setup_with(name: &str, listen: &str, net: &str) -> Option<Setup> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (browser, events) = chromium(&dir).await?;
    let path = dir.join("grid.json");
    std::fs::write(&path, net).unwrap();
    let studio = start(StudioConfig {
        file: Some(path.clone()),
        listen: listen.parse().unwrap(),
        seed: None,
    })
    .await
    .unwrap();
    Some((browser, events, studio, path))
}

/// Checks that the page threw nothing, and closes the browser.
pub async fn finish(
    mut browser: Browser,
    page: &chromiumoxide::Page,
    events: tokio::task::JoinHandle<()>,
) {
    let errors: Vec<String> = eval(page, "window.studioErrors").await;
    assert!(errors.is_empty(), "{errors:?}");
    assert!(!status(page).await.contains("page error"));
    browser.close().await.unwrap();
    let _ = browser.wait().await;
    events.abort();
}

/// Opens `url` (a studio on `NET`) in a new page and waits until its 9 nodes are drawn.
pub async fn open_grid(browser: &Browser, url: &str) -> chromiumoxide::Page {
    let page = browser.new_page(url).await.unwrap();
    wait_for(
        &page,
        "document.querySelectorAll('#world g.node').length === 9",
    )
    .await;
    page
}

/// Clicks node `name` in the world and waits until the side pane shows it.
pub async fn select_node(page: &chromiumoxide::Page, name: &str) {
    click(page, &format!("#world g.node[data-name='{name}'] circle")).await;
    wait_for(
        page,
        &format!("document.getElementById('node-title').textContent === 'node {name}'"),
    )
    .await;
}
