//! `mxlens audit --queue` (issue #17 G2): two worker processes share a batch
//! on a private PostgreSQL, against the loopback test DNS server; one is
//! killed with SIGKILL mid-batch. Every domain must end with exactly one
//! result, the killed worker's in-flight domains audited again by the other.

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use mxlens_tests::cli::mxlens;
use mxlens_tests::dns::{Fault, TestDns};
use mxlens_tests::postgres::TestPostgres;
use serde_json::Value;
use sqlx::Row;

use crate::cli_batch::strip_timing;

fn worker(url: &str, ns: &str) -> Child {
    mxlens(&[
        "audit",
        "--queue",
        url,
        "--queue-batch",
        "t",
        "--lease-secs",
        "2",
        "--batch-concurrency",
        "4",
        "--no-smtp",
        "--nameserver",
        ns,
        "--dns-timeout-ms",
        "1500",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap()
}

/// Waits for `child` to exit, at most `limit`.
async fn wait(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let until = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < until,
            "worker still running after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn run(args: &[&str]) -> String {
    let out = mxlens(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

// Multi-threaded: the in-process DNS server answers while this test waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_one_killed_every_domain_gets_exactly_one_result() {
    let pg = TestPostgres::start().await.unwrap();
    let url = pg.create_database("queue").await.unwrap();
    let dns = TestDns::start_fixtures(&["audit.test"]).await.unwrap();
    // Slow answers, so that audits are in flight when a worker is killed.
    dns.set_fault("", Fault::Delay(Duration::from_millis(80)));
    let ns = dns.addr.to_string();

    let mut domains: Vec<String> = (0..40).map(|i| format!("d{i}.audit.test")).collect();
    domains.push("good.audit.test".into());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("domains.txt");
    let mut text = domains.join("\n");
    // A repeat (one job), a different spelling of a domain (one job) and a
    // line that is not a domain (a result of its own: the error).
    text.push_str("\nd0.audit.test\nGOOD.Audit.Test.\nnot a domain!\n");
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    let queue = ["--queue", url.as_str(), "--queue-batch", "t"];
    let out = run(&[&["queue", "enqueue"][..], &queue, &[file]].concat());
    assert_eq!(out.trim(), "batch t: 42 domains added, 0 already queued");
    // Enqueuing again (a re-run after a crash) adds nothing.
    let out = run(&[&["queue", "enqueue"][..], &queue, &[file]].concat());
    assert_eq!(out.trim(), "batch t: 0 domains added, 42 already queued");

    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let mut a = worker(&url, &ns);
    let mut b = worker(&url, &ns);
    let a_name = format!("{}:{}", hostname(), a.id());
    // Kill A once the batch is under way and A holds leases.
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let row = sqlx::query(
            "SELECT count(*) FILTER (WHERE done_at IS NOT NULL),
                    count(*) FILTER (WHERE done_at IS NULL AND worker = $1)
             FROM batch_jobs WHERE batch = 't'",
        )
        .bind(&a_name)
        .fetch_one(&db)
        .await
        .unwrap();
        let (done, held_by_a): (i64, i64) = (row.get(0), row.get(1));
        if done >= 8 && held_by_a > 0 {
            break;
        }
        assert!(done < 42, "the batch finished before A could be killed");
        assert!(Instant::now() < until, "the batch does not progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.kill().unwrap(); // SIGKILL
    a.wait().unwrap();
    let orphaned: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM batch_jobs WHERE batch = 't' AND done_at IS NULL AND worker = $1",
    )
    .bind(&a_name)
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(!orphaned.is_empty(), "A held no lease when killed");

    let status = wait(&mut b, Duration::from_secs(120)).await;
    let stderr = std::io::read_to_string(b.stderr.take().unwrap()).unwrap();
    assert!(matches!(status.code(), Some(0 | 1)), "{status}: {stderr}");

    // Every job has exactly one result: a report or an input error.
    let rows = sqlx::query(
        "SELECT id, input, report_id, error, worker, attempts, done_at IS NOT NULL
         FROM batch_jobs WHERE batch = 't' ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 42);
    let mut report_ids = BTreeMap::new();
    for row in &rows {
        let (id, input): (i64, String) = (row.get(0), row.get(1));
        let report_id: Option<String> = row.get(2);
        let error: Option<String> = row.get(3);
        assert!(row.get::<bool, _>(6), "{input} has no result");
        if input == "not a domain!" {
            assert!(report_id.is_none() && error.is_some(), "{input}");
            continue;
        }
        assert!(error.is_none(), "{input}: {error:?}");
        report_ids.insert(report_id.expect("a report"), input.clone());
        if orphaned.contains(&id) {
            let worker: String = row.get(4);
            assert_ne!(worker, a_name, "{input} was finished by the other worker");
            assert!(row.get::<i32, _>(5) >= 2, "{input} was claimed again");
        }
    }
    assert_eq!(report_ids.len(), 41);
    // The store holds exactly those reports: none from a discarded repeat.
    let stored = sqlx::query("SELECT id, report FROM reports")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 41);
    for row in &stored {
        let (id, report): (String, String) = (row.get(0), row.get(1));
        let report: Value = serde_json::from_str(&report).unwrap();
        assert_eq!(
            report["domain"]["name"].as_str(),
            Some(report_ids[&id].as_str())
        );
    }

    let progress: Value =
        serde_json::from_str(&run(
            &[&["queue", "progress", "--json"][..], &queue].concat()
        ))
        .unwrap();
    assert_eq!(progress["total"], 42);
    assert_eq!(progress["done"], 42);
    assert_eq!(progress["input_errors"], 1);
    assert_eq!(progress["in_flight"], 0);
    assert_eq!(progress["waiting"], 0);
    assert!(progress["claimed_again"].as_i64().unwrap() >= orphaned.len() as i64);

    // `queue results` prints one line per job, in file order; a queued
    // report is the report a single audit gives.
    let results = run(&[&["queue", "results"][..], &queue].concat());
    let lines: Vec<Value> = results
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 42);
    assert_eq!(lines[0]["domain"]["name"], "d0.audit.test");
    assert_eq!(lines[41]["input"], "not a domain!");
    let mut queued = lines[40].clone();
    assert_eq!(queued["domain"]["name"], "good.audit.test");
    let single = mxlens(&[
        "audit",
        "good.audit.test",
        "--json",
        "--no-smtp",
        "--nameserver",
        &ns,
        "--dns-timeout-ms",
        "1500",
    ])
    .output()
    .unwrap();
    let mut single: Value =
        serde_json::from_slice(&single.stdout).unwrap_or_else(|e| panic!("{e}: {single:?}"));
    strip_timing(&mut single);
    strip_timing(&mut queued);
    assert_eq!(queued, single);
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}
