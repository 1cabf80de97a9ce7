//! The go-msgauth Authentication-Results vectors (13, mostly RFC 8601
//! Appendix B), wired as a table test: authserv-id, then per result the
//! method, result, reason and `ptype.property` values.

use mxlens_shared::message::authres::parse_authentication_results;
use serde_json::{json, Value};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/conformance/go-msgauth/authres-vectors.json"
);

#[test]
fn authres_vectors() {
    let data = std::fs::read_to_string(VECTORS).expect("conformance data present");
    let cases: Vec<Value> = serde_json::from_str(&data).expect("valid JSON");
    assert_eq!(cases.len(), 13);
    let mut passed = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let value = case["value"].as_str().expect("value");
        let parsed = parse_authentication_results(value);
        let results: Vec<Value> = parsed
            .results
            .iter()
            .map(|r| {
                let mut v = json!({"method": r.method, "result": r.result});
                if let Some(reason) = &r.reason {
                    v["reason"] = json!(reason);
                }
                let props: serde_json::Map<String, Value> = r
                    .properties
                    .iter()
                    .filter(|p| !p.ptype.is_empty())
                    .map(|p| (format!("{}.{}", p.ptype, p.name), json!(p.value)))
                    .collect();
                if !props.is_empty() {
                    v["props"] = Value::Object(props);
                }
                v
            })
            .collect();
        let got = json!({"authserv_id": parsed.authserv_id, "results": results});
        let want = json!({"authserv_id": case["authserv_id"], "results": case["results"]});
        if got == want {
            passed += 1;
        } else {
            failures.push(format!("{value:?}\n  want {want}\n  got  {got}"));
        }
    }
    println!("authres vectors: {passed}/{} passed", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
