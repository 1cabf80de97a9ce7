//! The live domain audit: runs `shared`'s planner
//! ([`mxlens_shared::audit::run_audit`]) with live DNS and the backend's
//! probes, and keeps running and finished audits, with their events, for
//! `GET /api/audits/{id}` and its event stream.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mxlens_shared::audit::{AuditOptions, Probes, RcptAudit, SmtpAudit};
use mxlens_shared::dns::DnsLookup;
use mxlens_shared::mta_sts::lint::PolicyFetch;
use mxlens_shared::report::{Check, MxHost, Report, Status};
use tokio::sync::Notify;

pub use mxlens_shared::audit::{AuditEvent, AuditRequest, COMMON_SELECTORS};

/// Checks an address for the mailbox probe: a mailbox at the audited
/// domain (`shared::smtp::mailbox::probe_address`, the rule the browser
/// applies too), which lettre, which sends it, also takes. An
/// internationalized domain is compared as its A-label. Returns it trimmed.
pub fn validate_rcpt(domain: &str, address: &str) -> Result<String, String> {
    let trimmed = address.trim();
    let ascii = match trimmed.rsplit_once('@') {
        Some((local, at)) if !at.is_ascii() => {
            match mxlens_shared::domain_name::normalize_domain(at) {
                Ok(a_label) => format!("{local}@{a_label}"),
                Err(e) => return Err(format!("the address's domain: {e}")),
            }
        }
        _ => trimmed.to_string(),
    };
    let address = mxlens_shared::smtp::mailbox::probe_address(domain, &ascii)?;
    crate::probe::rcpt::parse_address(&address).map_err(|e| e.to_string())?;
    Ok(address)
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
    /// Distinct DNS queries one audit may send (security review H1); past
    /// it, questions fail and their checks say `error` or `not_tested`.
    pub dns_budget: u32,
    /// DNS queries one audit may have in flight at once, its share of
    /// `--dns-concurrency`.
    pub dns_share: u32,
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
            dns_budget: crate::dns_budget::DEFAULT_AUDIT_DNS_BUDGET,
            dns_share: crate::dns_budget::DEFAULT_AUDIT_DNS_SHARE,
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

    async fn sts_policy(&self, domain: &str) -> PolicyFetch {
        // RFC 8461 §3.3: HTTPS to mta-sts.<domain>, no redirects.
        crate::probe::https::policy_fetch(
            crate::probe::https::fetch_mta_sts_policy(
                &self.config.policy,
                self.lookup,
                domain,
                &self.config.https,
            )
            .await,
        )
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

/// One event of an audit, serialized once when it happens: the event
/// stream sends `json` as is, and a finished audit's report is served from
/// `report` without cloning or serializing it again (security review L7).
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// The SSE event name: `started`, `check` or `report`.
    pub name: &'static str,
    /// The event as JSON (`{"type":…,…}`).
    pub json: Arc<str>,
    /// For the `report` event, the report alone as JSON.
    pub report: Option<Arc<str>>,
}

impl StoredEvent {
    /// Serializes an event.
    pub fn new(event: &AuditEvent) -> Self {
        match event {
            AuditEvent::Report { report } => {
                let body: Arc<str> = serde_json::to_string(report).unwrap_or_default().into();
                StoredEvent {
                    name: "report",
                    json: format!(r#"{{"type":"report","report":{body}}}"#).into(),
                    report: Some(body),
                }
            }
            other => StoredEvent {
                name: if matches!(other, AuditEvent::Started { .. }) {
                    "started"
                } else {
                    "check"
                },
                json: serde_json::to_string(other).unwrap_or_default().into(),
                report: None,
            },
        }
    }

    /// An event as stored in the shared log (`crate::live`): the `report`
    /// event's report is the `report` member of its JSON, as
    /// [`StoredEvent::new`] wrote it. Unknown names give `None`.
    pub fn from_stored(name: &str, json: &str) -> Option<Self> {
        const REPORT_PREFIX: &str = r#"{"type":"report","report":"#;
        let (name, report) = match name {
            "started" => ("started", None),
            "check" => ("check", None),
            "report" => {
                let body = json.strip_prefix(REPORT_PREFIX)?.strip_suffix('}')?;
                ("report", Some(Arc::from(body)))
            }
            _ => return None,
        };
        Some(StoredEvent {
            name,
            json: json.into(),
            report,
        })
    }

    /// Bytes held for this event.
    fn bytes(&self) -> usize {
        self.json.len() + self.report.as_ref().map_or(0, |r| r.len())
    }
}

#[derive(Debug, Default)]
struct EntryState {
    events: Vec<StoredEvent>,
    done: bool,
    bytes: usize,
    /// A mirror of another instance's audit: the last stored event applied.
    applied: i64,
}

/// One audit's state, shared between its task and its readers.
#[derive(Debug, Default)]
pub struct AuditEntry {
    state: Mutex<EntryState>,
    changed: Notify,
}

impl AuditEntry {
    fn lock(&self) -> std::sync::MutexGuard<'_, EntryState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends an event (serialized here, once), wakes readers and
    /// returns it as stored.
    pub fn push(&self, event: AuditEvent) -> StoredEvent {
        let stored = StoredEvent::new(&event);
        self.append(stored.clone());
        stored
    }

    fn append(&self, stored: StoredEvent) {
        let mut guard = self.lock();
        guard.done |= stored.report.is_some();
        guard.bytes += stored.bytes();
        guard.events.push(stored);
        drop(guard);
        self.changed.notify_waiters();
    }

    /// Events from index `from` on, and whether the audit is finished.
    pub fn events_since(&self, from: usize) -> (Vec<StoredEvent>, bool) {
        let guard = self.lock();
        (
            guard.events.get(from..).unwrap_or_default().to_vec(),
            guard.done,
        )
    }

    /// Whether the report is in.
    pub fn is_done(&self) -> bool {
        self.lock().done
    }

    /// Bytes of serialized events held.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// A future that resolves on the next change. Create it *before* calling
    /// `events_since`: tokio's `Notified` sees `notify_waiters` from creation.
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    /// The final report as JSON, once done.
    pub fn report(&self) -> Option<Arc<str>> {
        let guard = self.lock();
        guard.events.iter().rev().find_map(|e| e.report.clone())
    }
}

/// A mirror of an audit running on another instance (PostgreSQL): its
/// events come from the store.
impl crate::live::Mirror for AuditEntry {
    fn applied(&self) -> i64 {
        self.lock().applied
    }

    fn apply(&self, event: &crate::store::live::LiveEvent) {
        {
            let mut guard = self.lock();
            let done = guard.done;
            if !crate::live::advance(&mut guard.applied, done, event.seq) {
                return;
            }
        }
        if let Some(stored) = StoredEvent::from_stored(&event.name, &event.data) {
            self.append(stored);
        }
    }
}

/// Bytes of one audit's events written to the shared log (PostgreSQL);
/// past it only the report goes, so a huge audit (12,000 selectors) does
/// not fill the store with check events the report repeats.
pub const MAX_SHARED_BYTES: usize = 4 << 20;

/// Finished audits kept in memory for `GET /api/audits/{id}`.
pub const MAX_KEPT_AUDITS: usize = 1000;

/// Bytes of serialized events and reports the registry keeps (security
/// review H1: 24 audits of 12,000 selectors once held 1 GB for an hour).
/// Past it, the oldest finished audits go first.
pub const MAX_KEPT_BYTES: usize = 64 << 20;

/// Running and recent audits, by id. Audits are kept in memory for an hour;
/// stored share links are the durable form.
#[derive(Debug)]
pub struct AuditRegistry {
    entries: Mutex<HashMap<String, (std::time::Instant, Arc<AuditEntry>)>>,
    max_bytes: usize,
}

impl Default for AuditRegistry {
    fn default() -> Self {
        Self::with_max_bytes(MAX_KEPT_BYTES)
    }
}

impl AuditRegistry {
    /// A registry that keeps at most `max_bytes` of finished audits.
    pub fn with_max_bytes(max_bytes: usize) -> Self {
        AuditRegistry {
            entries: Mutex::default(),
            max_bytes,
        }
    }

    /// Registers a new audit and returns its entry. Finished audits are
    /// kept for an hour, at most [`MAX_KEPT_AUDITS`] of them and at most
    /// `max_bytes` in all: beyond that the oldest finished ones go first
    /// (running audits are bounded by the concurrent-audit cap and the
    /// per-audit DNS budget), so memory stays flat under load.
    pub fn insert(&self, id: String) -> Arc<AuditEntry> {
        self.insert_or_get(id).0
    }

    /// Like [`AuditRegistry::insert`], but an audit already kept with that
    /// id is returned as it is (with `false`: not new).
    pub fn insert_or_get(&self, id: String) -> (Arc<AuditEntry>, bool) {
        let entry = Arc::new(AuditEntry::default());
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, known)) = map.get(&id) {
            return (known.clone(), false);
        }
        let now = std::time::Instant::now();
        map.retain(|_, (t, _)| now.duration_since(*t) < Duration::from_secs(3600));
        let mut finished: Vec<(std::time::Instant, String, usize)> = map
            .iter()
            .filter(|(_, (_, e))| e.is_done())
            .map(|(id, (t, e))| (*t, id.clone(), e.bytes()))
            .collect();
        finished.sort();
        let mut bytes: usize = map.values().map(|(_, e)| e.bytes()).sum();
        let mut count = map.len();
        for (_, old, size) in finished {
            if count < MAX_KEPT_AUDITS && bytes <= self.max_bytes {
                break;
            }
            map.remove(&old);
            count -= 1;
            bytes -= size;
        }
        map.insert(id, (now, entry.clone()));
        (entry, true)
    }

    /// Audits kept in memory.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// True when no audit is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of serialized events held by every kept audit.
    pub fn bytes(&self) -> usize {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.values().map(|(_, e)| e.bytes()).sum()
    }

    /// Finds an audit.
    pub fn get(&self, id: &str) -> Option<Arc<AuditEntry>> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).map(|(_, e)| e.clone())
    }
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
