//! Plain-text and Markdown renderings of a report (CLI output, exports).

use super::{Report, Status};

/// Renders a report for a terminal: grade, then one line per check with its
/// icon and status word (never colour alone), then fixes.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "mxlens {} report: grade {:?}, score {}/100 (generated {} by mxlens {})\n",
        report.kind.as_str(),
        report.grade,
        report.score,
        report.generated_at,
        report.tool.version
    ));
    if report.coverage < 100 {
        out.push_str(&format!(
            "coverage: {}% of the scored checks reached a verdict; the rest could not be checked (errors and not tested cost half their weight)\n",
            report.coverage
        ));
    }
    if let Some(domain) = &report.domain {
        out.push_str(&format!("domain: {}\n", domain.name));
        for mx in &domain.mx {
            out.push_str(&format!(
                "  MX {:>5} {} [{}]\n",
                mx.preference,
                mx.host,
                mx.addresses.join(", ")
            ));
        }
    }
    if let Some(message) = &report.message {
        if let Some(from) = &message.from {
            out.push_str(&format!("from: {}\n", from.address));
        }
        out.push_str(&format!("hops: {}\n", message.hops.len()));
    }
    // The section the UI and the export show: a message analysed on its own
    // gets one built from its hops.
    if let Some(t) = &super::transport::section(report) {
        out.push_str(&format!("transport security: {}\n", t.summary));
        for mx in &t.mx {
            let tls = if mx.starttls {
                format!(
                    "STARTTLS, {}{}",
                    mx.tls_version.as_deref().unwrap_or("TLS"),
                    match mx.certificate_valid {
                        Some(true) => ", certificate valid",
                        Some(false) => ", certificate not valid",
                        None => "",
                    }
                )
            } else {
                "no encryption".to_string()
            };
            out.push_str(&format!("  {} ({}): {tls}\n", mx.host, mx.ip));
        }
        // A message on its own: the verdict above is already about its hops.
        if let (Some(m), Some(_)) = (&t.message_summary, &report.domain) {
            out.push_str(&format!("  {m}\n"));
        }
    }
    out.push('\n');
    for check in &report.checks {
        let subject = check
            .subject
            .as_deref()
            .map(|s| format!(" [{s}]"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{} {:<14} {}{}: {}\n",
            check.status.icon(),
            check.status.as_str(),
            check.title,
            subject,
            check.detail
        ));
        if let Some(fix) = check.fix_to_show() {
            out.push_str(&format!("    fix: {fix}\n"));
        }
        if matches!(check.status, Status::Fail | Status::Warn) {
            if let Some(s) = &check.suggestion {
                out.push_str(&format!("    suggested: {s}\n"));
            }
        }
    }
    out
}
