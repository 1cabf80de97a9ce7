//! The golden corpus analysed inside headless Chromium: the WASM build of
//! `shared` must give exactly the report the native CLI gives (the CLI side
//! is `tests/tests/integration/cli_headers.rs`; both compare with the same
//! golden files).
#![cfg(target_arch = "wasm32")]

use mxlens_shared::message::analyze_message;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The app fetches the Public Suffix List at start-up (it is not in the
/// bundle); a test hands `shared` the same file directly.
fn supply_psl() {
    mxlens_shared::org_domain::supply_public_suffix_list(include_str!(
        "../../shared/data/public_suffix_list.dat"
    ));
    assert!(mxlens_shared::org_domain::public_suffix_list_available());
}

const CASES: &[(&str, &[u8], &str)] = include!(concat!(env!("OUT_DIR"), "/golden_cases.rs"));

#[wasm_bindgen_test]
fn wasm_reports_equal_the_golden_files() {
    supply_psl();
    assert!(
        CASES.len() >= 30,
        "only {} corpus files embedded",
        CASES.len()
    );
    for (name, eml, json) in CASES {
        let report = analyze_message(eml, "2026-01-01T00:00:00Z").expect("report");
        let got = serde_json::to_value(&report).expect("serialize");
        let want: serde_json::Value = serde_json::from_str(json).expect("golden JSON");
        assert_eq!(got, want, "{name}");
    }
    web_sys::console::log_1(
        &format!(
            "wasm golden corpus: {}/{} reports identical to the native goldens",
            CASES.len(),
            CASES.len()
        )
        .into(),
    );
}
