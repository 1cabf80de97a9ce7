//! `mxlens audit`: one domain's audit, printed as text, JSON or Markdown,
//! or a batch of them (`--batch FILE`, `--queue URL`) as JSON lines.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use mxlens_shared::domain_name::normalize_domain;

use super::{
    init_tracing, print_report, usage_error, AuditSettingsArgs, DnsArgs, LogFormat, TargetArgs,
    BATCH_DNS_IN_FLIGHT,
};
use crate::audit::{run_audit, AuditRequest};
use crate::resolver::HickoryLookup;

/// `mxlens audit`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// The domain (Unicode, URLs and e-mail addresses are accepted).
    #[arg(required_unless_present_any = ["batch", "queue"])]
    pub domain: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print the report as Markdown (the UI's "Export Markdown").
    #[arg(long, conflicts_with_all = ["json", "batch", "queue"])]
    pub markdown: bool,
    /// DKIM selector to check; repeat for several. With none, the common
    /// selectors are guessed.
    #[arg(long = "selector")]
    pub selectors: Vec<String>,
    /// Also guess the common DKIM selectors when --selector is given (20
    /// more TXT queries per domain).
    #[arg(long)]
    pub guess_selectors: bool,
    /// The IP that sends the domain's mail (evaluates SPF, PTR and DNSBL for it).
    #[arg(long)]
    pub sending_ip: Option<IpAddr>,
    /// The envelope sender (MAIL FROM) the sending IP used: SPF is
    /// evaluated for it (RFC 7208 §2.4) rather than for the audited domain;
    /// when its domain differs, both results are shown.
    #[arg(long, requires = "sending_ip")]
    pub mail_from: Option<String>,
    /// The HELO name the sending IP gave (the SPF `%{h}` macro).
    #[arg(long, requires = "sending_ip")]
    pub helo: Option<String>,
    /// Ask the best MX whether it accepts mail for this address at DOMAIN
    /// (RCPT TO without DATA; nothing is sent). Needs --allow-rcpt-probe.
    #[arg(long, requires = "allow_rcpt_probe", conflicts_with_all = ["batch", "queue"])]
    pub rcpt: Option<String>,
    /// Allow the mailbox probe (--rcpt).
    #[arg(long)]
    pub allow_rcpt_probe: bool,
    /// Skip SMTP probes.
    #[arg(long)]
    pub no_smtp: bool,
    /// Audit every domain in FILE (one per line), printing one JSON report per line.
    #[arg(long)]
    pub batch: Option<PathBuf>,
    /// With --batch or --queue: how many domains are audited at once.
    #[arg(long, env = "MXLENS_BATCH_CONCURRENCY", default_value_t = 256)]
    pub batch_concurrency: u32,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub queue: crate::batch::queue::QueueWorkerArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub dns: DnsArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub targets: TargetArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub audit: AuditSettingsArgs,
}

pub(super) async fn audit(args: AuditArgs) -> ExitCode {
    init_tracing(LogFormat::Text);
    let batch = args.batch.is_some() || args.queue.url.is_some();
    let in_flight = if batch {
        BATCH_DNS_IN_FLIGHT
    } else {
        crate::resolver::DEFAULT_MAX_IN_FLIGHT
    };
    let lookup = match HickoryLookup::new(&args.dns.settings_with(in_flight)) {
        Ok(l) => l,
        Err(e) => return usage_error(format!("cannot set up DNS: {e:#}")),
    };
    if let Err(e) = mxlens_shared::dkim::verify::admit_selectors(&args.selectors) {
        return usage_error(format!("--selector: {e}"));
    }
    if batch {
        return audit_batch(lookup, &args).await;
    }
    let raw = args.domain.clone().unwrap_or_default();
    let domain = match normalize_domain(&raw) {
        Ok(d) => d,
        Err(e) => return usage_error(e),
    };
    let rcpt = match args.rcpt.as_deref() {
        Some(address) => match crate::audit::validate_rcpt(&domain, address) {
            Ok(a) => Some(a),
            Err(e) => return usage_error(format!("--rcpt: {e}")),
        },
        None => None,
    };
    let request = AuditRequest {
        domain,
        selectors: args.selectors.clone(),
        guess_selectors: args.guess_selectors,
        sending_ip: args.sending_ip,
        rcpt,
        mail_from: args.mail_from.clone(),
        helo: args.helo.clone(),
    };
    let mut audit_config = match args.audit.config(&args.targets, !args.no_smtp) {
        Ok(c) => c,
        Err(e) => return usage_error(format!("{e:#}")),
    };
    audit_config.rcpt_probe = args.allow_rcpt_probe;
    let per_audit = crate::dns_budget::audit_lookup(lookup, &audit_config);
    let report = run_audit(
        &per_audit,
        &request,
        &audit_config,
        crate::now_rfc3339(),
        |_| {},
    )
    .await;
    print_report(&report, args.json, args.markdown)
}

async fn audit_batch(lookup: HickoryLookup, args: &AuditArgs) -> ExitCode {
    let config = match args.audit.config(&args.targets, !args.no_smtp) {
        Ok(c) => c,
        Err(e) => return usage_error(format!("{e:#}")),
    };
    let batch = Arc::new(crate::batch::BatchAudit {
        lookup,
        config,
        selectors: args.selectors.clone(),
        guess_selectors: args.guess_selectors,
        sending_ip: args.sending_ip,
        mail_from: args.mail_from.clone(),
        helo: args.helo.clone(),
    });
    let window = args.batch_concurrency as usize;
    match (&args.queue.url, &args.batch) {
        (Some(url), file) => {
            crate::batch::queue::run_worker(batch, &args.queue, url, file.as_deref(), window).await
        }
        (None, Some(file)) => crate::batch::run_file(batch, file, window).await,
        (None, None) => usage_error("give --batch FILE or --queue URL"),
    }
}
