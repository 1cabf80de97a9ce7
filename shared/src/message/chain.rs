//! The Received chain: hops oldest first, per-hop and total delay, clock
//! skew, and the sending IP.
//!
//! Each relay prepends its Received field (RFC 5321 §4.4), so the fields
//! read bottom-up give the route. A negative delay between two hops means
//! one server's clock is wrong, not that mail travelled back in time.

use std::net::IpAddr;

use super::input::{Diagnostic, ParsedInput, Span};
use super::received::{lint_received, Host, Received};
use crate::org_domain::organizational_domain;
use crate::report::Hop;

/// One hop, with its parse and where its field sits.
#[derive(Debug, Clone)]
pub struct ChainHop<'a> {
    /// The report view of the hop.
    pub hop: Hop,
    /// The full parse.
    pub received: Received<'a>,
    /// The Received field in the input.
    pub span: Span,
    /// What the Received parser found missing or odd (spans relative to the
    /// field value; add `value_span.start` for input offsets).
    pub diagnostics: Vec<Diagnostic>,
}

/// The ordered chain.
#[derive(Debug, Clone, Default)]
pub struct Chain<'a> {
    /// Hops, oldest first.
    pub hops: Vec<ChainHop<'a>>,
    /// Newest timestamp minus oldest, when two hops carry one.
    pub total_delay_seconds: Option<i64>,
    /// The IP the receiving side judged: the first hop outside the sender's
    /// own network.
    pub sending_ip: Option<IpAddr>,
    /// Index in `hops` of the hop whose client is `sending_ip`.
    pub sending_hop: Option<usize>,
    /// How the sending IP was found, in words.
    pub sending_ip_source: Option<&'static str>,
}

/// True for addresses that never face the Internet: private (RFC 1918),
/// shared CGNAT (RFC 6598), loopback, link-local, unique-local (RFC 4193)
/// and unspecified.
pub fn is_internal_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_ip(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The host as the report shows it: a name as written (copied, without a
/// trip through `Display`), an address in its canonical text.
fn host_text(host: &Option<Host>) -> Option<String> {
    host.as_ref().map(|host| match host {
        Host::Name(name) => (*name).to_string(),
        Host::Ip(ip) => ip.to_string(),
    })
}

/// Builds the chain from the Received fields. `receiver_id` is the trusted
/// Authentication-Results authserv-id (it names the receiving ADMD);
/// `spf_client_ip` the `client-ip` of the topmost Received-SPF.
pub fn build_chain<'a>(
    input: &'a ParsedInput<'_>,
    receiver_id: Option<&str>,
    spf_client_ip: Option<IpAddr>,
) -> Chain<'a> {
    let fields: Vec<_> = input.all("received").collect();
    let mut hops: Vec<ChainHop> = fields
        .iter()
        .rev()
        .map(|field| {
            let (received, diagnostics) = lint_received(&field.value);
            let ip = received.client_ip();
            let hop = Hop {
                from: host_text(&received.from),
                by: host_text(&received.by),
                ip: ip.map(|ip| ip.to_string()),
                with: received.with.map(|p| p.as_str().to_string()),
                tls: received.tls(),
                timestamp: received.date.map(|d| d.to_rfc3339()),
                delay_seconds: None,
                iprev: received.from_iprev.map(str::to_string),
                helo: host_text(&received.helo),
                id: received.id.map(str::to_string),
                tls_version: received.tls_version.map(|v| v.as_str().to_string()),
                tls_cipher: received.tls_cipher.map(str::to_string),
                unix_seconds: received.date.map(|d| d.unix_seconds()),
                internal: ip.is_some_and(is_internal_ip),
            };
            ChainHop {
                hop,
                received,
                span: field.span,
                diagnostics,
            }
        })
        .collect();

    let mut previous: Option<i64> = None;
    let mut first: Option<i64> = None;
    let mut last: Option<i64> = None;
    for h in &mut hops {
        if let Some(t) = h.hop.unix_seconds {
            if let Some(p) = previous {
                h.hop.delay_seconds = Some(t - p);
            }
            previous = Some(t);
            first.get_or_insert(t);
            last = Some(t);
        }
    }
    let total_delay_seconds = match (first, last) {
        (Some(a), Some(b)) if hops.iter().filter(|h| h.hop.unix_seconds.is_some()).count() > 1 => {
            Some(b - a)
        }
        _ => None,
    };

    let public = |h: &ChainHop| h.received.client_ip().is_some_and(|ip| !is_internal_ip(ip));
    let mut sending_hop = None;
    let mut source = None;
    // 1. The hop where the receiving ADMD took the message over.
    if let Some(receiver) = receiver_id.filter(|r| r.contains('.')) {
        let receiver_org = organizational_domain(receiver);
        sending_hop = hops.iter().position(|h| {
            public(h)
                && matches!(&h.received.by, Some(Host::Name(by)) if organizational_domain(by) == receiver_org)
        });
        if sending_hop.is_some() {
            source = Some("client of the receiving server named in Authentication-Results");
        }
    }
    // 2. The client IP the receiver's SPF check used.
    if sending_hop.is_none() {
        if let Some(ip) = spf_client_ip {
            sending_hop = hops.iter().position(|h| h.received.client_ip() == Some(ip));
            source = Some("client-ip of Received-SPF");
            if sending_hop.is_none() {
                return Chain {
                    hops,
                    total_delay_seconds,
                    sending_ip: Some(ip),
                    sending_hop: None,
                    sending_ip_source: source,
                };
            }
        }
    }
    // 3. The oldest public client that is not a user's authenticated
    // submission (ESMTPA/ESMTPSA, webmail): its IP belongs to the sender's
    // first relay on the Internet.
    if sending_hop.is_none() {
        sending_hop = hops
            .iter()
            .position(|h| public(h) && !h.received.with.is_some_and(|p| p.is_submission()));
        if sending_hop.is_some() {
            source = Some("first public relay, skipping private, loopback and link-local hops");
        }
    }
    let sending_ip = sending_hop.and_then(|i| hops[i].received.client_ip());
    Chain {
        hops,
        total_delay_seconds,
        sending_ip,
        sending_hop,
        sending_ip_source: source.filter(|_| sending_ip.is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::input::parse_input;

    const RAW: &str = "Received: by 2002:a05:6a10:1234 with SMTP id z1csp1; Tue, 1 Jul 2025 10:00:04 -0700 (PDT)\nReceived: from mail.example.com (mail.example.com [203.0.113.5]) by mx.google.com with ESMTPS id a1 (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Tue, 01 Jul 2025 10:00:02 -0700 (PDT)\nReceived: from [192.168.1.20] (unknown [198.51.100.7]) by mail.example.com (Postfix) with ESMTPSA id 4B; Tue,  1 Jul 2025 17:00:01 +0000 (UTC)\nReceived: from app (localhost [127.0.0.1]) by mail.example.com (Postfix) with ESMTP id 4A; Tue,  1 Jul 2025 17:10:00 +0000 (UTC)\n\n";

    #[test]
    fn orders_times_and_finds_sender() {
        let input = parse_input(RAW.as_bytes());
        let chain = build_chain(&input, Some("mx.google.com"), None);
        assert_eq!(chain.hops.len(), 4);
        assert_eq!(chain.hops[0].hop.ip.as_deref(), Some("127.0.0.1"));
        assert!(chain.hops[0].hop.internal);
        assert_eq!(chain.hops[1].hop.delay_seconds, Some(-599), "clock skew");
        assert_eq!(chain.hops[2].hop.tls, Some(true));
        assert_eq!(chain.sending_ip, Some("203.0.113.5".parse().unwrap()));
        assert_eq!(chain.sending_hop, Some(2));
        assert_eq!(chain.total_delay_seconds, Some(-596));

        // Without a receiver id: skip the ESMTPSA submission from the
        // user's home IP.
        let chain = build_chain(&input, None, None);
        assert_eq!(chain.sending_ip, Some("203.0.113.5".parse().unwrap()));
    }

    #[test]
    fn internal_ranges() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.0.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["203.0.113.5", "8.8.8.8", "2001:4860::1"] {
            assert!(!is_internal_ip(ip.parse().unwrap()), "{ip}");
        }
    }
}
