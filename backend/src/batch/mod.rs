//! `mxlens audit --batch`: many domains, each audited exactly as `mxlens
//! audit DOMAIN` would, as fast as the resolver allows.
//!
//! Each audit is its own task on the multi-threaded runtime, at most
//! `--batch-concurrency` at a time: the planner's polling, the answers'
//! decoding and the report's JSON then use every core, where one
//! `buffer_unordered` stream on the main task used one (issue #17: 7 s of
//! CPU in 8 s on that thread). Reports are written as audits finish, so
//! memory does not grow with the number of domains.
//!
//! From a file, reports go to stdout, one JSON line each ([`run_file`]); from
//! a PostgreSQL work queue shared by several workers, to the report store
//! ([`queue`]).

pub mod queue;

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mxlens_shared::domain_name::normalize_domain;
use mxlens_shared::report::Report;
use tokio::io::AsyncBufReadExt;
use tokio::task::JoinSet;

use crate::audit::{run_audit, AuditConfig, AuditRequest};
use crate::resolver::HickoryLookup;

/// What every audit of a batch shares.
#[derive(Debug)]
pub struct BatchAudit {
    /// The resolver (its clones share sockets and the in-flight bound).
    pub lookup: HickoryLookup,
    /// Audit settings.
    pub config: AuditConfig,
    /// DKIM selectors given for every domain.
    pub selectors: Vec<String>,
    /// Guess the common selectors too (`--guess-selectors`).
    pub guess_selectors: bool,
    /// The sending IP, for every domain.
    pub sending_ip: Option<IpAddr>,
    /// The envelope sender, for every domain.
    pub mail_from: Option<String>,
    /// The HELO name, for every domain.
    pub helo: Option<String>,
}

impl BatchAudit {
    /// Audits one input line: its report, or why it is not a domain.
    pub async fn audit(&self, raw: &str) -> Result<Report, String> {
        let domain = normalize_domain(raw).map_err(|e| e.to_string())?;
        let request = AuditRequest {
            domain,
            selectors: self.selectors.clone(),
            guess_selectors: self.guess_selectors,
            sending_ip: self.sending_ip,
            rcpt: None,
            mail_from: self.mail_from.clone(),
            helo: self.helo.clone(),
        };
        let per_audit = crate::dns_budget::audit_lookup(self.lookup.clone(), &self.config);
        Ok(run_audit(
            &per_audit,
            &request,
            &self.config,
            crate::now_rfc3339(),
            |_| {},
        )
        .await)
    }
}

/// A batch input line worth auditing: trimmed, not empty, not a `#` comment.
pub fn input_line(line: &str) -> Option<&str> {
    let line = line.trim();
    (!line.is_empty() && !line.starts_with('#')).then_some(line)
}

/// The output line for one input: the report's JSON, or `{"input", "error"}`;
/// and whether the report has a failing check.
fn output_line(raw: &str, result: Result<Report, String>) -> (String, bool) {
    match result {
        Ok(report) => (
            serde_json::to_string(&report).unwrap_or_default(),
            report.has_failures(),
        ),
        Err(message) => (
            serde_json::json!({"input": raw, "error": message}).to_string(),
            false,
        ),
    }
}

/// Output is flushed at least this often, so a reader sees progress.
const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// Audits every domain in `file` (one per line), at most `window` at once,
/// printing one JSON line per domain as each finishes. Exit code 1 when any
/// report has a failing check, 2 when the file cannot be read.
pub async fn run_file(batch: Arc<BatchAudit>, file: &Path, window: usize) -> ExitCode {
    let input = match tokio::fs::File::open(file).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("mxlens: cannot read {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let mut lines = tokio::io::BufReader::new(input).lines();
    let mut running: JoinSet<(String, bool)> = JoinSet::new();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut flushed = Instant::now();
    let mut any_fail = false;
    let mut input_done = false;
    let mut broken_pipe = false;
    loop {
        while !input_done && running.len() < window.max(1) {
            match lines.next_line().await {
                Ok(Some(line)) => {
                    let Some(raw) = input_line(&line).map(str::to_string) else {
                        continue;
                    };
                    let batch = batch.clone();
                    running.spawn(async move {
                        let result = batch.audit(&raw).await;
                        output_line(&raw, result)
                    });
                }
                Ok(None) => input_done = true,
                Err(e) => {
                    eprintln!("mxlens: cannot read {}: {e}", file.display());
                    input_done = true;
                }
            }
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (line, fail) = match done {
            Ok(result) => result,
            Err(e) => {
                eprintln!("mxlens: an audit task failed: {e}");
                continue;
            }
        };
        any_fail |= fail;
        if broken_pipe {
            continue;
        }
        let mut written = writeln!(out, "{line}");
        if written.is_ok() && flushed.elapsed() >= FLUSH_EVERY {
            written = out.flush();
            flushed = Instant::now();
        }
        if let Err(e) = written {
            // `mxlens … | head`: the reader left; finish quietly.
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("mxlens: cannot write the report: {e}");
            }
            broken_pipe = true;
        }
    }
    let _ = out.flush();
    if any_fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
