//! Received parser: any text, no panic; the date, when found, is in range.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxlens_shared::message::received::lint_received;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (parsed, _diagnostics) = lint_received(&text);
    if let Some(date) = parsed.date {
        assert!((1..=12).contains(&date.month) && (1..=31).contains(&date.day));
        let _ = date.unix_seconds();
        let _ = date.to_rfc3339();
    }
});
