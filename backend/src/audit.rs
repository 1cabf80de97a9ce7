//! The live domain audit: runs `shared`'s planner
//! ([`mxlens_shared::audit::run_audit`]) with live DNS and the backend's
//! probes, and keeps running and finished audits, with their events, for
//! `GET /api/audits/{id}` and its event stream.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mxlens_shared::audit::{AuditOptions, Probes, RcptAudit, SmtpAudit, StsPolicyFetch};
use mxlens_shared::dns::DnsLookup;
use mxlens_shared::report::{Check, MxHost, Report, Status};
use tokio::sync::Notify;

pub use mxlens_shared::audit::{AuditEvent, AuditRequest, COMMON_SELECTORS};

/// Checks an address for the mailbox probe: a valid address (lettre's
/// check) whose domain is the audited domain. Returns it trimmed.
pub fn validate_rcpt(domain: &str, address: &str) -> Result<String, String> {
    let parsed = crate::probe::rcpt::parse_address(address).map_err(|e| e.to_string())?;
    let at = mxlens_shared::domain_name::normalize_domain(parsed.domain())
        .map_err(|e| format!("the address's domain: {e}"))?;
    if !at.eq_ignore_ascii_case(domain) {
        return Err(format!(
            "the address {} is not at the audited domain {domain}",
            parsed
        ));
    }
    Ok(parsed.to_string())
}

/// Server-side audit settings (not part of a request).
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Whole-audit deadline: anything unfinished becomes `not_tested`.
    pub deadline: Duration,
    /// DNS blocklists to query for MX and sending IPs.
    pub dnsbl_lists: Vec<String>,
    /// Domain blocklists for a message's domains (reputation lookups).
    pub dnsbl_domain_lists: Vec<String>,
    /// IP allow-lists for a message's sending IP (reputation lookups).
    pub dnswl_lists: Vec<String>,
    /// Run the SMTP probes (off with `--no-smtp`: the checks say not_tested).
    pub smtp: bool,
    /// Outbound connection policy for the SMTP probe and HTTPS fetches.
    pub policy: std::sync::Arc<crate::ssrf::ConnectPolicy>,
    /// SMTP probe settings.
    pub probe: crate::probe::ProbeOptions,
    /// HTTPS fetch settings (MTA-STS policy).
    pub https: crate::probe::https::HttpsOptions,
    /// Whether the mailbox probe may run (`audit --allow-rcpt-probe`,
    /// `serve --enable-rcpt-probe`); off by default, as it can be abused to
    /// harvest addresses.
    pub rcpt_probe: bool,
    /// Mailbox probe settings.
    pub rcpt: crate::probe::rcpt::RcptOptions,
}

impl Default for AuditConfig {
    fn default() -> Self {
        let probe = crate::probe::ProbeOptions {
            step_timeout: Duration::from_secs(10),
            overall_timeout: Duration::from_secs(25),
            ..Default::default()
        };
        AuditConfig {
            deadline: Duration::from_secs(30),
            dnsbl_lists: mxlens_shared::audit::dnsbl::DEFAULT_LISTS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            dnsbl_domain_lists: mxlens_shared::reputation::lists::DEFAULT_DOMAIN_LISTS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            dnswl_lists: mxlens_shared::reputation::lists::DEFAULT_ALLOW_LISTS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            smtp: true,
            policy: Default::default(),
            probe,
            https: Default::default(),
            rcpt_probe: false,
            rcpt: Default::default(),
        }
    }
}

impl AuditConfig {
    /// The lists a message's reputation lookups query: the domain lists,
    /// the audit's IP lists and the allow-lists (empty names left out).
    pub fn reputation_lists(&self) -> mxlens_shared::reputation::ListSet {
        let keep = |lists: &[String]| {
            lists
                .iter()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect()
        };
        mxlens_shared::reputation::ListSet {
            domain: keep(&self.dnsbl_domain_lists),
            ip: keep(&self.dnsbl_lists),
            allow: keep(&self.dnswl_lists),
        }
    }
}

/// The backend's [`Probes`]: the SMTP probe, the MTA-STS fetch and the
/// mailbox probe, each through the SSRF guard of `config`.
struct BackendProbes<'a, L> {
    lookup: &'a L,
    config: &'a AuditConfig,
}

impl<L: DnsLookup> Probes for BackendProbes<'_, L> {
    async fn smtp(&self, hosts: &[MxHost]) -> Option<SmtpAudit> {
        if !self.config.smtp {
            return None;
        }
        Some(
            crate::probe::audit_smtp(&self.config.policy, self.lookup, hosts, &self.config.probe)
                .await,
        )
    }

    async fn sts_policy(&self, domain: &str) -> StsPolicyFetch {
        use mxlens_shared::mta_sts::lint::PolicyFetch;
        // RFC 8461 §3.3: HTTPS to mta-sts.<domain>, no redirects.
        match crate::probe::https::fetch_mta_sts_policy(
            &self.config.policy,
            self.lookup,
            domain,
            &self.config.https,
        )
        .await
        {
            Ok(fetched) => StsPolicyFetch {
                fetch: PolicyFetch::Body(fetched.body),
                inconclusive: None,
            },
            Err(e) if e.is_inconclusive() => StsPolicyFetch {
                fetch: PolicyFetch::NotAttempted,
                inconclusive: Some(crate::probe::https::fetch_failure_check(&e)),
            },
            Err(e) => StsPolicyFetch {
                fetch: PolicyFetch::Failed(e.to_string()),
                inconclusive: None,
            },
        }
    }

    async fn rcpt(&self, domain: &str, address: &str, hosts: &[MxHost]) -> RcptAudit {
        audit_rcpt(self.config, domain, address, hosts).await
    }
}

/// Runs an audit with live DNS (`lookup`) and the backend's probes,
/// calling `emit` for each event as it happens, and returns the report.
/// The planner is [`mxlens_shared::audit::run_audit`]; this supplies the
/// probes and the deadline.
pub async fn run_audit<L: DnsLookup>(
    lookup: &L,
    request: &AuditRequest,
    config: &AuditConfig,
    generated_at: String,
    emit: impl FnMut(AuditEvent),
) -> Report {
    let probes = BackendProbes { lookup, config };
    let options = AuditOptions {
        dnsbl_lists: config.dnsbl_lists.clone(),
        deadline: config.deadline,
    };
    mxlens_shared::audit::run_audit(
        lookup,
        &probes,
        request,
        &options,
        generated_at,
        tokio::time::sleep(config.deadline),
        emit,
    )
    .await
}

/// The mailbox probe of `address` at the best MX (the first address of the
/// most preferred host, RFC 5321 §5.1): the `smtp.rcpt` check and the
/// `domain.rcpt` entry.
async fn audit_rcpt(
    config: &AuditConfig,
    domain: &str,
    address: &str,
    hosts: &[MxHost],
) -> RcptAudit {
    use mxlens_shared::smtp::rcpt::{rcpt_check, report_entry};
    let not_tested = |detail: String| RcptAudit {
        checks: vec![Check::new("smtp.rcpt", Status::NotTested, detail).with_subject(address)],
        entry: None,
    };
    if !config.rcpt_probe {
        return not_tested(
            "the mailbox probe is off on this server (it needs audit --allow-rcpt-probe or serve --enable-rcpt-probe)".into(),
        );
    }
    if !config.smtp {
        return not_tested("SMTP probes are off (--no-smtp)".into());
    }
    let parsed = match validate_rcpt(domain, address)
        .and_then(|a| crate::probe::rcpt::parse_address(&a).map_err(|e| e.to_string()))
    {
        Ok(a) => a,
        Err(e) => return not_tested(e),
    };
    let best = hosts.iter().find_map(|h| {
        h.addresses
            .iter()
            .find_map(|a| a.parse::<IpAddr>().ok())
            .map(|ip| (h.host.clone(), ip))
    });
    let Some((host, ip)) = best else {
        return not_tested(
            "no MX host address is known (see the MX checks), so no server could be asked about the mailbox".into(),
        );
    };
    let result =
        crate::probe::rcpt::probe_rcpt(&config.policy, &host, ip, &parsed, &config.rcpt, || {
            time::OffsetDateTime::now_utc().unix_timestamp()
        })
        .await;
    RcptAudit {
        checks: vec![rcpt_check(&result)],
        entry: Some(report_entry(&result)),
    }
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

/// Finished audits kept in memory for `GET /api/audits/{id}` (each holds
/// its events and report, tens of KB).
pub const MAX_KEPT_AUDITS: usize = 1000;

/// Running and recent audits, by id. Audits are kept in memory for an hour;
/// stored share links are the durable form.
#[derive(Debug, Default)]
pub struct AuditRegistry {
    entries: Mutex<HashMap<String, (std::time::Instant, Arc<AuditEntry>)>>,
}

impl AuditRegistry {
    /// Registers a new audit and returns its entry. Finished audits are
    /// kept for an hour, and at most [`MAX_KEPT_AUDITS`] of them: beyond
    /// that the oldest finished ones go first (running audits are bounded
    /// by the concurrent-audit cap), so memory stays flat under load.
    pub fn insert(&self, id: String) -> Arc<AuditEntry> {
        let entry = Arc::new(AuditEntry::default());
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        map.retain(|_, (t, _)| now.duration_since(*t) < Duration::from_secs(3600));
        if map.len() >= MAX_KEPT_AUDITS {
            let mut finished: Vec<(std::time::Instant, String)> = map
                .iter()
                .filter(|(_, (_, e))| e.events_since(usize::MAX).1)
                .map(|(id, (t, _))| (*t, id.clone()))
                .collect();
            finished.sort();
            let excess = map.len() + 1 - MAX_KEPT_AUDITS;
            for (_, old) in finished.into_iter().take(excess) {
                map.remove(&old);
            }
        }
        map.insert(id, (now, entry.clone()));
        entry
    }

    /// Audits kept in memory.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// True when no audit is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Finds an audit.
    pub fn get(&self, id: &str) -> Option<Arc<AuditEntry>> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).map(|(_, e)| e.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mxlens_shared::report::ReportKind;

    #[test]
    fn registry_keeps_a_bounded_number_of_finished_audits() {
        let registry = AuditRegistry::default();
        let running = registry.insert("running".into());
        for i in 0..MAX_KEPT_AUDITS + 50 {
            let e = registry.insert(format!("a{i}"));
            e.push(AuditEvent::Report {
                report: Box::new(Report::new(ReportKind::Domain, String::new(), vec![])),
            });
        }
        assert_eq!(registry.len(), MAX_KEPT_AUDITS);
        assert!(registry.get("running").is_some(), "a running audit is kept");
        assert!(
            registry.get("a0").is_none(),
            "the oldest finished went first"
        );
        assert!(registry
            .get(&format!("a{}", MAX_KEPT_AUDITS + 49))
            .is_some());
        drop(running);
    }
}
