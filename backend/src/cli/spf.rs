//! `mxlens spf`: SPF check_host() for an IP and a sender, the spfquery
//! replacement.

use std::net::IpAddr;
use std::process::ExitCode;

use clap::Args;

use super::{init_tracing, usage_error, DnsArgs, LogFormat};
use crate::dedup::AuditLookup;
use crate::resolver::HickoryLookup;

/// `mxlens spf`.
#[derive(Debug, Clone, Args)]
pub struct SpfArgs {
    /// The connecting client IP.
    #[arg(long)]
    pub ip: IpAddr,
    /// The MAIL FROM address (or a bare domain).
    #[arg(long)]
    pub mail_from: String,
    /// The HELO/EHLO name.
    #[arg(long)]
    pub helo: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub dns: DnsArgs,
}

pub(super) async fn spf(args: SpfArgs) -> ExitCode {
    use mxlens_shared::spf::eval::{check_mail_from, EvalOptions, SpfResult};
    init_tracing(LogFormat::Text);
    // RFC 7208 §4.3: a malformed <domain> (an empty or over-long label, a
    // name that is not multi-label, a domain literal) makes check_host()
    // return "none": it is data for the evaluation, never a usage error.
    let mail_from = args.mail_from.trim();
    let helo = args
        .helo
        .clone()
        .unwrap_or_else(|| mail_from.rsplit('@').next().unwrap_or_default().to_string());
    let lookup = match HickoryLookup::new(&args.dns.settings()) {
        Ok(l) => l,
        Err(e) => return usage_error(format!("cannot set up DNS: {e:#}")),
    };
    let per_query = AuditLookup::new(lookup);
    let opts = EvalOptions {
        timestamp: time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64,
        ..EvalOptions::default()
    };
    let outcome = check_mail_from(&per_query, args.ip, mail_from, &helo, &opts).await;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&outcome.to_cli_json()).unwrap_or_default()
        );
    } else {
        println!(
            "result: {}",
            serde_json::to_value(outcome.result)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        );
        if let Some(e) = &outcome.explanation {
            println!("explanation: {e}");
        }
        println!("reason: {}", outcome.reason);
        println!("lookup_count: {} (limit 10)", outcome.lookup_count);
        println!("void_lookup_count: {} (limit 2)", outcome.void_lookup_count);
        println!("trace:");
        for line in outcome.trace() {
            println!("  {line}");
        }
    }
    // Exit 1 when the result would make a receiver reject or mark the mail.
    match outcome.result {
        SpfResult::Fail | SpfResult::PermError => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}
