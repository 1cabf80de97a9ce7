//! A combined report: the message analysis (done in the browser, or by
//! `POST /api/reports`) and the domain audit of its From domain, as one
//! report of kind `combined`. Pure logic, so the server (stored links) and
//! the browser (the "Audit <from-domain>" button) combine the same way.

use super::ids;
use super::{
    Check, ChecklistStatus, Checklists, DmarcDiscoveryFacts, DmarcFacts, DomainSection,
    LookupOutcome, Report, ReportKind, Status,
};
use crate::dkim::key::{key_length_check, KeyStatus};

/// One report of kind `combined`: the message section, the domain section,
/// the message's checks then the domain's, rescored together. The
/// checklists are the message's, with the items that needed the backend
/// answered from the audit's facts (see [`resolve_backend_items`]).
pub fn combine(message: Report, domain: Report, generated_at: String) -> Report {
    let sending_ip = message.message.as_ref().and_then(|m| m.sending_ip.clone());
    // The keys that signed this message: the audited domain's selectors
    // that appear in its DKIM-Signatures, not keys found by guessing.
    let signing_selectors = match (&message.message, &domain.domain) {
        (Some(m), Some(d)) => m.selectors_for(&d.name),
        _ => Vec::new(),
    };
    let mut checklists = message.checklists;
    if let Some(section) = &domain.domain {
        resolve_backend_items(
            &mut checklists,
            section,
            sending_ip.as_deref(),
            &signing_selectors,
        );
    }
    let mut checks = message.checks;
    // The sending IP's blocklist checks: the audit's and the message's
    // reputation lookups word them alike (`<ip> on <zone>`); each counts once.
    checks.retain(|c| {
        c.id != ids::DNSBL_LISTED
            || !domain
                .checks
                .iter()
                .any(|d| d.id == c.id && d.subject == c.subject)
    });
    checks.extend(domain.checks);
    let mut report = Report::new(ReportKind::Combined, generated_at, checks);
    report.message = message.message;
    report.domain = domain.domain;
    report.checklists = checklists;
    // The message's blocklist lookups (its domains and sending IP).
    report.reputation = message.reputation;
    report.transport = super::transport::transport_security(&report);
    report
}

/// Answers the bulk-sender items left `needs_backend` by the message
/// analysis from the domain audit's facts, through the same check
/// functions the audit used:
/// - `bulk.dmarc` from `domain.dmarc_discovery` (and the record in
///   `domain.dmarc`): a record applies, none does, or several do and so
///   none applies (RFC 7489 §6.6.3);
/// - `bulk.ptr` from the `domain.ptr` entries of the sending IP, compared as
///   an address ([`PtrFacts::is_of`]);
/// - `bulk.dkim-key-length` from the `domain.dkim` keys of the selectors
///   that signed the message (`signing_selectors`; a key found at a guessed
///   selector did not sign it).
///
/// Items whose fact is missing (a report without it, or a group the
/// deadline cut short), or whose lookup failed, stay `needs_backend`; with
/// no signing selector, the key length is not applicable.
pub fn resolve_backend_items(
    checklists: &mut Checklists,
    domain: &DomainSection,
    sending_ip: Option<&str>,
    signing_selectors: &[String],
) {
    let decided = |c: &Check| matches!(c.status, Status::Pass | Status::Warn | Status::Fail);
    for item in &mut checklists.bulk_sender {
        if item.status != ChecklistStatus::NeedsBackend {
            continue;
        }
        let relevant: Vec<Check> = match item.id.as_ref() {
            ids::BULK_DMARC => domain
                .dmarc_discovery
                .as_ref()
                .and_then(|d| dmarc_item(&domain.name, d, domain.dmarc.as_ref()))
                .into_iter()
                .collect(),
            ids::BULK_PTR => match sending_ip {
                Some(ip) => domain
                    .ptr
                    .iter()
                    .filter(|p| p.is_of(ip))
                    .map(crate::audit::ptr::ptr_check)
                    .filter(decided)
                    .collect(),
                None => Vec::new(),
            },
            ids::BULK_DKIM_KEY_LENGTH if signing_selectors.is_empty() => {
                *item = crate::checklists::item(
                    &item.id,
                    ChecklistStatus::NotApplicable,
                    "The message carries no DKIM signature of the audited domain, so there is no signing key to measure (see bulk.spf-and-dkim).",
                );
                continue;
            }
            ids::BULK_DKIM_KEY_LENGTH => domain
                .dkim
                .iter()
                .filter(|k| {
                    signing_selectors
                        .iter()
                        .any(|sel| sel.eq_ignore_ascii_case(&k.selector))
                })
                .filter_map(|k| {
                    let key = KeyStatus::of_facts(k)?;
                    Some(key_length_check(&key).with_subject(k.selector.clone()))
                })
                .filter(decided)
                .collect(),
            _ => Vec::new(),
        };
        if relevant.is_empty() {
            continue;
        }
        let failed = relevant.iter().any(|c| c.status == Status::Fail);
        let detail = relevant
            .iter()
            .map(|c| match &c.subject {
                Some(subject) => format!("{subject}: {}", c.detail),
                None => c.detail.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        *item = crate::checklists::item(
            &item.id,
            if failed {
                ChecklistStatus::Fail
            } else {
                ChecklistStatus::Pass
            },
            format!("From the domain audit: {detail}"),
        );
    }
}

/// `bulk.dmarc` from how DMARC discovery ended: pass when a record
/// applies (worded as `dmarc.present`), fail when none does; unknown
/// (`None`) when the lookup failed.
fn dmarc_item(
    domain: &str,
    discovery: &DmarcDiscoveryFacts,
    record: Option<&DmarcFacts>,
) -> Option<Check> {
    let (status, detail) = match discovery.result {
        LookupOutcome::Found => {
            let record = record?;
            (
                Status::Pass,
                crate::dmarc::lint::found_detail(domain, &record.source, &record.record),
            )
        }
        LookupOutcome::NotFound => (
            Status::Fail,
            crate::dmarc::lint::not_found_detail(&discovery.queried),
        ),
        LookupOutcome::Multiple => (
            Status::Fail,
            format!(
                "{} DMARC records at _dmarc.{}, so receivers apply no DMARC policy (RFC 7489 §6.6.3)",
                discovery.records.unwrap_or(2),
                discovery.source.as_deref().unwrap_or(domain)
            ),
        ),
        LookupOutcome::DnsFailure => return None,
    };
    Some(Check::new(ids::DMARC_PRESENT, status, detail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{DkimKeyFacts, PtrFacts, PtrRole};

    fn lists(ids: &[&str]) -> Checklists {
        Checklists {
            bulk_sender: ids
                .iter()
                .map(|id| {
                    crate::checklists::item(id, ChecklistStatus::NeedsBackend, "needs backend")
                })
                .collect(),
            can_spam: Vec::new(),
        }
    }

    fn ptr(ip: &str, host: Option<&str>, confirmed: &[&str]) -> PtrFacts {
        PtrFacts {
            ip: ip.into(),
            role: if host.is_some() {
                PtrRole::Mx
            } else {
                PtrRole::Sender
            },
            host: host.map(Into::into),
            names: confirmed.iter().map(|s| s.to_string()).collect(),
            confirmed: confirmed.iter().map(|s| s.to_string()).collect(),
            error: None,
        }
    }

    fn key(selector: &str, result: LookupOutcome, key: &str, bits: Option<u32>) -> DkimKeyFacts {
        DkimKeyFacts {
            selector: selector.into(),
            name: format!("{selector}._domainkey.example.com"),
            result,
            key: (result == LookupOutcome::Found).then(|| key.into()),
            bits,
            ..Default::default()
        }
    }

    fn section() -> DomainSection {
        DomainSection {
            name: "example.com".into(),
            ..Default::default()
        }
    }

    fn discovery(result: LookupOutcome) -> DmarcDiscoveryFacts {
        DmarcDiscoveryFacts {
            result,
            queried: vec!["_dmarc.example.com".into()],
            ..Default::default()
        }
    }

    #[test]
    fn backend_items_are_answered_from_the_audit() {
        let mut l = lists(&["bulk.dmarc", "bulk.ptr", "bulk.dkim-key-length", "bulk.tls"]);
        l.bulk_sender[3] = crate::checklists::item("bulk.tls", ChecklistStatus::Manual, "?");
        let mut d = section();
        d.dmarc_discovery = Some(DmarcDiscoveryFacts {
            source: Some("example.com".into()),
            ..discovery(LookupOutcome::Found)
        });
        d.dmarc = Some(DmarcFacts {
            record: "v=DMARC1; p=reject".into(),
            source: "example.com".into(),
            ..Default::default()
        });
        d.ptr = vec![
            ptr("192.0.2.99", Some("mx1.example.com"), &[]),
            ptr("192.0.2.10", Some("mx2.example.com"), &["mx2.example.com"]),
        ];
        d.dkim = vec![key("s1", LookupOutcome::DnsFailure, "", None)];
        resolve_backend_items(&mut l, &d, Some("192.0.2.99"), &["s1".into()]);
        let statuses: Vec<ChecklistStatus> = l.bulk_sender.iter().map(|i| i.status).collect();
        assert_eq!(
            statuses,
            [
                ChecklistStatus::Pass,
                ChecklistStatus::Fail,
                ChecklistStatus::NeedsBackend,
                ChecklistStatus::Manual
            ]
        );
        assert_eq!(
            l.bulk_sender[0].detail,
            "From the domain audit: _dmarc.example.com: \"v=DMARC1; p=reject\""
        );
        assert_eq!(
            l.bulk_sender[1].detail,
            "From the domain audit: mx1.example.com (192.0.2.99): 192.0.2.99 has no PTR record"
        );
    }

    /// No record fails; several records fail too, since none applies
    /// (RFC 7489 §6.6.3; the audit's `dmarc.present` passes them, and
    /// `dmarc.single-record` fails); a failed lookup decides nothing, nor
    /// does a report without the fact.
    #[test]
    fn dmarc_reads_how_discovery_ended() {
        let status = |facts: Option<DmarcDiscoveryFacts>| {
            let mut d = section();
            d.dmarc_discovery = facts;
            let mut l = lists(&["bulk.dmarc"]);
            resolve_backend_items(&mut l, &d, None, &[]);
            (l.bulk_sender[0].status, l.bulk_sender[0].detail.clone())
        };
        let (s, detail) = status(Some(discovery(LookupOutcome::NotFound)));
        assert_eq!(s, ChecklistStatus::Fail);
        assert!(detail.ends_with("no DMARC record at _dmarc.example.com"));
        let (s, detail) = status(Some(DmarcDiscoveryFacts {
            source: Some("example.com".into()),
            records: Some(2),
            ..discovery(LookupOutcome::Multiple)
        }));
        assert_eq!(s, ChecklistStatus::Fail);
        assert!(
            detail.contains("2 DMARC records at _dmarc.example.com"),
            "{detail}"
        );
        let failed = status(Some(discovery(LookupOutcome::DnsFailure)));
        assert_eq!(failed.0, ChecklistStatus::NeedsBackend);
        assert_eq!(status(None).0, ChecklistStatus::NeedsBackend);
    }

    /// The sending IP 192.0.2.1 is not the MX address 192.0.2.10 (the
    /// architecture review's substring bug); addresses compare as
    /// addresses, whatever their spelling.
    #[test]
    fn ptr_matches_the_sending_ip_exactly() {
        let mut d = section();
        d.ptr = vec![
            ptr("192.0.2.10", Some("mx1.example"), &[]),
            ptr("2001:db8::1", Some("mx2.example"), &["mx2.example"]),
        ];
        let status = |d: &DomainSection, ip: &str| {
            let mut l = lists(&["bulk.ptr"]);
            resolve_backend_items(&mut l, d, Some(ip), &[]);
            l.bulk_sender[0].status
        };
        assert_eq!(status(&d, "192.0.2.1"), ChecklistStatus::NeedsBackend);
        assert_eq!(status(&d, "192.0.2.10"), ChecklistStatus::Fail);
        assert_eq!(status(&d, "2001:DB8:0::1"), ChecklistStatus::Pass);
        let mut sender = section();
        sender.ptr = vec![ptr("192.0.2.1", None, &["out.example"])];
        assert_eq!(status(&sender, "192.0.2.1"), ChecklistStatus::Pass);
        let mut failed = sender.clone();
        failed.ptr[0].confirmed.clear();
        failed.ptr[0].error = Some("timeout".into());
        assert_eq!(status(&failed, "192.0.2.1"), ChecklistStatus::NeedsBackend);
    }

    /// Only the selectors that signed count: a weak key found at a guessed
    /// selector is not this message's key.
    #[test]
    fn key_length_reads_only_the_signing_selectors() {
        let mut d = section();
        d.dkim = vec![
            DkimKeyFacts {
                guessed: true,
                ..key("default", LookupOutcome::Found, "rsa", Some(512))
            },
            key("s2025", LookupOutcome::Found, "rsa", Some(2048)),
            key("gone", LookupOutcome::NotFound, "", None),
        ];
        let item = |selectors: &[&str]| {
            let mut l = lists(&["bulk.dkim-key-length"]);
            let selectors: Vec<String> = selectors.iter().map(|s| s.to_string()).collect();
            resolve_backend_items(&mut l, &d, None, &selectors);
            l.bulk_sender[0].clone()
        };
        let pass = item(&["S2025"]);
        assert_eq!(pass.status, ChecklistStatus::Pass);
        assert_eq!(pass.detail, "From the domain audit: s2025: RSA 2048 bits");
        assert_eq!(item(&["default"]).status, ChecklistStatus::Fail);
        assert_eq!(item(&["other"]).status, ChecklistStatus::NeedsBackend);
        assert_eq!(item(&["gone"]).status, ChecklistStatus::NeedsBackend);
        assert_eq!(item(&[]).status, ChecklistStatus::NotApplicable);
    }
}
