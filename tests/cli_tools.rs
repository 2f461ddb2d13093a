//! `vnet new`, `vnet draw` and `vnet sweep` from outside, as a user runs them.

use std::path::PathBuf;

mod common;

use common::{ok, vnet};

fn folder(name: &str) -> PathBuf {
    common::folder("tools", name)
}

#[test]
fn new_writes_a_folder_that_runs_as_it_is_in_lua_and_js() {
    let dir = folder("new");
    ok(&vnet(&["new", "lua4", "--topology", "grid:4x4"], &dir));
    ok(&vnet(
        &["new", "js4", "--topology", "grid:4x4", "--lang", "js"],
        &dir,
    ));
    for name in ["lua4", "js4"] {
        let out = ok(&vnet(&["run", &format!("{name}/{name}.json")], &dir));
        // Every node but n0 heard the greeting once.
        assert_eq!(
            out.lines().filter(|l| l.contains("heard 'hello'")).count(),
            15
        );
        assert!(dir.join(name).join("netfile.schema.json").exists());
    }
    // The run section put records beside the file; Lua and JS agree to the bit.
    let lua = std::fs::read_to_string(dir.join("lua4/records.csv")).unwrap();
    let js = std::fs::read_to_string(dir.join("js4/records.csv")).unwrap();
    assert_eq!(lua, js);
    // Hops are grid distances from n0 (the flood's first copy comes the shortest way).
    for line in lua.lines().filter(|l| l.contains(",hops,")) {
        let f: Vec<&str> = line.split(',').collect();
        let i: usize = f[1][1..].parse().unwrap();
        assert_eq!(f[4], ((i / 4) + (i % 4)).to_string(), "{line}");
    }
    // Never over what is there; a bad shape is bad input.
    assert_eq!(vnet(&["new", "lua4"], &dir).status.code(), Some(2));
    let o = vnet(&["new", "x", "--topology", "blob:3"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown topology `blob`"));
    ok(&vnet(&["check", "lua4/lua4.json"], &dir));
}

#[test]
fn draw_writes_png_and_svg_pictures() {
    let dir = folder("draw");
    ok(&vnet(&["new", "ring", "--topology", "ring:5"], &dir));
    ok(&vnet(&["draw", "ring/ring.json", "-o", "ring.png"], &dir));
    let png = std::fs::read(dir.join("ring.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // A star has no positions: it is laid out; names are drawn as text in the SVG.
    ok(&vnet(&["new", "star", "--topology", "star:6"], &dir));
    ok(&vnet(
        &["draw", "star/star.json", "-o", "star.svg", "--size", "400"],
        &dir,
    ));
    let svg = std::fs::read_to_string(dir.join("star.svg")).unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("\nn5\n</text>"),
        "{svg}"
    );
    assert_eq!(
        svg.matches("<circle").count(),
        12,
        "a fill and an outline a node"
    );
    assert_eq!(
        vnet(&["draw", "star/star.json", "-o", "star.gif"], &dir)
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn sweep_runs_every_point_the_same_for_any_thread_count() {
    let dir = folder("sweep");
    ok(&vnet(&["new", "g", "--topology", "grid:3x3"], &dir));
    let sweep = |threads: &str, out: &str| {
        ok(&vnet(
            &[
                "sweep",
                "g/g.json",
                "--set",
                "link_defaults.loss=0,0.5",
                "--set",
                "node_defaults.params.greeting=hi",
                "--replications",
                "6",
                "--threads",
                threads,
                "--out",
                out,
                "--quiet",
            ],
            &dir,
        ))
    };
    let printed = sweep("1", "one");
    sweep("2", "two");
    for f in ["runs.csv", "summary.csv"] {
        let a = std::fs::read(dir.join("one").join(f)).unwrap();
        let b = std::fs::read(dir.join("two").join(f)).unwrap();
        assert!(a == b, "{f} differs with the thread count");
    }
    let runs = std::fs::read_to_string(dir.join("one/runs.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(runs.as_bytes());
    let header = rows.headers().unwrap().clone();
    assert_eq!(&header[0], "link_defaults.loss");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 12);
    // Replication r has the same seed at both points.
    assert_eq!(rows[0][col("seed")], rows[6][col("seed")]);
    assert_ne!(rows[0][col("seed")], rows[1][col("seed")]);
    for r in &rows[..6] {
        // Without loss, n0 sends on its 2 ports and every other node on all but the one it
        // heard on: 2 + 3·1 + 4·2 + 1·3 = 16 messages.
        assert_eq!(&r[col("messages_sent")], "16");
        assert_eq!(&r[col("dropped_loss")], "0");
        assert_eq!(&r[col("n8.hops")], "4");
    }
    assert!(rows[6..].iter().any(|r| &r[col("dropped_loss")] != "0"));
    let summary = std::fs::read_to_string(dir.join("one/summary.csv")).unwrap();
    assert!(
        summary.starts_with("link_defaults.loss,metric,n,mean,sd,ci95,ci_low,ci_high,min,max\n")
    );
    assert!(
        summary.contains("\n0,messages_sent,6,16,0,0,16,16,16,16\n"),
        "{summary}"
    );
    assert!(printed.contains("[link_defaults.loss=0.5]"), "{printed}");
    // A value that does not load fails before any run.
    let o = vnet(
        &["sweep", "g/g.json", "--set", "link_defaults.loss=0,7"],
        &dir,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`loss` must be within [0, 1]"));
}
