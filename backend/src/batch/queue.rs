//! `mxlens audit --queue URL`: a batch worker on the PostgreSQL work queue
//! (issue #17 G2; the table and its rules are in `store/queue.rs`), and
//! `mxlens queue enqueue|progress|results`.
//!
//! Any number of workers, on any number of machines, share one batch: each
//! keeps up to `--batch-concurrency` domains in flight, claiming a few at a
//! time, and writes each report to the report store as it finishes. A worker
//! exits when every job of the batch has its result; while others still hold
//! leases it waits, so a dead worker's domains are picked up when their
//! lease expires.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use tokio::io::AsyncBufReadExt;
use tokio::task::JoinSet;

use super::{input_line, BatchAudit};
use crate::store::queue::{ClaimedJob, JobResult};
use crate::store::Store;

/// How often an idle worker looks again while other workers hold leases.
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Jobs claimed per statement, at most.
const CLAIM_CHUNK: usize = 64;

/// The queue a command works on.
#[derive(Debug, Clone, Args)]
pub struct QueueTarget {
    /// The PostgreSQL database holding the work queue and the report store
    /// (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE).
    #[arg(long = "queue", env = "MXLENS_QUEUE", value_name = "URL")]
    pub url: String,
    /// The batch's name: a database holds any number of batches.
    #[arg(long, env = "MXLENS_QUEUE_BATCH", default_value = "default")]
    pub queue_batch: String,
}

/// `mxlens audit` options of a queue worker.
#[derive(Debug, Clone, Args)]
pub struct QueueWorkerArgs {
    /// Work on the PostgreSQL work queue at URL: audit the domains of the
    /// batch (--queue-batch) until each has a result, writing the reports to
    /// the report store in that database. With --batch FILE, the file is
    /// enqueued first. See docs/batch-queue.md.
    #[arg(id = "queue", long = "queue", env = "MXLENS_QUEUE", value_name = "URL")]
    pub url: Option<String>,
    /// With --queue: the batch's name.
    #[arg(long, env = "MXLENS_QUEUE_BATCH", default_value = "default")]
    pub queue_batch: String,
    /// With --queue: seconds a claimed domain stays with this worker; a
    /// worker that dies returns its domains to the queue when it expires.
    #[arg(long, env = "MXLENS_QUEUE_LEASE_SECS", default_value_t = 300)]
    pub lease_secs: u64,
    /// With --queue: stored reports expire this many days after creation.
    #[arg(long, env = "MXLENS_RETENTION_DAYS", default_value_t = 30)]
    pub retention_days: u32,
}

/// `mxlens queue`.
#[derive(Debug, Clone, Args)]
pub struct QueueArgs {
    #[command(subcommand)]
    #[allow(missing_docs)]
    pub command: QueueCommand,
}

/// The `mxlens queue` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum QueueCommand {
    /// Add the domains in FILE (one per line) to a batch; those already in it are skipped.
    Enqueue {
        #[command(flatten)]
        #[allow(missing_docs)]
        target: QueueTarget,
        /// The file of domains.
        file: PathBuf,
    },
    /// Print where a batch stands.
    Progress {
        #[command(flatten)]
        #[allow(missing_docs)]
        target: QueueTarget,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the batch's results so far, one JSON line each, in file order.
    Results {
        #[command(flatten)]
        #[allow(missing_docs)]
        target: QueueTarget,
    },
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("mxlens: {message}");
    ExitCode::from(2)
}

/// Opens the queue's database (applying migrations).
async fn open(url: &str) -> anyhow::Result<Store> {
    anyhow::ensure!(
        crate::store::Backend::from_url(url) == Some(crate::store::Backend::Postgres),
        "--queue needs a postgres:// URL, not \"{}\"",
        crate::store::redacted_url(url)
    );
    Store::open(url).await
}

/// Runs `mxlens queue …`.
pub async fn queue_command(args: QueueArgs) -> ExitCode {
    let target = match &args.command {
        QueueCommand::Enqueue { target, .. }
        | QueueCommand::Progress { target, .. }
        | QueueCommand::Results { target } => target,
    };
    let store = match open(&target.url).await {
        Ok(s) => s,
        Err(e) => return fail(format!("{e:#}")),
    };
    let batch = target.queue_batch.as_str();
    let done = match &args.command {
        QueueCommand::Enqueue { file, .. } => enqueue_file(&store, batch, file)
            .await
            .map(|(added, read)| {
                println!(
                    "batch {batch}: {added} domains added, {} already queued",
                    read - added
                );
            }),
        QueueCommand::Progress { json, .. } => store.queue_progress(batch).await.map(|p| {
            if *json {
                println!("{}", serde_json::to_string(&p).unwrap_or_default());
            } else {
                println!(
                    "batch {batch}: {} of {} done ({} with a failing check, {} not a domain), {} in flight, {} waiting; {} claimed more than once",
                    p.done, p.total, p.failing, p.input_errors, p.in_flight, p.waiting, p.claimed_again
                );
            }
        }),
        QueueCommand::Results { .. } => {
            use std::io::Write;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let result = store
                .queue_results(batch, |line| writeln!(out, "{line}"))
                .await;
            let _ = out.flush();
            result
        }
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("{e:#}")),
    }
}

/// Enqueues the domains of `file` (the lines `mxlens audit --batch` reads,
/// normalised so that one domain is one job); returns (added, read).
pub async fn enqueue_file(store: &Store, batch: &str, file: &Path) -> anyhow::Result<(u64, u64)> {
    use anyhow::Context;
    let input = tokio::fs::File::open(file)
        .await
        .with_context(|| format!("cannot read {}", file.display()))?;
    let mut lines = tokio::io::BufReader::new(input).lines();
    let (mut added, mut read) = (0, 0);
    let mut chunk = Vec::new();
    loop {
        let line = lines.next_line().await?;
        if let Some(raw) = line.as_deref().and_then(input_line) {
            let input = mxlens_shared::domain_name::normalize_domain(raw)
                .unwrap_or_else(|_| raw.to_string());
            chunk.push(input);
        }
        if chunk.len() >= 5000 || (line.is_none() && !chunk.is_empty()) {
            // Repeats within the file are one job (keeping the file's order).
            let mut seen = std::collections::HashSet::new();
            chunk.retain(|d| seen.insert(d.clone()));
            read += chunk.len() as u64;
            added += store.enqueue(batch, &chunk).await?;
            chunk.clear();
        }
        if line.is_none() {
            return Ok((added, read));
        }
    }
}

/// This worker's name in the `worker` column: host and process id.
fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}", std::process::id())
}

/// What became of one claimed job.
struct Finished {
    recorded: bool,
    failing: bool,
}

async fn run_job(
    batch: Arc<BatchAudit>,
    store: Store,
    job: ClaimedJob,
    expires_at: Arc<str>,
) -> anyhow::Result<Finished> {
    let (recorded, failing) = match batch.audit(&job.input).await {
        Ok(report) => {
            let json = serde_json::to_string(&report)?;
            let failing = report.has_failures();
            let result = JobResult::Report {
                json: &json,
                failing,
                expires_at: &expires_at,
            };
            (store.finish_job(job.id, result).await?, failing)
        }
        Err(e) => (
            store.finish_job(job.id, JobResult::InputError(&e)).await?,
            false,
        ),
    };
    Ok(Finished {
        recorded,
        failing: failing && recorded,
    })
}

/// Runs a queue worker: enqueues `file` first when given, then audits until
/// every job of the batch has its result. Exit code 1 when a report this
/// worker recorded has a failing check, 2 when the queue fails.
pub async fn run_worker(
    batch: Arc<BatchAudit>,
    args: &QueueWorkerArgs,
    url: &str,
    file: Option<&Path>,
    window: usize,
) -> ExitCode {
    let store = match open(url).await {
        Ok(s) => s,
        Err(e) => return fail(format!("{e:#}")),
    };
    let name = args.queue_batch.as_str();
    if let Some(file) = file {
        match enqueue_file(&store, name, file).await {
            Ok((added, read)) => eprintln!(
                "mxlens: batch {name}: {added} domains added, {} already queued",
                read - added
            ),
            Err(e) => return fail(format!("{e:#}")),
        }
    }
    let worker = worker_name();
    let lease = Duration::from_secs(args.lease_secs.max(1));
    let window = window.max(1);
    // Claim again once this many slots are free: fewer round trips to the
    // database than one claim per finished audit.
    let refill = (window / 4).clamp(1, CLAIM_CHUNK);
    let mut running: JoinSet<anyhow::Result<Finished>> = JoinSet::new();
    let (mut recorded, mut discarded, mut any_fail) = (0u64, 0u64, false);
    loop {
        let free = window - running.len();
        let mut claimed = 0;
        if free >= refill {
            let jobs = match store
                .claim(name, &worker, free.min(CLAIM_CHUNK), lease)
                .await
            {
                Ok(jobs) => jobs,
                Err(e) => return fail(format!("claiming from the queue: {e:#}")),
            };
            claimed = jobs.len();
            let expires_at: Arc<str> =
                crate::reports::expiry_after_days(args.retention_days).into();
            for job in jobs {
                running.spawn(run_job(
                    batch.clone(),
                    store.clone(),
                    job,
                    expires_at.clone(),
                ));
            }
        }
        if claimed > 0 && running.len() < window {
            continue;
        }
        if running.is_empty() {
            match store.queue_unfinished(name).await {
                Ok(false) => break,
                Ok(true) => tokio::time::sleep(IDLE_POLL).await,
                Err(e) => return fail(format!("reading the queue: {e:#}")),
            }
            continue;
        }
        match running.join_next().await {
            Some(Ok(Ok(done))) => {
                if done.recorded {
                    recorded += 1;
                } else {
                    discarded += 1;
                }
                any_fail |= done.failing;
            }
            // The job keeps its lease and returns to the queue.
            Some(Ok(Err(e))) => return fail(format!("recording a result: {e:#}")),
            Some(Err(e)) => eprintln!("mxlens: an audit task failed: {e}"),
            None => {}
        }
    }
    eprintln!(
        "mxlens: batch {name}: done; this worker recorded {recorded} results ({discarded} audited again after a lease expired and discarded)"
    );
    if any_fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
