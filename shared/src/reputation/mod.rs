//! Reputation lookups: the names a message uses (its From domain, DKIM
//! `d=`, Return-Path domain and link domains) on domain blocklists
//! (Spamhaus DBL, SURBL, URIBL; RFC 5782 §3), its sending IP on IP
//! blocklists and allow-lists (RFC 5782 §2), each answer decoded
//! ([`lists`]). The DNS comes in through [`DnsLookup`], so this runs on the
//! server; the browser sends only host names.
//!
//! Bounded: at most [`MAX_NAMES`] distinct names are looked up (the rest
//! are listed as skipped), each on each configured list, all at once.

pub mod lists;

use std::net::IpAddr;

use crate::dns::{DnsLookup, DnsOutcome};
use crate::domain_name::normalize_domain;
use crate::report::{
    Check, Checklists, Listing, MessageSection, Report, ReputationSection, Status,
};

use self::lists::{listing_impact, read_answer, spec_for, ListKind, Reading};

/// The most distinct names looked up per message or request.
pub const MAX_NAMES: usize = 32;

/// The lists to query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListSet {
    /// Domain blocklist zones.
    pub domain: Vec<String>,
    /// IP blocklist zones.
    pub ip: Vec<String>,
    /// IP allow-list zones.
    pub allow: Vec<String>,
}

impl ListSet {
    /// The default lists: [`lists::DEFAULT_DOMAIN_LISTS`], the audit's IP
    /// lists ([`crate::audit::dnsbl::DEFAULT_LISTS`]) and DNSWL.
    pub fn defaults() -> Self {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        ListSet {
            domain: own(lists::DEFAULT_DOMAIN_LISTS),
            ip: own(crate::audit::dnsbl::DEFAULT_LISTS),
            allow: own(lists::DEFAULT_ALLOW_LISTS),
        }
    }
}

/// Names to look up, each with the roles it plays in the message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// Distinct, normalised names with their roles, at most [`MAX_NAMES`].
    pub names: Vec<(String, Vec<String>)>,
    /// Names over the cap (or not valid domain names), not looked up.
    pub skipped: Vec<String>,
}

impl Names {
    /// Adds `name` in `role`: normalised (lower case, A-label, no trailing
    /// dot), merged with an earlier entry of the same name, skipped over
    /// the cap or when it is not a domain name.
    pub fn add(&mut self, name: &str, role: &str) {
        let Ok(name) = normalize_domain(name) else {
            if self.skipped.len() < MAX_NAMES && !name.trim().is_empty() {
                self.skipped.push(name.chars().take(255).collect());
            }
            return;
        };
        if let Some((_, roles)) = self.names.iter_mut().find(|(n, _)| *n == name) {
            if !roles.iter().any(|r| r == role) {
                roles.push(role.to_string());
            }
        } else if self.names.len() < MAX_NAMES {
            self.names.push((name, vec![role.to_string()]));
        } else if self.skipped.len() < MAX_NAMES && !self.skipped.contains(&name) {
            self.skipped.push(name);
        }
    }

    /// The names of a message report, in order of weight: From, DKIM
    /// `d=`, Return-Path (the envelope sender, RFC 5321 §4.4), then the
    /// link domains the Content section lists.
    pub fn of_message(section: &MessageSection) -> Names {
        let mut names = Names::default();
        if let Some(from) = &section.from {
            names.add(&from.domain, "from");
        }
        for sig in &section.dkim_signatures {
            names.add(&sig.domain, "dkim");
        }
        if let Some((_, domain)) = section
            .envelope_from
            .as_deref()
            .and_then(|e| e.rsplit_once('@'))
        {
            names.add(domain.trim_end_matches('>'), "return_path");
        }
        if let Some(content) = &section.content {
            for host in &content.link_domains {
                names.add(host, "link");
            }
        }
        names
    }
}

/// Looks `name` up on `zone` (RFC 5782 §2.1 for an IP, §3 for a domain).
pub async fn look_up_one<L: DnsLookup>(
    lookup: &L,
    name: &str,
    roles: &[String],
    zone: &str,
    kind: ListKind,
) -> Listing {
    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
    let spec = spec_for(&zone, kind);
    let query = match name.parse::<IpAddr>() {
        Ok(ip) => crate::audit::dnsbl::query_name(ip, &zone),
        Err(_) => format!("{name}.{zone}"),
    };
    let mut listing = Listing {
        name: name.to_string(),
        roles: roles.to_vec(),
        zone: zone.clone(),
        list: if spec.name.is_empty() {
            zone.clone()
        } else {
            spec.name.to_string()
        },
        kind: kind.as_str().to_string(),
        result: "not_listed".into(),
        codes: Vec::new(),
        meaning: String::new(),
        impact: spec.impact.to_string(),
        delist_url: None,
    };
    match lookup.a(&query).await {
        DnsOutcome::NxDomain | DnsOutcome::NoData => {}
        DnsOutcome::Records(answers) => {
            listing.codes = answers.iter().map(|a| a.to_string()).collect();
            match read_answer(&spec, &answers) {
                Reading::Listed(meaning) => {
                    listing.result = if kind == ListKind::Allow {
                        "allowlisted".into()
                    } else {
                        "listed".into()
                    };
                    listing.meaning = meaning;
                    listing.impact = listing_impact(&spec, &answers).to_string();
                    if !spec.delist_url.is_empty() && kind != ListKind::Allow {
                        listing.delist_url = Some(spec.delist_url.to_string());
                    }
                }
                Reading::Refused(why) => {
                    listing.result = "error".into();
                    listing.meaning = why;
                }
            }
        }
        failure => {
            listing.result = "error".into();
            listing.meaning = format!("the query failed: {}", failure.describe());
        }
    }
    listing
}

/// Looks every name up on every domain list, and `sending_ip` on every IP
/// list and allow-list, all at once.
pub async fn look_up<L: DnsLookup>(
    lookup: &L,
    names: &Names,
    sending_ip: Option<IpAddr>,
    lists: &ListSet,
) -> ReputationSection {
    let ip_roles = vec!["sending_ip".to_string()];
    let ip = sending_ip.map(|ip| ip.to_string());
    let mut queries = Vec::new();
    for (name, roles) in &names.names {
        for zone in &lists.domain {
            queries.push(look_up_one(lookup, name, roles, zone, ListKind::Domain));
        }
    }
    if let Some(ip) = &ip {
        for zone in &lists.ip {
            queries.push(look_up_one(lookup, ip, &ip_roles, zone, ListKind::Ip));
        }
        for zone in &lists.allow {
            queries.push(look_up_one(lookup, ip, &ip_roles, zone, ListKind::Allow));
        }
    }
    ReputationSection {
        listings: futures::future::join_all(queries).await,
        skipped: names.skipped.clone(),
    }
}

/// The checks of a Reputation section: `dnsbl.domain-listed` per listed
/// (or refused) domain and list, or one pass; `dnsbl.listed` per IP list
/// (as the domain audit words it); `dnsbl.allowlisted` when an allow-list
/// names the IP. A high or medium impact listing fails, a low one warns.
pub fn reputation_checks(section: &ReputationSection) -> Vec<Check> {
    let mut checks = Vec::new();
    let domains: Vec<&Listing> = section
        .listings
        .iter()
        .filter(|l| l.kind == "domain")
        .collect();
    for l in domains.iter().filter(|l| l.result != "not_listed") {
        checks.push(listing_check("dnsbl.domain-listed", l));
    }
    if !domains.is_empty() && domains.iter().all(|l| l.result == "not_listed") {
        let mut names: Vec<&str> = domains.iter().map(|l| l.name.as_str()).collect();
        names.dedup();
        let mut zones: Vec<&str> = domains.iter().map(|l| l.list.as_str()).collect();
        zones.sort_unstable();
        zones.dedup();
        checks.push(Check::new(
            "dnsbl.domain-listed",
            Status::Pass,
            format!(
                "None of {} is listed on {}.",
                names.join(", "),
                zones.join(", ")
            ),
        ));
    }
    for l in section.listings.iter().filter(|l| l.kind == "ip") {
        checks.push(listing_check("dnsbl.listed", l));
    }
    for l in section
        .listings
        .iter()
        .filter(|l| l.kind == "allow" && l.result != "not_listed")
    {
        checks.push(listing_check("dnsbl.allowlisted", l));
    }
    checks
}

fn listing_check(id: &str, l: &Listing) -> Check {
    let roles = if l.roles.is_empty() {
        String::new()
    } else {
        format!(" ({})", l.roles.join(", ").replace('_', " "))
    };
    let delist = l
        .delist_url
        .as_deref()
        .map(|u| format!(" Removal: {u}"))
        .unwrap_or_default();
    let (status, detail) = match l.result.as_str() {
        "listed" => (
            if l.impact == "low" {
                Status::Warn
            } else {
                Status::Fail
            },
            format!(
                "{}{roles} is listed on {} ({}: {}); {} impact on delivery.{delist}",
                l.name,
                l.list,
                l.codes.join(", "),
                l.meaning,
                l.impact
            ),
        ),
        "allowlisted" => (
            Status::Info,
            format!(
                "{} is on {} ({}: {}).",
                l.name,
                l.list,
                l.codes.join(", "),
                l.meaning
            ),
        ),
        "error" => (
            Status::Error,
            format!("{} on {}: {}", l.name, l.list, l.meaning),
        ),
        _ => (
            Status::Pass,
            format!("{} is not listed on {}", l.name, l.list),
        ),
    };
    Check::new(id, status, detail).with_subject(format!("{} on {}", l.name, l.zone))
}

/// Answers the `bulk.link-reputation` checklist item from the section.
pub fn resolve_checklist(checklists: &mut Checklists, section: &ReputationSection) {
    let mut inputs = crate::checklists::ChecklistInputs::default();
    inputs.apply_reputation(Some(section));
    let item = inputs.link_reputation_item();
    for slot in checklists
        .bulk_sender
        .iter_mut()
        .filter(|i| i.id == item.id)
    {
        *slot = item.clone();
    }
}

/// Puts a Reputation section into a message (or combined) report: its
/// checks in catalogue order, the `bulk.link-reputation` item, the score.
pub fn apply_reputation(report: &mut Report, section: ReputationSection) {
    report.checks.extend(reputation_checks(&section));
    report
        .checks
        .sort_by_cached_key(|c| crate::report::catalog::order(&c.id));
    resolve_checklist(&mut report.checklists, &section);
    report.reputation = Some(section);
    report.rescore();
}

/// The names and sending IP of a message report (none for another kind).
pub fn targets_of(report: &Report) -> (Names, Option<IpAddr>) {
    match &report.message {
        Some(section) => (
            Names::of_message(section),
            section.sending_ip.as_deref().and_then(|ip| ip.parse().ok()),
        ),
        None => (Names::default(), None),
    }
}

#[cfg(test)]
mod tests;
