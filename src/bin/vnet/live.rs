//! What a run shows while it runs: worker output as it is written (virtual time, node/worker,
//! text; standard error marked, colour only on a terminal) and a progress bar on standard error
//! for runs longer than about a second (only on a terminal, never with `--quiet`).

use std::io::{BufWriter, IsTerminal, StdoutLock, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vnet::sim::{LogStream, SimTime, Simulation};

/// The live view of one run.
pub(crate) struct Live {
    out: BufWriter<StdoutLock<'static>>,
    quiet: bool,
    colour: bool,
    bar: Option<ProgressBar>,
    bar_wanted: bool,
    until: Option<SimTime>,
    started: Instant,
}

impl Live {
    pub fn new(quiet: bool, until: Option<SimTime>) -> Self {
        let stdout = std::io::stdout();
        let colour = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Live {
            out: BufWriter::with_capacity(1 << 16, stdout.lock()),
            quiet,
            colour,
            bar: None,
            bar_wanted: !quiet && std::io::stderr().is_terminal(),
            until,
            started: Instant::now(),
        }
    }

    /// Prints (and copies to `copy`) the lines logged since the last call.
    pub fn print_logs(&mut self, sim: &mut Simulation, mut copy: Option<&mut impl Write>) {
        let logs = sim.take_logs();
        if logs.is_empty() || (self.quiet && copy.is_none()) {
            return;
        }
        let mut print = |this: &mut Self| {
            for l in &logs {
                let node = sim.network().node(l.node).map_or("?", |n| n.name());
                let err = l.stream == LogStream::Err;
                let plain = format!(
                    "{:>12.6} {node}/w{}{} {}",
                    l.time.as_millis_f64(),
                    l.worker.0,
                    if err { " [err]" } else { "" },
                    l.text
                );
                if let Some(c) = copy.as_deref_mut() {
                    let _ = writeln!(c, "{plain}");
                }
                if this.quiet {
                    continue;
                }
                let _ = if this.colour {
                    // Time dim, node bold, standard error red.
                    let (on, off) = if err {
                        ("\x1b[31m", "\x1b[0m")
                    } else {
                        ("", "")
                    };
                    writeln!(
                        this.out,
                        "\x1b[2m{:>12.6}\x1b[0m \x1b[1m{node}/w{}\x1b[0m{on}{} {}{off}",
                        l.time.as_millis_f64(),
                        l.worker.0,
                        if err { " [err]" } else { "" },
                        l.text
                    )
                } else {
                    writeln!(this.out, "{plain}")
                };
            }
        };
        match self.bar.clone() {
            Some(bar) => bar.suspend(|| {
                print(self);
                let _ = self.out.flush();
            }),
            None => print(self),
        }
    }

    /// Moves the progress bar (made once the run has taken a second).
    pub fn progress(&mut self, now: SimTime, events: u64) {
        if !self.bar_wanted {
            return;
        }
        let elapsed = self.started.elapsed();
        if self.bar.is_none() && elapsed > Duration::from_secs(1) {
            let bar = match self.until {
                Some(u) => ProgressBar::with_draw_target(
                    Some(u.as_nanos() / 1_000_000),
                    ProgressDrawTarget::stderr(),
                )
                .with_style(
                    ProgressStyle::with_template("{pos}/{len} ms virtual, {msg} {wide_bar}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                ),
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                    .with_style(
                        ProgressStyle::with_template("{spinner} {pos} ms virtual, {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    ),
            };
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_position(now.as_nanos() / 1_000_000);
            let rate = events as f64 / elapsed.as_secs_f64().max(1e-9);
            bar.set_message(if rate >= 1e6 {
                format!("{events} events, {:.2} M events/s", rate / 1e6)
            } else {
                format!("{events} events, {rate:.0} events/s")
            });
        }
    }

    /// Clears the bar and flushes standard output.
    pub fn finish(mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let _ = self.out.flush();
    }
}
