//! The mailbox reachability probe (`smtp.rcpt`): what the backend saw when
//! it asked the best MX about one address, and the pure classification of
//! those replies into a verdict.
//!
//! The dialogue (run by the backend with lettre's SMTP client) is EHLO,
//! STARTTLS when offered (RFC 3207), `MAIL FROM:<>` (RFC 5321 §4.1.1.2, the
//! null reverse-path of §4.5.5), `RCPT TO:<address>` (§4.1.1.3), a second
//! RCPT with a random local part at the same domain to detect a catch-all,
//! then RSET (§4.1.1.5) and QUIT (§4.1.1.10). DATA is never sent, so nothing
//! is ever delivered.
//!
//! ```
//! use mxlens_shared::smtp::rcpt::{classify, RcptProbeResult, RcptReply, RcptVerdict};
//! let mut r = RcptProbeResult::new("bob@shop.test", "mx1.shop.test", "192.0.2.10");
//! r.mail_from = Some(RcptReply::new(250, "250 2.1.0 Ok"));
//! r.rcpt = Some(RcptReply::new(550, "550 5.1.1 <bob@shop.test>: Recipient address rejected: User unknown"));
//! assert_eq!(classify(&r), RcptVerdict::UnknownUser);
//! ```

use serde::{Deserialize, Serialize};

use crate::report::{Check, RcptFacts, Status};
use crate::smtp::codes::{explain, ReplyExplanation};

/// One SMTP reply as received: its code and its text (lines joined with
/// CRLF, codes included). The report carries it in `domain.rcpt` with its
/// members in this (alphabetical) order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcptReply {
    /// The basic reply code (RFC 5321 §4.2).
    pub code: u16,
    /// The reply as received.
    pub raw: String,
}

impl RcptReply {
    /// A reply with `code` and raw text `raw`.
    pub fn new(code: u16, raw: impl Into<String>) -> Self {
        RcptReply {
            code,
            raw: raw.into(),
        }
    }

    /// 2xx (RFC 5321 §4.2.1).
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 4xx: transient negative completion.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// 5xx: permanent negative completion.
    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }

    /// The reply explained by [`crate::smtp::codes::explain`].
    pub fn explain(&self) -> Option<ReplyExplanation> {
        explain(&self.raw)
    }
}

/// The step of the dialogue at which the probe stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RcptStep {
    /// The connection guard refused the address (SSRF policy).
    Guard,
    /// The TCP connection.
    Connect,
    /// The greeting (RFC 5321 §4.3.1) or the EHLO that follows it.
    Greeting,
    /// STARTTLS and the TLS handshake.
    Starttls,
    /// `MAIL FROM`.
    MailFrom,
    /// `RCPT TO` for the address asked about.
    Rcpt,
    /// The second `RCPT TO`, for the random local part.
    CatchAll,
}

impl RcptStep {
    /// Every step, in dialogue order.
    pub const ALL: [RcptStep; 7] = [
        RcptStep::Guard,
        RcptStep::Connect,
        RcptStep::Greeting,
        RcptStep::Starttls,
        RcptStep::MailFrom,
        RcptStep::Rcpt,
        RcptStep::CatchAll,
    ];

    /// The word used in the report (`domain.rcpt.failure.step`).
    pub fn as_str(self) -> &'static str {
        match self {
            RcptStep::Guard => "guard",
            RcptStep::Connect => "connect",
            RcptStep::Greeting => "greeting",
            RcptStep::Starttls => "starttls",
            RcptStep::MailFrom => "mail_from",
            RcptStep::Rcpt => "rcpt",
            RcptStep::CatchAll => "catch_all",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            RcptStep::Guard => "before connecting (refused by the connection policy)",
            RcptStep::Connect => "at connect",
            RcptStep::Greeting => "at the greeting or EHLO",
            RcptStep::Starttls => "at STARTTLS",
            RcptStep::MailFrom => "after MAIL FROM",
            RcptStep::Rcpt => "after RCPT TO",
            RcptStep::CatchAll => "after the catch-all RCPT TO",
        }
    }
}

/// Why the dialogue stopped early. The fields are declared in alphabetical
/// order: `domain.rcpt.failure` of the report carries this struct, and its
/// members have always been written in that order (report/rcpt.rs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcptFailure {
    /// What happened, in words.
    pub message: String,
    /// The negative reply that ended the dialogue (e.g. `421`), if any
    /// (RFC 5321 §4.2.1, §4.2.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<RcptReply>,
    /// Where it stopped.
    pub step: RcptStep,
    /// True when it stopped because the server did not answer in time
    /// (RFC 5321 §4.5.3.2).
    #[serde(default)]
    pub timeout: bool,
}

/// What the probe saw. Filled by the backend; evaluated by [`classify`]
/// and [`rcpt_check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcptProbeResult {
    /// The address asked about.
    pub address: String,
    /// The MX host probed.
    pub host: String,
    /// Its IP address.
    pub ip: String,
    /// The reverse-path used in MAIL FROM (empty for the null path `<>`).
    #[serde(default)]
    pub sender: String,
    /// True when the dialogue ran over TLS after STARTTLS.
    #[serde(default)]
    pub tls: bool,
    /// The reply to MAIL FROM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_from: Option<RcptReply>,
    /// The reply to RCPT TO for [`Self::address`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rcpt: Option<RcptReply>,
    /// The random address tried for catch-all detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch_all_address: Option<String>,
    /// The reply to RCPT TO for the random address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch_all: Option<RcptReply>,
    /// Why the dialogue stopped early, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<RcptFailure>,
    /// When the RCPT reply came, unix seconds (for the retry hint; `shared`
    /// has no clock, the backend sets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probed_at: Option<i64>,
    /// Wall time of the whole dialogue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_ms: Option<u32>,
}

impl RcptProbeResult {
    /// An empty result for `address` at `host` (`ip`).
    pub fn new(address: &str, host: &str, ip: &str) -> Self {
        RcptProbeResult {
            address: address.to_string(),
            host: host.to_string(),
            ip: ip.to_string(),
            sender: String::new(),
            tls: false,
            mail_from: None,
            rcpt: None,
            catch_all_address: None,
            catch_all: None,
            failure: None,
            probed_at: None,
            total_ms: None,
        }
    }
}

/// The verdict about one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RcptVerdict {
    /// Accepted, and a random address at the same domain was refused: the
    /// mailbox exists (as far as SMTP tells).
    Accepted,
    /// Accepted, and so was a random address: the domain accepts every
    /// address at RCPT time, so existence cannot be told.
    CatchAll,
    /// Accepted; the catch-all test could not be made.
    AcceptedUnverified,
    /// 5xx with 5.1.1 / 5.1.10 (or 550 "user unknown"): no such mailbox.
    UnknownUser,
    /// 452/552 or x.2.2: the mailbox is full.
    MailboxFull,
    /// 4xx with 4.7.1 / 4.2.0 or a greylisting text: try again later.
    Greylisted,
    /// Another 4xx: a transient refusal.
    TemporaryFailure,
    /// 5xx for a policy reason (x.7.x, 554): the server refused the probe
    /// itself (e.g. our IP or the null sender), not the address.
    PolicyRejected,
    /// Another 5xx.
    Rejected,
    /// The dialogue stopped before an answer to RCPT TO.
    Inconclusive,
}

impl RcptVerdict {
    /// The word used in the report (`domain.rcpt.verdict`).
    pub fn as_str(self) -> &'static str {
        match self {
            RcptVerdict::Accepted => "accepted",
            RcptVerdict::CatchAll => "catch_all",
            RcptVerdict::AcceptedUnverified => "accepted_unverified",
            RcptVerdict::UnknownUser => "unknown_user",
            RcptVerdict::MailboxFull => "mailbox_full",
            RcptVerdict::Greylisted => "greylisted",
            RcptVerdict::TemporaryFailure => "temporary_failure",
            RcptVerdict::PolicyRejected => "policy_rejected",
            RcptVerdict::Rejected => "rejected",
            RcptVerdict::Inconclusive => "inconclusive",
        }
    }
    /// The verdict in one plain sentence, as the `smtp.rcpt` detail and
    /// `domain.rcpt.verdict_text` say it.
    pub fn describe(self) -> &'static str {
        match self {
            RcptVerdict::Accepted => "The mailbox exists: the server accepts it and refuses a made-up address at the same domain.",
            RcptVerdict::CatchAll => "The domain accepts every address at RCPT time (catch-all), so SMTP cannot tell whether this mailbox exists; mail to a wrong address may bounce later or be kept silently.",
            RcptVerdict::AcceptedUnverified => "The server accepts the address. Whether it accepts any address (catch-all) could not be tested.",
            RcptVerdict::UnknownUser => "No such mailbox: mail to this address bounces.",
            RcptVerdict::MailboxFull => "The mailbox is full (over quota): mail is refused until its owner makes room.",
            RcptVerdict::Greylisted => "Greylisting: the server defers the first attempt from an unknown sender and accepts a retry after a delay. A real MTA retries on its own, so mail is only delayed.",
            RcptVerdict::TemporaryFailure => "A temporary refusal: a sending MTA would queue the message and retry.",
            RcptVerdict::PolicyRejected => "The server refused the probe for a policy reason (for example the probing IP or the null sender), not because of the address: nothing is known about the mailbox.",
            RcptVerdict::Rejected => "The server refuses mail to this address.",
            RcptVerdict::Inconclusive => "The reply is not a final answer about the address.",
        }
    }
}

fn enhanced(reply: &RcptReply) -> Option<(u8, u16, u16)> {
    let e = reply.explain()?.enhanced_code?;
    let mut parts = e.split('.');
    let class = parts.next()?.parse().ok()?;
    let subject = parts.next()?.parse().ok()?;
    let detail = parts.next()?.parse().ok()?;
    Some((class, subject, detail))
}

fn mentions_greylisting(raw: &str) -> bool {
    let lower = raw.to_ascii_lowercase();
    [
        "greylist",
        "graylist",
        "grey-list",
        "gray-list",
        "try again",
        "retry",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// Classifies one reply to RCPT TO (RFC 5321 §4.2, RFC 3463 §3).
pub fn classify_reply(reply: &RcptReply) -> RcptVerdict {
    let enh = enhanced(reply);
    if reply.is_positive() {
        return RcptVerdict::AcceptedUnverified;
    }
    if reply.is_transient() {
        return match enh {
            Some((_, 2, 2)) => RcptVerdict::MailboxFull,
            _ if reply.code == 452 && enh.is_none() => RcptVerdict::MailboxFull,
            Some((_, 7, 1)) | Some((_, 2, 0)) => RcptVerdict::Greylisted,
            _ if mentions_greylisting(&reply.raw) => RcptVerdict::Greylisted,
            _ => RcptVerdict::TemporaryFailure,
        };
    }
    if reply.is_permanent() {
        let lower = reply.raw.to_ascii_lowercase();
        return match enh {
            Some((_, 1, 1)) | Some((_, 1, 10)) | Some((_, 1, 6)) => RcptVerdict::UnknownUser,
            Some((_, 2, 2)) => RcptVerdict::MailboxFull,
            Some((_, 7, _)) => RcptVerdict::PolicyRejected,
            None if reply.code == 552 => RcptVerdict::MailboxFull,
            None if lower.contains("unknown") || lower.contains("no such user") => {
                RcptVerdict::UnknownUser
            }
            None if reply.code == 554 => RcptVerdict::PolicyRejected,
            _ => RcptVerdict::Rejected,
        };
    }
    RcptVerdict::Inconclusive
}

/// The verdict for a whole probe: the RCPT reply, refined by the catch-all
/// reply when the address was accepted.
pub fn classify(result: &RcptProbeResult) -> RcptVerdict {
    let Some(rcpt) = &result.rcpt else {
        return RcptVerdict::Inconclusive;
    };
    match classify_reply(rcpt) {
        RcptVerdict::AcceptedUnverified => match &result.catch_all {
            Some(other) if other.is_positive() => RcptVerdict::CatchAll,
            Some(other) if other.is_permanent() => RcptVerdict::Accepted,
            _ => RcptVerdict::AcceptedUnverified,
        },
        verdict => verdict,
    }
}

/// Seconds the server asked us to wait, when its text says so ("try again
/// in 60 seconds", "retry in 5 minutes", Postgrey's "see ... 300 seconds").
pub fn retry_after_seconds(raw: &str) -> Option<u32> {
    let lower = raw.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        let Ok(n) = pair[0].parse::<u32>() else {
            continue;
        };
        // Three-digit numbers right at the start are reply codes, not delays:
        // they are never followed by a time unit, so the unit test suffices.
        let unit = pair[1];
        let factor = if unit.starts_with("sec") || unit == "s" {
            1
        } else if unit.starts_with("min") || unit == "m" {
            60
        } else if unit.starts_with("hour") || unit == "h" {
            3600
        } else {
            continue;
        };
        return n.checked_mul(factor);
    }
    None
}

/// Greylisting delays when the server does not say: Postgrey's default is
/// 300 s, and most greylisters accept a retry after 1 to 5 minutes.
pub const DEFAULT_GREYLIST_RETRY_SECS: u32 = 300;

fn retry_hint(result: &RcptProbeResult, reply: &RcptReply) -> String {
    let (wait, said) = match retry_after_seconds(&reply.raw) {
        Some(s) => (s, true),
        None => (DEFAULT_GREYLIST_RETRY_SECS, false),
    };
    let when = result
        .probed_at
        .map(|t| {
            format!(
                " (after {})",
                crate::message::datetime::format_unix_rfc3339(t.saturating_add(i64::from(wait)))
            )
        })
        .unwrap_or_default();
    if said {
        format!("Retry in {wait} s, as the server asks{when}.")
    } else {
        format!(
            "Retry in about {} minutes{when}: greylisters usually accept a retry after 1 to 5 minutes from the same sending IP.",
            wait / 60
        )
    }
}

fn codes(reply: &RcptReply) -> String {
    match reply.explain() {
        Some(e) => match (e.basic_code, e.enhanced_code) {
            (Some(b), Some(x)) => format!("{b} {x}"),
            (Some(b), None) => b.to_string(),
            (None, Some(x)) => x,
            (None, None) => reply.code.to_string(),
        },
        None => reply.code.to_string(),
    }
}

fn meaning(reply: &RcptReply) -> String {
    match reply.explain() {
        Some(e) => {
            let mut parts = Vec::new();
            if !e.basic_meaning.is_empty() {
                parts.push(e.basic_meaning);
            }
            if !e.enhanced_meaning.is_empty() {
                parts.push(e.enhanced_meaning);
            }
            parts.join(" — ")
        }
        None => String::new(),
    }
}

fn one_line(raw: &str) -> String {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `smtp.rcpt` check for a probe, with the subject set to the address.
///
/// Statuses: `pass` for an accepted address at a domain that refuses a
/// random one; `info` for a catch-all (existence cannot be told); `fail`
/// for an unknown user (mail to it bounces); `warn` for greylisting, a full
/// mailbox or another refusal; `not_tested` when the dialogue stopped before
/// RCPT TO was answered, or the server refused the probe itself (policy).
pub fn rcpt_check(result: &RcptProbeResult) -> Check {
    let verdict = classify(result);
    let via = format!(
        "{} ({}){}",
        result.host,
        result.ip,
        if result.tls { ", over TLS" } else { "" }
    );
    let subject = result.address.clone();
    let Some(rcpt) = &result.rcpt else {
        let detail = match &result.failure {
            Some(f) => {
                let reply = f
                    .reply
                    .as_ref()
                    .map(|r| {
                        let m = meaning(r);
                        format!(
                            " The server said \"{}\" ({}{}).",
                            one_line(&r.raw),
                            codes(r),
                            if m.is_empty() {
                                String::new()
                            } else {
                                format!(": {m}")
                            }
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "The probe of {via} stopped {}: {}.{reply} Nothing is known about the address.",
                    f.step.describe(),
                    f.message
                )
            }
            None => format!("The probe of {via} got no reply to RCPT TO."),
        };
        let mut check = Check::new("smtp.rcpt", Status::NotTested, detail).with_subject(subject);
        if let Some(r) = result.failure.as_ref().and_then(|f| f.reply.as_ref()) {
            if r.is_transient() {
                check = check.with_fix(retry_hint(result, r));
            }
        }
        return check;
    };
    let said = format!(
        "RCPT TO:<{}> via {via}: \"{}\" ({}",
        result.address,
        one_line(&rcpt.raw),
        codes(rcpt)
    );
    let m = meaning(rcpt);
    let said = if m.is_empty() {
        format!("{said}).")
    } else {
        format!("{said}: {m}).")
    };
    let catch_all = match (&result.catch_all_address, &result.catch_all) {
        (Some(a), Some(r)) => format!(
            " A random address at the same domain (<{a}>) got \"{}\".",
            one_line(&r.raw)
        ),
        _ => String::new(),
    };
    let verdict_text = verdict.describe();
    let (status, fix): (Status, Option<String>) = match verdict {
        RcptVerdict::Accepted => (
            Status::Pass,
            None,
        ),
        RcptVerdict::CatchAll => (
            Status::Info,
            None,
        ),
        RcptVerdict::AcceptedUnverified => (
            Status::Pass,
            None,
        ),
        RcptVerdict::UnknownUser => (
            Status::Fail,
            Some("Check the spelling of the address; if it should exist, create the mailbox or an alias on the receiving server.".to_string()),
        ),
        RcptVerdict::MailboxFull => (
            Status::Warn,
            Some("Tell the recipient by another channel; retry later.".to_string()),
        ),
        RcptVerdict::Greylisted => (
            Status::Warn,
            Some(retry_hint(result, rcpt)),
        ),
        RcptVerdict::TemporaryFailure => (
            Status::Warn,
            Some(retry_hint(result, rcpt)),
        ),
        RcptVerdict::PolicyRejected => (
            Status::NotTested,
            None,
        ),
        RcptVerdict::Rejected => (
            Status::Fail,
            rcpt.explain().map(|e| e.what_to_do),
        ),
        RcptVerdict::Inconclusive => (
            Status::NotTested,
            None,
        ),
    };
    let mut check = Check::new(
        "smtp.rcpt",
        status,
        format!("{said}{catch_all} {verdict_text}"),
    )
    .with_subject(subject);
    if let Some(fix) = fix.filter(|f| !f.is_empty()) {
        check = check.with_fix(fix);
    }
    if let Some(e) = rcpt.explain() {
        for r in e.refs {
            if !check.refs.iter().any(|x| *x == r) {
                check.refs.push(r.into());
            }
        }
    }
    check
}

/// The catch-all test in one sentence, for `domain.rcpt.catch_all_text`.
pub fn describe_catch_all(result: &RcptProbeResult) -> String {
    match (&result.catch_all_address, &result.catch_all, &result.rcpt) {
        (Some(a), Some(r), _) if r.is_positive() => format!(
            "A made-up address at the same domain (<{a}>) was accepted too: the domain accepts every address (catch-all)."
        ),
        (Some(a), Some(r), _) => format!(
            "A made-up address at the same domain (<{a}>) was refused ({}): the server checks its addresses, so its answer about this one means something.",
            codes(r)
        ),
        (_, _, Some(r)) if !r.is_positive() => {
            "Not needed: the address itself was not accepted.".to_string()
        }
        _ => "Could not be made: nothing is known about a catch-all.".to_string(),
    }
}

/// The `domain.rcpt` entry of the report: the raw replies, the explained
/// codes and the verdict (shape in `docs/report-schema.md`).
pub fn report_entry(result: &RcptProbeResult) -> RcptFacts {
    let explained = |r: &Option<RcptReply>| r.as_ref().and_then(RcptReply::explain);
    let verdict = classify(result);
    // The greylisting / temporary-failure hint: when to try again.
    let transient = result
        .rcpt
        .as_ref()
        .or_else(|| result.failure.as_ref().and_then(|f| f.reply.as_ref()))
        .filter(|r| r.is_transient());
    RcptFacts {
        address: result.address.clone(),
        catch_all: result.catch_all.clone(),
        catch_all_address: result.catch_all_address.clone(),
        catch_all_text: describe_catch_all(result),
        failure: result.failure.clone(),
        failure_explained: result
            .failure
            .as_ref()
            .and_then(|f| f.reply.as_ref())
            .and_then(RcptReply::explain),
        host: result.host.clone(),
        ip: result.ip.clone(),
        mail_from: result.mail_from.clone(),
        rcpt: result.rcpt.clone(),
        rcpt_explained: explained(&result.rcpt),
        retry_hint: transient.map(|r| retry_hint(result, r)),
        sender: result.sender.clone(),
        tls: result.tls,
        total_ms: result.total_ms,
        verdict,
        verdict_text: verdict.describe().to_string(),
    }
}

#[cfg(test)]
#[path = "rcpt_tests.rs"]
mod tests;
