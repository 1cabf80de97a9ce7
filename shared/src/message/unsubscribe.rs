//! List-Unsubscribe (RFC 2369 §3.2) and one-click unsubscribe (RFC 8058).
//!
//! Check ids: `msg.list-unsubscribe`, `msg.one-click-unsubscribe`.

use mail_parser::Message;
use serde::{Deserialize, Serialize};

use super::hygiene::{count_headers, diag, raw_values, Diagnostic, Severity};
use crate::report::{Check, Status};

/// The exact value RFC 8058 §3.1 requires in List-Unsubscribe-Post.
pub const ONE_CLICK_VALUE: &str = "List-Unsubscribe=One-Click";

/// What the unsubscribe headers offer; the checklists read it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsubscribeState {
    /// A List-Unsubscribe header is present.
    pub has_list_unsubscribe: bool,
    /// The URIs of the first List-Unsubscribe header, in order.
    #[serde(default)]
    pub uris: Vec<String>,
    /// The first https URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_uri: Option<String>,
    /// The first mailto URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailto_uri: Option<String>,
    /// Syntax problems found in List-Unsubscribe (RFC 2369 §3.2).
    #[serde(default)]
    pub syntax_problems: Vec<String>,
    /// A List-Unsubscribe-Post header is present.
    pub has_post: bool,
    /// Its value, unfolded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_value: Option<String>,
    /// The value is exactly `List-Unsubscribe=One-Click`.
    pub post_value_ok: bool,
    /// One DKIM signature's `h=` lists both List-Unsubscribe and List-Unsubscribe-Post.
    pub dkim_covers_both: bool,
    /// The message looks like bulk or list mail (List-Id, Precedence: bulk/list, List-Unsubscribe-Post).
    pub looks_bulk: bool,
    /// A discussion list (List-Post present): members post to it, it is not marketing.
    pub discussion_list: bool,
    /// All RFC 8058 conditions we can see from the headers hold.
    pub one_click: bool,
}

/// Parses an RFC 2369 §3.2 List-* value: a comma-separated list of
/// angle-bracketed URIs, each optionally followed by a comment. Returns the
/// URIs and the diagnostics, with byte spans into `value`. Total: never panics.
pub fn parse_list_header(value: &str) -> (Vec<String>, Vec<Diagnostic>) {
    let mut uris = Vec::new();
    let mut diagnostics = Vec::new();
    // `rest` is always a suffix of `value`, so its offset is the length difference.
    let offset = |rest: &str| value.len() - rest.len();
    let mut rest = value.trim_end();
    while !rest.is_empty() {
        rest = rest.trim_start_matches([' ', '\t', ',', '\r', '\n']);
        if rest.is_empty() {
            break;
        }
        if let Some(after) = rest.strip_prefix('(') {
            // A comment (RFC 2369 §2 allows them after each URI); skip to ')'.
            match after.find(')') {
                Some(end) => rest = &after[end + 1..],
                None => {
                    diagnostics.push(diag(
                        offset(rest),
                        offset(rest) + rest.len(),
                        "list.unclosed-comment",
                        Severity::Error,
                        "an unclosed comment",
                        "RFC 2369 §2",
                    ));
                    break;
                }
            }
            continue;
        }
        if let Some(after) = rest.strip_prefix('<') {
            match after.find('>') {
                Some(end) => {
                    let uri: String = after[..end]
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect();
                    if uri.is_empty() {
                        diagnostics.push(diag(
                            offset(rest),
                            offset(rest) + end + 2,
                            "list.empty-uri",
                            Severity::Error,
                            "an empty <>",
                            "RFC 2369 §2",
                        ));
                    } else {
                        uris.push(uri);
                    }
                    rest = &after[end + 1..];
                }
                None => {
                    diagnostics.push(diag(
                        offset(rest),
                        offset(rest) + rest.len(),
                        "list.unclosed-bracket",
                        Severity::Error,
                        format!("\"<{after}\" lacks the closing >"),
                        "RFC 2369 §2",
                    ));
                    break;
                }
            }
        } else {
            // RFC 2369 §2: URIs MUST be enclosed in angle brackets.
            let end = rest.find(',').unwrap_or(rest.len());
            let bare = rest[..end].trim();
            diagnostics.push(diag(
                offset(rest),
                offset(rest) + end,
                "list.no-angle-brackets",
                Severity::Error,
                format!("\"{bare}\" is not enclosed in angle brackets"),
                "RFC 2369 §2",
            ));
            if bare.contains(':') {
                uris.push(bare.to_string());
            }
            rest = &rest[end..];
        }
    }
    (uris, diagnostics)
}

fn scheme(uri: &str) -> String {
    uri.split_once(':')
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether the headers mark the message as bulk or list mail.
fn looks_bulk(msg: &Message<'_>) -> bool {
    let precedence = raw_values(msg, "Precedence")
        .iter()
        .any(|v| matches!(v.to_ascii_lowercase().as_str(), "bulk" | "list" | "junk"));
    // Feedback-ID is not a sign: Amazon SES and others add it to transactional mail too.
    precedence
        || count_headers(msg, "List-Id") > 0
        || count_headers(msg, "List-Unsubscribe-Post") > 0
}

/// Reads the unsubscribe state. `dkim_signed_headers` holds one `h=` list per
/// DKIM-Signature, lower-case names (pass only signatures that verified when
/// that is known; RFC 8058 §4 needs a valid signature).
pub fn state(msg: &Message<'_>, dkim_signed_headers: &[Vec<String>]) -> UnsubscribeState {
    let mut st = UnsubscribeState {
        looks_bulk: looks_bulk(msg),
        discussion_list: count_headers(msg, "List-Post") > 0,
        ..UnsubscribeState::default()
    };
    let values = raw_values(msg, "List-Unsubscribe");
    if let Some(first) = values.first() {
        st.has_list_unsubscribe = true;
        let (uris, diagnostics) = parse_list_header(first);
        st.syntax_problems = diagnostics.into_iter().map(|d| d.message).collect();
        if values.len() > 1 {
            st.syntax_problems.push(format!(
                "{} List-Unsubscribe headers; receivers read only one",
                values.len()
            ));
        }
        st.https_uri = uris.iter().find(|u| scheme(u) == "https").cloned();
        st.mailto_uri = uris.iter().find(|u| scheme(u) == "mailto").cloned();
        for uri in &uris {
            let s = scheme(uri);
            if !matches!(s.as_str(), "https" | "http" | "mailto") {
                st.syntax_problems.push(format!(
                    "\"{uri}\" uses the scheme \"{s}\", which receivers do not act on"
                ));
            }
        }
        st.uris = uris;
    }
    let posts = raw_values(msg, "List-Unsubscribe-Post");
    if let Some(post) = posts.first() {
        st.has_post = true;
        st.post_value_ok = post.trim() == ONE_CLICK_VALUE && posts.len() == 1;
        st.post_value = Some(post.clone());
    }
    st.dkim_covers_both = dkim_signed_headers.iter().any(|h| {
        let has = |name: &str| h.iter().any(|x| x.trim().eq_ignore_ascii_case(name));
        has("list-unsubscribe") && has("list-unsubscribe-post")
    });
    st.one_click = st.has_list_unsubscribe
        && st.https_uri.is_some()
        && st.post_value_ok
        && st.dkim_covers_both;
    st
}

/// Both unsubscribe checks. See [`state`] for `dkim_signed_headers`.
pub fn checks(msg: &Message<'_>, dkim_signed_headers: &[Vec<String>]) -> Vec<Check> {
    checks_from_state(&state(msg, dkim_signed_headers))
}

/// Builds `msg.list-unsubscribe` and `msg.one-click-unsubscribe` from a state.
pub fn checks_from_state(st: &UnsubscribeState) -> Vec<Check> {
    vec![list_unsubscribe_check(st), one_click_check(st)]
}

fn list_unsubscribe_check(st: &UnsubscribeState) -> Check {
    let id = "msg.list-unsubscribe";
    let fix =
        "Add `List-Unsubscribe: <https://example.com/unsub?id=...>, <mailto:unsub@example.com>`.";
    if !st.has_list_unsubscribe {
        return if st.looks_bulk {
            Check::new(
                id,
                Status::Fail,
                "No List-Unsubscribe header, yet the message is list or bulk mail (List-Id or Precedence). Gmail and Yahoo require it from bulk senders.",
            )
            .with_fix(fix)
        } else {
            Check::new(
                id,
                Status::NotApplicable,
                "No List-Unsubscribe header; it is required only for bulk and list mail.",
            )
        };
    }
    let listed = st
        .uris
        .iter()
        .map(|u| format!("<{u}>"))
        .collect::<Vec<_>>()
        .join(", ");
    if st.uris.is_empty() {
        return Check::new(
            id,
            Status::Fail,
            format!(
                "List-Unsubscribe holds no usable URI ({}).",
                st.syntax_problems.join("; ")
            ),
        )
        .with_fix(fix);
    }
    if !st.syntax_problems.is_empty() {
        return Check::new(
            id,
            Status::Warn,
            format!(
                "List-Unsubscribe: {listed}. Problems: {}.",
                st.syntax_problems.join("; ")
            ),
        )
        .with_fix(fix);
    }
    if st.https_uri.is_none() && st.mailto_uri.is_none() {
        return Check::new(
            id,
            Status::Warn,
            format!("List-Unsubscribe: {listed} offers only plain http; use https (RFC 8058 needs it for one-click) or add a mailto."),
        )
        .with_fix(fix);
    }
    Check::new(id, Status::Pass, format!("List-Unsubscribe: {listed}"))
}

fn one_click_check(st: &UnsubscribeState) -> Check {
    let id = "msg.one-click-unsubscribe";
    let fix = "Add `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, an https List-Unsubscribe URI that unsubscribes on POST, and sign both headers with DKIM (h=...:list-unsubscribe:list-unsubscribe-post).";
    if !st.has_list_unsubscribe && !st.has_post {
        return if st.looks_bulk {
            Check::new(
                id,
                Status::Fail,
                "No List-Unsubscribe or List-Unsubscribe-Post header on bulk mail: Gmail and Yahoo require RFC 8058 one-click unsubscribe.",
            )
            .with_fix(fix)
        } else {
            Check::new(
                id,
                Status::NotApplicable,
                "No unsubscribe headers; one-click is required only for bulk and marketing mail.",
            )
        };
    }
    if st.one_click {
        return Check::new(
            id,
            Status::Pass,
            format!(
                "One-click ready: List-Unsubscribe-Post: {ONE_CLICK_VALUE}, https URI {}, and a DKIM signature covers both headers.",
                st.https_uri.as_deref().unwrap_or_default()
            ),
        );
    }
    let mut missing = Vec::new();
    if !st.has_list_unsubscribe {
        missing.push("there is no List-Unsubscribe header to POST to (RFC 8058 §3.1)".to_string());
    } else if st.https_uri.is_none() {
        missing.push(
            "List-Unsubscribe has no https URI; RFC 8058 §3.1 needs one (mailto and http do not count)"
                .to_string(),
        );
    }
    match (&st.post_value, st.post_value_ok) {
        (None, _) => missing.push(format!(
            "List-Unsubscribe-Post is missing; it must be exactly \"{ONE_CLICK_VALUE}\" (RFC 8058 §3.1)"
        )),
        (Some(v), false) => missing.push(format!(
            "List-Unsubscribe-Post is \"{v}\" (or repeated); it must be exactly one header with \"{ONE_CLICK_VALUE}\" (RFC 8058 §3.1)"
        )),
        _ => {}
    }
    if !st.dkim_covers_both {
        missing.push(
            "no DKIM signature's h= lists both List-Unsubscribe and List-Unsubscribe-Post (RFC 8058 §4)"
                .to_string(),
        );
    }
    // Tried one-click (Post header present) and got it wrong: fail. A plain
    // list without the Post header: fail for bulk mail, warn otherwise.
    // Discussion lists are not the marketing mail the rule targets: warn.
    let status = if st.has_post || (st.looks_bulk && !st.discussion_list) {
        Status::Fail
    } else {
        Status::Warn
    };
    Check::new(
        id,
        status,
        format!(
            "One-click unsubscribe is not complete: {}.",
            missing.join("; ")
        ),
    )
    .with_fix(fix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    #[test]
    fn list_header_diagnostic_spans() {
        // input, code, start, end
        let cases: &[(&str, &str, u32, u32)] = &[
            ("https://example.com/u", "list.no-angle-brackets", 0, 21),
            (
                "<mailto:a@example.com>, https://x.test/u",
                "list.no-angle-brackets",
                24,
                40,
            ),
            ("  <https://example.com/u", "list.unclosed-bracket", 2, 24),
            ("<a:b> (note", "list.unclosed-comment", 6, 11),
            ("<>", "list.empty-uri", 0, 2),
        ];
        for (input, code, start, end) in cases {
            let (_, d) = parse_list_header(input);
            let first = d
                .first()
                .unwrap_or_else(|| panic!("input: {input:?} gave no diagnostic"));
            assert_eq!(
                (first.code, first.span.start, first.span.end),
                (*code, *start, *end),
                "input: {input:?}"
            );
        }
    }

    #[test]
    fn parse_list_header_table() {
        let cases: &[(&str, &[&str], usize)] = &[
            (
                "<https://example.com/u?x=1>",
                &["https://example.com/u?x=1"],
                0,
            ),
            (
                "<mailto:u@example.com?subject=unsub>, <https://example.com/u>",
                &[
                    "mailto:u@example.com?subject=unsub",
                    "https://example.com/u",
                ],
                0,
            ),
            (
                "<https://example.com/u> (click here)",
                &["https://example.com/u"],
                0,
            ),
            ("https://example.com/u", &["https://example.com/u"], 1),
            ("<https://example.com/u", &[], 1),
            ("<>", &[], 1),
            ("", &[], 0),
            (
                "<https://exa\r\n mple.com/u>",
                &["https://example.com/u"],
                0,
            ),
            ("(unclosed", &[], 1),
        ];
        for (input, uris, problems) in cases {
            let (got, probs) = parse_list_header(input);
            assert_eq!(got, *uris, "input: {input:?}");
            assert_eq!(
                probs.len(),
                *problems,
                "input: {input:?} problems {probs:?}"
            );
        }
    }

    fn statuses(headers: &str, dkim: &[Vec<String>]) -> (Status, Status, UnsubscribeState) {
        let raw = format!("From: a@example.com\r\n{headers}Subject: x\r\n\r\nbody");
        let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let c = checks(&msg, dkim);
        (c[0].status, c[1].status, state(&msg, dkim))
    }

    fn h(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn one_click_table() {
        let both = vec![h(&[
            "from",
            "subject",
            "list-unsubscribe",
            "list-unsubscribe-post",
        ])];
        let one = vec![h(&["from", "list-unsubscribe"])];
        let cases: Vec<(&str, Vec<Vec<String>>, Status, Status)> = vec![
            ("", vec![], Status::NotApplicable, Status::NotApplicable),
            ("List-Id: <news.example.com>\r\n", vec![], Status::Fail, Status::Fail),
            (
                "List-Unsubscribe: <https://example.com/u>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
                both.clone(),
                Status::Pass,
                Status::Pass,
            ),
            (
                "List-Unsubscribe: <https://example.com/u>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
                one.clone(),
                Status::Pass,
                Status::Fail,
            ),
            (
                "List-Unsubscribe: <mailto:u@example.com>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
                both.clone(),
                Status::Pass,
                Status::Fail,
            ),
            (
                "List-Unsubscribe: <https://example.com/u>\r\nList-Unsubscribe-Post: list-unsubscribe=one-click\r\n",
                both.clone(),
                Status::Pass,
                Status::Fail,
            ),
            (
                "List-Unsubscribe: <mailto:u@example.com>\r\n",
                vec![],
                Status::Pass,
                Status::Warn,
            ),
            (
                "List-Id: <dev.example.org>\r\nList-Post: <mailto:dev@example.org>\r\nList-Unsubscribe: <mailto:dev-leave@example.org>\r\n",
                vec![],
                Status::Pass,
                Status::Warn,
            ),
            (
                "Feedback-ID: 1:2:ses\r\n",
                vec![],
                Status::NotApplicable,
                Status::NotApplicable,
            ),
            (
                "List-Unsubscribe: https://example.com/u\r\n",
                vec![],
                Status::Warn,
                Status::Warn,
            ),
            (
                "List-Unsubscribe: <http://example.com/u>\r\n",
                vec![],
                Status::Warn,
                Status::Warn,
            ),
        ];
        for (headers, dkim, want_list, want_one) in cases {
            let (l, o, st) = statuses(headers, &dkim);
            assert_eq!(
                (l, o),
                (want_list, want_one),
                "input: {headers:?} state {st:?}"
            );
        }
    }
}
