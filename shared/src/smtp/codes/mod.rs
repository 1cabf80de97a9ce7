//! The SMTP reply explainer: basic reply codes (RFC 5321 §4.2) and enhanced
//! status codes (RFC 3463, the IANA registry of RFC 5248, and the codes
//! Gmail and Microsoft document), each with its likely cause and what to do.
//!
//! ```
//! use mxlens_shared::smtp::codes::explain;
//! let e = explain("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown").unwrap();
//! assert_eq!(e.basic_code, Some(550));
//! assert_eq!(e.enhanced_code.as_deref(), Some("5.1.1"));
//! assert_eq!(e.recipient.as_deref(), Some("bob@example.com"));
//! ```
//!
//! Check id: `smtp.reply-code`.

use serde::{Deserialize, Serialize};

mod table;

use self::table::{EnhancedEntry, BASIC, ENHANCED};
use crate::report::{Check, Status};

/// The class of a reply (RFC 5321 §4.2.1 first digit, RFC 3463 §3.1 class).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyClass {
    /// 2xx / 2.x.x: success.
    Success,
    /// 3xx: intermediate (send more).
    Intermediate,
    /// 4xx / 4.x.x: transient failure; the sender retries.
    TransientFailure,
    /// 5xx / 5.x.x: permanent failure; the message bounces.
    PermanentFailure,
}

/// One explained SMTP reply. The fields are declared in alphabetical
/// order: the report carries explanations in `domain.rcpt`
/// (`rcpt_explained`, `failure_explained`), where their members have always
/// been written in that order (they were written through `serde_json`'s
/// sorted `Map`), and so does the engine's answer to "Explain an SMTP error".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyExplanation {
    /// The basic three-digit code (RFC 5321 §4.2), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_code: Option<u16>,
    /// What the basic code means.
    #[serde(default)]
    pub basic_meaning: String,
    /// Success, intermediate, transient or permanent.
    pub class: ReplyClass,
    /// The enhanced status code `class.subject.detail` (RFC 3463), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enhanced_code: Option<String>,
    /// What the enhanced code means.
    #[serde(default)]
    pub enhanced_meaning: String,
    /// The likely cause, in plain words.
    pub likely_cause: String,
    /// The provider whose documented code this is (`Gmail`, `Microsoft`, `Yahoo`), when recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The first e-mail address in the text (usually the rejected recipient).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// RFC and provider references.
    pub refs: Vec<String>,
    /// The reply as found, multi-line replies joined with spaces.
    pub reply: String,
    /// The server's text after the codes.
    pub text: String,
    /// What to do about it.
    pub what_to_do: String,
}

fn subject_meaning(subject: u16) -> &'static str {
    match subject {
        0 => "other or undefined status",
        1 => "addressing status",
        2 => "mailbox status",
        3 => "mail system status",
        4 => "network and routing status",
        5 => "mail delivery protocol status",
        6 => "message content or media status",
        7 => "security or policy status",
        _ => "unknown subject",
    }
}

fn find_enhanced(code: &str) -> Option<&'static EnhancedEntry> {
    if let Some(e) = ENHANCED.iter().find(|e| e.code == code) {
        return Some(e);
    }
    // Microsoft's banned-IP range 5.7.606 to 5.7.649.
    if let Some(detail) = code
        .strip_prefix("5.7.")
        .and_then(|d| d.parse::<u16>().ok())
    {
        if (606..=649).contains(&detail) {
            return ENHANCED.iter().find(|e| e.code == "5.7.606");
        }
    }
    let generic = format!("x{}", &code[1..]);
    ENHANCED.iter().find(|e| e.code == generic)
}

fn detect_provider(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    if lower.contains("gsmtp") || lower.contains("google.com") || lower.contains("gmail") {
        Some("Gmail")
    } else if lower.contains("outlook.com")
        || lower.contains("protection.outlook")
        || lower.contains("resolver.adr")
        || lower.contains("hotmail")
        || lower.contains("microsoft")
        || lower.contains("office365")
    {
        Some("Microsoft")
    } else if lower.contains("yahoo") || lower.contains("aol.com") {
        Some("Yahoo")
    } else {
        None
    }
}

/// The first address-looking token in `text` (`<bob@example.com>` or bare).
fn first_address(text: &str) -> Option<String> {
    for token in
        text.split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '"' || c == '\'')
    {
        let t = token.trim_matches(|c: char| {
            c == '<'
                || c == '>'
                || c == ':'
                || c == '('
                || c == ')'
                || c == '['
                || c == ']'
                || c == '.'
        });
        if let Some((local, domain)) = t.split_once('@') {
            if !local.is_empty() && domain.contains('.') && !domain.contains('@') {
                return Some(t.to_string());
            }
        }
    }
    None
}

/// Parses `c.s.d` (RFC 3463 §2: class 2/4/5, subject and detail up to 3 digits).
fn parse_enhanced(token: &str) -> Option<(u16, u16, u16)> {
    let mut it = token.split('.');
    let class: u16 = it.next()?.parse().ok()?;
    let subject_s = it.next()?;
    let detail_s = it.next()?;
    if it.next().is_some()
        || !matches!(class, 2 | 4 | 5)
        || subject_s.is_empty()
        || detail_s.is_empty()
        || subject_s.len() > 3
        || detail_s.len() > 3
        || !subject_s.chars().all(|c| c.is_ascii_digit())
        || !detail_s.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    Some((class, subject_s.parse().ok()?, detail_s.parse().ok()?))
}

fn parse_basic(token: &str) -> Option<u16> {
    if token.len() != 3 || !token.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let code: u16 = token.parse().ok()?;
    let first = code / 100;
    let second = (code / 10) % 10;
    // RFC 5321 §4.2: first digit 2-5, second digit 0-5.
    ((2..=5).contains(&first) && second <= 5).then_some(code)
}

/// Builds an explanation from the codes and text.
fn build(
    reply: &str,
    basic: Option<u16>,
    enhanced: Option<(u16, u16, u16)>,
    text: &str,
) -> ReplyExplanation {
    let enhanced_code = enhanced.map(|(c, s, d)| format!("{c}.{s}.{d}"));
    let class_digit = basic
        .map(|b| b / 100)
        .or(enhanced.map(|e| e.0))
        .unwrap_or(5);
    let class = match class_digit {
        2 => ReplyClass::Success,
        3 => ReplyClass::Intermediate,
        4 => ReplyClass::TransientFailure,
        _ => ReplyClass::PermanentFailure,
    };
    let basic_entry = basic.and_then(|b| BASIC.iter().find(|e| e.code == b));
    let basic_meaning = match (basic, basic_entry) {
        (_, Some(e)) => e.meaning.to_string(),
        (Some(b), None) => format!(
            "{} reply {b} (not a standard code)",
            match b / 100 {
                2 => "positive completion",
                3 => "positive intermediate",
                4 => "transient negative",
                _ => "permanent negative",
            }
        ),
        (None, None) => String::new(),
    };
    let enhanced_entry = enhanced_code.as_deref().and_then(find_enhanced);
    let mut provider = detect_provider(text).map(str::to_string);
    let lower = text.to_ascii_lowercase();
    let mut refs: Vec<String> = vec!["RFC 5321 §4.2".to_string()];
    if enhanced.is_some() {
        refs.push("RFC 3463".to_string());
    }
    let (enhanced_meaning, mut likely_cause, mut what_to_do) = match (enhanced, enhanced_entry) {
        (Some(_), Some(e)) => {
            refs.extend(e.refs.iter().map(|r| r.to_string()));
            if let Some(p) = e.provider {
                // A provider-specific reading applies only when the reply looks like that provider's,
                // except for codes that only that provider uses.
                if provider.is_none() && matches!(p, "Microsoft") && e.code.starts_with("5.7.") {
                    provider = Some(p.to_string());
                }
            }
            (
                e.meaning.to_string(),
                e.cause.to_string(),
                e.action.to_string(),
            )
        }
        (Some((_, s, _)), None) => (
            format!("{} (detail not registered)", capitalise(subject_meaning(s))),
            String::new(),
            String::new(),
        ),
        _ => (String::new(), String::new(), String::new()),
    };
    if likely_cause.is_empty() {
        if let Some(b) = basic_entry {
            likely_cause = b.cause.to_string();
            what_to_do = b.action.to_string();
        } else {
            likely_cause = "The server gave no standard code; read its text.".to_string();
            what_to_do = match class {
                ReplyClass::TransientFailure => "Let the server retry.".to_string(),
                _ => "Read the server's text for the reason.".to_string(),
            };
        }
    }
    // Text-based refinements for the most frequent real-world replies.
    if lower.contains("greylist") || lower.contains("graylist") {
        likely_cause = "Greylisting: the receiver rejects the first attempt from an unknown sender, IP and recipient triplet and accepts a retry after a few minutes.".to_string();
        what_to_do = "Nothing: your server retries automatically from the same IP. Only if the retry keeps failing, check that the retries come from the same IP (a pool of IPs restarts the greylist).".to_string();
        refs.push("RFC 6647".to_string());
    }
    if (lower.contains("spamhaus")
        || lower.contains("blocklist")
        || lower.contains("blacklist")
        || lower.contains("block list")
        || lower.contains("rbl"))
        && class == ReplyClass::PermanentFailure
    {
        likely_cause.push_str(" The text names a DNS blocklist: the sending IP is listed.");
        what_to_do.push_str(" Look the IP up on the named blocklist and follow its delisting procedure after fixing the cause.");
    }
    // Yahoo's bracketed codes (Yahoo Sender Hub, "SMTP error codes").
    if lower.contains("[tss04]") {
        likely_cause = "Yahoo temporarily defers mail from your IP because of unexpected volume or user complaints (TSS04).".to_string();
        what_to_do = "Let your server retry, slow down, and reduce complaints: send only to engaged recipients and honour unsubscribes. Join Yahoo's Complaint Feedback Loop.".to_string();
        provider = Some("Yahoo".to_string());
        refs.push("Yahoo Sender Hub: SMTP error codes".to_string());
    } else if lower.contains("[tss09]") {
        likely_cause =
            "Yahoo permanently defers all mail from your IP (TSS09); retrying will not succeed."
                .to_string();
        what_to_do = "Stop sending from this IP, fix the cause (compromised account, list quality), and contact Yahoo through the Sender Hub.".to_string();
        provider = Some("Yahoo".to_string());
        refs.push("Yahoo Sender Hub: SMTP error codes".to_string());
    } else if provider.as_deref() == Some("Yahoo") && enhanced_code.as_deref() == Some("5.7.9") {
        likely_cause = "Yahoo refused the message for policy reasons, most often a DMARC failure on a domain with p=reject.".to_string();
        what_to_do = "Make SPF or DKIM pass aligned with the From domain.".to_string();
        refs.push("Yahoo Sender Hub: SMTP error codes".to_string());
    }
    if basic == Some(554) && lower.contains("no smtp service") {
        likely_cause = "The server refuses the connection itself (RFC 5321 §3.1), usually because the connecting IP is blocked.".to_string();
    }
    if provider.as_deref() == Some("Microsoft") {
        if let Some(s) = lower.find("(s").and_then(|i| {
            let rest = &lower[i + 2..];
            let end = rest.find(')')?;
            rest[..end]
                .chars()
                .all(|c| c.is_ascii_digit())
                .then(|| rest[..end].to_string())
        }) {
            what_to_do.push_str(&format!(" Outlook.com reference code S{s}: see https://sendersupport.olc.protection.outlook.com/pm/troubleshooting.aspx."));
        }
    }
    let mut seen = std::collections::HashSet::new();
    refs.retain(|r| seen.insert(r.clone()));
    ReplyExplanation {
        reply: reply.trim().to_string(),
        basic_code: basic,
        enhanced_code,
        text: text.trim().to_string(),
        class,
        basic_meaning,
        enhanced_meaning,
        likely_cause,
        what_to_do,
        refs,
        provider,
        recipient: first_address(text),
    }
}

/// Upper-cases the first letter of our own English text. ASCII only on
/// purpose: `char::to_uppercase` would link core's Unicode case table (about
/// 12 KB) into the browser bundle (issue 7), and every caller passes text
/// from this module that starts with an ASCII letter.
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// (basic code, enhanced code, continuation line?, text).
type SplitReply<'a> = (Option<u16>, Option<(u16, u16, u16)>, bool, &'a str);

/// Splits a reply line at its codes: `550-5.7.26 text` or `451 4.7.1 text`
/// or `5.1.1 text`. Returns (basic, enhanced, continuation?, text).
fn split_codes(line: &str) -> Option<SplitReply<'_>> {
    let line = line.trim_start();
    let (basic, continued, rest) = if line.len() >= 3 && line.is_char_boundary(3) {
        match parse_basic(&line[..3]) {
            Some(code) => {
                let after = &line[3..];
                if after.is_empty() {
                    (Some(code), false, "")
                } else if let Some(r) = after.strip_prefix('-') {
                    (Some(code), true, r)
                } else if after.starts_with([' ', '\t']) {
                    (Some(code), false, after)
                } else {
                    return None;
                }
            }
            None => (None, false, line),
        }
    } else {
        (None, false, line)
    };
    let rest = rest.trim_start();
    let token_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let enhanced = parse_enhanced(rest[..token_end].trim_end_matches([',', ';', ':']));
    let text = if enhanced.is_some() {
        rest[token_end..].trim_start()
    } else {
        rest
    };
    if basic.is_none() && enhanced.is_none() {
        return None;
    }
    // RFC 3463 §2: the enhanced class must match the basic class.
    if let (Some(b), Some((c, _, _))) = (basic, enhanced) {
        if b / 100 != c {
            return Some((basic, None, continued, rest));
        }
    }
    Some((basic, enhanced, continued, text))
}

/// Explains one reply: a line such as `451 4.7.1 Greylisted`, a multi-line
/// reply (`550-5.7.26 ...` lines followed by `550 5.7.26 ...`), or a bare
/// enhanced status (`5.1.1`, e.g. a DSN Status field). Returns `None` when
/// the text does not start with a reply code. Total: never panics.
pub fn explain(text: &str) -> Option<ReplyExplanation> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next()?;
    let (basic, enhanced, mut continued, first_text) = split_codes(first)?;
    let mut joined = first_text.to_string();
    let mut reply = first.to_string();
    for line in lines {
        if !continued {
            break;
        }
        match split_codes(line) {
            Some((b, _, cont, t)) if b == basic => {
                joined.push(' ');
                joined.push_str(t);
                reply.push(' ');
                reply.push_str(line);
                continued = cont;
            }
            _ => break,
        }
    }
    Some(build(&reply, basic, enhanced, &joined))
}

/// Whether the characters before a mid-line code make it plausibly a reply
/// (`said: 550 ...`, `smtp; 550 ...`, `'550 ...`).
fn plausible_prefix(before: &str) -> bool {
    let b = before.trim_end().to_ascii_lowercase();
    b.is_empty()
        || b.ends_with("said:")
        || b.ends_with("smtp;")
        || b.ends_with(':')
        || b.ends_with('\'')
        || b.ends_with('"')
        || b.ends_with('(')
        || b.ends_with("returned")
        || b.ends_with("error")
        || b.ends_with("reply")
}

/// Finds and explains every SMTP reply in a bounce or pasted text: lines
/// starting with a code, and codes after `said:`, `smtp;` or quotes, as
/// bounces quote them. Indented continuation lines are joined. Distinct
/// replies only, in order of appearance. Total: never panics.
pub fn find_replies(text: &str) -> Vec<ReplyExplanation> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<ReplyExplanation> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let mut found: Option<(usize, String)> = None;
        // Candidate positions: every digit that starts a token.
        for (pos, ch) in line.char_indices() {
            if !(ch == '2' || ch == '4' || ch == '5') {
                continue;
            }
            if pos > 0 {
                let prev = line[..pos].chars().next_back().unwrap_or(' ');
                if prev.is_alphanumeric()
                    || prev == '.'
                    || prev == '-'
                    || prev == '/'
                    || prev == '#'
                {
                    continue;
                }
            }
            let candidate = &line[pos..];
            let Some((basic, enhanced, _, _)) = split_codes(candidate) else {
                continue;
            };
            let at_start = line[..pos].trim().is_empty();
            // A mid-line match needs an enhanced code or a reply-like prefix; a bare
            // enhanced code alone needs a prefix such as "Status:" handled by bounce/dsn.rs.
            let plausible = match (basic, enhanced) {
                (Some(b), Some(_)) => b >= 400 || at_start,
                (Some(b), None) => b >= 400 && (at_start || plausible_prefix(&line[..pos])),
                (None, Some((c, _, _))) => c != 2 && (at_start || plausible_prefix(&line[..pos])),
                (None, None) => false,
            };
            if !plausible {
                continue;
            }
            if basic.is_some_and(|b| b < 400) && !at_start {
                continue;
            }
            found = Some((pos, candidate.to_string()));
            break;
        }
        let Some((_, mut candidate)) = found else {
            i += 1;
            continue;
        };
        // Gather multi-line replies and indented continuations.
        let mut j = i + 1;
        while j < lines.len() {
            let next = lines[j];
            if next.trim().is_empty() {
                break;
            }
            let code_line = split_codes(next).is_some();
            let indented = next.starts_with([' ', '\t']);
            let multiline = candidate
                .lines()
                .last()
                .is_some_and(|l| l.trim_start().as_bytes().get(3) == Some(&b'-'));
            if (multiline && code_line) || (indented && !code_line) {
                candidate.push('\n');
                candidate.push_str(next.trim());
                j += 1;
            } else {
                break;
            }
        }
        if let Some(mut e) = explain(&candidate) {
            // Indented continuations are folded text, not further reply lines.
            if !e.reply.contains('\n') && candidate.contains('\n') && e.basic_code.is_some() {
                let extra: Vec<&str> = candidate
                    .lines()
                    .skip(1)
                    .filter(|l| split_codes(l).is_none())
                    .collect();
                if !extra.is_empty() {
                    let text = format!("{} {}", e.text, extra.join(" "));
                    let reply = format!("{} {}", e.reply, extra.join(" "));
                    e = build(
                        &reply,
                        e.basic_code,
                        e.enhanced_code.as_deref().and_then(parse_enhanced),
                        &text,
                    );
                }
            }
            if !out.iter().any(|o| o.reply == e.reply) {
                out.push(e);
            }
        }
        i = j.max(i + 1);
    }
    out
}

/// `smtp.reply-code` for one explained reply: fail for 5xx, warn for 4xx,
/// info otherwise. The caller may set a subject (e.g. the recipient).
pub fn reply_check(expl: &ReplyExplanation) -> Check {
    let status = match expl.class {
        ReplyClass::PermanentFailure => Status::Fail,
        ReplyClass::TransientFailure => Status::Warn,
        _ => Status::Info,
    };
    let codes = match (expl.basic_code, &expl.enhanced_code) {
        (Some(b), Some(e)) => format!("{b} {e}"),
        (Some(b), None) => b.to_string(),
        (None, Some(e)) => e.clone(),
        (None, None) => String::new(),
    };
    let mut meaning = Vec::new();
    if !expl.basic_meaning.is_empty() {
        meaning.push(expl.basic_meaning.clone());
    }
    if !expl.enhanced_meaning.is_empty() {
        meaning.push(expl.enhanced_meaning.clone());
    }
    let provider = expl
        .provider
        .as_deref()
        .map_or_else(String::new, |p| format!(" [{p}]"));
    let detail = format!(
        "{codes}{provider}: {}. Server said: \"{}\". Likely cause: {}",
        meaning.join(" — "),
        expl.text,
        expl.likely_cause
    );
    let mut check = Check::new("smtp.reply-code", status, detail);
    if status != Status::Info {
        check = check.with_fix(expl.what_to_do.clone());
    }
    for r in &expl.refs {
        if !check.refs.iter().any(|x| x == r) {
            check.refs.push(r.clone().into());
        }
    }
    check
}

impl ReplyExplanation {
    /// Who has to act on this reply, in plain words: nobody for a success,
    /// the sending server's retry queue for a transient failure (RFC 5321
    /// §4.5.4.1), and for a permanent failure the party the enhanced code's
    /// subject points at (RFC 3463 §3: addressing, mailbox, mail system,
    /// routing, protocol, content, policy), or the basic code's when there
    /// is no enhanced code.
    pub fn who_must_act(&self) -> &'static str {
        match self.class {
            ReplyClass::Success | ReplyClass::Intermediate => {
                return "Nobody: the server accepted the command."
            }
            ReplyClass::TransientFailure => {
                return "Nobody at first: the sending server retries on its own. If the retries keep failing for hours, the sender's mail administrator.";
            }
            ReplyClass::PermanentFailure => {}
        }
        let mut parts = self.enhanced_code.as_deref().unwrap_or("").split('.');
        let subject = parts.nth(1).and_then(|s| s.parse::<u16>().ok());
        let detail = parts.next().and_then(|d| d.parse::<u16>().ok());
        match (subject, detail) {
            // X.1.7 / X.1.8: the sender's own address is bad (RFC 3463 §3.2).
            (Some(1), Some(7 | 8)) => "The sender's mail administrator: the envelope sender address or its domain is not accepted.",
            (Some(1), _) => "The sender: correct the recipient address or remove it from the list.",
            (Some(2), _) => "The recipient (a full or disabled mailbox); the sender can only try again later or use another address.",
            (Some(3), _) => "The recipient's mail administrator: their mail system refused or failed.",
            (Some(4), _) => "Whoever runs the route: the recipient domain's DNS and MX, or the sender's relay settings.",
            (Some(5), _) => "The sender's mail administrator: the sending software spoke SMTP the server did not accept.",
            (Some(6), _) => "The sender: change the message (size, encoding or content).",
            (Some(7), _) => "The sender's mail administrator or domain owner: authentication (SPF, DKIM, DMARC), sending reputation or TLS.",
            _ => match self.basic_code {
                Some(500..=504) => "The sender's mail administrator: the sending software spoke SMTP the server did not accept.",
                Some(521 | 556) => "The sender: the recipient's domain does not accept mail, so remove the address.",
                Some(530 | 535) => "The sender: the client's login or TLS settings.",
                Some(552) => "The sender (make the message smaller) or the recipient (free space in the mailbox).",
                Some(554) => "The sender's mail administrator or domain owner: reputation, authentication or content.",
                _ => "The sender: read the server's text; an unknown address is removed from the list, a policy rejection goes to the sending domain's administrator.",
            },
        }
    }
}

#[cfg(test)]
mod tests;
