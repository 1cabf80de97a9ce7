//! A combined report: the message analysis (done in the browser, or by
//! `POST /api/reports`) and the domain audit of its From domain, as one
//! report of kind `combined`. Pure logic, so the server (stored links) and
//! the browser (the "Audit <from-domain>" button) combine the same way.

use super::ids;
use super::{Check, ChecklistStatus, Checklists, Report, ReportKind, Status};

/// One report of kind `combined`: the message section, the domain section,
/// the message's checks then the domain's, rescored together. The
/// checklists are the message's, with the items that needed the backend
/// answered from the audit's checks (see [`resolve_backend_items`]).
pub fn combine(message: Report, domain: Report, generated_at: String) -> Report {
    let sending_ip = message.message.as_ref().and_then(|m| m.sending_ip.clone());
    // The keys that signed this message: the audited domain's selectors
    // that appear in its DKIM-Signatures, not keys found by guessing.
    let signing_selectors = match (&message.message, &domain.domain) {
        (Some(m), Some(d)) => m.selectors_for(&d.name),
        _ => Vec::new(),
    };
    let mut checklists = message.checklists;
    resolve_backend_items(
        &mut checklists,
        &domain.checks,
        sending_ip.as_deref(),
        &signing_selectors,
    );
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
/// analysis from the domain audit's checks: `bulk.dmarc` from
/// `dmarc.present`, `bulk.ptr` from the `sender.ptr` or `mx.ptr` check whose
/// subject names the sending IP exactly, `bulk.dkim-key-length` from the
/// `dkim.key-length` checks of the selectors that signed the message
/// (`signing_selectors`; a key found at a guessed selector did not sign it).
/// Items whose audit check is missing, `error` or `not_tested` stay
/// `needs_backend`; with no signing selector, the key length is not
/// applicable.
pub fn resolve_backend_items(
    checklists: &mut Checklists,
    domain_checks: &[Check],
    sending_ip: Option<&str>,
    signing_selectors: &[String],
) {
    let decided = |c: &&Check| matches!(c.status, Status::Pass | Status::Warn | Status::Fail);
    for item in &mut checklists.bulk_sender {
        if item.status != ChecklistStatus::NeedsBackend {
            continue;
        }
        let relevant: Vec<&Check> = match item.id.as_str() {
            ids::BULK_DMARC => domain_checks
                .iter()
                .filter(|c| c.id == ids::DMARC_PRESENT)
                .filter(decided)
                .collect(),
            ids::BULK_PTR => match sending_ip {
                Some(ip) => domain_checks
                    .iter()
                    .filter(|c| {
                        matches!(c.id.as_str(), ids::SENDER_PTR | ids::MX_PTR)
                            && c.subject.as_deref().is_some_and(|s| names_ip(s, ip))
                    })
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
            ids::BULK_DKIM_KEY_LENGTH => domain_checks
                .iter()
                .filter(|c| c.id == ids::DKIM_KEY_LENGTH)
                .filter(|c| {
                    c.subject.as_deref().is_some_and(|s| {
                        signing_selectors
                            .iter()
                            .any(|sel| sel.eq_ignore_ascii_case(s))
                    })
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

/// Whether a check's subject ("192.0.2.1", "mx1.example (192.0.2.1)",
/// "sending IP 192.0.2.1") names exactly `ip`: 192.0.2.1 must not match a
/// subject about 192.0.2.10.
fn names_ip(subject: &str, ip: &str) -> bool {
    subject
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .any(|token| token.eq_ignore_ascii_case(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_items_are_answered_from_the_audit() {
        let needs =
            |id: &str| crate::checklists::item(id, ChecklistStatus::NeedsBackend, "needs backend");
        let mut lists = Checklists {
            bulk_sender: vec![
                needs("bulk.dmarc"),
                needs("bulk.ptr"),
                needs("bulk.dkim-key-length"),
                crate::checklists::item("bulk.tls", ChecklistStatus::Manual, "?"),
            ],
            can_spam: Vec::new(),
        };
        let checks = vec![
            Check::new("dmarc.present", Status::Pass, "v=DMARC1; p=reject"),
            Check::new("mx.ptr", Status::Fail, "no PTR").with_subject("192.0.2.99"),
            Check::new("mx.ptr", Status::Pass, "ok").with_subject("192.0.2.10"),
            Check::new("dkim.key-length", Status::Error, "timeout").with_subject("s1"),
        ];
        resolve_backend_items(&mut lists, &checks, Some("192.0.2.99"), &["s1".into()]);
        let statuses: Vec<ChecklistStatus> = lists.bulk_sender.iter().map(|i| i.status).collect();
        assert_eq!(
            statuses,
            [
                ChecklistStatus::Pass,
                ChecklistStatus::Fail,
                ChecklistStatus::NeedsBackend,
                ChecklistStatus::Manual
            ]
        );
        assert!(lists.bulk_sender[1].detail.contains("192.0.2.99: no PTR"));
    }

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

    /// The sending IP 192.0.2.1 is not the MX address 192.0.2.10 (the
    /// architecture review's substring bug).
    #[test]
    fn ptr_matches_the_sending_ip_exactly() {
        let checks = vec![
            Check::new("mx.ptr", Status::Fail, "no PTR").with_subject("mx1.example (192.0.2.10)"),
            Check::new("mx.ptr", Status::Pass, "ok").with_subject("mx2.example (2001:db8::1)"),
        ];
        let mut l = lists(&["bulk.ptr"]);
        resolve_backend_items(&mut l, &checks, Some("192.0.2.1"), &[]);
        assert_eq!(l.bulk_sender[0].status, ChecklistStatus::NeedsBackend);
        let mut l = lists(&["bulk.ptr"]);
        resolve_backend_items(&mut l, &checks, Some("192.0.2.10"), &[]);
        assert_eq!(l.bulk_sender[0].status, ChecklistStatus::Fail);
        let mut l = lists(&["bulk.ptr"]);
        resolve_backend_items(&mut l, &checks, Some("2001:DB8::1"), &[]);
        assert_eq!(l.bulk_sender[0].status, ChecklistStatus::Pass);
        let sender =
            [Check::new("sender.ptr", Status::Pass, "ok").with_subject("sending IP 192.0.2.1")];
        let mut l = lists(&["bulk.ptr"]);
        resolve_backend_items(&mut l, &sender, Some("192.0.2.1"), &[]);
        assert_eq!(l.bulk_sender[0].status, ChecklistStatus::Pass);
    }

    /// Only the selectors that signed count: a weak key found at a guessed
    /// selector is not this message's key.
    #[test]
    fn key_length_reads_only_the_signing_selectors() {
        let checks = vec![
            Check::new("dkim.key-length", Status::Fail, "512 bits").with_subject("default"),
            Check::new("dkim.key-length", Status::Pass, "2048 bits").with_subject("s2025"),
        ];
        let mut l = lists(&["bulk.dkim-key-length"]);
        resolve_backend_items(&mut l, &checks, None, &["S2025".into()]);
        assert_eq!(l.bulk_sender[0].status, ChecklistStatus::Pass);
        assert!(
            !l.bulk_sender[0].detail.contains("default"),
            "{}",
            l.bulk_sender[0].detail
        );
        let mut l = lists(&["bulk.dkim-key-length"]);
        resolve_backend_items(&mut l, &checks, None, &["other".into()]);
        assert_eq!(l.bulk_sender[0].status, ChecklistStatus::NeedsBackend);
        let mut l = lists(&["bulk.dkim-key-length"]);
        resolve_backend_items(&mut l, &checks, None, &[]);
        assert_eq!(l.bulk_sender[0].status, ChecklistStatus::NotApplicable);
    }
}
