//! Content analysis (issue 20): any bytes, as HTML and as text with links,
//! are scanned without a panic or a hang; wrapped in a multipart message
//! they go through the whole analysis with its Content section.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxlens_shared::content::{html::scan_html, links};
use mxlens_shared::message::analyze_message;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let scan = scan_html(&text);
    for link in scan.links.iter().take(64) {
        let url = links::parse_url(&link.href);
        let _ = links::is_shortener(&url.host) || links::is_ip_literal(&url.host);
        let _ = links::domain_in_text(&link.text);
    }
    let _ = links::urls_in_text(&text);
    let mut message = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: x\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/html\r\n\r\n"
        .to_vec();
    message.extend_from_slice(data);
    message.extend_from_slice(b"\r\n--b--\r\n");
    let _ = analyze_message(&message, "2026-01-01T00:00:00Z");
});
