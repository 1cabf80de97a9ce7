//! The browser app's one JSON decoder: every API answer (reports, SSE
//! events, created ids, error bodies) is parsed once into a
//! [`serde_json::Value`] by [`parse`], and reports and checks are read out of
//! that value by the plain functions below.
//!
//! Why not `#[derive(Deserialize)]`: the derived visitors (a field matcher,
//! a slot per field, duplicate and missing-field errors, for every struct of
//! the report) were the largest single item of the WASM bundle, about 20 KB
//! of its gzip size (issue 7, the 350 KB budget). These functions share a
//! handful of field readers instead. The derives stay: the backend, the CLI
//! and the tests read reports through them, and the tests in this module
//! and in the integration suite check that both give the same report for
//! every golden message report and every audit the suite runs.
//!
//! The rules are serde's, so that both agree on every report the server
//! writes (docs/report-schema.md):
//! - members that the derive requires (no `#[serde(default)]`) are required
//!   here too, and a wrong type is an error that names the member;
//! - a member that is absent takes its default (`None`, empty, `false`,
//!   0), as `#[serde(default)]` does; `null` does too (serde refuses `null`
//!   for a defaulted member that is not an `Option`; the server never
//!   writes one);
//! - unknown members are ignored (the schema grows by addition).
//!
//! Every struct is built with a full struct literal, never
//! `..Default::default()`: a field added to the report model does not
//! compile until it is decoded here as well.

mod content;
mod dmarc;
mod explain;
mod rcpt;
mod smtp;
mod spf;

pub use explain::explained;

use serde_json::{Map, Value};

use super::transport::{MxTransport, TransportSecurity, TransportVerdict};
use super::{
    AlignedIdentity, AlignmentSummary, ArcSummary, AuthResultSummary, BounceAction, BounceKind,
    BounceReport, BouncedRecipient, ConnectionFacts, DeliverySection, OriginalMessage, Reason,
    WhoMustAct,
};
use super::{
    Check, ChecklistItem, ChecklistStatus, Checklists, DkimSignatureSummary, DomainSection,
    FromAddress, Grade, Hop, MessageSection, MtaStsFacts, MxHost, Report, ReportKind, SpamDecision,
    SpamField, SpamVerdictSummary, Status, Tool,
};

/// What is wrong with a value, naming the member (`checks[3].status: …`).
pub type DecodeError = String;

type Result<T> = std::result::Result<T, DecodeError>;

/// Parses `text` as one JSON value (the only JSON parser the app uses).
pub fn parse(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// The JSON object `value`, or an error naming `what`.
fn object<'a>(value: &'a Value, what: &str) -> Result<Obj<'a>> {
    match value {
        Value::Object(map) => Ok(Obj(map)),
        _ => Err(format!("{what}: expected an object")),
    }
}

/// One JSON object being read. The readers take `fn` pointers, not
/// closures, so each is compiled once for all the report's types.
struct Obj<'a>(&'a Map<String, Value>);

impl<'a> Obj<'a> {
    /// The member `key` unless it is absent or `null`.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// A required member, read by `read`.
    fn req<T>(&self, key: &str, read: fn(&Value) -> Option<T>) -> Result<T> {
        match self.get(key) {
            None => Err(format!("missing member `{key}`")),
            Some(v) => read(v).ok_or_else(|| unexpected(key, v)),
        }
    }

    /// An optional member (`None` when absent or `null`).
    fn opt<T>(&self, key: &str, read: fn(&Value) -> Option<T>) -> Result<Option<T>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => read(v).map(Some).ok_or_else(|| unexpected(key, v)),
        }
    }

    /// A member with a default.
    fn or_default<T: Default>(&self, key: &str, read: fn(&Value) -> Option<T>) -> Result<T> {
        Ok(self.opt(key, read)?.unwrap_or_default())
    }

    fn string(&self, key: &str) -> Result<String> {
        self.req(key, string)
    }

    fn opt_string(&self, key: &str) -> Result<Option<String>> {
        self.opt(key, string)
    }

    fn flag(&self, key: &str) -> Result<bool> {
        self.req(key, Value::as_bool)
    }

    /// An array member (empty when absent), each element read by `read`.
    /// A plain loop over a non-generic [`Obj::array`]: this is instantiated
    /// once per element type, so it is kept small.
    fn list<T>(&self, key: &str, read: fn(&Value) -> Result<T>) -> Result<Vec<T>> {
        let items = self.array(key)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match read(item) {
                Ok(value) => out.push(value),
                Err(e) => return Err(format!("{key}[{i}]: {e}")),
            }
        }
        Ok(out)
    }

    /// The array member `key` (empty when absent or `null`).
    fn array(&self, key: &str) -> Result<&'a [Value]> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(v) => Err(unexpected(key, v)),
        }
    }

    /// An object member read by `read` (`None` when absent).
    fn nested<T>(&self, key: &str, read: fn(&Value) -> Result<T>) -> Result<Option<T>> {
        self.get(key)
            .map(|v| read(v).map_err(|e| format!("{key}: {e}")))
            .transpose()
    }
}

/// A member of the wrong type or out of range. It names the JSON type
/// rather than printing the value: printing a `Value` would compile a third
/// JSON writer into the bundle.
fn unexpected(key: &str, v: &Value) -> DecodeError {
    format!("`{key}`: unexpected value ({})", json_type(v))
}

/// "a string", "an object"…
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn u8_of(v: &Value) -> Option<u8> {
    v.as_u64().and_then(|n| u8::try_from(n).ok())
}

fn u16_of(v: &Value) -> Option<u16> {
    v.as_u64().and_then(|n| u16::try_from(n).ok())
}

fn u32_of(v: &Value) -> Option<u32> {
    v.as_u64().and_then(|n| u32::try_from(n).ok())
}

fn strings(v: &Value) -> Result<String> {
    string(v).ok_or_else(|| format!("unexpected value ({})", json_type(v)))
}

/// Decodes the answer of `POST /api/reputation` (`{reputation, checks}`):
/// its Reputation section.
pub fn reputation_answer(value: &Value) -> Result<crate::report::ReputationSection> {
    object(value, "answer")?
        .nested("reputation", content::reputation)?
        .ok_or_else(|| "answer: no reputation member".to_string())
}

/// Decodes a report.
pub fn report(value: &Value) -> Result<Report> {
    let o = object(value, "report")?;
    Ok(Report {
        schema_version: o.req("schema_version", u32_of)?,
        kind: o.req("kind", |v| match v.as_str()? {
            "message" => Some(ReportKind::Message),
            "domain" => Some(ReportKind::Domain),
            "combined" => Some(ReportKind::Combined),
            "delivery" => Some(ReportKind::Delivery),
            _ => None,
        })?,
        generated_at: o.string("generated_at")?,
        tool: o
            .nested("tool", |v| {
                let o = object(v, "tool")?;
                Ok(Tool {
                    name: o.string("name")?,
                    version: o.string("version")?,
                })
            })?
            .ok_or("missing member `tool`")?,
        score: o.req("score", u8_of)?,
        grade: o.req("grade", |v| match v.as_str()? {
            "A" => Some(Grade::A),
            "B" => Some(Grade::B),
            "C" => Some(Grade::C),
            "D" => Some(Grade::D),
            "E" => Some(Grade::E),
            "F" => Some(Grade::F),
            _ => None,
        })?,
        coverage: o.opt("coverage", u8_of)?.unwrap_or(100),
        checks: match o.get("checks") {
            Some(_) => o.list("checks", check)?,
            None => return Err("missing member `checks`".into()),
        },
        message: o.nested("message", message)?,
        domain: o.nested("domain", domain)?,
        checklists: o
            .nested("checklists", |v| {
                let o = object(v, "checklists")?;
                Ok(Checklists {
                    bulk_sender: o.list("bulk_sender", checklist_item)?,
                    can_spam: o.list("can_spam", checklist_item)?,
                })
            })?
            .unwrap_or_default(),
        transport: o.nested("transport", transport)?,
        delivery: o.nested("delivery", delivery)?,
        reputation: o.nested("reputation", content::reputation)?,
    })
}

fn status(v: &Value) -> Option<Status> {
    let word = v.as_str()?;
    [
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Info,
        Status::NotApplicable,
        Status::NotTested,
        Status::Error,
    ]
    .into_iter()
    .find(|s| s.as_str() == word)
}

/// Decodes one check (a report's, or an audit's `check` event).
pub fn check(value: &Value) -> Result<Check> {
    let o = object(value, "check")?;
    Ok(Check {
        id: o.string("id")?,
        status: o.req("status", status)?,
        title: o.string("title")?,
        detail: o.string("detail")?,
        fix: o.opt_string("fix")?,
        refs: o.list("refs", strings)?,
        subject: o.opt_string("subject")?,
        suggestion: o.opt_string("suggestion")?,
    })
}

fn checklist_item(value: &Value) -> Result<ChecklistItem> {
    let o = object(value, "item")?;
    Ok(ChecklistItem {
        id: o.string("id")?,
        status: o.req("status", |v| match v.as_str()? {
            "pass" => Some(ChecklistStatus::Pass),
            "fail" => Some(ChecklistStatus::Fail),
            "manual" => Some(ChecklistStatus::Manual),
            "needs_body" => Some(ChecklistStatus::NeedsBody),
            "needs_backend" => Some(ChecklistStatus::NeedsBackend),
            "not_applicable" => Some(ChecklistStatus::NotApplicable),
            _ => None,
        })?,
        title: o.string("title")?,
        detail: o.or_default("detail", string)?,
    })
}

fn message(value: &Value) -> Result<MessageSection> {
    let o = object(value, "message")?;
    Ok(MessageSection {
        from: o.nested("from", |v| {
            let o = object(v, "from")?;
            Ok(FromAddress {
                name: o.opt_string("name")?,
                address: o.string("address")?,
                domain: o.string("domain")?,
            })
        })?,
        subject: o.opt_string("subject")?,
        hops: o.list("hops", hop)?,
        total_delay_seconds: o.opt("total_delay_seconds", Value::as_i64)?,
        sending_ip: o.opt_string("sending_ip")?,
        envelope_from: o.opt_string("envelope_from")?,
        envelope_helo: o.opt_string("envelope_helo")?,
        dkim_signatures: o.list("dkim_signatures", dkim_signature)?,
        auth_results: o.list("auth_results", |v| {
            let o = object(v, "auth_result")?;
            Ok(AuthResultSummary {
                authserv_id: o.string("authserv_id")?,
                method: o.string("method")?,
                result: o.string("result")?,
                details: o.opt_string("details")?,
            })
        })?,
        has_body: o.or_default("has_body", Value::as_bool)?,
        alignment: o.nested("alignment", |v| {
            let o = object(v, "alignment")?;
            Ok(AlignmentSummary {
                from_domain: o.string("from_domain")?,
                from_org_domain: o.string("from_org_domain")?,
                dkim: o.list("dkim", aligned_identity)?,
                spf: o.nested("spf", aligned_identity)?,
                relaxed: o.flag("relaxed")?,
                strict: o.flag("strict")?,
            })
        })?,
        arc: o.nested("arc", |v| {
            let o = object(v, "arc")?;
            Ok(ArcSummary {
                sets: o.req("sets", u32_of)?,
                structure: o.string("structure")?,
                problem: o.opt_string("problem")?,
                last_sealer: o.opt_string("last_sealer")?,
                receiver_result: o.opt_string("receiver_result")?,
            })
        })?,
        spam_verdicts: o.list("spam_verdicts", |v| Ok(spam_verdict(v)))?,
        bounce: o.nested("bounce", bounce)?,
        content: o.nested("content", content::content)?,
    })
}

/// `message.bounce` (report/bounce.rs).
fn bounce(value: &Value) -> Result<BounceReport> {
    fn word<T>(o: &Obj<'_>, key: &str, read: fn(&str) -> Option<T>) -> Result<T> {
        let text = o.string(key)?;
        read(&text).ok_or_else(|| format!("`{key}`: unknown word"))
    }
    let o = object(value, "bounce")?;
    Ok(BounceReport {
        kind: word(&o, "kind", BounceKind::from_word)?,
        reporting_mta: o.opt_string("reporting_mta")?,
        recipients: o.list("recipients", |v| {
            let o = object(v, "recipient")?;
            Ok(BouncedRecipient {
                recipient: o.opt_string("recipient")?,
                action: word(&o, "action", BounceAction::from_word)?,
                status: o.opt_string("status")?,
                reply_code: o.opt("reply_code", u16_of)?,
                remote_mta: o.opt_string("remote_mta")?,
                diagnostic: o.opt_string("diagnostic")?,
                reason: word(&o, "reason", Reason::from_word)?,
                permanent: o.req("permanent", Value::as_bool)?,
                who_must_act: word(&o, "who_must_act", WhoMustAct::from_word)?,
                next_step: o.string("next_step")?,
                refs: o.list("refs", strings)?,
                note: o.opt_string("note")?,
            })
        })?,
        format: o.opt_string("format")?,
        original: o.nested("original", |v| {
            let o = object(v, "original")?;
            Ok(OriginalMessage {
                from: o.opt_string("from")?,
                from_domain: o.opt_string("from_domain")?,
                subject: o.opt_string("subject")?,
                message_id: o.opt_string("message_id")?,
                dkim_domains: o.list("dkim_domains", strings)?,
                sending_ip: o.opt_string("sending_ip")?,
            })
        })?,
    })
}

fn hop(value: &Value) -> Result<Hop> {
    let o = object(value, "hop")?;
    Ok(Hop {
        from: o.opt_string("from")?,
        by: o.opt_string("by")?,
        ip: o.opt_string("ip")?,
        with: o.opt_string("with")?,
        tls: o.opt("tls", Value::as_bool)?,
        timestamp: o.opt_string("timestamp")?,
        delay_seconds: o.opt("delay_seconds", Value::as_i64)?,
        iprev: o.opt_string("iprev")?,
        helo: o.opt_string("helo")?,
        id: o.opt_string("id")?,
        tls_version: o.opt_string("tls_version")?,
        tls_cipher: o.opt_string("tls_cipher")?,
        unix_seconds: o.opt("unix_seconds", Value::as_i64)?,
        internal: o.or_default("internal", Value::as_bool)?,
    })
}

fn dkim_signature(value: &Value) -> Result<DkimSignatureSummary> {
    let o = object(value, "signature")?;
    Ok(DkimSignatureSummary {
        domain: o.string("domain")?,
        selector: o.string("selector")?,
        algorithm: o.string("algorithm")?,
        signed_headers: o.list("signed_headers", strings)?,
        canonicalization: o.opt_string("canonicalization")?,
        body_length: o.opt("body_length", Value::as_u64)?,
        timestamp: o.opt("timestamp", Value::as_i64)?,
        expiration: o.opt("expiration", Value::as_i64)?,
        result: o.opt_string("result")?,
        verified: o.opt("verified", Value::as_bool)?,
        failure: o.opt_string("failure")?,
        verify_detail: o.opt_string("verify_detail")?,
        body_change: o.opt_string("body_change")?,
        changed_text: o.opt_string("changed_text")?,
    })
}

fn aligned_identity(value: &Value) -> Result<AlignedIdentity> {
    let o = object(value, "identity")?;
    Ok(AlignedIdentity {
        domain: o.string("domain")?,
        org_domain: o.string("org_domain")?,
        relaxed: o.flag("relaxed")?,
        strict: o.flag("strict")?,
    })
}

/// A spam-filter verdict. Lenient, as its `Deserialize` impl has always
/// been (which calls this): a missing or mistyped member gives its default.
pub(crate) fn spam_verdict(value: &Value) -> SpamVerdictSummary {
    fn text(v: &Value, key: &str) -> Option<String> {
        v.get(key).and_then(string)
    }
    let verdict = match value.get("verdict").and_then(Value::as_str) {
        Some("spam") => SpamDecision::Spam,
        Some("not_spam") => SpamDecision::NotSpam,
        _ => SpamDecision::Unknown,
    };
    let fields = value
        .get("fields")
        .and_then(Value::as_array)
        .map(|all| {
            all.iter()
                .map(|f| SpamField {
                    name: text(f, "name").unwrap_or_default(),
                    value: text(f, "value").unwrap_or_default(),
                    meaning: text(f, "meaning").unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    SpamVerdictSummary {
        filter: text(value, "filter").unwrap_or_default(),
        verdict,
        score: text(value, "score"),
        required: text(value, "required"),
        summary: text(value, "summary").unwrap_or_default(),
        fields,
    }
}

fn domain(value: &Value) -> Result<DomainSection> {
    let o = object(value, "domain")?;
    Ok(DomainSection {
        name: o.string("name")?,
        mx: o.list("mx", |v| {
            let o = object(v, "mx")?;
            Ok(MxHost {
                preference: o.req("preference", u16_of)?,
                host: o.string("host")?,
                addresses: o.list("addresses", strings)?,
            })
        })?,
        spf: o.nested("spf", spf::spf)?,
        dmarc: o.nested("dmarc", dmarc::dmarc)?,
        smtp: o.list("smtp", smtp::smtp)?,
        rcpt: o.nested("rcpt", rcpt::rcpt)?,
        mta_sts: o.nested("mta_sts", |v| {
            let o = object(v, "mta_sts")?;
            Ok(MtaStsFacts {
                max_age: o.opt("max_age", u32_of)?,
                mode: o.opt_string("mode")?,
                mx: o.list("mx", strings)?,
            })
        })?,
    })
}

fn delivery(value: &Value) -> Result<DeliverySection> {
    let o = object(value, "delivery")?;
    Ok(DeliverySection {
        connection: o
            .nested("connection", connection_facts)?
            .ok_or("missing member `connection`")?,
        ptr: o.list("ptr", strings)?,
        fcrdns: o.opt("fcrdns", Value::as_bool)?,
        spf_mail_from: o.or_default("spf_mail_from", string)?,
        spf_helo: o.opt_string("spf_helo")?,
        dkim: o.or_default("dkim", string)?,
        dmarc: o.or_default("dmarc", string)?,
        dmarc_policy: o.opt_string("dmarc_policy")?,
        audited_domain: o.opt_string("audited_domain")?,
    })
}

/// Decodes the connection facts of a delivery (also stored on their own).
pub fn connection_facts(value: &Value) -> Result<ConnectionFacts> {
    let o = object(value, "connection")?;
    Ok(ConnectionFacts {
        client_ip: o.string("client_ip")?,
        client_port: o.or_default("client_port", u16_of)?,
        helo: o.or_default("helo", string)?,
        esmtp: o.or_default("esmtp", Value::as_bool)?,
        starttls: o.or_default("starttls", Value::as_bool)?,
        tls_version: o.opt_string("tls_version")?,
        tls_cipher: o.opt_string("tls_cipher")?,
        starttls_offered: o.or_default("starttls_offered", Value::as_bool)?,
        mail_from: o.or_default("mail_from", string)?,
        rcpt_to: o.or_default("rcpt_to", string)?,
        received_at: o.or_default("received_at", string)?,
        received_by: o.or_default("received_by", string)?,
        size: o.or_default("size", Value::as_u64)?,
        body_8bitmime: o.or_default("body_8bitmime", Value::as_bool)?,
        smtputf8: o.or_default("smtputf8", Value::as_bool)?,
        pipelined: o.or_default("pipelined", Value::as_bool)?,
        proxied_by: o.opt_string("proxied_by")?,
    })
}

fn transport(value: &Value) -> Result<TransportSecurity> {
    let o = object(value, "transport")?;
    Ok(TransportSecurity {
        verdict: o.req("verdict", |v| match v.as_str()? {
            "encrypted_and_protected" => Some(TransportVerdict::EncryptedAndProtected),
            "encrypted_opportunistic" => Some(TransportVerdict::EncryptedOpportunistic),
            "partly_encrypted" => Some(TransportVerdict::PartlyEncrypted),
            "not_encrypted" => Some(TransportVerdict::NotEncrypted),
            "unknown" => Some(TransportVerdict::Unknown),
            _ => None,
        })?,
        summary: o.string("summary")?,
        mx: o.list("mx", |v| {
            let o = object(v, "mx")?;
            Ok(MxTransport {
                host: o.string("host")?,
                ip: o.string("ip")?,
                starttls: o.flag("starttls")?,
                tls_version: o.opt_string("tls_version")?,
                certificate_valid: o.opt("certificate_valid", Value::as_bool)?,
            })
        })?,
        mta_sts_mode: o.opt_string("mta_sts_mode")?,
        dane: o.or_default("dane", Value::as_bool)?,
        hops_total: o.or_default("hops_total", u32_of)?,
        hops_tls: o.or_default("hops_tls", u32_of)?,
        hops_clear: o.or_default("hops_clear", u32_of)?,
        message_summary: o.opt_string("message_summary")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::dmarc::{Alignment, FailureOption, Policy, PsdFlag};
    use crate::report::{
        ByteSpan, DmarcFacts, DmarcReportSize, DmarcReportUri, DmarcTagFacts, DmarcTags, RcptFacts,
        RecordFinding, SCHEMA_VERSION,
    };
    use crate::report::{
        CertFacts, ChainFacts, ChainResult, SmtpFacts, SmtpProbeFacts, SmtpTimings, SpfFacts,
        SpfNodeFacts, SpfTermFacts, StarttlsFacts, StarttlsResult,
    };
    use crate::smtp::codes::{ReplyClass, ReplyExplanation};
    use crate::smtp::rcpt::{RcptFailure, RcptReply, RcptStep, RcptVerdict};
    use crate::smtp::Outcome;
    use crate::spf::eval::{NodeKind, SpfResult};
    use crate::spf::Qualifier;

    /// An explanation with every member set.
    fn explanation(code: u16) -> ReplyExplanation {
        ReplyExplanation {
            basic_code: Some(code),
            basic_meaning: "b".into(),
            class: ReplyClass::TransientFailure,
            enhanced_code: Some("4.3.2".into()),
            enhanced_meaning: "e".into(),
            likely_cause: "c".into(),
            provider: Some("Gmail".into()),
            recipient: Some("a@example.com".into()),
            refs: vec!["RFC 3463".into()],
            reply: "421 4.3.2 bye".into(),
            text: "bye".into(),
            what_to_do: "w".into(),
        }
    }

    /// The derive's answer and ours, for the same JSON.
    fn both(value: &Value) -> (Result<Report>, Result<Report>) {
        let derived = serde_json::from_value::<Report>(value.clone()).map_err(|e| e.to_string());
        (derived, report(value))
    }

    /// A report with every optional member present and every list filled,
    /// so that each field of the model is decoded at least once.
    fn full_report() -> Report {
        let identity = AlignedIdentity {
            domain: "mail.example.com".into(),
            org_domain: "example.com".into(),
            relaxed: true,
            strict: false,
        };
        let mut check = Check::new("spf.lookup-limit", Status::Warn, "11 lookups")
            .with_subject("example.com")
            .with_fix("flatten")
            .with_suggestion("v=spf1 -all");
        check.refs.push("RFC 7208 §4.6.4".into());
        Report {
            schema_version: SCHEMA_VERSION,
            kind: ReportKind::Combined,
            generated_at: "2026-11-28T12:00:00Z".into(),
            tool: Tool::default(),
            score: 73,
            grade: Grade::C,
            coverage: 88,
            checks: vec![check],
            message: Some(MessageSection {
                from: Some(FromAddress {
                    name: Some("Ann".into()),
                    address: "ann@example.com".into(),
                    domain: "example.com".into(),
                }),
                subject: Some("Hello".into()),
                hops: vec![Hop {
                    from: Some("a".into()),
                    by: Some("b".into()),
                    ip: Some("192.0.2.1".into()),
                    with: Some("ESMTPS".into()),
                    tls: Some(true),
                    timestamp: Some("2026-11-28T11:59:00Z".into()),
                    delay_seconds: Some(-3),
                    iprev: Some("c".into()),
                    helo: Some("d".into()),
                    id: Some("q1".into()),
                    tls_version: Some("TLSv1.3".into()),
                    tls_cipher: Some("TLS_AES_128_GCM_SHA256".into()),
                    unix_seconds: Some(1_795_000_000),
                    internal: true,
                }],
                total_delay_seconds: Some(60),
                sending_ip: Some("192.0.2.1".into()),
                envelope_from: Some("bounce@esp.example".into()),
                envelope_helo: Some("out.esp.example".into()),
                dkim_signatures: vec![DkimSignatureSummary {
                    domain: "example.com".into(),
                    selector: "s1".into(),
                    algorithm: "rsa-sha256".into(),
                    signed_headers: vec!["from".into(), "to".into()],
                    canonicalization: Some("relaxed/relaxed".into()),
                    body_length: Some(u64::MAX),
                    timestamp: Some(1),
                    expiration: Some(2),
                    result: Some("pass".into()),
                    verified: Some(false),
                    failure: Some("body_hash".into()),
                    verify_detail: Some("the body hash does not match bh=".into()),
                    body_change: Some("appended".into()),
                    changed_text: Some("-- \r\nfooter\r\n".into()),
                }],
                auth_results: vec![AuthResultSummary {
                    authserv_id: "mx.example.net".into(),
                    method: "dkim".into(),
                    result: "pass".into(),
                    details: Some("header.d=example.com".into()),
                }],
                has_body: true,
                alignment: Some(AlignmentSummary {
                    from_domain: "example.com".into(),
                    from_org_domain: "example.com".into(),
                    dkim: vec![identity.clone()],
                    spf: Some(identity),
                    relaxed: true,
                    strict: false,
                }),
                arc: Some(ArcSummary {
                    sets: 2,
                    structure: "fail".into(),
                    problem: Some("gap".into()),
                    last_sealer: Some("google.com".into()),
                    receiver_result: Some("pass".into()),
                }),
                spam_verdicts: vec![SpamVerdictSummary {
                    filter: "SpamAssassin".into(),
                    verdict: SpamDecision::NotSpam,
                    score: Some("-0.1".into()),
                    required: Some("5".into()),
                    summary: "not spam".into(),
                    fields: vec![SpamField {
                        name: "BAYES_00".into(),
                        value: "-1.9".into(),
                        meaning: "ham".into(),
                    }],
                }],
                bounce: Some(BounceReport {
                    kind: BounceKind::Dsn,
                    reporting_mta: Some("mx.example.com".into()),
                    recipients: vec![BouncedRecipient {
                        recipient: Some("bob@example.net".into()),
                        action: BounceAction::Delayed,
                        status: Some("4.2.2".into()),
                        reply_code: Some(452),
                        remote_mta: Some("mx.example.net".into()),
                        diagnostic: Some("452 4.2.2 over quota".into()),
                        reason: Reason::MailboxFull,
                        permanent: false,
                        who_must_act: WhoMustAct::RecipientAdmin,
                        next_step: "wait".into(),
                        refs: vec!["RFC 3463".into()],
                        note: Some("n".into()),
                    }],
                    format: Some("postfix".into()),
                    original: Some(OriginalMessage {
                        from: Some("ann@example.com".into()),
                        from_domain: Some("example.com".into()),
                        subject: Some("s".into()),
                        message_id: Some("<m@example.com>".into()),
                        dkim_domains: vec!["example.com".into()],
                        sending_ip: Some("192.0.2.1".into()),
                    }),
                }),
                content: Some(crate::report::ContentSection {
                    text_part: true,
                    html_part: true,
                    html_bytes: 2048,
                    visible_text_chars: 900,
                    images: 3,
                    images_without_alt: 1,
                    tracking_pixels: 1,
                    links_total: 7,
                    links: vec![crate::report::LinkSummary {
                        text: "www.shop.example".into(),
                        href: "http://bit.ly/x".into(),
                        host: "bit.ly".into(),
                        source: "html".into(),
                        aligned: Some(false),
                        shown_domain: Some("www.shop.example".into()),
                        flags: vec!["shortener".into()],
                        count: 2,
                    }],
                    link_domains: vec!["bit.ly".into()],
                    attachments: vec![crate::report::AttachmentSummary {
                        filename: "a.zip".into(),
                        content_type: "application/zip".into(),
                        size: u64::MAX,
                        risk: "archive".into(),
                    }],
                    limits: vec!["cap".into()],
                }),
            }),
            domain: Some(DomainSection {
                name: "example.com".into(),
                mx: vec![MxHost {
                    preference: 10,
                    host: "mx.example.com".into(),
                    addresses: vec!["192.0.2.25".into()],
                }],
                spf: Some(SpfFacts {
                    lookup_count: 11,
                    record: Some("v=spf1 include:_spf.example.com ~all".into()),
                    terms: vec![SpfTermFacts {
                        meaning: "m".into(),
                        rfc: "RFC 7208 §5.2".into(),
                        term: "include".into(),
                    }],
                    tree: SpfNodeFacts {
                        children: vec![SpfNodeFacts {
                            children: vec![],
                            dns_cost: 1,
                            domain: Some("_spf.example.com".into()),
                            kind: NodeKind::Include,
                            matched: Some(false),
                            notes: vec!["NXDOMAIN".into()],
                            qualifier: Some(Qualifier::SoftFail),
                            record: None,
                            result: Some(SpfResult::PermError),
                            term: "include:_spf.example.com".into(),
                            void_lookups: 1,
                        }],
                        dns_cost: 0,
                        domain: Some("example.com".into()),
                        kind: NodeKind::Record,
                        matched: None,
                        notes: vec![],
                        qualifier: None,
                        record: Some("v=spf1 include:_spf.example.com ~all".into()),
                        result: Some(SpfResult::TempError),
                        term: "example.com".into(),
                        void_lookups: 0,
                    },
                    void_lookup_count: u32::MAX,
                }),
                dmarc: Some(DmarcFacts {
                    policy: Some(Policy::Quarantine),
                    record: "v=DMARC1; p=reject; sp=quarantine".into(),
                    source: "example.com".into(),
                    tag_table: vec![
                        DmarcTagFacts {
                            default: None,
                            findings: vec![RecordFinding {
                                code: "dmarc.tag-removed-rfc9989".into(),
                                message: "m".into(),
                                rfc: "RFC 9989 §4.7".into(),
                                severity: Severity::Info,
                                span: ByteSpan { end: 17, start: 12 },
                            }],
                            meaning: "m".into(),
                            rfc: "RFC 7489 §6.3".into(),
                            tag: "pct".into(),
                            value: Some("50".into()),
                        },
                        DmarcTagFacts {
                            default: Some("subdomains get p".into()),
                            findings: vec![],
                            meaning: "m".into(),
                            rfc: "RFC 7489 §6.3".into(),
                            tag: "sp".into(),
                            value: None,
                        },
                    ],
                    tags: DmarcTags {
                        adkim: Some(Alignment::Strict),
                        aspf: Some(Alignment::Relaxed),
                        failure_options: vec![
                            FailureOption::All,
                            FailureOption::Any,
                            FailureOption::Dkim,
                            FailureOption::Spf,
                        ],
                        nonexistent_policy: Some(Policy::Reject),
                        percent: Some(50),
                        policy: Some(Policy::None),
                        psd: Some(PsdFlag::Yes),
                        report_formats: vec!["afrf".into()],
                        report_interval: Some(3600),
                        rua: vec![DmarcReportUri {
                            max_size: Some(DmarcReportSize {
                                unit: Some('m'),
                                value: 10,
                            }),
                            uri: "mailto:a@example.com".into(),
                        }],
                        ruf: vec![DmarcReportUri {
                            max_size: Some(DmarcReportSize {
                                unit: None,
                                value: u64::MAX,
                            }),
                            uri: "mailto:f@example.com".into(),
                        }],
                        subdomain_policy: Some(Policy::Quarantine),
                        testing: Some(true),
                        unknown: vec![("x".into(), "y".into())],
                        version: Some("DMARC1".into()),
                    },
                }),
                smtp: vec![SmtpFacts {
                    banner: Some("220 mx.example.com ESMTP".into()),
                    cert_days_left: Some(-1),
                    cert_valid: Some(false),
                    cipher: Some("TLS13_AES_256_GCM_SHA384".into()),
                    extensions: vec!["STARTTLS".into()],
                    host: "mx.example.com".into(),
                    ip: "192.0.2.25".into(),
                    port: 25,
                    probe: SmtpProbeFacts {
                        banner: Some("220 mx.example.com ESMTP".into()),
                        banner_code: Some(220),
                        banner_outcome: Outcome::Ok,
                        cert_chain: vec![CertFacts {
                            days_left: -1,
                            issuer: "CN=CA".into(),
                            not_after: "2026-11-27T00:00:00Z".into(),
                            not_before: "2026-01-01T00:00:00Z".into(),
                            sans: vec!["mx.example.com".into()],
                            subject: "CN=mx.example.com".into(),
                        }],
                        cipher: Some("TLS13_AES_256_GCM_SHA384".into()),
                        connect: Outcome::Refused,
                        connected_to: Some("127.0.0.1:2525".into()),
                        ehlo: Outcome::Timeout,
                        ehlo_code: Some(250),
                        ehlo_extensions: vec!["STARTTLS".into()],
                        ehlo_tls_extensions: vec!["SIZE".into()],
                        error: Some("e".into()),
                        host: "mx.example.com".into(),
                        ip: "192.0.2.25".into(),
                        name_matches: Some(true),
                        port: 25,
                        refused_by_guard: Some("g".into()),
                        starttls: Some(StarttlsFacts {
                            code: Some(454),
                            reason: Some("r".into()),
                            reply: Some("454 no".into()),
                            result: StarttlsResult::Rejected,
                            step: Some("handshake".into()),
                        }),
                        starttls_injection: true,
                        starttls_offered: true,
                        timings: SmtpTimings {
                            banner_ms: Some(1),
                            connect_ms: Some(2),
                            ehlo_ms: Some(3),
                            ehlo_tls_ms: Some(4),
                            starttls_ms: Some(5),
                            tls_handshake_ms: Some(6),
                            total_ms: Some(u32::MAX),
                        },
                        tls_version: Some("TLSv1.3".into()),
                        webpki_verdict: Some(ChainFacts {
                            reason: Some("UnknownIssuer".into()),
                            result: ChainResult::Untrusted,
                        }),
                    },
                    starttls: true,
                    tls_version: Some("TLSv1.3".into()),
                }],
                rcpt: Some(RcptFacts {
                    address: "a@example.com".into(),
                    catch_all: Some(RcptReply::new(550, "550 5.1.1 no")),
                    catch_all_address: Some("x@example.com".into()),
                    catch_all_text: "refused".into(),
                    failure: Some(RcptFailure {
                        message: "closed".into(),
                        reply: Some(RcptReply::new(421, "421 4.3.2 bye")),
                        step: RcptStep::CatchAll,
                        timeout: true,
                    }),
                    failure_explained: Some(explanation(421)),
                    host: "mx.example.com".into(),
                    ip: "192.0.2.25".into(),
                    mail_from: Some(RcptReply::new(250, "250 2.1.0 Ok")),
                    rcpt: Some(RcptReply::new(451, "451 4.7.1 later")),
                    rcpt_explained: Some(explanation(451)),
                    retry_hint: Some("Retry in 60 s".into()),
                    sender: "probe@example.org".into(),
                    tls: true,
                    total_ms: Some(u32::MAX),
                    verdict: RcptVerdict::Greylisted,
                    verdict_text: "Greylisting".into(),
                }),
                mta_sts: Some(MtaStsFacts {
                    max_age: Some(86400),
                    mode: Some("enforce".into()),
                    mx: vec!["mx.example.com".into()],
                }),
            }),
            checklists: Checklists {
                bulk_sender: vec![ChecklistItem {
                    id: "bulk.one-click".into(),
                    status: ChecklistStatus::NeedsBackend,
                    title: "One-click".into(),
                    detail: "d".into(),
                }],
                can_spam: vec![ChecklistItem {
                    id: "canspam.subject".into(),
                    status: ChecklistStatus::Manual,
                    title: "Subject".into(),
                    detail: String::new(),
                }],
            },
            transport: Some(TransportSecurity {
                verdict: TransportVerdict::EncryptedOpportunistic,
                summary: "s".into(),
                mx: vec![MxTransport {
                    host: "mx.example.com".into(),
                    ip: "192.0.2.25".into(),
                    starttls: true,
                    tls_version: Some("TLSv1.3".into()),
                    certificate_valid: Some(false),
                }],
                mta_sts_mode: Some("testing".into()),
                dane: true,
                hops_total: 4,
                hops_tls: 3,
                hops_clear: 1,
                message_summary: Some("m".into()),
            }),
            delivery: Some(DeliverySection {
                connection: ConnectionFacts {
                    client_ip: "192.0.2.1".into(),
                    client_port: 40000,
                    helo: "out.example.com".into(),
                    esmtp: true,
                    starttls: true,
                    tls_version: Some("TLSv1.3".into()),
                    tls_cipher: Some("TLS13_AES_256_GCM_SHA384".into()),
                    starttls_offered: true,
                    mail_from: "bounce@example.com".into(),
                    rcpt_to: "t-abc@test.example".into(),
                    received_at: "2026-11-28T11:59:59Z".into(),
                    received_by: "test.example".into(),
                    size: u64::MAX,
                    body_8bitmime: true,
                    smtputf8: true,
                    pipelined: true,
                    proxied_by: Some("127.0.0.1".into()),
                },
                ptr: vec!["out.example.com".into()],
                fcrdns: Some(true),
                spf_mail_from: "pass".into(),
                spf_helo: Some("none".into()),
                dkim: "not_verified".into(),
                dmarc: "pass".into(),
                dmarc_policy: Some("reject".into()),
                audited_domain: Some("example.com".into()),
            }),
            reputation: Some(crate::report::ReputationSection {
                listings: vec![crate::report::Listing {
                    name: "bit.ly".into(),
                    roles: vec!["link".into()],
                    zone: "dbl.spamhaus.org".into(),
                    list: "Spamhaus DBL".into(),
                    kind: "domain".into(),
                    result: "listed".into(),
                    codes: vec!["127.0.1.2".into()],
                    meaning: "spam domain".into(),
                    impact: "high".into(),
                    delist_url: Some("https://check.spamhaus.org/".into()),
                }],
                skipped: vec!["x.example".into()],
            }),
        }
    }

    #[test]
    fn every_field_decodes_as_the_derive_does() {
        let report = full_report();
        let value = serde_json::to_value(&report).unwrap();
        let (derived, ours) = both(&value);
        assert_eq!(derived.as_ref(), Ok(&report));
        assert_eq!(ours, Ok(report));
    }

    #[test]
    fn every_enum_word_decodes() {
        let mut r = full_report();
        for kind in [
            ReportKind::Message,
            ReportKind::Domain,
            ReportKind::Combined,
            ReportKind::Delivery,
        ] {
            for (grade, status, item, verdict) in [
                (
                    Grade::A,
                    Status::Pass,
                    ChecklistStatus::Pass,
                    TransportVerdict::EncryptedAndProtected,
                ),
                (
                    Grade::B,
                    Status::Fail,
                    ChecklistStatus::Fail,
                    TransportVerdict::PartlyEncrypted,
                ),
                (
                    Grade::D,
                    Status::Error,
                    ChecklistStatus::NeedsBody,
                    TransportVerdict::NotEncrypted,
                ),
                (
                    Grade::E,
                    Status::Info,
                    ChecklistStatus::NotApplicable,
                    TransportVerdict::Unknown,
                ),
                (
                    Grade::F,
                    Status::NotTested,
                    ChecklistStatus::Manual,
                    TransportVerdict::EncryptedOpportunistic,
                ),
                (
                    Grade::C,
                    Status::NotApplicable,
                    ChecklistStatus::NeedsBackend,
                    TransportVerdict::Unknown,
                ),
            ] {
                r.kind = kind;
                r.grade = grade;
                r.checks[0].status = status;
                r.checklists.bulk_sender[0].status = item;
                r.transport.as_mut().unwrap().verdict = verdict;
                r.message.as_mut().unwrap().spam_verdicts[0].verdict = SpamDecision::Spam;
                let value = serde_json::to_value(&r).unwrap();
                assert_eq!(report(&value).as_ref(), Ok(&r));
            }
        }
        // The DMARC words (full_report has each fo option and alignment).
        for (policy, psd, severity) in [
            (Policy::None, PsdFlag::No, Severity::Error),
            (Policy::Quarantine, PsdFlag::Unknown, Severity::Warning),
            (Policy::Reject, PsdFlag::Yes, Severity::Info),
        ] {
            let dmarc = r.domain.as_mut().unwrap().dmarc.as_mut().unwrap();
            dmarc.policy = Some(policy);
            dmarc.tags.subdomain_policy = Some(policy);
            dmarc.tags.psd = Some(psd);
            dmarc.tag_table[0].findings[0].severity = severity;
            let value = serde_json::to_value(&r).unwrap();
            let (derived, ours) = both(&value);
            assert_eq!(derived.as_ref(), Ok(&r));
            assert_eq!(ours.as_ref(), Ok(&r));
        }
        // The mailbox probe's words: every verdict and every step.
        let steps = RcptStep::ALL;
        let verdicts = [
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
        ];
        // The SMTP probe's words.
        let outcomes = [
            Outcome::NotAttempted,
            Outcome::Ok,
            Outcome::Timeout,
            Outcome::Refused,
            Outcome::Rejected,
            Outcome::Failed,
        ];
        for (i, result) in StarttlsResult::ALL.into_iter().enumerate() {
            let probe = &mut r.domain.as_mut().unwrap().smtp[0].probe;
            probe.starttls.as_mut().unwrap().result = result;
            probe.connect = outcomes[i % outcomes.len()];
            probe.banner_outcome = outcomes[(i + 1) % outcomes.len()];
            probe.ehlo = outcomes[(i + 2) % outcomes.len()];
            probe.webpki_verdict.as_mut().unwrap().result = if i % 2 == 0 {
                ChainResult::Trusted
            } else {
                ChainResult::Untrusted
            };
            let value = serde_json::to_value(&r).unwrap();
            let (derived, ours) = both(&value);
            assert_eq!(derived.as_ref(), Ok(&r));
            assert_eq!(ours.as_ref(), Ok(&r));
        }
        // The SPF tree's words.
        let kinds = NodeKind::ALL;
        let qualifiers = [
            Qualifier::Pass,
            Qualifier::Fail,
            Qualifier::SoftFail,
            Qualifier::Neutral,
        ];
        let results = [
            SpfResult::Pass,
            SpfResult::Fail,
            SpfResult::SoftFail,
            SpfResult::Neutral,
            SpfResult::None,
            SpfResult::PermError,
            SpfResult::TempError,
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            let node = &mut r
                .domain
                .as_mut()
                .unwrap()
                .spf
                .as_mut()
                .unwrap()
                .tree
                .children[0];
            node.kind = kind;
            node.qualifier = Some(qualifiers[i % qualifiers.len()]);
            node.result = Some(results[i % results.len()]);
            let value = serde_json::to_value(&r).unwrap();
            let (derived, ours) = both(&value);
            assert_eq!(derived.as_ref(), Ok(&r));
            assert_eq!(ours.as_ref(), Ok(&r));
        }
        for (i, verdict) in verdicts.into_iter().enumerate() {
            let rcpt = r.domain.as_mut().unwrap().rcpt.as_mut().unwrap();
            rcpt.verdict = verdict;
            rcpt.failure.as_mut().unwrap().step = steps[i % steps.len()];
            let value = serde_json::to_value(&r).unwrap();
            let (derived, ours) = both(&value);
            assert_eq!(derived.as_ref(), Ok(&r));
            assert_eq!(ours.as_ref(), Ok(&r));
        }
    }

    #[test]
    fn defaults_and_nulls_as_serde_gives_them() {
        // The smallest report the derive accepts: only required members.
        let value = serde_json::json!({
            "schema_version": 1, "kind": "domain", "generated_at": "t",
            "tool": {"name": "mxlens", "version": "0"}, "score": 0, "grade": "F",
            "checks": [{"id": "dns.ns", "status": "pass", "title": "t", "detail": "d",
                        "fix": null, "subject": null}],
            "message": {}, "domain": {"name": "example.com", "spf": null},
            "transport": {"verdict": "unknown", "summary": "s"},
            "an_unknown_member": [1, 2, 3]
        });
        let (derived, ours) = both(&value);
        let derived = derived.expect("the derive accepts it");
        assert_eq!(ours, Ok(derived.clone()));
        assert_eq!(derived.coverage, 100, "serde's default for coverage");
    }

    #[test]
    fn what_the_derive_refuses_is_refused_with_the_member_named() {
        let good = serde_json::to_value(full_report()).unwrap();
        let cases: &[(&str, Value)] = &[
            ("/checks", Value::Null),
            ("/score", serde_json::json!(300)),
            ("/grade", serde_json::json!("Z")),
            ("/kind", serde_json::json!(1)),
            ("/checks/0/status", serde_json::json!("passed")),
            ("/message/hops/0/tls", serde_json::json!("yes")),
            ("/domain/mx/0/preference", serde_json::json!(-1)),
            ("/transport/mx/0/starttls", Value::Null),
            ("/message/alignment/dkim/0/strict", serde_json::json!(1)),
            ("/delivery/connection/client_port", serde_json::json!(70000)),
            ("/delivery/connection", Value::Null),
            ("/delivery/fcrdns", serde_json::json!("yes")),
            ("/domain/dmarc/policy", serde_json::json!("None")),
            ("/domain/dmarc/record", Value::Null),
            ("/domain/dmarc/tags/adkim", serde_json::json!("s")),
            (
                "/domain/dmarc/tags/failure_options/1",
                serde_json::json!("1"),
            ),
            ("/domain/dmarc/tags/psd", serde_json::json!("y")),
            (
                "/domain/dmarc/tags/rua/0/max_size/unit",
                serde_json::json!("mb"),
            ),
            ("/domain/dmarc/tags/unknown/0", serde_json::json!(["x"])),
            (
                "/domain/dmarc/tag_table/0/findings/0/severity",
                serde_json::json!("warn"),
            ),
            ("/domain/dmarc/tag_table/0/findings/0/span", Value::Null),
            ("/domain/dmarc/tag_table/1/tag", serde_json::json!(1)),
            ("/domain/rcpt/address", Value::Null),
            ("/domain/rcpt/verdict", serde_json::json!("Accepted")),
            ("/domain/rcpt/rcpt/code", serde_json::json!(70000)),
            ("/domain/rcpt/catch_all/raw", serde_json::json!(1)),
            ("/domain/rcpt/failure/step", serde_json::json!("data")),
            ("/domain/rcpt/failure/message", Value::Null),
            (
                "/domain/rcpt/rcpt_explained/class",
                serde_json::json!("fail"),
            ),
            ("/domain/rcpt/total_ms", serde_json::json!(-1)),
            ("/domain/rcpt/tls", serde_json::json!("yes")),
            ("/domain/smtp/0/host", Value::Null),
            ("/domain/smtp/0/port", serde_json::json!(70000)),
            ("/domain/smtp/0/starttls", Value::Null),
            ("/domain/smtp/0/probe", Value::Null),
            ("/domain/smtp/0/probe/connect", serde_json::json!("OK")),
            ("/domain/smtp/0/probe/ehlo", serde_json::json!(1)),
            ("/domain/smtp/0/probe/cert_chain/0/days_left", Value::Null),
            (
                "/domain/smtp/0/probe/starttls/result",
                serde_json::json!("ok"),
            ),
            (
                "/domain/smtp/0/probe/webpki_verdict/result",
                serde_json::json!("valid"),
            ),
            (
                "/domain/smtp/0/probe/timings/total_ms",
                serde_json::json!(-1),
            ),
            ("/domain/smtp/0/probe/ip", serde_json::json!([])),
            ("/domain/spf/lookup_count", Value::Null),
            ("/domain/spf/tree", Value::Null),
            ("/domain/spf/terms/0/rfc", serde_json::json!(7208)),
            ("/domain/spf/tree/kind", serde_json::json!("Record")),
            (
                "/domain/spf/tree/children/0/qualifier",
                serde_json::json!("~"),
            ),
            (
                "/domain/spf/tree/children/0/result",
                serde_json::json!("soft_fail"),
            ),
            (
                "/domain/spf/tree/children/0/dns_cost",
                serde_json::json!(1.5),
            ),
            ("/domain/spf/tree/children/0/term", Value::Null),
        ];
        for (pointer, bad) in cases {
            let mut value = good.clone();
            *value.pointer_mut(pointer).unwrap() = bad.clone();
            let (derived, ours) = both(&value);
            assert!(derived.is_err(), "the derive accepts {pointer} = {bad}");
            let err = ours.expect_err(pointer);
            let member = pointer.rsplit('/').next().unwrap();
            assert!(err.contains(member), "{pointer}: {err}");
        }
        assert!(report(&serde_json::json!([1])).is_err());
        assert!(parse("{\"a\":").is_err());
    }
}
