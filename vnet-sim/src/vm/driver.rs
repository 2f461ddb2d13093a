//! [`VmProgram`]: a VM worker as a [`NodeProgram`]. It keeps the worker's mailbox, turns the
//! VM's blocking calls into timers and waits, and applies what the VM asked for.

use std::collections::VecDeque;
use std::rc::Rc;

use super::io::{Command, Io, NodeInfo, Resume, Step};
use super::{Lang, VmConfig};
use crate::kernel::{Context, NodeProgram, TimerId, WorkerId};
use crate::net::{Message, PortId};

/// One VM instance: runs until it blocks, ends or fails.
pub(crate) trait Vm {
    /// Runs the program from where it blocked, handing it `input`. `io` is the activation's
    /// state going in and the commands coming out.
    fn resume(&mut self, io: &mut Io, input: Resume) -> Step;
}

/// What the worker is blocked on.
enum Wait {
    /// Not started, running, or ended.
    Nothing,
    /// In `recv`: messages on `port` (any port if `None`) wake it; `timer` is its timeout.
    Recv {
        port: Option<PortId>,
        timer: Option<TimerId>,
    },
    /// In `sleep`, or a blocked recv with nothing to wake it but its timer.
    Sleep,
}

/// A Lua or JavaScript worker on a node.
pub struct VmProgram {
    lang: Lang,
    config: Rc<VmConfig>,
    /// Built at start (creating a VM needs the node's identity for error names).
    vm: Option<Box<dyn Vm>>,
    code: String,
    mailbox: VecDeque<(Option<PortId>, Message)>,
    wait: Wait,
    /// Tag of the timer that may wake the worker; older timers are ignored.
    wake_tag: u64,
    io: Io,
}

impl VmProgram {
    /// A worker that will run `code` in `lang` with `config`'s limits.
    pub fn new(lang: Lang, code: impl Into<String>, config: Rc<VmConfig>) -> Self {
        VmProgram {
            lang,
            config,
            vm: None,
            code: code.into(),
            mailbox: VecDeque::new(),
            wait: Wait::Nothing,
            wake_tag: 0,
            io: Io::default(),
        }
    }

    /// The language this worker runs.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Runs the VM from `input` until it blocks, ends or fails.
    fn run(&mut self, ctx: &mut Context, mut input: Resume) {
        let Some(vm) = self.vm.as_mut() else { return };
        loop {
            self.io.now = ctx.now();
            self.io.rng = Some(ctx.rng().clone());
            self.io.next_worker = ctx.worker_count() as u16;
            self.io.instructions = 0;
            let step = vm.resume(&mut self.io, input);
            if let Some(r) = self.io.rng.take() {
                *ctx.rng() = r;
            }
            for c in std::mem::take(&mut self.io.commands) {
                match c {
                    Command::Send { port, message } => {
                        ctx.send(port, message);
                    }
                    Command::Print(text) => ctx.log(text),
                    Command::Fork(code) => {
                        ctx.spawn(Box::new(VmProgram::new(
                            self.lang,
                            code,
                            self.config.clone(),
                        )));
                    }
                    Command::Kill(w) => {
                        ctx.kill(WorkerId(w));
                    }
                }
            }
            let step = if self.io.exit { Step::Finished } else { step };
            match step {
                Step::Recv { port, timeout } => {
                    if let Some(i) = self
                        .mailbox
                        .iter()
                        .position(|(p, _)| port.is_none() || *p == port)
                    {
                        let (p, message) =
                            self.mailbox.remove(i).unwrap_or((None, Message::empty()));
                        input = Resume::Message {
                            port: port_name(&self.io, p),
                            message,
                        };
                        continue;
                    }
                    self.wake_tag += 1;
                    let timer = timeout.map(|t| ctx.set_timer(t, self.wake_tag));
                    self.wait = Wait::Recv { port, timer };
                }
                Step::Sleep(d) => {
                    self.wake_tag += 1;
                    ctx.set_timer(d, self.wake_tag);
                    self.wait = Wait::Sleep;
                }
                Step::Stalled => self.wait = Wait::Nothing,
                Step::Finished => {
                    self.wait = Wait::Nothing;
                    ctx.exit();
                    return;
                }
                Step::Failed(why) => {
                    self.wait = Wait::Nothing;
                    let who = format!("{}/w{}", ctx.node_info().name(), ctx.worker().0);
                    ctx.fail(format!("{who}: {why}"));
                    return;
                }
            }
            ctx.set_waiting(true);
            return;
        }
    }
}

impl NodeProgram for VmProgram {
    fn on_start(&mut self, ctx: &mut Context) {
        self.io.node = Rc::new(NodeInfo::of(ctx));
        let who = format!("{}/w{}", self.io.node.name, ctx.worker().0);
        match super::create_vm(self.lang, &self.code, &who, &self.config) {
            Ok(vm) => {
                self.vm = Some(vm);
                self.run(ctx, Resume::Start);
            }
            Err(e) => ctx.fail(format!("{who}: {e}")),
        }
    }

    fn on_message(&mut self, ctx: &mut Context, port: Option<PortId>, msg: Message) {
        if let Wait::Recv { port: want, timer } = self.wait {
            if want.is_none() || want == port {
                if let Some(t) = timer {
                    ctx.cancel_timer(t);
                }
                self.wait = Wait::Nothing;
                ctx.set_waiting(false);
                let port = port_name(&self.io, port);
                self.run(ctx, Resume::Message { port, message: msg });
                return;
            }
        }
        self.mailbox.push_back((port, msg));
    }

    fn on_timer(&mut self, ctx: &mut Context, tag: u64) {
        if tag != self.wake_tag {
            return;
        }
        let input = match self.wait {
            Wait::Recv { .. } => Resume::Timeout,
            Wait::Sleep => Resume::Wake,
            Wait::Nothing => return,
        };
        self.wait = Wait::Nothing;
        ctx.set_waiting(false);
        self.run(ctx, input);
    }
}

/// The name of port `p` of the worker's node.
fn port_name(io: &Io, p: Option<PortId>) -> Option<String> {
    p.and_then(|p| io.node.ports.get(p.0 as usize).cloned())
}
