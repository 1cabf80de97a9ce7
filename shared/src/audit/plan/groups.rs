//! The groups of checks of the domain audit, one async function each:
//! what a group looks up or probes and the `Part` it adds to the report.
//! `run_audit` starts them all at once; a group that needs another's
//! result awaits its shared future.

use std::net::IpAddr;

use super::{
    part, AuditRequest, Part, SectionUpdate, SharedDmarc, SharedMx, SharedSmtp, COMMON_SELECTORS,
};
use crate::audit::probes::{Probes, MAX_PROBE_TARGETS};
use crate::audit::{check_dnssec, check_resolves, dnsbl, ptr};
use crate::dane::tlsa;
use crate::dns::{DnsLookup, DnsOutcome, DnssecStatus};
use crate::report::{Check, PtrRole, Status};
use crate::{bimi, dkim, mta_sts, spf};

/// `dns.resolves` and `dns.dnssec`.
pub(super) async fn dns_group<L: DnsLookup>(lookup: &L, domain: &str) -> Part {
    let (resolves, dnssec) =
        futures::join!(check_resolves(lookup, domain), check_dnssec(lookup, domain));
    part("dns", vec![resolves, dnssec])
}

/// The `mx.*` checks and `domain.mx`.
pub(super) async fn mx_group(mx: SharedMx<'_>) -> Part {
    let mx = mx.await;
    Part {
        group: "mx",
        checks: mx.checks.clone(),
        update: SectionUpdate::Mx(mx.hosts.clone()),
    }
}

/// PTR/FCrDNS and blocklists for every MX address, bounded like the SMTP
/// probe: the addresses that would be probed.
pub(super) async fn mx_ips_group<L: DnsLookup>(
    lookup: &L,
    mx: SharedMx<'_>,
    lists: &[String],
) -> Part {
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
        (ptr_result.facts(*ip, PtrRole::Mx, Some(host)), listed)
    }))
    .await;
    let mut checks: Vec<Check> = capped.into_iter().collect();
    let mut facts = Vec::with_capacity(per_ip.len());
    for (ptr_facts, listed) in per_ip {
        checks.push(ptr::ptr_check(&ptr_facts));
        checks.extend(listed);
        facts.push(ptr_facts);
    }
    Part {
        group: "mx-ips",
        checks,
        update: SectionUpdate::Ptr(facts),
    }
}

/// The `smtp.*` checks and `domain.smtp`.
pub(super) async fn smtp_group(smtp: SharedSmtp<'_>) -> Part {
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
pub(super) async fn dane_group<L: DnsLookup>(
    lookup: &L,
    mx: SharedMx<'_>,
    smtp: SharedSmtp<'_>,
) -> Part {
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
    let (checks, facts) = hosts
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
        .unzip();
    Part {
        group: "dane",
        checks,
        update: SectionUpdate::Dane(facts),
    }
}

/// The SPF lint of the domain's record tree and `domain.spf`.
pub(super) async fn spf_group<L: DnsLookup>(lookup: &L, domain: &str) -> Part {
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
pub(super) async fn sender_group<L: DnsLookup>(
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
    let ptr_facts = ptr_result.facts(ip, PtrRole::Sender, None);
    checks.push(ptr::ptr_check(&ptr_facts));
    checks.extend(listed);
    Part {
        group: "sender",
        checks,
        update: SectionUpdate::Ptr(vec![ptr_facts]),
    }
}

/// Two domain names are the same, case and a trailing dot aside.
fn same_domain(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// The `dmarc.*` checks and `domain.dmarc`.
pub(super) async fn dmarc_group(dmarc_audit: SharedDmarc<'_>) -> Part {
    let audit = dmarc_audit.await;
    Part {
        group: "dmarc",
        checks: audit.checks.clone(),
        update: SectionUpdate::Dmarc(
            audit.summary.as_ref().map(|s| s.facts()),
            audit.discovery.facts(),
        ),
    }
}

/// `bimi.record` and `bimi.dmarc-enforcement`. The BIMI record and DMARC
/// are independent lookups: only the verdict needs both.
pub(super) async fn bimi_group<L: DnsLookup>(
    lookup: &L,
    domain: &str,
    dmarc_audit: SharedDmarc<'_>,
) -> Part {
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
pub(super) async fn dkim_group<L: DnsLookup>(
    lookup: &L,
    domain: &str,
    given: &[String],
    guess: bool,
) -> Part {
    let mut checks = Vec::new();
    let mut facts = Vec::new();
    let given_results = futures::future::join_all(
        given
            .iter()
            .map(|s| dkim::audit_dkim_selector(lookup, s, domain, dkim::SelectorOrigin::Given)),
    )
    .await;
    for (lookup_result, c) in given_results {
        facts.push(dkim::key::key_facts(
            &lookup_result,
            dkim::SelectorOrigin::Given,
        ));
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
            facts.push(dkim::key::key_facts(
                &lookup_result,
                dkim::SelectorOrigin::Guessed,
            ));
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
        update: SectionUpdate::Dkim(facts),
    }
}

/// The MTA-STS record, the policy over HTTPS (only when a record exists)
/// and its MX coverage.
pub(super) async fn mta_sts_group<L: DnsLookup, P: Probes>(
    lookup: &L,
    probes: &P,
    domain: &str,
    mx: SharedMx<'_>,
) -> Part {
    let (record, mx) = futures::join!(mta_sts::lint::lookup_sts_record(lookup, domain), mx);
    let hosts: Vec<String> = mx.hosts.iter().map(|h| h.host.clone()).collect();
    let fetch = if matches!(record, mta_sts::lint::StsRecordLookup::Found { .. }) {
        probes.sts_policy(domain).await
    } else {
        mta_sts::lint::PolicyFetch::NotAttempted
    };
    let checks = mta_sts::lint::lint_mta_sts(domain, &record, &fetch, &hosts);
    let facts = mta_sts::lint::policy_facts(&fetch);
    Part {
        group: "mta-sts",
        checks,
        update: facts.map_or(SectionUpdate::None, SectionUpdate::MtaSts),
    }
}

/// The mailbox probe of `address` (`smtp.rcpt`, `domain.rcpt`).
pub(super) async fn rcpt_group<P: Probes>(
    probes: &P,
    domain: &str,
    address: &str,
    mx: SharedMx<'_>,
) -> Part {
    let audit = probes.rcpt(domain, address, &mx.await.hosts).await;
    Part {
        group: "rcpt",
        checks: audit.checks,
        update: audit
            .entry
            .map_or(SectionUpdate::None, |e| SectionUpdate::Rcpt(Box::new(e))),
    }
}
