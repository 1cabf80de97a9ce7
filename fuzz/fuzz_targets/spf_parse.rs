//! Fuzzes the total SPF parser: any bytes must parse without panicking,
//! spans must lie inside the input, and the canonical form of whatever was
//! understood must re-parse cleanly to the same model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxlens_shared::spf::{lint::lint_record, parse_record};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = lint_record(&text);
    for d in &parsed.diagnostics {
        assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
    }
    let canonical = parsed.record.to_string();
    let again = parse_record(&canonical);
    assert!(!again.has_errors(), "{canonical}");
    assert_eq!(again.record, parsed.record, "{canonical}");
});
