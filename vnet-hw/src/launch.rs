//! Starting `vnet-node` processes on free loopback ports for a hybrid run, and making sure
//! none outlives it: [`NodeProcesses`] kills them when dropped (on success, on error, on a
//! panic), and [`NodeProcesses::kill_on_ctrl_c`] on Ctrl-C.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// Finds the `vnet-node` binary of the build the running program belongs to (beside
/// `target/<profile>/examples/`), building it first with cargo when cargo is at hand (so it is
/// never stale).
pub fn vnet_node_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("locating this program: {e}"))?;
    // target/<profile>/examples/<name> or target/<profile>/deps/<name>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("{} is not in a cargo target directory", exe.display()))?;
    let bin = profile_dir.join(format!("vnet-node{}", std::env::consts::EXE_SUFFIX));
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug")
        .to_owned();
    let target_dir = profile_dir.parent().unwrap_or(profile_dir);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--quiet", "-p", "vnet-hw", "--bin", "vnet-node"])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    match profile.as_str() {
        "debug" => {}
        "release" => {
            build.arg("--release");
        }
        other => {
            build.args(["--profile", other]);
        }
    }
    match build.status() {
        Ok(s) if s.success() => {}
        Ok(s) => return Err(format!("building vnet-node failed ({s})")),
        // No cargo here: use the binary if there is one.
        Err(_) if bin.exists() => {}
        Err(e) => {
            return Err(format!(
                "no vnet-node at {} and cannot run cargo: {e}",
                bin.display()
            ));
        }
    }
    if !bin.exists() {
        return Err(format!(
            "vnet-node was built but is not at {}",
            bin.display()
        ));
    }
    Ok(bin)
}

/// A node that was started: its name and base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Started {
    /// The name given with `--name`.
    pub name: String,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

/// Running `vnet-node` processes, killed when this is dropped.
pub struct NodeProcesses {
    children: Arc<Mutex<Vec<Child>>>,
    started: Vec<Started>,
}

impl NodeProcesses {
    /// Starts one `vnet-node` per name on a free loopback port (each process picks its own and
    /// prints it), with `extra` arguments; waits until each listens. Their standard error goes
    /// to ours.
    pub fn start(
        binary: &Path,
        names: &[String],
        extra: &[String],
    ) -> Result<NodeProcesses, String> {
        Self::start_with(binary, names, extra, Stdio::inherit)
    }

    /// As [`NodeProcesses::start`], with each process's standard error set by `stderr`.
    pub fn start_with(
        binary: &Path,
        names: &[String],
        extra: &[String],
        stderr: impl Fn() -> Stdio,
    ) -> Result<NodeProcesses, String> {
        let mut nodes = NodeProcesses {
            children: Arc::new(Mutex::new(Vec::new())),
            started: Vec::new(),
        };
        for name in names {
            let mut child = Command::new(binary)
                .args(["--listen", "127.0.0.1:0", "--name", name])
                .args(extra)
                .stdout(Stdio::piped())
                .stderr(stderr())
                .spawn()
                .map_err(|e| format!("starting {}: {e}", binary.display()))?;
            let stdout = child.stdout.take();
            nodes.lock().push(child);
            let mut line = String::new();
            if let Some(out) = stdout {
                BufReader::new(out)
                    .read_line(&mut line)
                    .map_err(|e| format!("reading what vnet-node {name} said: {e}"))?;
            }
            let url = line
                .split_whitespace()
                .last()
                .filter(|u| u.starts_with("http://"))
                .ok_or_else(|| {
                    format!("vnet-node {name} did not start (said {:?})", line.trim())
                })?;
            nodes.started.push(Started {
                name: name.clone(),
                url: url.to_owned(),
            });
        }
        Ok(nodes)
    }

    /// Their process ids, in the order started.
    pub fn pids(&self) -> Vec<u32> {
        self.lock().iter().map(Child::id).collect()
    }

    /// The nodes, in the order started.
    pub fn started(&self) -> &[Started] {
        &self.started
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Child>> {
        self.children.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Kills every process on Ctrl-C, then exits with status 130. Call inside a tokio runtime.
    pub fn kill_on_ctrl_c(&self) {
        let children = self.children.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                kill_all(&mut children.lock().unwrap_or_else(|p| p.into_inner()));
                eprintln!("interrupted: stopped every vnet-node this run started");
                std::process::exit(130);
            }
        });
    }

    /// How many of the processes are still running.
    pub fn running(&self) -> usize {
        let mut children = self.lock();
        let mut n = 0;
        for c in children.iter_mut() {
            if matches!(c.try_wait(), Ok(None)) {
                n += 1;
            }
        }
        n
    }

    /// Kills every process and waits for each to go.
    pub fn stop(&self) {
        kill_all(&mut self.lock());
    }
}

fn kill_all(children: &mut [Child]) {
    for c in children.iter_mut() {
        let _ = c.kill();
    }
    for c in children.iter_mut() {
        // Reaped, so no zombie is left either.
        let _ = c.wait();
    }
}

impl Drop for NodeProcesses {
    fn drop(&mut self) {
        self.stop();
    }
}
