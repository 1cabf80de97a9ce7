//! mox's strict-syntax vectors (`shared/conformance/mox/mox-vectors.json`):
//! every `valid: true` record must give no error-level diagnostic, every
//! `valid: false` at least one.

use mxlens_shared::diagnostic::{has_errors, Diagnostic};
use mxlens_shared::{dkim, dmarc, mta_sts, tls_rpt};
use serde_json::Value;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/conformance/mox/mox-vectors.json"
);

/// Vectors we deliberately skip, with the RFC section that justifies it.
/// Keyed by (case type, input).
const SKIP: &[(&str, &str, &str)] = &[];

fn diagnostics(kind: &str, input: &str) -> Option<Vec<Diagnostic>> {
    Some(match kind {
        "dmarc_record" => dmarc::parse_dmarc(input).diagnostics,
        "dkim_key_record" => dkim::parse_dkim_key(input).diagnostics,
        "mta_sts_txt_record" => mta_sts::parse_sts_record(input).diagnostics,
        "mta_sts_policy" => mta_sts::parse_sts_policy(input).diagnostics,
        "tlsrpt_txt_record" => tls_rpt::parse_tls_rpt(input).diagnostics,
        _ => return None,
    })
}

#[test]
fn mox_vectors() {
    let text = std::fs::read_to_string(VECTORS).unwrap_or_else(|e| panic!("{VECTORS}: {e}"));
    let json: Value = serde_json::from_str(&text).expect("mox-vectors.json parses");
    let cases = json["cases"].as_object().expect("cases object");
    let (mut total, mut passed, mut skipped, mut spf_skipped) = (0u32, 0u32, 0u32, 0u32);
    let mut failures = Vec::new();
    for (kind, list) in cases {
        let list = list.as_array().expect("case list");
        if kind.starts_with("spf") {
            // SPF vectors run through the SPF parser in tests/mox_spf.rs.
            spf_skipped += list.len() as u32;
            continue;
        }
        for case in list {
            let input = case["input"].as_str().expect("input string");
            let valid = case["valid"].as_bool().expect("valid bool");
            if SKIP.iter().any(|(k, i, _)| k == kind && *i == input) {
                skipped += 1;
                continue;
            }
            let diags =
                diagnostics(kind, input).unwrap_or_else(|| panic!("unknown vector type {kind}"));
            total += 1;
            if has_errors(&diags) != valid {
                passed += 1;
            } else {
                failures.push(format!(
                    "{kind} valid={valid} {input:?} ({}): {diags:?}",
                    case["source"].as_str().unwrap_or("")
                ));
            }
        }
    }
    println!("mox vectors: {passed}/{total} passed ({skipped} skipped; the {spf_skipped} SPF vectors run in mox_spf.rs)");
    assert!(
        total > 100,
        "expected the mox vectors to be found, saw {total}"
    );
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
