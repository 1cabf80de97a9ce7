//! A real authoritative DNS server on loopback: in-process hickory-server
//! 0.26 serving zone files on one ephemeral port (UDP and TCP), wrapped in a
//! handler that counts queries and injects faults per name: delay, SERVFAIL,
//! silence (timeout) and truncation that forces TCP. Zones can be marked
//! "authenticated": their answers then carry AD=1, as a validating
//! recursive resolver's would for a signed zone (RFC 4035 §3.2.3).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Context};
use hickory_proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType};
use hickory_proto::serialize::txt::Parser;
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::net::NetError;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::MessageResponse;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneType};
use hickory_server::Server;
use tokio::net::{TcpListener, UdpSocket};

/// A fault to inject for queries whose name ends with a suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer normally, after a delay.
    Delay(Duration),
    /// Answer SERVFAIL.
    ServFail,
    /// Never answer.
    Silence,
    /// Over UDP, answer with TC=1 and no records, forcing a retry over TCP.
    TruncateUdp,
}

#[derive(Debug, Default)]
struct Shared {
    /// (name suffix, fault); the longest matching suffix wins. "" matches all.
    faults: Mutex<Vec<(String, Fault)>>,
    /// Faults for exactly one name, for one query type or (None) for all;
    /// they win over suffix faults.
    exact_faults: Mutex<Vec<(LowerName, Option<RecordType>, Fault)>>,
    queries: AtomicU64,
    tcp_queries: AtomicU64,
    /// Per-name query counts, lower case, no trailing dot.
    per_name: Mutex<HashMap<String, u64>>,
    /// Apexes whose answers carry AD=1.
    authenticated: Mutex<Vec<String>>,
    /// Requests being handled now, and the most ever at once.
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
}

/// Counts a request as in flight until dropped.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> Self {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Sets the AD bit of the response the catalog builds.
#[derive(Clone)]
struct AdResponse<R> {
    inner: R,
    authentic: bool,
}

#[async_trait::async_trait]
impl<R: ResponseHandler> ResponseHandler for AdResponse<R> {
    async fn send_response<'a>(
        &mut self,
        mut response: MessageResponse<
            '_,
            'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
        >,
    ) -> Result<ResponseInfo, NetError> {
        response.metadata_mut().authentic_data = self.authentic;
        self.inner.send_response(response).await
    }
}

struct FaultyHandler {
    catalog: Catalog,
    shared: Arc<Shared>,
}

impl FaultyHandler {
    fn exact_fault_for(&self, name: &LowerName, rtype: RecordType) -> Option<Fault> {
        let faults = self
            .shared
            .exact_faults
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        faults
            .iter()
            .find(|(n, t, _)| n == name && t.is_none_or(|t| t == rtype))
            .map(|(_, _, f)| *f)
    }

    fn fault_for(&self, name: &str) -> Option<Fault> {
        let faults = self.shared.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults
            .iter()
            .filter(|(suffix, _)| {
                suffix.is_empty() || name == suffix || name.ends_with(&format!(".{suffix}"))
            })
            .max_by_key(|(suffix, _)| suffix.len())
            .map(|(_, f)| *f)
    }

    fn is_authenticated(&self, name: &str) -> bool {
        let apexes = self
            .shared
            .authenticated
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        apexes
            .iter()
            .any(|apex| name == apex || name.ends_with(&format!(".{apex}")))
    }
}

#[async_trait::async_trait]
impl RequestHandler for FaultyHandler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        self.shared.queries.fetch_add(1, Ordering::Relaxed);
        let _in_flight = InFlight::enter(&self.shared);
        if request.protocol() == Protocol::Tcp {
            self.shared.tcp_queries.fetch_add(1, Ordering::Relaxed);
        }
        let name = request
            .queries
            .queries()
            .first()
            .map(|q| {
                q.name()
                    .to_ascii()
                    .trim_end_matches('.')
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        *self
            .shared
            .per_name
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(name.clone())
            .or_default() += 1;

        let no_answer = || {
            let mut metadata = Metadata::response_from_request(&request.metadata);
            metadata.response_code = ResponseCode::ServFail;
            ResponseInfo::from(Header {
                metadata,
                counts: HeaderCounts::default(),
            })
        };
        let exact = request
            .queries
            .queries()
            .first()
            .and_then(|q| self.exact_fault_for(q.name(), q.query_type()));
        match exact.or_else(|| self.fault_for(&name)) {
            Some(Fault::Silence) => {
                // Hold the request long enough that every client gives up.
                tokio::time::sleep(Duration::from_secs(60)).await;
                return no_answer();
            }
            Some(Fault::ServFail) => {
                let response = MessageResponseBuilder::new(&request.queries, None)
                    .error_msg(&request.metadata, ResponseCode::ServFail);
                return response_handle
                    .send_response(response)
                    .await
                    .unwrap_or_else(|_| no_answer());
            }
            Some(Fault::TruncateUdp) if request.protocol() == Protocol::Udp => {
                let mut metadata = Metadata::response_from_request(&request.metadata);
                metadata.truncation = true;
                metadata.authoritative = true;
                let response =
                    MessageResponseBuilder::new(&request.queries, None).build_no_records(metadata);
                return response_handle
                    .send_response(response)
                    .await
                    .unwrap_or_else(|_| no_answer());
            }
            Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
            _ => {}
        }
        // RFC 6840 §5.7: AD=1 only for a query that asked with AD or DO.
        let asked = request.metadata.authentic_data
            || request.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok);
        let response_handle = AdResponse {
            inner: response_handle,
            authentic: asked && self.is_authenticated(&name),
        };
        self.catalog
            .handle_request::<AdResponse<R>, T>(request, response_handle)
            .await
    }
}

/// A running test DNS server. Dropping it stops it.
pub struct TestDns {
    /// Where it listens (UDP and TCP, same port).
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: Server<FaultyHandler>,
}

impl std::fmt::Debug for TestDns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDns")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Parses zone text (RFC 1035 master file format) for `origin`.
fn load_zone(origin: &str, text: &str) -> anyhow::Result<InMemoryZoneHandler> {
    let origin_name = Name::from_ascii(format!("{}.", origin.trim_end_matches('.')))?;
    let (name, records) = Parser::new(text, None, Some(origin_name))
        .parse()
        .map_err(|e| anyhow!("zone {origin}: {e}"))?;
    InMemoryZoneHandler::new(name, records, ZoneType::Primary, AxfrPolicy::Deny)
        .map_err(|e| anyhow!("zone {origin}: {e}"))
}

/// A zone for the whole tree (origin `.`) holding `records` as they are; a
/// repeated record is dropped (an RRset holds no duplicates, RFC 2181 §5).
fn root_zone(records: Vec<Record>) -> anyhow::Result<InMemoryZoneHandler> {
    use hickory_proto::rr::rdata::SOA;
    let root = Name::root();
    let mut handler: InMemoryZoneHandler =
        InMemoryZoneHandler::empty(root.clone(), ZoneType::Primary, AxfrPolicy::Deny);
    let soa = SOA::new(
        Name::from_ascii("ns.test.")?,
        Name::from_ascii("hostmaster.test.")?,
        1,
        3600,
        600,
        86400,
        60,
    );
    handler.upsert_mut(Record::from_rdata(root, 60, RData::SOA(soa)), 1);
    for record in records {
        handler.upsert_mut(record, 1);
    }
    Ok(handler)
}

/// UDP sockets the server reads from, all on `port` (SO_REUSEPORT: the
/// kernel spreads clients over them by address and port).
const UDP_SOCKETS: usize = 4;

/// Receive buffer per UDP socket: thousands of queries arriving at once (a
/// batch benchmark) overflowed the default ~200 KiB, and every lost query
/// cost the client a whole timeout.
const UDP_RECV_BUFFER: usize = 4 << 20;

/// [`UDP_SOCKETS`] sockets bound to 127.0.0.1:`port`, each with one reading
/// task in hickory-server, so that answers are read on every runtime thread.
fn udp_sockets(port: u16) -> std::io::Result<Vec<UdpSocket>> {
    use socket2::{Domain, Protocol, Socket, Type};
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    (0..UDP_SOCKETS)
        .map(|_| {
            let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
            socket.set_reuse_port(true)?;
            // Best effort: the kernel caps it at net.core.rmem_max.
            let _ = socket.set_recv_buffer_size(UDP_RECV_BUFFER);
            socket.set_nonblocking(true)?;
            socket.bind(&addr.into())?;
            UdpSocket::from_std(socket.into())
        })
        .collect()
}

impl TestDns {
    /// Starts a server on 127.0.0.1 serving `zones` (origin, zone text).
    /// Names outside them are NXDOMAIN, as a recursive resolver would answer
    /// for names that do not exist (the DMARC tree walk asks up to the TLD).
    pub async fn start(zones: &[(&str, &str)]) -> anyhow::Result<Self> {
        let mut catalog = Catalog::new();
        if !zones
            .iter()
            .any(|(origin, _)| origin.trim_end_matches('.').is_empty())
        {
            catalog.upsert(
                LowerName::from(Name::root()),
                vec![Arc::new(root_zone(Vec::new())?)],
            );
        }
        for (origin, text) in zones {
            let handler = load_zone(origin, text)?;
            let name = LowerName::from(Name::from_ascii(format!(
                "{}.",
                origin.trim_end_matches('.')
            ))?);
            catalog.upsert(name, vec![Arc::new(handler)]);
        }
        Self::serve(catalog).await
    }

    /// Starts a server authoritative for the whole tree (origin `.`)
    /// serving `records` as they are. Names are built from raw labels, so
    /// they may hold any octet (RFC 2181 §11), which zone-file syntax
    /// cannot always express: the openspf suite has names such as
    /// `a:foo:bar/baz.example.com`.
    pub async fn start_records(records: Vec<Record>) -> anyhow::Result<Self> {
        let mut catalog = Catalog::new();
        catalog.upsert(
            LowerName::from(Name::root()),
            vec![Arc::new(root_zone(records)?)],
        );
        Self::serve(catalog).await
    }

    async fn serve(catalog: Catalog) -> anyhow::Result<Self> {
        let shared = Arc::new(Shared::default());
        // Bind TCP first on an ephemeral port, then UDP on the same port.
        let (tcp, udp) = loop {
            let tcp = TcpListener::bind("127.0.0.1:0").await?;
            let port = tcp.local_addr()?.port();
            if let Ok(udp) = udp_sockets(port) {
                break (tcp, udp);
            }
        };
        let addr = tcp.local_addr()?;
        let mut server = Server::new(FaultyHandler {
            catalog,
            shared: shared.clone(),
        });
        for socket in udp {
            server.register_socket(socket);
        }
        server.register_listener(tcp, Duration::from_secs(5), 64);
        Ok(TestDns {
            addr,
            shared,
            server,
        })
    }

    /// Starts a server with the zone files `tests/fixtures/zones/<origin>.zone`.
    pub async fn start_fixtures(origins: &[&str]) -> anyhow::Result<Self> {
        let mut texts = Vec::new();
        for origin in origins {
            let path = crate::fixtures_dir()
                .join("zones")
                .join(format!("{origin}.zone"));
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            texts.push((origin.to_string(), text));
        }
        let borrowed: Vec<(&str, &str)> = texts
            .iter()
            .map(|(o, t)| (o.as_str(), t.as_str()))
            .collect();
        Self::start(&borrowed).await
    }

    /// Injects `fault` for every query at or below `suffix` ("" = all names).
    pub fn set_fault(&self, suffix: &str, fault: Fault) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((suffix.trim_end_matches('.').to_ascii_lowercase(), fault));
    }

    /// Injects `fault` for queries of exactly `name`: of type `rtype`, or
    /// of every type with `None`. Names below it are not affected.
    pub fn set_fault_exact(&self, name: &Name, rtype: Option<RecordType>, fault: Fault) {
        self.shared
            .exact_faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((LowerName::new(name), rtype, fault));
    }

    /// Makes answers for every name at or below `apex` carry AD=1 when the
    /// query set AD or DO, as a validating resolver does for a signed zone.
    pub fn set_authenticated(&self, apex: &str) {
        self.shared
            .authenticated
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(apex.trim_end_matches('.').to_ascii_lowercase());
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.shared
            .exact_faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Queries received so far (UDP and TCP).
    pub fn query_count(&self) -> u64 {
        self.shared.queries.load(Ordering::Relaxed)
    }

    /// The most requests the server was handling at the same moment.
    pub fn max_concurrent(&self) -> u64 {
        self.shared.peak_in_flight.load(Ordering::SeqCst)
    }

    /// Queries received over TCP.
    pub fn tcp_query_count(&self) -> u64 {
        self.shared.tcp_queries.load(Ordering::Relaxed)
    }

    /// Queries received for one name.
    pub fn queries_for(&self, name: &str) -> u64 {
        let key = name.trim_end_matches('.').to_ascii_lowercase();
        self.shared
            .per_name
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .copied()
            .unwrap_or(0)
    }

    /// Stops the server.
    pub async fn stop(mut self) {
        let _ = self.server.shutdown_gracefully().await;
    }
}
