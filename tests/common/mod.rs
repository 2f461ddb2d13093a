//! What the black-box tests of the `vnet` binary share: a fresh folder, running the binary in
//! it, and reading its output.

#![allow(dead_code)] // Each test file uses its own part.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh folder `<prefix>-<name>` under the target's temp dir.
pub fn folder(prefix: &str, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{prefix}-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `vnet ARGS…` in `dir`.
pub fn vnet(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vnet"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Standard output of a run that must have succeeded (else both streams in the panic).
pub fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    text(&o.stdout)
}
