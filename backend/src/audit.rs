//! The live domain audit: runs `shared`'s evaluators against real DNS,
//! streams each check as it completes, and keeps finished audits for
//! `GET /api/audits/{id}`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use mxlens_shared::audit::{check_dnssec, check_resolves, mx::audit_mx};
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
    /// An address at the domain to ask the best MX about (`smtp.rcpt`);
    /// only probed when [`AuditConfig::rcpt_probe`] allows it.
    #[serde(default)]
    pub rcpt: Option<String>,
}

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

/// Server-side audit settings (not part of a request).
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Whole-audit deadline: anything unfinished becomes `not_tested`.
    pub deadline: Duration,
    /// DNS blocklists to query for MX and sending IPs.
    pub dnsbl_lists: Vec<String>,
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
            smtp: true,
            policy: Default::default(),
            probe,
            https: Default::default(),
            rcpt_probe: false,
            rcpt: Default::default(),
        }
    }
}

/// DKIM selectors tried when none is known: the common ones of the big
/// providers and ESPs. A key found here is reported; a miss is not.
pub const COMMON_SELECTORS: &[&str] = &[
    "default",
    "google",
    "selector1",
    "selector2",
    "k1",
    "k2",
    "s1",
    "s2",
    "dkim",
    "mail",
    "smtp",
    "fm1",
    "fm2",
    "fm3",
    "mandrill",
    "mxvault",
    "zoho",
    "protonmail",
    "sig1",
    "key1",
];

/// One finished piece of the audit.
struct Part {
    group: &'static str,
    checks: Vec<Check>,
    update: Update,
}

enum Update {
    None,
    Mx(Vec<mxlens_shared::report::MxHost>),
    Spf(serde_json::Value),
    Dmarc(serde_json::Value),
    Smtp(Vec<serde_json::Value>),
    Rcpt(serde_json::Value),
    MtaSts(serde_json::Value),
}

/// The groups an audit runs, with the check that stands for each when the
/// deadline cuts it short.
const GROUPS: &[(&str, &str)] = &[
    ("dns", "dns.resolves"),
    ("mx", "mx.present"),
    ("mx-ips", "mx.ptr"),
    ("smtp", "smtp.connect"),
    ("spf", "spf.present"),
    ("sender", "spf.sender-ip"),
    ("dmarc", "dmarc.present"),
    ("bimi", "bimi.record"),
    ("dkim", "dkim.key"),
    ("mta-sts", "mta-sts.record"),
    ("tls-rpt", "tls-rpt.record"),
    ("dane", "dane.tlsa"),
    ("rcpt", "smtp.rcpt"),
];

/// Runs an audit, calling `emit` for each event as it happens, and returns
/// the report. Every independent lookup runs concurrently: the dependency
/// depth, not the number of queries, sets the wall time. Dependent groups
/// (per-MX-IP checks, BIMI after DMARC) await shared futures of what they
/// need.
pub async fn run_audit_with<L: DnsLookup>(
    lookup: &L,
    request: &AuditRequest,
    config: &AuditConfig,
    generated_at: String,
    mut emit: impl FnMut(AuditEvent),
) -> Report {
    use futures::future::{BoxFuture, FutureExt};
    use mxlens_shared::audit::{dnsbl, ptr};
    use mxlens_shared::{bimi, dkim, dmarc, mta_sts, spf, tls_rpt, tlsa};

    let domain = request.domain.as_str();
    let mut groups: Vec<&'static str> = GROUPS.iter().map(|(g, _)| *g).collect();
    if request.sending_ip.is_none() {
        groups.retain(|g| *g != "sender");
    }
    if request.rcpt.is_none() {
        groups.retain(|g| *g != "rcpt");
    }
    emit(AuditEvent::Started {
        domain: domain.to_string(),
        steps: groups.iter().map(|g| g.to_string()).collect(),
    });

    let mx_shared = audit_mx(lookup, domain).boxed().shared();
    let dmarc_shared = dmarc::audit_dmarc(
        lookup,
        domain,
        dmarc::DmarcAuditOptions {
            existence: dmarc::DomainExistence::Exists,
            tree_walk: false,
        },
    )
    .boxed()
    .shared();

    let mut parts: futures::stream::FuturesUnordered<BoxFuture<'_, Part>> =
        futures::stream::FuturesUnordered::new();
    parts.push(
        async move {
            let (resolves, dnssec) =
                futures::join!(check_resolves(lookup, domain), check_dnssec(lookup, domain));
            Part {
                group: "dns",
                checks: vec![resolves, dnssec],
                update: Update::None,
            }
        }
        .boxed(),
    );
    {
        let mx = mx_shared.clone();
        parts.push(
            async move {
                let mx = mx.await;
                Part {
                    group: "mx",
                    checks: mx.checks.clone(),
                    update: Update::Mx(mx.hosts.clone()),
                }
            }
            .boxed(),
        );
    }
    {
        // PTR/FCrDNS and blocklists for every MX address.
        let mx = mx_shared.clone();
        let lists = config.dnsbl_lists.clone();
        parts.push(
            async move {
                let mx = mx.await;
                let mut ips: Vec<(String, IpAddr)> = mx
                    .hosts
                    .iter()
                    .flat_map(|h| {
                        h.addresses
                            .iter()
                            .filter_map(move |a| a.parse().ok().map(|ip| (h.host.clone(), ip)))
                    })
                    .collect();
                // The same bound as the SMTP probe: PTR and blocklist
                // queries for the addresses that would be probed.
                let total = ips.len();
                ips.truncate(crate::probe::smtp::MAX_PROBE_TARGETS);
                let capped = (total > ips.len()).then(|| {
                    Check::new(
                        "mx.ptr",
                        Status::Info,
                        format!(
                            "the MX hosts have {total} addresses; the first {} in MX preference order were checked",
                            ips.len()
                        ),
                    )
                });
                let lists = &lists;
                let per_ip = futures::future::join_all(ips.iter().map(|(host, ip)| async move {
                    // The PTR/FCrDNS chain and the blocklists run side by side.
                    let (ptr_result, listed) = futures::join!(
                        ptr::lookup_ptr(lookup, *ip),
                        futures::future::join_all(
                            lists
                                .iter()
                                .map(|list| dnsbl::check_listed(lookup, *ip, list)),
                        )
                    );
                    let mut checks = vec![ptr::ptr_check(
                        "mx.ptr",
                        *ip,
                        &format!("{host} ({ip})"),
                        &ptr_result,
                    )];
                    checks.extend(listed);
                    checks
                }))
                .await;
                Part {
                    group: "mx-ips",
                    checks: capped.into_iter().chain(per_ip.into_iter().flatten()).collect(),
                    update: Update::None,
                }
            }
            .boxed(),
        );
    }
    // The SMTP probe of every MX address, shared by the smtp and DANE groups.
    let smtp_shared = {
        let mx = mx_shared.clone();
        async move {
            let mx = mx.await;
            if config.smtp {
                Some(std::sync::Arc::new(
                    crate::probe::audit_smtp(&config.policy, lookup, &mx.hosts, &config.probe)
                        .await,
                ))
            } else {
                None
            }
        }
        .boxed()
        .shared()
    };
    {
        let smtp = smtp_shared.clone();
        parts.push(
            async move {
                match smtp.await {
                    Some(audit) => Part {
                        group: "smtp",
                        checks: audit.checks.clone(),
                        update: Update::Smtp(audit.entries.clone()),
                    },
                    None => Part {
                        group: "smtp",
                        checks: vec![Check::new(
                            "smtp.connect",
                            Status::NotTested,
                            "SMTP probes are off (--no-smtp)",
                        )],
                        update: Update::None,
                    },
                }
            }
            .boxed(),
        );
    }
    {
        let (mx, smtp) = (mx_shared.clone(), smtp_shared.clone());
        parts.push(
            async move {
                let mx = mx.await;
                let hosts: Vec<String> = mx.hosts.iter().map(|h| h.host.clone()).collect();
                // The TLSA records and their AD bit are looked up while the
                // SMTP probe runs; only the match waits for the certificate.
                let lookups = futures::future::join_all(hosts.iter().map(|h| async move {
                    // RFC 7672 §2.2: TLSA records count only when DNSSEC
                    // validated; the AD bit of the same name says so.
                    let name = format!("_25._tcp.{}", h.trim_end_matches('.'));
                    let (outcome, ad) =
                        futures::join!(tlsa::lookup_tlsa(lookup, h), lookup.dnssec_status(&name));
                    let validated = match ad {
                        mxlens_shared::dns::DnsOutcome::Records(s) => {
                            Some(s.contains(&mxlens_shared::dns::DnssecStatus::Authenticated))
                        }
                        _ => None,
                    };
                    (outcome, validated)
                }));
                let (lookups, smtp) = futures::join!(lookups, smtp);
                // TLSA records are matched against the chain the MX presented.
                let checks: Vec<Check> = hosts
                    .iter()
                    .zip(lookups)
                    .map(|(h, (outcome, validated))| {
                        let chain: Option<Vec<Vec<u8>>> = smtp.as_ref().and_then(|a| {
                            a.results
                                .iter()
                                .find(|r| r.host == *h && !r.cert_der_chain.is_empty())
                                .map(|r| r.cert_der_chain.clone())
                        });
                        tlsa::lint_tlsa(h, &outcome, chain.as_deref(), validated)
                    })
                    .collect();
                Part {
                    group: "dane",
                    checks,
                    update: Update::None,
                }
            }
            .boxed(),
        );
    }
    parts.push(
        async move {
            let lint =
                spf::lint::lint_domain_with(lookup, domain, &spf::lint::LintOptions::default())
                    .await;
            Part {
                group: "spf",
                checks: spf::lint::checks(&lint),
                update: Update::Spf(lint.report_section()),
            }
        }
        .boxed(),
    );
    if let Some(ip) = request.sending_ip {
        parts.push(
            async move {
                // Independent: concurrently, so a slow resolver costs one
                // timeout here, not three in a row.
                let sender = format!("postmaster@{domain}");
                let options = spf::eval::EvalOptions::default();
                let (outcome, ptr_result, listed) = futures::join!(
                    spf::eval::check_host(lookup, ip, domain, &sender, domain, &options),
                    ptr::lookup_ptr(lookup, ip),
                    futures::future::join_all(
                        config
                            .dnsbl_lists
                            .iter()
                            .map(|list| dnsbl::check_listed(lookup, ip, list)),
                    )
                );
                let mut checks = vec![
                    spf::lint::sender_ip_check(ip, &outcome),
                    ptr::ptr_check("sender.ptr", ip, &format!("sending IP {ip}"), &ptr_result),
                ];
                checks.extend(listed);
                Part {
                    group: "sender",
                    checks,
                    update: Update::None,
                }
            }
            .boxed(),
        );
    }
    {
        let dmarc_fut = dmarc_shared.clone();
        parts.push(
            async move {
                let audit = dmarc_fut.await;
                Part {
                    group: "dmarc",
                    checks: audit.checks.clone(),
                    update: audit
                        .summary
                        .as_ref()
                        .map_or(Update::None, |s| Update::Dmarc(s.to_json())),
                }
            }
            .boxed(),
        );
    }
    {
        let dmarc_fut = dmarc_shared.clone();
        parts.push(
            async move {
                // The BIMI record and DMARC are independent lookups: only
                // the verdict needs both, so neither waits for the other.
                let (found, dmarc) =
                    futures::join!(bimi::lookup_bimi(lookup, "default", domain), dmarc_fut);
                let (policy, percent) = dmarc.policy_and_percent();
                let checks = vec![
                    bimi::lint_bimi(domain, &found),
                    bimi::lint_bimi_dmarc(&found, policy, percent),
                ];
                Part {
                    group: "bimi",
                    checks,
                    update: Update::None,
                }
            }
            .boxed(),
        );
    }
    {
        let given: Vec<String> = request.selectors.clone();
        parts.push(
            async move {
                let mut checks = Vec::new();
                let given_results = futures::future::join_all(given.iter().map(|s| {
                    dkim::audit_dkim_selector(lookup, s, domain, dkim::SelectorOrigin::Given)
                }))
                .await;
                for (_, c) in given_results {
                    checks.extend(c);
                }
                let guessed: Vec<&str> = COMMON_SELECTORS
                    .iter()
                    .copied()
                    .filter(|s| !given.iter().any(|g| g.eq_ignore_ascii_case(s)))
                    .collect();
                let guessed_results = futures::future::join_all(guessed.iter().map(|s| {
                    dkim::audit_dkim_selector(lookup, s, domain, dkim::SelectorOrigin::Guessed)
                }))
                .await;
                let mut found = 0;
                for (lookup_result, c) in guessed_results {
                    // A guessed selector with no key is noise, not a finding.
                    if matches!(lookup_result.outcome, dkim::key::KeyLookupOutcome::Found { .. }) {
                        found += 1;
                        checks.extend(c);
                    }
                }
                if given.is_empty() && found == 0 {
                    checks.push(Check::new(
                        "dkim.key",
                        Status::NotTested,
                        format!(
                            "no DKIM key found at the {} common selectors tried ({}); DKIM selectors cannot be listed from DNS: give the selector from a DKIM-Signature s= tag (paste a message, or --selector)",
                            COMMON_SELECTORS.len(),
                            COMMON_SELECTORS.join(", ")
                        ),
                    ));
                }
                Part {
                    group: "dkim",
                    checks,
                    update: Update::None,
                }
            }
            .boxed(),
        );
    }
    {
        let mx = mx_shared.clone();
        parts.push(
            async move {
                let (record, mx) =
                    futures::join!(mta_sts::lint::lookup_sts_record(lookup, domain), mx);
                let hosts: Vec<String> = mx.hosts.iter().map(|h| h.host.clone()).collect();
                let mut inconclusive = None;
                let fetch = if matches!(record, mta_sts::lint::StsRecordLookup::Found { .. }) {
                    // RFC 8461 §3.3: HTTPS to mta-sts.<domain>, no redirects.
                    match crate::probe::https::fetch_mta_sts_policy(
                        &config.policy,
                        lookup,
                        domain,
                        &config.https,
                    )
                    .await
                    {
                        Ok(fetched) => mta_sts::lint::PolicyFetch::Body(fetched.body),
                        Err(e) if e.is_inconclusive() => {
                            inconclusive = Some(crate::probe::https::fetch_failure_check(&e));
                            mta_sts::lint::PolicyFetch::NotAttempted
                        }
                        Err(e) => mta_sts::lint::PolicyFetch::Failed(e.to_string()),
                    }
                } else {
                    mta_sts::lint::PolicyFetch::NotAttempted
                };
                let mut checks = mta_sts::lint::lint_mta_sts(domain, &record, &fetch, &hosts);
                let facts = mta_sts::lint::policy_facts(&fetch);
                if let Some(check) = inconclusive {
                    // We could not look (guard, timeout): say so, never fail.
                    for c in checks.iter_mut().filter(|c| c.id == "mta-sts.policy") {
                        *c = check.clone();
                    }
                }
                Part {
                    group: "mta-sts",
                    checks,
                    update: facts.map_or(Update::None, Update::MtaSts),
                }
            }
            .boxed(),
        );
    }
    if let Some(address) = request.rcpt.clone() {
        let mx = mx_shared.clone();
        parts.push(
            async move {
                let (checks, update) = audit_rcpt(config, domain, &address, &mx.await.hosts).await;
                Part {
                    group: "rcpt",
                    checks,
                    update,
                }
            }
            .boxed(),
        );
    }
    parts.push(
        async move {
            let (_, check) = tls_rpt::audit_tls_rpt(lookup, domain).await;
            Part {
                group: "tls-rpt",
                checks: vec![check],
                update: Update::None,
            }
        }
        .boxed(),
    );

    let mut checks = Vec::new();
    let mut section = DomainSection {
        name: domain.to_string(),
        ..Default::default()
    };
    let mut finished: Vec<&'static str> = Vec::new();
    let timer = tokio::time::sleep(config.deadline);
    tokio::pin!(timer);
    loop {
        tokio::select! {
            next = parts.next() => match next {
                Some(part) => {
                    finished.push(part.group);
                    for check in &part.checks {
                        emit(AuditEvent::Check { check: check.clone() });
                    }
                    checks.extend(part.checks);
                    match part.update {
                        Update::None => {}
                        Update::Mx(hosts) => section.mx = hosts,
                        Update::Spf(v) => section.spf = Some(v),
                        Update::Dmarc(v) => section.dmarc = Some(v),
                        Update::Smtp(v) => section.smtp = v,
                        Update::Rcpt(v) => section.rcpt = Some(v),
                        Update::MtaSts(v) => section.mta_sts = Some(v),
                    }
                }
                None => break,
            },
            _ = &mut timer => {
                for (group, id) in GROUPS {
                    if groups.contains(group) && !finished.contains(group) {
                        let check = Check::new(id, Status::NotTested, format!("not finished within the audit deadline of {} s", config.deadline.as_secs()));
                        emit(AuditEvent::Check { check: check.clone() });
                        checks.push(check);
                    }
                }
                break;
            }
        }
    }
    // Catalogue order, so every surface lists checks the same way.
    checks.sort_by_cached_key(|c| {
        mxlens_shared::report::catalog::entries()
            .position(|e| e.id == c.id)
            .unwrap_or(usize::MAX)
    });
    let mut report = Report::new(ReportKind::Domain, generated_at, checks);
    report.domain = Some(section);
    report.transport = mxlens_shared::report::transport::transport_security(&report);
    emit(AuditEvent::Report {
        report: Box::new(report.clone()),
    });
    report
}

/// The mailbox probe of `address` at the best MX (the first address of the
/// most preferred host, RFC 5321 §5.1): the `smtp.rcpt` check and the
/// `domain.rcpt` entry.
async fn audit_rcpt(
    config: &AuditConfig,
    domain: &str,
    address: &str,
    hosts: &[mxlens_shared::report::MxHost],
) -> (Vec<Check>, Update) {
    use mxlens_shared::smtp::rcpt::{rcpt_check, report_entry};
    let not_tested = |detail: String| {
        (
            vec![Check::new("smtp.rcpt", Status::NotTested, detail).with_subject(address)],
            Update::None,
        )
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
        return (
            vec![Check::new(
                "smtp.rcpt",
                Status::NotTested,
                "no MX host address is known (see the MX checks), so no server could be asked about the mailbox",
            )
            .with_subject(address)],
            Update::None,
        );
    };
    let result =
        crate::probe::rcpt::probe_rcpt(&config.policy, &host, ip, &parsed, &config.rcpt, || {
            time::OffsetDateTime::now_utc().unix_timestamp()
        })
        .await;
    (
        vec![rcpt_check(&result)],
        Update::Rcpt(report_entry(&result)),
    )
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
