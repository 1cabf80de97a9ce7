//! The outbound connection policy. Users choose the domain, so they choose
//! where the server connects: refuse every non-public address unless an
//! operator opened its range with `--allow-target`, and connect to exactly
//! the IP that was checked. `--connect-to` redirects a probe like curl's.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;

/// curl-style `HOST:PORT:ADDR:PORT`: connecting to HOST:PORT goes to ADDR:PORT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    /// Host name or IP being probed (lower case); empty matches any.
    pub host: String,
    /// Port being probed; `None` matches any.
    pub port: Option<u16>,
    /// Where to connect instead.
    pub addr: IpAddr,
    /// Port to connect to instead.
    pub to_port: u16,
}

impl FromStr for ConnectTo {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("--connect-to wants HOST:PORT:ADDR:PORT, got \"{s}\"");
        // Split off the last port, then the address (maybe [v6]).
        let (rest, to_port) = s.rsplit_once(':').ok_or_else(bad)?;
        let to_port: u16 = to_port.parse().map_err(|_| bad())?;
        let (rest, addr) = if let Some(stripped) = rest.strip_suffix(']') {
            let open = stripped.rfind('[').ok_or_else(bad)?;
            let addr = &stripped[open + 1..];
            let rest = stripped[..open].strip_suffix(':').ok_or_else(bad)?;
            (rest, addr)
        } else {
            rest.rsplit_once(':').ok_or_else(bad)?
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
        let port = if port.is_empty() {
            None
        } else {
            Some(port.parse().map_err(|_| bad())?)
        };
        Ok(ConnectTo {
            host: host
                .trim_matches(['[', ']'])
                .trim_end_matches('.')
                .to_ascii_lowercase(),
            port,
            addr,
            to_port,
        })
    }
}

/// Why an address is refused.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4).map(|_| "IPv4-mapped address of a non-public range");
            }
            let seg = v6.segments();
            // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052) and local-use 64:ff9b:1::/48 (RFC 8215).
            if seg[0] == 0x64 && seg[1] == 0xff9b {
                let embedded = Ipv4Addr::new(
                    (seg[6] >> 8) as u8,
                    seg[6] as u8,
                    (seg[7] >> 8) as u8,
                    seg[7] as u8,
                );
                if seg[2] == 1 || forbidden_v4(embedded).is_some() {
                    return Some("NAT64 address embedding a non-public IPv4 address");
                }
            }
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified address")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if (seg[0] & 0xfe00) == 0xfc00 {
                Some("unique local address (private)")
            } else if (seg[0] & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if seg[0] == 0x2001 && seg[1] == 0x0db8 {
                Some("documentation range (2001:db8::/32)")
            } else if v6.to_ipv4().is_some() {
                Some("IPv4-compatible address")
            } else if seg[0] == 0x0100 && seg[1..4] == [0, 0, 0] {
                Some("discard-only range (100::/64)")
            } else if seg[0] == 0x2002 || (seg[0] == 0x2001 && seg[1] == 0) {
                Some("6to4/Teredo tunnel address")
            } else {
                forbidden_v6_special(seg)
            }
        }
    }
}

/// IPv6 as an allow-list (#19 L6): only global unicast `2000::/3`
/// (RFC 4291 §2.4), minus the blocks of the IANA IPv6 Special-Purpose
/// Address Registry that are not globally reachable.
fn forbidden_v6_special(seg: [u16; 8]) -> Option<&'static str> {
    // NAT64 64:ff9b::/96 (RFC 6052) to a public IPv4 address: checked above.
    let nat64 = seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0];
    if seg[0] & 0xe000 != 0x2000 && !nat64 {
        // fec0::/10 (deprecated site-local, RFC 3879), and every other
        // block outside global unicast.
        return Some("not a global unicast address (outside 2000::/3)");
    }
    // 2001::/23 IETF protocol assignments (RFC 2928), except its globally
    // reachable blocks: AMT 2001:3::/32 (RFC 7450), AS112-v6 2001:4:112::/48
    // (RFC 7535) and DRIP 2001:30::/28 (RFC 9374). It holds benchmarking
    // 2001:2::/48 (RFC 5180) and ORCHID 2001:10::/28, 2001:20::/28.
    if seg[0] == 0x2001 && seg[1] < 0x0200 {
        let global = seg[1] == 0x0003
            || (seg[1] == 0x0004 && seg[2] == 0x0112)
            || (seg[1] & 0xfff0) == 0x0030;
        if !global {
            return Some("IETF protocol assignment (2001::/23), not globally reachable");
        }
    }
    if seg[0] == 0x3fff && seg[1] < 0x1000 {
        return Some("documentation range (3fff::/20, RFC 9637)");
    }
    if seg[0] == 0x5f00 {
        return Some("SRv6 SIDs (5f00::/16, RFC 9602)");
    }
    None
}

fn forbidden_v4(v4: Ipv4Addr) -> Option<&'static str> {
    let o = v4.octets();
    if v4.is_loopback() {
        Some("loopback")
    } else if v4.is_private() {
        Some("private range (RFC 1918)")
    } else if v4.is_link_local() {
        Some("link-local")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("carrier-grade NAT (100.64.0.0/10)")
    } else if v4.is_multicast() {
        Some("multicast")
    } else if v4.is_broadcast() || o[0] >= 240 {
        Some("reserved range (240.0.0.0/4)")
    } else if v4.is_unspecified() || o[0] == 0 {
        Some("\"this network\" (0.0.0.0/8)")
    } else if v4.is_documentation() {
        Some("documentation range")
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        Some("IETF protocol assignments (192.0.0.0/24)")
    } else if o[0] == 198 && (o[1] & 0xfe) == 18 {
        Some("benchmarking range (198.18.0.0/15)")
    } else if o[0] == 192 && o[1] == 88 && o[2] == 99 {
        Some("deprecated 6to4 relay anycast (192.88.99.0/24, RFC 7526)")
    } else {
        None
    }
}

/// The policy every outbound connection (SMTP probe, MTA-STS and BIMI
/// fetches) goes through.
#[derive(Debug, Clone, Default)]
pub struct ConnectPolicy {
    /// Ranges opened with `--allow-target`.
    pub allow: Vec<IpNet>,
    /// `--connect-to` overrides.
    pub connect_to: Vec<ConnectTo>,
}

/// A refused connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused to connect to {ip}: {reason} (open it with --allow-target)")]
pub struct Refused {
    /// The address.
    pub ip: IpAddr,
    /// Why.
    pub reason: &'static str,
}

impl ConnectPolicy {
    /// Decides where connecting to `host` (resolved to `ip`) on `port` goes.
    /// The guard judges the address that was resolved, before any override;
    /// overrides are for tests and operators pointing a probe at a local peer.
    pub fn target(&self, host: &str, ip: IpAddr, port: u16) -> Result<SocketAddr, Refused> {
        if !self.allow.iter().any(|net| net.contains(&ip)) {
            if let Some(reason) = forbidden_reason(ip) {
                return Err(Refused { ip, reason });
            }
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let ip_text = ip.to_string();
        for rule in &self.connect_to {
            let host_ok = rule.host.is_empty() || rule.host == host || rule.host == ip_text;
            if host_ok && rule.port.is_none_or(|p| p == port) {
                return Ok(SocketAddr::new(rule.addr, rule.to_port));
            }
        }
        Ok(SocketAddr::new(ip, port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_public_ranges() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b::7f00:1",
            // #19 L6: the review's gaps.
            "fec0::1",
            "3fff::1",
            "3fff:fff::1",
            "2001:2::1",
            "2001:10::1",
            "2001:20::1",
            "2001:1::1",
            "5f00::1",
            "192.88.99.1",
            "4000::1",
            "1000::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(forbidden_reason(ip).is_some(), "{ip} was allowed");
        }
        for ip in [
            "8.8.8.8",
            "2a00:1450:4001::1",
            "64:ff9b::808:808",
            "1.1.1.1",
            "2001:3::1",
            "2001:4:112::1",
            "2001:30::1",
            "2001:200::1",
            "2620:4f:8000::1",
            "3fff:1000::1",
            "2c0f:f248::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(forbidden_reason(ip), None, "{ip} was refused");
        }
    }

    #[test]
    fn allow_target_and_connect_to() {
        let policy = ConnectPolicy {
            allow: vec!["192.0.2.0/24".parse().unwrap()],
            connect_to: vec!["mx.example.test:25:127.0.0.1:2525".parse().unwrap()],
        };
        let ip: IpAddr = "192.0.2.10".parse().unwrap();
        assert_eq!(
            policy.target("MX.example.test.", ip, 25).unwrap(),
            "127.0.0.1:2525".parse().unwrap()
        );
        assert_eq!(
            policy.target("other.test", ip, 25).unwrap(),
            "192.0.2.10:25".parse().unwrap()
        );
        assert!(policy
            .target("mx.example.test", "127.0.0.1".parse().unwrap(), 25)
            .is_err());
    }

    #[test]
    fn connect_to_syntax() {
        let v6: ConnectTo = "mx.test::[::1]:2525".parse().unwrap();
        assert_eq!(v6.port, None);
        assert_eq!(v6.addr, "::1".parse::<IpAddr>().unwrap());
        assert!("nonsense".parse::<ConnectTo>().is_err());
        assert!("a:25:notanip:25".parse::<ConnectTo>().is_err());
    }
}
