//! The report store: embedded SQLite by default (WAL mode, durable commits),
//! or PostgreSQL for deployments that run several mxlens instances behind a
//! load balancer. Both get the same schema-version table, the same
//! migrations and the same behaviour: reports are immutable once written
//! (an `UPDATE` trigger refuses changes), expire, and are swept in small
//! batches that several instances can run at once.
//!
//! Queries are written once with `$N` placeholders, which both drivers
//! accept (SQLite numbers `?NNN`/`$NNN` parameters itself); only DDL and the
//! sweep differ per dialect.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Row, SqlitePool};

mod migrations;
pub mod queue;

use migrations::MIGRATIONS;

/// PostgreSQL advisory-lock key that serialises migrations across
/// instances starting at once ("mxlens" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x6d78_6c65_6e73;

/// Rows the retention sweep deletes per statement: short transactions, so a
/// sweep never holds many row locks or a long write lock.
const SWEEP_BATCH: i64 = 500;

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (`sqlite://PATH`).
    Sqlite,
    /// PostgreSQL (`postgres://…` or `postgresql://…`).
    Postgres,
}

impl Backend {
    /// The backend a `--database-url` names, if any.
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool the store has; the
/// body is compiled once per driver, so it stays fully typed.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

mod delivery;
pub mod live;

/// A handle to the store; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
}

/// A stored report row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    /// The public id.
    pub id: String,
    /// The report JSON as stored.
    pub report_json: String,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// `url` with any password replaced by `***`, for logs and error messages.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    // libpq also takes `?password=…`.
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

impl Store {
    /// Opens the store at `url` and applies migrations: `sqlite://PATH`
    /// (created if needed) or `sqlite::memory:`, or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        let pool = match Backend::from_url(url) {
            Some(Backend::Sqlite) => Pool::Sqlite(open_sqlite(url).await?),
            Some(Backend::Postgres) => Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect(url)
                    .await?,
            ),
            None => anyhow::bail!(
                "unsupported --database-url \"{}\": use sqlite://PATH or postgres://USER@HOST/DATABASE",
                redacted_url(url)
            ),
        };
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations not yet recorded in `schema_migrations`, all in
    /// one transaction. On SQLite that transaction is `IMMEDIATE`; on
    /// PostgreSQL a transaction-scoped advisory lock
    /// makes instances that start together take turns: the second one finds
    /// the versions recorded and applies nothing. (Without it, two
    /// concurrent `CREATE TABLE IF NOT EXISTS` can both fail or both run.)
    async fn migrate(&self) -> anyhow::Result<()> {
        let backend = self.backend();
        // SQLite: take the write lock up front (waiting out the busy
        // timeout), so processes opening one file together take turns too.
        let begin = match backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        let applied = with_pool!(self, pool => {
            let mut tx = pool.begin_with(begin).await?;
            if backend == Backend::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(MIGRATION_LOCK_KEY)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
            )
            .execute(&mut *tx)
            .await?;
            let mut applied = Vec::new();
            for migration in MIGRATIONS {
                let done: Option<i64> =
                    sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                        .bind(migration.version)
                        .fetch_optional(&mut *tx)
                        .await?;
                if done.is_some() {
                    continue;
                }
                let sql = match backend {
                    Backend::Sqlite => migration.sqlite,
                    Backend::Postgres => migration.postgres,
                };
                sqlx::raw_sql(sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                    .bind(migration.version)
                    .bind(crate::now_rfc3339())
                    .execute(&mut *tx)
                    .await?;
                applied.push(migration.version);
            }
            tx.commit().await?;
            applied
        });
        for version in applied {
            tracing::info!(version, ?backend, "applied store migration");
        }
        Ok(())
    }

    /// The schema versions recorded as applied, ascending.
    pub async fn schema_versions(&self) -> Result<Vec<i64>, sqlx::Error> {
        with_pool!(self, pool => {
            sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
                .fetch_all(pool)
                .await
        })
    }

    /// True when the store answers.
    pub async fn ping(&self) -> bool {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }

    /// Stores a report; ids never repeat (a repeated id is an error).
    pub async fn put_report(
        &self,
        id: &str,
        kind: &str,
        report_json: &str,
        delete_token_sha256: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<(), sqlx::Error> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO reports (id, kind, report, delete_token_sha256, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(kind)
            .bind(report_json)
            .bind(delete_token_sha256)
            .bind(created_at)
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Bytes of report JSON in the store, expired rows not yet swept
    /// included (the store quota, #19 H2).
    pub async fn report_bytes(&self) -> Result<u64, sqlx::Error> {
        let sql = match self.backend() {
            Backend::Sqlite => "SELECT COALESCE(SUM(LENGTH(CAST(report AS BLOB))), 0) FROM reports",
            Backend::Postgres => {
                "SELECT COALESCE(SUM(octet_length(report)), 0)::BIGINT FROM reports"
            }
        };
        let bytes: i64 = with_pool!(self, pool => {
            sqlx::query_scalar(sql).fetch_one(pool).await?
        });
        Ok(u64::try_from(bytes).unwrap_or(0))
    }

    /// Fetches a report by id.
    pub async fn get_report(&self, id: &str) -> Result<Option<StoredReport>, sqlx::Error> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT id, report, created_at FROM reports WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|r| StoredReport {
                id: r.get(0),
                report_json: r.get(1),
                created_at: r.get(2),
            }))
        })
    }

    /// Fetches a report by id unless it expired (`expires_at <= now`, both
    /// RFC 3339 UTC with the same precision, so they compare as text).
    pub async fn get_live_report(
        &self,
        id: &str,
        now: &str,
    ) -> Result<Option<StoredReport>, sqlx::Error> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT id, report, created_at FROM reports WHERE id = $1 AND expires_at > $2",
            )
            .bind(id)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|r| StoredReport {
                id: r.get(0),
                report_json: r.get(1),
                created_at: r.get(2),
            }))
        })
    }

    /// The SHA-256 (hex) of a live report's delete token.
    pub async fn delete_token_hash(
        &self,
        id: &str,
        now: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT delete_token_sha256 FROM reports WHERE id = $1 AND expires_at > $2",
            )
            .bind(id)
            .bind(now)
            .fetch_optional(pool)
            .await
        })
    }

    /// Deletes a report; true when a row went.
    pub async fn delete_report(&self, id: &str) -> Result<bool, sqlx::Error> {
        with_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM reports WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Deletes every report with `expires_at <= now`; returns how many this
    /// call deleted. It deletes in batches of [`SWEEP_BATCH`] rows, each its
    /// own short statement. On PostgreSQL each batch skips rows another
    /// sweeper (another instance) has locked (`FOR UPDATE SKIP LOCKED`), so
    /// concurrent sweeps share the work and never wait on or deadlock with
    /// each other; on SQLite writers are serialised anyway.
    pub async fn delete_expired(&self, now: &str) -> Result<u64, sqlx::Error> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "DELETE FROM reports WHERE id IN
                    (SELECT id FROM reports WHERE expires_at <= $1 LIMIT $2)"
            }
            Backend::Postgres => {
                "DELETE FROM reports WHERE id IN
                    (SELECT id FROM reports WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
            }
        };
        let mut total = 0;
        loop {
            let deleted = with_pool!(self, pool => {
                sqlx::query(sql)
                    .bind(now)
                    .bind(SWEEP_BATCH)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
            total += deleted;
            if deleted < SWEEP_BATCH as u64 {
                return Ok(total);
            }
        }
    }
}

async fn open_sqlite(url: &str) -> anyhow::Result<SqlitePool> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .filter(|p| !p.starts_with(":memory:"))
    {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
    }
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a commit that returned is on disk, even across power loss.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    // Switching a new database to WAL takes an exclusive lock that SQLite's
    // busy handler does not wait for: the `PRAGMA journal_mode` of one of
    // several instances opening a fresh database at once gets SQLITE_BUSY
    // ("database is locked") at once. Retry that, as `busy_timeout` would,
    // within the same 5 s.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut pause = Duration::from_millis(10);
    loop {
        match SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await
        {
            Err(e) if is_sqlite_busy(&e) && tokio::time::Instant::now() + pause < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(250));
            }
            other => return Ok(other?),
        }
    }
}

/// SQLITE_BUSY (5) or one of its extended codes (`(n << 8) | 5`).
fn is_sqlite_busy(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == 5)
}

#[cfg(test)]
mod tests;
