//! Tests of `parse.rs` (a file of their own, so that the module stays
//! under the 600-line guard rail of #18).

use super::*;
use crate::diagnostic::Severity;

#[test]
fn table() {
    // (input, has error, a code that must appear or "")
    let cases: &[(&str, bool, &str)] = &[
        ("v=DMARC1; p=none", false, ""),
        (
            "v=DMARC1; p=reject; pct=50",
            false,
            "dmarc.tag-removed-rfc9989",
        ),
        ("v=DMARC1; p=none; foo=bar", false, "dmarc.unknown-tag"),
        (
            "v=DMARC1; sp=reject; p=reject",
            true,
            "dmarc.policy-not-second",
        ),
        (
            "v=DMARC1; rua=mailto:a@example.com",
            false,
            "dmarc.policy-missing",
        ),
        ("v=DMARC1; p=bogus", true, "dmarc.invalid-policy"),
        (
            "v=DMARC1; p=bogus; rua=mailto:a@example.com",
            false,
            "dmarc.invalid-policy",
        ),
        ("v=DMARC1; p=none; np=reject; psd=n; t=y", false, ""),
        ("v=DMARC1; p=none; psd=x", true, "dmarc.invalid-psd"),
        (
            "v=DMARC1; p=none; rua=https://example.com/r",
            false,
            "dmarc.uri-not-mailto",
        ),
        (
            "v=DMARC1; p=none; rua=mailto:a@example.com!10x",
            true,
            "dmarc.invalid-uri-size",
        ),
        ("v=DMARC1 p=none", true, "dmarc.missing-separator"),
        ("v=DMARC1; p=", true, "dmarc.invalid-policy"),
        (
            "v=DMARC1; p=; rua=mailto:a@example.com",
            false,
            "dmarc.invalid-policy",
        ),
        ("p=none; v=DMARC1", true, "dmarc.version-missing"),
        ("v=DMARC1; p=none;;", true, "dmarc.empty-tag"),
    ];
    for (input, error, code) in cases {
        let parsed = parse_dmarc(input);
        assert_eq!(
            parsed.has_errors(),
            *error,
            "{input}: {:?}",
            parsed.diagnostics
        );
        if !code.is_empty() {
            assert!(
                parsed.diagnostics.iter().any(|d| d.code == *code),
                "{input}: {:?}",
                parsed.diagnostics
            );
        }
    }
}

#[test]
fn spans_point_at_the_value() {
    let input = "v=DMARC1; p=none; adkim=x";
    let parsed = parse_dmarc(input);
    let d = parsed
        .diagnostics
        .iter()
        .find(|d| d.code == "dmarc.invalid-alignment")
        .unwrap();
    assert_eq!(d.span.slice(input), "x");
    assert_eq!(d.severity, Severity::Error);
}

#[test]
fn every_tag_parses() {
    let input = "v=DMARC1; p=quarantine; sp=reject; np=reject; psd=u; t=n; adkim=s; aspf=r; fo=0:d; rua=mailto:a@example.com!10m,mailto:b@example.net; ruf=mailto:f@example.com; rf=afrf; ri=3600; pct=100";
    let parsed = parse_dmarc(input);
    assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
    assert_eq!(parsed.record.to_string(), input);
    let r = &parsed.record;
    assert_eq!(r.rua[0].max_size.unwrap().bytes(), 10 << 20);
    assert_eq!(
        r.failure_options,
        vec![FailureOption::All, FailureOption::Dkim]
    );
    assert_eq!(r.report_interval, Some(3600));
}
