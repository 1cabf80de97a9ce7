//! The domain audit: which lookups and probes run, what waits for what,
//! and how the results become one report. DNS comes in through
//! [`DnsLookup`], the network probes through [`Probes`], the deadline as a
//! future and progress through a callback, so the same planner runs in the
//! server, the CLI and the tests against zone data.
//!
//! Every independent lookup runs concurrently: the dependency depth, not
//! the number of queries, sets the wall time. Dependent groups (per-MX-IP
//! checks, the DANE match after the SMTP probe, the BIMI verdict after
//! DMARC) await shared futures of what they need.

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use futures::future::{BoxFuture, Either, FutureExt, Shared};
use futures::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};

use super::mx::{audit_mx, MxAudit};
use super::probes::{Probes, SmtpAudit, MAX_PROBE_TARGETS};
use super::{check_dnssec, check_resolves, dnsbl, ptr};
use crate::dane::tlsa;
use crate::dns::{DnsLookup, DnsOutcome, DnssecStatus};
use crate::report::{Check, DomainSection, MxHost, Report, ReportKind, Status};
use crate::{bimi, dkim, dmarc, mta_sts, spf, tls_rpt};

/// What to audit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRequest {
    /// The domain, already normalised.
    pub domain: String,
    /// DKIM selectors to check. When there are any, the common selectors
    /// are not guessed unless `guess_selectors` asks for them too.
    #[serde(default)]
    pub selectors: Vec<String>,
    /// Also try the common selectors when `selectors` is not empty: up to 20 more
    /// TXT queries per domain, which find keys the caller did not name
    /// (an old selector still published, say).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub guess_selectors: bool,
    /// The IP that sent a message, when known from pasted headers.
    #[serde(default)]
    pub sending_ip: Option<IpAddr>,
    /// An address at the domain to ask the best MX about (`smtp.rcpt`);
    /// probed only when the operator allows it.
    #[serde(default)]
    pub rcpt: Option<String>,
    /// The envelope sender (MAIL FROM) the sending IP used, when known from
    /// a message: SPF is evaluated for it (RFC 7208 §2.4), not for the From
    /// domain. Absent: `postmaster@<domain>`.
    #[serde(default)]
    pub mail_from: Option<String>,
    /// The HELO/EHLO name the sending IP gave, when known: the `%{h}` macro
    /// and the HELO identity (RFC 7208 §2.3). Absent: the domain.
    #[serde(default)]
    pub helo: Option<String>,
}

/// The planner's settings that are not part of a request.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// DNS blocklists to query for MX and sending IPs.
    pub dnsbl_lists: Vec<String>,
    /// The whole-audit deadline, for the `not_tested` text of groups it
    /// cuts short (the caller's deadline future decides when).
    pub deadline: Duration,
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

/// DKIM selectors tried when none is known (or when asked to,
/// `AuditRequest::guess_selectors`): the common ones of the big providers
/// and ESPs. A key found here is reported; a miss is not.
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

/// One finished group of the audit: its checks and what it adds to the
/// report's domain section.
struct Part {
    group: &'static str,
    checks: Vec<Check>,
    update: SectionUpdate,
}

/// What a group contributes to [`DomainSection`].
enum SectionUpdate {
    None,
    Mx(Vec<MxHost>),
    Spf(crate::report::SpfFacts),
    Dmarc(crate::report::DmarcFacts),
    Smtp(Vec<crate::report::SmtpFacts>),
    /// Boxed: the probe's entry is by far the largest variant.
    Rcpt(Box<crate::report::RcptFacts>),
    MtaSts(crate::report::MtaStsFacts),
}

impl SectionUpdate {
    fn apply(self, section: &mut DomainSection) {
        match self {
            SectionUpdate::None => {}
            SectionUpdate::Mx(hosts) => section.mx = hosts,
            SectionUpdate::Spf(v) => section.spf = Some(v),
            SectionUpdate::Dmarc(v) => section.dmarc = Some(v),
            SectionUpdate::Smtp(v) => section.smtp = v,
            SectionUpdate::Rcpt(v) => section.rcpt = Some(*v),
            SectionUpdate::MtaSts(v) => section.mta_sts = Some(v),
        }
    }
}

fn part(group: &'static str, checks: Vec<Check>) -> Part {
    Part {
        group,
        checks,
        update: SectionUpdate::None,
    }
}

type SharedMx<'a> = Shared<BoxFuture<'a, MxAudit>>;
type SharedSmtp<'a> = Shared<BoxFuture<'a, Option<std::sync::Arc<SmtpAudit>>>>;
type SharedDmarc<'a> = Shared<BoxFuture<'a, dmarc::DmarcAudit>>;

/// Runs the audit of `request`, calling `emit` for each event as it
/// happens, and returns the report. When `deadline` completes first, every
/// group still running gives its `not_tested` check.
pub async fn run_audit<L: DnsLookup, P: Probes>(
    lookup: &L,
    probes: &P,
    request: &AuditRequest,
    options: &AuditOptions,
    generated_at: String,
    deadline: impl Future<Output = ()>,
    mut emit: impl FnMut(AuditEvent),
) -> Report {
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

    let mx: SharedMx<'_> = audit_mx(lookup, domain).boxed().shared();
    // RFC 9989 §4.10: the DNS tree walk finds the applicable record; the
    // A/AAAA/MX answers tell whether the domain exists, which decides
    // between `sp` and `np` (§4.10.2) on an inherited policy. Both run side
    // by side (the MX and A answers are shared with the other groups).
    let dmarc_audit: SharedDmarc<'_> = async move {
        let (existence, discovery) = futures::join!(
            dmarc::domain_existence(lookup, domain),
            dmarc::discover_tree_walk(lookup, domain)
        );
        dmarc::audit_discovered(lookup, discovery, existence).await
    }
    .boxed()
    .shared();
    // The SMTP probe of every MX address, shared by the smtp and DANE groups.
    let smtp: SharedSmtp<'_> = {
        let mx = mx.clone();
        async move { probes.smtp(&mx.await.hosts).await.map(std::sync::Arc::new) }
            .boxed()
            .shared()
    };

    let mut parts: FuturesUnordered<BoxFuture<'_, Part>> = FuturesUnordered::new();
    parts.push(dns_group(lookup, domain).boxed());
    parts.push(mx_group(mx.clone()).boxed());
    parts.push(mx_ips_group(lookup, mx.clone(), &options.dnsbl_lists).boxed());
    parts.push(smtp_group(smtp.clone()).boxed());
    parts.push(dane_group(lookup, mx.clone(), smtp).boxed());
    parts.push(spf_group(lookup, domain).boxed());
    if let Some(ip) = request.sending_ip {
        parts.push(sender_group(lookup, request, ip, &options.dnsbl_lists).boxed());
    }
    parts.push(dmarc_group(dmarc_audit.clone()).boxed());
    parts.push(bimi_group(lookup, domain, dmarc_audit).boxed());
    let guess = request.selectors.is_empty() || request.guess_selectors;
    parts.push(dkim_group(lookup, domain, &request.selectors, guess).boxed());
    parts.push(mta_sts_group(lookup, probes, domain, mx.clone()).boxed());
    if let Some(address) = request.rcpt.as_deref() {
        parts.push(rcpt_group(probes, domain, address, mx).boxed());
    }
    parts.push(
        async move {
            let (_, check) = tls_rpt::audit_tls_rpt(lookup, domain).await;
            part("tls-rpt", vec![check])
        }
        .boxed(),
    );

    let mut checks = Vec::new();
    let mut section = DomainSection {
        name: domain.to_string(),
        ..Default::default()
    };
    let mut finished: Vec<&'static str> = Vec::new();
    let mut deadline = std::pin::pin!(deadline);
    loop {
        match futures::future::select(parts.next(), deadline.as_mut()).await {
            Either::Left((Some(part), _)) => {
                finished.push(part.group);
                for check in &part.checks {
                    emit(AuditEvent::Check {
                        check: check.clone(),
                    });
                }
                checks.extend(part.checks);
                part.update.apply(&mut section);
            }
            Either::Left((None, _)) => break,
            Either::Right(((), _)) => {
                for (group, id) in GROUPS {
                    if groups.contains(group) && !finished.contains(group) {
                        let check = Check::new(
                            id,
                            Status::NotTested,
                            format!(
                                "not finished within the audit deadline of {} s",
                                options.deadline.as_secs()
                            ),
                        );
                        emit(AuditEvent::Check {
                            check: check.clone(),
                        });
                        checks.push(check);
                    }
                }
                break;
            }
        }
    }
    // Catalogue order, so every surface lists checks the same way.
    checks.sort_by_cached_key(|c| {
        crate::report::catalog::entries()
            .position(|e| e.id == c.id)
            .unwrap_or(usize::MAX)
    });
    let mut report = Report::new(ReportKind::Domain, generated_at, checks);
    report.domain = Some(section);
    report.transport = crate::report::transport::transport_security(&report);
    emit(AuditEvent::Report {
        report: Box::new(report.clone()),
    });
    report
}

/// `dns.resolves` and `dns.dnssec`.
async fn dns_group<L: DnsLookup>(lookup: &L, domain: &str) -> Part {
    let (resolves, dnssec) =
        futures::join!(check_resolves(lookup, domain), check_dnssec(lookup, domain));
    part("dns", vec![resolves, dnssec])
}

/// The `mx.*` checks and `domain.mx`.
async fn mx_group(mx: SharedMx<'_>) -> Part {
    let mx = mx.await;
    Part {
        group: "mx",
        checks: mx.checks.clone(),
        update: SectionUpdate::Mx(mx.hosts.clone()),
    }
}

/// PTR/FCrDNS and blocklists for every MX address, bounded like the SMTP
/// probe: the addresses that would be probed.
async fn mx_ips_group<L: DnsLookup>(lookup: &L, mx: SharedMx<'_>, lists: &[String]) -> Part {
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
    let total = ips.len();
    ips.truncate(MAX_PROBE_TARGETS);
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
    let per_ip = futures::future::join_all(ips.iter().map(|(host, ip)| async move {
        // The PTR/FCrDNS chain and the blocklists run side by side.
        let (ptr_result, listed) = futures::join!(
            ptr::lookup_ptr(lookup, *ip),
            futures::future::join_all(
                lists
                    .iter()
                    .map(|list| dnsbl::check_listed(lookup, *ip, list))
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
    part(
        "mx-ips",
        capped
            .into_iter()
            .chain(per_ip.into_iter().flatten())
            .collect(),
    )
}

/// The `smtp.*` checks and `domain.smtp`.
async fn smtp_group(smtp: SharedSmtp<'_>) -> Part {
    match smtp.await {
        Some(audit) => Part {
            group: "smtp",
            checks: audit.checks.clone(),
            update: SectionUpdate::Smtp(audit.entries.clone()),
        },
        None => part(
            "smtp",
            vec![Check::new(
                "smtp.connect",
                Status::NotTested,
                "SMTP probes are off (--no-smtp)",
            )],
        ),
    }
}

/// `dane.tlsa` per MX host. The TLSA records and their AD bit are looked up
/// while the SMTP probe runs; only the match waits for the certificate.
async fn dane_group<L: DnsLookup>(lookup: &L, mx: SharedMx<'_>, smtp: SharedSmtp<'_>) -> Part {
    let mx = mx.await;
    let hosts: Vec<String> = mx.hosts.iter().map(|h| h.host.clone()).collect();
    let lookups = futures::future::join_all(hosts.iter().map(|h| async move {
        // RFC 7672 §2.2: TLSA records count only when DNSSEC validated; the
        // AD bit of the same name says so.
        let name = format!("_25._tcp.{}", h.trim_end_matches('.'));
        let (outcome, ad) =
            futures::join!(tlsa::lookup_tlsa(lookup, h), lookup.dnssec_status(&name));
        let validated = match ad {
            DnsOutcome::Records(s) => Some(s.contains(&DnssecStatus::Authenticated)),
            _ => None,
        };
        (outcome, validated)
    }));
    let (lookups, smtp) = futures::join!(lookups, smtp);
    // TLSA records are matched against the chain the MX presented.
    let checks = hosts
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
    part("dane", checks)
}

/// The SPF lint of the domain's record tree and `domain.spf`.
async fn spf_group<L: DnsLookup>(lookup: &L, domain: &str) -> Part {
    let lint =
        spf::lint::lint_domain_with(lookup, domain, &spf::lint::LintOptions::default()).await;
    Part {
        group: "spf",
        checks: spf::lint::checks(&lint),
        update: SectionUpdate::Spf(lint.report_section()),
    }
}

/// The sending IP: SPF `check_host()`, PTR and blocklists.
///
/// SPF is evaluated for the envelope sender the message used (RFC 7208
/// §2.4: receivers check MAIL FROM, not the From header). Bulk mail is
/// usually sent with an ESP's bounce domain: when the envelope domain
/// differs from the audited From domain, both are reported, labelled, and
/// only the envelope sender's result counts; the From domain's is
/// information (it matters for SPF alignment only if the envelope sender
/// moves to the From domain, RFC 7489 §3.1.2).
async fn sender_group<L: DnsLookup>(
    lookup: &L,
    request: &AuditRequest,
    ip: IpAddr,
    lists: &[String],
) -> Part {
    let domain = request.domain.as_str();
    let helo = request
        .helo
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .unwrap_or(domain);
    let options = spf::eval::EvalOptions::default();
    let from_sender = format!("postmaster@{domain}");
    let envelope = request
        .mail_from
        .as_deref()
        .map(|m| spf::eval::sender_and_domain(m, helo))
        .filter(|(_, env_domain)| !same_domain(env_domain, domain));
    // Independent: concurrently, so a slow resolver costs one timeout here,
    // not several in a row.
    let envelope_check = async {
        match &envelope {
            Some((sender, env_domain)) => {
                Some(spf::eval::check_host(lookup, ip, env_domain, sender, helo, &options).await)
            }
            None => None,
        }
    };
    let from_sender_used = match (&envelope, request.mail_from.as_deref()) {
        (None, Some(mail_from)) => spf::eval::sender_and_domain(mail_from, helo).0,
        _ => from_sender,
    };
    let (from_outcome, envelope_outcome, ptr_result, listed) = futures::join!(
        spf::eval::check_host(lookup, ip, domain, &from_sender_used, helo, &options),
        envelope_check,
        ptr::lookup_ptr(lookup, ip),
        futures::future::join_all(
            lists
                .iter()
                .map(|list| dnsbl::check_listed(lookup, ip, list))
        ),
    );
    let mut checks = Vec::new();
    match (envelope, envelope_outcome) {
        (Some((_, env_domain)), Some(outcome)) => {
            let mut envelope = spf::lint::sender_ip_check(ip, &outcome);
            envelope.detail = format!(
                "SPF for the envelope sender {env_domain}: {}",
                envelope.detail
            );
            envelope.subject = Some(format!("{ip} (envelope sender {env_domain})"));
            checks.push(envelope);
            let mut from = spf::lint::sender_ip_check(ip, &from_outcome);
            if matches!(from.status, Status::Pass | Status::Warn | Status::Fail) {
                from.status = Status::Info;
            }
            from.fix = None;
            from.detail = format!(
                "SPF for the From domain {domain}: {}. Receivers evaluate SPF for the envelope sender ({env_domain}), not for the From domain, so this result does not decide delivery; it matters only if the envelope sender moves to {domain}, for SPF alignment under DMARC",
                from.detail
            );
            from.subject = Some(format!("{ip} (From domain {domain})"));
            checks.push(from);
        }
        _ => checks.push(spf::lint::sender_ip_check(ip, &from_outcome)),
    }
    checks.push(ptr::ptr_check(
        "sender.ptr",
        ip,
        &format!("sending IP {ip}"),
        &ptr_result,
    ));
    checks.extend(listed);
    part("sender", checks)
}

/// Two domain names are the same, case and a trailing dot aside.
fn same_domain(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// The `dmarc.*` checks and `domain.dmarc`.
async fn dmarc_group(dmarc_audit: SharedDmarc<'_>) -> Part {
    let audit = dmarc_audit.await;
    Part {
        group: "dmarc",
        checks: audit.checks.clone(),
        update: audit
            .summary
            .as_ref()
            .map_or(SectionUpdate::None, |s| SectionUpdate::Dmarc(s.facts())),
    }
}

/// `bimi.record` and `bimi.dmarc-enforcement`. The BIMI record and DMARC
/// are independent lookups: only the verdict needs both.
async fn bimi_group<L: DnsLookup>(lookup: &L, domain: &str, dmarc_audit: SharedDmarc<'_>) -> Part {
    let (found, dmarc_audit) =
        futures::join!(bimi::lookup_bimi(lookup, "default", domain), dmarc_audit);
    let (policy, percent) = dmarc_audit.policy_and_percent();
    part(
        "bimi",
        vec![
            bimi::lint_bimi(domain, &found),
            bimi::lint_bimi_dmarc(&found, policy, percent),
        ],
    )
}

/// DKIM keys at the given selectors and, with `guess`, at the common ones.
/// A guessed selector with no key is noise, not a finding. Guessing is most
/// of an audit's queries (19 of 34 with one selector given), so it is done
/// only when the caller named no selector or asked for it (issue #17).
async fn dkim_group<L: DnsLookup>(lookup: &L, domain: &str, given: &[String], guess: bool) -> Part {
    let mut checks = Vec::new();
    let given_results = futures::future::join_all(
        given
            .iter()
            .map(|s| dkim::audit_dkim_selector(lookup, s, domain, dkim::SelectorOrigin::Given)),
    )
    .await;
    for (_, c) in given_results {
        checks.extend(c);
    }
    let guessed: Vec<&str> = COMMON_SELECTORS
        .iter()
        .copied()
        .filter(|s| guess && !given.iter().any(|g| g.eq_ignore_ascii_case(s)))
        .collect();
    let guessed_results = futures::future::join_all(
        guessed
            .iter()
            .map(|s| dkim::audit_dkim_selector(lookup, s, domain, dkim::SelectorOrigin::Guessed)),
    )
    .await;
    let mut found = 0;
    for (lookup_result, c) in guessed_results {
        if matches!(
            lookup_result.outcome,
            dkim::key::KeyLookupOutcome::Found { .. }
        ) {
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
    part("dkim", checks)
}

/// The MTA-STS record, the policy over HTTPS (only when a record exists)
/// and its MX coverage.
async fn mta_sts_group<L: DnsLookup, P: Probes>(
    lookup: &L,
    probes: &P,
    domain: &str,
    mx: SharedMx<'_>,
) -> Part {
    let (record, mx) = futures::join!(mta_sts::lint::lookup_sts_record(lookup, domain), mx);
    let hosts: Vec<String> = mx.hosts.iter().map(|h| h.host.clone()).collect();
    let (fetch, inconclusive) = if matches!(record, mta_sts::lint::StsRecordLookup::Found { .. }) {
        let fetched = probes.sts_policy(domain).await;
        (fetched.fetch, fetched.inconclusive)
    } else {
        (mta_sts::lint::PolicyFetch::NotAttempted, None)
    };
    let mut checks = mta_sts::lint::lint_mta_sts(domain, &record, &fetch, &hosts);
    let facts = mta_sts::lint::policy_facts(&fetch);
    if let Some(check) = inconclusive {
        // We could not look (guard, timeout): say so, never fail.
        for c in checks
            .iter_mut()
            .filter(|c| c.id == crate::report::ids::MTA_STS_POLICY)
        {
            *c = check.clone();
        }
    }
    Part {
        group: "mta-sts",
        checks,
        update: facts.map_or(SectionUpdate::None, SectionUpdate::MtaSts),
    }
}

/// The mailbox probe of `address` (`smtp.rcpt`, `domain.rcpt`).
async fn rcpt_group<P: Probes>(probes: &P, domain: &str, address: &str, mx: SharedMx<'_>) -> Part {
    let audit = probes.rcpt(domain, address, &mx.await.hosts).await;
    Part {
        group: "rcpt",
        checks: audit.checks,
        update: audit
            .entry
            .map_or(SectionUpdate::None, |e| SectionUpdate::Rcpt(Box::new(e))),
    }
}
