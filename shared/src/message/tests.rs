use super::*;
use crate::report::catalog::order as catalog_position;
use crate::report::{catalog, Status};

#[test]
fn counts_hops_and_finds_from() {
    let raw = b"Received: from a by b; Tue, 1 Jul 2025 10:00:00 +0000\r\nReceived: from c by d; Tue, 1 Jul 2025 09:59:00 +0000\r\nFrom: Alice <alice@Example.com>\r\nSubject: hi\r\n\r\nbody";
    let report = analyze_message(raw, "2025-07-01T10:00:00Z").unwrap();
    let m = report.message.unwrap();
    assert_eq!(m.hops.len(), 2);
    assert_eq!(m.hops[0].by.as_deref(), Some("d"));
    assert_eq!(m.hops[1].delay_seconds, Some(60));
    assert_eq!(m.total_delay_seconds, Some(60));
    assert_eq!(m.from.unwrap().domain, "example.com");
}

#[test]
fn refuses_empty_and_oversized_input() {
    assert_eq!(analyze_message(b" \n ", "t"), Err(InputError::Empty));
    let big = vec![b'a'; MAX_INPUT_BYTES + 1];
    assert!(matches!(
        analyze_message(&big, "t"),
        Err(InputError::TooLarge { .. })
    ));
}

#[test]
fn only_the_topmost_admd_is_trusted() {
    let raw = b"Authentication-Results: mx.receiver.example; spf=fail smtp.mailfrom=example.com\nAuthentication-Results: mx.receiver.example; dkim=pass header.d=example.com\nAuthentication-Results: forged.example; dmarc=pass header.from=example.com\nFrom: a@example.com\n\n";
    let report = analyze_message(raw, "2026-01-01T00:00:00Z").unwrap();
    let dmarc = report.checks_with_id("msg.auth.dmarc").next().unwrap();
    assert_eq!(dmarc.status, Status::Warn, "{dmarc:?}");
    let align = report.checks_with_id("msg.dmarc-alignment").next().unwrap();
    assert_eq!(align.status, Status::Pass);
    assert_eq!(report.message.unwrap().auth_results.len(), 2);
}

#[test]
fn received_spf_alone_gives_spf_and_alignment() {
    let raw = b"Received-SPF: pass (mx.example.net: domain of a@mail.example.com designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from=a@mail.example.com; helo=mail.example.com;\nFrom: a@example.com\n\n";
    let report = analyze_message(raw, "2026-01-01T00:00:00Z").unwrap();
    let spf = report.checks_with_id("msg.auth.spf").next().unwrap();
    assert_eq!(spf.status, Status::Pass);
    let align = report.checks_with_id("msg.dmarc-alignment").next().unwrap();
    assert_eq!(align.status, Status::Pass, "{align:?}");
    assert_eq!(
        dkim_selectors(b"DKIM-Signature: v=1; d=example.com; s=s1\n\n"),
        [("example.com".to_string(), "s1".to_string())]
    );
}

#[test]
fn checks_come_in_catalogue_order() {
    let raw = b"Received: from a (a [203.0.113.9]) by b with ESMTP; Tue, 1 Jul 2025 10:00:00 +0000\nFrom: a@example.com\n\n";
    let report = analyze_message(raw, "2026-01-01T00:00:00Z").unwrap();
    let positions: Vec<usize> = report
        .checks
        .iter()
        .map(|c| catalog_position(&c.id))
        .collect();
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(positions, sorted);
    assert!(report
        .checks
        .iter()
        .all(|c| catalog::lookup(&c.id).is_some()));
}
