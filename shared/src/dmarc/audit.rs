//! The DMARC part of a domain audit: discovery, checks and the report
//! summary in one async call for the backend's audit planner.

use crate::dns::DnsLookup;
use crate::report::Check;

use super::discover::{
    check_report_authorization, discover_policy, discover_tree_walk, DmarcDiscovery,
    ExternalDestination,
};
use super::lint::{lint_dmarc, lint_report_authorization, DmarcSummary, DomainExistence};

/// How to run [`audit_dmarc`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DmarcAuditOptions {
    /// Whether the audited domain exists (`np` vs `sp` on inheritance).
    pub existence: DomainExistence,
    /// Use the RFC 9989 §4.10 tree walk instead of RFC 7489 §6.6.3
    /// organizational-domain fallback.
    pub tree_walk: bool,
}

/// Everything the DMARC audit found.
#[derive(Debug, Clone, PartialEq)]
pub struct DmarcAudit {
    /// Discovery queries and result.
    pub discovery: DmarcDiscovery,
    /// Report destinations and their authorization.
    pub destinations: Vec<ExternalDestination>,
    /// The checks: `dmarc.present`, `dmarc.single-record`, `dmarc.syntax`,
    /// `dmarc.policy`, `dmarc.subdomain-policy`, `dmarc.rua`,
    /// `dmarc.external-report-auth` (one per external destination).
    pub checks: Vec<Check>,
    /// The `domain.dmarc` summary, when a record applies.
    pub summary: Option<DmarcSummary>,
}

impl DmarcAudit {
    /// The effective policy and `pct` (100 when absent), the inputs of
    /// [`crate::bimi::lint_bimi_dmarc`]. `(None, 100)` without a record.
    pub fn policy_and_percent(&self) -> (Option<super::Policy>, u8) {
        match &self.summary {
            Some(summary) => (summary.policy, summary.tags.effective_percent()),
            None => (None, 100),
        }
    }
}

/// Runs DMARC discovery, the external report authorization queries and
/// all DMARC checks for `domain`.
///
/// ```
/// use mxlens_shared::dns::{block_on_ready, ZoneData, ZoneRecord};
/// use mxlens_shared::dmarc::{audit_dmarc, DmarcAuditOptions};
/// use mxlens_shared::report::Status;
/// let mut zone = ZoneData::new();
/// zone.add("_dmarc.example.com", ZoneRecord::Txt("v=DMARC1; p=none".into()));
/// let audit = block_on_ready(audit_dmarc(&zone, "example.com", DmarcAuditOptions::default()));
/// let policy = audit.checks.iter().find(|c| c.id == "dmarc.policy").unwrap();
/// assert_eq!(policy.status, Status::Warn);
/// ```
pub async fn audit_dmarc<L: DnsLookup>(
    lookup: &L,
    domain: &str,
    options: DmarcAuditOptions,
) -> DmarcAudit {
    let discovery = if options.tree_walk {
        discover_tree_walk(lookup, domain).await
    } else {
        discover_policy(lookup, domain).await
    };
    audit_discovered(lookup, discovery, options.existence).await
}

/// The rest of [`audit_dmarc`] once discovery is done (a caller may run
/// discovery side by side with the lookups that tell `existence`): the
/// checks, the external report authorization queries and the summary.
pub async fn audit_discovered<L: DnsLookup>(
    lookup: &L,
    discovery: DmarcDiscovery,
    existence: DomainExistence,
) -> DmarcAudit {
    let options = DmarcAuditOptions {
        existence,
        tree_walk: false,
    };
    let mut checks = lint_dmarc(&discovery, options.existence);
    let mut destinations = Vec::new();
    let mut summary = None;
    if let Some(found) = discovery.found() {
        destinations = check_report_authorization(lookup, found).await;
        checks.extend(lint_report_authorization(found, &destinations));
        summary = Some(DmarcSummary::new(found, options.existence));
    }
    DmarcAudit {
        discovery,
        destinations,
        checks,
        summary,
    }
}

/// Whether `domain` exists for DMARC's `np` (RFC 9989 §4.10.2, after
/// RFC 9091 §2.1): it does not when A, AAAA and MX all answer NXDOMAIN or
/// NODATA. When any lookup fails we cannot tell, and assume it exists (the
/// `sp` branch, as receivers that could not look would).
pub async fn domain_existence<L: DnsLookup>(lookup: &L, domain: &str) -> DomainExistence {
    use crate::dns::DnsOutcome;
    let (a, aaaa, mx) = futures::join!(lookup.a(domain), lookup.aaaa(domain), lookup.mx(domain));
    let absent = [
        matches!(a, DnsOutcome::NxDomain | DnsOutcome::NoData),
        matches!(aaaa, DnsOutcome::NxDomain | DnsOutcome::NoData),
        matches!(mx, DnsOutcome::NxDomain | DnsOutcome::NoData),
    ];
    if absent == [true; 3] {
        DomainExistence::NonExistent
    } else {
        DomainExistence::Exists
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on_ready, QueryType, ZoneData, ZoneRecord};
    use crate::report::Status;

    fn status(audit: &DmarcAudit, id: &str) -> Status {
        audit
            .checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("{id} missing"))
            .status
    }

    #[test]
    fn table() {
        let mut z = ZoneData::new();
        z.add(
            "_dmarc.none.example",
            ZoneRecord::Txt("v=DMARC1; p=none".into()),
        );
        z.add(
            "_dmarc.strict.example",
            ZoneRecord::Txt(
                "v=DMARC1; p=reject; sp=none; rua=mailto:r@strict.example,mailto:x@vendor.example"
                    .into(),
            ),
        );
        z.add(
            "_dmarc.bad.example",
            ZoneRecord::Txt("v=DMARC1; p=maybe".into()),
        );
        z.add_timeout("_dmarc.slow.example", Some(QueryType::Txt));
        z.add(
            "_dmarc.fallback.example",
            ZoneRecord::Txt("v=DMARC1; p=reject; sp=bogus; rua=mailto:r@fallback.example".into()),
        );
        let cases = [
            ("none.example", "dmarc.policy", Status::Warn),
            ("none.example", "dmarc.rua", Status::Warn),
            (
                "none.example",
                "dmarc.external-report-auth",
                Status::NotApplicable,
            ),
            ("strict.example", "dmarc.policy", Status::Pass),
            ("strict.example", "dmarc.subdomain-policy", Status::Warn),
            ("strict.example", "dmarc.external-report-auth", Status::Fail),
            ("bad.example", "dmarc.syntax", Status::Fail),
            ("bad.example", "dmarc.policy", Status::Fail),
            ("slow.example", "dmarc.present", Status::Error),
            ("slow.example", "dmarc.policy", Status::NotTested),
            ("missing.example", "dmarc.present", Status::Fail),
            ("fallback.example", "dmarc.syntax", Status::Warn),
            ("fallback.example", "dmarc.policy", Status::Warn),
            ("fallback.example", "dmarc.subdomain-policy", Status::Warn),
        ];
        for (domain, id, want) in cases {
            let audit = block_on_ready(audit_dmarc(&z, domain, DmarcAuditOptions::default()));
            assert_eq!(
                status(&audit, id),
                want,
                "{domain} {id}: {:#?}",
                audit.checks
            );
        }
        // Inherited record: the effective policy is sp.
        let audit = block_on_ready(audit_dmarc(
            &z,
            "mail.strict.example",
            DmarcAuditOptions::default(),
        ));
        let summary = audit.summary.unwrap();
        assert_eq!(summary.source, "strict.example");
        assert_eq!(summary.policy, Some(super::super::Policy::None));
        let facts = summary.facts();
        assert_eq!(facts.policy, Some(super::super::Policy::None));
        assert_eq!(facts.source, "strict.example");
        assert_eq!(facts.tags.policy, Some(super::super::Policy::Reject));
        // Suggestions are offered where the fix is mechanical.
        let audit = block_on_ready(audit_dmarc(
            &z,
            "none.example",
            DmarcAuditOptions::default(),
        ));
        let policy = audit
            .checks
            .iter()
            .find(|c| c.id == "dmarc.policy")
            .unwrap();
        assert_eq!(
            policy.suggestion.as_deref(),
            Some("v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@none.example")
        );
    }
}
