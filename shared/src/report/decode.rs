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
mod domain;
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
    Check, ChecklistItem, ChecklistStatus, Checklists, DkimSignatureSummary, FromAddress, Grade,
    Hop, MessageSection, Report, ReportKind, SpamDecision, SpamField, SpamVerdictSummary, Status,
    Tool,
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
        domain: o.nested("domain", domain::domain)?,
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
        id: o.string("id")?.into(),
        status: o.req("status", status)?,
        title: o.string("title")?.into(),
        detail: o.string("detail")?,
        fix: o.opt_string("fix")?,
        refs: o
            .list("refs", strings)?
            .into_iter()
            .map(std::borrow::Cow::Owned)
            .collect(),
        subject: o.opt_string("subject")?,
        suggestion: o.opt_string("suggestion")?,
    })
}

fn checklist_item(value: &Value) -> Result<ChecklistItem> {
    let o = object(value, "item")?;
    Ok(ChecklistItem {
        id: o.string("id")?.into(),
        status: o.req("status", |v| match v.as_str()? {
            "pass" => Some(ChecklistStatus::Pass),
            "fail" => Some(ChecklistStatus::Fail),
            "manual" => Some(ChecklistStatus::Manual),
            "needs_body" => Some(ChecklistStatus::NeedsBody),
            "needs_backend" => Some(ChecklistStatus::NeedsBackend),
            "not_applicable" => Some(ChecklistStatus::NotApplicable),
            _ => None,
        })?,
        title: o.string("title")?.into(),
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
mod tests;
