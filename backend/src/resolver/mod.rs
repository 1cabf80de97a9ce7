//! `shared`'s DNS lookup trait over our own lean stub resolver: questions
//! encoded and answers decoded with hickory-proto, sent over a pool of
//! long-lived UDP sockets ([`transport`]), and read with hickory-resolver
//! 0.26's rules ([`chase`]), which this crate used before: every outcome
//! (records, NODATA, NXDOMAIN, SERVFAIL, timeout, CNAME chains, RFC 6761
//! names, `/etc/hosts`) is classified as it was. hickory-resolver's own
//! query path opened a socket per query and cost about 95 µs of CPU per
//! query in a batch (issue #17).
//!
//! Configuration is always explicit: either the name servers given with
//! `--nameserver IP:PORT`, or the system resolver's when none are given.
//!
//! Every query, from every audit in the process, takes a permit from one
//! semaphore shared by all clones of a [`HickoryLookup`]: a global bound on
//! in-flight DNS queries (`--dns-concurrency`). The same question asked by
//! several audits at once goes out once.
//!
//! The DNSSEC status is read from the AD bit of a query sent with AD=1 and
//! the EDNS DO bit (RFC 6840 §5.7).

mod chase;
pub mod transport;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt, Shared};
use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use hickory_resolver::Hosts;
use mxlens_shared::dns::{DnsLookup, DnsOutcome, DnssecStatus, MxRecord, TlsaRecord};
use tokio::sync::Semaphore;

use chase::Resolved;
use transport::{Failure, QueryFlags, Question, Transport};

/// Resolver settings.
#[derive(Debug, Clone)]
pub struct ResolverSettings {
    /// Name servers to ask, in order; empty means the system configuration.
    pub nameservers: Vec<SocketAddr>,
    /// Per-query timeout: how long one try waits for an answer.
    pub timeout: Duration,
    /// Tries per query (a timeout or an error RCODE is tried again; each
    /// try asks the servers in order).
    pub attempts: u8,
    /// The most DNS queries in flight at once, over all audits that share
    /// this resolver (and its clones).
    pub max_in_flight: u32,
}

/// Default for [`ResolverSettings::max_in_flight`]: enough for 16
/// concurrent audits of ~60 queries each to run mostly in parallel, while
/// keeping a batch of thousands of domains from flooding the resolver.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 256;

impl Default for ResolverSettings {
    fn default() -> Self {
        ResolverSettings {
            nameservers: Vec::new(),
            timeout: Duration::from_secs(3),
            attempts: 2,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// A shared answer to a question several lookups asked at once.
type SharedAnswer = Shared<BoxFuture<'static, Result<Arc<Message>, Failure>>>;

/// A [`DnsLookup`] over the configured name servers. The name is kept from
/// when hickory-resolver did the work; hickory-proto still encodes and
/// decodes every message. Cheap to clone: clones share sockets, the
/// in-flight bound and what was learned about the resolver.
#[derive(Clone)]
pub struct HickoryLookup {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    /// `/etc/hosts`, consulted first for A, AAAA and PTR, as before.
    hosts: Hosts,
    /// The global in-flight bound.
    in_flight: Semaphore,
    /// Questions on the wire now, by (lower-case name, type): a second asker
    /// waits for the same answer.
    asking: Mutex<HashMap<(Name, RecordType), SharedAnswer>>,
    timeout: Duration,
    attempts: u8,
    /// Whether the configured resolver validates DNSSEC, once learned.
    validates: Mutex<Option<bool>>,
}

impl std::fmt::Debug for HickoryLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HickoryLookup")
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

impl HickoryLookup {
    /// Builds a resolver from explicit settings. Sockets open on first use.
    pub fn new(settings: &ResolverSettings) -> anyhow::Result<Self> {
        let servers: Vec<SocketAddr> = if settings.nameservers.is_empty() {
            system_nameservers()
        } else {
            settings.nameservers.clone()
        };
        if servers.is_empty() {
            anyhow::bail!("no name server: none given and none in the system configuration");
        }
        Ok(HickoryLookup {
            inner: Arc::new(Inner {
                transport: Transport::new(&servers),
                hosts: Hosts::from_system().unwrap_or_default(),
                in_flight: Semaphore::new(settings.max_in_flight.max(1) as usize),
                asking: Mutex::default(),
                timeout: settings.timeout,
                attempts: settings.attempts.max(1),
                validates: Mutex::default(),
            }),
        })
    }

    /// Permits free now; the bound minus this is the number in flight.
    pub fn available_permits(&self) -> usize {
        self.inner.in_flight.available_permits()
    }

    async fn query<T>(
        &self,
        name: &str,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> DnsOutcome<T> {
        let outcome = match query_name(name) {
            Ok(fqdn) => self.query_uncounted(fqdn, rtype, pick).await,
            Err(why) => DnsOutcome::ServerFailure(why),
        };
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
        fqdn: Name,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> DnsOutcome<T> {
        // The global in-flight bound; the semaphore is never closed, so
        // acquire cannot fail.
        let _permit = self.inner.in_flight.acquire().await;
        let query = Query::query(fqdn.clone(), rtype);
        let resolved = match self.inner.hosts.lookup_static_host(&query) {
            Some(lookup) => Resolved::Answers(lookup.answers().to_vec()),
            None => chase::resolve(query, |q| self.ask(q)).await,
        };
        match resolved {
            Resolved::Answers(answers) => {
                let found: Vec<T> = answers
                    .iter()
                    .filter(|r| r.record_type() == rtype)
                    .filter_map(|r| pick(&r.data))
                    .collect();
                if !found.is_empty() {
                    return DnsOutcome::Records(found);
                }
                if let Some(problem) = cname_problem(&fqdn.to_ascii(), &answers) {
                    // A loop (or an absurd chain) is a broken zone that
                    // cannot be resolved: a failure, not "no data".
                    return DnsOutcome::ServerFailure(problem);
                }
                DnsOutcome::NoData
            }
            Resolved::NoRecords(ResponseCode::NXDomain) => DnsOutcome::NxDomain,
            Resolved::NoRecords(_) => DnsOutcome::NoData,
            Resolved::Failed(Failure::Timeout) => DnsOutcome::Timeout,
            Resolved::Failed(Failure::Error(why)) => DnsOutcome::ServerFailure(why),
        }
    }

    /// The response to one question, whatever its RCODE, after up to
    /// `attempts` tries; the same question asked at the same time by
    /// another lookup shares the exchange.
    async fn ask(&self, query: Query) -> Result<Arc<Message>, Failure> {
        let key = (query.name().to_lowercase(), query.query_type());
        let (answer, creator) = {
            let mut asking = self.inner.asking.lock().unwrap_or_else(|p| p.into_inner());
            match asking.get(&key) {
                Some(shared) => (shared.clone(), false),
                None => {
                    let inner = self.inner.clone();
                    let question = Question::new(query.name(), query.query_type());
                    let shared = async move { inner.ask_servers(&question).await.map(Arc::new) }
                        .boxed()
                        .shared();
                    asking.insert(key.clone(), shared.clone());
                    (shared, true)
                }
            }
        };
        // Only the first asker removes the entry, when its exchange ends or
        // is dropped; later askers of a finished question ask afresh.
        let _cleanup = creator.then(|| AskingCleanup {
            inner: &self.inner,
            key,
        });
        answer.await
    }
}

/// Removes a question from [`Inner::asking`].
struct AskingCleanup<'a> {
    inner: &'a Inner,
    key: (Name, RecordType),
}

impl Drop for AskingCleanup<'_> {
    fn drop(&mut self) {
        self.inner
            .asking
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
}

impl Inner {
    /// Tries `question` up to `attempts` times. Within a try the servers
    /// are asked in turn until one answers; an answer with an error RCODE
    /// (SERVFAIL, REFUSED, …) ends the try, as with hickory-resolver, and
    /// is what is returned when no try does better.
    async fn ask_servers(&self, question: &Question) -> Result<Message, Failure> {
        let servers = self.transport.servers().count();
        let mut last = Err(Failure::Timeout);
        for _ in 0..self.attempts {
            for server in 0..servers {
                let answer = self
                    .transport
                    .exchange(server, question, QueryFlags::default(), self.timeout)
                    .await;
                match answer {
                    Ok(m) if chase::is_error_code(m.metadata.response_code) => {
                        last = Ok(m);
                        break;
                    }
                    Ok(m) => return Ok(m),
                    Err(failure) => last = Err(failure),
                }
            }
        }
        last
    }
}

/// The longest name we query, in presentation form without the trailing
/// dot: 253 octets, i.e. 255 on the wire (RFC 1035 §2.3.4; RFC 7208 §4.3
/// and §4.6.4 refuse longer SPF targets before any lookup).
pub const MAX_NAME_LENGTH: usize = 253;

/// The fully qualified query name for `name`, built from its raw labels.
///
/// Any octet is legal in a DNS label (RFC 2181 §11): names that SPF macros
/// expand to (RFC 7208 §7), or records that name `a:foo:bar/baz.example`,
/// must be asked as they are, not refused for holding characters that a
/// host name may not. Only what DNS itself cannot carry is refused: an
/// empty label, a label over 63 octets, or a name over
/// [`MAX_NAME_LENGTH`]. Fully qualified, so no search list applies.
pub fn query_name(name: &str) -> Result<Name, String> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.len() > MAX_NAME_LENGTH {
        return Err(format!(
            "the name is {} octets long; DNS names are at most {MAX_NAME_LENGTH} (RFC 1035 §2.3.4)",
            trimmed.len()
        ));
    }
    let mut fqdn = if trimmed.is_empty() {
        Name::root()
    } else {
        Name::from_labels(trimmed.split('.').map(str::as_bytes))
            .map_err(|e| format!("{trimmed:?} is not a DNS name: {e}"))?
    };
    fqdn.set_fqdn(true);
    Ok(fqdn)
}

/// Longest CNAME chain followed (RFC 1034 §3.6.2 sets none; BIND stops
/// after 16 restarts, Unbound after 11).
pub const MAX_CNAME_CHAIN: usize = 16;

/// A CNAME loop or an over-long chain in `answers`, starting at `name`.
fn cname_problem(name: &str, answers: &[hickory_proto::rr::Record]) -> Option<String> {
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

impl HickoryLookup {
    /// Sends one SOA query for `name` with RD=1, AD=1 and EDNS DO=1 (RFC 6840
    /// §5.7: a validating resolver sets AD in the response only when the
    /// query had AD or DO set) to each configured server in turn, over UDP,
    /// retrying over TCP when the answer is truncated (RFC 7766 §5).
    async fn query_ad(&self, name: &str) -> DnsOutcome<DnssecStatus> {
        let qname = match query_name(name) {
            Ok(n) => n,
            Err(why) => return DnsOutcome::ServerFailure(why),
        };
        let inner = &self.inner;
        let _permit = inner.in_flight.acquire().await;
        let question = Question::new(&qname, RecordType::SOA);
        let flags = QueryFlags { dnssec: true };
        let mut last = DnsOutcome::Timeout;
        for _ in 0..inner.attempts {
            for server in 0..inner.transport.servers().count() {
                let response = match inner
                    .transport
                    .exchange(server, &question, flags, inner.timeout)
                    .await
                {
                    Ok(r) => r,
                    Err(Failure::Timeout) => {
                        last = DnsOutcome::Timeout;
                        continue;
                    }
                    Err(Failure::Error(e)) => {
                        last = DnsOutcome::ServerFailure(e);
                        continue;
                    }
                };
                return match response.metadata.response_code {
                    ResponseCode::NoError => {
                        DnsOutcome::Records(vec![if response.metadata.authentic_data {
                            DnssecStatus::Authenticated
                        } else {
                            DnssecStatus::Unauthenticated
                        }])
                    }
                    ResponseCode::NXDomain => DnsOutcome::NxDomain,
                    code => {
                        // SERVFAIL/REFUSED from one server: try the next.
                        last = DnsOutcome::ServerFailure(code.to_string());
                        continue;
                    }
                };
            }
        }
        last
    }
}

/// The system resolver's name servers (port 53 unless configured); empty
/// when the system configuration cannot be read.
fn system_nameservers() -> Vec<SocketAddr> {
    let Ok((config, _)) = hickory_resolver::system_conf::read_system_conf() else {
        return Vec::new();
    };
    config
        .name_servers()
        .iter()
        .map(|ns| {
            let port = ns.connections.first().map_or(53, |c| c.port);
            SocketAddr::new(ns.ip, port)
        })
        .collect()
}

/// A name from an answer (MX exchange, PTR, CNAME target) as the labels'
/// own octets joined by dots, lower-cased, without the trailing dot. Not
/// `to_ascii()`, which escapes octets that a host name may not hold
/// (`foo\:bar`): the name is queried again later, as it is (RFC 2181 §11).
fn name_text(name: &Name) -> String {
    let labels: Vec<String> = name
        .iter()
        .map(|label| String::from_utf8_lossy(label).to_ascii_lowercase())
        .collect();
    labels.join(".")
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

    async fn dnssec_status(&self, name: &str) -> DnsOutcome<DnssecStatus> {
        self.query_ad(name).await
    }

    /// Asked once per process and remembered; a failure is not remembered,
    /// so the next audit asks again.
    async fn resolver_validates(&self) -> Option<bool> {
        let validates = &self.inner.validates;
        if let Some(known) = *validates.lock().unwrap_or_else(|p| p.into_inner()) {
            return Some(known);
        }
        let learned = match self.query_ad(".").await {
            DnsOutcome::Records(s) => Some(s.contains(&DnssecStatus::Authenticated)),
            DnsOutcome::NoData => Some(false),
            _ => None,
        };
        if learned.is_some() {
            *validates.lock().unwrap_or_else(|p| p.into_inner()) = learned;
        }
        learned
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
    fn query_names_keep_every_octet_and_refuse_only_what_dns_cannot_carry() {
        for (name, labels) in [
            ("a:foo:bar/baz.example.com", 3),
            ("_dmarc.Example.COM.", 3),
            ("a b!c%d.example", 2),
            ("xn--bcher-kva.example", 2),
        ] {
            let n = query_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(n.is_fqdn(), "{name}");
            assert_eq!(n.num_labels(), labels, "{name}");
            assert_eq!(
                n.iter().next().map(<[u8]>::to_vec),
                Some(name.split('.').next().unwrap().as_bytes().to_vec()),
                "{name}: the first label's octets are kept as they are"
            );
        }
        let label63 = "a".repeat(63);
        assert!(query_name(&format!("{label63}.example")).is_ok());
        for bad in [
            format!("{}a.example", label63),
            "a..example".to_string(),
            ".example".to_string(),
            format!("{}.example", [label63.as_str(); 4].join(".")),
        ] {
            assert!(query_name(&bad).is_err(), "{bad} must be refused");
        }
        let just_fits = format!("{}.{}.{}.{}", label63, label63, label63, "a".repeat(61));
        assert_eq!(just_fits.len(), 253);
        assert!(query_name(&just_fits).is_ok());
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
