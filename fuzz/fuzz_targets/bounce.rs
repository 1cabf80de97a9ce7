//! The bounce reader (#14): any bytes give a bounce or `None`, never a
//! panic or a hang, whether read as a message (`read`) or as pasted text
//! (`read_text`); the checks of what it read can be built. Seed corpus: the
//! sisimai bounces (`cp ../../shared/conformance/sisimai/eml/* corpus/bounce/`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxlens_shared::smtp::bounce;

fuzz_target!(|data: &[u8]| {
    if let Some(b) = bounce::read(data) {
        assert!(b.recipients.len() <= bounce::MAX_RECIPIENTS);
        let _ = bounce::checks(&b);
    }
    if let Some(b) = bounce::read_text(&String::from_utf8_lossy(data)) {
        let _ = bounce::checks(&b);
    }
});
