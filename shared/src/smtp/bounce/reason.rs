//! The reason class of a failed recipient, from the server's words and from
//! the codes. The classes are sisimai's (see [`Reason`]).
//!
//! The words are read first: "mailbox full" says more than a bare 550, and
//! a 550 5.1.1 whose text says the mailbox is full is a full mailbox. A
//! specific enhanced status (RFC 3463 §3) decides when the words say
//! nothing, and wins over words of a neighbouring class (a 5.2.3 that says
//! "message too large" is the recipient's limit, not the system's). When
//! the two disagree the recipient carries a note that says which one the
//! reason follows. Then the SMTP command the server refused decides what is
//! left: a refusal at MAIL FROM is about the sender, one at the greeting or
//! HELO is a block, and a delayed recipient with no other reason is still
//! being retried.

use super::text::parse_status;
use super::{Command, Finding};
use crate::report::{BounceAction, Reason};

mod table;

use self::table::{DIRECTORY_WORDS, PHRASES, WEAK_PHRASES};

/// The reason the words name, if any (`lower` is the diagnostic in lower case).
pub(crate) fn reason_from_text(lower: &str) -> Option<Reason> {
    // "<domain> does not exist" or "host <domain> not found" names a
    // host, not a mailbox.
    for (words, needs_host) in [(" does not exist", false), (" not found", true)] {
        if let Some(at) = lower.find(words) {
            let mut before = lower[..at].split_whitespace().rev();
            let name = before
                .next()
                .unwrap_or_default()
                .trim_matches(|c: char| !c.is_ascii_alphanumeric());
            let host_word = before.next() == Some("host");
            if (host_word || !needs_host)
                && name.contains('.')
                && !name.contains('@')
                && name.bytes().any(|b| b.is_ascii_alphabetic())
            {
                return Some(Reason::HostUnknown);
            }
        }
    }
    find_phrase(PHRASES, lower)
}

fn find_phrase(table: &[(Reason, &[&str])], lower: &str) -> Option<Reason> {
    table
        .iter()
        .find(|(_, phrases)| phrases.iter().any(|p| lower.contains(p)))
        .map(|(reason, _)| *reason)
}

/// The reason a specific enhanced status names (RFC 3463 §3, RFC 7372,
/// RFC 7505 and the providers' documented uses); `None` for a generic one.
pub(crate) fn reason_from_status(status: &str) -> Option<Reason> {
    let (_, subject, detail) = parse_status(status)?;
    let reason = match (subject, detail) {
        (1, 0 | 1 | 3) => Reason::UserUnknown,
        (1, 2) => Reason::HostUnknown,
        (1, 6) => Reason::HasMoved,
        (1, 7 | 8) => Reason::Rejected,
        (1, 10) => Reason::UserUnknown,
        (2, 1) => Reason::Suspend,
        (2, 2) => Reason::MailboxFull,
        (2, 3) => Reason::ExceedLimit,
        (3, 1) => Reason::SystemFull,
        (3, 4) => Reason::MesgTooBig,
        (3, 5) => Reason::SystemError,
        (4, 4) => Reason::HostUnknown,
        (4, 1 | 2 | 3 | 6) => Reason::NetworkError,
        (4, 5) => Reason::SystemFull,
        (4, 7) => Reason::Expired,
        (5, 1..) => Reason::SyntaxError,
        (6, 1..) => Reason::ContentError,
        (7, 5..=9) => Reason::SecurityError,
        (7, 13) => Reason::Suspend,
        (7, 17) => Reason::HasMoved,
        (7, 20..=24 | 26) => Reason::AuthFailure,
        (7, 25) => Reason::RequirePtr,
        (7, 27) => Reason::NotAccept,
        (7, 509 | 515) => Reason::AuthFailure,
        (7, 606..=649) => Reason::Blocked,
        (7, 708) => Reason::BadReputation,
        _ => return None,
    };
    Some(reason)
}

/// Classes close enough that the code's finer word wins over the text's.
fn neighbours(a: Reason, b: Reason) -> bool {
    use Reason as R;
    let pair = |x, y| (a == x && b == y) || (a == y && b == x);
    pair(R::MesgTooBig, R::ExceedLimit)
        || pair(R::SecurityError, R::AuthFailure)
        || pair(R::Blocked, R::BadReputation)
}

/// The class, and a note when the words and the code disagree.
pub(crate) fn classify(f: &Finding) -> (Reason, Option<String>) {
    let lower = f.diagnostic.to_lowercase();
    let from_text = reason_from_text(&lower);
    let from_code = f.status.as_deref().and_then(reason_from_status);
    let mut note = None;
    let mut reason = match (from_text, from_code) {
        (Some(t), Some(c)) if t == c => t,
        (Some(t), Some(c)) if neighbours(t, c) => c,
        (Some(t), Some(c)) => {
            note = Some(format!(
                "The server's words say {} while the status {} says {}; the words are more specific, so the reason follows them.",
                t.as_str(),
                f.status.as_deref().unwrap_or_default(),
                c.as_str()
            ));
            t
        }
        // The recogniser knows its format's own words for a reason.
        (None, _) if f.hint.is_some() => f.hint.unwrap_or(Reason::Undefined),
        (Some(t), None) => t,
        (None, Some(c)) => c,
        // A delayed recipient with nothing more specific is still being
        // retried (sisimai's rule); otherwise the common words decide.
        (None, None) if f.action == Some(BounceAction::Delayed) => Reason::Expired,
        (None, None) => find_phrase(WEAK_PHRASES, &lower).unwrap_or(Reason::Undefined),
    };
    // Recipients are judged at RCPT (RFC 5321 §3.3) and an unknown mailbox
    // is X.1.1 (RFC 3463 §3.2). "User unknown" after DATA, or with neither
    // the RCPT stage nor X.1.1 to confirm it and not in the words of a
    // directory lookup, is the recipient's filter refusing the message:
    // mobile carriers refuse unwanted senders that way (sisimai's rule).
    if reason == Reason::UserUnknown
        && f.hint != Some(Reason::UserUnknown)
        && from_code != Some(Reason::UserUnknown)
    {
        let confirmed =
            DIRECTORY_WORDS.iter().any(|w| lower.contains(w)) || f.command == Some(Command::Rcpt);
        if !confirmed {
            reason = Reason::Filtered;
        }
    }
    // At MAIL FROM the only address is the sender's (RFC 5321 §4.1.1.2):
    // an address refused there is the sender refused.
    if f.command == Some(Command::Mail)
        && matches!(
            reason,
            Reason::UserUnknown | Reason::HostUnknown | Reason::Filtered
        )
    {
        reason = Reason::Rejected;
    }
    // A local delivery program that failed (DSN type X-Unix): its
    // "system error" is the program's.
    if f.hint == Some(Reason::MailerError) && matches!(from_text, Some(Reason::SystemError) | None)
    {
        reason = Reason::MailerError;
    }
    if matches!(
        reason,
        Reason::Undefined | Reason::Blocked | Reason::SystemError
    ) && from_text.is_none()
        && f.hint.is_none()
    {
        reason = match f.command {
            Some(Command::Mail) => Reason::Rejected,
            Some(Command::Connect | Command::Helo) => Reason::Blocked,
            _ => reason,
        };
    }
    if f.action == Some(BounceAction::Delayed) && reason == Reason::Undefined {
        reason = Reason::Expired;
    }
    (reason, note)
}

#[cfg(test)]
#[path = "reason_tests.rs"]
mod tests;
