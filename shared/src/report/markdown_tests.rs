//! Tests of `markdown.rs` (a file of their own, so that the module stays
//! under the 600-line guard rail of #18).

use super::*;
use crate::report::{ChecklistItem, DomainSection, FromAddress, MessageSection, MxHost};

fn hostile_report() -> Report {
    let checks = vec![
        Check::new("spf.present", Status::Pass, "v=spf1 -all"),
        Check::new(
            "spf.lookup-limit",
            Status::Fail,
            "requires 11/10 lookups | `include:evil` <script>alert(1)</script>",
        )
        .with_suggestion("v=spf1 ip4:192.0.2.1 ``` -all\n<b>x</b>"),
        Check::new("dmarc.present", Status::Warn, "p=none").with_subject("a|b\nc"),
        Check::new(
            "dkim.key",
            Status::NotTested,
            "[click](javascript:alert(1))",
        ),
    ];
    let mut report = Report::new(
        crate::report::ReportKind::Combined,
        "2026-11-28T12:00:00Z",
        checks,
    );
    report.message = Some(MessageSection {
        from: Some(FromAddress {
            name: None,
            address: "x@shop.test".into(),
            domain: "shop.test".into(),
        }),
        subject: Some("<script>window.x=1</script> | *bold*".into()),
        ..Default::default()
    });
    report.domain = Some(DomainSection {
        name: "shop.test".into(),
        mx: vec![MxHost {
            preference: 10,
            host: "mx1.shop.test".into(),
            addresses: vec!["192.0.2.10".into()],
        }],
        spf: Some(serde_json::from_value(
            serde_json::json!({"record": "v=spf1 -all", "lookup_count": 11, "void_lookup_count": 0,
            "tree": {"kind": "record", "term": "shop.test", "domain": "shop.test", "dns_cost": 0, "void_lookups": 0, "children": [
                {"kind": "include", "term": "include:a_b.test", "dns_cost": 10, "void_lookups": 0, "children": []},
                {"kind": "a", "term": "a:x|y`z", "dns_cost": 1, "void_lookups": 1}
            ]}}),
        ).unwrap()),
        dmarc: None,
        smtp: vec![crate::report::SmtpFacts {
            banner: Some("220 `evil` | <b>".into()),
            cert_days_left: Some(80),
            cert_valid: Some(true),
            host: "mx1.shop.test".into(),
            ip: "192.0.2.10".into(),
            starttls: true,
            tls_version: Some("TLSv1.3".into()),
            ..Default::default()
        }],
        ..Default::default()
    });
    report.checklists.can_spam.push(ChecklistItem {
        id: "canspam.postal-address".into(),
        status: ChecklistStatus::Manual,
        title: "Postal address".into(),
        detail: "check | it".into(),
    });
    // As the server does for domain and combined reports.
    report.transport = crate::report::transport::transport_security(&report);
    report
}

/// Number of unescaped `|` in a table row: the cell separators.
fn separators(row: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    count
}

#[test]
fn escapes_table_breakers_and_html() {
    let cases = [
        ("a|b", "a\\|b"),
        ("`code`", "\\`code\\`"),
        ("<script>", "&lt;script&gt;"),
        ("line\nbreak", "line break"),
        ("[x](javascript:y)", "\\[x\\]\\(javascript:y\\)"),
        ("back\\slash", "back\\\\slash"),
        ("plain text 1.2", "plain text 1.2"),
    ];
    for (input, want) in cases {
        assert_eq!(escape_cell(input), want, "input {input:?}");
    }
}

#[test]
fn hostile_content_cannot_break_tables_or_inject_html() {
    let md = render(&hostile_report());
    assert!(!md.contains("<script>"), "{md}");
    assert!(!md.contains("<b>x</b>") || md.contains("````text"), "{md}");
    // Every table row keeps its column count.
    for block in md.split("\n\n") {
        let rows: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
        if let Some(first) = rows.first() {
            let want = separators(first);
            for row in &rows {
                assert_eq!(separators(row), want, "row {row:?} in\n{md}");
            }
        }
    }
    // The suggestion is fenced with more backticks than it contains.
    assert!(
        md.contains("````text\nv=spf1 ip4:192.0.2.1 ``` -all\n<b>x</b>\n````"),
        "{md}"
    );
}

#[test]
fn has_the_sections_a_reader_expects() {
    let md = render(&hostile_report());
    for want in [
        "# mxlens combined report: shop.test, from x@shop.test",
        "**Grade ",
        "## Top problems",
        "1. **fail** SPF DNS lookup limit",
        "## Message",
        "## Domain shop.test",
        "| 10 | mx1.shop.test | 192.0.2.10 |",
        "SPF: 11 DNS lookups of 10 allowed",
        "### SPF",
        "- record of shop.test\n  - include:a\\_b.test: +10 lookup, total 10/10\n  - a:x\\|y\\`z: +1 lookup, total 11/10 **(crosses the limit of 10)**, 1 void\n",
        "| ✔ pass | SPF record | v=spf1 -all |  |",
        "– not tested",
        "## Transport security",
        "MTA-STS mode: no valid policy · DANE on every MX: no",
        "**Verdict:** Mail to this domain is encrypted in transit when the sender tries \\(STARTTLS\\), but not downgrade-protected",
        "## Suggested records",
        "## CAN-SPAM",
        "| Postal address | ? manual | check \\| it |",
        "report schema 1) at 2026-11-28T12:00:00Z, from a header block from x@shop.test \\(0 Received hops\\) and the domain shop.test.\n",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
    // Areas in catalogue order: SPF before DMARC before DKIM.
    let spf = md.find("### SPF").unwrap();
    let dmarc = md.find("### DMARC").unwrap();
    let dkim = md.find("### DKIM").unwrap();
    assert!(spf < dmarc && dmarc < dkim, "{md}");
}

#[test]
fn top_problems_rank_fail_before_warn() {
    let report = hostile_report();
    let top: Vec<&str> = report
        .top_problems(3)
        .iter()
        .map(|c| c.id.as_ref())
        .collect();
    assert_eq!(top, ["spf.lookup-limit", "dmarc.present"]);
}

#[test]
fn a_real_message_report_renders() {
    let report = crate::message::analyze_message(
        b"From: a@example.com\r\nSubject: hi | there\r\n\r\n",
        "2026-11-28T12:00:00Z",
    )
    .expect("analysis");
    let md = render(&report);
    assert!(
        md.starts_with("# mxlens message report: from a@example.com"),
        "{md}"
    );
    assert!(md.contains("| Subject | hi \\| there |"), "{md}");

    // A message with hops gets the section, about its own path.
    let report = crate::message::analyze_message(
        b"Received: from a.example.com (a.example.com [192.0.2.1]) by mx.example.net with ESMTPS id 1; Tue, 1 Jul 2025 10:00:03 -0700\r\nFrom: a@example.com\r\n\r\n",
        "2026-11-28T12:00:00Z",
    )
    .expect("analysis");
    let md = render(&report);
    assert!(md.contains("## Transport security"), "{md}");
    assert!(
        md.contains("**Verdict:** This message used TLS on every one of its 1 recorded hops."),
        "{md}"
    );
}
