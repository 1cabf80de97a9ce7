//! Tests of `input.rs` (a file of their own, so that the module stays
//! under the 600-line guard rail of #18).

use super::*;

#[test]
fn skips_gmail_summary_table() {
    let raw = "Original message\nMessage ID\t<a@b>\nCreated at:\tTue, 1 Jul 2025\nFrom:\tAlice <a@example.com>\nTo:\tbob@gmail.com\nSubject:\thi\nSPF:\tPASS with IP 1.2.3.4\nDownload original\tCopy to clipboard\nDelivered-To: bob@gmail.com\nReceived: by 2002::1 with SMTP id x; Tue, 1 Jul 2025 10:00:01 -0700 (PDT)\nFrom: Alice <a@example.com>\nSubject: hi\n\nbody\n";
    let parsed = parse_input(raw.as_bytes());
    let names: Vec<_> = parsed.headers.iter().map(|h| h.name).collect();
    assert_eq!(names, ["Delivered-To", "Received", "From", "Subject"]);
    assert!(parsed.has_body);
    assert_eq!(parsed.diagnostics[0].code, "input.junk-before-headers");
    let from = parsed.first("from").unwrap();
    assert_eq!(
        &raw[from.span.start as usize..from.span.end as usize],
        "From: Alice <a@example.com>"
    );
}

#[test]
fn unfolds_and_handles_mixed_endings_and_leading_blank_lines() {
    let raw = b"\r\n\n  \nSubject: a\r\n b\nX-Bin: \xff\xfe\r\nFrom: x@y\n";
    let parsed = parse_input(raw);
    assert_eq!(parsed.line_endings, LineEndings::Mixed);
    assert_eq!(parsed.first("subject").unwrap().value, "a b");
    assert!(parsed.first("x-bin").unwrap().value.contains('\u{FFFD}'));
    assert!(!parsed.has_body);
    assert_eq!(parsed.count("FROM"), 1);
}

#[test]
fn decodes_encoded_words_through_mail_parser() {
    let raw =
        b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.de>\nSubject: =?utf-8?b?R3LDvMOfZQ==?=\n\n";
    let parsed = parse_input(raw);
    assert_eq!(parsed.decoded_subject().as_deref(), Some("Grüße"));
    let (name, addr) = parsed.from_mailbox().unwrap();
    assert_eq!(name.as_deref(), Some("Jürgen"));
    assert_eq!(addr, "j@example.de");
}

#[test]
fn body_text_is_decoded() {
    let raw = b"From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n123 Main St=2C Springfield=0D=0AGr=C3=BC=C3=9Fe\r\n";
    let parsed = parse_input(raw);
    let body = parsed.body_text().unwrap();
    assert!(body.contains("123 Main St, Springfield"), "{body:?}");
    assert!(body.contains("Grüße"));
    assert_eq!(parse_input(b"From: a@b\n\n").body_text(), None);
}

#[test]
fn prose_with_a_colon_before_the_headers() {
    let raw = b"Note: this went to spam\n\nReceived: from a by b; Tue, 1 Jul 2025 10:00:00 +0000\nFrom: x@example.com\n\nbody\n";
    let parsed = parse_input(raw);
    let names: Vec<_> = parsed.headers.iter().map(|h| h.name).collect();
    assert_eq!(names, ["Received", "From"]);
    assert!(parsed.has_body);
    // A lone custom field with nothing after it is still the block.
    let parsed = parse_input(b"Foo: bar\n\n");
    assert_eq!(parsed.headers.len(), 1);
}

#[test]
fn mbox_from_line_and_outlook_leading_blank_lines() {
    let raw = b"From MAILER-DAEMON Tue Jul  1 10:00:00 2025\nReceived: from a by b; Tue, 1 Jul 2025 10:00:00 +0000\nFrom: x@example.com\n\n";
    let parsed = parse_input(raw);
    assert_eq!(parsed.headers.len(), 2);
    let raw =
        b"\r\n\r\nReceived: from a by b; Tue, 1 Jul 2025 10:00:00 +0000\r\nFrom: x@example.com\r\n";
    let parsed = parse_input(raw);
    assert_eq!(parsed.headers[0].span.start, 4);
    assert_eq!(parsed.line_endings, LineEndings::Crlf);
}

#[test]
fn never_panics_on_odd_input() {
    for raw in [
        &b""[..],
        b":",
        b"\r",
        b"\n\n\n",
        b" continuation first\nA: b",
        b"\xEF\xBB\xBFA: b",
        b"no headers at all",
    ] {
        let _ = parse_input(raw);
    }
}

/// The lines the header scan reads on demand, and the paste's line-ending
/// style, as splitting the whole paste on `\n` gives them (a `\r` before
/// the `\n`, or ending the paste, is not part of the line).
#[test]
fn lines_and_endings_as_a_split_gives_them() {
    fn reference(input: &[u8]) -> (Vec<(usize, usize, usize)>, LineEndings) {
        let mut lines = Vec::new();
        let mut start = 0;
        let (mut crlf, mut lf) = (false, false);
        for piece in input.split(|&b| b == b'\n') {
            let end = start + piece.len();
            let has_newline = end < input.len();
            if !has_newline && piece.is_empty() {
                break;
            }
            if has_newline {
                if piece.last() == Some(&b'\r') {
                    crlf = true;
                } else {
                    lf = true;
                }
            }
            let content = if piece.last() == Some(&b'\r') {
                end - 1
            } else {
                end
            };
            let next = if has_newline { end + 1 } else { end };
            lines.push((start, content, next));
            start = next;
        }
        let endings = match (crlf, lf) {
            (true, true) => LineEndings::Mixed,
            (true, false) => LineEndings::Crlf,
            (false, true) => LineEndings::Lf,
            (false, false) => LineEndings::None,
        };
        (lines, endings)
    }
    for input in [
        &b""[..],
        b"\n",
        b"\r",
        b"\r\n",
        b"a",
        b"a\r",
        b"a\n\r\nb\r",
        b"\n\nA: b\r\n c\n\r\r\nbody",
        b"A: b\r\nB: c\r\n\r\nbody\r\n",
        b"\r\r\n\r",
    ] {
        let lines: Vec<_> = (Lines { input, at: 0 })
            .map(|l| (l.start, l.end, l.next))
            .collect();
        assert_eq!(
            (lines, line_endings(input)),
            reference(input),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

/// A one-line UTF-8 value is borrowed from the paste; a folded or repaired
/// one is a copy. Both lose the whitespace around them.
#[test]
fn values_are_borrowed_unless_folded_or_repaired() {
    let raw = b"Subject:  one line  \r\nTo: a@example.com,\r\n  b@example.com \r\nX-Bad: caf\xE9\r\nFrom: x@example.com\r\n\r\n";
    let parsed = parse_input(raw);
    let value = |name: &str| &parsed.first(name).unwrap().value;
    assert!(matches!(value("subject"), Cow::Borrowed("one line")));
    assert!(matches!(value("to"), Cow::Owned(v) if v == "a@example.com,  b@example.com"));
    assert!(matches!(value("x-bad"), Cow::Owned(v) if v == "caf\u{FFFD}"));
    assert!(parsed
        .diagnostics
        .iter()
        .any(|d| d.code == "input.non-utf8"));
    // A replacement character written in UTF-8 (a value someone repaired
    // before pasting) is no sign of a bad byte, folded or not.
    let parsed = parse_input("Subject: caf\u{FFFD}\r\nTo: a@b,\r\n c\u{FFFD}\r\n\r\n".as_bytes());
    assert_eq!(parsed.headers.len(), 2);
    assert!(!parsed
        .diagnostics
        .iter()
        .any(|d| d.code == "input.non-utf8"));
    // A bad byte on a continuation line is found.
    let parsed = parse_input(b"To: a@b,\r\n c\xFF\r\n\r\n");
    assert!(parsed
        .diagnostics
        .iter()
        .any(|d| d.code == "input.non-utf8"));
}

/// The shared parser skips the values of the fields nothing reads from it
/// (Received, and every field its table does not name), but still lists
/// them with their offsets, which is how our readers take them.
#[test]
fn skipped_fields_are_still_listed_with_their_offsets() {
    let raw = b"Received: from a by b; Tue, 1 Jul 2025 10:00:00 +0000\r\nX-Failed-Recipients: bob@example.com,\r\n carol@example.com\r\nFrom: x@example.com\r\nSubject: hi\r\n\r\nbody\r\n";
    let msg = message_parser().parse(&raw[..]).unwrap();
    let names: Vec<_> = msg.headers().iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        ["Received", "X-Failed-Recipients", "From", "Subject"]
    );
    assert_eq!(
        crate::message::hygiene::raw_values(&msg, "x-failed-recipients"),
        ["bob@example.com, carol@example.com"]
    );
    assert_eq!(
        crate::message::hygiene::raw_values(&msg, "received"),
        ["from a by b; Tue, 1 Jul 2025 10:00:00 +0000"]
    );
    // The fields the analysis reads from mail-parser are still parsed.
    assert_eq!(msg.subject(), Some("hi"));
    assert_eq!(
        msg.from().and_then(|f| f.first()).and_then(|a| a.address()),
        Some("x@example.com")
    );
}
