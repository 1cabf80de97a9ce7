//! The reader for `domain.rcpt`, the mailbox probe (RFC 5321 §4.1.1.2,
//! §4.1.1.3; see the parent module for the rules: serde's, by hand, to keep
//! the bundle small).

use serde_json::Value;

use super::{explain, object, u16_of, u32_of, Result};
use crate::report::RcptFacts;
use crate::smtp::rcpt::{RcptFailure, RcptReply, RcptStep, RcptVerdict};

/// `domain.rcpt` (report/rcpt.rs).
pub(super) fn rcpt(value: &Value) -> Result<RcptFacts> {
    let o = object(value, "rcpt")?;
    Ok(RcptFacts {
        address: o.string("address")?,
        catch_all: o.nested("catch_all", reply)?,
        catch_all_address: o.opt_string("catch_all_address")?,
        catch_all_text: o.or_default("catch_all_text", super::string)?,
        failure: o.nested("failure", |v| {
            let o = object(v, "failure")?;
            Ok(RcptFailure {
                message: o.string("message")?,
                reply: o.nested("reply", reply)?,
                step: o.req("step", |v| {
                    let word = v.as_str()?;
                    RcptStep::ALL.into_iter().find(|s| s.as_str() == word)
                })?,
                timeout: o.or_default("timeout", Value::as_bool)?,
            })
        })?,
        failure_explained: o.nested("failure_explained", explain::reply)?,
        host: o.string("host")?,
        ip: o.string("ip")?,
        mail_from: o.nested("mail_from", reply)?,
        rcpt: o.nested("rcpt", reply)?,
        rcpt_explained: o.nested("rcpt_explained", explain::reply)?,
        retry_hint: o.opt_string("retry_hint")?,
        sender: o.or_default("sender", super::string)?,
        tls: o.or_default("tls", Value::as_bool)?,
        total_ms: o.opt("total_ms", u32_of)?,
        verdict: o.req("verdict", verdict)?,
        verdict_text: o.or_default("verdict_text", super::string)?,
    })
}

/// One reply as received (`{"code", "raw"}`, RFC 5321 §4.2).
fn reply(value: &Value) -> Result<RcptReply> {
    let o = object(value, "reply")?;
    Ok(RcptReply {
        code: o.req("code", u16_of)?,
        raw: o.string("raw")?,
    })
}

/// A verdict word ([`RcptVerdict::as_str`]).
fn verdict(v: &Value) -> Option<RcptVerdict> {
    let word = v.as_str()?;
    [
        RcptVerdict::Accepted,
        RcptVerdict::CatchAll,
        RcptVerdict::AcceptedUnverified,
        RcptVerdict::UnknownUser,
        RcptVerdict::MailboxFull,
        RcptVerdict::Greylisted,
        RcptVerdict::TemporaryFailure,
        RcptVerdict::PolicyRejected,
        RcptVerdict::Rejected,
        RcptVerdict::Inconclusive,
    ]
    .into_iter()
    .find(|verdict| verdict.as_str() == word)
}
