//! mox's SPF record syntax vectors (`spf_record_syntax` in
//! `shared/conformance/mox/mox-vectors.json`): each `valid: false` input
//! must give at least one error-level diagnostic, each `valid: true` none.

use mxlens_shared::spf::parse_record;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/conformance/mox/mox-vectors.json"
);

/// Vectors we deliberately skip, by source line, with the RFC section that
/// justifies it.
const SKIP: &[(&str, &str)] = &[(
    "spf/parse_test.go:41",
    "mox accepts `a:x`, `mx:x`, `ptr:x` and `exists:x`, but RFC 7208 §7.1 \
     (domain-end = \".\" toplabel / macro-expand) makes a single-label \
     domain-spec a syntax error; the openspf suite (a-only-toplabel, \
     invalid-domain) requires permerror for it",
)];

#[test]
fn mox_spf_record_syntax_vectors() {
    let text = std::fs::read_to_string(VECTORS).expect("the mox vectors are present");
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let cases = json["cases"]["spf_record_syntax"]
        .as_array()
        .expect("spf_record_syntax cases");
    assert!(!cases.is_empty(), "no SPF vectors found");
    let mut checked = 0u32;
    let mut failures = Vec::new();
    for case in cases {
        let input = case["input"].as_str().expect("input");
        let valid = case["valid"].as_bool().expect("valid");
        let source = case["source"].as_str().unwrap_or("");
        if SKIP.iter().any(|(s, _)| source.contains(s)) {
            continue;
        }
        checked += 1;
        let parsed = parse_record(input);
        if parsed.has_errors() == valid {
            failures.push(format!(
                "{source}: {input:?} valid={valid}, diagnostics {:?}",
                parsed.diagnostics
            ));
        }
    }
    eprintln!(
        "mox SPF vectors: {}/{checked} passed ({} skipped)",
        checked as usize - failures.len(),
        SKIP.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(checked as usize + SKIP.len(), cases.len());
}
