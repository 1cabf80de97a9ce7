//! The reader for `domain.smtp`, the SMTP probe of each MX address (RFC
//! 5321 greeting and EHLO, RFC 3207 STARTTLS; see the parent module for
//! the rules: serde's, by hand, to keep the bundle small).

use serde_json::Value;

use super::{object, strings, u16_of, u32_of, Result};
use crate::report::{
    CertFacts, ChainFacts, ChainResult, SmtpFacts, SmtpProbeFacts, SmtpTimings, StarttlsFacts,
    StarttlsResult,
};
use crate::smtp::Outcome;

/// One entry of `domain.smtp` (report/smtp.rs).
pub(super) fn smtp(value: &Value) -> Result<SmtpFacts> {
    let o = object(value, "smtp")?;
    Ok(SmtpFacts {
        banner: o.opt_string("banner")?,
        cert_days_left: o.opt("cert_days_left", Value::as_i64)?,
        cert_valid: o.opt("cert_valid", Value::as_bool)?,
        cipher: o.opt_string("cipher")?,
        extensions: o.list("extensions", strings)?,
        host: o.string("host")?,
        ip: o.string("ip")?,
        port: o.req("port", u16_of)?,
        probe: o.nested("probe", probe)?.ok_or("missing member `probe`")?,
        starttls: o.flag("starttls")?,
        tls_version: o.opt_string("tls_version")?,
    })
}

/// `domain.smtp[].probe`.
fn probe(value: &Value) -> Result<SmtpProbeFacts> {
    let o = object(value, "probe")?;
    Ok(SmtpProbeFacts {
        banner: o.opt_string("banner")?,
        banner_code: o.opt("banner_code", u16_of)?,
        banner_outcome: o.or_default("banner_outcome", outcome)?,
        cert_chain: o.list("cert_chain", |v| {
            let o = object(v, "cert")?;
            Ok(CertFacts {
                days_left: o.req("days_left", Value::as_i64)?,
                issuer: o.string("issuer")?,
                not_after: o.string("not_after")?,
                not_before: o.string("not_before")?,
                sans: o.list("sans", strings)?,
                subject: o.string("subject")?,
            })
        })?,
        cipher: o.opt_string("cipher")?,
        connect: o.req("connect", outcome)?,
        connected_to: o.opt_string("connected_to")?,
        ehlo: o.or_default("ehlo", outcome)?,
        ehlo_code: o.opt("ehlo_code", u16_of)?,
        ehlo_extensions: o.list("ehlo_extensions", strings)?,
        ehlo_tls_extensions: o.list("ehlo_tls_extensions", strings)?,
        error: o.opt_string("error")?,
        host: o.string("host")?,
        ip: o.string("ip")?,
        name_matches: o.opt("name_matches", Value::as_bool)?,
        port: o.req("port", u16_of)?,
        refused_by_guard: o.opt_string("refused_by_guard")?,
        starttls: o.nested("starttls", |v| {
            let o = object(v, "starttls")?;
            Ok(StarttlsFacts {
                code: o.opt("code", u16_of)?,
                reason: o.opt_string("reason")?,
                reply: o.opt_string("reply")?,
                result: o.req("result", |v| {
                    let word = v.as_str()?;
                    StarttlsResult::ALL.into_iter().find(|r| r.as_str() == word)
                })?,
                step: o.opt_string("step")?,
            })
        })?,
        starttls_injection: o.or_default("starttls_injection", Value::as_bool)?,
        starttls_offered: o.or_default("starttls_offered", Value::as_bool)?,
        timings: o
            .nested("timings", |v| {
                let o = object(v, "timings")?;
                Ok(SmtpTimings {
                    banner_ms: o.opt("banner_ms", u32_of)?,
                    connect_ms: o.opt("connect_ms", u32_of)?,
                    ehlo_ms: o.opt("ehlo_ms", u32_of)?,
                    ehlo_tls_ms: o.opt("ehlo_tls_ms", u32_of)?,
                    starttls_ms: o.opt("starttls_ms", u32_of)?,
                    tls_handshake_ms: o.opt("tls_handshake_ms", u32_of)?,
                    total_ms: o.opt("total_ms", u32_of)?,
                })
            })?
            .unwrap_or_default(),
        tls_version: o.opt_string("tls_version")?,
        webpki_verdict: o.nested("webpki_verdict", |v| {
            let o = object(v, "webpki_verdict")?;
            Ok(ChainFacts {
                reason: o.opt_string("reason")?,
                result: o.req("result", |v| match v.as_str()? {
                    "trusted" => Some(ChainResult::Trusted),
                    "untrusted" => Some(ChainResult::Untrusted),
                    _ => None,
                })?,
            })
        })?,
    })
}

/// How one step of the dialogue ended (`smtp::Outcome`'s serde words).
fn outcome(v: &Value) -> Option<Outcome> {
    Some(match v.as_str()? {
        "not_attempted" => Outcome::NotAttempted,
        "ok" => Outcome::Ok,
        "timeout" => Outcome::Timeout,
        "refused" => Outcome::Refused,
        "rejected" => Outcome::Rejected,
        "failed" => Outcome::Failed,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word of the probe's enums reads as serde writes it.
    #[test]
    fn words_read_as_serde_writes_them() {
        for o in [
            Outcome::NotAttempted,
            Outcome::Ok,
            Outcome::Timeout,
            Outcome::Refused,
            Outcome::Rejected,
            Outcome::Failed,
        ] {
            assert_eq!(outcome(&serde_json::to_value(o).unwrap()), Some(o));
        }
        assert_eq!(outcome(&Value::from("OK")), None);
    }
}
