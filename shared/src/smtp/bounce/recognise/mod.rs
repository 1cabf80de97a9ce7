//! The table of recognisers: one small module per family of mail systems,
//! each reading its own text format into [`Finding`]s. The first that
//! recognises the bounce wins; [`generic`] reads what none recognised.
//!
//! Most formats list each failed address on a line of its own, followed by
//! the server's words ([`address_blocks`]); a family module names its
//! markers and adds what is particular to it (a session transcript, a code
//! written `(#5.1.1)`, its own words for a reason).

mod appliances;
pub(crate) mod autoreply;
mod exchange;
mod exim;
mod gmail;
mod japan;
mod mta;
mod postfix;
mod qmail;
mod sendmail;
mod ses;
mod verizon;
mod yahoo;

use super::input::Input;
use super::text::{addresses_in, clean_address, codes_in, command_in, contains_ci, join_lines};
use super::Finding;
use crate::smtp::codes::find_replies;

/// One family's reader: `None` when the bounce is not in its format.
pub(crate) struct Recogniser {
    /// The family's name, reported as `message.bounce.format`.
    pub name: &'static str,
    /// Reads the bounce.
    pub read: fn(&Input) -> Option<Vec<Finding>>,
}

/// The recognisers, most specific first.
static RECOGNISERS: &[Recogniser] = &[
    gmail::GOOGLE_GROUPS,
    gmail::GMAIL,
    exchange::EXCHANGE,
    ses::SES,
    yahoo::YAHOO,
    verizon::VERIZON,
    japan::JAPAN,
    appliances::APPLIANCES,
    qmail::QMAIL,
    postfix::POSTFIX,
    exim::EXIM,
    sendmail::SENDMAIL,
    mta::OTHER_MTAS,
];

/// The first recogniser that reads `input`, with what it read.
pub(crate) fn read(input: &Input) -> (Option<&'static str>, Vec<Finding>) {
    for r in RECOGNISERS {
        if let Some(mut found) = (r.read)(input) {
            found.retain(|f| f.recipient.is_some() || !f.diagnostic.is_empty());
            if !found.is_empty() {
                complete(input, &mut found);
                return (Some(r.name), found);
            }
        }
    }
    (None, Vec::new())
}

/// What every family leaves to the end: the command named in the words,
/// and a recipient from `X-Failed-Recipients` when the text named none.
fn complete(input: &Input, found: &mut [Finding]) {
    let listed = addresses_in(input.header("x-failed-recipients"));
    for (i, f) in found.iter_mut().enumerate() {
        if f.command.is_none() {
            f.command = command_in(&f.diagnostic);
        }
        if f.recipient.is_none() {
            f.recipient = listed.get(i).cloned();
        }
    }
}

/// A bounce no recogniser knows: the SMTP replies in its text, each with
/// the address it names, or the failed addresses the headers list
/// (`X-Failed-Recipients`).
pub(crate) fn generic(input: &Input) -> Vec<Finding> {
    let report = input.report();
    let listed = addresses_in(input.header("x-failed-recipients"));
    let blocks = address_blocks(report);
    if blocks
        .iter()
        .any(|b| codes_in(&b.diagnostic).reply.is_some())
    {
        return blocks;
    }
    // `… rejected recipient <a@example.org> … [550 5.1.1 User unknown]`:
    // lines that name an address and carry a reply.
    let lines: Vec<Finding> = report
        .lines()
        .filter(|l| codes_in(l).reply.is_some())
        .filter_map(|l| {
            Some(Finding {
                recipient: Some(addresses_in(l).into_iter().next()?),
                diagnostic: l.trim().to_string(),
                command: command_in(l),
                ..Finding::default()
            })
        })
        .collect();
    if !lines.is_empty() {
        return lines;
    }
    let replies = find_replies(report);
    let failing: Vec<_> = replies
        .iter()
        .filter(|r| {
            r.basic_code.is_some_and(|c| c >= 400)
                || r.enhanced_code
                    .as_deref()
                    .is_some_and(|s| !s.starts_with('2'))
        })
        .collect();
    if !failing.is_empty() {
        return failing
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let codes = [r.basic_code.map(|c| c.to_string()), r.enhanced_code.clone()];
                Finding {
                    recipient: r.recipient.clone().or_else(|| listed.get(i).cloned()),
                    // A multi-line reply's text joined, after its codes.
                    diagnostic: join_lines(
                        codes
                            .iter()
                            .flatten()
                            .map(String::as_str)
                            .chain([r.text.as_str()]),
                    ),
                    command: command_in(report),
                    // A bare 4xx reply: the sending server will retry.
                    action: (!input.has_headers
                        && r.class == crate::smtp::codes::ReplyClass::TransientFailure)
                        .then_some(crate::report::BounceAction::Delayed),
                    ..Finding::default()
                }
            })
            .collect();
    }
    if !blocks.is_empty() {
        return blocks;
    }
    let diagnostic: String = join_lines(report.lines().take(12))
        .chars()
        .take(600)
        .collect();
    listed
        .into_iter()
        .map(|recipient| Finding {
            recipient: Some(recipient),
            diagnostic: diagnostic.clone(),
            ..Finding::default()
        })
        .collect()
}

/// The address a line starts with (after bullets such as `*`, `-`, `>>>`),
/// and the rest of the line: `<bob@example.net>: host … said: 550 …`,
/// `  bob@example.net`, `"bob@example.net":`, `bob@example.net [User unknown]`.
pub(crate) fn address_line(line: &str) -> Option<(String, &str)> {
    let t = line
        .trim_start()
        .trim_start_matches(['*', '-', '>', '•', ' ', '\t']);
    let t = t.strip_prefix("Recipient:").map_or(t, str::trim_start);
    let end = t.find(char::is_whitespace).unwrap_or(t.len());
    let token = &t[..end];
    if !token.contains('@') || token.contains("=?") {
        return None;
    }
    // The address starts the line (`Name<mailto:…>` aside): text run into
    // an address, as in Japanese sentences, is not an address line.
    if let Some(open) = token.find('<') {
        if !token[..open]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'"' || b == b'.')
        {
            return None;
        }
    }
    let address = clean_address(token)?;
    let rest = t[end..].trim_start().trim_start_matches(':').trim();
    Some((address, rest))
}

/// The width of a line's leading whitespace (a tab counts as eight).
fn indentation(line: &str) -> usize {
    line.chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 8 } else { 1 })
        .sum()
}

/// True for a separator line (`-----`, `=====`, `*****`) that ends a block.
fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3
        && (t.starts_with("---")
            || t.starts_with("===")
            || t.starts_with("***")
            || t.starts_with("___"))
}

/// Every block of an address line and the lines after it, up to a blank
/// line, a separator or the next address line. The same address twice (a
/// bounce in two languages) is read once.
pub(crate) fn address_blocks(text: &str) -> Vec<Finding> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<Finding> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some((address, rest)) = address_line(lines[i]) else {
            i += 1;
            continue;
        };
        let indent = indentation(lines[i]);
        let mut words = vec![rest];
        let mut j = i + 1;
        // An address alone, its words after a blank line (GMX, Gmail).
        if rest.is_empty() {
            while j < lines.len() && lines[j].trim().is_empty() {
                j += 1;
            }
        }
        // A line indented deeper than the address continues its words
        // even when it starts with an address (Postfix folds that way).
        while j < lines.len()
            && !lines[j].trim().is_empty()
            && !is_separator(lines[j])
            && (indentation(lines[j]) > indent
                || address_line(lines[j]).is_none_or(|(a, _)| a.eq_ignore_ascii_case(&address)))
        {
            words.push(lines[j]);
            j += 1;
            // `Reason:` or `For the following reason:` then a blank line.
            if lines[j - 1].trim_end().ends_with(':') {
                while j < lines.len() && lines[j].trim().is_empty() {
                    j += 1;
                }
            }
        }
        let diagnostic = join_lines(words);
        match out.iter_mut().find(|f| {
            f.recipient
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(&address))
        }) {
            Some(f) if f.diagnostic.is_empty() => f.diagnostic = diagnostic,
            Some(_) => {}
            None => out.push(Finding {
                recipient: Some(address),
                diagnostic,
                ..Finding::default()
            }),
        }
        i = j.max(i + 1);
    }
    out
}

/// The text after the first line that contains one of `markers` (lower
/// case), or `None` when there is none.
pub(crate) fn after_marker<'a>(text: &'a str, markers: &[&str]) -> Option<&'a str> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        if markers.iter().any(|m| contains_ci(line, m)) {
            return Some(&text[offset..]);
        }
    }
    None
}

/// The text before the first line that contains one of `markers`.
pub(crate) fn before_marker<'a>(text: &'a str, markers: &[&str]) -> &'a str {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if markers.iter().any(|m| contains_ci(line, m)) {
            return &text[..offset];
        }
        offset += line.len();
    }
    text
}

/// True when the body (or the Subject or From) contains one of `markers`.
pub(crate) fn has_any(input: &Input, markers: &[&str]) -> bool {
    markers.iter().any(|m| contains_ci(&input.body, m))
}

/// One finding per listed address, each with the same words and hint: for
/// formats that list the failed addresses apart from one explanation.
pub(crate) fn each_address(
    addresses: Vec<String>,
    words: &str,
    hint: Option<crate::report::Reason>,
) -> Vec<Finding> {
    addresses
        .into_iter()
        .map(|r| Finding {
            recipient: Some(r),
            diagnostic: words.to_string(),
            hint,
            ..Finding::default()
        })
        .collect()
}

/// Blocks for a one-recipient bounce whose words are not under the
/// address: the address comes from the blocks (or the text), the words are
/// `words`.
pub(crate) fn with_words(mut found: Vec<Finding>, words: &str) -> Vec<Finding> {
    let words = join_lines(words.lines());
    for f in &mut found {
        if codes_in(&f.diagnostic).reply.is_none() && !words.is_empty() {
            f.diagnostic = if f.diagnostic.is_empty() {
                words.clone()
            } else {
                format!("{} {}", f.diagnostic, words)
            };
        }
    }
    found
}
