//! The batch work queue on PostgreSQL (issue #17 G2): `mxlens audit --queue`
//! workers on any number of machines take domains from the `batch_jobs`
//! table and write each report to the report store.
//!
//! - **Claim.** A worker claims a few rows at a time with
//!   `FOR UPDATE SKIP LOCKED`, so workers never wait on each other's rows,
//!   and sets a lease (`lease_until`, the database's clock: the machines'
//!   clocks never meet) and its name.
//! - **Finish.** The report row and the job's `done_at` are written in one
//!   transaction, and only while the job is not done yet. A worker killed
//!   mid-audit leaves its rows leased; they return to the queue when the
//!   lease expires and another worker audits them again. Should the killed
//!   one have been only slow, whichever finishes first records the result
//!   and the other's is discarded: every job ends with exactly one result,
//!   and a crash repeats at most the domains that were in flight.

use std::time::Duration;

use sqlx::{PgPool, Row};

use super::{Pool, Store};

/// Inputs inserted per statement when enqueuing.
const ENQUEUE_CHUNK: usize = 5000;

/// A job a worker claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    /// The row id.
    pub id: i64,
    /// The input line (a normalised domain, or the text that is not one).
    pub input: String,
    /// Claims so far, this one included (above 1: a worker died or was slow).
    pub attempts: i32,
}

/// The result of one job.
#[derive(Debug, Clone, Copy)]
pub enum JobResult<'a> {
    /// The audit report, stored as a `domain` report.
    Report {
        /// The report JSON.
        json: &'a str,
        /// Whether a check failed.
        failing: bool,
        /// When the stored report expires (RFC 3339).
        expires_at: &'a str,
    },
    /// Why the input is not a domain.
    InputError(&'a str),
}

/// Where a batch stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueProgress {
    /// Jobs in the batch.
    pub total: i64,
    /// Jobs with their result.
    pub done: i64,
    /// Done jobs whose report has a failing check.
    pub failing: i64,
    /// Done jobs whose input is not a domain.
    pub input_errors: i64,
    /// Jobs under a live lease (being audited).
    pub in_flight: i64,
    /// Jobs waiting for a worker (never claimed, or their lease expired).
    pub waiting: i64,
    /// Jobs claimed more than once (a worker died or outlived its lease).
    pub claimed_again: i64,
}

impl Store {
    /// The PostgreSQL pool: the queue needs `FOR UPDATE SKIP LOCKED`.
    fn queue_pool(&self) -> anyhow::Result<&PgPool> {
        match &self.pool {
            Pool::Postgres(pool) => Ok(pool),
            Pool::Sqlite(_) => anyhow::bail!("the batch queue needs PostgreSQL (postgres://…)"),
        }
    }

    /// Adds `inputs` to batch `batch`, skipping those already in it (so an
    /// enqueue can be re-run after a crash). Returns how many were new.
    pub async fn enqueue(&self, batch: &str, inputs: &[String]) -> anyhow::Result<u64> {
        let pool = self.queue_pool()?;
        let mut added = 0;
        for chunk in inputs.chunks(ENQUEUE_CHUNK) {
            added += sqlx::query(
                "INSERT INTO batch_jobs (batch, input)
                 SELECT $1, input FROM unnest($2::text[]) WITH ORDINALITY AS t(input, n)
                 ORDER BY n
                 ON CONFLICT (batch, input) DO NOTHING",
            )
            .bind(batch)
            .bind(chunk)
            .execute(pool)
            .await?
            .rows_affected();
        }
        Ok(added)
    }

    /// Claims up to `limit` waiting jobs of `batch` for `worker`, leased for
    /// `lease`, oldest first; rows other workers are claiming are skipped.
    pub async fn claim(
        &self,
        batch: &str,
        worker: &str,
        limit: usize,
        lease: Duration,
    ) -> anyhow::Result<Vec<ClaimedJob>> {
        let pool = self.queue_pool()?;
        let rows = sqlx::query(
            "UPDATE batch_jobs SET attempts = attempts + 1, worker = $3,
                 lease_until = now() + make_interval(secs => $4)
             WHERE id IN (
                 SELECT id FROM batch_jobs
                 WHERE batch = $1 AND done_at IS NULL
                   AND (lease_until IS NULL OR lease_until < now())
                 ORDER BY id LIMIT $2
                 FOR UPDATE SKIP LOCKED)
             RETURNING id, input, attempts",
        )
        .bind(batch)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind(worker)
        .bind(lease.as_secs_f64())
        .fetch_all(pool)
        .await?;
        let mut jobs: Vec<ClaimedJob> = rows
            .iter()
            .map(|r| ClaimedJob {
                id: r.get(0),
                input: r.get(1),
                attempts: r.get(2),
            })
            .collect();
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// Records job `id`'s result, with its report when there is one, in one
    /// transaction. False when the job already had its result (another
    /// worker claimed it after this one's lease expired and finished first):
    /// nothing is written then.
    pub async fn finish_job(&self, id: i64, result: JobResult<'_>) -> anyhow::Result<bool> {
        let pool = self.queue_pool()?;
        let mut tx = pool.begin().await?;
        let (report_id, failing, error) = match result {
            JobResult::Report { failing, .. } => {
                (Some(crate::http::random_id()), Some(failing), None)
            }
            JobResult::InputError(e) => (None, None, Some(e)),
        };
        // The row lock taken here makes a concurrent finisher wait, then
        // find `done_at` set and update nothing (READ COMMITTED re-checks).
        let updated = sqlx::query(
            "UPDATE batch_jobs SET done_at = now(), lease_until = NULL,
                 report_id = $2, failing = $3, error = $4
             WHERE id = $1 AND done_at IS NULL",
        )
        .bind(id)
        .bind(report_id.as_deref())
        .bind(failing)
        .bind(error)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let (
            JobResult::Report {
                json, expires_at, ..
            },
            Some(report_id),
        ) = (result, report_id)
        {
            // Nobody holds a delete token for a batch report: it leaves with
            // the retention sweep (or the operator's SQL).
            let token = crate::reports::token_hash(&crate::http::random_id());
            sqlx::query(
                "INSERT INTO reports (id, kind, report, delete_token_sha256, created_at, expires_at)
                 VALUES ($1, 'domain', $2, $3, $4, $5)",
            )
            .bind(&report_id)
            .bind(json)
            .bind(token)
            .bind(crate::now_rfc3339())
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// True while some job of `batch` has no result yet.
    pub async fn queue_unfinished(&self, batch: &str) -> anyhow::Result<bool> {
        let pool = self.queue_pool()?;
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM batch_jobs WHERE batch = $1 AND done_at IS NULL)",
        )
        .bind(batch)
        .fetch_one(pool)
        .await?)
    }

    /// Where `batch` stands (one scan of its rows).
    pub async fn queue_progress(&self, batch: &str) -> anyhow::Result<QueueProgress> {
        let pool = self.queue_pool()?;
        let row = sqlx::query(
            "SELECT count(*),
                 count(*) FILTER (WHERE done_at IS NOT NULL),
                 count(*) FILTER (WHERE failing),
                 count(*) FILTER (WHERE error IS NOT NULL),
                 count(*) FILTER (WHERE done_at IS NULL AND lease_until >= now()),
                 count(*) FILTER (WHERE attempts > 1)
             FROM batch_jobs WHERE batch = $1",
        )
        .bind(batch)
        .fetch_one(pool)
        .await?;
        let total: i64 = row.get(0);
        let done: i64 = row.get(1);
        let in_flight: i64 = row.get(4);
        Ok(QueueProgress {
            total,
            done,
            failing: row.get(2),
            input_errors: row.get(3),
            in_flight,
            waiting: total - done - in_flight,
            claimed_again: row.get(5),
        })
    }

    /// The results of `batch` in queue order, one JSON line each: the stored
    /// report, or `{"input", "error"}` (as `mxlens audit --batch` prints),
    /// passed to `each` as they stream from the database.
    pub async fn queue_results(
        &self,
        batch: &str,
        mut each: impl FnMut(&str) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        use futures::TryStreamExt;
        let pool = self.queue_pool()?;
        let mut rows = sqlx::query(
            "SELECT j.input, j.error, r.report FROM batch_jobs j
             LEFT JOIN reports r ON r.id = j.report_id
             WHERE j.batch = $1 AND j.done_at IS NOT NULL ORDER BY j.id",
        )
        .bind(batch)
        .fetch(pool);
        while let Some(row) = rows.try_next().await? {
            let input: String = row.get(0);
            let error: Option<String> = row.get(1);
            let report: Option<String> = row.get(2);
            let line = match (report, error) {
                (Some(report), _) => report,
                (None, Some(error)) => {
                    serde_json::json!({"input": input, "error": error}).to_string()
                }
                // The report expired and was swept.
                (None, None) => {
                    serde_json::json!({"input": input, "error": "report expired"}).to_string()
                }
            };
            each(&line)?;
        }
        Ok(())
    }
}
