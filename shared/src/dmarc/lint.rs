//! DMARC checks: from a discovery result to report checks
//! (`dmarc.present`, `dmarc.single-record`, `dmarc.syntax`, `dmarc.policy`,
//! `dmarc.subdomain-policy`, `dmarc.rua`, `dmarc.external-report-auth`).

use serde::Serialize;

use crate::diagnostic::{describe_errors, join_descriptions, Severity};
use crate::org_domain::organizational_domain;
use crate::report::{
    Check, DmarcFacts, DmarcReportSize, DmarcReportUri, DmarcTagFacts, DmarcTags, RecordFinding,
    Status,
};

use super::discover::{
    DiscoveryResult, DmarcDiscovery, ExternalDestination, FoundPolicy, ReportAuthorization,
};
use super::model::{DmarcRecord, Policy, ReportUri};

/// Whether the audited domain exists, which decides between `sp` and `np`
/// for an inherited record (RFC 9989 §4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DomainExistence {
    /// The domain exists (or we assume it does).
    #[default]
    Exists,
    /// The domain is NXDOMAIN.
    NonExistent,
}

/// The effective policy for the audited domain: `p` when the record is the
/// domain's own; for an inherited record `sp` (default `p`), or `np`
/// (default `sp`, then `p`) when the domain does not exist
/// (RFC 7489 §6.6.3, RFC 9989 §4.7). A record without a valid `p` but with
/// a valid `rua` acts as `p=none` (RFC 7489 §6.6.3 step 6).
pub fn effective_policy(found: &FoundPolicy, existence: DomainExistence) -> Option<Policy> {
    let record = &found.parsed.record;
    if found.parsed.acts_as_none {
        return Some(Policy::None);
    }
    let policy = if !found.inherited {
        record.policy
    } else {
        match existence {
            DomainExistence::Exists => record.effective_subdomain_policy(),
            DomainExistence::NonExistent => record.effective_nonexistent_policy(),
        }
    };
    policy.or_else(|| (!record.rua.is_empty()).then_some(Policy::None))
}

/// The `domain.dmarc` section of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcSummary {
    /// The record text as published.
    pub record: String,
    /// The effective policy for the audited domain.
    pub policy: Option<Policy>,
    /// The domain where the record was found.
    pub source: String,
    /// The parsed tags.
    pub tags: DmarcRecord,
    /// Every tag with its value (or default), meaning and findings
    /// ([`super::tags::dmarc_tag_table`]): the UI's tag table.
    pub tag_table: Vec<super::tags::DmarcTagRow>,
}

impl DmarcSummary {
    /// The summary for a found record.
    pub fn new(found: &FoundPolicy, existence: DomainExistence) -> Self {
        DmarcSummary {
            record: found.txt.clone(),
            policy: effective_policy(found, existence),
            source: found.source.clone(),
            tags: found.parsed.record.clone(),
            tag_table: super::tags::dmarc_tag_table(&found.txt, &found.parsed),
        }
    }

    /// The summary as [`crate::report::DomainSection::dmarc`]. Its JSON is
    /// what this struct's own `Serialize` gives once read into a
    /// `serde_json::Value` (members in alphabetical order), the form the
    /// section had before it was typed.
    pub fn facts(&self) -> DmarcFacts {
        let t = &self.tags;
        let uris = |uris: &[ReportUri]| {
            uris.iter()
                .map(|u| DmarcReportUri {
                    max_size: u.max_size.map(|size| DmarcReportSize {
                        unit: size.unit,
                        value: size.value,
                    }),
                    uri: u.uri.clone(),
                })
                .collect()
        };
        DmarcFacts {
            policy: self.policy,
            record: self.record.clone(),
            source: self.source.clone(),
            tag_table: self
                .tag_table
                .iter()
                .map(|row| DmarcTagFacts {
                    default: row.default.clone(),
                    findings: row.findings.iter().map(RecordFinding::from).collect(),
                    meaning: row.meaning.clone(),
                    rfc: row.rfc.clone(),
                    tag: row.tag.clone(),
                    value: row.value.clone(),
                })
                .collect(),
            tags: DmarcTags {
                adkim: t.adkim,
                aspf: t.aspf,
                failure_options: t.failure_options.clone(),
                nonexistent_policy: t.nonexistent_policy,
                percent: t.percent,
                policy: t.policy,
                psd: t.psd,
                report_formats: t.report_formats.clone(),
                report_interval: t.report_interval,
                rua: uris(&t.rua),
                ruf: uris(&t.ruf),
                subdomain_policy: t.subdomain_policy,
                testing: t.testing,
                unknown: t.unknown.clone(),
                version: t.version.clone(),
            },
        }
    }
}

fn suggested_record(
    domain: &str,
    record: Option<&DmarcRecord>,
    policy: Option<Policy>,
    add_rua: bool,
) -> String {
    let mut record = record.cloned().unwrap_or_default();
    record.version = Some("DMARC1".to_string());
    if let Some(p) = policy {
        record.policy = Some(p);
    }
    if record.policy.is_none() {
        record.policy = Some(Policy::None);
    }
    if add_rua && record.rua.is_empty() {
        record.rua.push(ReportUri {
            uri: format!("mailto:dmarc-reports@{}", organizational_domain(domain)),
            max_size: None,
        });
    }
    record.to_string()
}

/// `dmarc.present`'s text when one record applies: the domain's own, or
/// the ancestor's `source` found on the walk (RFC 9989 §4.10). The
/// combined report's `bulk.dmarc` words it the same way.
pub fn found_detail(domain: &str, source: &str, txt: &str) -> String {
    if source.eq_ignore_ascii_case(domain) {
        format!("_dmarc.{domain}: \"{txt}\"")
    } else {
        format!("no record at _dmarc.{domain}; the record of _dmarc.{source} applies: \"{txt}\"")
    }
}

/// `dmarc.present`'s text when no record was found at any of `queried`.
pub fn not_found_detail<S: AsRef<str>>(queried: &[S]) -> String {
    let names: Vec<&str> = queried.iter().map(AsRef::as_ref).collect();
    format!("no DMARC record at {}", names.join(" or "))
}

/// The checks that need no further DNS: everything except
/// `dmarc.external-report-auth` (see [`lint_report_authorization`]).
pub fn lint_dmarc(discovery: &DmarcDiscovery, existence: DomainExistence) -> Vec<Check> {
    let domain = &discovery.domain;
    let mut checks = Vec::new();
    let dependent = [
        "dmarc.syntax",
        "dmarc.policy",
        "dmarc.subdomain-policy",
        "dmarc.rua",
    ];
    match &discovery.result {
        DiscoveryResult::DnsFailure { name, description } => {
            checks.push(Check::new(
                "dmarc.present",
                Status::Error,
                format!("the TXT query for {name} failed: {description}"),
            ));
            checks.push(Check::new(
                "dmarc.single-record",
                Status::NotTested,
                "DMARC record lookup failed",
            ));
            for id in dependent {
                checks.push(Check::new(
                    id,
                    Status::NotTested,
                    "DMARC record lookup failed",
                ));
            }
        }
        DiscoveryResult::NotFound => {
            let names: Vec<&str> = discovery.queries.iter().map(|q| q.name.as_str()).collect();
            checks.push(
                Check::new("dmarc.present", Status::Fail, not_found_detail(&names))
                    .with_fix(format!("Publish a TXT record at _dmarc.{domain}."))
                    .with_suggestion(suggested_record(domain, None, None, true)),
            );
            checks.push(Check::new(
                "dmarc.single-record",
                Status::NotApplicable,
                "no DMARC record",
            ));
            for id in dependent {
                checks.push(Check::new(id, Status::NotApplicable, "no DMARC record"));
            }
        }
        DiscoveryResult::Multiple { source, records } => {
            checks.push(Check::new(
                "dmarc.present",
                Status::Pass,
                format!("{} DMARC records at _dmarc.{source}", records.len()),
            ));
            checks.push(
                Check::new(
                    "dmarc.single-record",
                    Status::Fail,
                    format!(
                        "{} records start with v=DMARC1 at _dmarc.{source}, so receivers apply no DMARC policy: {}",
                        records.len(),
                        records.iter().map(|r| format!("\"{r}\"")).collect::<Vec<_>>().join(", ")
                    ),
                )
                .with_fix("Delete all but one record."),
            );
            for id in dependent {
                checks.push(Check::new(
                    id,
                    Status::NotTested,
                    "several DMARC records: none applies",
                ));
            }
        }
        DiscoveryResult::Found(found) => {
            let location = found_detail(domain, &found.source, &found.txt);
            checks.push(Check::new("dmarc.present", Status::Pass, location));
            checks.push(Check::new(
                "dmarc.single-record",
                Status::Pass,
                format!("one DMARC record at _dmarc.{}", found.source),
            ));
            checks.push(syntax_check(found));
            checks.push(policy_check(domain, found, existence));
            checks.push(subdomain_check(found));
            checks.push(rua_check(domain, found));
        }
    }
    checks
}

fn syntax_check(found: &FoundPolicy) -> Check {
    let diags = &found.parsed.diagnostics;
    let errors = describe_errors(diags);
    let warnings = join_descriptions(diags.iter().filter(|d| d.severity == Severity::Warning));
    let infos = join_descriptions(diags.iter().filter(|d| d.severity == Severity::Info));
    let mut detail = if !errors.is_empty() {
        format!("errors: {errors}")
    } else if !warnings.is_empty() {
        format!("warnings: {warnings}")
    } else {
        "the record is valid".to_string()
    };
    if !errors.is_empty() && !warnings.is_empty() {
        detail.push_str(&format!("; warnings: {warnings}"));
    }
    if !infos.is_empty() {
        detail.push_str(&format!("; notes: {infos}"));
    }
    let status = if !errors.is_empty() {
        Status::Fail
    } else if !warnings.is_empty() {
        Status::Warn
    } else {
        Status::Pass
    };
    let mut check = Check::new("dmarc.syntax", status, detail);
    if status != Status::Pass {
        // Re-printing the model drops every invalid tag and puts v, p first.
        check = check.with_suggestion(suggested_record(
            &found.source,
            Some(&found.parsed.record),
            None,
            false,
        ));
    }
    check
}

fn policy_check(domain: &str, found: &FoundPolicy, existence: DomainExistence) -> Check {
    let record = &found.parsed.record;
    let which = match (found.inherited, existence) {
        (false, _) => "p",
        (true, DomainExistence::Exists) => "sp (or p)",
        (true, DomainExistence::NonExistent) => "np (or sp, p)",
    };
    match effective_policy(found, existence) {
        None => Check::new("dmarc.policy", Status::Fail, "the record has no valid policy, so receivers ignore it")
            .with_suggestion(suggested_record(domain, Some(record), Some(Policy::None), true)),
        Some(Policy::None) => Check::new(
            "dmarc.policy",
            Status::Warn,
            if found.parsed.acts_as_none {
                "p= is missing or p=/sp= is invalid, so receivers act as if p=none (RFC 7489 §6.6.3): spoofed mail is still delivered".to_string()
            } else {
                format!("effective policy is none (from {which}): spoofed mail is still delivered")
            },
        )
        .with_fix("Once aggregate reports show your legitimate mail passing, raise the policy to quarantine, then reject.")
        .with_suggestion(suggested_record(&found.source, Some(record), Some(Policy::Quarantine), true)),
        Some(policy) => {
            let mut detail = format!("effective policy is {policy} (from {which})");
            if record.effective_percent() < 100 {
                detail.push_str(&format!("; pct={} applies it to only part of the failing mail (RFC 7489 §6.3)", record.effective_percent()));
            }
            if record.testing == Some(true) {
                detail.push_str("; t=y asks receivers to apply one level less (RFC 9989 §4.7)");
            }
            Check::new("dmarc.policy", Status::Pass, detail)
        }
    }
}

fn strength(p: Policy) -> u8 {
    match p {
        Policy::None => 0,
        Policy::Quarantine => 1,
        Policy::Reject => 2,
    }
}

fn subdomain_check(found: &FoundPolicy) -> Check {
    let record = &found.parsed.record;
    if found.parsed.acts_as_none {
        return Check::new(
            "dmarc.subdomain-policy",
            Status::Warn,
            "p= is missing or p=/sp= is invalid, so the whole record acts as p=none, subdomains included (RFC 7489 §6.6.3)",
        );
    }
    let (Some(p), Some(sp), Some(np)) = (
        record.policy,
        record.effective_subdomain_policy(),
        record.effective_nonexistent_policy(),
    ) else {
        return Check::new(
            "dmarc.subdomain-policy",
            Status::NotApplicable,
            "the record has no valid p=",
        );
    };
    let detail = format!("p={p}, subdomains sp={sp}, non-existent subdomains np={np}");
    if strength(sp) < strength(p) || strength(np) < strength(sp) {
        let mut fixed = record.clone();
        fixed.subdomain_policy = None;
        fixed.nonexistent_policy = None;
        Check::new(
            "dmarc.subdomain-policy",
            Status::Warn,
            format!("{detail}: a weaker subdomain policy leaves a spoofing gap"),
        )
        .with_suggestion(fixed.to_string())
    } else {
        Check::new("dmarc.subdomain-policy", Status::Pass, detail)
    }
}

fn rua_check(domain: &str, found: &FoundPolicy) -> Check {
    let record = &found.parsed.record;
    if record.rua.is_empty() {
        Check::new(
            "dmarc.rua",
            Status::Warn,
            "no valid rua=: nobody receives aggregate reports",
        )
        .with_suggestion(suggested_record(domain, Some(record), None, true))
    } else {
        let list: Vec<String> = record.rua.iter().map(|u| u.to_string()).collect();
        Check::new(
            "dmarc.rua",
            Status::Pass,
            format!("aggregate reports go to {}", list.join(", ")),
        )
    }
}

/// `dmarc.external-report-auth` checks, one per external destination
/// (subject = destination domain), or one `not_applicable` when all are in
/// the record's own organizational domain.
pub fn lint_report_authorization(
    found: &FoundPolicy,
    destinations: &[ExternalDestination],
) -> Vec<Check> {
    let mut checks = Vec::new();
    for dest in destinations {
        let query = dest.query.as_deref().unwrap_or("");
        let check = match &dest.authorization {
            ReportAuthorization::SameOrganization => continue,
            ReportAuthorization::Authorized => Check::new(
                "dmarc.external-report-auth",
                Status::Pass,
                format!(
                    "{} authorizes reports for {} ({query} has v=DMARC1)",
                    dest.destination, found.source
                ),
            ),
            ReportAuthorization::NotAuthorized => Check::new(
                "dmarc.external-report-auth",
                Status::Fail,
                format!(
                    "{query} has no v=DMARC1 record, so receivers will not send reports to {}",
                    dest.destination
                ),
            )
            .with_fix(format!(
                "Ask the operator of {} to publish TXT \"v=DMARC1\" at {query}.",
                dest.destination
            ))
            .with_suggestion(format!("{query}. IN TXT \"v=DMARC1\"")),
            ReportAuthorization::DnsFailure { description } => Check::new(
                "dmarc.external-report-auth",
                Status::Error,
                format!("the TXT query for {query} failed: {description}"),
            ),
        };
        checks.push(check.with_subject(dest.destination.clone()));
    }
    if checks.is_empty() {
        checks.push(Check::new(
            "dmarc.external-report-auth",
            Status::NotApplicable,
            "no report destination outside the domain's organization",
        ));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dmarc::parse_dmarc;

    fn summary(txt: &str, inherited: bool, existence: DomainExistence) -> DmarcSummary {
        let found = FoundPolicy {
            source: "example.com".into(),
            txt: txt.into(),
            parsed: parse_dmarc(txt),
            inherited,
        };
        DmarcSummary::new(&found, existence)
    }

    /// `domain.dmarc` was `serde_json::to_value(&summary)`: the typed
    /// section must write the same bytes (members in the alphabetical
    /// order the untyped object had, the same nulls and omissions).
    #[test]
    fn facts_serialise_as_the_untyped_summary_did() {
        let records = [
            "v=DMARC1; p=reject",
            "v=DMARC1; p=maybe",
            "v=DMARC1; p=none; rua=mailto:a@example.com",
            "v=DMARC1; rua=mailto:a@example.com",
            "v=DMARC1; p=reject; sp=quarantine; np=reject; psd=n; t=y; adkim=s; aspf=r; \
             fo=0:1:d:s; rua=mailto:a@example.com!10m,mailto:b@example.net!500; \
             ruf=mailto:f@example.com!7; rf=afrf; ri=3600; pct=50; x-new=1; p=none",
            "v=DMARC1; p=quarantine; psd=y; adkim=r; aspf=s; t=n; pct=abc; rua=https://x",
            "v=DMARC1; p=none; psd=u; fo=x; ri=-1; ruf=mailto:f@example.com!5k",
        ];
        for txt in records {
            for (inherited, existence) in [
                (false, DomainExistence::Exists),
                (true, DomainExistence::Exists),
                (true, DomainExistence::NonExistent),
            ] {
                let summary = summary(txt, inherited, existence);
                let untyped = serde_json::to_value(&summary).unwrap();
                let facts = summary.facts();
                assert_eq!(
                    serde_json::to_string(&facts).unwrap(),
                    serde_json::to_string(&untyped).unwrap(),
                    "{txt}"
                );
                assert_eq!(
                    serde_json::to_string_pretty(&facts).unwrap(),
                    serde_json::to_string_pretty(&untyped).unwrap(),
                    "{txt}"
                );
                // Read back by the derive, the same section.
                let read: DmarcFacts = serde_json::from_value(untyped).unwrap();
                assert_eq!(read, facts, "{txt}");
            }
        }
    }

    /// The wire form, pinned: `policy` is kept as `null`, `tags.version`
    /// too; absent tags are omitted from `tags`, and from each row `value`
    /// (unset) or `default` (set); a size limit writes a `null` unit.
    #[test]
    fn facts_wire_form() {
        let facts = summary(
            "v=DMARC1; p=maybe; rua=mailto:a@example.com!10",
            false,
            DomainExistence::Exists,
        )
        .facts();
        let mut json = serde_json::to_value(&facts).unwrap();
        json["tag_table"]
            .as_array_mut()
            .unwrap()
            .retain(|row| ["p", "sp"].contains(&row["tag"].as_str().unwrap()));
        let facts: DmarcFacts = serde_json::from_value(json).unwrap();
        assert_eq!(
            serde_json::to_string(&facts).unwrap(),
            concat!(
                r#"{"policy":"none","record":"v=DMARC1; p=maybe; rua=mailto:a@example.com!10","#,
                r#""source":"example.com","tag_table":["#,
                r#"{"findings":[{"code":"dmarc.invalid-policy","#,
                r#""message":"p=`maybe` must be none, quarantine or reject; because rua= is valid, receivers act as if p=none","#,
                r#""rfc":"RFC 7489 §6.6.3","severity":"warning","span":{"end":17,"start":12}}],"#,
                r#""meaning":"Policy for mail from this domain that fails DMARC: none (monitor), quarantine (spam folder) or reject.","#,
                r#""rfc":"RFC 7489 §6.3","tag":"p","value":"maybe"},"#,
                r#"{"default":"subdomains get p","#,
                r#""meaning":"Policy for subdomains that publish no record of their own.","#,
                r#""rfc":"RFC 7489 §6.3","tag":"sp"}],"#,
                r#""tags":{"rua":[{"max_size":{"unit":null,"value":10},"uri":"mailto:a@example.com"}],"#,
                r#""version":"DMARC1"}}"#
            )
        );
        let no_policy = summary("v=DMARC1; p=maybe", false, DomainExistence::Exists).facts();
        let json = serde_json::to_string(&no_policy).unwrap();
        assert!(json.starts_with(r#"{"policy":null,"record":"#), "{json}");
    }
}
