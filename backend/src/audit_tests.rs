//! Tests of `audit.rs` (a file of their own, so that the module stays
//! under the 600-line guard rail of #18).

use super::*;
use mxlens_shared::report::ReportKind;

#[test]
fn registry_keeps_a_bounded_number_of_finished_audits() {
    let registry = AuditRegistry::default();
    let running = registry.insert("running".into());
    for i in 0..MAX_KEPT_AUDITS + 50 {
        let e = registry.insert(format!("a{i}"));
        e.push(AuditEvent::Report {
            report: Box::new(Report::new(ReportKind::Domain, String::new(), vec![])),
        });
    }
    assert_eq!(registry.len(), MAX_KEPT_AUDITS);
    assert!(registry.get("running").is_some(), "a running audit is kept");
    assert!(
        registry.get("a0").is_none(),
        "the oldest finished went first"
    );
    assert!(registry
        .get(&format!("a{}", MAX_KEPT_AUDITS + 49))
        .is_some());
    drop(running);
}

/// What a mirror rebuilds from the store is what the origin stored.
#[test]
fn stored_events_round_trip_through_the_shared_log() {
    for event in [
        AuditEvent::Check {
            check: Check::new("mx.exists", Status::Pass, "ok"),
        },
        AuditEvent::Report {
            report: Box::new(big_report(3)),
        },
    ] {
        let stored = StoredEvent::new(&event);
        let back = StoredEvent::from_stored(stored.name, &stored.json).unwrap();
        assert_eq!(
            (back.name, &back.json, &back.report),
            (stored.name, &stored.json, &stored.report)
        );
    }
    assert!(StoredEvent::from_stored("report", "{}").is_none());
    assert!(StoredEvent::from_stored("other", "{}").is_none());
}

/// A report with `n` checks of 1 KB details.
fn big_report(n: usize) -> Report {
    let checks = (0..n)
        .map(|i| {
            Check::new("dkim.key", Status::Pass, "x".repeat(1000)).with_subject(format!("s{i}"))
        })
        .collect();
    Report::new(ReportKind::Domain, String::new(), checks)
}

#[test]
fn registry_is_bounded_by_bytes_and_serves_the_report_serialized_once() {
    let registry = AuditRegistry::with_max_bytes(1 << 20);
    let running = registry.insert("running".into());
    running.push(AuditEvent::Check {
        check: Check::new("mx.exists", Status::Pass, "x".repeat(300_000)),
    });
    for i in 0..200 {
        let e = registry.insert(format!("a{i}"));
        e.push(AuditEvent::Report {
            report: Box::new(big_report(100)),
        });
        // The newest may push it over until the next insert.
        assert!(
            registry.bytes() <= (1 << 20) + e.bytes(),
            "{}",
            registry.bytes()
        );
    }
    assert!(registry.get("running").is_some(), "a running audit is kept");
    assert!(registry.get("a0").is_none());
    let last = registry.get("a199").unwrap();
    let json = last.report().unwrap();
    let decoded: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(decoded, big_report(100));
    let (events, done) = last.events_since(0);
    assert!(done);
    let event: AuditEvent = serde_json::from_str(&events[0].json).unwrap();
    assert_eq!(
        event,
        AuditEvent::Report {
            report: Box::new(big_report(100))
        }
    );
}

#[test]
fn rcpt_is_a_mailbox_at_the_audited_domain_idn_as_its_a_label() {
    assert_eq!(
        validate_rcpt("shop.test", " bob@Shop.Test ").unwrap(),
        "bob@Shop.Test"
    );
    assert_eq!(
        validate_rcpt("xn--bcher-kva.example", "bob@bücher.example").unwrap(),
        "bob@xn--bcher-kva.example"
    );
    let other = validate_rcpt("shop.test", "bob@other.test").unwrap_err();
    assert!(
        other.contains("is not an address at the audited domain shop.test"),
        "{other}"
    );
    let bad = validate_rcpt("shop.test", "bob smith@shop.test").unwrap_err();
    assert!(bad.contains("before the @"), "{bad}");
}
