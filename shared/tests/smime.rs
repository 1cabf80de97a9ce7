//! S/MIME golden tests: the samples made by `tests/fixtures/smime/make.sh`
//! with `openssl smime` (committed) give the right `msg.smime` finding.
//! Each `NAME.eml` is compared with `NAME.check.json` (the `msg.smime`
//! check); a mismatch writes `NAME.failed`, `MXLENS_REGENERATE=1` rewrites.

use std::path::Path;

use mxlens_shared::message::analyze_message;
use mxlens_shared::report::Status;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/smime");
/// Inside the certificates' validity (made with `-days 3650` in 2026).
const REPORT_TIME: &str = "2027-06-01T00:00:00Z";

fn smime_check(name: &str) -> mxlens_shared::report::Check {
    let raw = std::fs::read(Path::new(FIXTURES).join(name)).expect("fixture");
    let report = analyze_message(&raw, REPORT_TIME).expect("report");
    let found: Vec<_> = report.checks_with_id("msg.smime").cloned().collect();
    assert_eq!(found.len(), 1, "{name}: {:#?}", report.checks);
    found[0].clone()
}

#[test]
fn signed_sample() {
    let check = smime_check("signed.eml");
    assert_eq!(check.status, Status::Info);
    let d = &check.detail;
    for want in [
        "Signed with S/MIME (detached signature)",
        "multipart/signed; protocol=application/x-pkcs7-signature",
        "subject CN=Alice Example, O=Shop Test, emailAddress=alice@shop.test",
        "issuer CN=Alice Example",
        "Certificate e-mail: alice@shop.test",
        "which matches From (alice@shop.test)",
        "does not hide the headers",
        "Subject",
    ] {
        assert!(d.contains(want), "missing {want:?} in {d}");
    }
    assert!(!d.contains("expired"), "{d}");
}

#[test]
fn encrypted_sample() {
    let check = smime_check("encrypted.eml");
    assert_eq!(check.status, Status::Info);
    let d = &check.detail;
    assert!(d.contains("Encrypted with S/MIME"), "{d}");
    assert!(d.contains("smime-type=enveloped-data"), "{d}");
    assert!(d.contains("does not hide who writes to whom"), "{d}");
}

#[test]
fn golden_checks() {
    let regenerate = std::env::var("MXLENS_REGENERATE").is_ok_and(|v| v == "1");
    let mut failed = Vec::new();
    for name in ["signed", "encrypted"] {
        let actual =
            serde_json::to_string_pretty(&smime_check(&format!("{name}.eml"))).unwrap() + "\n";
        let expected = Path::new(FIXTURES).join(format!("{name}.check.json"));
        let failed_path = Path::new(FIXTURES).join(format!("{name}.failed"));
        if regenerate {
            std::fs::write(&expected, &actual).unwrap();
            continue;
        }
        if std::fs::read_to_string(&expected).ok().as_deref() == Some(actual.as_str()) {
            let _ = std::fs::remove_file(&failed_path);
        } else {
            std::fs::write(&failed_path, &actual).unwrap();
            failed.push(name);
        }
    }
    assert!(
        failed.is_empty(),
        "golden mismatches (see NAME.failed; MXLENS_REGENERATE=1 to accept): {failed:?}"
    );
}
