//! The tuple-space calls VMs share (`out`, `inp`, `rdp`, and the first look of `rd` and
//! `take`), on [`Io`] during an activation.

use serde_json::Value;

use super::io::{Command, Io};
use crate::agents::{SharedSpace, TupleSpace};
use crate::time::SimDuration;

impl Io {
    fn space(&self, op: &str) -> Result<&SharedSpace, String> {
        self.tuples.as_ref().ok_or_else(|| {
            format!("{op}: this worker has no node tuple space (eval runs outside its node)")
        })
    }

    /// `out(tuple [, lifetime_ms])`: the workers it wakes are woken when the activation ends.
    pub fn ts_out(&mut self, tuple: Value, lifetime: Option<SimDuration>) -> Result<(), String> {
        let tuple = TupleSpace::tuple_of("out", tuple).map_err(|e| e.to_string())?;
        let now = self.now;
        let woken = self
            .space("out")?
            .try_borrow_mut()
            .map_err(|_| "out: the tuple space is busy".to_owned())?
            .out(now, tuple, lifetime.map(|d| now + d))
            .map_err(|e| e.to_string())?;
        for (worker, tag) in woken {
            self.commands.push(Command::Wake { worker, tag });
        }
        Ok(())
    }

    /// The oldest tuple matching `pattern` now, taken if `take` (`inp`, `rdp`, and `take`
    /// and `rd` before they block).
    pub fn ts_find(
        &mut self,
        op: &'static str,
        pattern: Value,
        take: bool,
    ) -> Result<(Vec<Value>, Option<Vec<Value>>), String> {
        let pattern = TupleSpace::tuple_of(op, pattern).map_err(|e| e.to_string())?;
        let now = self.now;
        let found = self
            .space(op)?
            .try_borrow_mut()
            .map_err(|_| format!("{op}: the tuple space is busy"))?
            .find(now, &pattern, take);
        Ok((pattern, found))
    }
}
