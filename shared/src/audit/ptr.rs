//! Reverse DNS with forward confirmation (FCrDNS): the PTR names of an IP,
//! and whether one of them resolves back to the same IP.

use std::net::IpAddr;

use crate::dns::{DnsLookup, DnsOutcome};
use crate::report::{ids, Check, PtrFacts, PtrRole, Status};

/// What the PTR lookup found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PtrResult {
    /// PTR names (no trailing dot).
    pub names: Vec<String>,
    /// The PTR names whose A/AAAA include the IP.
    pub confirmed: Vec<String>,
    /// A lookup failed (timeout/SERVFAIL) so the answer is unknown.
    pub failed: Option<String>,
}

/// Looks up PTR for `ip`, then A/AAAA for each name (concurrently, at most
/// 10 names, like RFC 7208 §5.5's limit) to confirm it.
pub async fn lookup_ptr<L: DnsLookup>(lookup: &L, ip: IpAddr) -> PtrResult {
    let mut result = PtrResult::default();
    match lookup.ptr(ip).await {
        DnsOutcome::Records(names) => result.names = names,
        DnsOutcome::NoData | DnsOutcome::NxDomain => return result,
        failure => {
            result.failed = Some(failure.describe());
            return result;
        }
    }
    let forward = futures::future::join_all(result.names.iter().take(10).map(|name| async move {
        let found = match ip {
            IpAddr::V4(v4) => {
                let a = lookup.a(name).await;
                (a.records().contains(&v4), a.is_failure())
            }
            IpAddr::V6(v6) => {
                let a = lookup.aaaa(name).await;
                (a.records().contains(&v6), a.is_failure())
            }
        };
        (name.clone(), found)
    }))
    .await;
    for (name, (matches, failed)) in forward {
        if matches {
            result.confirmed.push(name);
        } else if failed && result.failed.is_none() {
            result.failed = Some(format!("forward lookup of {name} failed"));
        }
    }
    result
}

impl PtrResult {
    /// The `domain.ptr` entry of this lookup: an MX address (with the MX
    /// `host`) or the sending IP.
    pub fn facts(&self, ip: IpAddr, role: PtrRole, host: Option<&str>) -> PtrFacts {
        PtrFacts {
            ip: ip.to_string(),
            role,
            host: host.map(str::to_string),
            names: self.names.clone(),
            confirmed: self.confirmed.clone(),
            error: self.failed.clone(),
        }
    }
}

/// The check of one `domain.ptr` entry: `mx.ptr` about "<host> (<ip>)" for
/// an MX address, `sender.ptr` about "sending IP <ip>" for the sending IP.
/// Pass when a PTR name resolves back to the address (forward-confirmed
/// reverse DNS), error when a lookup failed, fail otherwise. The audit and
/// the combined report's `bulk.ptr` both call it, so they agree.
pub fn ptr_check(facts: &PtrFacts) -> Check {
    let (id, subject) = match (facts.role, facts.host.as_deref()) {
        (PtrRole::Mx, Some(host)) => (ids::MX_PTR, format!("{host} ({})", facts.ip)),
        _ => (ids::SENDER_PTR, format!("sending IP {}", facts.ip)),
    };
    let ip = facts.ip.as_str();
    let (status, detail) = if !facts.confirmed.is_empty() {
        (
            Status::Pass,
            format!(
                "{ip} → {} → {ip} (forward-confirmed)",
                facts.confirmed.join(", ")
            ),
        )
    } else if let Some(err) = &facts.error {
        (
            Status::Error,
            format!("reverse DNS for {ip} could not be checked: {err}"),
        )
    } else if facts.names.is_empty() {
        (Status::Fail, format!("{ip} has no PTR record"))
    } else {
        (
            Status::Fail,
            format!(
                "{ip} has PTR {}, but that name does not resolve back to {ip}",
                facts.names.join(", ")
            ),
        )
    };
    let mut check = Check::new(id, status, detail).with_subject(subject);
    if status == Status::Fail {
        check = check.with_fix(format!(
            "Ask the owner of {ip} to set its PTR to the server's host name, and give that name an A/AAAA record pointing to {ip}."
        ));
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on_ready, ZoneData, ZoneRecord};

    #[test]
    fn fcrdns_cases() {
        let good: IpAddr = "192.0.2.10".parse().unwrap();
        let lying: IpAddr = "192.0.2.11".parse().unwrap();
        let none: IpAddr = "192.0.2.12".parse().unwrap();
        let mut z = ZoneData::new();
        z.add(
            &ZoneData::reverse_name(good),
            ZoneRecord::Ptr("mx1.shop.test.".into()),
        )
        .add(
            "mx1.shop.test",
            ZoneRecord::A("192.0.2.10".parse().unwrap()),
        )
        .add(
            &ZoneData::reverse_name(lying),
            ZoneRecord::Ptr("bank.test".into()),
        )
        .add("bank.test", ZoneRecord::A("198.51.100.1".parse().unwrap()));
        let s = |ip| {
            let facts = block_on_ready(lookup_ptr(&z, ip)).facts(ip, PtrRole::Mx, Some("x"));
            ptr_check(&facts).status
        };
        assert_eq!(s(good), Status::Pass);
        assert_eq!(s(lying), Status::Fail);
        assert_eq!(s(none), Status::Fail);
    }
}
