//! The openspf RFC 7208 test suite (203 tests), run through the real
//! check_host() evaluator against in-memory zone data.

#[path = "support/openspf_suite.rs"]
mod suite;

use mxlens_shared::spf::eval::SpfResult;
use suite::{build_zone, load, run_case, suite_options};

/// Vectors we deliberately skip, with the RFC section that justifies it.
/// Empty: every vector passes.
const SKIP: &[(&str, &str)] = &[];

#[test]
fn openspf_rfc7208_suite() {
    let scenarios = load();
    let opts = suite_options();
    let mut total = 0u32;
    let mut passed = 0u32;
    let mut failures = Vec::new();
    for scenario in &scenarios {
        let zone = build_zone(&scenario.zonedata);
        for (name, case) in &scenario.tests {
            total += 1;
            if SKIP.iter().any(|(n, _)| n == name) {
                continue;
            }
            match run_case(&zone, case, &opts) {
                Ok(()) => passed += 1,
                Err(why) => failures.push(format!(
                    "[{}] {name} ({} from {} helo {}): {why}",
                    scenario.description, case.mailfrom, case.host, case.helo
                )),
            }
        }
    }
    for f in &failures {
        eprintln!("FAILED {f}\n");
    }
    eprintln!("openspf RFC 7208 suite: {passed}/{total} passed");
    println!("openspf RFC 7208 suite: {passed}/{total} passed");
    assert_eq!(total, 203, "the suite has 203 tests");
    assert_eq!(
        passed,
        total - SKIP.len() as u32,
        "{} vectors failed",
        failures.len()
    );
}

#[test]
fn results_are_the_contract_words() {
    for (r, w) in [
        (SpfResult::Pass, "pass"),
        (SpfResult::SoftFail, "softfail"),
        (SpfResult::PermError, "permerror"),
        (SpfResult::TempError, "temperror"),
    ] {
        assert_eq!(serde_json::to_value(r).unwrap(), w);
    }
}
