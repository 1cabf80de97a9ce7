//! The store's schema migrations, in both dialects. Never edit a shipped
//! one; append a new version.

/// One schema migration, in both dialects. Never edit a shipped one;
/// append a new version.
pub(super) struct Migration {
    pub(super) version: i64,
    pub(super) sqlite: &'static str,
    pub(super) postgres: &'static str,
}

pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sqlite: "CREATE TABLE reports (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            report TEXT NOT NULL,
            delete_token_sha256 TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX reports_expires_at ON reports (expires_at);",
        // Times are RFC 3339 text compared as text, as in SQLite: the "C"
        // collation makes that byte order whatever the cluster's locale.
        postgres: r#"CREATE TABLE reports (
            id TEXT COLLATE "C" PRIMARY KEY,
            kind TEXT NOT NULL,
            report TEXT NOT NULL,
            delete_token_sha256 TEXT NOT NULL,
            created_at TEXT COLLATE "C" NOT NULL,
            expires_at TEXT COLLATE "C" NOT NULL
        );
        CREATE INDEX reports_expires_at ON reports (expires_at);"#,
    },
    Migration {
        version: 2,
        sqlite: "CREATE TRIGGER reports_immutable BEFORE UPDATE ON reports
        BEGIN SELECT RAISE(ABORT, 'reports are immutable'); END;",
        postgres: "CREATE FUNCTION mxlens_reports_immutable() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'reports are immutable'; END $$;
        CREATE TRIGGER reports_immutable BEFORE UPDATE ON reports
            FOR EACH ROW EXECUTE FUNCTION mxlens_reports_immutable();",
    },
    Migration {
        version: 3,
        // The batch work queue (issue #17 G2, store/queue.rs): one row per
        // domain of a named batch; a row is done when `done_at` is set, with
        // either the stored report's id or the reason the input is not a
        // domain. Only PostgreSQL runs the queue (`FOR UPDATE SKIP LOCKED`);
        // SQLite gets the same table so both schemas stay one version.
        sqlite: "CREATE TABLE batch_jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            batch TEXT NOT NULL,
            input TEXT NOT NULL,
            enqueued_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
            attempts INTEGER NOT NULL DEFAULT 0,
            worker TEXT,
            lease_until TEXT,
            done_at TEXT,
            report_id TEXT,
            failing BOOLEAN,
            error TEXT,
            UNIQUE (batch, input)
        );
        CREATE INDEX batch_jobs_todo ON batch_jobs (batch, id) WHERE done_at IS NULL;",
        postgres: r#"CREATE TABLE batch_jobs (
            id BIGSERIAL PRIMARY KEY,
            batch TEXT COLLATE "C" NOT NULL,
            input TEXT COLLATE "C" NOT NULL,
            enqueued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            attempts INTEGER NOT NULL DEFAULT 0,
            worker TEXT,
            lease_until TIMESTAMPTZ,
            done_at TIMESTAMPTZ,
            report_id TEXT COLLATE "C",
            failing BOOLEAN,
            error TEXT,
            UNIQUE (batch, input)
        );
        CREATE INDEX batch_jobs_todo ON batch_jobs (batch, id) WHERE done_at IS NULL;"#,
    },
    Migration {
        version: 4,
        // What a delivery report (issue #16) is recomputed from: the SMTP
        // transaction's facts (JSON) and the raw message (base64, as the
        // message may hold any octet). It goes with its report: deleting
        // or expiring the report deletes it (ON DELETE CASCADE).
        sqlite: "CREATE TABLE delivery_inputs (
            id TEXT PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
            facts TEXT NOT NULL,
            raw_base64 TEXT NOT NULL
        );",
        postgres: r#"CREATE TABLE delivery_inputs (
            id TEXT COLLATE "C" PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
            facts TEXT NOT NULL,
            raw_base64 TEXT NOT NULL
        );"#,
    },
    Migration {
        version: 5,
        // Live state shared by instances on PostgreSQL (issue #16, see
        // live.rs): a test address or a running audit (`live_logs`) and its
        // progress events (`live_events`, numbered from 1 per owner, the
        // last one marked). A test address is claimed once (`used_at`);
        // rows are swept at `gone_at`, their events with them. SQLite gets
        // the same tables (unused: one process) so both schemas stay one
        // version.
        sqlite: "CREATE TABLE live_logs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            token TEXT UNIQUE,
            address TEXT,
            expires_at TEXT NOT NULL,
            delete_token_sha256 TEXT,
            used_at TEXT,
            gone_at TEXT NOT NULL
        );
        CREATE INDEX live_logs_gone_at ON live_logs (gone_at);
        CREATE TABLE live_events (
            owner TEXT NOT NULL REFERENCES live_logs (id) ON DELETE CASCADE,
            seq BIGINT NOT NULL,
            name TEXT NOT NULL,
            data TEXT NOT NULL,
            last BOOLEAN NOT NULL,
            PRIMARY KEY (owner, seq)
        );",
        postgres: r#"CREATE TABLE live_logs (
            id TEXT COLLATE "C" PRIMARY KEY,
            kind TEXT NOT NULL,
            token TEXT COLLATE "C" UNIQUE,
            address TEXT,
            expires_at TEXT COLLATE "C" NOT NULL,
            delete_token_sha256 TEXT,
            used_at TEXT,
            gone_at TEXT COLLATE "C" NOT NULL
        );
        CREATE INDEX live_logs_gone_at ON live_logs (gone_at);
        CREATE TABLE live_events (
            owner TEXT COLLATE "C" NOT NULL REFERENCES live_logs (id) ON DELETE CASCADE,
            seq BIGINT NOT NULL,
            name TEXT NOT NULL,
            data TEXT NOT NULL,
            last BOOLEAN NOT NULL,
            PRIMARY KEY (owner, seq)
        );"#,
    },
];
