//! The `message` section of a report.

use serde::{Deserialize, Serialize};

pub use crate::message::spam::{SpamDecision, SpamField};

/// What the message section holds; every field is optional so a header-only
/// paste with missing pieces still yields a section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageSection {
    /// The From address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<FromAddress>,
    /// The Subject, decoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Received hops, oldest first.
    #[serde(default)]
    pub hops: Vec<Hop>,
    /// Total delay from the first to the last hop, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_delay_seconds: Option<i64>,
    /// The first hop outside the sender's own network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_ip: Option<String>,
    /// The envelope sender (RFC 5321 MAIL FROM) as the receiver recorded
    /// it: the topmost `Return-Path` (RFC 5321 §4.4), else `smtp.mailfrom`
    /// of the trusted Authentication-Results (RFC 8601 §2.7.2), else
    /// `envelope-from` of Received-SPF (RFC 7208 §9.1). The SPF identity,
    /// often an ESP's bounce domain rather than the From domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope_from: Option<String>,
    /// The HELO/EHLO name the sending IP gave: the sending hop's Received
    /// `from` clause, else `helo=` of Received-SPF or `smtp.helo` of the
    /// trusted Authentication-Results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope_helo: Option<String>,
    /// DKIM-Signature headers.
    #[serde(default)]
    pub dkim_signatures: Vec<DkimSignatureSummary>,
    /// Results from the trusted Authentication-Results header.
    #[serde(default)]
    pub auth_results: Vec<AuthResultSummary>,
    /// True when a body was present in the paste.
    #[serde(default)]
    pub has_body: bool,
    /// DMARC identifier alignment computed by mxlens (RFC 7489 §3.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alignment: Option<AlignmentSummary>,
    /// The ARC chain structure (RFC 8617).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arc: Option<ArcSummary>,
    /// Spam-filter verdicts decoded from the headers (SpamAssassin, rspamd,
    /// Microsoft EOP), topmost instance of each; each also gives one
    /// `msg.spam-verdicts` check. Empty when no filter left a verdict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spam_verdicts: Vec<SpamVerdictSummary>,
    /// The bounce this message is, per failed recipient; `null` when it is
    /// not a bounce (report contract, "Bounces").
    #[serde(default)]
    pub bounce: Option<super::BounceReport>,
    /// The "Content" section: the body's alternatives, images, links and
    /// attachments ([`crate::content`]). Absent for a header-only paste.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<super::ContentSection>,
}

impl MessageSection {
    /// The DKIM selectors that signed for `domain` (`d=` equal to it, case
    /// and a trailing dot aside), once each, in header order: the keys a
    /// domain audit of the From domain looks up (the server's combined
    /// report and the browser's "Audit <from-domain>" both ask this).
    pub fn selectors_for(&self, domain: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for sig in &self.dkim_signatures {
            // Only well-formed selectors, at most MAX_AUDIT_SELECTORS: a
            // pasted message must not turn into a DNS amplifier (H1).
            if out.len() < crate::dkim::verify::MAX_AUDIT_SELECTORS
                && crate::dkim::verify::is_valid_selector(&sig.selector)
                && sig
                    .domain
                    .trim_end_matches('.')
                    .eq_ignore_ascii_case(domain)
                && !out.contains(&sig.selector)
            {
                out.push(sig.selector.clone());
            }
        }
        out
    }
}

/// One spam filter's verdict as the report carries it. The scores are the
/// decimal text the filter wrote (at most two decimals, e.g. `7.2`, `-0.1`)
/// rather than floats, so the browser bundle needs no float formatting or
/// parsing code. `Deserialize` is written by hand for the same reason (see
/// the impl below).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpamVerdictSummary {
    /// `SpamAssassin`, `rspamd` or `Microsoft EOP`.
    pub filter: String,
    /// The decision.
    pub verdict: SpamDecision,
    /// The score (SCL for Microsoft), as decimal text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    /// The threshold, as decimal text, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<String>,
    /// A one-line summary.
    pub summary: String,
    /// Every field or rule, decoded.
    #[serde(default)]
    pub fields: Vec<SpamField>,
}

/// DMARC alignment computed by mxlens from the message's identities.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlignmentSummary {
    /// The RFC5322.From domain.
    pub from_domain: String,
    /// Its organizational domain (Public Suffix List).
    pub from_org_domain: String,
    /// DKIM domains that passed at the receiver, compared with From.
    #[serde(default)]
    pub dkim: Vec<AlignedIdentity>,
    /// The SPF (MAIL FROM) domain when SPF passed, compared with From.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spf: Option<AlignedIdentity>,
    /// Aligned in relaxed mode (the DMARC default).
    pub relaxed: bool,
    /// Aligned in strict mode.
    pub strict: bool,
}

/// One identity compared with the From domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlignedIdentity {
    /// The identity's domain.
    pub domain: String,
    /// Its organizational domain.
    pub org_domain: String,
    /// Same organizational domain as From.
    pub relaxed: bool,
    /// Same domain as From.
    pub strict: bool,
}

/// The ARC chain, structurally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArcSummary {
    /// Number of ARC sets.
    pub sets: u32,
    /// `pass` (structure valid) or `fail`.
    pub structure: String,
    /// Why the structure failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The domain of the most recent sealer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sealer: Option<String>,
    /// `arc=` as recorded by the receiving server, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_result: Option<String>,
}

/// The From address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FromAddress {
    /// The display name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The addr-spec.
    pub address: String,
    /// The domain part, lower case.
    pub domain: String,
}

/// One Received hop.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hop {
    /// The `from` host as the receiving server saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The receiving server (`by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The connecting IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The protocol (`with`), e.g. ESMTPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
    /// Whether this hop used TLS, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// The hop's timestamp, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Seconds since the previous hop (negative means clock skew).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_seconds: Option<i64>,
    /// The client's reverse-DNS name as the receiving server recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iprev: Option<String>,
    /// The HELO/EHLO name, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helo: Option<String>,
    /// The queue id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// TLS version named in the stamp, e.g. `TLSv1.3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    /// Cipher suite named in the stamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cipher: Option<String>,
    /// The hop's timestamp as unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unix_seconds: Option<i64>,
    /// True when the connecting IP is private, loopback or link-local.
    #[serde(default)]
    pub internal: bool,
}

/// One DKIM-Signature header, summarised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimSignatureSummary {
    /// `d=`
    pub domain: String,
    /// `s=`
    pub selector: String,
    /// `a=`
    pub algorithm: String,
    /// `h=`, lower case, in order.
    #[serde(default)]
    pub signed_headers: Vec<String>,
    /// `c=`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonicalization: Option<String>,
    /// `l=` body length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_length: Option<u64>,
    /// `t=` (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// `x=` (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<i64>,
    /// The receiving server's DKIM result for this `d=`, when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// mxlens's own verification (`mxlens headers --verify`, the server's
    /// analysis, the browser once the keys came): true or false, `null`
    /// when it could not verify or was not asked to.
    #[serde(default)]
    pub verified: Option<bool>,
    /// Why it did not verify: `body_hash`, `header_hash`, `key_missing`,
    /// `key_revoked`, `key_weak`, `expired` or `syntax`; `null` otherwise.
    #[serde(default)]
    pub failure: Option<String>,
    /// The verification's finding in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_detail: Option<String>,
    /// How the body changed since signing, when mxlens found it
    /// (`appended`, `inserted`, `trailing_whitespace`, `from_quoting`,
    /// `dot_stuffing`, `reencoded`, `truncated`, `unknown`), or
    /// `unsigned_tail` for text after an `l=` limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_change: Option<String>,
    /// The appended, inserted or unsigned text (at most 2000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_text: Option<String>,
}

/// One method result from Authentication-Results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthResultSummary {
    /// The authserv-id (empty when the header omitted it, as Outlook does).
    pub authserv_id: String,
    /// `spf`, `dkim`, `dmarc`, `arc`...
    pub method: String,
    /// `pass`, `fail`...
    pub result: String,
    /// Properties and reason, e.g. `smtp.mailfrom=example.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// Reads a verdict through `serde_json::Value` with
/// [`super::decode`]'s reader (the browser bundle decodes reports there).
/// Lenient like the rest of the report model: a missing or mistyped member
/// gives its default.
impl<'de> Deserialize<'de> for SpamVerdictSummary {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(super::decode::spam_verdict(&value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_for_a_domain_once_each_in_order() {
        let sig = |d: &str, s: &str| DkimSignatureSummary {
            domain: d.into(),
            selector: s.into(),
            ..DkimSignatureSummary::default()
        };
        let section = MessageSection {
            dkim_signatures: vec![
                sig("Example.com.", "s2"),
                sig("esp.example.net", "x"),
                sig("example.com", "s1"),
                sig("example.com", "s2"),
                sig("example.com", ""),
            ],
            ..MessageSection::default()
        };
        assert_eq!(section.selectors_for("example.com"), ["s2", "s1"]);
        assert!(section.selectors_for("other.test").is_empty());
    }

    #[test]
    fn spam_verdict_round_trips_through_json() {
        let verdict = SpamVerdictSummary {
            filter: "SpamAssassin".into(),
            verdict: SpamDecision::Spam,
            score: Some("7.2".into()),
            required: Some("5".into()),
            summary: "spam".into(),
            fields: vec![SpamField {
                name: "BAYES_99".into(),
                value: "3.5".into(),
                meaning: "Bayesian spam probability 99-100%".into(),
            }],
        };
        let json = serde_json::to_string(&verdict).unwrap();
        let back: SpamVerdictSummary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, verdict, "{json}");
        let sparse: SpamVerdictSummary = serde_json::from_str(r#"{"filter":"rspamd"}"#).unwrap();
        assert_eq!(sparse.verdict, SpamDecision::Unknown);
        assert!(sparse.fields.is_empty() && sparse.score.is_none());
    }
}
