//! Live state shared by instances on PostgreSQL (issue #16): test
//! addresses and running audits (`live_logs`) with their progress events
//! (`live_events`, migration 5). Appending an event notifies
//! [`LIVE_CHANNEL`] with the owner's id (PostgreSQL `NOTIFY`, delivered at
//! commit), so the instance holding a browser's event stream reads it at
//! once (`crate::live`). SQLite runs everything in one process and never
//! calls these.

use sqlx::Row;

use super::{Backend, Pool, Store};

/// The `LISTEN`/`NOTIFY` channel; the payload is the owner's id.
pub const LIVE_CHANNEL: &str = "mxlens_live";

/// How often an append that lost a race for its sequence number (another
/// instance appended to the same owner at the same moment) is retried.
const APPEND_ATTEMPTS: usize = 5;

/// One shared log: a test address or an audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveLog {
    /// The public id.
    pub id: String,
    /// `test-address` or `audit`.
    pub kind: String,
    /// A test address's local part, lower-case.
    pub token: Option<String>,
    /// A test address's whole address.
    pub address: Option<String>,
    /// RFC 3339: a test address's expiry; an audit's keep-until.
    pub expires_at: String,
    /// A test address's report delete token, hashed.
    pub delete_token_sha256: Option<String>,
    /// True once claimed (a message taken) or closed at expiry.
    pub used: bool,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEvent {
    /// 1, 2, … per owner, without gaps.
    pub seq: i64,
    /// The SSE event name.
    pub name: String,
    /// The JSON data.
    pub data: String,
    /// The log's last event.
    pub last: bool,
}

/// The columns of a [`LiveLog`] (a macro, for `concat!`: sqlx takes
/// only static SQL).
macro_rules! select_log {
    ($where:literal) => {
        concat!(
            "SELECT id, kind, token, address, expires_at, delete_token_sha256, used_at IS NOT NULL FROM live_logs WHERE ",
            $where
        )
    };
}

/// A `live_logs` row of `select_log!` as a [`LiveLog`] (a macro: the
/// row type differs per driver).
macro_rules! log_from_row {
    ($r:expr) => {
        LiveLog {
            id: $r.get(0),
            kind: $r.get(1),
            token: $r.get(2),
            address: $r.get(3),
            expires_at: $r.get(4),
            delete_token_sha256: $r.get(5),
            used: $r.get(6),
        }
    };
}

impl Store {
    /// Records a shared log, swept at `gone_at` (RFC 3339).
    pub async fn put_live_log(&self, log: &LiveLog, gone_at: &str) -> Result<(), sqlx::Error> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO live_logs (id, kind, token, address, expires_at, delete_token_sha256, gone_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&log.id)
            .bind(&log.kind)
            .bind(log.token.as_deref().map(str::to_ascii_lowercase))
            .bind(&log.address)
            .bind(&log.expires_at)
            .bind(&log.delete_token_sha256)
            .bind(gone_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The shared log `id`.
    pub async fn get_live_log(&self, id: &str) -> Result<Option<LiveLog>, sqlx::Error> {
        with_pool!(self, pool => {
            Ok(sqlx::query(select_log!("id = $1")).bind(id).fetch_optional(pool).await?.map(|r| log_from_row!(r)))
        })
    }

    /// The test address with local part `token` (any case).
    pub async fn live_log_by_token(&self, token: &str) -> Result<Option<LiveLog>, sqlx::Error> {
        with_pool!(self, pool => {
            Ok(sqlx::query(select_log!("token = $1"))
                .bind(token.to_ascii_lowercase())
                .fetch_optional(pool)
                .await?
                .map(|r| log_from_row!(r)))
        })
    }

    /// Claims test address `id` for one message: true for exactly one
    /// caller across every instance, while it is unused and `expires_at >
    /// now` (one atomic `UPDATE … RETURNING`).
    pub async fn claim_live_log(&self, id: &str, now: &str) -> Result<bool, sqlx::Error> {
        self.close_live_log(id, now, true).await
    }

    /// Closes test address `id` at its expiry: true for exactly one caller,
    /// when it is unused and `expires_at <= now`. A closed address can no
    /// longer be claimed, so `expired` and a report never both happen.
    pub async fn expire_live_log(&self, id: &str, now: &str) -> Result<bool, sqlx::Error> {
        self.close_live_log(id, now, false).await
    }

    /// Marks `id` used when unused and live (`live`) or expired (`!live`).
    async fn close_live_log(&self, id: &str, now: &str, live: bool) -> Result<bool, sqlx::Error> {
        let sql = if live {
            "UPDATE live_logs SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2 RETURNING id"
        } else {
            "UPDATE live_logs SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at <= $2 RETURNING id"
        };
        with_pool!(self, pool => {
            let row: Option<String> = sqlx::query_scalar(sql)
                .bind(id)
                .bind(now)
                .fetch_optional(pool)
                .await?;
            Ok(row.is_some())
        })
    }

    /// Appends an event to `owner`'s log and notifies [`LIVE_CHANNEL`] in
    /// the same transaction. Returns its sequence number, or `None` when
    /// the log already ended (a last event is stored) or is gone.
    pub async fn append_live_event(
        &self,
        owner: &str,
        name: &str,
        data: &str,
        last: bool,
    ) -> Result<Option<i64>, sqlx::Error> {
        // The next number is MAX + 1: two instances appending at once
        // compute the same one, the second fails on the primary key and
        // retries, so numbers have no gaps and commit in order (a reader
        // that saw N has seen every event before N).
        const SQL: &str = "INSERT INTO live_events (owner, seq, name, data, last)
            SELECT $1, COALESCE(MAX(e.seq), 0) + 1, $2, $3, $4
            FROM live_logs l LEFT JOIN live_events e ON e.owner = l.id
            WHERE l.id = $1
            GROUP BY l.id
            HAVING COALESCE(MAX(CASE WHEN e.last THEN 1 ELSE 0 END), 0) = 0
            RETURNING seq";
        let notify = self.backend() == Backend::Postgres;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result: Result<Option<i64>, sqlx::Error> = with_pool!(self, pool => {
                async {
                    let mut tx = pool.begin().await?;
                    let seq: Option<i64> = sqlx::query_scalar(SQL)
                        .bind(owner)
                        .bind(name)
                        .bind(data)
                        .bind(last)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if notify && seq.is_some() {
                        sqlx::query("SELECT pg_notify($1, $2)")
                            .bind(LIVE_CHANNEL)
                            .bind(owner)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(seq)
                }
                .await
            });
            match result {
                Err(sqlx::Error::Database(e))
                    if e.is_unique_violation() && attempt < APPEND_ATTEMPTS =>
                {
                    continue
                }
                other => return other,
            }
        }
    }

    /// `owner`'s events after sequence number `after`, in order.
    pub async fn live_events_after(
        &self,
        owner: &str,
        after: i64,
    ) -> Result<Vec<LiveEvent>, sqlx::Error> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT seq, name, data, last FROM live_events WHERE owner = $1 AND seq > $2 ORDER BY seq",
            )
            .bind(owner)
            .bind(after)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .iter()
                .map(|r| LiveEvent {
                    seq: r.get(0),
                    name: r.get(1),
                    data: r.get(2),
                    last: r.get(3),
                })
                .collect())
        })
    }

    /// Deletes the shared logs (and their events) with `gone_at <= now`.
    pub async fn delete_gone_live_logs(&self, now: &str) -> Result<u64, sqlx::Error> {
        with_pool!(self, pool => {
            Ok(sqlx::query("DELETE FROM live_logs WHERE gone_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected())
        })
    }

    /// The PostgreSQL pool, for `LISTEN` (`None` on SQLite).
    pub fn pg_pool(&self) -> Option<&sqlx::PgPool> {
        match &self.pool {
            Pool::Postgres(pool) => Some(pool),
            Pool::Sqlite(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(id: &str, token: &str, expires_at: &str) -> LiveLog {
        LiveLog {
            id: id.into(),
            kind: "test-address".into(),
            token: Some(token.into()),
            address: Some(format!("{token}@test.example")),
            expires_at: expires_at.into(),
            delete_token_sha256: Some("h".into()),
            used: false,
        }
    }

    /// The SQL is the same on both backends; SQLite checks it here, the
    /// integration tests run it on PostgreSQL across instances.
    #[tokio::test]
    async fn claims_once_expires_once_and_numbers_events_until_the_last() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let log = address("a1", "TokA", "2026-01-01T01:00:00Z");
        store
            .put_live_log(&log, "2026-01-01T02:00:00Z")
            .await
            .unwrap();
        let got = store.live_log_by_token("toka").await.unwrap().unwrap();
        assert_eq!(got.token.as_deref(), Some("toka"));
        assert!(!got.used);
        assert!(!store
            .expire_live_log("a1", "2026-01-01T00:59:59Z")
            .await
            .unwrap());
        assert!(store
            .claim_live_log("a1", "2026-01-01T00:30:00Z")
            .await
            .unwrap());
        assert!(!store
            .claim_live_log("a1", "2026-01-01T00:30:00Z")
            .await
            .unwrap());
        assert!(!store
            .expire_live_log("a1", "2026-01-01T01:00:00Z")
            .await
            .unwrap());
        assert!(store.get_live_log("a1").await.unwrap().unwrap().used);

        let b = address("b1", "tokb", "2026-01-01T01:00:00Z");
        store
            .put_live_log(&b, "2026-01-01T02:00:00Z")
            .await
            .unwrap();
        assert!(store
            .expire_live_log("b1", "2026-01-01T01:00:00Z")
            .await
            .unwrap());
        assert!(!store
            .claim_live_log("b1", "2026-01-01T00:30:00Z")
            .await
            .unwrap());

        assert_eq!(
            store
                .append_live_event("a1", "waiting", "{}", false)
                .await
                .unwrap(),
            Some(1)
        );
        assert_eq!(
            store
                .append_live_event("a1", "report", "{}", true)
                .await
                .unwrap(),
            Some(2)
        );
        assert_eq!(
            store
                .append_live_event("a1", "failed", "{}", true)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .append_live_event("nope", "waiting", "{}", false)
                .await
                .unwrap(),
            None
        );
        let events = store.live_events_after("a1", 1).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].seq, events[0].name.as_str(), events[0].last),
            (2, "report", true)
        );

        assert_eq!(
            store
                .delete_gone_live_logs("2026-01-01T02:00:00Z")
                .await
                .unwrap(),
            2
        );
        assert!(store.live_events_after("a1", 0).await.unwrap().is_empty());
    }
}
