//! Input normalisation: whatever people paste, a list of header fields with
//! byte offsets into the original input.
//!
//! Accepted: a header block only, a whole MIME message, Gmail's "Show
//! original" page (a summary table precedes the headers), Outlook's
//! "Internet headers", Apple Mail's raw source, an mbox `From ` line,
//! CRLF, LF or mixed line endings, leading blank lines or junk, folded or
//! unfolded fields, RFC 2047 encoded words and non-UTF-8 bytes.
//!
//! ```text
//! field      = field-name ":" unstructured CRLF        ; RFC 5322 §3.6.8
//! field-name = 1*ftext                                 ; %d33-57 / %d59-126
//! unfolding  = remove CRLF that precedes WSP            ; RFC 5322 §2.2.3
//! ```

use std::borrow::Cow;

use mail_parser::{HeaderName, MessageParser};

pub use crate::diagnostic::{Diagnostic, Severity, Span};

/// One header field as it appeared in the paste.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderField<'a> {
    /// The field name as written (case preserved): ASCII, as the field
    /// name's syntax requires, borrowed from the paste.
    pub name: &'a str,
    /// The unfolded value, leading and trailing whitespace removed, non-UTF-8
    /// bytes replaced by U+FFFD. Encoded words are *not* decoded here
    /// (structured parsers need the raw text); see
    /// [`ParsedInput::decoded_subject`]. Borrowed from the paste when the
    /// field is one line of UTF-8 (most fields): only folded or repaired
    /// values are copied (#17 G4).
    pub value: Cow<'a, str>,
    /// The whole field, from the first byte of the name to the end of the
    /// last continuation line (line break excluded).
    pub span: Span,
    /// The value part: after the colon to the end of the field.
    pub value_span: Span,
}

impl HeaderField<'_> {
    /// Case-insensitive name comparison.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// Which line endings the paste used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEndings {
    /// Only CRLF.
    Crlf,
    /// Only LF.
    Lf,
    /// Both.
    Mixed,
    /// A single line.
    None,
}

/// The paste, split into header fields and an optional body.
#[derive(Debug, Clone)]
pub struct ParsedInput<'a> {
    /// The original bytes.
    pub input: &'a [u8],
    /// Header fields in order of appearance (top first, i.e. newest
    /// trace fields first).
    pub headers: Vec<HeaderField<'a>>,
    /// Byte offset of the first header field.
    pub header_start: u32,
    /// Byte offset of the body, when a blank line separated one.
    pub body_start: Option<u32>,
    /// True when a non-empty body follows the header block.
    pub has_body: bool,
    /// Line-ending style of the paste.
    pub line_endings: LineEndings,
    /// What was skipped or repaired.
    pub diagnostics: Vec<Diagnostic>,
    /// Set when the body's MIME structure passed a limit of
    /// [`super::mime_limits`]: the message is then analysed from its header
    /// block only (mail-parser never sees the body).
    pub mime_limit: Option<super::mime_limits::MimeLimit>,
}

/// mail-parser configured as its defaults, except for the fields nothing
/// reads mail-parser's value of. Received is skipped: our own `received`
/// module parses the stamps (the chain), and letting mail-parser tokenise
/// every stamp a second time cost a fifth of the analysis time on long
/// chains. So is every field its table does not name (DKIM-Signature,
/// Authentication-Results, ARC-*, X-*…): mail-parser's default copied each
/// into a new string, 2–3% of the analysis (#17 G4), while our readers take
/// those fields from the paste by the offsets mail-parser still records
/// (`hygiene::raw_values`, `bounce::Input`). Setting any one header
/// switches mail-parser from its built-in table to this map, so the map
/// repeats that table (mail-parser 0.11 `parsers/header.rs`) header by
/// header.
///
/// Built once: the map is a hash table of about 40 entries, and building it
/// for every parse was 6% of the analysis of a small message (#17 G4).
pub fn message_parser() -> &'static MessageParser {
    static PARSER: std::sync::OnceLock<MessageParser> = std::sync::OnceLock::new();
    PARSER.get_or_init(build_message_parser)
}

fn build_message_parser() -> MessageParser {
    use HeaderName as H;
    let mut parser = MessageParser::new();
    for h in [
        H::Subject,
        H::Comments,
        H::ContentDescription,
        H::ContentLocation,
        H::ContentTransferEncoding,
    ] {
        parser = parser.header_text(h);
    }
    for h in [
        H::From,
        H::To,
        H::Cc,
        H::Bcc,
        H::ReplyTo,
        H::Sender,
        H::ResentTo,
        H::ResentFrom,
        H::ResentBcc,
        H::ResentCc,
        H::ResentSender,
        H::ListArchive,
        H::ListHelp,
        H::ListId,
        H::ListOwner,
        H::ListPost,
        H::ListSubscribe,
        H::ListUnsubscribe,
    ] {
        parser = parser.header_address(h);
    }
    for h in [H::Date, H::ResentDate] {
        parser = parser.header_date(h);
    }
    for h in [
        H::MessageId,
        H::References,
        H::InReplyTo,
        H::ReturnPath,
        H::ContentId,
        H::ResentMessageId,
    ] {
        parser = parser.header_id(h);
    }
    for h in [H::Keywords, H::ContentLanguage] {
        parser = parser.header_comma_separated(h);
    }
    for h in [H::ContentType, H::ContentDisposition] {
        parser = parser.header_content_type(h);
    }
    parser
        .ignore_header(H::Received)
        .header_raw(H::MimeVersion)
        .default_header_ignore()
}

impl<'a> ParsedInput<'a> {
    /// All fields with this name (case-insensitive), top first.
    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s HeaderField<'a>> + 's {
        self.headers.iter().filter(move |h| h.is(name))
    }

    /// The first (topmost) field with this name.
    pub fn first(&self, name: &str) -> Option<&HeaderField<'a>> {
        self.headers.iter().find(|h| h.is(name))
    }

    /// How many fields have this name.
    pub fn count(&self, name: &str) -> u32 {
        self.all(name).count() as u32
    }

    /// The message from the first header onwards, for mail-parser.
    pub fn message_bytes(&self) -> &'a [u8] {
        &self.input[self.header_start as usize..]
    }

    /// The header block only (from the first field to the blank line).
    pub fn header_bytes(&self) -> &'a [u8] {
        let end = self
            .body_start
            .map_or(self.input.len(), |b| (b as usize).min(self.input.len()));
        &self.input[(self.header_start as usize).min(end)..end]
    }

    /// Subject and From decoded by mail-parser (RFC 2047 encoded words,
    /// RFC 5322 address syntax), in one pass that parses only those two
    /// fields.
    pub fn decoded(&self) -> DecodedHeaders {
        let parser = MessageParser::new()
            .header_text(HeaderName::Subject)
            .header_address(HeaderName::From)
            .default_header_ignore();
        parser
            .parse_headers(self.header_bytes())
            .map_or_else(DecodedHeaders::default, |message| {
                DecodedHeaders::of(&message)
            })
    }

    /// The Subject with RFC 2047 encoded words decoded (by mail-parser).
    pub fn decoded_subject(&self) -> Option<String> {
        self.decoded().subject
    }

    /// The first From mailbox, decoded by mail-parser: (display name,
    /// addr-spec). `None` when From is missing or holds no address.
    pub fn from_mailbox(&self) -> Option<(Option<String>, String)> {
        self.decoded().from.into_iter().next()
    }

    /// The body as text, decoded by mail-parser (MIME structure,
    /// quoted-printable, base64, charsets; HTML converted to text when there
    /// is no text part). `None` for a header-only paste.
    pub fn body_text(&self) -> Option<String> {
        if !self.has_body || self.mime_limit.is_some() {
            return None;
        }
        let message = message_parser().parse(self.message_bytes())?;
        let texts: Vec<String> = (0..message.text_body_count())
            .filter_map(|i| super::html_text::body_text(&message, i).map(|t| t.into_owned()))
            .collect();
        if texts.is_empty() {
            super::html_text::body_text(&message, 0).map(|t| t.into_owned())
        } else {
            Some(texts.join("\n"))
        }
    }
}

/// Subject and From as decoded by mail-parser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodedHeaders {
    /// The decoded Subject.
    pub subject: Option<String>,
    /// Every mailbox of the first From field: (display name, addr-spec).
    pub from: Vec<(Option<String>, String)>,
}

impl DecodedHeaders {
    /// Subject and From of a message mail-parser parsed with Subject as
    /// text and From as addresses, as [`message_parser`] and
    /// [`ParsedInput::decoded`] both do: the analysis reads them from its
    /// one parse of the message instead of parsing the header block again.
    pub fn of(message: &mail_parser::Message<'_>) -> DecodedHeaders {
        let from = message
            .from()
            .map(|list| {
                list.iter()
                    .filter_map(|a| {
                        let address = a.address.as_ref()?.to_string();
                        Some((a.name.as_ref().map(|n| n.to_string()), address))
                    })
                    .collect()
            })
            .unwrap_or_default();
        DecodedHeaders {
            subject: message.subject().map(str::to_string),
            from,
        }
    }
}

/// One physical line: content range (without its line break) and the offset
/// of the next line.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
}

/// The lines of a paste from `at` on, found as the header scan asks for
/// them: the scan stops at the header block's end, so a body is not split
/// into lines it never reads (#17 G4).
struct Lines<'a> {
    input: &'a [u8],
    at: usize,
}

impl Iterator for Lines<'_> {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        let start = self.at;
        let rest = self.input.get(start..).filter(|rest| !rest.is_empty())?;
        let (content_end, next) = match memchr::memchr(b'\n', rest) {
            Some(n) => (start + n, start + n + 1),
            None => (self.input.len(), self.input.len()),
        };
        // A CR before the line feed (or ending the paste) is not content.
        let end = if content_end > start && self.input[content_end - 1] == b'\r' {
            content_end - 1
        } else {
            content_end
        };
        self.at = next;
        Some(Line { start, end, next })
    }
}

/// The line-ending style of the whole paste: CRLF where a line feed follows
/// a carriage return, LF where it does not.
fn line_endings(input: &[u8]) -> LineEndings {
    let (mut crlf, mut lf) = (false, false);
    for newline in memchr::memchr_iter(b'\n', input) {
        if newline > 0 && input[newline - 1] == b'\r' {
            crlf = true;
        } else {
            lf = true;
        }
        if crlf && lf {
            break;
        }
    }
    match (crlf, lf) {
        (true, true) => LineEndings::Mixed,
        (true, false) => LineEndings::Crlf,
        (false, true) => LineEndings::Lf,
        (false, false) => LineEndings::None,
    }
}

/// The length of the field name when `line` starts a header field
/// (`ftext+ ":"`, RFC 5322 §3.6.8). Names longer than 76 bytes are refused:
/// such lines are prose, not headers.
fn field_name_len(line: &[u8]) -> Option<usize> {
    let colon = line.iter().position(|&b| b == b':')?;
    if colon == 0 || colon > 76 {
        return None;
    }
    line[..colon]
        .iter()
        .all(|&b| (33..=126).contains(&b) && b != b':')
        .then_some(colon)
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// A header-ish run of lines: when a junk line interrupts it, a short run
/// is dropped (it was a summary table such as Gmail's "Show original");
/// a long run that already holds trace fields keeps going.
fn run_is_established(input: &[u8], lines: &[Line], run: &[usize]) -> bool {
    run_has_trace(input, lines, run) && run.len() >= 8
}

/// True when the run holds a trace or signature field: what a real header
/// block from a mailbox has and a summary table (Gmail's "Show original"
/// lists From/To/Subject/SPF/DKIM/DMARC) does not.
fn run_has_trace(input: &[u8], lines: &[Line], run: &[usize]) -> bool {
    run.iter().any(|&i| {
        let l = &input[lines[i].start..lines[i].end];
        let name = field_name_len(l).map(|n| &l[..n]).unwrap_or(b"");
        [
            "received",
            "dkim-signature",
            "authentication-results",
            "arc-seal",
            "return-path",
            "message-id",
        ]
        .iter()
        .any(|t| name.eq_ignore_ascii_case(t.as_bytes()))
    })
}

/// True when the run holds at least one field a message header block has.
fn run_has_message_header(input: &[u8], lines: &[Line], run: &[usize]) -> bool {
    const KNOWN: [&str; 14] = [
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "received",
        "message-id",
        "dkim-signature",
        "authentication-results",
        "return-path",
        "delivered-to",
        "mime-version",
        "content-type",
        "reply-to",
    ];
    run.iter().any(|&i| {
        let l = &input[lines[i].start..lines[i].end];
        field_name_len(l).is_some_and(|n| {
            let name = &l[..n];
            KNOWN
                .iter()
                .any(|k| name.eq_ignore_ascii_case(k.as_bytes()))
                || name.len() > 2 && name[..2].eq_ignore_ascii_case(b"x-")
        })
    })
}

/// `String::from_utf8_lossy`, borrowing valid UTF-8 (nearly every line,
/// nearly every paste) after `from_utf8`'s fast check instead of walking it
/// chunk by chunk (#17 G4).
pub(crate) fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Splits a paste into header fields. Total: any bytes give a result.
pub fn parse_input(input: &[u8]) -> ParsedInput<'_> {
    let mut diagnostics = Vec::new();
    let input_body = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let bom = input.len() - input_body.len();
    let line_endings = line_endings(input_body);
    // The lines read so far: the scan below stops at the header block's
    // end (or, looking past a summary table, wherever it gives up).
    let mut lines: Vec<Line> = Vec::with_capacity(64);

    // Find the header block: the run of field/continuation lines that the
    // first blank line (or the end) closes. Junk before it is skipped.
    let mut run: Vec<usize> = Vec::with_capacity(64);
    let mut junk_inside: Vec<usize> = Vec::new();
    let mut is_junk: Vec<bool> = Vec::with_capacity(64);
    // Once a run is established it stays so until it is reset; caching it
    // keeps the scan linear on hostile input.
    let mut established = false;
    let mut skipped: Vec<usize> = Vec::new();
    let mut body_start = None;
    let mut fallback: Option<(Vec<usize>, usize, usize)> = None;
    for line in (Lines { input, at: bom }) {
        let index = lines.len();
        lines.push(line);
        is_junk.push(false);
        let text = &input[line.start..line.end];
        if is_blank(text) {
            if run.is_empty() {
                continue;
            }
            // "Note: my mail went to spam" followed by a blank line and the
            // real headers: a run without any message header is prose.
            // A run without trace fields may be a summary table followed by
            // the real headers: keep it as the fallback and look further.
            let strong = run_has_trace(input, &lines, &run);
            if fallback.is_some() && !strong {
                // A later run without trace fields does not beat the first.
                run.clear();
                break;
            }
            if (!run_has_message_header(input, &lines, &run) || !strong) && fallback.is_none() {
                fallback = Some((run.clone(), skipped.len(), line.next));
                skipped.append(&mut run);
                established = false;
                skipped.push(index);
                continue;
            }
            body_start = Some(line.next);
            break;
        }
        let continuation = matches!(text.first(), Some(b' ' | b'\t'));
        if (continuation && !run.is_empty()) || field_name_len(text).is_some() {
            run.push(index);
        } else if !run.is_empty()
            && (established || {
                established = run_is_established(input, &lines, &run);
                established
            })
        {
            // A stray line inside a real header block (a value wrapped
            // without indentation): keep it as a continuation.
            junk_inside.push(index);
            is_junk[index] = true;
            run.push(index);
        } else {
            skipped.append(&mut run);
            established = false;
            skipped.push(index);
        }
    }

    if fallback.is_some() && !run.is_empty() && !run_has_trace(input, &lines, &run) {
        run.clear();
    }
    if run.is_empty() {
        // Nothing better followed the prose-like run: it was the header
        // block after all.
        if let Some((first_run, skipped_before, body)) = fallback {
            run = first_run;
            skipped.truncate(skipped_before);
            body_start = Some(body);
        }
    }
    if let (Some(&first), Some(&last)) = (skipped.first(), skipped.last()) {
        if !run.is_empty() {
            diagnostics.push(Diagnostic::new(
                "input.junk-before-headers",
                Severity::Info,
                Span::new(lines[first].start, lines[last].end),
                format!(
                    "skipped {} line(s) before the first header field (e.g. a \"Show original\" summary)",
                    skipped.len()
                ),
                "RFC 5322 §2.2",
            ));
        }
    }
    for &index in &junk_inside {
        diagnostics.push(Diagnostic::new(
            "input.unindented-continuation",
            Severity::Warning,
            Span::new(lines[index].start, lines[index].end),
            "a line inside the header block is neither a field nor indented; treated as a continuation",
            "RFC 5322 §2.2.3",
        ));
    }

    let mut headers: Vec<HeaderField> = Vec::with_capacity(run.len());
    for &index in &run {
        let line = &lines[index];
        let text = &input[line.start..line.end];
        let starts_field = !matches!(text.first(), Some(b' ' | b'\t'))
            && !is_junk[index]
            && field_name_len(text).is_some();
        if starts_field {
            let name_len = field_name_len(text).unwrap_or(0);
            let value_start = line.start + name_len + 1;
            let raw_value = &input[value_start..line.end];
            let skip = raw_value
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count();
            headers.push(HeaderField {
                // ftext is printable ASCII (RFC 5322 §3.6.8), so the name
                // is UTF-8.
                name: std::str::from_utf8(&text[..name_len]).unwrap_or_default(),
                value: utf8_lossy(&raw_value[skip..]),
                span: Span::new(line.start, line.end),
                value_span: Span::new(value_start, line.end),
            });
        } else if let Some(field) = headers.last_mut() {
            // Unfold: the line break goes, the whitespace stays (§2.2.3).
            let cont = utf8_lossy(text);
            if field.value.is_empty() {
                field.value = Cow::Owned(cont.trim_start().to_string());
            } else {
                field.value.to_mut().push_str(&cont);
            }
            field.span.end = line.end as u32;
            field.value_span.end = line.end as u32;
        }
    }
    for field in &mut headers {
        let trimmed = field.value.trim_end().len();
        match &mut field.value {
            Cow::Borrowed(value) => *value = &value[..trimmed],
            Cow::Owned(value) => value.truncate(trimmed),
        }
        // A borrowed value is UTF-8 as it stands; a copied one (folded or
        // repaired) is checked in the paste. A U+FFFD written in valid
        // UTF-8 is not a repair, and is not reported as one.
        let span = field.value_span.start as usize..field.value_span.end as usize;
        let repaired = matches!(field.value, Cow::Owned(_))
            && input
                .get(span)
                .is_some_and(|raw| std::str::from_utf8(raw).is_err());
        if repaired {
            diagnostics.push(Diagnostic::new(
                "input.non-utf8",
                Severity::Info,
                field.value_span,
                format!("{} holds bytes that are not UTF-8", field.name),
                "RFC 6532 §3.2",
            ));
        }
    }

    let header_start = run.first().map_or(0, |&i| lines[i].start);
    let has_body = body_start.is_some_and(|start| !is_blank(&input[start.min(input.len())..]));
    let mime_limit = if has_body {
        mime_limit(&input[header_start..], header_start, &mut diagnostics)
    } else {
        None
    };
    ParsedInput {
        input,
        headers,
        header_start: header_start as u32,
        body_start: body_start.map(|b| b as u32),
        has_body,
        line_endings,
        diagnostics,
        mime_limit,
    }
}

/// Runs the MIME pre-scan (#19 H3) and explains a limit passed.
fn mime_limit(
    message: &[u8],
    offset: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<super::mime_limits::MimeLimit> {
    use super::mime_limits::{prescan, MimeLimit, MAX_MIME_CONTAINERS, MAX_MIME_PARTS};
    let over = prescan(message).over?;
    let (code, what) = match over {
        MimeLimit::Containers => (
            "input.mime-too-deep",
            format!("more than {MAX_MIME_CONTAINERS} multipart/message parts (nesting)"),
        ),
        MimeLimit::Parts => (
            "input.mime-too-many-parts",
            format!("more than {MAX_MIME_PARTS} MIME parts"),
        ),
    };
    diagnostics.push(Diagnostic::new(
        code,
        Severity::Warning,
        Span::new(offset, offset + message.len()),
        format!("the body has {what}: only the header block was analysed"),
        "RFC 2046 §5.1",
    ));
    Some(over)
}

#[cfg(test)]
#[path = "input_tests.rs"]
mod tests;
