//! DKIM-Signature parser and lint: any text, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxlens_shared::dkim::signature::{lint_dkim_signature, parse_dkim_signature};
use mxlens_shared::message::input::parse_input;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let signature = parse_dkim_signature(&text);
    let input = parse_input(b"From: a@example.com\r\n\r\n");
    let _ = lint_dkim_signature(&signature, &input, Some(1_767_225_600), Some(0));
});
