//! `mxlens audit --batch FILE` against a real DNS server on loopback: one
//! JSON line per domain, each the same report as `mxlens audit DOMAIN`
//! gives, audits spread over the runtime (issue #17 G1).

use std::collections::BTreeMap;

use mxlens_tests::cli::mxlens;
use mxlens_tests::dns::TestDns;
use serde_json::Value;

/// Drops the values that depend on when or how fast the audit ran.
pub(crate) fn strip_timing(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !k.ends_with("_ms") && !k.ends_with("_at"));
            map.values_mut().for_each(strip_timing);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_timing),
        _ => {}
    }
}

fn common_args(ns: &str) -> Vec<String> {
    [
        "--json",
        "--no-smtp",
        "--nameserver",
        ns,
        "--dns-timeout-ms",
        "1500",
    ]
    .map(String::from)
    .to_vec()
}

// Multi-threaded: the CLI child blocks this thread while the in-process
// DNS server must keep answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_gives_one_line_per_domain_equal_to_single_audits() {
    let dns = TestDns::start_fixtures(&["audit.test", "spf.test"])
        .await
        .unwrap();
    let ns = dns.addr.to_string();
    let domains = ["audit.test", "spf.test", "nothere.audit.test"];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("domains.txt");
    let mut text = String::from("# a comment\n\n");
    for d in domains {
        text.push_str(&format!("  {d}  \n"));
    }
    text.push_str("not a domain!\n");
    std::fs::write(&file, text).unwrap();

    let mut args = vec!["audit".to_string(), "--batch".into()];
    args.push(file.to_str().unwrap().into());
    args.extend(["--batch-concurrency".into(), "2".into()]);
    args.extend(common_args(&ns));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = mxlens(&argv).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{out:?}\n{stdout}"
    );
    let mut by_domain: BTreeMap<String, Value> = BTreeMap::new();
    let mut errors = Vec::new();
    for line in stdout.lines() {
        let mut v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if let Some(input) = v.get("error").and(v.get("input")) {
            errors.push(input.as_str().unwrap().to_string());
            continue;
        }
        let domain = v["domain"]["name"]
            .as_str()
            .unwrap_or_else(|| panic!("a report names its domain: {line}"))
            .to_string();
        strip_timing(&mut v);
        assert!(by_domain.insert(domain, v).is_none(), "one line per domain");
    }
    assert_eq!(errors, ["not a domain!"]);
    assert_eq!(by_domain.keys().map(String::as_str).collect::<Vec<_>>(), {
        let mut d = domains.to_vec();
        d.sort();
        d
    });
    for domain in domains {
        let mut args = vec!["audit".to_string(), domain.into()];
        args.extend(common_args(&ns));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = mxlens(&argv).output().unwrap();
        let mut single: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
        strip_timing(&mut single);
        assert_eq!(by_domain[domain], single, "{domain}");
    }
}

/// The selectors of the `dkim.key` checks in a JSON report.
pub(crate) fn dkim_subjects(report: &Value) -> Vec<String> {
    let mut subjects: Vec<String> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == "dkim.key")
        .map(|c| c["subject"].as_str().unwrap().to_string())
        .collect();
    subjects.dedup();
    subjects
}

/// Issue #17 G1: the common DKIM selectors are guessed only when no
/// --selector is given, or with --guess-selectors; single and batch audits
/// alike. bad.audit.test publishes a key at `s1` (a common selector) and a
/// revoked one at `old` (not common).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn common_selectors_are_guessed_only_without_selectors_or_when_asked() {
    let dns = TestDns::start_fixtures(&["audit.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("domains.txt");
    std::fs::write(&file, "bad.audit.test\n").unwrap();
    let guessed = "google._domainkey.bad.audit.test";
    for (flags, subjects, guesses) in [
        (&[][..], &["s1"][..], 1),
        (&["--selector", "old"][..], &["old"][..], 0),
        (
            &["--selector", "old", "--guess-selectors"][..],
            &["old", "s1"][..],
            1,
        ),
    ] {
        for batch in [false, true] {
            let mut args = vec!["audit".to_string()];
            if batch {
                args.extend(["--batch".into(), file.to_str().unwrap().into()]);
            } else {
                args.push("bad.audit.test".into());
            }
            args.extend(flags.iter().map(|f| f.to_string()));
            args.extend(common_args(&ns));
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let before = dns.queries_for(guessed);
            let out = mxlens(&argv).output().unwrap();
            let report: Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{e}: {flags:?} batch={batch} {out:?}"));
            assert_eq!(dkim_subjects(&report), subjects, "{flags:?} batch={batch}");
            assert_eq!(
                dns.queries_for(guessed) - before,
                guesses,
                "{flags:?} batch={batch}"
            );
        }
    }
    dns.stop().await;
}
