//! The files a run writes: where each goes (a flag, else the file's `run` section, else the
//! `--out` folder), opening them all before the run (a bad path costs no run), and writing
//! what is left at the end — also after Ctrl-C.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use vnet::sim::Simulation;
use vnet::sim::capture::PcapCapture;
use vnet::sim::netfile::RunSpec;
use vnet::sim::trace::{Tee, TraceFormat, TraceHash, TraceSink, WriterTrace};

use crate::BadInput;
use crate::summary::Summary;

/// Where each output goes; `None`: not written.
#[derive(Default)]
pub(crate) struct OutputPaths {
    pub trace: Option<PathBuf>,
    pub records: Option<PathBuf>,
    pub pcap: Option<PathBuf>,
    pub stats: Option<PathBuf>,
    pub summary: Option<PathBuf>,
    pub output: Option<PathBuf>,
}

/// What the command line asked for.
pub(crate) struct Requested<'a> {
    pub out: Option<&'a Path>,
    pub trace: Option<&'a Path>,
    pub records: Option<&'a Path>,
    pub pcap: Option<&'a Path>,
    pub stats: Option<&'a Path>,
}

impl OutputPaths {
    /// Whether a trace or a capture is written: then a run needs every trace record, not
    /// only the trace's hash.
    pub fn wants_records(&self) -> bool {
        self.trace.is_some() || self.pcap.is_some()
    }

    /// Flags first (a named output, then the `--out` folder's), then the file's `run` section
    /// (a named output, then its `out` folder's), paths in the file relative to `base`, the
    /// file's folder.
    pub fn resolve(flags: &Requested<'_>, run: &RunSpec, base: &Path) -> Result<Self, BadInput> {
        let from_file = |p: &Option<String>| p.as_ref().map(|p| base.join(p));
        let flag_out = flags.out.map(Path::to_path_buf);
        let file_out = from_file(&run.out);
        for dir in [&flag_out, &file_out].into_iter().flatten() {
            std::fs::create_dir_all(dir)
                .map_err(|e| BadInput(format!("--out {}: {e}", dir.display())))?;
        }
        let pick = |flag: Option<&Path>, file: &Option<String>, name: &str| {
            let in_dir = |d: &Option<PathBuf>| d.as_ref().map(|d| d.join(name));
            flag.map(Path::to_path_buf)
                .or_else(|| in_dir(&flag_out))
                .or_else(|| from_file(file))
                .or_else(|| in_dir(&file_out))
        };
        let stats = pick(flags.stats, &run.stats, "");
        if let Some(dir) = &stats {
            std::fs::create_dir_all(dir)
                .map_err(|e| BadInput(format!("--stats {}: {e}", dir.display())))?;
        }
        let none = None;
        Ok(OutputPaths {
            trace: pick(flags.trace, &run.trace, "trace.jsonl"),
            records: pick(flags.records, &run.records, "records.csv"),
            pcap: pick(flags.pcap, &run.pcap, "capture.pcap"),
            stats,
            summary: pick(None, &none, "summary.json"),
            output: pick(None, &none, "output.txt"),
        })
    }
}

/// Which of the two text formats a path asks for, by its extension.
pub(crate) fn format_of(path: &Path, what: &str) -> Result<TraceFormat, BadInput> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => Ok(TraceFormat::Csv),
        Some("jsonl") => Ok(TraceFormat::Jsonl),
        _ => Err(BadInput(format!(
            "--{what} {}: name a .csv or a .jsonl file",
            path.display()
        ))),
    }
}

pub(crate) fn create(path: &Path, what: &str) -> Result<BufWriter<File>, BadInput> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 16, f))
        .map_err(|e| BadInput(format!("--{what} {}: {e}", path.display())))
}

type Shared<T> = Rc<RefCell<T>>;

/// The open outputs of one run.
pub(crate) struct Outputs {
    paths: OutputPaths,
    hash: Shared<TraceHash>,
    trace: Option<Shared<WriterTrace<BufWriter<File>>>>,
    pcap: Option<Shared<PcapCapture<BufWriter<File>>>>,
    records: Option<(TraceFormat, BufWriter<File>)>,
    /// Worker output as printed (`--out`'s `output.txt`).
    pub output: Option<BufWriter<File>>,
}

impl Outputs {
    /// Opens every output, so a path that cannot be written fails before the run.
    pub fn open(paths: OutputPaths, sim: &Simulation) -> Result<Self, BadInput> {
        let trace = match &paths.trace {
            Some(p) => Some(Rc::new(RefCell::new(WriterTrace::new(
                create(p, "trace")?,
                format_of(p, "trace")?,
            )))),
            None => None,
        };
        let pcap = match &paths.pcap {
            Some(p) => Some(Rc::new(RefCell::new(
                PcapCapture::new(create(p, "pcap")?, sim.network())
                    .map_err(|e| BadInput(format!("--pcap {}: {e}", p.display())))?,
            ))),
            None => None,
        };
        let records = match &paths.records {
            Some(p) => Some((format_of(p, "records")?, create(p, "records")?)),
            None => None,
        };
        let output = paths
            .output
            .as_deref()
            .map(|p| create(p, "out"))
            .transpose()?;
        Ok(Outputs {
            paths,
            hash: Rc::default(),
            trace,
            pcap,
            records,
            output,
        })
    }

    /// The trace sink to give the simulation: the hash, and the trace and capture if asked.
    pub fn sink(&self) -> Box<dyn TraceSink> {
        let mut sinks: Vec<Box<dyn TraceSink>> = vec![Box::new(self.hash.clone())];
        sinks.extend(self.record_sinks());
        Box::new(Tee(sinks))
    }

    /// The trace and the capture, if asked, without the hash: for a parallel run, which
    /// hashes the trace itself ([`Self::set_trace_hash`]).
    pub fn records_sink(&self) -> Option<Box<dyn TraceSink>> {
        let sinks = self.record_sinks();
        (!sinks.is_empty()).then(|| Box::new(Tee(sinks)) as Box<dyn TraceSink>)
    }

    fn record_sinks(&self) -> Vec<Box<dyn TraceSink>> {
        let mut sinks: Vec<Box<dyn TraceSink>> = Vec::new();
        if let Some(t) = &self.trace {
            sinks.push(Box::new(t.clone()));
        }
        if let Some(p) = &self.pcap {
            sinks.push(Box::new(p.clone()));
        }
        sinks
    }

    /// The trace's hash of a run that computed it elsewhere.
    pub fn set_trace_hash(&mut self, hash: TraceHash) {
        *self.hash.borrow_mut() = hash;
    }

    pub fn trace_hash(&self) -> u64 {
        self.hash.borrow().value()
    }

    /// Writes what is written at the end, flushes everything, and names the first failure.
    /// Call after `sim.take_trace()`.
    pub fn finish(self, sim: &Simulation, summary: &Summary) -> Result<(), BadInput> {
        let fail = |what: &str, p: &Option<PathBuf>, e: String| {
            let path = p
                .as_deref()
                .map_or(String::new(), |p| p.display().to_string());
            BadInput(format!("--{what} {path}: {e}"))
        };
        if let Some(t) = self.trace {
            let t = Rc::try_unwrap(t)
                .map_err(|_| fail("trace", &self.paths.trace, "still in use".into()))?
                .into_inner();
            if let Some(e) = t.error() {
                return Err(fail("trace", &self.paths.trace, e.to_string()));
            }
            t.into_inner()
                .flush()
                .map_err(|e| fail("trace", &self.paths.trace, e.to_string()))?;
        }
        if let Some(p) = self.pcap {
            let p = Rc::try_unwrap(p)
                .map_err(|_| fail("pcap", &self.paths.pcap, "still in use".into()))?
                .into_inner();
            p.into_inner()
                .and_then(|mut w| w.flush().map_err(|e| e.to_string()))
                .map_err(|e| fail("pcap", &self.paths.pcap, e))?;
        }
        let results = sim.results();
        if let Some((format, mut w)) = self.records {
            match format {
                TraceFormat::Csv => results.write_records_csv(&mut w).map_err(|e| e.to_string()),
                TraceFormat::Jsonl => results
                    .write_records_jsonl(&mut w)
                    .map_err(|e| e.to_string()),
            }
            .and_then(|()| w.flush().map_err(|e| e.to_string()))
            .map_err(|e| fail("records", &self.paths.records, e))?;
        }
        if let Some(dir) = &self.paths.stats {
            let links = dir.join("links.csv");
            let nodes = dir.join("nodes.csv");
            let stats = Some(dir.clone());
            let mut w = create(&links, "stats")?;
            results
                .write_link_stats_csv(&mut w)
                .map_err(|e| e.to_string())
                .and_then(|()| w.flush().map_err(|e| e.to_string()))
                .map_err(|e| fail("stats", &stats, e))?;
            let mut w = create(&nodes, "stats")?;
            results
                .write_node_stats_csv(&mut w)
                .map_err(|e| e.to_string())
                .and_then(|()| w.flush().map_err(|e| e.to_string()))
                .map_err(|e| fail("stats", &stats, e))?;
        }
        if let Some(mut w) = self.output {
            w.flush()
                .map_err(|e| fail("out", &self.paths.output, e.to_string()))?;
        }
        if let Some(p) = &self.paths.summary {
            let text = serde_json::to_string_pretty(&summary.to_json()).unwrap_or_default();
            std::fs::write(p, text + "\n")
                .map_err(|e| fail("out", &self.paths.summary, e.to_string()))?;
        }
        Ok(())
    }
}
