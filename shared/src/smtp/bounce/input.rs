//! A bounce taken apart for the recognisers: its headers, the text it
//! writes (text parts, HTML rendered to text, charsets decoded by
//! mail-parser), the RFC 3464 delivery-status part, and the original
//! message it quotes.

use std::cell::OnceCell;

use mail_parser::{Message, MimeHeaders, PartType};

use super::dsn::{parse_delivery_status, DeliveryStatus};
use super::text::original_start;
use crate::message::html_text::html_to_text;
use crate::message::hygiene::unfold;

/// Largest text, in bytes, that the readers look at: a bounce's own words
/// fit in a few kilobytes; anything beyond is a quoted original or noise.
pub(crate) const MAX_TEXT: usize = 256 * 1024;

/// The pieces of a bounce.
#[derive(Debug, Default)]
pub(crate) struct Input {
    /// The top-level headers the readers ask about ([`HEADERS_READ`]),
    /// names in lower case, values unfolded.
    pub headers: Vec<(String, String)>,
    /// True when the message had a header block at all.
    pub has_headers: bool,
    /// The text the bounce writes (all its text parts, in order).
    pub body: String,
    /// The delivery-status part, parsed (RFC 3464 §2).
    pub dsn: Option<DeliveryStatus>,
    /// The quoted original message (a `message/rfc822` part or
    /// `text/rfc822-headers`), as text.
    pub original: Option<String>,
    /// Raw attached messages: a forwarded bounce is one of them.
    pub attached: Vec<Vec<u8>>,
    /// True when the top level was `multipart/report; report-type=delivery-status`.
    pub is_report: bool,
    /// Where the quoted original starts in `body`, found once: every
    /// recogniser reads only the report before it.
    original_at: OnceCell<Option<usize>>,
}

impl Input {
    /// A parsed message taken apart.
    pub(crate) fn from_message(msg: &Message<'_>) -> Input {
        let raw: &[u8] = msg.raw_message.as_ref();
        let mut input = Input {
            // Only the fields a reader asks about are copied: a message's
            // other fields (hundreds of Received, say) cost a lower-cased
            // name and an unfolded value each for nothing (issue #17 G4).
            headers: msg
                .headers()
                .iter()
                .filter(|h| {
                    let name = h.name.as_str();
                    HEADERS_READ.iter().any(|r| r.eq_ignore_ascii_case(name))
                })
                .map(|h| {
                    let start = h.offset_start as usize;
                    let end = (h.offset_end as usize).max(start);
                    let value = raw.get(start..end).unwrap_or_default();
                    (
                        h.name.as_str().to_ascii_lowercase(),
                        unfold(&String::from_utf8_lossy(value)),
                    )
                })
                .collect(),
            has_headers: !msg.headers().is_empty(),
            ..Input::default()
        };
        if let Some(subject) = msg.subject() {
            // The decoded Subject (RFC 2047) replaces the raw one.
            input.headers.retain(|(n, _)| n != "subject");
            input
                .headers
                .push(("subject".to_string(), subject.to_string()));
        }
        if let Some(ct) = msg.content_type() {
            input.is_report = ct.c_type.eq_ignore_ascii_case("multipart")
                && ct
                    .c_subtype
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
                && ct
                    .attribute("report-type")
                    .is_none_or(|t| t.to_ascii_lowercase().contains("delivery-status"));
        }
        let mut dsn_text = String::new();
        for part in &msg.parts {
            let (c_type, c_subtype) = part
                .content_type()
                .map(|ct| {
                    (
                        ct.c_type.to_ascii_lowercase(),
                        ct.c_subtype
                            .as_deref()
                            .unwrap_or_default()
                            .to_ascii_lowercase(),
                    )
                })
                .unwrap_or_else(|| ("text".to_string(), "plain".to_string()));
            let kind = (c_type.as_str(), c_subtype.as_str());
            match (&part.body, kind) {
                (PartType::Multipart(_), _) => {}
                (_, ("message" | "text", "delivery-status" | "global-delivery-status")) => {
                    dsn_text.push_str(&String::from_utf8_lossy(part.contents()));
                    dsn_text.push('\n');
                }
                (PartType::Message(m), _) => {
                    let bytes = m.raw_message();
                    input
                        .original
                        .get_or_insert_with(|| String::from_utf8_lossy(cap(bytes)).into_owned());
                    input.attached.push(bytes.to_vec());
                }
                (
                    _,
                    ("text", "rfc822-headers")
                    | ("message", "rfc822" | "global" | "global-headers"),
                ) => {
                    input.original.get_or_insert_with(|| {
                        String::from_utf8_lossy(cap(part.contents())).into_owned()
                    });
                }
                (PartType::Text(text), _) => push_text(&mut input.body, text),
                (PartType::Html(html), _) => push_text(&mut input.body, &html_to_text(html)),
                (PartType::Binary(_) | PartType::InlineBinary(_), ("text", _)) => {
                    push_text(&mut input.body, &String::from_utf8_lossy(part.contents()));
                }
                _ => {}
            }
        }
        if !dsn_text.is_empty() {
            input.dsn = Some(parse_delivery_status(&dsn_text)).filter(|d| !d.recipients.is_empty());
        }
        input
    }

    /// Plain text with no header block (a pasted bounce body or SMTP reply).
    pub(crate) fn from_text(text: &str) -> Input {
        let mut input = Input::default();
        push_text(&mut input.body, text);
        input
    }

    /// Where the quoted original starts in the body
    /// ([`original_start`]), computed on first use.
    pub(crate) fn original_start(&self) -> Option<usize> {
        *self.original_at.get_or_init(|| original_start(&self.body))
    }

    /// The report part of the body: the text before the quoted original.
    pub(crate) fn report(&self) -> &str {
        &self.body[..self.original_start().unwrap_or(self.body.len())]
    }

    /// The first value of a header (`name` in lower case, one of
    /// [`HEADERS_READ`]), or "".
    pub(crate) fn header(&self, name: &str) -> &str {
        debug_assert!(
            HEADERS_READ.contains(&name),
            "{name}: add it to HEADERS_READ, or it is never copied"
        );
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The From header in lower case.
    pub(crate) fn sender_lower(&self) -> String {
        self.header("from").to_lowercase()
    }

    /// The decoded Subject.
    pub(crate) fn subject(&self) -> &str {
        self.header("subject")
    }

    /// True when the headers make the message look like a bounce: a
    /// delivery report, a mailer daemon's From, a bounce Subject, or
    /// Exim's X-Failed-Recipients.
    pub(crate) fn looks_like_bounce(&self) -> bool {
        if self.is_report || self.dsn.is_some() || !self.header("x-failed-recipients").is_empty() {
            return true;
        }
        let from = self.sender_lower();
        let subject = self.subject().to_lowercase();
        BOUNCE_FROM.iter().any(|f| from.contains(f))
            || BOUNCE_SUBJECTS.iter().any(|s| subject.contains(s))
    }
}

/// The header fields the readers look at ([`Input::header`]), in lower
/// case: the only ones [`Input::from_message`] copies.
const HEADERS_READ: &[&str] = &[
    "from",
    "subject",
    "x-failed-recipients",
    "x-ahmailid",
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-autoresponder",
    "x-autoreply-from",
];

/// Words in a bounce's From (lower case).
const BOUNCE_FROM: &[&str] = &[
    "mailer-daemon",
    "mailer daemon",
    "postmaster",
    "mail delivery",
    "mail-daemon",
    "maildaemon",
    "<>",
    "mail administrator",
    "mailadmin",
];

/// Words in a bounce's Subject (lower case).
const BOUNCE_SUBJECTS: &[&str] = &[
    "undelivered mail",
    "undeliverable",
    "undeliverd",
    "delivery status notification",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "delivery delayed",
    "delivery notification",
    "failure notice",
    "returned mail",
    "returned to sender",
    "returning message to sender",
    "mail system error",
    "non-delivery",
    "nondeliverable",
    "not delivered",
    "could not send message",
    "delivery problem",
    "delivery report",
    "mail delivery",
    "warning: could not send",
    "delivery error",
];

/// At most [`MAX_TEXT`] bytes.
fn cap(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.len().min(MAX_TEXT)]
}

/// Appends a text part, keeping the total under [`MAX_TEXT`] (cut on a character boundary).
fn push_text(body: &mut String, text: &str) {
    let room = MAX_TEXT.saturating_sub(body.len());
    if room == 0 {
        return;
    }
    let mut end = text.len().min(room);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    body.push_str(&text[..end]);
    if !body.ends_with('\n') {
        body.push('\n');
    }
}
