//! `message.bounce`: what a bounce says, per failed recipient. The names
//! are fixed by the report contract (`kind`, `reporting_mta`, `recipients`
//! with `recipient`, `action`, `status`, `reply_code`, `remote_mta`,
//! `diagnostic`, `reason`, `permanent`, `who_must_act`, `next_step`); the
//! other members are additions. [`crate::smtp::bounce`] fills it.

use serde::{Deserialize, Serialize};

/// How the bounce was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceKind {
    /// A delivery status notification (RFC 3464, `multipart/report`).
    Dsn,
    /// A bounce in a mail system's own text format, or a bare SMTP reply.
    Text,
    /// A bounce forwarded inside another message (`message/rfc822`).
    Forwarded,
}

/// What happened to the recipient (RFC 3464 §2.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceAction {
    /// Given up: the message was not delivered.
    Failed,
    /// Not delivered yet; the sending server keeps trying.
    Delayed,
}

/// Who has to do something about a failed recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhoMustAct {
    /// The person who sent the message (fix the address, the content, the size).
    Sender,
    /// The recipient (a full, disabled or moved mailbox).
    Recipient,
    /// The sending domain's mail administrator (authentication, reputation, DNS, the server).
    SenderAdmin,
    /// The recipient domain's mail administrator (its servers, DNS or filters).
    RecipientAdmin,
}

/// Why a recipient bounced: sisimai's reason names, one to one, so that
/// results compare with sisimai's (its documentation describes each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// SPF, DKIM or DMARC failed (RFC 7372 codes 5.7.20 to 5.7.26).
    AuthFailure,
    /// The sending IP or domain has a poor reputation at the receiver.
    BadReputation,
    /// The connection or the sending IP was refused (blocklist, HELO, policy on the client).
    Blocked,
    /// The message's format or headers were refused.
    ContentError,
    /// The message exceeded the recipient's limits (size or count, X.2.3).
    ExceedLimit,
    /// The sending server gave up after retrying (X.4.7) or is still retrying.
    Expired,
    /// STARTTLS failed or was required.
    FailedStartTls,
    /// The recipient refused the message by a filter after DATA, or the
    /// recipient's settings reject the sender.
    Filtered,
    /// The recipient moved, with no forwarding address (X.1.6).
    HasMoved,
    /// The recipient domain does not exist (X.1.2).
    HostUnknown,
    /// The mailbox is full (X.2.2).
    MailboxFull,
    /// A delivery program on the receiving host failed.
    MailerError,
    /// The message is larger than the receiving system accepts (X.3.4).
    MesgTooBig,
    /// A network or DNS failure on the route (X.4.x).
    NetworkError,
    /// Relaying was refused.
    NoRelaying,
    /// The domain does not accept mail (null MX, RFC 7505; no MX).
    NotAccept,
    /// The message does not comply with the RFCs (RFC 5322 format).
    NotCompliantRfc,
    /// The reader could not decide yet (kept for sisimai's name).
    OnHold,
    /// The receiver's local policy refused the message.
    PolicyViolation,
    /// The envelope sender was refused (MAIL FROM, X.1.7, X.1.8).
    Rejected,
    /// The sending IP has no valid reverse DNS (X.7.25).
    RequirePtr,
    /// A security error: authentication, credentials or encryption.
    SecurityError,
    /// The content was judged spam.
    SpamDetected,
    /// Too many messages too fast (rate limit).
    Speeding,
    /// The mailbox is suspended or disabled (X.2.1).
    Suspend,
    /// An SMTP syntax error (X.5.x).
    SyntaxError,
    /// The receiving system failed.
    SystemError,
    /// The receiving system is out of storage (X.3.1).
    SystemFull,
    /// Too many connections from the sender.
    TooManyConn,
    /// The mailbox does not exist (X.1.1).
    UserUnknown,
    /// A virus was found.
    VirusDetected,
    /// Nothing in the bounce says why.
    Undefined,
}

/// The bounce as the report carries it (`message.bounce`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BounceReport {
    /// `dsn`, `text` or `forwarded`.
    pub kind: BounceKind,
    /// The MTA that wrote the bounce (RFC 3464 Reporting-MTA, or the host the text names).
    pub reporting_mta: Option<String>,
    /// One entry per failed or delayed recipient.
    pub recipients: Vec<BouncedRecipient>,
    /// The mail system whose format was recognised (`postfix`, `qmail`,
    /// `exchange`, `rfc3464`…). Addition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// What the bounce quotes of the original message, when it does. Addition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<OriginalMessage>,
}

/// One failed or delayed recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BouncedRecipient {
    /// The address, or `null` when the bounce names none (a bare reply line).
    pub recipient: Option<String>,
    /// `failed` or `delayed`.
    pub action: BounceAction,
    /// The enhanced status code (RFC 3463), e.g. `5.1.1`.
    pub status: Option<String>,
    /// The SMTP reply code (RFC 5321 §4.2), e.g. 550.
    pub reply_code: Option<u16>,
    /// The server that refused the message.
    pub remote_mta: Option<String>,
    /// The server's words, verbatim (folded lines joined).
    pub diagnostic: Option<String>,
    /// The reason class (sisimai's names).
    pub reason: Reason,
    /// True for a permanent failure (5xx), false for a temporary one.
    pub permanent: bool,
    /// Who has to act.
    pub who_must_act: WhoMustAct,
    /// The concrete next step.
    pub next_step: String,
    /// The provider's pages and the RFCs behind the next step. Addition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<String>,
    /// Set when the server's words and the codes disagree: which one the
    /// reason follows, and why. Addition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The original message's identity, read from the headers the bounce quotes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalMessage {
    /// The From address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The From address's domain: the domain to audit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_domain: Option<String>,
    /// The Subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The Message-ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The `d=` of each DKIM-Signature, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dkim_domains: Vec<String>,
    /// The IP the message was first sent from, as the quoted Received headers show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_ip: Option<String>,
}

macro_rules! words {
    ($ty:ty { $($variant:ident = $word:literal),* $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];
            /// The JSON word.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $word),* }
            }
            /// The value for a JSON word.
            pub fn from_word(word: &str) -> Option<Self> {
                match word { $($word => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

words!(BounceKind { Dsn = "dsn", Text = "text", Forwarded = "forwarded" });
words!(BounceAction { Failed = "failed", Delayed = "delayed" });
words!(WhoMustAct {
    Sender = "sender",
    Recipient = "recipient",
    SenderAdmin = "sender_admin",
    RecipientAdmin = "recipient_admin",
});
words!(Reason {
    AuthFailure = "authfailure",
    BadReputation = "badreputation",
    Blocked = "blocked",
    ContentError = "contenterror",
    ExceedLimit = "exceedlimit",
    Expired = "expired",
    FailedStartTls = "failedstarttls",
    Filtered = "filtered",
    HasMoved = "hasmoved",
    HostUnknown = "hostunknown",
    MailboxFull = "mailboxfull",
    MailerError = "mailererror",
    MesgTooBig = "mesgtoobig",
    NetworkError = "networkerror",
    NoRelaying = "norelaying",
    NotAccept = "notaccept",
    NotCompliantRfc = "notcompliantrfc",
    OnHold = "onhold",
    PolicyViolation = "policyviolation",
    Rejected = "rejected",
    RequirePtr = "requireptr",
    SecurityError = "securityerror",
    SpamDetected = "spamdetected",
    Speeding = "speeding",
    Suspend = "suspend",
    SyntaxError = "syntaxerror",
    SystemError = "systemerror",
    SystemFull = "systemfull",
    TooManyConn = "toomanyconn",
    UserUnknown = "userunknown",
    VirusDetected = "virusdetected",
    Undefined = "undefined",
});

impl WhoMustAct {
    /// Who, in plain words.
    pub fn label(self) -> &'static str {
        match self {
            WhoMustAct::Sender => "the sender",
            WhoMustAct::Recipient => "the recipient",
            WhoMustAct::SenderAdmin => "the sender's mail administrator",
            WhoMustAct::RecipientAdmin => "the recipient's mail administrator",
        }
    }
}

impl Reason {
    /// The verdict in plain words.
    pub fn verdict(self) -> &'static str {
        match self {
            Reason::AuthFailure => {
                "Refused: the message failed authentication (SPF, DKIM or DMARC)."
            }
            Reason::BadReputation => "Refused: the sending IP or domain has a poor reputation.",
            Reason::Blocked => "Refused: the receiver blocks the sending server or its IP.",
            Reason::ContentError => "Refused: the message's format or headers were not accepted.",
            Reason::ExceedLimit => "Refused: the message exceeds the recipient's limit.",
            Reason::Expired => {
                "Not delivered in time: the sending server gave up retrying, or still retries."
            }
            Reason::FailedStartTls => "Not delivered: TLS (STARTTLS) could not be set up.",
            Reason::Filtered => "Refused by the recipient's filter or settings.",
            Reason::HasMoved => "The recipient has moved and left no forwarding address.",
            Reason::HostUnknown => "The recipient's domain does not exist or has no mail server.",
            Reason::MailboxFull => "The recipient's mailbox is full.",
            Reason::MailerError => "A delivery program on the receiving server failed.",
            Reason::MesgTooBig => "The message is too big for the receiving server.",
            Reason::NetworkError => "A network or DNS failure on the way to the recipient.",
            Reason::NoRelaying => {
                "Refused: the server does not relay mail for this sender or domain."
            }
            Reason::NotAccept => "The recipient's domain does not accept mail.",
            Reason::NotCompliantRfc => {
                "Refused: the message does not follow the mail format standards."
            }
            Reason::OnHold => "Not decided yet.",
            Reason::PolicyViolation => "Refused by the receiver's local policy.",
            Reason::Rejected => "Refused: the receiver does not accept the sender's address.",
            Reason::RequirePtr => "Refused: the sending IP has no valid reverse DNS (PTR).",
            Reason::SecurityError => {
                "Refused for a security reason (credentials, encryption or a signature)."
            }
            Reason::SpamDetected => "Refused: the content was judged to be spam.",
            Reason::Speeding => "Refused or deferred: too many messages too fast (rate limit).",
            Reason::Suspend => "The recipient's mailbox is disabled or suspended.",
            Reason::SyntaxError => "Refused: the sending server's SMTP commands were malformed.",
            Reason::SystemError => "The receiving mail system failed.",
            Reason::SystemFull => "The receiving mail system is out of storage.",
            Reason::TooManyConn => "Refused: too many connections or recipients from the sender.",
            Reason::UserUnknown => "The mailbox does not exist.",
            Reason::VirusDetected => "Refused: a virus was found in the message.",
            Reason::Undefined => "The bounce does not say why.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `as_str`/`from_word` (the browser's decoder) give serde's words.
    #[test]
    fn words_are_serdes() {
        fn check<T: Serialize + Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            word: fn(T) -> &'static str,
            back: fn(&str) -> Option<T>,
        ) {
            for v in all {
                assert_eq!(
                    serde_json::to_value(v).unwrap(),
                    serde_json::json!(word(*v)),
                    "{v:?}"
                );
                assert_eq!(back(word(*v)), Some(*v));
            }
        }
        check(Reason::ALL, Reason::as_str, Reason::from_word);
        check(WhoMustAct::ALL, WhoMustAct::as_str, WhoMustAct::from_word);
        check(
            BounceAction::ALL,
            BounceAction::as_str,
            BounceAction::from_word,
        );
        check(BounceKind::ALL, BounceKind::as_str, BounceKind::from_word);
        assert_eq!(Reason::ALL.len(), 32);
        assert_eq!(Reason::from_word("nonsense"), None);
    }
}
