//! [`ProgramRegistry`]: how a program name in a network file becomes a running program.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::kernel::NodeProgram;

type Factory = std::rc::Rc<dyn Fn(&Value) -> Result<Box<dyn NodeProgram>, String>>;

/// Maps program names to factories that build a program from a node's `params`.
///
/// ```
/// use vnet_sim::netfile::ProgramRegistry;
/// use vnet_sim::NodeProgram;
///
/// struct Sink;
/// impl NodeProgram for Sink {}
///
/// let mut reg = ProgramRegistry::new();
/// reg.register("sink", |_params| Ok(Box::new(Sink)));
/// assert!(reg.make("sink", &serde_json::Value::Null).is_ok());
/// let err = reg.make("snik", &serde_json::Value::Null).err().unwrap();
/// assert_eq!(err, "unknown program `snik` (known: sink)");
/// ```
#[derive(Default)]
pub struct ProgramRegistry {
    factories: BTreeMap<String, Factory>,
}

impl ProgramRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry of the built-in devices: `uart_switch`, the ESP32 cluster's crossbar
    /// ([`SwitchConfig::from_params`](crate::devices::SwitchConfig::from_params) reads its
    /// `params`). What `vnet run` uses.
    pub fn with_devices() -> Self {
        let mut reg = Self::new();
        reg.register("uart_switch", |params| {
            let config = crate::devices::SwitchConfig::from_params(params)?;
            Ok(Box::new(crate::devices::UartSwitch::new(config)))
        });
        reg
    }

    /// Registers `name`; the factory gets the node's `params` and may refuse them with a message.
    pub fn register(
        &mut self,
        name: &str,
        factory: impl Fn(&Value) -> Result<Box<dyn NodeProgram>, String> + 'static,
    ) {
        self.factories
            .insert(name.to_owned(), std::rc::Rc::new(factory));
    }

    /// Builds program `name` from `params`; the error says which names exist.
    pub fn make(&self, name: &str, params: &Value) -> Result<Box<dyn NodeProgram>, String> {
        match self.factories.get(name) {
            Some(f) => f(params).map_err(|m| format!("program `{name}`: {m}")),
            None => {
                let known: Vec<&str> = self.factories.keys().map(String::as_str).collect();
                Err(format!(
                    "unknown program `{name}` (known: {})",
                    known.join(", ")
                ))
            }
        }
    }

    /// A maker of program `name` from `params`, for a node that restarts (see
    /// [`Simulation::add_worker_with`](crate::Simulation::add_worker_with)). A build that
    /// fails — an unknown name, parameters refused — starts a worker that fails at once with
    /// the message.
    pub fn factory(
        &self,
        name: &str,
        params: &Value,
    ) -> impl Fn() -> Box<dyn NodeProgram> + 'static {
        let (f, params, name) = (
            self.factories.get(name).cloned(),
            params.clone(),
            name.to_owned(),
        );
        move || match f.as_ref().map(|f| f(&params)) {
            Some(Ok(p)) => p,
            Some(Err(m)) => Box::new(Refused(format!("program `{name}`: {m}"))),
            None => Box::new(Refused(format!("unknown program `{name}`"))),
        }
    }

    /// The registered names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }
}

/// A worker whose program could not be made: it fails at start with the reason.
struct Refused(String);

impl NodeProgram for Refused {
    fn on_start(&mut self, ctx: &mut crate::Context) {
        ctx.fail(&self.0);
    }
}
