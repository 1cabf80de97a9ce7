//! A combined report: the message analysis (done in the browser, or by
//! `POST /api/reports`) and the domain audit of its From domain, as one
//! report of kind `combined`. Pure logic, so the server (stored links) and
//! the browser (the "Audit <from-domain>" button) combine the same way.

use super::{Check, ChecklistStatus, Checklists, Report, ReportKind, Status};

/// One report of kind `combined`: the message section, the domain section,
/// the message's checks then the domain's, rescored together. The
/// checklists are the message's, with the items that needed the backend
/// answered from the audit's checks (see [`resolve_backend_items`]).
pub fn combine(message: Report, domain: Report, generated_at: String) -> Report {
    let sending_ip = message.message.as_ref().and_then(|m| m.sending_ip.clone());
    let mut checklists = message.checklists;
    resolve_backend_items(&mut checklists, &domain.checks, sending_ip.as_deref());
    let mut checks = message.checks;
    checks.extend(domain.checks);
    let mut report = Report::new(ReportKind::Combined, generated_at, checks);
    report.message = message.message;
    report.domain = domain.domain;
    report.checklists = checklists;
    report.transport = super::transport::transport_security(&report);
    report
}

/// Answers the bulk-sender items left `needs_backend` by the message
/// analysis from the domain audit's checks: `bulk.dmarc` from
/// `dmarc.present`, `bulk.ptr` from the `mx.ptr` check whose subject is the
/// sending IP, `bulk.dkim-key-length` from `dkim.key-length`. Items whose
/// audit check is missing, `error` or `not_tested` stay `needs_backend`.
pub fn resolve_backend_items(
    checklists: &mut Checklists,
    domain_checks: &[Check],
    sending_ip: Option<&str>,
) {
    let decided = |c: &&Check| matches!(c.status, Status::Pass | Status::Warn | Status::Fail);
    for item in &mut checklists.bulk_sender {
        if item.status != ChecklistStatus::NeedsBackend {
            continue;
        }
        let relevant: Vec<&Check> = match item.id.as_str() {
            "bulk.dmarc" => domain_checks
                .iter()
                .filter(|c| c.id == "dmarc.present")
                .filter(decided)
                .collect(),
            "bulk.ptr" => match sending_ip {
                Some(ip) => domain_checks
                    .iter()
                    .filter(|c| {
                        matches!(c.id.as_str(), "sender.ptr" | "mx.ptr")
                            && c.subject.as_deref().is_some_and(|s| s.contains(ip))
                    })
                    .filter(decided)
                    .collect(),
                None => Vec::new(),
            },
            "bulk.dkim-key-length" => domain_checks
                .iter()
                .filter(|c| c.id == "dkim.key-length")
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
        resolve_backend_items(&mut lists, &checks, Some("192.0.2.99"));
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
}
