//! A private PostgreSQL 15 cluster on a loopback port, started by the test
//! that needs it and stopped when it is dropped.
//!
//! `initdb -A trust` into a temporary directory, then `pg_ctl start` with
//! the socket directory inside it and `listen_addresses=127.0.0.1`
//! (TOOLCHAIN.md, "Stores"). PostgreSQL refuses to run as root, so when the
//! tests run as root the directory is handed to the `postgres` user and the
//! tools run through `runuser`.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian installs the PostgreSQL 15 server tools.
pub const BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

/// A running private cluster. Dropping it stops the server and deletes its
/// files.
#[derive(Debug)]
pub struct TestPostgres {
    /// The TCP port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
    run_as: Option<String>,
}

impl TestPostgres {
    /// Initialises and starts a cluster (about a second). Retries with a new
    /// port if another process took the one picked.
    pub async fn start() -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("mxlens-pg").tempdir()?;
        let run_as = if std::fs::metadata(dir.path())?.uid() == 0 {
            let uid = id_of("-u")?;
            let gid = id_of("-g")?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))?;
            Some("postgres".to_string())
        } else {
            None
        };
        let data = dir.path().join("data");
        let initdb = PathBuf::from(BIN_DIR).join("initdb");
        let data_arg = data.display().to_string();
        let out = run(
            run_as.as_deref(),
            &initdb,
            &[
                "-A",
                "trust",
                "-U",
                "postgres",
                "-D",
                &data_arg,
                "-E",
                "UTF8",
                "--locale=C",
                // Test clusters are thrown away: skip initdb's own fsyncs.
                // The server itself keeps fsync on.
                "--no-sync",
                "--no-instructions",
            ],
        )
        .await?;
        anyhow::ensure!(out.status.success(), "initdb failed: {}", describe(&out));
        let log = dir.path().join("log").display().to_string();
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            let options = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1",
                dir.path().display()
            );
            let out = run(
                run_as.as_deref(),
                &PathBuf::from(BIN_DIR).join("pg_ctl"),
                &["-D", &data_arg, "-l", &log, "-w", "-o", &options, "start"],
            )
            .await?;
            if out.status.success() {
                return Ok(TestPostgres { port, dir, run_as });
            }
            last_error = format!(
                "{}; log: {}",
                describe(&out),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        anyhow::bail!("pg_ctl start failed: {last_error}")
    }

    /// The URL of the `postgres` database, for `--database-url`.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// The URL of database `name` (see [`TestPostgres::create_database`]).
    pub fn database_url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database `name` and returns its URL.
    pub async fn create_database(&self, name: &str) -> anyhow::Result<String> {
        let out = run(
            self.run_as.as_deref(),
            &PathBuf::from(BIN_DIR).join("createdb"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                name,
            ],
        )
        .await?;
        anyhow::ensure!(out.status.success(), "createdb failed: {}", describe(&out));
        Ok(self.database_url(name))
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // Immediate: no checkpoint, the files are deleted next anyway.
        let data = self.data_dir().display().to_string();
        let pg_ctl = PathBuf::from(BIN_DIR).join("pg_ctl");
        let args = ["-D", data.as_str(), "-m", "immediate", "-w", "stop"];
        let mut command = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&pg_ctl);
                c
            }
            None => Command::new(&pg_ctl),
        };
        let _ = command
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

async fn run(
    run_as: Option<&str>,
    program: &Path,
    args: &[&str],
) -> anyhow::Result<std::process::Output> {
    let mut command = match run_as {
        Some(user) => {
            let mut c = tokio::process::Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => tokio::process::Command::new(program),
    };
    // The server's stdout/stderr go to the log file (`-l`), so pipes close.
    Ok(command
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await?)
}

fn describe(out: &std::process::Output) -> String {
    format!(
        "{}: {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn id_of(flag: &str) -> anyhow::Result<u32> {
    let out = Command::new("id").args([flag, "postgres"]).output()?;
    anyhow::ensure!(
        out.status.success(),
        "no postgres user (install postgresql: scripts/setup.sh)"
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
