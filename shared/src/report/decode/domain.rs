//! The reader for `domain`, what a domain audit found beyond its checks
//! (see the parent module for the rules: serde's, by hand, to keep the
//! bundle small).

use serde_json::Value;

use super::{object, strings, u16_of, u32_of, Result};
use crate::report::{
    DaneFacts, DkimKeyFacts, DmarcDiscoveryFacts, DomainSection, LookupOutcome, MtaStsFacts,
    MxHost, PtrFacts, PtrRole,
};

/// `domain` (report/domain.rs): the audit's facts.
pub(super) fn domain(value: &Value) -> Result<DomainSection> {
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
        spf: o.nested("spf", super::spf::spf)?,
        dmarc: o.nested("dmarc", super::dmarc::dmarc)?,
        smtp: o.list("smtp", super::smtp::smtp)?,
        rcpt: o.nested("rcpt", super::rcpt::rcpt)?,
        mta_sts: o.nested("mta_sts", |v| {
            let o = object(v, "mta_sts")?;
            Ok(MtaStsFacts {
                max_age: o.opt("max_age", u32_of)?,
                mode: o.opt_string("mode")?,
                mx: o.list("mx", strings)?,
            })
        })?,
        dmarc_discovery: o.nested("dmarc_discovery", |v| {
            let o = object(v, "dmarc_discovery")?;
            Ok(DmarcDiscoveryFacts {
                result: o.req("result", lookup_outcome)?,
                queried: o.list("queried", strings)?,
                source: o.opt_string("source")?,
                records: o.opt("records", u32_of)?,
                error: o.opt_string("error")?,
            })
        })?,
        dkim: o.list("dkim", |v| {
            let o = object(v, "dkim")?;
            Ok(DkimKeyFacts {
                selector: o.string("selector")?,
                name: o.string("name")?,
                guessed: o.flag("guessed")?,
                result: o.req("result", lookup_outcome)?,
                record: o.opt_string("record")?,
                records: o.opt("records", u32_of)?,
                key: o.opt_string("key")?,
                bits: o.opt("bits", u32_of)?,
                error: o.opt_string("error")?,
            })
        })?,
        ptr: o.list("ptr", |v| {
            let o = object(v, "ptr")?;
            Ok(PtrFacts {
                ip: o.string("ip")?,
                role: o.req("role", |v| PtrRole::parse(v.as_str()?))?,
                host: o.opt_string("host")?,
                names: o.list("names", strings)?,
                confirmed: o.list("confirmed", strings)?,
                error: o.opt_string("error")?,
            })
        })?,
        dane: o.list("dane", |v| {
            let o = object(v, "dane")?;
            Ok(DaneFacts {
                host: o.string("host")?,
                result: o.req("result", lookup_outcome)?,
                records: o.list("records", strings)?,
                usable: o.req("usable", u32_of)?,
                dnssec_validated: o.opt("dnssec_validated", Value::as_bool)?,
                matched: o.opt("matched", Value::as_bool)?,
                error: o.opt_string("error")?,
            })
        })?,
    })
}

fn lookup_outcome(value: &Value) -> Option<LookupOutcome> {
    LookupOutcome::parse(value.as_str()?)
}
