//! JavaScript workers (boa_engine) — see the module docs.

use super::driver::Vm;
use super::io::{Io, Resume, Step};
use super::VmConfig;

pub(crate) struct JsVm;

impl JsVm {
    pub fn new(_code: &str, _who: &str, _config: &VmConfig) -> Result<Self, String> {
        Err("JavaScript workers are not built yet".into())
    }
}

impl Vm for JsVm {
    fn resume(&mut self, _io: &mut Io, _input: Resume) -> Step {
        Step::Failed("JavaScript workers are not built yet".into())
    }
}
