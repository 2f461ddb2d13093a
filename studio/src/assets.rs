//! The page, its modules and the vendored libraries, embedded in the binary: the studio needs
//! no files beside it.

/// `(URL path, content type, body)` of every file the studio serves as is.
const ASSETS: &[(&str, &str, &str)] = &[
    ("/", HTML, include_str!("../assets/index.html")),
    ("/style.css", CSS, include_str!("../assets/style.css")),
    ("/app.js", JS, include_str!("../assets/app.js")),
    ("/state.js", JS, include_str!("../assets/state.js")),
    ("/world.js", JS, include_str!("../assets/world.js")),
    ("/side.js", JS, include_str!("../assets/side.js")),
    ("/monitor.js", JS, include_str!("../assets/monitor.js")),
    ("/chart.js", JS, include_str!("../assets/chart.js")),
    ("/plots.js", JS, include_str!("../assets/plots.js")),
    (
        "/vendor/codemirror/codemirror.js",
        JS,
        include_str!("../assets/vendor/codemirror/codemirror.js"),
    ),
    (
        "/vendor/codemirror/codemirror.css",
        CSS,
        include_str!("../assets/vendor/codemirror/codemirror.css"),
    ),
    (
        "/vendor/codemirror/lua.js",
        JS,
        include_str!("../assets/vendor/codemirror/lua.js"),
    ),
    (
        "/vendor/codemirror/javascript.js",
        JS,
        include_str!("../assets/vendor/codemirror/javascript.js"),
    ),
    (
        "/vendor/uplot/uPlot.iife.min.js",
        JS,
        include_str!("../assets/vendor/uplot/uPlot.iife.min.js"),
    ),
    (
        "/vendor/uplot/uPlot.min.css",
        CSS,
        include_str!("../assets/vendor/uplot/uPlot.min.css"),
    ),
    (
        "/vendor/LICENSES.txt",
        TEXT,
        concat!(
            "CodeMirror 5.65.20\n\n",
            include_str!("../assets/vendor/codemirror/LICENSE"),
            "\n\nuPlot 1.6.32\n\n",
            include_str!("../assets/vendor/uplot/LICENSE")
        ),
    ),
];

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// The content type and body served at `path`, if any.
pub(crate) fn asset(path: &str) -> Option<(&'static str, &'static str)> {
    let path = if path == "/index.html" { "/" } else { path };
    ASSETS
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, kind, body)| (*kind, *body))
}
