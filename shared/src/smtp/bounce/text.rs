//! Small text helpers the recognisers share: addresses, the codes inside a
//! diagnostic, folded lines, and where a bounce's quoted copy of the
//! original message starts. All total: any text in, no panic.

pub(crate) use crate::text::contains_ci;

use super::Command;
use crate::text::find_ci;

/// The codes found in a diagnostic text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Codes {
    /// The SMTP reply code (RFC 5321 §4.2).
    pub reply: Option<u16>,
    /// The enhanced status code (RFC 3463 §2).
    pub status: Option<String>,
}

/// Parses `class.subject.detail` (RFC 3463 §2: class 2, 4 or 5; subject
/// and detail of one to three digits).
pub(crate) fn parse_status(token: &str) -> Option<(u8, u16, u16)> {
    let mut it = token.split('.');
    let class = it.next()?;
    let subject = it.next()?;
    let detail = it.next()?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    if it.next().is_some()
        || !matches!(class, "2" | "4" | "5")
        || !digits(subject)
        || !digits(detail)
    {
        return None;
    }
    Some((
        class.as_bytes()[0] - b'0',
        subject.parse().ok()?,
        detail.parse().ok()?,
    ))
}

/// A basic reply code (RFC 5321 §4.2: first digit 2 to 5, second 0 to 5).
pub(crate) fn parse_reply(token: &str) -> Option<u16> {
    let b = token.as_bytes();
    if b.len() != 3
        || !b.iter().all(u8::is_ascii_digit)
        || !(b'2'..=b'5').contains(&b[0])
        || b[1] > b'5'
    {
        return None;
    }
    token.parse().ok()
}

/// How much a status says: 0 for `x.0.0`, 1 for a subject alone (`x.1.0`),
/// 2 for a subject and a detail (`x.1.1`).
pub(crate) fn specificity(status: &str) -> u8 {
    match parse_status(status) {
        Some((_, 0, 0)) | None => 0,
        Some((_, _, 0)) => 1,
        Some(_) => 2,
    }
}

/// The tokens of `text` that are made of digits and dots, with their byte
/// offsets: the candidates for codes.
fn numeric_tokens(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            if bytes[i].is_ascii_digit() && (i == 0 || !is_word_byte(bytes[i - 1])) {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                    i += 1;
                }
                let mut end = i;
                // A sentence may end right after a code ("... (#5.1.1).").
                while end > start && bytes[end - 1] == b'.' {
                    end -= 1;
                }
                if i >= bytes.len() || !is_word_byte(bytes[i]) || bytes[i] == b'-' {
                    return Some((start, &text[start..end]));
                }
                continue;
            }
            i += 1;
        }
        None
    })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'/' || b >= 0x80
}

/// The reply code and enhanced status in a diagnostic. The reply code is
/// the first three-digit 4xx/5xx token; the status is the most specific one
/// of the failure's class: one that follows a reply code wins over one
/// alone, and a specific detail over a generic `x.0.0`-style one (Gmail's
/// `550 550 5.7.1`, SES's `5.1.0 - … 550-'5.7.1 …'`). RFC 3463 §2: the
/// class of the enhanced code matches the reply's first digit.
pub(crate) fn codes_in(text: &str) -> Codes {
    let mut reply: Option<u16> = None;
    let mut statuses: Vec<(bool, &str)> = Vec::new();
    let mut last_reply_end: Option<usize> = None;
    let mut last_reply: Option<u16> = None;
    for (pos, token) in numeric_tokens(text) {
        if let Some(code) = parse_reply(token) {
            if code >= 400 {
                if reply.is_none() {
                    reply = Some(code);
                }
                last_reply_end = Some(pos + 3);
                last_reply = Some(code);
            }
            continue;
        }
        if let Some((class, _, _)) = parse_status(token) {
            if class == 2 {
                continue;
            }
            let after_reply = last_reply_end.is_some_and(|end| {
                text.get(end..pos).is_some_and(|gap| {
                    gap.len() <= 3 && gap.bytes().all(|b| b == b' ' || b == b'-' || b == b'\'')
                })
            });
            // A reply whose first code is of another class (Amazon's
            // `554 4.4.7 … <421 4.4.2 …>`) gives way to a later reply whose
            // codes agree (RFC 3463 §2).
            if after_reply {
                if let (Some(r), Some((c, _, _))) = (last_reply, parse_status(token)) {
                    let first_agrees = reply
                        .zip(statuses.iter().find(|(a, _)| *a).map(|(_, s)| *s))
                        .is_some_and(|(f, s)| s.starts_with(&(f / 100).to_string()));
                    if (r / 100) as u8 == c
                        && reply.is_some_and(|f| (f / 100) as u8 != c)
                        && !first_agrees
                    {
                        reply = Some(r);
                    }
                }
            }
            statuses.push((after_reply, token));
        }
    }
    let class = reply.map(|r| (r / 100) as u8);
    let fits =
        |s: &&(bool, &str)| class.is_none_or(|c| parse_status(s.1).is_some_and(|p| p.0 == c));
    // A status of another class than the reply (`550 4.4.7`) is kept when
    // it is the only one: it still says what happened.
    let best = statuses
        .iter()
        .filter(fits)
        .max_by_key(|(after, s)| (specificity(s), *after))
        .or_else(|| statuses.first());
    Codes {
        reply,
        status: best.map(|(_, s)| (*s).to_string()),
    }
}

/// Strips what surrounds an address in bounces (`<>`, quotes, `rfc822;`,
/// `mailto:`, trailing punctuation) and returns it when it looks like one:
/// a local part, an `@` and a domain with a dot (or a bracketed literal).
pub(crate) fn clean_address(raw: &str) -> Option<String> {
    let mut s = raw.trim();
    if let Some((kind, rest)) = s.split_once(';') {
        if kind.trim().eq_ignore_ascii_case("rfc822") || kind.trim().eq_ignore_ascii_case("utf-8") {
            s = rest.trim();
        }
    }
    if let (Some(open), Some(close)) = (s.find('<'), s.rfind('>')) {
        if open < close {
            s = &s[open + 1..close];
        }
    }
    let s = s.trim_start_matches("mailto:").trim_matches(|c: char| {
        matches!(
            c,
            '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '.' | ' ' | '\t'
        )
    });
    // An address literal keeps its closing bracket (RFC 5321 §4.1.3).
    let literal;
    let s = if s.contains("@[") && !s.ends_with(']') {
        literal = format!("{s}]");
        literal.as_str()
    } else {
        s
    };
    let (local, domain) = s.rsplit_once('@')?;
    let ok_local = !local.is_empty()
        && local.len() <= 128
        && !local.contains(char::is_whitespace)
        && !local.contains(['<', '>', '(', ')', ',']);
    let ok_domain = domain.len() >= 3
        && domain.len() <= 255
        && (domain.contains('.') || domain.starts_with('['))
        && domain.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'[' | b']' | b':')
        })
        || !domain.is_ascii() && !domain.contains(char::is_whitespace);
    (ok_local && ok_domain).then(|| s.to_string())
}

/// Every address in `text`, in order, once each (case-insensitively).
pub(crate) fn addresses_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in
        text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '\'' | '(' | ')' | '='))
    {
        if !token.contains('@') {
            continue;
        }
        if let Some(a) = clean_address(token) {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&a)) {
                out.push(a);
            }
        }
    }
    out
}

/// The first address in `text`.
pub(crate) fn first_address(text: &str) -> Option<String> {
    addresses_in(text).into_iter().next()
}

/// Joins lines into one diagnostic: trimmed, blank lines dropped, single spaces.
pub(crate) fn join_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// Lines that start a bounce's copy of the original message (lower case):
/// the text before the first of them is the report itself.
const ORIGINAL_MARKERS: &[&str] = &[
    "--- below this line is a copy of the message",
    "------ this is a copy of the message",
    "------ this is a copy of the message's headers",
    "--- the header of the original message is following",
    "----- original message -----",
    "----- original message follows -----",
    "------ original message -----",
    "-----original message-----",
    "----- the original message follows",
    "message headers follow",
    "--- original message follows",
    "original message headers:",
    "------ failed message headers",
    "--- message  ---",
    "----- transcript of session follows",
    "--- original message header",
    "this is a copy of the original message",
    "------- returned message --------",
    "--- returned message ---",
    "----- unsent message follows -----",
    "----- message header follows -----",
    "--------returned mail follows--------",
    "----- original message headers follow",
    "---------- original message ----------",
];

/// Where the quoted original starts in a bounce text (the byte offset of
/// the marker line), or `None`. The session transcript is not the original:
/// its marker is not used here. `Input::report` keeps the text before it.
pub(crate) fn original_start(body: &str) -> Option<usize> {
    let marker = first_marker(body).map(|pos| body[..pos].rfind('\n').map_or(0, |nl| nl + 1));
    // Or, with no marker, where quoted trace headers start at a line's
    // beginning (the original pasted right after the report).
    let headers = [
        "\nreceived:",
        "\nreturn-path:",
        "\ndkim-signature:",
        "\nmessage-id:",
    ]
    .iter()
    .filter_map(|h| find_ci(body, h))
    .min()
    .map(|pos| pos + 1);
    match (marker, headers) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The word all but one of [`ORIGINAL_MARKERS`] hold.
const MARKER_KEY: &str = "message";

/// Where the earliest of [`ORIGINAL_MARKERS`] (but the transcript's)
/// starts in `body`, case-insensitively. The markers that hold
/// [`MARKER_KEY`] are compared only where that word occurs, so the body is
/// searched once for them instead of once per marker: every message read
/// for a bounce asks this, and a search per marker was a seventh of the
/// analysis of a pasted "Show original" page (#17 G4). The same answer as
/// the smallest `find_ci(body, marker)` (a test holds it).
fn first_marker(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let wanted = || {
        ORIGINAL_MARKERS
            .iter()
            .zip(KEY_OFFSETS)
            .filter(|(m, _)| !m.contains("transcript"))
    };
    let mut best = wanted()
        .filter(|(_, offset)| offset.is_none())
        .filter_map(|(m, _)| find_ci(body, m))
        .min();
    // The marker's text before its MARKER_KEY is at most this long.
    let longest_prefix = KEY_OFFSETS.iter().flatten().max().copied().unwrap_or(0);
    let mut from = 0;
    while let Some(at) = find_ci(&body[from..], MARKER_KEY) {
        let key_at = from + at;
        if best.is_some_and(|b| key_at > b + longest_prefix) {
            break;
        }
        for (m, offset) in wanted() {
            let Some(start) = offset.and_then(|o| key_at.checked_sub(o)) else {
                continue;
            };
            let found = bytes
                .get(start..start + m.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(m.as_bytes()));
            if found && best.is_none_or(|b| start < b) {
                best = Some(start);
            }
        }
        // The key is ASCII: one byte on is a character boundary.
        from = key_at + 1;
    }
    best
}

/// Where [`MARKER_KEY`] first occurs in each of [`ORIGINAL_MARKERS`].
const KEY_OFFSETS: [Option<usize>; ORIGINAL_MARKERS.len()] = {
    let mut out = [None; ORIGINAL_MARKERS.len()];
    let key = MARKER_KEY.as_bytes();
    let mut i = 0;
    while i < ORIGINAL_MARKERS.len() {
        let m = ORIGINAL_MARKERS[i].as_bytes();
        let mut at = 0;
        while out[i].is_none() && at + key.len() <= m.len() {
            let mut k = 0;
            while k < key.len() && m[at + k] == key[k] {
                k += 1;
            }
            if k == key.len() {
                out[i] = Some(at);
            }
            at += 1;
        }
        i += 1;
    }
    out
};

/// Phrases that name the SMTP command a server refused (lower case).
const COMMANDS: &[(&str, Command)] = &[
    ("rcpt to", Command::Rcpt),
    ("rcpt command", Command::Rcpt),
    (">>> rcpt", Command::Rcpt),
    ("rcpt-to", Command::Rcpt),
    ("does not like recipient", Command::Rcpt),
    ("smtp:rcpt", Command::Rcpt),
    ("end of data", Command::Data),
    ("final data", Command::Data),
    ("after data", Command::Data),
    (">>> data", Command::Data),
    ("data command", Command::Data),
    ("after the data", Command::Data),
    ("mail from", Command::Mail),
    (">>> mail", Command::Mail),
    ("mail command", Command::Mail),
    ("helo", Command::Helo),
    ("ehlo", Command::Helo),
    ("refused to talk to me", Command::Connect),
    ("initial connection", Command::Connect),
    ("greeting", Command::Connect),
];

/// The SMTP command a diagnostic says the server refused: the phrase that
/// comes first in the text.
pub(crate) fn command_in(text: &str) -> Option<Command> {
    let lower = text.to_ascii_lowercase();
    COMMANDS
        .iter()
        .filter_map(|(needle, command)| lower.find(needle).map(|pos| (pos, *command)))
        .min_by_key(|(pos, _)| *pos)
        .map(|(_, command)| command)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `original_start` searches for the markers case-insensitively with
    /// `find_ci`, which wants a lower-case needle.
    #[test]
    fn original_markers_are_lower_case() {
        for m in ORIGINAL_MARKERS {
            assert_eq!(*m, m.to_ascii_lowercase(), "{m}");
        }
    }

    /// `first_marker` against the plain search it replaces, a `find_ci`
    /// per marker: over the fixture corpus, the sisimai bounces, and texts
    /// built to put markers at the edges and inside one another.
    #[test]
    fn first_marker_is_the_earliest_marker_found() {
        let plain = |body: &str| {
            ORIGINAL_MARKERS
                .iter()
                .filter(|m| !m.contains("transcript"))
                .filter_map(|m| find_ci(body, m))
                .min()
        };
        let mut bodies: Vec<String> = vec![
            String::new(),
            "message".into(),
            "-----Original Message-----".into(),
            "x ----- ORIGINAL MESSAGE ----- and --- Returned message --- y".into(),
            "Message headers follow\n--------returned mail follows--------".into(),
            "--------returned mail follows--------\n----- original message -----".into(),
            "this is a copy of the message's headers ------ this is a copy of the message".into(),
            "é message ----- unsent message follows -----".into(),
            "mess message-- message  --- message".into(),
        ];
        for dir in [
            concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/messages"),
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/conformance/sisimai/eml"
            ),
        ] {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten() {
                if let Ok(raw) = std::fs::read(e.path()) {
                    bodies.push(String::from_utf8_lossy(&raw).into_owned());
                }
            }
        }
        assert!(
            bodies.len() > 100,
            "the corpora were read: {}",
            bodies.len()
        );
        for body in &bodies {
            assert_eq!(
                first_marker(body),
                plain(body),
                "{}",
                &body[..body.len().min(200)]
            );
        }
    }

    #[test]
    fn original_start_finds_the_earliest_marker_or_quoted_header() {
        let body = "The mail failed.\nReceived: from x\n----- Original Message -----\nhi";
        assert_eq!(original_start(body), Some(17));
        let body = "Sorry.\r\n----- ORIGINAL message -----\r\nReceived: from x";
        assert_eq!(original_start(body), Some(8));
        assert_eq!(original_start("nothing quoted here"), None);
    }

    #[test]
    fn codes_table() {
        let cases: &[(&str, Option<u16>, Option<&str>)] = &[
            ("550 5.1.1 <a@example.com>: User unknown", Some(550), Some("5.1.1")),
            ("550 550 5.7.1 blocked", Some(550), Some("5.7.1")),
            ("5.1.0 - Unknown address error 550-'5.7.1 <a@b.example>... Access denied'", Some(550), Some("5.7.1")),
            ("550 Unknown user x@example.jp. (#5.5.0)", Some(550), Some("5.5.0")),
            ("host 192.0.2.1 said: 452 4.2.2 over quota", Some(452), Some("4.2.2")),
            ("550 4.4.7 mismatched class", Some(550), Some("4.4.7")),
            ("delivery expired 4.4.7", None, Some("4.4.7")),
            ("554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>", Some(421), Some("4.4.2")),
            ("Exim 4.72 id 8.14.9/8.14.1", None, None),
            ("(#4.4.1)", None, Some("4.4.1")),
            ("250 2.0.0 OK", None, None),
            ("", None, None),
        ];
        for (input, reply, status) in cases {
            let c = codes_in(input);
            assert_eq!(c.reply, *reply, "input: {input:?}");
            assert_eq!(c.status.as_deref(), *status, "input: {input:?}");
        }
    }

    #[test]
    fn addresses_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("<bob@example.com>:", Some("bob@example.com")),
            ("rfc822; bob@example.com", Some("bob@example.com")),
            ("\"shironeko@example.jp\":", Some("shironeko@example.jp")),
            ("mailto:a@b.example.", Some("a@b.example")),
            ("user@[192.0.2.1]", Some("user@[192.0.2.1]")),
            ("not an address", None),
            ("@example.com", None),
            ("a@b", None),
        ];
        for (input, want) in cases {
            assert_eq!(clean_address(input).as_deref(), *want, "input: {input:?}");
        }
        assert_eq!(
            addresses_in("to <a@example.com>, A@example.com and (b@example.org)"),
            vec!["a@example.com", "b@example.org"]
        );
    }
}
