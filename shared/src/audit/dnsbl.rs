//! DNS blocklists (RFC 5782): query `<reversed-ip>.<list>` for A records.
//! An answer in 127.0.0.0/8 means listed, except Spamhaus's 127.255.255.0/24
//! return codes, which mean the query itself was refused (public resolver,
//! rate limit): those are errors, never listings.

use std::net::{IpAddr, Ipv4Addr};

use crate::dns::{DnsLookup, DnsOutcome};
use crate::report::{Check, Status};

/// The blocklists queried when none are configured.
pub const DEFAULT_LISTS: &[&str] = &[
    "zen.spamhaus.org",
    "bl.spamcop.net",
    "b.barracudacentral.org",
];

/// The query name for `ip` on `list` (RFC 5782 §2.1, §2.4 nibble format for IPv6).
pub fn query_name(ip: IpAddr, list: &str) -> String {
    let reverse = crate::dns::ZoneData::reverse_name(ip);
    let stem = reverse
        .trim_end_matches(".in-addr.arpa")
        .trim_end_matches(".ip6.arpa");
    format!("{stem}.{}", list.trim_end_matches('.'))
}

fn is_spamhaus_error(a: &Ipv4Addr) -> bool {
    let o = a.octets();
    o[0] == 127 && o[1] == 255 && o[2] == 255
}

/// Queries `list` for `ip` and returns the `dnsbl.listed` check.
pub async fn check_listed<L: DnsLookup>(lookup: &L, ip: IpAddr, list: &str) -> Check {
    let name = query_name(ip, list);
    let subject = format!("{ip} on {list}");
    let outcome = lookup.a(&name).await;
    let (status, detail) = match &outcome {
        DnsOutcome::NxDomain | DnsOutcome::NoData => (Status::Pass, format!("{ip} is not listed on {list}")),
        DnsOutcome::Records(answers) if answers.iter().any(is_spamhaus_error) => (
            Status::Error,
            format!(
                "{list} refused the query (answer {}): the resolver is blocked or rate limited, so the listing is unknown",
                answers.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
            ),
        ),
        DnsOutcome::Records(answers) if answers.iter().all(|a| a.octets()[0] == 127) => {
            let txt = lookup.txt(&name).await;
            let reason = txt.records().first().map(|t| format!(" — {t}")).unwrap_or_default();
            (
                Status::Fail,
                format!(
                    "{ip} is listed on {list} ({}){reason}",
                    answers.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
                ),
            )
        }
        DnsOutcome::Records(answers) => (
            Status::Error,
            format!(
                "{list} answered outside 127.0.0.0/8 ({}): not a valid DNSBL answer (RFC 5782 §2.3)",
                answers.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
            ),
        ),
        failure => (Status::Error, format!("{list} could not be queried: {}", failure.describe())),
    };
    Check::new("dnsbl.listed", status, detail).with_subject(subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on_ready, ZoneData, ZoneRecord};

    #[test]
    fn listed_clean_and_spamhaus_error() {
        let ip: IpAddr = "192.0.2.99".parse().unwrap();
        let mut z = ZoneData::new();
        z.add(
            "99.2.0.192.bl.test",
            ZoneRecord::A("127.0.0.2".parse().unwrap()),
        );
        z.add(
            "99.2.0.192.zen.test",
            ZoneRecord::A("127.255.255.254".parse().unwrap()),
        );
        assert_eq!(query_name(ip, "bl.test"), "99.2.0.192.bl.test");
        assert_eq!(
            block_on_ready(check_listed(&z, ip, "bl.test")).status,
            Status::Fail
        );
        assert_eq!(
            block_on_ready(check_listed(&z, ip, "zen.test")).status,
            Status::Error
        );
        assert_eq!(
            block_on_ready(check_listed(&z, ip, "clean.test")).status,
            Status::Pass
        );
        assert!(query_name("2001:db8::1".parse().unwrap(), "bl.test")
            .ends_with("8.b.d.0.1.0.0.2.bl.test"));
    }
}
