//! The report store: embedded SQLite by default (WAL mode, durable commits,
//! migrations). Reports are immutable once written.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

/// Schema migrations, applied in order once each. Never edit a shipped one;
/// append a new version.
const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        report TEXT NOT NULL,
        delete_token_sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX reports_expires_at ON reports (expires_at);",
)];

/// A handle to the store; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
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

impl Store {
    /// Opens (creating if needed) the database at `url`
    /// (`sqlite://path/to.db` or `sqlite::memory:`) and applies migrations.
    pub async fn open(url: &str) -> anyhow::Result<Self> {
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
        if !url.starts_with("sqlite:") {
            anyhow::bail!("unsupported --database-url \"{url}\": use sqlite://PATH");
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit that returned is on disk, even across power loss.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        for (version, sql) in MIGRATIONS {
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
            if done.is_some() {
                continue;
            }
            let mut tx = self.pool.begin().await?;
            sqlx::raw_sql(*sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
                .bind(version)
                .bind(crate::now_rfc3339())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(version, "applied store migration");
        }
        Ok(())
    }

    /// True when the store answers.
    pub async fn ping(&self) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .is_ok()
    }

    /// Stores a report; ids never repeat.
    pub async fn put_report(
        &self,
        id: &str,
        kind: &str,
        report_json: &str,
        delete_token_sha256: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO reports (id, kind, report, delete_token_sha256, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(kind)
        .bind(report_json)
        .bind(delete_token_sha256)
        .bind(created_at)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Fetches a report by id.
    pub async fn get_report(&self, id: &str) -> Result<Option<StoredReport>, sqlx::Error> {
        let row = sqlx::query("SELECT id, report, created_at FROM reports WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| StoredReport {
            id: r.get(0),
            report_json: r.get(1),
            created_at: r.get(2),
        }))
    }

    /// Fetches a report by id unless it expired (`expires_at <= now`, both
    /// RFC 3339 UTC with the same precision, so they compare as text).
    pub async fn get_live_report(
        &self,
        id: &str,
        now: &str,
    ) -> Result<Option<StoredReport>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, report, created_at FROM reports WHERE id = ? AND expires_at > ?",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| StoredReport {
            id: r.get(0),
            report_json: r.get(1),
            created_at: r.get(2),
        }))
    }

    /// The SHA-256 (hex) of a live report's delete token.
    pub async fn delete_token_hash(
        &self,
        id: &str,
        now: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT delete_token_sha256 FROM reports WHERE id = ? AND expires_at > ?",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
    }

    /// Deletes a report; true when a row went.
    pub async fn delete_report(&self, id: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM reports WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes every report with `expires_at <= now`; returns how many.
    pub async fn delete_expired(&self, now: &str) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM reports WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrates_and_round_trips() {
        let dir = std::env::temp_dir().join(format!("mxlens-store-{}", std::process::id()));
        let url = format!("sqlite://{}/t.db", dir.display());
        let store = Store::open(&url).await.unwrap();
        assert!(store.ping().await);
        store
            .put_report(
                "abc",
                "message",
                "{\"x\":1}",
                "h",
                "2026-01-01T00:00:00Z",
                "2026-02-01T00:00:00Z",
            )
            .await
            .unwrap();
        drop(store);
        // Reopening applies no migration twice and keeps the row.
        let store = Store::open(&url).await.unwrap();
        let got = store.get_report("abc").await.unwrap().unwrap();
        assert_eq!(got.report_json, "{\"x\":1}");
        assert!(store.get_report("nope").await.unwrap().is_none());
        // Expiry: live before expires_at, gone at and after it.
        assert!(store
            .get_live_report("abc", "2026-01-31T23:59:59Z")
            .await
            .unwrap()
            .is_some());
        assert!(store
            .get_live_report("abc", "2026-02-01T00:00:00Z")
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            store
                .delete_token_hash("abc", "2026-01-02T00:00:00Z")
                .await
                .unwrap()
                .as_deref(),
            Some("h")
        );
        assert_eq!(
            store.delete_expired("2026-01-15T00:00:00Z").await.unwrap(),
            0
        );
        assert_eq!(
            store.delete_expired("2026-02-01T00:00:00Z").await.unwrap(),
            1
        );
        assert!(store.get_report("abc").await.unwrap().is_none());
        assert!(!store.delete_report("abc").await.unwrap());
        let _ = std::fs::remove_dir_all(dir);
    }
}
