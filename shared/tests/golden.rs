//! Golden tests: every `tests/fixtures/messages/NAME.eml` is analysed with a
//! fixed report time and compared with `NAME.json`. A mismatch writes
//! `NAME.failed` beside it (the actual report); `MXLENS_REGENERATE=1`
//! rewrites the expected files instead. Each run asserts that fixtures were
//! found, so a wrong path cannot pass silently.

use std::path::Path;

use mxlens_shared::message::analyze_message;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/messages");
const REPORT_TIME: &str = "2026-01-01T00:00:00Z";

#[path = "support/eml.rs"]
mod support;

#[test]
fn golden_messages() {
    let dir = Path::new(FIXTURES);
    let files = support::eml_paths(dir);
    assert!(
        !files.is_empty(),
        "no .eml fixtures found in {}",
        dir.display()
    );
    let regenerate = std::env::var("MXLENS_REGENERATE").is_ok_and(|v| v == "1");
    let mut failed = Vec::new();
    for eml in &files {
        let raw = std::fs::read(eml).expect("readable fixture");
        let actual = match analyze_message(&raw, REPORT_TIME) {
            Ok(report) => serde_json::to_value(&report).expect("report serialises"),
            Err(e) => serde_json::json!({ "input_error": e.to_string() }),
        };
        let pretty = serde_json::to_string_pretty(&actual).expect("json") + "\n";
        let expected_path = eml.with_extension("json");
        let failed_path = eml.with_extension("failed");
        if regenerate {
            std::fs::write(&expected_path, &pretty).expect("write expected");
            let _ = std::fs::remove_file(&failed_path);
            continue;
        }
        let expected: Option<serde_json::Value> = std::fs::read_to_string(&expected_path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        if expected.as_ref() == Some(&actual) {
            let _ = std::fs::remove_file(&failed_path);
        } else {
            std::fs::write(&failed_path, &pretty).expect("write .failed");
            failed.push(eml.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    println!(
        "golden messages: {} fixture(s), {} mismatch(es)",
        files.len(),
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "golden mismatches (see NAME.failed; MXLENS_REGENERATE=1 to accept): {failed:?}"
    );
}

/// The browser's report decoder (`report::decode`, used instead of the
/// derived `Deserialize` to keep the WASM bundle small) reads every golden
/// report exactly as the derive does.
#[test]
fn golden_reports_decode_as_the_derive_does() {
    use mxlens_shared::report::{decode, Report};
    let files = support::eml_paths(FIXTURES);
    let mut decoded = 0;
    for eml in &files {
        let Some(text) = std::fs::read_to_string(eml.with_extension("json")).ok() else {
            continue;
        };
        let value = decode::parse(&text).expect("golden JSON parses");
        if value.get("input_error").is_some() {
            continue;
        }
        let derived: Report = serde_json::from_value(value.clone()).expect("the derive reads it");
        let ours = decode::report(&value);
        assert_eq!(ours.as_ref(), Ok(&derived), "{}", eml.display());
        // And what the derive reads back serialises to the same JSON.
        assert_eq!(
            serde_json::to_value(&derived).unwrap(),
            value,
            "{}",
            eml.display()
        );
        decoded += 1;
    }
    println!("decoded {decoded} golden report(s) both ways");
    assert!(decoded >= 30, "only {decoded} golden reports were decoded");
}
