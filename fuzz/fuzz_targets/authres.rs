//! Authentication-Results and Received-SPF parsers: any text, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxlens_shared::message::authres::{parse_authentication_results, parse_received_spf};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = parse_authentication_results(&text);
    for result in &parsed.results {
        let _ = result.property("smtp", "mailfrom");
    }
    let _ = parse_received_spf(&text);
});
