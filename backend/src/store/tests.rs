//! The store on SQLite files: migrations, round trips, expiry, several
//! instances at once.

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

/// Four instances opening one new database at once, 40 times over:
/// before `open_sqlite` retried the switch to WAL (an exclusive lock
/// SQLite's busy handler does not wait for), about 2% of these opens
/// failed with "database is locked" on this machine (3 of 160).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_opening_a_fresh_database_at_once_all_succeed() {
    let root = std::env::temp_dir().join(format!("mxlens-store-fresh-{}", std::process::id()));
    for round in 0..40 {
        let dir = root.join(round.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/t.db", dir.display());
        let opened = futures::future::join_all((0..4).map(|_| Store::open(&url))).await;
        for store in opened {
            let store = store.unwrap_or_else(|e| panic!("round {round}: {e:#}"));
            assert!(store.ping().await);
        }
    }
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn passwords_are_redacted_from_urls() {
    for (url, want) in [
        ("sqlite://data/mxlens.db", "sqlite://data/mxlens.db"),
        (
            "postgres://mx:s3cret@db:5432/mxlens",
            "postgres://mx:***@db:5432/mxlens",
        ),
        ("postgres://mx@db/mxlens", "postgres://mx@db/mxlens"),
        (
            "postgresql://db/mxlens?user=mx&password=s3cret&sslmode=require",
            "postgresql://db/mxlens?user=mx&password=***&sslmode=require",
        ),
        ("mysql://a:b@c", "mysql://a:***@c"),
    ] {
        assert_eq!(redacted_url(url), want, "{url}");
    }
    assert_eq!(Backend::from_url("postgresql://x"), Some(Backend::Postgres));
    assert_eq!(Backend::from_url("sqlite::memory:"), Some(Backend::Sqlite));
    assert_eq!(Backend::from_url("mysql://x"), None);
}

#[tokio::test]
async fn a_version_1_database_is_migrated_and_rows_are_immutable() {
    let dir = tempfile_dir("v1");
    let url = format!("sqlite://{}/v1.db", dir.display());
    // A database as the first release left it: version 1 only.
    {
        let pool = open_sqlite(&url).await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
             INSERT INTO schema_migrations VALUES (1, '2026-01-01T00:00:00Z');",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::raw_sql(MIGRATIONS[0].sqlite)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert_eq!(store.schema_versions().await.unwrap(), [1, 2, 3, 4, 5]);
    store
        .put_report(
            "x",
            "message",
            "{}",
            "h",
            "2026-01-01T00:00:00Z",
            "2026-02-01T00:00:00Z",
        )
        .await
        .unwrap();
    let Pool::Sqlite(pool) = &store.pool else {
        unreachable!()
    };
    let update = sqlx::query("UPDATE reports SET report = '{\"score\":100}' WHERE id = 'x'")
        .execute(pool)
        .await;
    assert!(
        update.unwrap_err().to_string().contains("immutable"),
        "an UPDATE must be refused"
    );
    assert!(store
        .put_report("x", "message", "{}", "h", "a", "b")
        .await
        .is_err());
    assert_eq!(
        store.get_report("x").await.unwrap().unwrap().report_json,
        "{}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("mxlens-store-{tag}-{}", std::process::id()))
}

#[tokio::test]
async fn the_sweep_deletes_in_batches() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    for n in 0..(SWEEP_BATCH * 2 + 7) {
        store
            .put_report(
                &format!("r{n}"),
                "message",
                "{}",
                "h",
                "2026-01-01T00:00:00Z",
                "2026-01-02T00:00:00Z",
            )
            .await
            .unwrap();
    }
    store
        .put_report(
            "live",
            "message",
            "{}",
            "h",
            "2026-01-01T00:00:00Z",
            "2027-01-01T00:00:00Z",
        )
        .await
        .unwrap();
    assert_eq!(
        store.delete_expired("2026-06-01T00:00:00Z").await.unwrap(),
        (SWEEP_BATCH * 2 + 7) as u64
    );
    assert!(store.get_report("live").await.unwrap().is_some());
}
