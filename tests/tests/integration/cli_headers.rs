//! `mxlens headers` prints the same report JSON as the golden files, which
//! the WASM test (`frontend/tests/golden_wasm.rs`, run in headless Chromium)
//! compares against too: native CLI and browser give one report.

use mxlens_tests::cli::mxlens;
use serde_json::Value;

#[test]
fn cli_matches_golden_reports_for_every_corpus_file() {
    let dir = mxlens_tests::fixtures_dir().join("messages");
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("eml") {
            continue;
        }
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("json")).unwrap())
                .unwrap();
        let out = mxlens(&[
            "headers",
            path.to_str().unwrap(),
            "--json",
            "--at",
            "2026-01-01T00:00:00Z",
        ])
        .output()
        .unwrap();
        let got: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        assert_eq!(got, expected, "{}", path.display());
        // Exit code 1 exactly when a check failed.
        let failed = expected["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "fail");
        assert_eq!(
            out.status.code(),
            Some(i32::from(failed)),
            "{}",
            path.display()
        );
        compared += 1;
    }
    assert!(compared >= 30, "only {compared} corpus files found");
}

#[test]
fn headers_cli_reads_stdin_and_refuses_empty_input() {
    use std::io::Write;
    let mut child = mxlens(&["headers", "-", "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"  \n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
}

#[test]
fn headers_cli_survives_a_reader_that_goes_away() {
    // `mxlens headers msg.eml --json | head -c 10`: the pipe closes before
    // the report is written. The CLI must end quietly, not panic.
    let path = mxlens_tests::fixtures_dir().join("messages/11-mailchimp-campaign.eml");
    let mut child = mxlens(&["headers", path.to_str().unwrap(), "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.status.code().is_some(),
        "killed by a signal: {:?}",
        out.status
    );
}

/// `mxlens headers --markdown` prints the shared Markdown rendering, with
/// hostile header content escaped.
#[test]
fn headers_cli_prints_markdown() {
    use std::io::Write;
    let mut child = mxlens(&["headers", "-", "--markdown", "--at", "2026-01-01T00:00:00Z"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"From: a@shop.test\r\nSubject: <script>x</script> | y\r\n\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.starts_with("# mxlens message report: from a@shop.test"),
        "{md}"
    );
    assert!(
        md.contains("| Subject | &lt;script&gt;x&lt;/script&gt; \\| y |"),
        "{md}"
    );
    // The footer says when, and from what (Report::input_summary).
    assert!(
        md.contains(
            "at 2026-01-01T00:00:00Z, from a header block from a@shop.test \\(0 Received hops\\).\n"
        ),
        "{md}"
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit code {:?}",
        out.status
    );
}

/// The terminal text and the Markdown export of one message agree on what
/// they show (#18 step 4): the transport-security verdict built from the
/// hops, each check's icon, and the same fix for a failing check (the
/// catalogue's, when the check has none of its own).
#[test]
fn headers_text_and_markdown_show_the_same_transport_and_fixes() {
    let message = "Received: from a.shop.test (a.shop.test [192.0.2.1]) by mx.example.test with ESMTPS id 1; Tue, 1 Jul 2025 10:00:00 +0000\r\nFrom: a@shop.test\r\nSubject: hello\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\n\r\nhi\r\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.eml");
    std::fs::write(&file, message).unwrap();
    let run = |format: &[&str]| {
        let mut args = vec!["headers", file.to_str().unwrap()];
        args.extend_from_slice(format);
        let out = mxlens(&args).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run(&[]);
    // Markdown escapes its inline text; compare the words.
    let md = run(&["--markdown"])
        .replace('\\', "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    // The verdict sentence, whatever its words, is in both.
    let verdict = md
        .lines()
        .find_map(|l| l.strip_prefix("**Verdict:** "))
        .unwrap_or_else(|| panic!("no transport verdict in the Markdown: {md}"));
    assert!(
        text.contains(&format!("transport security: {verdict}")),
        "text lacks the transport line {verdict:?}:\n{text}"
    );
    // No Message-ID: a fail whose fix comes from the catalogue.
    let fix = mxlens_shared::report::catalog::lookup("msg.message-id")
        .unwrap()
        .fix;
    assert!(!fix.is_empty());
    assert!(text.contains("✘ fail"), "{text}");
    assert!(
        text.contains(&format!("fix: {fix}")),
        "text lacks the fix:\n{text}"
    );
    assert!(
        md.contains(&format!("Fix: {fix}")),
        "markdown lacks the fix:\n{md}"
    );
}

/// `mxlens audit --markdown` against the loopback test zones: the SPF
/// include tree with each term's cost and the running total, the term that
/// crosses the limit of 10 marked.
#[tokio::test(flavor = "multi_thread")]
async fn audit_cli_prints_markdown_with_the_spf_tree() {
    let dns = mxlens_tests::dns::TestDns::start_fixtures(&["audit.test"])
        .await
        .unwrap();
    let ns = dns.addr.to_string();
    let out = mxlens(&[
        "audit",
        "toomany.audit.test",
        "--markdown",
        "--no-smtp",
        "--nameserver",
        &ns,
        "--dnsbl",
        "bl.audit.test",
    ])
    .output()
    .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "failures exit 1\n{md}");
    assert!(
        md.starts_with("# mxlens domain report: toomany.audit.test"),
        "{md}"
    );
    assert!(md.contains("SPF: 15 DNS lookups of 10 allowed"), "{md}");
    assert!(
        md.contains("  - include:l1.audit.test: +1 lookup, total 1/10\n"),
        "{md}"
    );
    assert!(
        md.contains(": +1 lookup, total 11/10 **(crosses the limit of 10)**"),
        "{md}"
    );
    assert!(md.contains("| ✘ fail | SPF DNS lookup limit |"), "{md}");
}
