//! Tests that run inside headless Chromium (wasm-bindgen-test): the same
//! `shared` analysis the UI calls, compiled to wasm32.
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

const SAMPLE: &str = "Received: from mail.shop.test (mail.shop.test [198.51.100.7])\r\n by mx.example.net with ESMTPS id abc; Tue, 1 Jul 2025 10:00:05 +0000\r\nFrom: Shop <news@shop.test>\r\nTo: bob@example.net\r\nSubject: hi\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\nMessage-ID: <a@shop.test>\r\n\r\n";

#[wasm_bindgen_test]
fn analyses_headers_in_wasm() {
    supply_psl();
    let report = analyze_message(SAMPLE.as_bytes(), "2026-01-01T00:00:00Z").expect("report");
    let message = report.message.expect("message section");
    assert_eq!(message.from.expect("from").address, "news@shop.test");
    assert_eq!(message.hops.len(), 1);
}

/// Prints the time to analyse a 64 KB header block in the browser.
#[wasm_bindgen_test]
fn analyses_64k_header_block_and_prints_time() {
    supply_psl();
    let mut block = String::new();
    let hop = "Received: from relay.example.net (relay.example.net [203.0.113.9])\r\n by mx.example.org with ESMTPS id 1234abcd; Tue, 1 Jul 2025 10:00:00 +0000\r\n";
    while block.len() < 64 * 1024 - 200 {
        block.push_str(hop);
    }
    block.push_str("From: a@example.org\r\nSubject: big\r\n\r\n");
    let perf = web_sys::window()
        .and_then(|w| w.performance())
        .expect("performance");
    let runs = 20;
    let t0 = perf.now();
    for _ in 0..runs {
        let report = analyze_message(block.as_bytes(), "2026-01-01T00:00:00Z").expect("report");
        assert!(report.message.is_some());
    }
    let per_run = (perf.now() - t0) / f64::from(runs);
    web_sys::console::log_1(
        &format!(
            "wasm: analysed a {} byte header block in {per_run:.2} ms (mean of {runs})",
            block.len()
        )
        .into(),
    );
}
