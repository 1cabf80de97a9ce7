//! Headless Chromium through Playwright (`playwright-core` with the system
//! Chromium). Each flow is a Node script under `tests/e2e/`; the Rust test
//! starts the peers and the server, then runs the script against them.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};

/// Where screenshots go.
pub fn screenshot_dir() -> PathBuf {
    crate::repo_root().join("target").join("screenshots")
}

/// True when the browser tooling is installed (scripts/setup.sh --test).
pub fn available() -> bool {
    crate::repo_root()
        .join("node_modules/playwright-core")
        .exists()
        && std::path::Path::new("/usr/bin/chromium").exists()
}

/// Runs `tests/e2e/<script>` with `BASE_URL` and extra environment, and
/// returns its stdout. Fails with the script's output when it exits non-zero.
pub async fn run_script(
    script: &str,
    base_url: &str,
    env: &[(&str, &str)],
) -> anyhow::Result<String> {
    if !available() {
        bail!("playwright-core or /usr/bin/chromium missing: run scripts/setup.sh --test");
    }
    let root = crate::repo_root();
    let dist = root.join("dist/index.html");
    if !dist.exists() {
        bail!("the frontend is not built ({} missing): run scripts/test.sh, which builds it with trunk", dist.display());
    }
    std::fs::create_dir_all(screenshot_dir())?;
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(root.join("tests/e2e").join(script))
        .current_dir(&root)
        .env("BASE_URL", base_url)
        .env("SCREENSHOT_DIR", screenshot_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().context("starting node")?;
    let out = tokio::time::timeout(Duration::from_secs(180), child.wait_with_output())
        .await
        .context("browser script timed out after 180 s")??;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        bail!(
            "{script} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            out.status
        );
    }
    eprint!("{stdout}");
    Ok(stdout)
}
