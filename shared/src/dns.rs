//! The one way `shared` touches DNS: an async lookup trait.
//!
//! The backend implements [`DnsLookup`] with hickory-resolver; tests
//! implement it with zone data ([`ZoneData`]). Evaluators are generic over
//! it, so the SPF evaluator and the audit planner run the same in both.
//!
//! Outcomes are data: NXDOMAIN and NODATA are answers (findings), and only
//! SERVFAIL/REFUSED and timeouts are infrastructure failures.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The outcome of one DNS query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsOutcome<T> {
    /// One or more records of the asked type.
    Records(Vec<T>),
    /// The name exists but has no records of this type (RCODE 0, empty answer).
    NoData,
    /// The name does not exist (RCODE 3).
    NxDomain,
    /// The server failed or refused (RCODE 2 or 5), with a description.
    ServerFailure(String),
    /// No answer in time.
    Timeout,
}

impl<T> DnsOutcome<T> {
    /// The records, or an empty slice for every other outcome.
    pub fn records(&self) -> &[T] {
        match self {
            DnsOutcome::Records(r) => r,
            _ => &[],
        }
    }

    /// NXDOMAIN or NODATA (or an empty record set): an RFC 7208 §4.6.4 "void lookup".
    pub fn is_void(&self) -> bool {
        match self {
            DnsOutcome::Records(r) => r.is_empty(),
            DnsOutcome::NoData | DnsOutcome::NxDomain => true,
            _ => false,
        }
    }

    /// SERVFAIL, REFUSED or timeout: we could not find out.
    pub fn is_failure(&self) -> bool {
        matches!(self, DnsOutcome::ServerFailure(_) | DnsOutcome::Timeout)
    }

    /// Maps the records.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> DnsOutcome<U> {
        match self {
            DnsOutcome::Records(r) => DnsOutcome::Records(r.into_iter().map(f).collect()),
            DnsOutcome::NoData => DnsOutcome::NoData,
            DnsOutcome::NxDomain => DnsOutcome::NxDomain,
            DnsOutcome::ServerFailure(e) => DnsOutcome::ServerFailure(e),
            DnsOutcome::Timeout => DnsOutcome::Timeout,
        }
    }

    /// A short word for traces and reports.
    pub fn describe(&self) -> String {
        match self {
            DnsOutcome::Records(r) => format!("{} record(s)", r.len()),
            DnsOutcome::NoData => "no records (NODATA)".to_string(),
            DnsOutcome::NxDomain => "NXDOMAIN".to_string(),
            DnsOutcome::ServerFailure(e) => format!("server failure ({e})"),
            DnsOutcome::Timeout => "timeout".to_string(),
        }
    }
}

/// An MX record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxRecord {
    /// Preference; lower first.
    pub preference: u16,
    /// Target host, without trailing dot; `""` for the null MX target `.`.
    pub exchange: String,
}

/// A TLSA record (RFC 6698 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsaRecord {
    /// Certificate usage (0–3).
    pub usage: u8,
    /// Selector (0 full certificate, 1 SubjectPublicKeyInfo).
    pub selector: u8,
    /// Matching type (0 exact, 1 SHA-256, 2 SHA-512).
    pub matching: u8,
    /// The association data.
    pub data: Vec<u8>,
}

/// What the AD (Authentic Data) bit of an answer said (RFC 4035 §3.2.3,
/// RFC 6840 §5.7). A validating recursive resolver sets AD=1 only when it
/// validated every record in the answer (or the denial of existence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnssecStatus {
    /// AD=1: the resolver validated the answer.
    Authenticated,
    /// AD=0: the zone is unsigned, or the resolver does not validate. The AD
    /// bit alone cannot tell these apart.
    Unauthenticated,
}

/// Async DNS lookups. Names are absolute, without trailing dot.
///
/// Implementations decide caching and deduplication. The futures are `Send`
/// so the backend can run lookups on a multi-threaded runtime.
pub trait DnsLookup: Sync {
    /// TXT records, each record's character-strings joined with no separator
    /// (RFC 7208 §3.3). Strings are decoded lossily; use [`DnsLookup::txt_bytes`]
    /// to see raw bytes.
    fn txt(&self, name: &str) -> impl Future<Output = DnsOutcome<String>> + Send;
    /// A records.
    fn a(&self, name: &str) -> impl Future<Output = DnsOutcome<Ipv4Addr>> + Send;
    /// AAAA records.
    fn aaaa(&self, name: &str) -> impl Future<Output = DnsOutcome<Ipv6Addr>> + Send;
    /// MX records.
    fn mx(&self, name: &str) -> impl Future<Output = DnsOutcome<MxRecord>> + Send;
    /// PTR names for an address, without trailing dot.
    fn ptr(&self, ip: IpAddr) -> impl Future<Output = DnsOutcome<String>> + Send;
    /// The CNAME target of `name`, if it is an alias.
    fn cname(&self, name: &str) -> impl Future<Output = DnsOutcome<String>> + Send;
    /// TLSA records.
    fn tlsa(&self, name: &str) -> impl Future<Output = DnsOutcome<TlsaRecord>> + Send;

    /// Whether the name exists, via an A query (the SPF `exists` semantics,
    /// RFC 7208 §5.7).
    fn exists(&self, name: &str) -> impl Future<Output = DnsOutcome<Ipv4Addr>> + Send {
        self.a(name)
    }

    /// The AD bit of the answer to an SOA query for `name`, asked with AD=1
    /// and the EDNS DO bit (RFC 6840 §5.7), so that a validating resolver
    /// reports whether it validated. Any NOERROR answer (with or without an
    /// SOA record, since NODATA may be an authenticated denial) gives one
    /// [`DnssecStatus`]; NXDOMAIN, SERVFAIL and timeouts are outcomes as
    /// usual.
    ///
    /// The default says the lookup cannot report the bit: a server failure,
    /// so the check reports `error`, never a silent pass.
    fn dnssec_status(&self, name: &str) -> impl Future<Output = DnsOutcome<DnssecStatus>> + Send {
        let _ = name;
        std::future::ready(DnsOutcome::ServerFailure(
            "this resolver does not report the AD bit".to_string(),
        ))
    }

    /// Whether the resolver validates DNSSEC at all: the root zone is
    /// signed, so a validating resolver answers its SOA with AD=1 (RFC 4035
    /// §3.2.3) and one that does not validate with AD=0. `None` when the
    /// question could not be asked (a failure, or no AD bit reported). An
    /// implementation may remember the answer: it is the resolver's, not a
    /// zone's.
    fn resolver_validates(&self) -> impl Future<Output = Option<bool>> + Send {
        let status = self.dnssec_status(".");
        async move {
            match status.await {
                DnsOutcome::Records(s) => Some(s.contains(&DnssecStatus::Authenticated)),
                DnsOutcome::NoData => Some(false),
                _ => None,
            }
        }
    }
}

/// A record in [`ZoneData`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneRecord {
    /// TXT (already joined).
    Txt(String),
    /// A.
    A(Ipv4Addr),
    /// AAAA.
    Aaaa(Ipv6Addr),
    /// MX.
    Mx(MxRecord),
    /// PTR (stored under the reverse name).
    Ptr(String),
    /// CNAME.
    Cname(String),
    /// TLSA.
    Tlsa(TlsaRecord),
}

/// Which query a [`ZoneData`] fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryType {
    /// TXT
    Txt,
    /// A
    A,
    /// AAAA
    Aaaa,
    /// MX
    Mx,
    /// PTR
    Ptr,
    /// CNAME
    Cname,
    /// TLSA
    Tlsa,
}

/// In-memory zone data: the lookup implementation for unit tests and the
/// conformance suites. Names are case-insensitive.
#[derive(Debug, Clone, Default)]
pub struct ZoneData {
    records: HashMap<String, Vec<ZoneRecord>>,
    timeouts: HashMap<String, Vec<Option<QueryType>>>,
    /// Zone apexes whose answers carry AD=1 (as if signed and validated).
    authenticated: Vec<String>,
}

impl ZoneData {
    /// An empty zone: every name is NXDOMAIN.
    pub fn new() -> Self {
        Self::default()
    }

    fn key(name: &str) -> String {
        name.trim_end_matches('.').to_ascii_lowercase()
    }

    /// Adds a record. A name that has any record (of any type) exists.
    pub fn add(&mut self, name: &str, record: ZoneRecord) -> &mut Self {
        self.records
            .entry(Self::key(name))
            .or_default()
            .push(record);
        self
    }

    /// Marks a name as existing without records of its own.
    pub fn add_empty(&mut self, name: &str) -> &mut Self {
        self.records.entry(Self::key(name)).or_default();
        self
    }

    /// Marks every name at or below `apex` as DNSSEC-validated: its answers
    /// carry AD=1 (see [`DnsLookup::dnssec_status`]).
    pub fn add_authenticated(&mut self, apex: &str) -> &mut Self {
        self.authenticated.push(Self::key(apex));
        self
    }

    /// Makes queries for `name` time out: all types (`None`) or one.
    pub fn add_timeout(&mut self, name: &str, qtype: Option<QueryType>) -> &mut Self {
        self.timeouts
            .entry(Self::key(name))
            .or_default()
            .push(qtype);
        self
    }

    /// The reverse-lookup name for an IP (`in-addr.arpa` / `ip6.arpa`).
    pub fn reverse_name(ip: IpAddr) -> String {
        match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
            }
            IpAddr::V6(v6) => {
                let mut s = String::with_capacity(72);
                for byte in v6.octets().iter().rev() {
                    s.push_str(&format!("{:x}.{:x}.", byte & 0xf, byte >> 4));
                }
                s.push_str("ip6.arpa");
                s
            }
        }
    }

    /// Answers a query. Like a recursive resolver, it follows CNAME chains
    /// for every type but CNAME itself (RFC 1034 §3.6.2); a chain longer
    /// than 8 aliases (a loop) is a server failure.
    fn query<T>(
        &self,
        name: &str,
        qtype: QueryType,
        pick: impl Fn(&ZoneRecord) -> Option<T>,
    ) -> DnsOutcome<T> {
        let mut key = Self::key(name);
        for _ in 0..=8 {
            if let Some(faults) = self.timeouts.get(&key) {
                if faults.iter().any(|f| f.is_none() || *f == Some(qtype)) {
                    return DnsOutcome::Timeout;
                }
            }
            let Some(records) = self.records.get(&key) else {
                return DnsOutcome::NxDomain;
            };
            let found: Vec<T> = records.iter().filter_map(&pick).collect();
            if !found.is_empty() {
                return DnsOutcome::Records(found);
            }
            let alias = records.iter().find_map(|r| match r {
                ZoneRecord::Cname(target) if qtype != QueryType::Cname => Some(Self::key(target)),
                _ => None,
            });
            match alias {
                Some(target) => key = target,
                None => return DnsOutcome::NoData,
            }
        }
        DnsOutcome::ServerFailure("CNAME chain too long or looping".to_string())
    }
}

impl DnsLookup for ZoneData {
    async fn txt(&self, name: &str) -> DnsOutcome<String> {
        self.query(name, QueryType::Txt, |r| match r {
            ZoneRecord::Txt(t) => Some(t.clone()),
            _ => None,
        })
    }
    async fn a(&self, name: &str) -> DnsOutcome<Ipv4Addr> {
        self.query(name, QueryType::A, |r| match r {
            ZoneRecord::A(a) => Some(*a),
            _ => None,
        })
    }
    async fn aaaa(&self, name: &str) -> DnsOutcome<Ipv6Addr> {
        self.query(name, QueryType::Aaaa, |r| match r {
            ZoneRecord::Aaaa(a) => Some(*a),
            _ => None,
        })
    }
    async fn mx(&self, name: &str) -> DnsOutcome<MxRecord> {
        self.query(name, QueryType::Mx, |r| match r {
            ZoneRecord::Mx(m) => Some(m.clone()),
            _ => None,
        })
    }
    async fn ptr(&self, ip: IpAddr) -> DnsOutcome<String> {
        self.query(&Self::reverse_name(ip), QueryType::Ptr, |r| match r {
            ZoneRecord::Ptr(p) => Some(p.trim_end_matches('.').to_string()),
            _ => None,
        })
    }
    async fn cname(&self, name: &str) -> DnsOutcome<String> {
        self.query(name, QueryType::Cname, |r| match r {
            ZoneRecord::Cname(c) => Some(c.trim_end_matches('.').to_string()),
            _ => None,
        })
    }
    async fn tlsa(&self, name: &str) -> DnsOutcome<TlsaRecord> {
        self.query(name, QueryType::Tlsa, |r| match r {
            ZoneRecord::Tlsa(t) => Some(t.clone()),
            _ => None,
        })
    }
    async fn dnssec_status(&self, name: &str) -> DnsOutcome<DnssecStatus> {
        let key = Self::key(name);
        if let Some(faults) = self.timeouts.get(&key) {
            if !faults.is_empty() {
                return DnsOutcome::Timeout;
            }
        }
        if !self.records.contains_key(&key) {
            return DnsOutcome::NxDomain;
        }
        let signed = self
            .authenticated
            .iter()
            .any(|apex| key == *apex || key.ends_with(&format!(".{apex}")));
        DnsOutcome::Records(vec![if signed {
            DnssecStatus::Authenticated
        } else {
            DnssecStatus::Unauthenticated
        }])
    }
}

/// Runs a future to completion without a runtime. For tests and for callers
/// whose lookups are synchronous underneath (like [`ZoneData`]): the future
/// must not wait on I/O.
pub fn block_on_ready<F: Future>(future: F) -> F::Output {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_outcomes_distinguish_nxdomain_nodata_and_timeout() {
        let mut z = ZoneData::new();
        z.add("Example.COM.", ZoneRecord::Txt("v=spf1 -all".into()));
        z.add_timeout("slow.example", Some(QueryType::Txt));
        assert_eq!(
            block_on_ready(z.txt("example.com")),
            DnsOutcome::Records(vec!["v=spf1 -all".into()])
        );
        assert_eq!(block_on_ready(z.a("example.com")), DnsOutcome::NoData);
        assert_eq!(block_on_ready(z.a("missing.example")), DnsOutcome::NxDomain);
        assert_eq!(block_on_ready(z.txt("slow.example")), DnsOutcome::Timeout);
        assert!(block_on_ready(z.a("missing.example")).is_void());
        assert!(!block_on_ready(z.txt("slow.example")).is_void());
    }

    #[test]
    fn cname_chains_are_followed_and_loops_fail() {
        let mut z = ZoneData::new();
        z.add("a.example", ZoneRecord::Txt("v=spf1 -all".into()));
        z.add("b.example", ZoneRecord::Cname("A.example.".into()));
        z.add("loop.example", ZoneRecord::Cname("loop.example".into()));
        assert_eq!(
            block_on_ready(z.txt("b.example")),
            DnsOutcome::Records(vec!["v=spf1 -all".into()])
        );
        assert_eq!(
            block_on_ready(z.cname("b.example")),
            DnsOutcome::Records(vec!["A.example".into()])
        );
        assert!(block_on_ready(z.a("loop.example")).is_failure());
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            ZoneData::reverse_name("192.0.2.1".parse().unwrap()),
            "1.2.0.192.in-addr.arpa"
        );
        assert!(
            ZoneData::reverse_name("2001:db8::1".parse().unwrap()).starts_with("1.0.0.0.0.0.0.0")
        );
        assert!(ZoneData::reverse_name("2001:db8::1".parse().unwrap())
            .ends_with("8.b.d.0.1.0.0.2.ip6.arpa"));
    }
}
