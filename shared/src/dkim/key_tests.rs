//! Tests of `key.rs` (a file of their own, so that the module stays
//! under the 600-line guard rail of #18).

use super::*;
use crate::dns::{block_on_ready, QueryType, ZoneData, ZoneRecord};
use crate::report::Status;

fn data(name: &str) -> String {
    let path = format!(
        "{}/../../shared/conformance/dkimpy-data/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn dkimpy_key_files() {
    // (file, has error, expected key)
    let cases = [
        ("test.txt", false, KeyStatus::Rsa { bits: 1024 }),
        ("test2.txt", false, KeyStatus::Rsa { bits: 1024 }),
        ("test_tlsrpt.txt", false, KeyStatus::Rsa { bits: 1024 }),
        ("ed25519test.dns", false, KeyStatus::Ed25519),
        ("eximtest.dns", false, KeyStatus::Ed25519),
        ("badk.txt", true, KeyStatus::Invalid),
        ("badversion.txt", true, KeyStatus::Rsa { bits: 1024 }),
        ("test_bad.txt", true, KeyStatus::Invalid),
    ];
    for (file, error, key) in cases {
        let text = data(file);
        let parsed = parse_dkim_key(text.trim_end_matches(['\r', '\n']));
        assert_eq!(
            parsed.has_errors(),
            error,
            "{file}: {:?}",
            parsed.diagnostics
        );
        assert_eq!(parsed.key, key, "{file}: {:?}", parsed.diagnostics);
    }
}

#[test]
fn checks_per_selector() {
    let mut z = ZoneData::new();
    z.add(
        "s1._domainkey.example.com",
        ZoneRecord::Txt(data("test.txt").trim().to_string()),
    );
    z.add(
        "ed._domainkey.example.com",
        ZoneRecord::Txt(data("eximtest.dns").trim().to_string()),
    );
    z.add(
        "old._domainkey.example.com",
        ZoneRecord::Txt("v=DKIM1; t=y; p=".into()),
    );
    z.add_timeout("slow._domainkey.example.com", Some(QueryType::Txt));
    let cases = [
        ("s1", "dkim.key", Status::Pass),
        ("s1", "dkim.key-length", Status::Warn),
        ("ed", "dkim.key-length", Status::Pass),
        ("old", "dkim.revoked", Status::Fail),
        ("old", "dkim.testing", Status::Warn),
        ("missing", "dkim.key", Status::Fail),
        ("slow", "dkim.key", Status::Error),
    ];
    for (selector, id, want) in cases {
        let (_, checks) = block_on_ready(audit_dkim_selector(
            &z,
            selector,
            "example.com",
            SelectorOrigin::Given,
        ));
        let check = checks.iter().find(|c| c.id == id).unwrap();
        assert_eq!(check.status, want, "{selector} {id}: {check:?}");
        assert_eq!(check.subject.as_deref(), Some(selector));
    }
}

#[test]
fn display_round_trip() {
    let input = "v=DKIM1; h=sha256; k=rsa; s=email; t=y:s; p=";
    let parsed = parse_dkim_key(input);
    assert_eq!(parsed.record.to_string(), input);
    let parsed = parse_dkim_key("v=DKIM1; h=sha1; p=");
    let codes: Vec<_> = parsed.diagnostics.iter().map(|d| d.code).collect();
    assert!(
        codes.contains(&"dkim.sha1-allowed") && codes.contains(&"dkim.no-sha256"),
        "{codes:?}"
    );
}
