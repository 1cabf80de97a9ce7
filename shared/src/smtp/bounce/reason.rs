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

/// Phrases (lower case) that name a reason, in priority order: the first
/// class with a matching phrase wins.
static PHRASES: &[(Reason, &[&str])] = &[
    (Reason::VirusDetected, &["virus", "infected", "malware"]),
    (
        Reason::Speeding,
        &[
            "unusual rate of unsolicited mail",
            "temporarily rate limited",
        ],
    ),
    (
        Reason::SpamDetected,
        &[
            "spam classification",
            "scored as spam",
            "classified as spam",
            "detected as spam",
            "content rejected, ube",
        ],
    ),
    (
        Reason::NetworkError,
        &[
            "host not found, try again",
            "malformed or unexpected name server reply",
            "host name lookup failure",
            "network error",
        ],
    ),
    (
        Reason::NotCompliantRfc,
        &[
            "not rfc 5322 compliant",
            "not rfc5322 compliant",
            "multiple addresses in from",
            "duplicate header",
            "multiple subject",
            "rfc 5322 compliant",
            "addresses in from: header",
            "not compliant with rfc",
        ],
    ),
    (
        Reason::SecurityError,
        &[
            "unauthenticated senders not allowed",
            "authentication required",
            "authrequired",
            "authentication is required",
            "smtp auth",
        ],
    ),
    (
        Reason::AuthFailure,
        &[
            "dmarc",
            "spf record",
            "bad spf",
            "spf check",
            "pass spf",
            "spf validation",
            "sender is unauthenticated",
            "unauthenticated email",
            "authentication checks failed",
            "does not have authentication information",
            "fails to pass authentication",
            "dkim validation",
            "arc validation",
            "sender domain does not pass",
            "required authentication level",
            "authentication requirements",
        ],
    ),
    (
        Reason::RequirePtr,
        &[
            "reverse dns",
            "ptr record",
            "ptr resource record",
            "ip name lookup failed",
            "mismatches client ip",
            "no ptr",
            "reverse lookup",
            "cannot find your hostname",
            "cannot resolve your address",
            "not have a ptr",
            "c=rdns",
            "rdns record",
            "invalid rdns",
            "unverifyable sending ip",
            "hostname lookup failed",
            "client host name",
        ],
    ),
    (
        Reason::Blocked,
        &[
            "blocked using",
            "blacklisted",
            "blocklisted",
            "listed by",
            "listed on",
            "is listed in",
            "spamhaus",
            "spamcop",
            "barracudacentral",
            "dnsbl",
            " rbl",
            "client host rejected",
            "client host blocked",
            "banned sending ip",
            "refused to talk to me",
            "not accepting connections",
            "service refuse",
            "bloquee",
            "blocked for spam",
            "ip address blocked",
            "connection refused by",
            "block list",
            "blocklist",
            "not authorized to send email directly",
            "use the smtp server of your isp",
            "my name was rejected",
            "invalid ip for sending",
            "(bl)",
            "refused for policy reasons",
        ],
    ),
    (
        Reason::BadReputation,
        &[
            "low reputation",
            "poor reputation",
            "bad reputation",
            "reputation of the sending",
            "user complaints",
        ],
    ),
    (
        Reason::PolicyViolation,
        &[
            "policy violation",
            "denied by policy",
            "not accepted for policy reasons",
            "content presents a potential",
            "protocol violation",
            "network not allowed",
            "violates our policy",
            "policy reasons",
        ],
    ),
    (
        Reason::SpamDetected,
        &[
            "spam",
            " ube",
            "ube,",
            "unsolicited",
            "content rejected",
            "junk mail",
            "bulk mail",
        ],
    ),
    (
        Reason::MailboxFull,
        &[
            "mailbox full",
            "mailbox is full",
            "over quota",
            "overquota",
            "quota exceeded",
            "exceeded quota",
            "exceeded storage",
            "out of storage",
            "mailbox size limit",
            "mailbox exceeded",
            "mailbox has exceeded",
            "number of messages in recipient's mailbox",
            "mailbox is full",
            "full mailbox",
            "insufficient storage in mailbox",
            "as their mailbox is full",
            "mailfolder is full",
            "exceeds allowed size",
            "mailbox is over",
            "quota full",
        ],
    ),
    (
        Reason::ExceedLimit,
        &[
            "exceeds administrative limit",
            "exceeds limit set by recipient",
            "message too large for this recipient",
        ],
    ),
    (
        Reason::MesgTooBig,
        &[
            "message too large",
            "message too big",
            "message is too big",
            "message is too large",
            "message size exceeds",
            "size limit exceeded",
            "mail size limit",
            "exceeds fixed maximum message size",
            "message length exceeds",
            "message exceeded",
            "size exceeds",
        ],
    ),
    (
        Reason::Suspend,
        &[
            "disabled",
            "suspended",
            "is inactive",
            "temporary locked",
            "temporarily locked",
            "frozen",
            "discontinued",
            "account has been disabled",
            "account is locked",
            "not active",
        ],
    ),
    (
        Reason::HasMoved,
        &[
            "no longer on server",
            "has moved",
            "not our customer",
            "not our user",
            "user not local",
        ],
    ),
    (
        Reason::Rejected,
        &[
            "sender address rejected",
            "sender was rejected",
            "domain of sender address",
            "sender rejected",
            "sender domain",
            "sender address",
            "envelope sender",
            "not a member of this",
            "are not member",
            "sender not allowed",
            "sender is not allowed",
            "invalid sender",
        ],
    ),
    (
        Reason::NoRelaying,
        &[
            "relay access denied",
            "relaying denied",
            "not configured to relay",
            "relay not permitted",
            "unable to relay",
            "relaying not allowed",
            "relay denied",
            "address is not verified",
            "relaying mail to",
        ],
    ),
    (
        Reason::HostUnknown,
        &[
            "host unknown",
            "host or domain name not found",
            "no such domain",
            "invalid domain",
            "unrouteable address",
            "unknown host",
            "domain does not exist",
            "host not found",
            "unknown domain",
            "bad destination system address",
        ],
    ),
    (
        Reason::UserUnknown,
        &[
            "user unknown",
            "unknown user",
            "no such user",
            "user not found",
            "does not exist",
            "recipient not found",
            "recipnotfound",
            "recipientnotfound",
            "not listed in domino directory",
            "invalid recipient",
            "mailbox unavailable",
            "user not exist",
            "unknown recipient",
            "recipient name is not recognized",
            "no mailbox",
            "mailbox not found",
            "doesn't have a",
            "not a valid mailbox",
            "unknown address",
            "bad destination mailbox",
            "no such recipient",
            "invalid address",
            "addressee unknown",
            "destinataire invalide",
            "no such mailbox",
            "user doesn't exist",
            "not a registered",
            "unknown local part",
            "inactive email address",
            "no longer valid",
            "address couldn't be found",
            "not listed in domino directory",
            "not listed in public name & address book",
            "recipient address rejected: access denied",
        ],
    ),
    (
        Reason::NotAccept,
        &[
            "null mx",
            "does not accept mail",
            "doesn't receive email",
            "not accept any mail",
            "accepts no mail",
            "indicated no smtp service",
            "no mx record found",
            "no mx found",
            "couldn't find a mail exchanger",
            "system not accepting network messages",
        ],
    ),
    (
        Reason::FailedStartTls,
        &[
            "starttls",
            "tls handshake",
            "tls is required",
            "encryption required",
            "does not support tls",
        ],
    ),
    (
        Reason::TooManyConn,
        &[
            "too many connections",
            "too many recipients",
            "connection frequency limited",
            "too many concurrent",
            "too many simultaneous",
        ],
    ),
    (
        Reason::Speeding,
        &[
            "receiving mail at a rate",
            "rate limit",
            "too many messages",
            "sending rate",
            "too fast",
            "unusual rate",
        ],
    ),
    (
        Reason::ContentError,
        &[
            "headers too large",
            "header too large",
            "illegal header",
            "invalid header",
            "content error",
        ],
    ),
    (
        Reason::Expired,
        &[
            "timed out",
            "message expired",
            "delivery time expired",
            "retry timeout exceeded",
            "could not be delivered within",
            "too long in queue",
            "unable to deliver in",
            "did not accept our requests to connect",
            "giving up",
            "queue time",
            "envelope expired",
        ],
    ),
    (
        Reason::NetworkError,
        &[
            "no route to host",
            "lost connection",
            "too many hops",
            "malformed or unexpected name server reply",
            "routing loop",
            "mail loop",
            "network is unreachable",
            "domain is not reachable",
            "connection refused",
            "name service error",
            "dns error",
        ],
    ),
    (
        Reason::SystemFull,
        &["insufficient disk space", "system full", "out of disk"],
    ),
    (
        Reason::SystemError,
        &[
            "system error",
            "internal error",
            "service currently unavailable",
            "transaction failed",
            "could not load",
            "system config error",
            "local error",
        ],
    ),
    (
        Reason::MailerError,
        &[
            "mailer error",
            "command died",
            "pipe to",
            "temporary failure",
        ],
    ),
    (
        Reason::Filtered,
        &["filtered", "domain filter", "recipient's settings"],
    ),
    (
        Reason::SyntaxError,
        &[
            "syntax error",
            "command parameter not implemented",
            "command unrecognized",
            "command not implemented",
            "malformed address",
        ],
    ),
    (Reason::ContentError, &["media error"]),
    (Reason::NoRelaying, &["no relaying"]),
    (Reason::SecurityError, &["delivery not authorized"]),
];

/// Words too common to decide against a code or a format's own reading;
/// used only when nothing else names a reason.
static WEAK_PHRASES: &[(Reason, &[&str])] = &[
    (
        Reason::UserUnknown,
        &["address rejected", "recipient rejected"],
    ),
    (
        Reason::Blocked,
        &["blocked", "rejected", "access denied", "refused"],
    ),
    (Reason::SystemError, &["service unavailable"]),
];

/// Words of a directory lookup that found no such mailbox, whatever the
/// SMTP stage: a local delivery agent, Exchange's resolver, Domino's
/// directory, the big providers' own texts.
const DIRECTORY_WORDS: &[&str] = &[
    "resolver.adr.recip",
    "recipient address rejected: access denied",
    "recipient name is not recognized",
    "not listed in domino directory",
    "not listed in public name & address book",
    "doesn't have a yahoo",
    "mail.local: unknown user",
    "destinataire invalide",
    "no mailbox here by that name",
    "unknown user:",
    "requested action not taken: mailbox unavailable",
    // Postfix's and au's recipient-table miss names the address.
    ">: user unknown",
    "address couldn't be found",
];

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
        let confirmed = DIRECTORY_WORDS.iter().any(|w| lower.contains(w))
            || match f.command {
                Some(Command::Rcpt) => true,
                Some(Command::Data) => false,
                _ => false,
            };
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
