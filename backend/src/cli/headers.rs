//! `mxlens headers`: the analysis of raw headers or a whole message, with
//! DKIM/ARC verification and the reputation lookups on request.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{init_tracing, print_report, usage_error, DnsArgs, LogFormat, ReputationListArgs};
use crate::resolver::HickoryLookup;

/// `mxlens headers`.
#[derive(Debug, Clone, Args)]
pub struct HeadersArgs {
    /// File with raw headers or a whole message; `-` or absent reads stdin.
    pub file: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print the report as Markdown (the UI's "Export Markdown").
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
    /// Evaluate as of this RFC 3339 time instead of now (reproducible
    /// reports: DKIM x= expiry and Date checks depend on the time).
    #[arg(long)]
    pub at: Option<String>,
    /// Verify the DKIM signatures and the ARC chain: keys from DNS (see the
    /// DNS options), one `dkim.verify` check per signature. Without it,
    /// `dkim.verify` is not_tested.
    #[arg(long)]
    pub verify: bool,
    /// Look up the message's domains (From, DKIM d=, Return-Path, links)
    /// and sending IP on the blocklists and allow-lists (the Reputation
    /// section). Without it, the section is absent and
    /// bulk.link-reputation needs the backend.
    #[arg(long)]
    pub reputation: bool,
    /// DNS blocklist zone to query for the sending IP (`--reputation`);
    /// repeat for several.
    #[arg(long = "dnsbl", env = "MXLENS_DNSBL", value_delimiter = ',', default_values_t = mxlens_shared::audit::dnsbl::DEFAULT_LISTS.iter().map(|s| s.to_string()).collect::<Vec<_>>())]
    pub dnsbl: Vec<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub lists: ReputationListArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub dns: DnsArgs,
}

pub(super) async fn headers(args: HeadersArgs) -> ExitCode {
    let mut input = Vec::new();
    let read = match args.file.as_deref() {
        None => std::io::stdin().read_to_end(&mut input).map(|_| ()),
        Some(p) if p.as_os_str() == "-" => std::io::stdin().read_to_end(&mut input).map(|_| ()),
        Some(p) => std::fs::read(p).map(|bytes| input = bytes),
    };
    if let Err(e) = read {
        return usage_error(format!("cannot read input: {e}"));
    }
    let at = match args.at.as_deref() {
        Some(t) => {
            match time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
                Ok(_) => t.to_string(),
                Err(e) => {
                    return usage_error(format!(
                        "--at wants an RFC 3339 time like 2026-01-01T00:00:00Z: {e}"
                    ))
                }
            }
        }
        None => crate::now_rfc3339(),
    };
    let mut report = match mxlens_shared::message::analyze_message(&input, &at) {
        Ok(report) => report,
        Err(e) => return usage_error(e),
    };
    if args.verify || args.reputation {
        init_tracing(LogFormat::Text);
        let lookup = match HickoryLookup::new(&args.dns.settings()) {
            Ok(lookup) => lookup,
            Err(e) => return usage_error(format!("cannot set up DNS: {e}")),
        };
        if args.verify {
            let now = mxlens_shared::message::datetime::parse_rfc3339(&at).unwrap_or(0);
            crate::dkim::verify_into(&lookup, &input, &mut report, now).await;
        }
        if args.reputation {
            let config = crate::audit::AuditConfig {
                dnsbl_lists: args.dnsbl.clone(),
                dnsbl_domain_lists: args.lists.dnsbl_domain.clone(),
                dnswl_lists: args.lists.dnswl.clone(),
                ..Default::default()
            };
            crate::reputation::reputation_into(&lookup, &config.reputation_lists(), &mut report)
                .await;
        }
    }
    print_report(&report, args.json, args.markdown)
}
