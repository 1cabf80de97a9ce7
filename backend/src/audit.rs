//! The live domain audit: runs `shared`'s evaluators against real DNS,
//! streams each check as it completes, and keeps finished audits for
//! `GET /api/audits/{id}`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use mxlens_shared::audit::{check_resolves, mx::audit_mx};
use mxlens_shared::dns::DnsLookup;
use mxlens_shared::report::{Check, DomainSection, Report, ReportKind, Status};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

/// What to audit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRequest {
    /// The domain, already normalised.
    pub domain: String,
    /// DKIM selectors to try beyond the common list.
    #[serde(default)]
    pub selectors: Vec<String>,
    /// The IP that sent a message, when known from pasted headers.
    #[serde(default)]
    pub sending_ip: Option<IpAddr>,
}

/// A progress event, streamed as Server-Sent Events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AuditEvent {
    /// The audit started; `steps` names the groups of checks that will run.
    Started {
        /// Audited domain.
        domain: String,
        /// The check groups.
        steps: Vec<String>,
    },
    /// A check finished.
    Check {
        /// The check.
        check: Check,
    },
    /// The final report.
    Report {
        /// The report.
        report: Box<Report>,
    },
}

/// Runs an audit, calling `emit` for each event as it happens, and returns
/// the report. Independent lookups run concurrently; a whole-audit
/// `deadline` turns anything unfinished into `not_tested`.
pub async fn run_audit<L: DnsLookup>(
    lookup: &L,
    request: &AuditRequest,
    deadline: Duration,
    generated_at: String,
    mut emit: impl FnMut(AuditEvent),
) -> Report {
    let domain = request.domain.as_str();
    emit(AuditEvent::Started {
        domain: domain.to_string(),
        steps: vec!["dns".into(), "mx".into()],
    });

    enum Part {
        Resolves(Check),
        Mx(mxlens_shared::audit::mx::MxAudit),
    }
    let mut parts = futures::stream::FuturesUnordered::new();
    parts.push(futures::future::Either::Left(async move {
        Part::Resolves(check_resolves(lookup, domain).await)
    }));
    parts.push(futures::future::Either::Right(async move {
        Part::Mx(audit_mx(lookup, domain).await)
    }));

    let mut checks = Vec::new();
    let mut section = DomainSection {
        name: domain.to_string(),
        ..Default::default()
    };
    let mut finished_mx = false;
    let mut finished_dns = false;
    let timer = tokio::time::sleep(deadline);
    tokio::pin!(timer);
    loop {
        tokio::select! {
            next = parts.next() => match next {
                Some(Part::Resolves(check)) => {
                    finished_dns = true;
                    emit(AuditEvent::Check { check: check.clone() });
                    checks.push(check);
                }
                Some(Part::Mx(mx)) => {
                    finished_mx = true;
                    for check in &mx.checks {
                        emit(AuditEvent::Check { check: check.clone() });
                    }
                    checks.extend(mx.checks);
                    section.mx = mx.hosts;
                }
                None => break,
            },
            _ = &mut timer => {
                let late = [("dns.resolves", finished_dns), ("mx.present", finished_mx)];
                for (id, done) in late {
                    if !done {
                        let check = Check::new(id, Status::NotTested, format!("not finished within the audit deadline of {} s", deadline.as_secs()));
                        emit(AuditEvent::Check { check: check.clone() });
                        checks.push(check);
                    }
                }
                break;
            }
        }
    }
    // A domain that does not exist has nothing else worth reporting as failed.
    let mut report = Report::new(ReportKind::Domain, generated_at, checks);
    report.domain = Some(section);
    emit(AuditEvent::Report {
        report: Box::new(report.clone()),
    });
    report
}

/// One audit's state, shared between its task and its readers.
#[derive(Debug, Default)]
pub struct AuditEntry {
    events: Mutex<(Vec<AuditEvent>, bool)>,
    changed: Notify,
}

impl AuditEntry {
    /// Appends an event and wakes readers.
    pub fn push(&self, event: AuditEvent) {
        let mut guard = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let done = matches!(event, AuditEvent::Report { .. });
        guard.0.push(event);
        guard.1 |= done;
        drop(guard);
        self.changed.notify_waiters();
    }

    /// Events from index `from` on, and whether the audit is finished.
    pub fn events_since(&self, from: usize) -> (Vec<AuditEvent>, bool) {
        let guard = self.events.lock().unwrap_or_else(|p| p.into_inner());
        (guard.0.get(from..).unwrap_or_default().to_vec(), guard.1)
    }

    /// A future that resolves on the next change. Create it *before* calling
    /// `events_since`: tokio's `Notified` sees `notify_waiters` from creation.
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    /// The final report, once done.
    pub fn report(&self) -> Option<Report> {
        let guard = self.events.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.iter().rev().find_map(|e| match e {
            AuditEvent::Report { report } => Some((**report).clone()),
            _ => None,
        })
    }
}

/// Running and recent audits, by id. Audits are kept in memory for an hour;
/// stored share links are the durable form.
#[derive(Debug, Default)]
pub struct AuditRegistry {
    entries: Mutex<HashMap<String, (std::time::Instant, Arc<AuditEntry>)>>,
}

impl AuditRegistry {
    /// Registers a new audit and returns its entry.
    pub fn insert(&self, id: String) -> Arc<AuditEntry> {
        let entry = Arc::new(AuditEntry::default());
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        map.retain(|_, (t, _)| now.duration_since(*t) < Duration::from_secs(3600));
        map.insert(id, (now, entry.clone()));
        entry
    }

    /// Finds an audit.
    pub fn get(&self, id: &str) -> Option<Arc<AuditEntry>> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).map(|(_, e)| e.clone())
    }
}
