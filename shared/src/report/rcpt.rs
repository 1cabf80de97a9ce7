//! `domain.rcpt`: the mailbox reachability probe (`smtp.rcpt`).
//!
//! The JSON is the one `smtp::rcpt::report_entry` gave as an untyped
//! `serde_json::Value` (a `json!` object): `serde_json` is built without
//! `preserve_order`, so its `Map` wrote the members in alphabetical order,
//! every one of them, `null` for what the probe did not get. [`RcptFacts`]
//! declares its fields in that order and writes its `None`s as `null`; the
//! nested replies, failure and explanations are the probe model's own types,
//! whose fields are declared in alphabetical order for the same reason.

use serde::{Deserialize, Serialize};

use crate::smtp::codes::ReplyExplanation;
use crate::smtp::rcpt::{RcptFailure, RcptReply, RcptVerdict};

/// `domain.rcpt`: what the best MX answered when asked about one address
/// (`MAIL FROM:<>` and `RCPT TO:`, RFC 5321 §4.1.1.2, §4.1.1.3; never
/// DATA), the second `RCPT TO:` for a made-up address at the same domain
/// (the catch-all test), the codes explained (RFC 5321 §4.2, RFC 3463) and
/// the verdict (made by `smtp::rcpt::report_entry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcptFacts {
    /// The address asked about (the forward-path of `RCPT TO:`, RFC 5321
    /// §4.1.2).
    pub address: String,
    /// The reply to `RCPT TO:` for [`Self::catch_all_address`].
    pub catch_all: Option<RcptReply>,
    /// The made-up address at the same domain tried for the catch-all test.
    pub catch_all_address: Option<String>,
    /// The catch-all test in one sentence (empty in reports made before
    /// it was written).
    #[serde(default)]
    pub catch_all_text: String,
    /// Why the dialogue stopped before an answer to `RCPT TO:`, if it did.
    pub failure: Option<RcptFailure>,
    /// The reply that ended the dialogue early, explained.
    pub failure_explained: Option<ReplyExplanation>,
    /// The MX host probed (the most preferred one, RFC 5321 §5.1).
    pub host: String,
    /// Its IP address.
    pub ip: String,
    /// The reply to `MAIL FROM:` (RFC 5321 §4.1.1.2).
    pub mail_from: Option<RcptReply>,
    /// The reply to `RCPT TO:` for [`Self::address`] (RFC 5321 §4.1.1.3).
    pub rcpt: Option<RcptReply>,
    /// [`Self::rcpt`] explained: basic code (RFC 5321 §4.2) and enhanced
    /// status code (RFC 3463).
    pub rcpt_explained: Option<ReplyExplanation>,
    /// For a transient (4xx) refusal: when to try again (RFC 5321
    /// §4.5.4.1), from the server's text or the usual greylisting delay.
    pub retry_hint: Option<String>,
    /// The reverse-path of `MAIL FROM:`; empty for the null path `<>`
    /// (RFC 5321 §4.5.5).
    #[serde(default)]
    pub sender: String,
    /// The dialogue ran over TLS after STARTTLS (RFC 3207).
    #[serde(default)]
    pub tls: bool,
    /// Wall time of the whole dialogue in milliseconds.
    pub total_ms: Option<u32>,
    /// The verdict about the address.
    pub verdict: RcptVerdict,
    /// The verdict in one sentence (empty in reports made before it was
    /// written).
    #[serde(default)]
    pub verdict_text: String,
}
