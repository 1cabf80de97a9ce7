//! The inbound SMTP receiver of "Send a test message" (issue #16): off by
//! default, on with `mxlens serve --smtp-listen ADDR:PORT --test-domain
//! DOMAIN`. It accepts mail only for live test addresses at the test
//! domain (never a relay), and grades each message it takes in a report
//! of kind `delivery`.
//!
//! - [`session`]: the per-connection state machine over the command
//!   grammar of `mxlens_shared::delivery::command` (RFC 5321, RFC 3207
//!   STARTTLS, RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 2920 PIPELINING,
//!   RFC 6531 SMTPUTF8), with its limits;
//! - [`tokens`]: the test addresses and their progress events;
//! - [`shared`]: the same across instances, through the store (PostgreSQL);
//! - [`deliver`]: the report, its storage and its recomputation;
//! - [`api`]: `POST /api/test-addresses`, `GET /api/test-addresses/{id}/events`;
//! - [`proxy`]: the PROXY protocol header of a trusted load balancer.
//!
//! No SMTP-server crate is used: the maintained Rust ones are either
//! synchronous (mailin-embedded) or unmaintained (samotop), and none gives
//! per-line deadlines, a total DATA deadline and an unbuffered over-size
//! DATA on tokio-rustls 0.26 without wrapping most of its loop anyway.

pub mod api;
pub mod deliver;
pub mod line;
pub mod proxy;
pub mod session;
pub mod shared;
pub mod tokens;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;

use crate::AppState;

/// Default largest message, octets (advertised in SIZE, RFC 1870).
pub const DEFAULT_MAX_MESSAGE_BYTES: u64 = 10 * 1024 * 1024;
/// Default most recipients per message (RFC 5321 §4.5.3.1.8 sets 100 as
/// the minimum a relay takes; a test address needs one).
pub const DEFAULT_MAX_RECIPIENTS: u32 = 10;
/// Default seconds to wait for one command line or one line of DATA
/// (RFC 5321 §4.5.3.2.7: the server's timeout is at least 5 minutes).
pub const DEFAULT_COMMAND_TIMEOUT_SECS: u64 = 300;
/// Default seconds a whole DATA may take: a client dribbling one line per
/// command timeout is cut here.
pub const DEFAULT_DATA_TIMEOUT_SECS: u64 = 600;
/// Default most receiver connections open at once.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 200;
/// Default most receiver connections from one IP at once.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: u32 = 5;
/// Default most message octets held in memory at once, across every
/// connection in DATA and every message waiting for its report, MiB.
pub const DEFAULT_MAX_BUFFERED_MIB: u64 = 256;
/// Default lifetime of a test address, seconds.
pub const DEFAULT_ADDRESS_TTL_SECS: u64 = 3600;

/// The receiver's settings.
#[derive(Clone)]
pub struct ReceiverConfig {
    /// The domain test addresses live at (`RCPT TO:<token@domain>`).
    pub test_domain: String,
    /// The name the receiver gives in its greeting and Received field.
    pub hostname: String,
    /// STARTTLS, when a certificate is configured.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// Largest message, octets.
    pub max_message_bytes: u64,
    /// Most recipients per message.
    pub max_recipients: u32,
    /// Deadline for one command line or one DATA line.
    pub command_timeout: Duration,
    /// Deadline for a whole DATA.
    pub data_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: u32,
    /// Most connections from one IP at once.
    pub max_connections_per_ip: u32,
    /// Lifetime of a test address.
    pub address_ttl: Duration,
    /// Most message octets held in memory at once; past it a DATA gets
    /// `452 4.3.1` (RFC 3463 §3.4: mail system full) and is not kept.
    pub max_buffered_bytes: u64,
    /// Peers whose connections open with a PROXY protocol header (v1 or
    /// v2) naming the real client; nobody else's header is believed.
    pub proxy_from: Vec<ipnet::IpNet>,
}

impl std::fmt::Debug for ReceiverConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiverConfig")
            .field("test_domain", &self.test_domain)
            .field("starttls", &self.tls.is_some())
            .field("max_message_bytes", &self.max_message_bytes)
            .finish_non_exhaustive()
    }
}

impl ReceiverConfig {
    /// Settings with the defaults for `test_domain`.
    pub fn new(test_domain: &str) -> Self {
        ReceiverConfig {
            test_domain: test_domain.to_ascii_lowercase(),
            hostname: test_domain.to_ascii_lowercase(),
            tls: None,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_recipients: DEFAULT_MAX_RECIPIENTS,
            command_timeout: Duration::from_secs(DEFAULT_COMMAND_TIMEOUT_SECS),
            data_timeout: Duration::from_secs(DEFAULT_DATA_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            address_ttl: Duration::from_secs(DEFAULT_ADDRESS_TTL_SECS),
            max_buffered_bytes: DEFAULT_MAX_BUFFERED_MIB * 1024 * 1024,
            proxy_from: Vec::new(),
        }
    }
}

/// A TLS acceptor from PEM files: the certificate chain and its key.
pub fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use anyhow::Context;
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("bad certificate PEM in {}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("no private key in {}", key.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// The receiver: its settings, its test addresses and its connections.
#[derive(Debug)]
pub struct Receiver {
    /// Settings.
    pub config: ReceiverConfig,
    /// The test addresses.
    pub addresses: tokens::Addresses,
    open: AtomicU32,
    per_ip: Mutex<HashMap<IpAddr, u32>>,
    buffered: AtomicU64,
    /// With PostgreSQL: test addresses live in the store (see [`shared`]).
    live: Option<Arc<crate::live::LiveBus>>,
}

impl Receiver {
    /// A receiver with `config` and no addresses yet.
    pub fn new(config: ReceiverConfig) -> Self {
        Receiver {
            config,
            addresses: tokens::Addresses::default(),
            open: AtomicU32::new(0),
            per_ip: Mutex::default(),
            buffered: AtomicU64::new(0),
            live: None,
        }
    }

    /// The same receiver with its test addresses shared through `live`
    /// (PostgreSQL; `None` keeps them in this process).
    pub fn with_live(mut self, live: Option<Arc<crate::live::LiveBus>>) -> Self {
        self.live = live;
        self
    }

    /// An empty hold on the message-memory budget.
    pub fn hold(self: &Arc<Self>) -> Held {
        Held {
            receiver: self.clone(),
            bytes: 0,
        }
    }

    /// Message octets held in memory now.
    pub fn buffered_bytes(&self) -> u64 {
        self.buffered.load(Ordering::SeqCst)
    }

    /// Takes a connection slot for `ip`, or says which cap refuses it.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<ConnSlot, &'static str> {
        let mut per_ip = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        if self.open.load(Ordering::SeqCst) >= self.config.max_connections {
            return Err("too many connections, try again later");
        }
        let count = per_ip.entry(ip).or_insert(0);
        if *count >= self.config.max_connections_per_ip {
            return Err("too many connections from your address, try again later");
        }
        *count += 1;
        self.open.fetch_add(1, Ordering::SeqCst);
        Ok(ConnSlot {
            receiver: self.clone(),
            ip,
        })
    }
}

/// Octets of one message held against the receiver's memory budget
/// (`max_buffered_bytes`), given back on drop: by the session when the
/// message is refused, by the report task once the report is stored.
#[derive(Debug)]
pub struct Held {
    receiver: Arc<Receiver>,
    bytes: u64,
}

impl Held {
    /// Takes `n` more octets; false (and nothing taken) past the budget.
    pub fn grow(&mut self, n: u64) -> bool {
        let budget = &self.receiver.buffered;
        let max = self.receiver.config.max_buffered_bytes;
        let taken = budget.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
            used.checked_add(n).filter(|total| *total <= max)
        });
        if taken.is_ok() {
            self.bytes += n;
        }
        taken.is_ok()
    }

    /// Gives back everything held.
    pub fn release(&mut self) {
        self.receiver
            .buffered
            .fetch_sub(self.bytes, Ordering::SeqCst);
        self.bytes = 0;
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.release();
    }
}

/// A connection's slot, given back on drop.
struct ConnSlot {
    receiver: Arc<Receiver>,
    ip: IpAddr,
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        let mut per_ip = self
            .receiver
            .per_ip
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = per_ip.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                per_ip.remove(&self.ip);
            }
        }
        self.receiver.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts SMTP connections on `listener` forever. A connection over a cap
/// gets `421` (RFC 5321 §3.1, §4.2.3) and is closed; the others each run
/// a [`session`] on their own task, so a slow client never holds up another.
pub async fn serve(listener: TcpListener, state: AppState) {
    let Some(receiver) = state.receiver.clone() else {
        return;
    };
    loop {
        let (stream, peer): (tokio::net::TcpStream, SocketAddr) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "smtp accept error");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let ip = canonical_ip(peer.ip());
        let peer = SocketAddr::new(ip, peer.port());
        if receiver
            .config
            .proxy_from
            .iter()
            .any(|net| net.contains(&ip))
        {
            // A trusted proxy: the header first (bounded in size and
            // time), then the caps apply to the client it names.
            let (state, receiver) = (state.clone(), receiver.clone());
            tokio::spawn(async move {
                let mut stream = stream;
                let wait = receiver.config.command_timeout.min(proxy::MAX_WAIT);
                match proxy::read_header(&mut stream, wait).await {
                    Ok(proxy::Proxied::Client(client)) => {
                        let client = SocketAddr::new(canonical_ip(client.ip()), client.port());
                        start_session(stream, client, Some(ip), receiver, state).await;
                    }
                    Ok(proxy::Proxied::Local) => {
                        start_session(stream, peer, None, receiver, state).await;
                    }
                    Err(e) => {
                        tracing::info!(proxy = %ip, error = %e, "dropped a connection from a trusted proxy")
                    }
                }
            });
            continue;
        }
        start_session(stream, peer, None, receiver.clone(), state.clone()).await;
    }
}

/// Runs a [`session`] for `client` on its own task, or refuses it with
/// `421` when a connection cap is reached.
async fn start_session(
    stream: tokio::net::TcpStream,
    client: SocketAddr,
    proxied_by: Option<IpAddr>,
    receiver: Arc<Receiver>,
    state: AppState,
) {
    match receiver.admit(client.ip()) {
        Ok(slot) => {
            tokio::spawn(async move {
                session::run(stream, client, proxied_by, receiver, state).await;
                drop(slot);
            });
        }
        Err(why) => {
            // One non-blocking write into the empty socket buffer, then
            // close: a refused client costs no task and no wait.
            let reply = format!("421 4.7.0 {why}\r\n");
            let _ = stream.try_write(reply.as_bytes());
            drop(stream);
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}
