//! mxlens's own signed corpus (`tests/fixtures/dkim/`, made by dkimpy via
//! its generate.py): every message gives the verdict, failure word and body
//! change that `expected.json` names, with the keys of
//! `tests/fixtures/zones/dkim.test.zone` served through the real lookup.
//! The integration suite runs the same corpus through the `mxlens` binary
//! and a real DNS server.

use mxlens_shared::dkim::crypto::RingVerifier;
use mxlens_shared::dkim::verify::{fetch_keys, keys_wanted, verify_dkim, Outcome};
use mxlens_shared::dns::{block_on_ready, ZoneData, ZoneRecord};
use mxlens_shared::message::input::parse_input;
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");

/// The TXT records of a zone file: `label IN TXT "…" "…"` lines.
fn zone_txt(text: &str, origin: &str) -> ZoneData {
    let mut zone = ZoneData::new();
    for line in text.lines() {
        let Some((label, rest)) = line.split_once(" IN TXT ") else {
            continue;
        };
        let value: String = rest.split('"').skip(1).step_by(2).collect();
        zone.add(&format!("{label}.{origin}"), ZoneRecord::Txt(value));
    }
    zone
}

#[test]
fn signed_corpus_verdicts() {
    let zone = zone_txt(
        &std::fs::read_to_string(format!("{FIXTURES}/zones/dkim.test.zone")).unwrap(),
        "dkim.test",
    );
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{FIXTURES}/dkim/expected.json")).unwrap(),
    )
    .unwrap();
    let cases = expected.as_object().unwrap();
    assert!(cases.len() >= 15, "only {} cases", cases.len());
    let mut passed = 0;
    for (name, case) in cases {
        let raw = std::fs::read(format!("{FIXTURES}/dkim/{name}.eml")).unwrap();
        let input = parse_input(&raw);
        let keys = block_on_ready(fetch_keys(&zone, &keys_wanted(&input)));
        let got = block_on_ready(verify_dkim(&input, &keys, &RingVerifier, 1_800_000_000));
        let want = case["signatures"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{name}: {got:#?}");
        for (v, w) in got.iter().zip(want) {
            let (verified, failure) = match v.outcome {
                Outcome::Verified => (Some(true), None),
                Outcome::Failed(f) => (Some(false), Some(f.as_str())),
                Outcome::NotVerified => (None, None),
            };
            assert_eq!(verified, w["verified"].as_bool(), "{name}: {v:#?}");
            assert_eq!(failure, w["failure"].as_str(), "{name}: {v:#?}");
            assert_eq!(
                v.body_change.as_ref().map(|c| c.kind.as_str()),
                w.get("body_change").and_then(Value::as_str),
                "{name}: {v:#?}"
            );
        }
        if std::env::var("MXLENS_SHOW").is_ok() {
            for v in &got {
                eprintln!("{name}: {} {:?}", v.reason, v.notes);
            }
        }
        if let Some(words) = case.get("explains").and_then(Value::as_str) {
            let said = format!("{} {}", got[0].reason, got[0].notes.join(" "));
            assert!(said.contains(words), "{name}: {said:?} lacks {words:?}");
        }
        passed += 1;
    }
    println!("mxlens signed DKIM corpus: {passed}/{} passed", cases.len());
}
