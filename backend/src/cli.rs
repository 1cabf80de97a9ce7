//! The command line: one binary, four subcommands (contract: `mxlens serve |
//! audit | headers | spf`). Exit codes: 0 no fail, 1 a fail, 2 usage or
//! input error with a one-line message on stderr.
//!
//! Each command and its arguments live in a module of their own
//! (`serve`, `audit`, `headers`, `spf`); this one keeps the parser, the
//! option groups several commands share, and the output helpers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ipnet::IpNet;
use mxlens_shared::report::text::render_text;
use mxlens_shared::report::Report;

use crate::resolver::ResolverSettings;
use crate::ssrf::{ConnectPolicy, ConnectTo};

mod audit;
mod headers;
mod serve;
mod spf;

pub use audit::AuditArgs;
pub use headers::HeadersArgs;
pub use serve::{build_state, start_receiver, ReceiverArgs, ServeArgs};
pub use spf::SpfArgs;

/// mxlens: will my mail reach the inbox, and if not, why?
#[derive(Debug, Parser)]
#[command(name = "mxlens", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and the JSON API.
    Serve(ServeArgs),
    /// Audit a domain's mail setup with live DNS and SMTP probes.
    Audit(AuditArgs),
    /// Analyse raw headers or a whole message from a file or stdin.
    Headers(HeadersArgs),
    /// Evaluate SPF check_host() for an IP and sender (spfquery replacement).
    Spf(SpfArgs),
    /// Fill and watch a PostgreSQL work queue for `mxlens audit --queue` workers.
    Queue(crate::batch::queue::QueueArgs),
}

/// DNS options shared by the subcommands that query DNS.
#[derive(Debug, Clone, Args)]
pub struct DnsArgs {
    /// Name server to query, IP:PORT; repeat for several. Default: the system resolver.
    #[arg(long = "nameserver", env = "MXLENS_NAMESERVERS", value_delimiter = ',')]
    pub nameservers: Vec<SocketAddr>,
    /// Per-query DNS timeout in milliseconds.
    #[arg(long, env = "MXLENS_DNS_TIMEOUT_MS", default_value_t = 3000)]
    pub dns_timeout_ms: u64,
    /// Attempts per DNS query.
    #[arg(long, env = "MXLENS_DNS_ATTEMPTS", default_value_t = 2)]
    pub dns_attempts: u8,
    /// The most DNS queries in flight at once, over all audits of this
    /// process (a batch, or every audit the server runs). Default 256, and
    /// 2048 for `audit --batch` / `--queue`.
    #[arg(long, env = "MXLENS_DNS_CONCURRENCY")]
    pub dns_concurrency: Option<u32>,
}

/// DNS queries in flight by default in a batch: 256 audits of ~34 queries
/// at 50 ms each want ~8,700 queries/s; 2048 in flight allow ~40,000/s
/// (bench/README.md, issue #17 G1).
const BATCH_DNS_IN_FLIGHT: u32 = 2048;

impl DnsArgs {
    fn settings(&self) -> ResolverSettings {
        self.settings_with(crate::resolver::DEFAULT_MAX_IN_FLIGHT)
    }

    /// The settings, with `default_in_flight` unless --dns-concurrency is given.
    fn settings_with(&self, default_in_flight: u32) -> ResolverSettings {
        ResolverSettings {
            nameservers: self.nameservers.clone(),
            timeout: Duration::from_millis(self.dns_timeout_ms),
            attempts: self.dns_attempts,
            max_in_flight: self.dns_concurrency.unwrap_or(default_in_flight),
        }
    }
}

/// Outbound connection policy options.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Open the SSRF guard for a range (CIDR); by default loopback, private,
    /// link-local, CGNAT, multicast, reserved and documentation ranges are refused.
    #[arg(
        long = "allow-target",
        env = "MXLENS_ALLOW_TARGETS",
        value_delimiter = ','
    )]
    pub allow_targets: Vec<IpNet>,
    /// HOST:PORT:ADDR:PORT — connect to ADDR:PORT whenever HOST:PORT is probed (like curl).
    #[arg(long = "connect-to", env = "MXLENS_CONNECT_TO", value_delimiter = ',')]
    pub connect_to: Vec<ConnectTo>,
}

impl TargetArgs {
    fn policy(&self) -> ConnectPolicy {
        ConnectPolicy {
            allow: self.allow_targets.clone(),
            connect_to: self.connect_to.clone(),
        }
    }
}

/// The lists of the reputation lookups (a message's domains and sending
/// IP); the IP blocklists are `--dnsbl`.
#[derive(Debug, Clone, Args)]
pub struct ReputationListArgs {
    /// Domain blocklist zone (RFC 5782 §3) to query for a message's From,
    /// DKIM d=, Return-Path and link domains; repeat for several. An empty
    /// value turns the domain lookups off.
    #[arg(long = "dnsbl-domain", env = "MXLENS_DNSBL_DOMAIN", value_delimiter = ',', default_values_t = mxlens_shared::reputation::lists::DEFAULT_DOMAIN_LISTS.iter().map(|s| s.to_string()).collect::<Vec<_>>())]
    pub dnsbl_domain: Vec<String>,
    /// IP allow-list zone (DNSWL) to query for a message's sending IP;
    /// repeat for several. An empty value turns it off.
    #[arg(long = "dnswl", env = "MXLENS_DNSWL", value_delimiter = ',', default_values_t = mxlens_shared::reputation::lists::DEFAULT_ALLOW_LISTS.iter().map(|s| s.to_string()).collect::<Vec<_>>())]
    pub dnswl: Vec<String>,
}

/// Audit settings.
#[derive(Debug, Clone, Args)]
pub struct AuditSettingsArgs {
    /// DNS blocklist zone to query for MX and sending IPs; repeat for several.
    #[arg(long = "dnsbl", env = "MXLENS_DNSBL", value_delimiter = ',', default_values_t = mxlens_shared::audit::dnsbl::DEFAULT_LISTS.iter().map(|s| s.to_string()).collect::<Vec<_>>())]
    pub dnsbl: Vec<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub reputation: ReputationListArgs,
    /// Whole-audit deadline in seconds; unfinished checks become not_tested.
    #[arg(long, env = "MXLENS_AUDIT_DEADLINE_SECS", default_value_t = 30)]
    pub audit_deadline_secs: u64,
    /// Extra CA certificates (PEM) trusted when checking MX and MTA-STS
    /// certificates, beyond the Mozilla roots (private CAs, tests).
    #[arg(long, env = "MXLENS_TLS_CA_FILE")]
    pub tls_ca_file: Option<PathBuf>,
    /// The MAIL FROM address of the mailbox probe (`--rcpt`); the null
    /// reverse-path `<>` when absent.
    #[arg(long, env = "MXLENS_RCPT_PROBE_SENDER")]
    pub rcpt_probe_sender: Option<String>,
    /// Distinct DNS queries one audit may send; past it, further questions
    /// are not asked and their checks say error or not_tested.
    #[arg(long, env = "MXLENS_AUDIT_DNS_BUDGET", default_value_t = crate::dns_budget::DEFAULT_AUDIT_DNS_BUDGET, value_parser = clap::value_parser!(u32).range(1..))]
    pub audit_dns_budget: u32,
    /// DNS queries one audit may have in flight at once (its share of
    /// --dns-concurrency, so one audit cannot starve the others).
    #[arg(long, env = "MXLENS_AUDIT_DNS_SHARE", default_value_t = crate::dns_budget::DEFAULT_AUDIT_DNS_SHARE, value_parser = clap::value_parser!(u32).range(1..))]
    pub audit_dns_share: u32,
}

impl AuditSettingsArgs {
    /// The audit configuration for these flags, the connection policy and
    /// whether SMTP probes run.
    pub fn config(
        &self,
        targets: &TargetArgs,
        smtp: bool,
    ) -> anyhow::Result<crate::audit::AuditConfig> {
        let mut config = crate::audit::AuditConfig {
            deadline: Duration::from_secs(self.audit_deadline_secs.max(1)),
            dnsbl_lists: self.dnsbl.clone(),
            dnsbl_domain_lists: self.reputation.dnsbl_domain.clone(),
            dnswl_lists: self.reputation.dnswl.clone(),
            smtp,
            policy: Arc::new(targets.policy()),
            dns_budget: self.audit_dns_budget,
            dns_share: self.audit_dns_share,
            ..Default::default()
        };
        if let Some(path) = &self.tls_ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                anyhow::anyhow!("cannot read --tls-ca-file {}: {e}", path.display())
            })?;
            let mut anchors = Vec::new();
            for item in x509_parser::pem::Pem::iter_from_buffer(&pem) {
                let item =
                    item.map_err(|e| anyhow::anyhow!("--tls-ca-file {}: {e}", path.display()))?;
                anchors.push(item.contents);
            }
            if anchors.is_empty() {
                anyhow::bail!("--tls-ca-file {} holds no PEM certificate", path.display());
            }
            config.probe.extra_trust_anchors = anchors.clone();
            config.https.extra_trust_anchors = anchors;
        }
        // A probe must finish inside the audit deadline.
        let budget = config
            .deadline
            .saturating_sub(Duration::from_secs(2))
            .max(Duration::from_secs(1));
        config.probe.overall_timeout = config.probe.overall_timeout.min(budget);
        config.https.timeout = config.https.timeout.min(budget);
        if let Some(sender) = self
            .rcpt_probe_sender
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            crate::probe::rcpt::parse_address(sender).map_err(|_| {
                anyhow::anyhow!("--rcpt-probe-sender {sender:?} is not an e-mail address")
            })?;
            config.rcpt.sender = Some(sender.to_string());
        }
        config.rcpt.ehlo_name = config.probe.ehlo_name.clone();
        config.rcpt.overall_timeout = config.rcpt.overall_timeout.min(budget);
        Ok(config)
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("mxlens: {message}");
    ExitCode::from(2)
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MXLENS_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,tower_http=info,sqlx=warn,hickory=warn")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Entry point for the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return usage_error(format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::serve(args).await,
            Command::Audit(args) => audit::audit(args).await,
            Command::Headers(args) => headers::headers(args).await,
            Command::Spf(args) => spf::spf(args).await,
            Command::Queue(args) => crate::batch::queue::queue_command(args).await,
        }
    })
}

/// Writes to stdout; a reader that went away (`mxlens … | head`) is not an
/// error worth a panic, so a broken pipe ends the output quietly.
fn write_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("mxlens: cannot write the report: {e}");
        }
    }
}

fn print_report(report: &Report, json: bool, markdown: bool) -> ExitCode {
    let text = if json {
        match serde_json::to_string_pretty(report) {
            Ok(text) => text + "\n",
            Err(e) => return usage_error(e),
        }
    } else if markdown {
        mxlens_shared::report::markdown::render(report)
    } else {
        render_text(report)
    };
    write_stdout(&text);
    if report.has_failures() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
