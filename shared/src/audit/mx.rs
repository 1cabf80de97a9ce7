//! MX checks: presence, null MX (RFC 7505), targets resolving, CNAME and
//! IP-literal targets, and the implicit A/AAAA fallback (RFC 5321 §5.1).

use std::net::IpAddr;

use crate::dns::{DnsLookup, DnsOutcome};
use crate::report::{Check, MxHost, Status};

/// MX hosts resolved and reported, in preference order. RFC 5321 sets no
/// limit, but senders try only a few (Postfix: `smtp_mx_address_limit = 5`);
/// a domain publishing hundreds must not make one audit send thousands of
/// queries.
pub const MAX_MX_HOSTS: usize = 32;

/// What the MX audit found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MxAudit {
    /// MX hosts in preference order, with their addresses.
    pub hosts: Vec<MxHost>,
    /// The domain publishes a null MX (accepts no mail).
    pub null_mx: bool,
    /// No MX: the A/AAAA of the domain itself is the implicit MX.
    pub implicit: bool,
    /// The checks.
    pub checks: Vec<Check>,
}

/// Audits the MX records of `domain`. Host address lookups run concurrently.
pub async fn audit_mx<L: DnsLookup>(lookup: &L, domain: &str) -> MxAudit {
    let mut audit = MxAudit::default();
    let mx = lookup.mx(domain).await;
    let mut records = match mx {
        DnsOutcome::Records(r) => r,
        DnsOutcome::NoData | DnsOutcome::NxDomain => Vec::new(),
        failure => {
            audit.checks.push(Check::new(
                "mx.present",
                Status::Error,
                format!("MX lookup for {domain} failed: {}", failure.describe()),
            ));
            return audit;
        }
    };
    records.sort_by(|a, b| {
        a.preference
            .cmp(&b.preference)
            .then(a.exchange.cmp(&b.exchange))
    });

    // RFC 7505 §3: a single MX with preference 0 and target "." is a null MX.
    if records.len() == 1 && records[0].exchange.is_empty() {
        audit.null_mx = true;
        audit.checks.push(Check::new(
            "mx.null",
            Status::Info,
            format!("{domain} publishes a null MX: it accepts no mail (RFC 7505)"),
        ));
        audit.checks.push(Check::new(
            "mx.present",
            Status::NotApplicable,
            "null MX: the domain declares it receives no mail",
        ));
        return audit;
    }
    if records.iter().any(|r| r.exchange.is_empty()) {
        audit.checks.push(
            Check::new(
                "mx.null",
                Status::Fail,
                "a null MX (\".\") is mixed with other MX records (RFC 7505 §3 forbids this)",
            )
            .with_fix("Remove the \"0 .\" record, or remove every other MX record."),
        );
        records.retain(|r| !r.exchange.is_empty());
    }

    if records.is_empty() {
        // RFC 5321 §5.1: no MX means the domain's own address is the implicit MX.
        audit.implicit = true;
        let (v4, v6) = futures::join!(lookup.a(domain), lookup.aaaa(domain));
        let addresses: Vec<String> = v4
            .records()
            .iter()
            .map(|a| a.to_string())
            .chain(v6.records().iter().map(|a| a.to_string()))
            .collect();
        if addresses.is_empty() {
            audit.checks.push(
                Check::new(
                    "mx.present",
                    Status::Fail,
                    format!("{domain} has no MX records and no A/AAAA fallback: mail to it cannot be delivered"),
                )
                .with_fix("Publish MX records for the domain, or a null MX (\"0 .\") if it should receive no mail."),
            );
        } else {
            audit.checks.push(
                Check::new(
                    "mx.present",
                    Status::Warn,
                    format!(
                        "{domain} has no MX records; senders fall back to its address ({})",
                        addresses.join(", ")
                    ),
                )
                .with_fix("Publish explicit MX records."),
            );
            audit.hosts.push(MxHost {
                preference: 0,
                host: domain.to_string(),
                addresses,
            });
        }
        return audit;
    }

    let total = records.len();
    records.truncate(MAX_MX_HOSTS);
    let mut listed = records
        .iter()
        .map(|r| format!("{} {}", r.preference, r.exchange))
        .collect::<Vec<_>>()
        .join(", ");
    if total > MAX_MX_HOSTS {
        listed = format!(
            "{total} MX records; the first {MAX_MX_HOSTS} by preference were checked: {listed}"
        );
    }
    audit
        .checks
        .push(Check::new("mx.present", Status::Pass, listed));

    let resolved = futures::future::join_all(records.iter().map(|r| async move {
        let host = r.exchange.as_str();
        let (v4, v6, cname) = futures::join!(lookup.a(host), lookup.aaaa(host), lookup.cname(host));
        (r, v4, v6, cname)
    }))
    .await;

    for (record, v4, v6, cname) in resolved {
        let host = &record.exchange;
        // An IP address written as the MX target (RFC 5321 §5.1 requires a name).
        // Each MX host gets a verdict for both checks, pass included: a
        // check that is absent cannot be told from one that did not run.
        let literal = if host.parse::<IpAddr>().is_ok() {
            Check::new(
                "mx.no-ip-literal",
                Status::Fail,
                format!("MX target {host} is an IP address, not a host name"),
            )
        } else {
            Check::new(
                "mx.no-ip-literal",
                Status::Pass,
                format!("MX target {host} is a host name"),
            )
        };
        audit.checks.push(literal.with_subject(host.clone()));
        let alias = match &cname {
            DnsOutcome::Records(targets) if !targets.is_empty() => Check::new(
                "mx.no-cname",
                Status::Warn,
                format!("MX target {host} is a CNAME to {}", targets.join(", ")),
            )
            .with_fix(format!("Point the MX at {} directly.", targets.join(", "))),
            failure if failure.is_failure() => Check::new(
                "mx.no-cname",
                Status::Error,
                format!("the CNAME query for {host} failed: {}", failure.describe()),
            ),
            _ => Check::new(
                "mx.no-cname",
                Status::Pass,
                format!("MX target {host} is not an alias"),
            ),
        };
        audit.checks.push(alias.with_subject(host.clone()));
        let addresses: Vec<String> = v4
            .records()
            .iter()
            .map(|a| a.to_string())
            .chain(v6.records().iter().map(|a| a.to_string()))
            .collect();
        let status_detail = if !addresses.is_empty() {
            (Status::Pass, format!("{host} → {}", addresses.join(", ")))
        } else if v4.is_failure() || v6.is_failure() {
            (
                Status::Error,
                format!("{host}: A {}, AAAA {}", v4.describe(), v6.describe()),
            )
        } else {
            (
                Status::Fail,
                format!("{host} has no A or AAAA record ({})", v4.describe()),
            )
        };
        audit.checks.push(
            Check::new("mx.targets-resolve", status_detail.0, status_detail.1)
                .with_subject(host.clone()),
        );
        audit.hosts.push(MxHost {
            preference: record.preference,
            host: host.clone(),
            addresses,
        });
    }
    audit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on_ready, MxRecord, QueryType, ZoneData, ZoneRecord};

    fn mx(pref: u16, host: &str) -> ZoneRecord {
        ZoneRecord::Mx(MxRecord {
            preference: pref,
            exchange: host.to_string(),
        })
    }

    fn status_of(audit: &MxAudit, id: &str) -> Vec<Status> {
        audit
            .checks
            .iter()
            .filter(|c| c.id == id)
            .map(|c| c.status)
            .collect()
    }

    #[test]
    fn mx_cases() {
        let mut z = ZoneData::new();
        z.add("ok.test", mx(20, "mx2.ok.test"))
            .add("ok.test", mx(10, "mx1.ok.test"))
            .add("mx1.ok.test", ZoneRecord::A("192.0.2.10".parse().unwrap()))
            .add(
                "mx2.ok.test",
                ZoneRecord::Aaaa("2001:db8::25".parse().unwrap()),
            );
        z.add("null.test", mx(0, ""));
        z.add("nomx.test", ZoneRecord::A("192.0.2.20".parse().unwrap()));
        z.add("dangling.test", mx(10, "gone.dangling.test"));
        z.add("alias.test", mx(10, "alias.mx.test"))
            .add("alias.mx.test", ZoneRecord::Cname("real.mx.test".into()))
            .add(
                "alias.mx.test",
                ZoneRecord::A("192.0.2.30".parse().unwrap()),
            );
        z.add_timeout("slow.test", Some(QueryType::Mx));

        let ok = block_on_ready(audit_mx(&z, "ok.test"));
        assert_eq!(status_of(&ok, "mx.present"), [Status::Pass]);
        assert_eq!(ok.hosts[0].host, "mx1.ok.test", "sorted by preference");
        assert_eq!(ok.hosts[1].addresses, ["2001:db8::25"]);
        assert_eq!(
            status_of(&ok, "mx.targets-resolve"),
            [Status::Pass, Status::Pass]
        );
        assert_eq!(status_of(&ok, "mx.no-cname"), [Status::Pass, Status::Pass]);
        assert_eq!(
            status_of(&ok, "mx.no-ip-literal"),
            [Status::Pass, Status::Pass]
        );

        let null = block_on_ready(audit_mx(&z, "null.test"));
        assert!(null.null_mx);
        assert_eq!(status_of(&null, "mx.null"), [Status::Info]);

        let implicit = block_on_ready(audit_mx(&z, "nomx.test"));
        assert!(implicit.implicit);
        assert_eq!(status_of(&implicit, "mx.present"), [Status::Warn]);

        let dangling = block_on_ready(audit_mx(&z, "dangling.test"));
        assert_eq!(status_of(&dangling, "mx.targets-resolve"), [Status::Fail]);

        let alias = block_on_ready(audit_mx(&z, "alias.test"));
        assert_eq!(status_of(&alias, "mx.no-cname"), [Status::Warn]);

        let slow = block_on_ready(audit_mx(&z, "slow.test"));
        assert_eq!(status_of(&slow, "mx.present"), [Status::Error]);

        let none = block_on_ready(audit_mx(&z, "missing.test"));
        assert_eq!(status_of(&none, "mx.present"), [Status::Fail]);
    }
}
