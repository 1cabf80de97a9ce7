//! The `mxlens` binary, for tests that run the real command line.

use std::path::PathBuf;
use std::process::Command;

/// Path of the debug `mxlens` binary, building it first when needed (a
/// no-op when cargo already built it for this test run).
pub fn mxlens_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(build_mxlens).clone()
}

fn build_mxlens() -> PathBuf {
    let root = crate::repo_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "mxlens-backend",
            "--bin",
            "mxlens",
        ])
        .current_dir(&root)
        .status()
        .expect("running cargo build for mxlens");
    assert!(status.success(), "cargo build -p mxlens-backend failed");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    target.join("debug").join("mxlens")
}

/// A `Command` for `mxlens` with `args`.
pub fn mxlens(args: &[&str]) -> Command {
    let mut cmd = Command::new(mxlens_bin());
    cmd.args(args);
    cmd
}
