//! Finding hot spots in a sensor field: mobile explorer agents against flooding, on the
//! network files of `examples/networks/agents/` (a 6×6 grid, 5 ms 1 Mb/s links, a `heat`
//! sensor on every node reading 20 ± 1, the sink at n0).
//!
//! Each replication heats `hot` nodes (drawn from the seed, never the sink) to 40 from the
//! start. **Explorers** (`explore.json` / `explore-js.json`): `count` agents leave the sink
//! and walk 60 random steps each, marking the way home in tuple spaces; where one reads over
//! 30 it clones a carrier that follows the marks to the sink. **Flooding** (`flood.json`):
//! every node samples every 200 ms and floods its first hot reading. Measured from outside —
//! the links' counters and the sink's `detected` records: how many hot spots the sink learns
//! of, after how long, and at what cost in messages and bytes.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};
use vnet_sim::netfile::{NetworkFile, ProgramRegistry};
use vnet_sim::rng::{StreamKind, derive_seed};
use vnet_sim::vm::VmConfig;

/// How the sink learns of hot spots.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SurveyMethod {
    /// Explorer agents.
    Explorers {
        /// How many start at the sink.
        count: u32,
        /// JavaScript (`explore-js.json`) instead of Lua.
        js: bool,
    },
    /// Every node floods its first hot reading.
    Flooding,
}

/// What one run showed.
#[derive(Clone, Debug, PartialEq)]
pub struct SurveyReport {
    /// Hot spots the sink learnt of.
    pub detected: usize,
    /// Hot spots there were.
    pub hot: usize,
    /// Mean time from the start until the sink learnt of a hot spot, over those it did (ms;
    /// NaN if none).
    pub detection_ms: f64,
    /// Messages put on links (agents moving, or reports flooded).
    pub messages: u64,
    /// Bytes put on links.
    pub bytes: u64,
    /// Agent moves (0 for flooding).
    pub moves: u64,
}

/// The hot nodes of replication `seed`: `hot` distinct nodes of the 36, never n0.
pub fn hot_nodes(seed: u64, hot: usize) -> Vec<String> {
    let mut chosen = BTreeSet::new();
    let mut i = 0;
    while chosen.len() < hot.min(35) {
        chosen.insert(1 + derive_seed(seed, StreamKind::User, i) % 35);
        i += 1;
    }
    chosen.into_iter().map(|n| format!("n{n}")).collect()
}

/// Runs `method` with `hot` hot spots drawn from `seed`, the files taken from `dir`.
pub fn agent_survey(
    dir: &Path,
    method: SurveyMethod,
    hot: usize,
    seed: u64,
) -> Result<SurveyReport, String> {
    let file = match method {
        SurveyMethod::Explorers { js: false, .. } => "explore.json",
        SurveyMethod::Explorers { js: true, .. } => "explore-js.json",
        SurveyMethod::Flooding => "flood.json",
    };
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut root: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let hot_names = hot_nodes(seed, hot);
    let heat = root["nodes"][0]["sensors"].clone();
    if !heat.is_array() {
        return Err(format!(
            "{}: its first node must list the hot sensor",
            path.display()
        ));
    }
    root["nodes"] = Value::Array(
        hot_names
            .iter()
            .map(|n| json!({ "name": n, "sensors": heat }))
            .collect(),
    );
    if let SurveyMethod::Explorers { count, .. } = method {
        root["agents"][0]["count"] = json!(count);
    }
    let f = NetworkFile::from_value(root).map_err(|e| format!("{}: {e}", path.display()))?;
    let until = f.run.until.ok_or("the file needs a `run.until`")?;
    let mut sim = f
        .instantiate_at(
            &ProgramRegistry::new(),
            Some(seed),
            dir,
            &VmConfig::default(),
        )
        .map_err(|e| e.to_string())?;
    sim.run_until(vnet_sim::SimTime::ZERO + until);
    let failures: Vec<&str> = sim
        .results()
        .logs()
        .iter()
        .filter(|l| l.stream == vnet_sim::LogStream::Err)
        .map(|l| l.text.as_str())
        .collect();
    if let Some(first) = failures.first() {
        return Err(format!("{file} seed {seed}: {first}"));
    }
    let (mut messages, mut bytes) = (0, 0);
    for l in sim.network().links() {
        let t = l.stats_total();
        messages += t.sent;
        bytes += t.bytes_sent;
    }
    let mut seen = BTreeSet::new();
    let mut times = Vec::new();
    for r in sim.results().records() {
        if r.name != "detected" {
            continue;
        }
        let origin = r.value.to_string();
        if !hot_names.contains(&origin) {
            return Err(format!(
                "{file} seed {seed}: {origin} reported, but it is not hot"
            ));
        }
        if seen.insert(origin) {
            times.push(r.time.as_nanos() as f64 / 1e6);
        }
    }
    let detection_ms = if times.is_empty() {
        f64::NAN
    } else {
        times.iter().sum::<f64>() / times.len() as f64
    };
    Ok(SurveyReport {
        detected: seen.len(),
        hot: hot_names.len(),
        detection_ms,
        messages,
        bytes,
        moves: sim.agent_counts().departed,
    })
}
