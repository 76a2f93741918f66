//! Shared helpers for the CLI tests: run the built `assay` from the repository root with a
//! fixed clock and no colour, so outputs are comparable byte for byte.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// 2026-01-01T00:00:00Z, used as `SOURCE_DATE_EPOCH` in every test.
pub const EPOCH: &str = "1767225600";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `assay` run from `dir` with a clean, fixed environment.
pub fn assay_in(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("assay").unwrap();
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("NO_COLOR", "1");
    cmd
}

/// `assay` run from the repository root.
pub fn assay() -> Command {
    assay_in(&repo_root())
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}
