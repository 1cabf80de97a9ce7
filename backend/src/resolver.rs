//! The hickory-resolver 0.26 implementation of `shared`'s DNS lookup trait.
//!
//! Configuration is always explicit: either the name servers given with
//! `--nameserver IP:PORT`, or the system resolver when none are given.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use mxlens_shared::dns::{DnsLookup, DnsOutcome, MxRecord, TlsaRecord};

/// Resolver settings.
#[derive(Debug, Clone)]
pub struct ResolverSettings {
    /// Name servers to ask, in order; empty means the system configuration.
    pub nameservers: Vec<SocketAddr>,
    /// Per-query timeout.
    pub timeout: Duration,
    /// Attempts per query.
    pub attempts: u8,
}

impl Default for ResolverSettings {
    fn default() -> Self {
        ResolverSettings {
            nameservers: Vec::new(),
            timeout: Duration::from_secs(3),
            attempts: 2,
        }
    }
}

/// A [`DnsLookup`] backed by hickory-resolver.
#[derive(Clone)]
pub struct HickoryLookup {
    resolver: TokioResolver,
}

impl std::fmt::Debug for HickoryLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HickoryLookup").finish_non_exhaustive()
    }
}

impl HickoryLookup {
    /// Builds a resolver from explicit settings.
    pub fn new(settings: &ResolverSettings) -> anyhow::Result<Self> {
        let mut builder = if settings.nameservers.is_empty() {
            Resolver::builder_tokio()?
        } else {
            let servers = settings
                .nameservers
                .iter()
                .map(|addr| {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = addr.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = addr.port();
                    NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
                })
                .collect();
            Resolver::builder_with_config(
                ResolverConfig::from_parts(None, vec![], servers),
                TokioRuntimeProvider::default(),
            )
        };
        let opts = builder.options_mut();
        opts.timeout = settings.timeout;
        opts.attempts = usize::from(settings.attempts.max(1));
        // Every audit must see the zone as it is now; and positive_max_ttl = 0
        // would rewrite reported TTLs (TOOLCHAIN.md), so disable the cache instead.
        opts.cache_size = 0;
        opts.ndots = 0;
        opts.edns0 = true;
        Ok(HickoryLookup {
            resolver: builder.build()?,
        })
    }

    async fn query<T>(
        &self,
        name: &str,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> DnsOutcome<T> {
        // Fully qualified: no search-list expansion.
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let outcome = self.query_uncounted(&fqdn, rtype, pick).await;
        crate::metrics::dns_query(match &outcome {
            DnsOutcome::Records(_) => "records",
            DnsOutcome::NoData => "nodata",
            DnsOutcome::NxDomain => "nxdomain",
            DnsOutcome::ServerFailure(_) => "servfail",
            DnsOutcome::Timeout => "timeout",
        });
        outcome
    }

    async fn query_uncounted<T>(
        &self,
        fqdn: &str,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> DnsOutcome<T> {
        match self.resolver.lookup(fqdn, rtype).await {
            Ok(lookup) => {
                let found: Vec<T> = lookup
                    .answers()
                    .iter()
                    .filter(|r| r.record_type() == rtype)
                    .filter_map(|r| pick(&r.data))
                    .collect();
                if found.is_empty() {
                    if let Some(problem) = cname_problem(fqdn, lookup.answers()) {
                        // A loop (or an absurd chain) is a broken zone that
                        // cannot be resolved: a failure, not "no data".
                        return DnsOutcome::ServerFailure(problem);
                    }
                    DnsOutcome::NoData
                } else {
                    DnsOutcome::Records(found)
                }
            }
            Err(e) => classify(e),
        }
    }
}

/// Longest CNAME chain followed (RFC 1034 §3.6.2 sets none; BIND stops
/// after 16 restarts, Unbound after 11).
pub const MAX_CNAME_CHAIN: usize = 16;

/// A CNAME loop or an over-long chain in `answers`, starting at `name`.
fn cname_problem(name: &str, answers: &[hickory_resolver::proto::rr::Record]) -> Option<String> {
    let key = |n: &str| n.trim_end_matches('.').to_ascii_lowercase();
    let aliases: std::collections::HashMap<String, String> = answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::CNAME(c) => Some((key(&r.name.to_ascii()), key(&c.0.to_ascii()))),
            _ => None,
        })
        .collect();
    let mut seen = vec![key(name)];
    while let Some(next) = aliases.get(seen.last()?) {
        if seen.contains(next) {
            seen.push(next.clone());
            return Some(format!("CNAME loop: {}", seen.join(" -> ")));
        }
        seen.push(next.clone());
        if seen.len() > MAX_CNAME_CHAIN + 1 {
            return Some(format!(
                "CNAME chain longer than {MAX_CNAME_CHAIN} from {}",
                seen[0]
            ));
        }
    }
    None
}

/// Maps hickory's errors onto the outcome kinds (TOOLCHAIN.md "How errors look").
fn classify<T>(error: NetError) -> DnsOutcome<T> {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(nr)) => {
            if nr.response_code == ResponseCode::NXDomain {
                DnsOutcome::NxDomain
            } else {
                DnsOutcome::NoData
            }
        }
        NetError::Dns(DnsError::ResponseCode(code)) => DnsOutcome::ServerFailure(code.to_string()),
        NetError::Timeout => DnsOutcome::Timeout,
        other => {
            let text = other.to_string();
            if text.to_ascii_lowercase().contains("timed out") || text.contains("timeout") {
                DnsOutcome::Timeout
            } else {
                DnsOutcome::ServerFailure(text)
            }
        }
    }
}

fn name_text(name: &hickory_resolver::proto::rr::Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

impl DnsLookup for HickoryLookup {
    async fn txt(&self, name: &str) -> DnsOutcome<String> {
        self.query(name, RecordType::TXT, |d| match d {
            RData::TXT(txt) => {
                // RFC 7208 §3.3: join the character-strings with no separator.
                let bytes: Vec<u8> = txt
                    .txt_data
                    .iter()
                    .flat_map(|s| s.iter().copied())
                    .collect();
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            _ => None,
        })
        .await
    }

    async fn a(&self, name: &str) -> DnsOutcome<Ipv4Addr> {
        self.query(name, RecordType::A, |d| match d {
            RData::A(a) => Some(a.0),
            _ => None,
        })
        .await
    }

    async fn aaaa(&self, name: &str) -> DnsOutcome<Ipv6Addr> {
        self.query(name, RecordType::AAAA, |d| match d {
            RData::AAAA(a) => Some(a.0),
            _ => None,
        })
        .await
    }

    async fn mx(&self, name: &str) -> DnsOutcome<MxRecord> {
        self.query(name, RecordType::MX, |d| match d {
            RData::MX(mx) => Some(MxRecord {
                preference: mx.preference,
                exchange: name_text(&mx.exchange),
            }),
            _ => None,
        })
        .await
    }

    async fn ptr(&self, ip: IpAddr) -> DnsOutcome<String> {
        let name = mxlens_shared::dns::ZoneData::reverse_name(ip);
        self.query(&name, RecordType::PTR, |d| match d {
            RData::PTR(p) => Some(name_text(&p.0)),
            _ => None,
        })
        .await
    }

    async fn cname(&self, name: &str) -> DnsOutcome<String> {
        self.query(name, RecordType::CNAME, |d| match d {
            RData::CNAME(c) => Some(name_text(&c.0)),
            _ => None,
        })
        .await
    }

    async fn tlsa(&self, name: &str) -> DnsOutcome<TlsaRecord> {
        self.query(name, RecordType::TLSA, |d| match d {
            RData::TLSA(t) => Some(TlsaRecord {
                usage: u8::from(t.cert_usage),
                selector: u8::from(t.selector),
                matching: u8::from(t.matching),
                data: t.cert_data.clone(),
            }),
            _ => None,
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::rr::rdata::CNAME;
    use hickory_resolver::proto::rr::{Name, Record};

    fn alias(from: &str, to: &str) -> Record {
        Record::from_rdata(
            Name::from_ascii(from).unwrap(),
            300,
            RData::CNAME(CNAME(Name::from_ascii(to).unwrap())),
        )
    }

    #[test]
    fn cname_loops_and_long_chains() {
        let looped = [alias("a.test.", "b.test."), alias("b.test.", "a.test.")];
        assert_eq!(
            cname_problem("a.test.", &looped).as_deref(),
            Some("CNAME loop: a.test -> b.test -> a.test")
        );
        let chain: Vec<Record> = (0..20)
            .map(|i| alias(&format!("c{i}.test."), &format!("c{}.test.", i + 1)))
            .collect();
        assert!(cname_problem("c0.test.", &chain)
            .unwrap()
            .starts_with("CNAME chain longer than 16"));
        assert_eq!(cname_problem("c10.test.", &chain), None, "10 links is fine");
        assert_eq!(cname_problem("x.test.", &[]), None);
    }
}
