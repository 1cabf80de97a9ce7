//! Message analysis: pasted headers or a whole raw message in, a `message`
//! report out. Runs in the browser (WASM) and natively.

pub mod datetime;
pub mod input;
pub mod received;

use mail_parser::{HeaderName, MessageParser};
use thiserror::Error;

use crate::report::{Check, FromAddress, Hop, MessageSection, Report, ReportKind, Status};

/// The largest paste we analyse (1 MiB).
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// Input we refuse to analyse. Everything else yields a report.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    /// Nothing but whitespace.
    #[error("the input is empty: paste raw headers or a whole message")]
    Empty,
    /// Over [`MAX_INPUT_BYTES`].
    #[error("the input is {size} bytes; the limit is 1 MiB (1048576 bytes)")]
    TooLarge {
        /// The size given.
        size: u64,
    },
}

/// Analyses a pasted header block or whole message. `generated_at` is the
/// RFC 3339 time to stamp on the report (`shared` has no clock).
pub fn analyze_message(input: &[u8], generated_at: &str) -> Result<Report, InputError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            size: input.len() as u64,
        });
    }
    if input.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(InputError::Empty);
    }
    let parsed = MessageParser::default().parse_headers(input);
    let mut section = MessageSection::default();
    let mut checks = Vec::new();

    if let Some(message) = parsed.as_ref() {
        let froms: Vec<_> = message
            .headers()
            .iter()
            .filter(|h| h.name == HeaderName::From)
            .collect();
        let first = message.from().and_then(|a| a.first()).and_then(|a| {
            a.address
                .as_ref()
                .map(|addr| (a.name.clone(), addr.to_string()))
        });
        match (froms.len(), first) {
            (1, Some((name, address))) if address.contains('@') => {
                let domain = address
                    .rsplit('@')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                checks.push(Check::new(
                    "msg.from",
                    Status::Pass,
                    format!("From: {address}"),
                ));
                section.from = Some(FromAddress {
                    name: name.map(|n| n.to_string()),
                    address,
                    domain,
                });
            }
            (0, _) => checks.push(Check::new("msg.from", Status::Fail, "no From header")),
            (n, _) => checks.push(Check::new(
                "msg.from",
                Status::Fail,
                format!("{n} From header(s) without exactly one valid address"),
            )),
        }
        let hops = message
            .headers()
            .iter()
            .filter(|h| h.name == HeaderName::Received)
            .count();
        section.hops = (0..hops).map(|_| Hop::default()).collect();
        checks.push(Check::new(
            "msg.received-chain",
            Status::Info,
            format!("{hops} Received hop(s)"),
        ));
    } else {
        checks.push(Check::new(
            "msg.from",
            Status::Fail,
            "no header block found",
        ));
    }

    let mut report = Report::new(ReportKind::Message, generated_at, checks);
    report.message = Some(section);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_hops_and_finds_from() {
        let raw = b"Received: from a by b; Tue, 1 Jul 2025 10:00:00 +0000\r\nReceived: from c by d; Tue, 1 Jul 2025 09:59:00 +0000\r\nFrom: Alice <alice@Example.com>\r\nSubject: hi\r\n\r\nbody";
        let report = analyze_message(raw, "2025-07-01T10:00:00Z").unwrap();
        let m = report.message.unwrap();
        assert_eq!(m.hops.len(), 2);
        assert_eq!(m.from.unwrap().domain, "example.com");
    }

    #[test]
    fn refuses_empty_and_oversized_input() {
        assert_eq!(analyze_message(b" \n ", "t"), Err(InputError::Empty));
        let big = vec![b'a'; MAX_INPUT_BYTES + 1];
        assert!(matches!(
            analyze_message(&big, "t"),
            Err(InputError::TooLarge { .. })
        ));
    }
}
