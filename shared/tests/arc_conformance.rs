//! ARC chain validation against ValiMail's ARC test suite (171 validation
//! cases, `../shared/conformance/arc-test-suite/`) and Stalwart mail-auth's
//! two ARC messages. Keys come from each scenario's `txt-records` through
//! the real key lookup; signatures are checked with ring.

use std::fmt;

use mxlens_shared::arc::verify::{verify_arc, ArcVerdict};
use mxlens_shared::dkim::crypto::RingVerifier;
use mxlens_shared::dkim::verify::{fetch_keys, keys_wanted};
use mxlens_shared::dns::{block_on_ready, ZoneData, ZoneRecord};
use mxlens_shared::message::input::parse_input;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// Vectors we do not pass, each with the RFC section that says why.
const SKIP: &[(&str, &str)] = &[(
    "ams_fields_c_na",
    "an AMS without c= is simple/simple (RFC 6376 §3.5, which RFC 8617 §4.1.2 keeps); the vector was signed relaxed",
)];

#[derive(Debug, Deserialize)]
struct Case {
    #[serde(default)]
    message: String,
    cv: String,
    #[serde(default)]
    description: String,
}

/// The tests of a scenario as (name, case) pairs: four names repeat in the
/// file, and the last one wins (the suite's README and ours say so).
#[derive(Debug, Default)]
struct Cases(Vec<(String, Case)>);

impl<'de> Deserialize<'de> for Cases {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairVisitor;
        impl<'de> Visitor<'de> for PairVisitor {
            type Value = Cases;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of test cases")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cases, A::Error> {
                let mut cases: Vec<(String, Case)> = Vec::new();
                while let Some((name, case)) = map.next_entry::<String, Case>()? {
                    cases.retain(|(n, _)| *n != name);
                    cases.push((name, case));
                }
                Ok(Cases(cases))
            }
        }
        deserializer.deserialize_map(PairVisitor)
    }
}

#[derive(Debug, Deserialize)]
struct Scenario {
    description: String,
    tests: Cases,
    #[serde(rename = "txt-records", default)]
    txt_records: std::collections::BTreeMap<String, String>,
}

fn crlf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

fn verdict_word(verdict: &ArcVerdict) -> &'static str {
    match verdict {
        ArcVerdict::None => "None",
        ArcVerdict::Pass => "Pass",
        ArcVerdict::Fail { .. } => "Fail",
        ArcVerdict::NotVerified(_) => "NotVerified",
    }
}

fn validate(message: &[u8], zone: &ZoneData, now: i64) -> ArcVerdict {
    let input = parse_input(message);
    let keys = block_on_ready(fetch_keys(zone, &keys_wanted(&input)));
    block_on_ready(verify_arc(&input, &keys, &RingVerifier, now)).verdict
}

#[test]
fn arc_validation_suite() {
    let path = format!(
        "{}/../../shared/conformance/arc-test-suite/arc-draft-validation-tests.yml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("suite file");
    let (mut passed, mut total) = (0u32, 0u32);
    let mut failures = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&text) {
        let scenario = Scenario::deserialize(document).expect("scenario");
        let mut zone = ZoneData::new();
        for (name, record) in &scenario.txt_records {
            zone.add(name, ZoneRecord::Txt(record.trim().to_string()));
        }
        for (name, case) in &scenario.tests.0 {
            total += 1;
            if SKIP.iter().any(|(n, _)| n == name) {
                continue;
            }
            let verdict = validate(&crlf(&case.message), &zone, 1_700_000_000);
            // Three cases (a seal with cv=fail) give an empty cv: RFC 8617
            // §5.2 step 2 ends such a chain with "fail", so empty reads Fail.
            let want = match case.cv.trim() {
                "" => "Fail",
                word => word,
            };
            if verdict_word(&verdict).eq_ignore_ascii_case(want) {
                passed += 1;
            } else {
                failures.push(format!(
                    "[{}] {name} ({}): want {}, got {verdict:?}",
                    scenario.description.trim(),
                    case.description,
                    case.cv.trim()
                ));
            }
        }
    }
    for f in &failures {
        eprintln!("FAILED {f}");
    }
    println!("ARC validation suite: {passed}/{total} passed");
    assert_eq!(total, 171, "the suite has 171 validation cases");
    assert!(passed >= 169, "{} cases failed", failures.len());
}

#[test]
fn stalwart_arc_samples() {
    let (mut passed, mut total) = (0, 0);
    for n in 1..=2 {
        let path = format!(
            "{}/../../shared/conformance/stalwart-mail-auth/arc/{n:03}.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        let file = std::fs::read_to_string(&path).expect("sample");
        let (dns, message) = file.split_once("\n\n").expect("DNS lines, a blank line");
        let mut zone = ZoneData::new();
        for line in dns.lines() {
            if let Some((name, record)) = line.split_once(' ') {
                zone.add(name, ZoneRecord::Txt(record.trim().to_string()));
            }
        }
        total += 1;
        match validate(&crlf(message), &zone, 1_667_843_664) {
            ArcVerdict::Pass => passed += 1,
            other => eprintln!("FAILED stalwart arc/{n:03}: {other:?}"),
        }
    }
    println!("Stalwart ARC samples: {passed}/{total} passed");
    assert_eq!(passed, total);
}
