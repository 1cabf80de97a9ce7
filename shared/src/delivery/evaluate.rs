//! What the receiver evaluates live for a connection, through
//! [`DnsLookup`]: the client IP's reverse DNS, the HELO name, and SPF
//! check_host() for both identities (RFC 7208 §2.3, §2.4). Pure, so tests
//! run it on zone data.

use std::net::IpAddr;

use crate::audit::ptr::{lookup_ptr, PtrResult};
use crate::dns::{DnsLookup, DnsOutcome};
use crate::report::{Check, ConnectionFacts, Status};
use crate::spf::eval::{check_host, sender_and_domain, EvalOptions, SpfOutcome};

/// The live findings for one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The client IP, parsed (`None` when the facts hold no valid IP).
    pub ip: Option<IpAddr>,
    /// PTR names and forward confirmation of the client IP.
    pub ptr: PtrResult,
    /// What the HELO name resolves to.
    pub helo: HeloFinding,
    /// check_host() for the MAIL FROM identity (the HELO identity for the
    /// null reverse-path, RFC 7208 §2.4).
    pub spf_mail_from: Option<SpfOutcome>,
    /// check_host() for the HELO identity, when it is a domain name.
    pub spf_helo: Option<SpfOutcome>,
}

/// The HELO name and what DNS says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeloFinding {
    /// No HELO/EHLO was given.
    Missing,
    /// An address literal, `[192.0.2.1]` or `[IPv6:2001:db8::1]`, and the
    /// address it names (`None` when it does not parse).
    Literal(Option<IpAddr>),
    /// An IP address without the brackets RFC 5321 §4.1.3 requires.
    BareAddress,
    /// A single label or `localhost`: not a fully-qualified domain name.
    NotFqdn,
    /// A domain name and the addresses it resolves to.
    Domain(DnsOutcome<IpAddr>),
}

/// Evaluates the connection described by `facts`. `timestamp` (unix
/// seconds) feeds the SPF `%{t}` macro.
pub async fn evaluate<L: DnsLookup>(
    lookup: &L,
    facts: &ConnectionFacts,
    timestamp: u64,
) -> Evaluation {
    let ip: Option<IpAddr> = facts.client_ip.parse().ok();
    let helo = facts.helo.trim();
    let options = EvalOptions {
        timestamp,
        ..EvalOptions::default()
    };
    let Some(ip) = ip else {
        return Evaluation {
            ip: None,
            ptr: PtrResult::default(),
            helo: HeloFinding::Missing,
            spf_mail_from: None,
            spf_helo: None,
        };
    };
    let helo_is_domain = is_helo_domain(helo);
    let spf_helo_domain = helo.trim_end_matches('.');
    let (ptr, helo_finding, spf_mail_from, spf_helo) = futures::join!(
        lookup_ptr(lookup, ip),
        helo_finding(lookup, helo),
        async {
            let (sender, domain) = sender_and_domain(&facts.mail_from, helo);
            check_host(lookup, ip, &domain, &sender, helo, &options).await
        },
        async {
            if helo_is_domain {
                let sender = format!("postmaster@{spf_helo_domain}");
                Some(check_host(lookup, ip, spf_helo_domain, &sender, helo, &options).await)
            } else {
                None
            }
        },
    );
    Evaluation {
        ip: Some(ip),
        ptr,
        helo: helo_finding,
        spf_mail_from: Some(spf_mail_from),
        spf_helo,
    }
}

fn is_helo_domain(helo: &str) -> bool {
    let name = helo.trim_end_matches('.');
    name.contains('.')
        && name.parse::<IpAddr>().is_err()
        && !name.starts_with('[')
        && crate::delivery::command::is_domain_or_literal(name)
}

async fn helo_finding<L: DnsLookup>(lookup: &L, helo: &str) -> HeloFinding {
    if helo.is_empty() {
        return HeloFinding::Missing;
    }
    if let Some(inner) = helo.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let address = inner.strip_prefix("IPv6:").unwrap_or(inner);
        return HeloFinding::Literal(address.parse().ok());
    }
    if helo.parse::<IpAddr>().is_ok() {
        return HeloFinding::BareAddress;
    }
    let name = helo.trim_end_matches('.');
    if !is_helo_domain(name)
        || name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().starts_with("localhost.")
    {
        return HeloFinding::NotFqdn;
    }
    let (a, aaaa) = futures::join!(lookup.a(name), lookup.aaaa(name));
    let mut addresses: Vec<IpAddr> = a.records().iter().map(|v| IpAddr::V4(*v)).collect();
    addresses.extend(aaaa.records().iter().map(|v| IpAddr::V6(*v)));
    let outcome = if !addresses.is_empty() {
        DnsOutcome::Records(addresses)
    } else if a.is_failure() {
        a.map(IpAddr::V4)
    } else if aaaa.is_failure() {
        aaaa.map(IpAddr::V6)
    } else if matches!(a, DnsOutcome::NxDomain) {
        DnsOutcome::NxDomain
    } else {
        DnsOutcome::NoData
    };
    HeloFinding::Domain(outcome)
}

/// The `delivery.helo` check (RFC 5321 §4.1.1.1, §2.3.5; RFC 7208 §2.3).
pub fn helo_check(facts: &ConnectionFacts, evaluation: &Evaluation) -> Check {
    let id = "delivery.helo";
    let helo = facts.helo.trim();
    let Some(ip) = evaluation.ip else {
        return Check::new(id, Status::NotTested, "the client address is unknown");
    };
    let spf = evaluation
        .spf_helo
        .as_ref()
        .map(|o| {
            format!(
                "; SPF for the HELO identity: {} ({})",
                o.result.as_str(),
                o.reason
            )
        })
        .unwrap_or_default();
    let ptr_match = evaluation.ptr.names.iter().any(|n| {
        n.trim_end_matches('.')
            .eq_ignore_ascii_case(helo.trim_end_matches('.'))
    });
    let (status, detail) = match &evaluation.helo {
        HeloFinding::Missing => (Status::Fail, "the client sent no EHLO or HELO".to_string()),
        HeloFinding::Literal(Some(named)) if *named == ip => (
            Status::Warn,
            format!("HELO {helo} is an address literal of the client {ip}: allowed only for a host without a name (RFC 5321 §4.1.4), and many receivers score it as spam"),
        ),
        HeloFinding::Literal(_) => (
            Status::Fail,
            format!("HELO {helo} is an address literal that is not the client's address {ip}"),
        ),
        HeloFinding::BareAddress => (
            Status::Fail,
            format!("HELO {helo} is an IP address without the brackets of an address literal (RFC 5321 §4.1.3)"),
        ),
        HeloFinding::NotFqdn => (
            Status::Fail,
            format!("HELO {helo} is not a fully-qualified domain name (RFC 5321 §4.1.1.1)"),
        ),
        HeloFinding::Domain(DnsOutcome::Records(addresses)) if addresses.contains(&ip) => (
            Status::Pass,
            format!(
                "HELO {helo} resolves to the client {ip}{}{spf}",
                if ptr_match { " and matches its PTR" } else { "" }
            ),
        ),
        HeloFinding::Domain(_) if ptr_match => (
            Status::Pass,
            format!("HELO {helo} is the PTR name of the client {ip}{spf}"),
        ),
        HeloFinding::Domain(DnsOutcome::Records(addresses)) => (
            Status::Warn,
            format!(
                "HELO {helo} resolves to {}, not to the client {ip}, and is not its PTR name{spf}",
                addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
            ),
        ),
        HeloFinding::Domain(outcome @ (DnsOutcome::NxDomain | DnsOutcome::NoData)) => (
            Status::Warn,
            format!("HELO {helo} does not resolve ({}){spf}", outcome.describe()),
        ),
        HeloFinding::Domain(failure) => (
            Status::Error,
            format!("HELO {helo} could not be resolved: {}{spf}", failure.describe()),
        ),
    };
    let check = Check::new(id, status, detail).with_subject(helo.to_string());
    if matches!(status, Status::Fail | Status::Warn) {
        check.with_fix("Greet with the sending host's public name: one that resolves to the sending IP and is its PTR name.")
    } else {
        check
    }
}

/// The `delivery.tls` check (RFC 3207; RFC 8996 deprecates TLS 1.0/1.1).
pub fn tls_check(facts: &ConnectionFacts) -> Check {
    let id = "delivery.tls";
    if !facts.starttls_offered {
        return Check::new(
            id,
            Status::NotTested,
            "this receiver has no TLS certificate configured, so it did not offer STARTTLS: whether the sender uses TLS was not tested",
        );
    }
    if !facts.starttls {
        return Check::new(
            id,
            Status::Fail,
            "the sender delivered in clear text although the receiver offered STARTTLS",
        )
        .with_fix("Enable opportunistic TLS in the sending MTA (Postfix `smtp_tls_security_level = may`).");
    }
    let version = facts.tls_version.as_deref().unwrap_or("unknown version");
    let cipher = facts.tls_cipher.as_deref().unwrap_or("unknown cipher");
    let old = matches!(version, "TLSv1.0" | "TLSv1.1" | "SSLv3");
    Check::new(
        id,
        if old { Status::Fail } else { Status::Pass },
        format!("STARTTLS with {version}, {cipher}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on_ready, ZoneData, ZoneRecord};

    fn facts(helo: &str) -> ConnectionFacts {
        ConnectionFacts {
            client_ip: "192.0.2.25".into(),
            helo: helo.into(),
            mail_from: "bounce@sender.test".into(),
            ..ConnectionFacts::default()
        }
    }

    #[test]
    fn helo_verdicts() {
        let mut zone = ZoneData::new();
        zone.add(
            "out.sender.test",
            ZoneRecord::A("192.0.2.25".parse().unwrap()),
        )
        .add(
            "other.sender.test",
            ZoneRecord::A("192.0.2.99".parse().unwrap()),
        )
        .add("ptronly.sender.test", ZoneRecord::Txt("x".into()))
        .add(
            "25.2.0.192.in-addr.arpa",
            ZoneRecord::Ptr("ptronly.sender.test".into()),
        )
        .add(
            "sender.test",
            ZoneRecord::Txt("v=spf1 ip4:192.0.2.0/24 -all".into()),
        )
        .add("out.sender.test", ZoneRecord::Txt("v=spf1 a -all".into()));
        let cases = [
            ("out.sender.test", Status::Pass),
            ("ptronly.sender.test", Status::Pass),
            ("other.sender.test", Status::Warn),
            ("missing.sender.test", Status::Warn),
            ("[192.0.2.25]", Status::Warn),
            ("[IPv6:2001:db8::1]", Status::Fail),
            ("192.0.2.25", Status::Fail),
            ("localhost", Status::Fail),
            ("mailhost", Status::Fail),
            ("", Status::Fail),
        ];
        for (helo, want) in cases {
            let f = facts(helo);
            let e = block_on_ready(evaluate(&zone, &f, 0));
            let check = helo_check(&f, &e);
            assert_eq!(check.status, want, "{helo:?}: {check:?}");
        }
        let f = facts("out.sender.test");
        let e = block_on_ready(evaluate(&zone, &f, 0));
        assert_eq!(e.spf_mail_from.as_ref().unwrap().result.as_str(), "pass");
        assert_eq!(e.spf_helo.as_ref().unwrap().result.as_str(), "pass");
        assert!(helo_check(&f, &e)
            .detail
            .contains("SPF for the HELO identity: pass"));
    }

    #[test]
    fn tls_verdicts() {
        let mut f = facts("x.test");
        assert_eq!(tls_check(&f).status, Status::NotTested);
        f.starttls_offered = true;
        assert_eq!(tls_check(&f).status, Status::Fail);
        f.starttls = true;
        f.tls_version = Some("TLSv1.3".into());
        assert_eq!(tls_check(&f).status, Status::Pass);
        f.tls_version = Some("TLSv1.1".into());
        assert_eq!(tls_check(&f).status, Status::Fail);
    }
}
