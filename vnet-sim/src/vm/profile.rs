//! Host profiles (the paper's Table 1): how fast a kind of host runs a VM, how long it takes to
//! create a VM instance (t_iVM), what a message costs (tcmsg), and how much memory a worker
//! may use. With a profile, VM work costs virtual time, so an ESP32 node computes slower than
//! a PC node in the same simulation.

use serde::{Deserialize, Serialize};

use super::Lang;
use crate::time::SimDuration;

/// Lua VM instructions one Dhrystone iteration takes, to turn a host's Dhrystone rate into a
/// cost per VM instruction.
///
/// Measured: the Lua port of Dhrystone 2.1 (`vnet::programs::DHRYSTONE_LUA`) executes exactly
/// 249 Lua 5.4 instructions per iteration (counted with a hook interval of 1; the
/// `dhrystone_calibration` test checks it).
pub const LUA_INSTRUCTIONS_PER_DHRYSTONE: f64 = 249.0;

/// JavaScript instructions one Dhrystone iteration takes (the counterpart of
/// [`LUA_INSTRUCTIONS_PER_DHRYSTONE`]), as the build's engine counts them: on boa, 563
/// bytecode instructions by boa's counter; on QuickJS (the `quickjs` feature), 66 steps
/// (jumps: branches and loop iterations, counted 10 000 at a time by the interrupt handler, so
/// compute time advances by about 150 Dhrystones at a time).
pub const JS_INSTRUCTIONS_PER_DHRYSTONE: f64 = if cfg!(feature = "quickjs") {
    66.0
} else {
    563.0
};

/// A kind of host running a VM.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostProfile {
    /// A label (`pc`, `rpi-zero`, `esp32`, or your own).
    pub name: String,
    /// Dhrystones per second the VM reaches on this host (Table 1, "dhry/s").
    pub dhrystones_per_s: f64,
    /// Time to create a VM instance (Table 1, t_iVM): a worker starts this long after it is
    /// created or forked.
    #[serde(with = "crate::units::duration")]
    #[schemars(with = "crate::units::DurationText")]
    pub t_ivm: SimDuration,
    /// Overhead of one message (Table 1, tcmsg): added to every send before it reaches the link.
    #[serde(with = "crate::units::duration")]
    #[schemars(with = "crate::units::DurationText")]
    pub tcmsg: SimDuration,
    /// Bytes one worker may allocate.
    pub memory_cap: usize,
    /// Time a node of this kind takes to boot again after a crash, before its programs start
    /// (`restart`; see `vnet_sim::faults`). Rough defaults, not measurements: a PC's node
    /// daemon 2 s, a Raspberry Pi Zero's Linux 30 s, an ESP32 to `app_main` 1 s.
    #[serde(default, with = "crate::units::duration")]
    #[schemars(with = "crate::units::DurationText")]
    pub t_boot: SimDuration,
}

impl HostProfile {
    /// A PC running Lua (Table 1, PC/plvm: 600 k dhry/s, 3 ms, 0.1 ms); 64 MiB per worker.
    pub fn pc() -> Self {
        Self::new(
            "pc",
            600e3,
            SimDuration::from_millis(3),
            SimDuration::from_micros(100),
            64 << 20,
        )
        .with_boot(SimDuration::from_secs(2))
    }
    /// A Raspberry Pi Zero running Lua (Table 1, RPi Zero/plvm: 40 k, 10 ms, 1 ms); 16 MiB.
    pub fn raspberry_pi_zero() -> Self {
        Self::new(
            "rpi-zero",
            40e3,
            SimDuration::from_millis(10),
            SimDuration::from_millis(1),
            16 << 20,
        )
        .with_boot(SimDuration::from_secs(30))
    }
    /// An ESP32 running Lua on FreeRTOS (Table 1, ESP32/Lua: 1 k, 100 ms, 5 ms); 512 kB, the
    /// board's whole RAM, per worker.
    pub fn esp32() -> Self {
        Self::new(
            "esp32",
            1e3,
            SimDuration::from_millis(100),
            SimDuration::from_millis(5),
            512 << 10,
        )
        .with_boot(SimDuration::from_secs(1))
    }

    fn new(
        name: &str,
        dhry: f64,
        t_ivm: SimDuration,
        tcmsg: SimDuration,
        memory_cap: usize,
    ) -> Self {
        HostProfile {
            name: name.into(),
            dhrystones_per_s: dhry,
            t_ivm,
            tcmsg,
            memory_cap,
            t_boot: SimDuration::ZERO,
        }
    }

    /// The same profile, booting in `t_boot` after a crash.
    pub fn with_boot(mut self, t_boot: SimDuration) -> Self {
        self.t_boot = t_boot;
        self
    }

    /// One of the built-in profiles by name: `pc`, `rpi-zero`, `esp32`.
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            "pc" => Some(Self::pc()),
            "rpi-zero" | "raspberry-pi-zero" => Some(Self::raspberry_pi_zero()),
            "esp32" => Some(Self::esp32()),
            _ => None,
        }
    }

    /// Virtual nanoseconds one instruction of `lang`'s VM takes on this host.
    pub fn ns_per_instruction(&self, lang: Lang) -> f64 {
        let per_dhrystone = match lang {
            Lang::Lua => LUA_INSTRUCTIONS_PER_DHRYSTONE,
            Lang::Js => JS_INSTRUCTIONS_PER_DHRYSTONE,
        };
        1e9 / (self.dhrystones_per_s * per_dhrystone)
    }

    /// Virtual time `instructions` of `lang`'s VM take on this host.
    pub fn compute_time(&self, lang: Lang, instructions: u64) -> SimDuration {
        SimDuration::from_nanos(
            (instructions as f64 * self.ns_per_instruction(lang)).round() as u64,
        )
    }
}
