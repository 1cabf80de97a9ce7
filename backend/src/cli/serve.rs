//! `mxlens serve`: the web UI and the JSON API, and the SMTP receiver of
//! test addresses beside them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use ipnet::IpNet;

use super::{init_tracing, usage_error, AuditSettingsArgs, DnsArgs, LogFormat, TargetArgs};
use crate::resolver::HickoryLookup;

/// `mxlens serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MXLENS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Report store: sqlite://PATH (embedded, the default), or
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE to share one store
    /// between several instances.
    #[arg(
        long,
        env = "MXLENS_DATABASE_URL",
        default_value = "sqlite://data/mxlens.db"
    )]
    pub database_url: String,
    /// The built frontend (Trunk's output).
    #[arg(long, env = "MXLENS_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Log format.
    #[arg(long, env = "MXLENS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Stored reports expire (and are deleted) this many days after
    /// creation (0 to 3650; 0 expires them at once).
    #[arg(long, env = "MXLENS_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub retention_days: u32,
    /// Largest stored report (its JSON), KiB; a larger one is refused with
    /// 413 `report_too_large`.
    #[arg(long, env = "MXLENS_MAX_REPORT_KIB", default_value_t = crate::quota::DEFAULT_MAX_REPORT_KIB, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub max_report_kib: u32,
    /// Reports one client may store per day (POST /api/reports); past it
    /// 429 `quota_exceeded`. 0 disables.
    #[arg(long, env = "MXLENS_REPORTS_PER_CLIENT_PER_DAY", default_value_t = crate::quota::DEFAULT_REPORTS_PER_CLIENT_PER_DAY)]
    pub reports_per_client_per_day: u32,
    /// Report JSON the store may hold, MiB; past it POST /api/reports gets
    /// 507 `store_full`. 0 disables.
    #[arg(long, env = "MXLENS_STORE_QUOTA_MIB", default_value_t = crate::quota::DEFAULT_STORE_QUOTA_MIB)]
    pub store_quota_mib: u64,
    /// POST requests allowed per client IP per minute (token bucket); 0 disables.
    #[arg(long, env = "MXLENS_RATE_LIMIT_PER_MINUTE", default_value_t = 30)]
    pub rate_limit_per_minute: u32,
    /// A reverse proxy (CIDR; repeat, or comma-separate in the environment)
    /// whose X-Forwarded-For names the client for the rate limits. Without
    /// it the header is ignored and every client behind a proxy shares the
    /// proxy's limit.
    #[arg(
        long = "trusted-proxy",
        env = "MXLENS_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<IpNet>,
    /// Seconds a client has to send a whole request head; also how long an
    /// idle keep-alive connection stays open.
    #[arg(long, env = "MXLENS_HEADER_READ_TIMEOUT_SECS", default_value_t = crate::serve::DEFAULT_HEADER_READ_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout_secs: u64,
    /// Most client connections open at once; past it new ones wait in the
    /// listen backlog.
    #[arg(long, env = "MXLENS_MAX_CONNECTIONS", default_value_t = crate::serve::DEFAULT_MAX_CONNECTIONS, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Audits one client may run at once; beyond it 429 `too_many_audits`.
    /// 0 disables.
    #[arg(long, env = "MXLENS_AUDITS_PER_CLIENT", default_value_t = crate::ratelimit::DEFAULT_AUDITS_PER_CLIENT)]
    pub audits_per_client: u32,
    /// IPv6 clients are one client per network of this prefix length for
    /// every per-client limit (IPv4: per address).
    #[arg(long, env = "MXLENS_IPV6_CLIENT_PREFIX", default_value_t = crate::ratelimit::DEFAULT_IPV6_PREFIX, value_parser = clap::value_parser!(u8).range(1..=128))]
    pub ipv6_client_prefix: u8,
    /// Audits allowed to run at once, server-wide; beyond it POSTs get 503.
    #[arg(long, env = "MXLENS_MAX_CONCURRENT_AUDITS", default_value_t = 16)]
    pub max_concurrent_audits: u32,
    /// Message analyses and report renderings allowed to wait for a CPU
    /// (one runs per CPU); beyond it they get 503 `busy` with Retry-After.
    /// Default: 32 per CPU.
    #[arg(long, env = "MXLENS_CPU_QUEUE")]
    pub cpu_queue: Option<usize>,
    /// Allow `rcpt` (the mailbox reachability probe) in POST /api/audits.
    /// Off by default: it can be abused to harvest addresses.
    #[arg(long, env = "MXLENS_ENABLE_RCPT_PROBE")]
    pub enable_rcpt_probe: bool,
    /// Mailbox probes allowed per client IP per minute; 0 disables the limit.
    #[arg(long, env = "MXLENS_RCPT_PER_CLIENT_PER_MINUTE", default_value_t = crate::ratelimit::DEFAULT_RCPT_PER_CLIENT)]
    pub rcpt_per_client_per_minute: u32,
    /// Mailbox probes allowed per target domain per minute, across all
    /// clients; 0 disables the limit.
    #[arg(long, env = "MXLENS_RCPT_PER_DOMAIN_PER_MINUTE", default_value_t = crate::ratelimit::DEFAULT_RCPT_PER_DOMAIN)]
    pub rcpt_per_domain_per_minute: u32,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub dns: DnsArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub targets: TargetArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub audit: AuditSettingsArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub receiver: ReceiverArgs,
}

/// The SMTP receiver of test addresses ("Send a test message"), off
/// unless `--smtp-listen` is given.
#[derive(Debug, Clone, Args)]
pub struct ReceiverArgs {
    /// Receive test messages by SMTP on this address (for example
    /// 0.0.0.0:25); needs --test-domain. Off by default.
    #[arg(long, env = "MXLENS_SMTP_LISTEN", requires = "test_domain")]
    pub smtp_listen: Option<SocketAddr>,
    /// The domain test addresses live at; its MX must point at the host
    /// of --smtp-listen. With a PostgreSQL store, an instance with
    /// --test-domain and no --smtp-listen hands out addresses that the
    /// receivers of other instances on that store take.
    #[arg(long, env = "MXLENS_TEST_DOMAIN")]
    pub test_domain: Option<String>,
    /// Certificate chain (PEM) for STARTTLS on the receiver; needs --smtp-tls-key.
    #[arg(long, env = "MXLENS_SMTP_TLS_CERT", requires = "smtp_tls_key")]
    pub smtp_tls_cert: Option<PathBuf>,
    /// Private key (PEM) of --smtp-tls-cert.
    #[arg(long, env = "MXLENS_SMTP_TLS_KEY", requires = "smtp_tls_cert")]
    pub smtp_tls_key: Option<PathBuf>,
    /// Largest message the receiver takes, octets (advertised in SIZE).
    #[arg(long, env = "MXLENS_SMTP_MAX_MESSAGE_BYTES", default_value_t = crate::receiver::DEFAULT_MAX_MESSAGE_BYTES, value_parser = clap::value_parser!(u64).range(1024..=1_073_741_824))]
    pub smtp_max_message_bytes: u64,
    /// Most recipients per message; past it RCPT gets 452.
    #[arg(long, env = "MXLENS_SMTP_MAX_RECIPIENTS", default_value_t = crate::receiver::DEFAULT_MAX_RECIPIENTS, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub smtp_max_recipients: u32,
    /// Seconds the receiver waits for one command line or one line of DATA.
    #[arg(long, env = "MXLENS_SMTP_COMMAND_TIMEOUT_SECS", default_value_t = crate::receiver::DEFAULT_COMMAND_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub smtp_command_timeout_secs: u64,
    /// Seconds a whole DATA may take.
    #[arg(long, env = "MXLENS_SMTP_DATA_TIMEOUT_SECS", default_value_t = crate::receiver::DEFAULT_DATA_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub smtp_data_timeout_secs: u64,
    /// Most receiver connections open at once; past it 421.
    #[arg(long, env = "MXLENS_SMTP_MAX_CONNECTIONS", default_value_t = crate::receiver::DEFAULT_MAX_CONNECTIONS, value_parser = clap::value_parser!(u32).range(1..))]
    pub smtp_max_connections: u32,
    /// Most receiver connections from one IP at once; past it 421.
    #[arg(long, env = "MXLENS_SMTP_MAX_CONNECTIONS_PER_IP", default_value_t = crate::receiver::DEFAULT_MAX_CONNECTIONS_PER_IP, value_parser = clap::value_parser!(u32).range(1..))]
    pub smtp_max_connections_per_ip: u32,
    /// Message data the receiver holds in memory at once, MiB, across
    /// connections in DATA and messages waiting for their report; past it
    /// a DATA gets 452.
    #[arg(long, env = "MXLENS_SMTP_MAX_BUFFERED_MIB", default_value_t = crate::receiver::DEFAULT_MAX_BUFFERED_MIB, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub smtp_max_buffered_mib: u64,
    /// Seconds a test address lives (it also takes only one message).
    #[arg(long, env = "MXLENS_TEST_ADDRESS_TTL_SECS", default_value_t = crate::receiver::DEFAULT_ADDRESS_TTL_SECS, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub test_address_ttl_secs: u64,
    /// Peers (CIDR; repeat or separate with commas) whose SMTP connections
    /// open with a PROXY protocol header, v1 or v2, naming the real client:
    /// a load balancer or HAProxy in front of port 25. The report then
    /// grades the client's IP and names the proxy. From any other peer a
    /// PROXY header is an unknown command (500); from these, a connection
    /// without a valid header is dropped.
    #[arg(
        long = "smtp-proxy-protocol-from",
        env = "MXLENS_SMTP_PROXY_PROTOCOL_FROM",
        value_delimiter = ','
    )]
    pub smtp_proxy_protocol_from: Vec<IpNet>,
}

impl ReceiverArgs {
    /// The receiver these flags ask for: `None` without --smtp-listen,
    /// unless the test addresses are `shared` through a PostgreSQL store
    /// and --test-domain is set (a web instance: it hands out addresses,
    /// other instances' receivers take their messages).
    pub fn receiver(&self, shared: bool) -> anyhow::Result<Option<crate::receiver::Receiver>> {
        if self.smtp_listen.is_none() && !(shared && self.test_domain.is_some()) {
            return Ok(None);
        }
        let Some(domain) = self.test_domain.as_deref() else {
            anyhow::bail!("--smtp-listen needs --test-domain");
        };
        let domain = mxlens_shared::domain_name::normalize_domain(domain)
            .map_err(|e| anyhow::anyhow!("--test-domain: {e}"))?;
        let mut config = crate::receiver::ReceiverConfig::new(&domain);
        if let (Some(cert), Some(key)) = (&self.smtp_tls_cert, &self.smtp_tls_key) {
            config.tls = Some(crate::receiver::tls_acceptor(cert, key)?);
        }
        config.max_message_bytes = self.smtp_max_message_bytes;
        config.max_recipients = self.smtp_max_recipients;
        config.command_timeout = std::time::Duration::from_secs(self.smtp_command_timeout_secs);
        config.data_timeout = std::time::Duration::from_secs(self.smtp_data_timeout_secs);
        config.max_connections = self.smtp_max_connections;
        config.max_connections_per_ip = self.smtp_max_connections_per_ip;
        config.address_ttl = std::time::Duration::from_secs(self.test_address_ttl_secs);
        config.max_buffered_bytes = self.smtp_max_buffered_mib * 1024 * 1024;
        config.proxy_from = self.smtp_proxy_protocol_from.clone();
        Ok(Some(crate::receiver::Receiver::new(config)))
    }
}

/// Binds `--smtp-listen` and runs the receiver on it; `None` when the
/// receiver is off. The task runs until aborted.
pub async fn start_receiver(
    args: &ServeArgs,
    state: &crate::AppState,
) -> anyhow::Result<Option<(SocketAddr, tokio::task::JoinHandle<()>)>> {
    let (Some(listen), Some(_)) = (args.receiver.smtp_listen, state.receiver.as_ref()) else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for SMTP on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(crate::receiver::serve(listener, state.clone()));
    Ok(Some((addr, task)))
}

impl ServeArgs {
    /// The connection limits of `--header-read-timeout-secs` and
    /// `--max-connections`.
    pub fn conn_limits(&self) -> crate::serve::ConnLimits {
        crate::serve::ConnLimits {
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout_secs),
            max_connections: self.max_connections,
        }
    }
}

/// Builds the state for `serve` (also used by tests).
pub async fn build_state(args: &ServeArgs) -> anyhow::Result<crate::AppState> {
    let store = crate::store::Store::open(&args.database_url).await?;
    tokio::spawn(crate::reports::retention_task(
        store.clone(),
        crate::reports::SWEEP_INTERVAL,
    ));
    let lookup = HickoryLookup::new(&args.dns.settings())?;
    let live = crate::live::LiveBus::start(&store).await?;
    Ok(crate::AppState {
        store,
        lookup: Arc::new(lookup),
        audits: Arc::default(),
        audit_config: Arc::new({
            let mut config = args.audit.config(&args.targets, true)?;
            config.rcpt_probe = args.enable_rcpt_probe;
            config
        }),
        dist_dir: args.dist.clone(),
        limits: Arc::new(
            crate::ratelimit::Limits::new(args.rate_limit_per_minute, args.max_concurrent_audits)
                .with_rcpt_limits(
                    args.rcpt_per_client_per_minute,
                    args.rcpt_per_domain_per_minute,
                )
                .with_trusted_proxies(args.trusted_proxies.clone())
                .with_client_grouping(args.audits_per_client, args.ipv6_client_prefix),
        ),
        retention_days: args.retention_days,
        quota: Arc::new(crate::quota::StoreQuota::new(
            args.max_report_kib,
            args.reports_per_client_per_day,
            args.store_quota_mib,
        )),
        metrics: Arc::default(),
        cpu: Arc::new(crate::cpu::CpuPool::for_this_machine(args.cpu_queue)),
        dkim_keys: Arc::default(),
        receiver: args
            .receiver
            .receiver(live.is_some())?
            .map(|r| Arc::new(r.with_live(live.clone()))),
        live,
    })
}

pub(super) async fn serve(args: ServeArgs) -> ExitCode {
    init_tracing(args.log_format);
    if !args.dist.join("index.html").exists() {
        tracing::warn!(dist = %args.dist.display(), "frontend not built: the UI will 404 (run scripts/start.sh, which builds it)");
    }
    let state = match build_state(&args).await {
        Ok(s) => s,
        Err(e) => {
            return usage_error(format!(
                "cannot open the store {}: {e:#}",
                crate::store::redacted_url(&args.database_url)
            ))
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => return usage_error(format!("cannot listen on {}: {e}", args.listen)),
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(
        %addr,
        database = %crate::store::redacted_url(&args.database_url),
        "mxlens listening"
    );
    println!("mxlens is running: open http://{addr}/");
    let _receiver = match start_receiver(&args, &state).await {
        Ok(Some((addr, task))) => {
            tracing::info!(%addr, "SMTP receiver listening");
            Some(task)
        }
        Ok(None) => None,
        Err(e) => return usage_error(format!("{e:#}")),
    };
    let limits = args.conn_limits();
    match crate::serve::serve_with(
        listener,
        crate::app(state),
        crate::shutdown_signal(),
        limits,
    )
    .await
    {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => usage_error(format!("server error: {e:#}")),
    }
}
