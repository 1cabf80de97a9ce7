//! The reader for `domain.dmarc`, the DMARC record an audit found (RFC 7489
//! §6.3, RFC 9989 §4.7; see the parent module for the rules: serde's, by
//! hand, to keep the bundle small).

use serde_json::Value;

use super::{json_type, object, strings, u32_of, u8_of, Result};
use crate::diagnostic::Severity;
use crate::dmarc::{Alignment, FailureOption, Policy, PsdFlag};
use crate::report::{
    ByteSpan, DmarcFacts, DmarcReportSize, DmarcReportUri, DmarcTagFacts, DmarcTags, RecordFinding,
};

/// `domain.dmarc` (report/dmarc.rs).
pub(super) fn dmarc(value: &Value) -> Result<DmarcFacts> {
    let o = object(value, "dmarc")?;
    Ok(DmarcFacts {
        policy: o.opt("policy", policy)?,
        record: o.string("record")?,
        source: o.string("source")?,
        tag_table: o.list("tag_table", |v| {
            let o = object(v, "tag")?;
            Ok(DmarcTagFacts {
                default: o.opt_string("default")?,
                findings: o.list("findings", |v| {
                    let o = object(v, "finding")?;
                    Ok(RecordFinding {
                        code: o.string("code")?,
                        message: o.string("message")?,
                        rfc: o.string("rfc")?,
                        severity: o.req("severity", |v| match v.as_str()? {
                            "error" => Some(Severity::Error),
                            "warning" => Some(Severity::Warning),
                            "info" => Some(Severity::Info),
                            _ => None,
                        })?,
                        span: o
                            .nested("span", |v| {
                                let o = object(v, "span")?;
                                Ok(ByteSpan {
                                    end: o.req("end", u32_of)?,
                                    start: o.req("start", u32_of)?,
                                })
                            })?
                            .ok_or("missing member `span`")?,
                    })
                })?,
                meaning: o.string("meaning")?,
                rfc: o.string("rfc")?,
                tag: o.string("tag")?,
                value: o.opt_string("value")?,
            })
        })?,
        tags: o.nested("tags", dmarc_tags)?.unwrap_or_default(),
    })
}

/// `domain.dmarc.tags`: the parsed record.
fn dmarc_tags(value: &Value) -> Result<DmarcTags> {
    fn alignment(v: &Value) -> Option<Alignment> {
        match v.as_str()? {
            "relaxed" => Some(Alignment::Relaxed),
            "strict" => Some(Alignment::Strict),
            _ => None,
        }
    }
    fn uri(v: &Value) -> Result<DmarcReportUri> {
        let o = object(v, "uri")?;
        Ok(DmarcReportUri {
            max_size: o.nested("max_size", |v| {
                let o = object(v, "max_size")?;
                Ok(DmarcReportSize {
                    unit: o.opt("unit", |v| {
                        let mut chars = v.as_str()?.chars();
                        let unit = chars.next()?;
                        chars.next().is_none().then_some(unit)
                    })?,
                    value: o.req("value", Value::as_u64)?,
                })
            })?,
            uri: o.string("uri")?,
        })
    }
    let o = object(value, "tags")?;
    Ok(DmarcTags {
        adkim: o.opt("adkim", alignment)?,
        aspf: o.opt("aspf", alignment)?,
        failure_options: o.list("failure_options", |v| {
            let option = match v.as_str() {
                Some("all") => FailureOption::All,
                Some("any") => FailureOption::Any,
                Some("dkim") => FailureOption::Dkim,
                Some("spf") => FailureOption::Spf,
                _ => return Err(format!("unexpected value ({})", json_type(v))),
            };
            Ok(option)
        })?,
        nonexistent_policy: o.opt("nonexistent_policy", policy)?,
        percent: o.opt("percent", u8_of)?,
        policy: o.opt("policy", policy)?,
        psd: o.opt("psd", |v| match v.as_str()? {
            "yes" => Some(PsdFlag::Yes),
            "no" => Some(PsdFlag::No),
            "unknown" => Some(PsdFlag::Unknown),
            _ => None,
        })?,
        report_formats: o.list("report_formats", strings)?,
        report_interval: o.opt("report_interval", u32_of)?,
        rua: o.list("rua", uri)?,
        ruf: o.list("ruf", uri)?,
        subdomain_policy: o.opt("subdomain_policy", policy)?,
        testing: o.opt("testing", Value::as_bool)?,
        unknown: o.list("unknown", |v| match v.as_array().map(Vec::as_slice) {
            Some([name, value]) => Ok((strings(name)?, strings(value)?)),
            _ => Err(format!("unexpected value ({})", json_type(v))),
        })?,
        version: o.opt_string("version")?,
    })
}

/// A DMARC policy word (`p=`, `sp=`, `np=`; RFC 7489 §6.3, RFC 9989 §4.7).
fn policy(v: &Value) -> Option<Policy> {
    let word = v.as_str()?;
    [Policy::None, Policy::Quarantine, Policy::Reject]
        .into_iter()
        .find(|p| p.as_str() == word)
}
