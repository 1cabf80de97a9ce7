//! MTA-STS checks: `mta-sts.record`, `mta-sts.policy`, `mta-sts.mx-coverage`.
//! The HTTPS fetch of the policy is the backend's job; the result comes in
//! as [`PolicyFetch`].

use crate::diagnostic::{describe_errors, join_descriptions, Severity};
use crate::dns::DnsLookup;
use crate::report::{Check, Status};

use super::model::{StsMode, StsPolicy};
use super::parse::{
    mx_matches, parse_sts_policy, parse_sts_record, StsPolicyParse, StsRecordParse,
};

/// What `_mta-sts.<domain>` TXT returned: exactly one record starting with
/// `v=STSv`, none, several (senders assume no policy, RFC 8461 §3.1), or a
/// failure.
pub type StsRecordLookup = crate::txt_record::TxtRecord<StsRecordParse>;

/// Queries `_mta-sts.<domain>` TXT (RFC 8461 §3.1). Records that do not
/// begin with `v=STSv1` are discarded.
pub async fn lookup_sts_record<L: DnsLookup>(lookup: &L, domain: &str) -> StsRecordLookup {
    let domain = crate::txt_record::lookup_domain(domain);
    crate::txt_record::lookup_versioned(
        lookup,
        &format!("_mta-sts.{domain}"),
        |r| r.starts_with("v=STSv"),
        parse_sts_record,
    )
    .await
}

/// The `mta-sts.record` check.
pub fn lint_sts_record(domain: &str, found: &StsRecordLookup) -> Check {
    match found {
        StsRecordLookup::Found { txt, parsed } => {
            if parsed.has_errors() {
                Check::new(
                    "mta-sts.record",
                    Status::Fail,
                    format!(
                        "\"{txt}\": {}; senders ignore the policy",
                        describe_errors(&parsed.diagnostics)
                    ),
                )
                .with_suggestion(parsed.record.to_string())
            } else {
                Check::new(
                    "mta-sts.record",
                    Status::Pass,
                    format!("_mta-sts.{domain}: \"{txt}\""),
                )
            }
        }
        StsRecordLookup::NotFound => Check::new(
            "mta-sts.record",
            Status::Warn,
            format!("no v=STSv1 record at _mta-sts.{domain}"),
        )
        .with_suggestion(format!("_mta-sts.{domain}. IN TXT \"v=STSv1; id=1\"")),
        StsRecordLookup::Multiple(records) => Check::new(
            "mta-sts.record",
            Status::Fail,
            format!(
                "{} v=STSv1 records at _mta-sts.{domain}; senders assume there is no policy",
                records.len()
            ),
        )
        .with_fix("Keep exactly one record."),
        StsRecordLookup::DnsFailure(description) => Check::new(
            "mta-sts.record",
            Status::Error,
            format!("the TXT query for _mta-sts.{domain} failed: {description}"),
        ),
    }
}

/// What the backend's HTTPS fetch of the policy gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyFetch {
    /// The body of a 200 response over valid HTTPS.
    Body(String),
    /// The fetch failed (TLS error, bad certificate, non-200, redirect,
    /// wrong content type): senders cannot use the policy (RFC 8461 §3.3).
    Failed(String),
    /// We could not look: the address guard refused the policy host, or
    /// the connection failed or timed out. The domain is not at fault, so
    /// this is never a fail (`not_tested`).
    NotChecked(String),
    /// The policy host's address lookup failed (`error`).
    DnsFailure(String),
    /// Not attempted (no record, or the fetch was skipped).
    NotAttempted,
}

/// The `mta-sts.policy` check and the parsed policy, when there is one.
pub fn lint_sts_policy(fetch: &PolicyFetch) -> (Check, Option<StsPolicyParse>) {
    match fetch {
        PolicyFetch::NotAttempted => (
            Check::new(
                "mta-sts.policy",
                // A record exists but nobody fetched the policy: we could
                // not look, which is never a pass (and not "not applicable").
                Status::NotTested,
                "the policy was not fetched (the HTTPS fetch did not run)",
            ),
            None,
        ),
        PolicyFetch::Failed(why) => (
            Check::new(
                "mta-sts.policy",
                Status::Fail,
                format!("the policy could not be fetched: {why}"),
            ),
            None,
        ),
        PolicyFetch::NotChecked(why) => (
            Check::new(
                "mta-sts.policy",
                Status::NotTested,
                format!("fetching the policy failed: {why}"),
            ),
            None,
        ),
        PolicyFetch::DnsFailure(why) => (
            Check::new(
                "mta-sts.policy",
                Status::Error,
                format!("fetching the policy failed: {why}"),
            ),
            None,
        ),
        PolicyFetch::Body(body) => {
            let parsed = parse_sts_policy(body);
            let policy = &parsed.policy;
            let check = if parsed.has_errors() {
                Check::new(
                    "mta-sts.policy",
                    Status::Fail,
                    format!("invalid policy: {}", describe_errors(&parsed.diagnostics)),
                )
            } else {
                let mut notes = Vec::new();
                let mut status = Status::Pass;
                match policy.mode {
                    Some(StsMode::Testing) => {
                        status = Status::Warn;
                        notes.push(
                            "mode testing: senders report failures but still deliver (RFC 8461 §5)"
                                .to_string(),
                        );
                    }
                    Some(StsMode::None) => {
                        status = Status::Warn;
                        notes.push("mode none: the policy is withdrawn (RFC 8461 §5)".to_string());
                    }
                    _ => {}
                }
                if let Some(age) = policy.max_age {
                    if age < 86_400 && policy.mode != Some(StsMode::None) {
                        status = Status::Warn;
                        notes.push(format!("max_age {age} is under a day; weeks or more are recommended (RFC 8461 §3.2)"));
                    }
                }
                let warnings = join_descriptions(
                    parsed
                        .diagnostics
                        .iter()
                        .filter(|d| d.severity == Severity::Warning),
                );
                if !warnings.is_empty() {
                    status = Status::Warn;
                    notes.push(warnings);
                }
                let mut detail = format!(
                    "mode {}, max_age {}, mx {}",
                    policy.mode.map_or("?", StsMode::as_str),
                    policy.max_age.unwrap_or(0),
                    policy.mx.join(", ")
                );
                for note in notes {
                    detail.push_str("; ");
                    detail.push_str(&note);
                }
                let mut check = Check::new("mta-sts.policy", status, detail);
                if policy.mode == Some(StsMode::Testing) {
                    let mut fixed = policy.clone();
                    fixed.mode = Some(StsMode::Enforce);
                    check = check.with_suggestion(fixed.to_string());
                }
                check
            };
            (check, Some(parsed))
        }
    }
}

/// The `mta-sts.mx-coverage` check: every MX host must match an `mx:`
/// pattern (RFC 8461 §4.1). In enforce mode an uncovered MX gets no mail
/// from MTA-STS senders (fail); in testing mode it is a warning.
pub fn lint_mx_coverage(policy: &StsPolicy, mx_hosts: &[String]) -> Check {
    if policy.mode == Some(StsMode::None) || policy.mode.is_none() {
        return Check::new(
            "mta-sts.mx-coverage",
            Status::NotApplicable,
            "the policy mode is none",
        );
    }
    if mx_hosts.is_empty() {
        return Check::new(
            "mta-sts.mx-coverage",
            Status::NotApplicable,
            "the domain has no MX hosts",
        );
    }
    let uncovered: Vec<&String> = mx_hosts
        .iter()
        .filter(|host| !policy.mx.iter().any(|p| mx_matches(p, host)))
        .collect();
    if uncovered.is_empty() {
        return Check::new(
            "mta-sts.mx-coverage",
            Status::Pass,
            format!("every MX host matches the policy: {}", mx_hosts.join(", ")),
        );
    }
    let status = if policy.mode == Some(StsMode::Enforce) {
        Status::Fail
    } else {
        Status::Warn
    };
    let mut fixed = policy.clone();
    for host in &uncovered {
        fixed
            .mx
            .push(host.trim_end_matches('.').to_ascii_lowercase());
    }
    Check::new(
        "mta-sts.mx-coverage",
        status,
        format!(
            "MX host(s) not matched by any mx: pattern ({}): {}",
            policy.mx.join(", "),
            uncovered
                .iter()
                .map(|h| h.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .with_suggestion(fixed.to_string())
}

/// All three MTA-STS checks at once: `mta-sts.record`, `mta-sts.policy`
/// and `mta-sts.mx-coverage`. `record` comes from [`lookup_sts_record`];
/// `fetch` is the backend's HTTPS fetch of the policy (pass
/// [`PolicyFetch::NotAttempted`] when no record was found); `mx_hosts`
/// are the domain's MX targets.
pub fn lint_mta_sts(
    domain: &str,
    record: &StsRecordLookup,
    fetch: &PolicyFetch,
    mx_hosts: &[String],
) -> Vec<Check> {
    let record_check = lint_sts_record(domain, record);
    let mut checks = vec![record_check];
    match record {
        StsRecordLookup::DnsFailure(_) => {
            checks.push(Check::new(
                "mta-sts.policy",
                Status::NotTested,
                "the MTA-STS record lookup failed",
            ));
            checks.push(Check::new(
                "mta-sts.mx-coverage",
                Status::NotTested,
                "the MTA-STS record lookup failed",
            ));
        }
        StsRecordLookup::NotFound | StsRecordLookup::Multiple(_)
            if matches!(fetch, PolicyFetch::NotAttempted) =>
        {
            checks.push(Check::new(
                "mta-sts.policy",
                Status::NotApplicable,
                "no usable MTA-STS record",
            ));
            checks.push(Check::new(
                "mta-sts.mx-coverage",
                Status::NotApplicable,
                "no usable MTA-STS record",
            ));
        }
        _ => {
            let (policy_check, parsed) = lint_sts_policy(fetch);
            checks.push(policy_check);
            checks.push(match parsed {
                Some(parsed) if !parsed.has_errors() => lint_mx_coverage(&parsed.policy, mx_hosts),
                Some(_) => Check::new(
                    "mta-sts.mx-coverage",
                    Status::NotApplicable,
                    "the policy is invalid",
                ),
                None => Check::new("mta-sts.mx-coverage", Status::NotApplicable, "no policy"),
            });
        }
    }
    checks
}

/// The policy as structured facts for `domain.mta_sts` of the report,
/// when `fetch` gave a policy that parses without errors (the same
/// condition under which [`lint_sts_policy`] passes or warns). `None` for a
/// failed, skipped or invalid fetch: senders then have no policy to apply
/// (RFC 8461 §3.3, §5). Consumers read the mode from here, never from the
/// `mta-sts.policy` check's text.
pub fn policy_facts(fetch: &PolicyFetch) -> Option<crate::report::MtaStsFacts> {
    let PolicyFetch::Body(body) = fetch else {
        return None;
    };
    let parsed = parse_sts_policy(body);
    if parsed.has_errors() {
        return None;
    }
    let policy = parsed.policy;
    Some(crate::report::MtaStsFacts {
        max_age: policy.max_age,
        mode: policy.mode.map(|m| m.as_str().to_string()),
        mx: policy.mx,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on_ready, ZoneData, ZoneRecord};

    #[test]
    fn record_policy_and_coverage() {
        let mut z = ZoneData::new();
        z.add(
            "_mta-sts.example.com",
            ZoneRecord::Txt("v=STSv1; id=2025".into()),
        );
        z.add(
            "_mta-sts.example.com",
            ZoneRecord::Txt("v=spf1 -all".into()),
        );
        let found = block_on_ready(lookup_sts_record(&z, "example.com"));
        assert_eq!(lint_sts_record("example.com", &found).status, Status::Pass);
        let none = block_on_ready(lookup_sts_record(&z, "other.example"));
        assert_eq!(lint_sts_record("other.example", &none).status, Status::Warn);

        let (check, parsed) = lint_sts_policy(&PolicyFetch::Body(
            "version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 604800\n".into(),
        ));
        assert_eq!(check.status, Status::Pass, "{check:?}");
        let policy = parsed.unwrap().policy;
        let hosts = vec![
            "mx1.example.com".to_string(),
            "backup.example.net".to_string(),
        ];
        let coverage = lint_mx_coverage(&policy, &hosts);
        assert_eq!(coverage.status, Status::Fail);
        assert!(coverage
            .suggestion
            .unwrap()
            .contains("mx: backup.example.net"));
        assert_eq!(lint_mx_coverage(&policy, &hosts[..1]).status, Status::Pass);
        assert_eq!(
            lint_sts_policy(&PolicyFetch::Failed("certificate expired".into()))
                .0
                .status,
            Status::Fail
        );
    }

    #[test]
    fn policy_facts_only_for_a_valid_policy() {
        let body = "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 604800\r\n";
        let facts = policy_facts(&PolicyFetch::Body(body.into())).unwrap();
        assert_eq!(facts.mode.as_deref(), Some("testing"));
        assert_eq!(facts.max_age, Some(604800));
        assert_eq!(facts.mx, ["mx1.example.com"]);
        // The JSON is what the untyped object was: alphabetical members.
        assert_eq!(
            serde_json::to_string(&facts).unwrap(),
            r#"{"max_age":604800,"mode":"testing","mx":["mx1.example.com"]}"#
        );
        let no_mode = "version: STSv1\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n";
        if let Some(facts) = policy_facts(&PolicyFetch::Body(no_mode.into())) {
            assert_eq!(
                serde_json::to_string(&facts).unwrap(),
                r#"{"max_age":86400,"mode":null,"mx":["mx1.example.com"]}"#
            );
        }
        assert!(policy_facts(&PolicyFetch::Body("mode: bogus\r\n".into())).is_none());
        assert!(policy_facts(&PolicyFetch::Failed("tls".into())).is_none());
        assert!(policy_facts(&PolicyFetch::NotAttempted).is_none());
        assert!(policy_facts(&PolicyFetch::NotChecked("timeout".into())).is_none());
    }
}
