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
use super::probes::{Probes, SmtpAudit};
use crate::dns::DnsLookup;
use crate::report::{Check, DomainSection, MxHost, Report, ReportKind, Status};
use crate::{dmarc, tls_rpt};

mod groups;
use groups::{
    bimi_group, dane_group, dkim_group, dmarc_group, dns_group, mta_sts_group, mx_group,
    mx_ips_group, rcpt_group, sender_group, smtp_group, spf_group,
};

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
    /// The record that applies, if any, and how discovery ended.
    Dmarc(
        Option<crate::report::DmarcFacts>,
        crate::report::DmarcDiscoveryFacts,
    ),
    Dkim(Vec<crate::report::DkimKeyFacts>),
    /// Added to: the MX addresses' group and the sending IP's each give
    /// theirs.
    Ptr(Vec<crate::report::PtrFacts>),
    Dane(Vec<crate::report::DaneFacts>),
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
            SectionUpdate::Dmarc(record, discovery) => {
                section.dmarc = record;
                section.dmarc_discovery = Some(discovery);
            }
            SectionUpdate::Dkim(v) => section.dkim = v,
            SectionUpdate::Ptr(v) => section.ptr.extend(v),
            SectionUpdate::Dane(v) => section.dane = v,
            SectionUpdate::Smtp(v) => section.smtp = v,
            SectionUpdate::Rcpt(v) => section.rcpt = Some(*v),
            SectionUpdate::MtaSts(v) => section.mta_sts = Some(v),
        }
    }
}

/// A group's place in [`GROUPS`].
fn group_rank(group: &str) -> usize {
    GROUPS
        .iter()
        .position(|(g, _)| *g == group)
        .unwrap_or(usize::MAX)
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
                let rank = group_rank(part.group);
                checks.extend(part.checks.into_iter().map(|c| (rank, c)));
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
                        checks.push((group_rank(group), check));
                    }
                }
                break;
            }
        }
    }
    // Catalogue order, so every surface lists checks the same way; an id
    // two groups give (`dnsbl.listed` for the MX addresses and for the
    // sending IP) in the groups' order, not in the order they finished, so
    // one audit always gives the same report.
    checks.sort_by_cached_key(|(rank, c)| (crate::report::catalog::order(&c.id), *rank));
    let checks: Vec<Check> = checks.into_iter().map(|(_, c)| c).collect();
    // The MX addresses first, then the sending IP, however the two groups
    // finished (a stable sort keeps each group's own order).
    section.ptr.sort_by_key(|p| p.role);
    let mut report = Report::new(ReportKind::Domain, generated_at, checks);
    report.domain = Some(section);
    report.transport = crate::report::transport::transport_security(&report);
    emit(AuditEvent::Report {
        report: Box::new(report.clone()),
    });
    report
}
