//! Markdown rendering of a report, for export (UI "Export Markdown", the
//! API's `GET /api/reports/{id}.md`, the CLI's `--markdown`).
//!
//! Everything that comes from the input (header values, DNS records, SMTP
//! banners) is untrusted: it is escaped so that it can neither break a table
//! (`|`, newlines) nor turn into markup or raw HTML when the Markdown is
//! rendered (`<script>`, backticks, `[link](javascript:…)`). Records are
//! shown in fenced code blocks whose fence is longer than any run of
//! backticks inside them (CommonMark 0.31 §4.5), so they stay literal.

use super::catalog::{self, Area};
use super::{Check, ChecklistItem, ChecklistStatus, Report, Status};

/// How many problems the "Top problems" list shows (ui-reference.md).
pub const TOP_PROBLEMS: usize = 3;

/// Renders `report` as a self-contained Markdown document: title, grade and
/// score, top problems, the message and domain facts, one table of checks
/// per area (status word, title, detail, fix), suggested records, the
/// checklists and a footer with the version and time.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let subject = report_subject(report);
    out.push_str(&format!(
        "# mxlens {} report{}\n\n",
        report.kind.as_str(),
        if subject.is_empty() {
            String::new()
        } else {
            format!(": {}", escape_inline(&subject))
        }
    ));
    out.push_str(&format!(
        "**Grade {:?}** · score {}/100 · {}\n\n",
        report.grade,
        report.score,
        verdict(&report.checks)
    ));
    if report.coverage < 100 {
        out.push_str(&format!(
            "Only {}% of the scored checks reached a verdict; the rest could not be checked (errors and not tested cost half their weight, never a pass).\n\n",
            report.coverage
        ));
    }

    let top = report.top_problems(TOP_PROBLEMS);
    if !top.is_empty() {
        out.push_str("## Top problems\n\n");
        for (n, check) in top.iter().enumerate() {
            out.push_str(&format!(
                "{}. **{}** {}{}: {}\n",
                n + 1,
                check.status.label(),
                escape_inline(&check.title),
                subject_suffix(check),
                escape_inline(&check.detail)
            ));
            if let Some(fix) = check.fix_to_show() {
                out.push_str(&format!("   - Fix: {}\n", escape_inline(fix)));
            }
        }
        out.push('\n');
    }

    if let Some(message) = &report.message {
        out.push_str("## Message\n\n| Field | Value |\n|---|---|\n");
        let mut row = |name: &str, value: String| push_row(&mut out, &[name, &escape_cell(&value)]);
        if let Some(from) = &message.from {
            row("From", from.address.clone());
        }
        if let Some(s) = &message.subject {
            row("Subject", s.clone());
        }
        row("Received hops", message.hops.len().to_string());
        if let Some(d) = message.total_delay_seconds {
            row("Total delay", format!("{d} s"));
        }
        if let Some(ip) = &message.sending_ip {
            row("Sending IP", ip.clone());
        }
        for sig in &message.dkim_signatures {
            row(
                "DKIM signature",
                format!(
                    "d={} s={} a={}{}",
                    sig.domain,
                    sig.selector,
                    sig.algorithm,
                    sig.result
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ),
            );
        }
        for result in &message.auth_results {
            row(
                "Authentication result",
                format!(
                    "{}={} ({})",
                    result.method, result.result, result.authserv_id
                ),
            );
        }
        row(
            "Body present",
            if message.has_body { "yes" } else { "no" }.to_string(),
        );
        out.push('\n');
        if !message.hops.is_empty() {
            out.push_str("### Route (oldest first)\n\n| # | From | By | IP | With | TLS | Delay |\n|---|---|---|---|---|---|---|\n");
            for (n, hop) in message.hops.iter().enumerate() {
                let opt = |v: &Option<String>| escape_cell(v.as_deref().unwrap_or(""));
                push_row(
                    &mut out,
                    &[
                        &(n + 1).to_string(),
                        &opt(&hop.from),
                        &opt(&hop.by),
                        &opt(&hop.ip),
                        &opt(&hop.with),
                        match hop.tls {
                            Some(true) => "yes",
                            Some(false) => "no",
                            None => "",
                        },
                        &hop.delay_seconds
                            .map(|d| format!("{d} s"))
                            .unwrap_or_default(),
                    ],
                );
            }
            out.push('\n');
        }
    }

    if let Some(domain) = &report.domain {
        out.push_str(&format!("## Domain {}\n\n", escape_inline(&domain.name)));
        if !domain.mx.is_empty() {
            out.push_str("| MX preference | Host | Addresses |\n|---|---|---|\n");
            for mx in &domain.mx {
                push_row(
                    &mut out,
                    &[
                        &mx.preference.to_string(),
                        &escape_cell(&mx.host),
                        &escape_cell(&mx.addresses.join(", ")),
                    ],
                );
            }
            out.push('\n');
        }
        if let Some(spf) = &domain.spf {
            out.push_str(&format!(
                "SPF: {} DNS lookups of 10 allowed, {} void lookups of 2 allowed (RFC 7208 §4.6.4).\n\n",
                spf.lookup_count, spf.void_lookup_count
            ));
            if let Some(record) = &spf.record {
                out.push_str(&fenced(record));
            }
            out.push_str(
                "SPF include tree (the DNS lookups each term costs, and the running total):\n\n",
            );
            let mut total = 0;
            spf_tree(&mut out, &spf.tree, 0, &mut total);
            out.push('\n');
        }
        if let Some(record) = domain.dmarc.as_ref().map(|d| d.record.as_str()) {
            out.push_str("DMARC:\n\n");
            out.push_str(&fenced(record));
        }
        if !domain.smtp.is_empty() {
            out.push_str("| MX host | IP | Banner | STARTTLS | TLS version | Certificate |\n|---|---|---|---|---|---|\n");
            for entry in &domain.smtp {
                let cert = match (entry.cert_valid, entry.cert_days_left) {
                    (Some(true), Some(days)) => format!("valid, {days} days left"),
                    (Some(false), Some(days)) => format!("not valid ({days} days left)"),
                    (Some(valid), None) => if valid { "valid" } else { "not valid" }.to_string(),
                    (None, _) => "none seen".to_string(),
                };
                push_row(
                    &mut out,
                    &[
                        &escape_cell(&entry.host),
                        &escape_cell(&entry.ip),
                        &escape_cell(entry.banner.as_deref().unwrap_or("")),
                        if entry.starttls { "yes" } else { "no" },
                        &escape_cell(entry.tls_version.as_deref().unwrap_or("")),
                        &cert,
                    ],
                );
            }
            out.push('\n');
        }
    }

    if let Some(transport) = super::transport::section(report) {
        transport_section(&mut out, &transport, report.domain.is_some());
    }

    out.push_str("## Checks\n\n");
    for (area, checks) in checks_by_area(&report.checks) {
        out.push_str(&format!("### {}\n\n", area.title()));
        out.push_str("| Status | Check | Detail | Fix |\n|---|---|---|---|\n");
        for check in checks {
            let title = match &check.subject {
                Some(s) => format!("{} ({s})", check.title),
                None => check.title.to_string(),
            };
            push_row(
                &mut out,
                &[
                    &format!("{} {}", check.status.icon(), check.status.label()),
                    &escape_cell(&title),
                    &escape_cell(&check.detail),
                    &escape_cell(check.fix_to_show().unwrap_or_default()),
                ],
            );
        }
        out.push('\n');
    }

    let suggestions: Vec<&Check> = report
        .checks
        .iter()
        .filter(|c| c.suggestion.is_some())
        .collect();
    if !suggestions.is_empty() {
        out.push_str("## Suggested records\n\n");
        for check in suggestions {
            out.push_str(&format!(
                "{}{}:\n\n",
                escape_inline(&check.title),
                subject_suffix(check)
            ));
            out.push_str(&fenced(check.suggestion.as_deref().unwrap_or("")));
        }
    }

    for (title, items) in [
        (
            "Bulk-sender requirements (Gmail, Yahoo, Microsoft)",
            &report.checklists.bulk_sender,
        ),
        ("CAN-SPAM", &report.checklists.can_spam),
    ] {
        if items.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "## {title}\n\n| Requirement | Status | Why |\n|---|---|---|\n"
        ));
        for item in items {
            checklist_row(&mut out, item);
        }
        out.push('\n');
    }

    out.push_str(&format!(
        "---\n\nMade by {} {} (report schema {}) at {}, from {}.\n",
        escape_inline(&report.tool.name),
        escape_inline(&report.tool.version),
        report.schema_version,
        escape_inline(&report.generated_at),
        escape_inline(&report.input_summary())
    ));
    out
}

/// One node of `domain.spf.tree` and its children as a nested list, adding
/// each term's DNS cost to `total` in document order against the limit of
/// 10 (RFC 7208 §4.6.4).
fn spf_tree(out: &mut String, node: &super::SpfNodeFacts, depth: usize, total: &mut u64) {
    let (cost, voids) = (u64::from(node.dns_cost), node.void_lookups);
    let before = *total;
    *total += cost;
    out.push_str(&"  ".repeat(depth));
    out.push_str("- ");
    if node.kind == crate::spf::eval::NodeKind::Record {
        out.push_str("record of ");
        out.push_str(&escape_inline(node.domain.as_deref().unwrap_or(&node.term)));
    } else {
        out.push_str(&escape_inline(&node.term));
    }
    if cost > 0 {
        out.push_str(&format!(": +{cost} lookup, total {total}/10"));
        if before <= 10 && *total > 10 {
            out.push_str(" **(crosses the limit of 10)**");
        }
    }
    if voids > 0 {
        out.push_str(&format!(", {voids} void"));
    }
    out.push('\n');
    for child in &node.children {
        spf_tree(out, child, depth + 1, total);
    }
}

/// "Transport security": MTA-STS and DANE, the message's hops, and the
/// plain-language verdict last (see [`super::transport`]).
fn transport_section(out: &mut String, t: &super::transport::TransportSecurity, domain: bool) {
    out.push_str("## Transport security\n\n");
    // STARTTLS, TLS version and certificate per MX are the SMTP table of
    // the Domain section above: not repeated here.
    if domain {
        out.push_str(&format!(
            "MTA-STS mode: {} · DANE on every MX: {}\n\n",
            escape_inline(t.mta_sts_mode.as_deref().unwrap_or("no valid policy")),
            if t.dane { "yes" } else { "no" }
        ));
    }
    if t.hops_total > 0 {
        out.push_str(&format!(
            "Received hops: {} of {} used TLS, {} in clear text.\n\n",
            t.hops_tls, t.hops_total, t.hops_clear
        ));
        if domain {
            if let Some(m) = &t.message_summary {
                out.push_str(&format!("{}\n\n", escape_inline(m)));
            }
        }
    }
    out.push_str(&format!("**Verdict:** {}\n\n", escape_inline(&t.summary)));
}

/// The domain, or the From address and Subject.
fn report_subject(report: &Report) -> String {
    let mut parts = Vec::new();
    if let Some(domain) = &report.domain {
        parts.push(domain.name.clone());
    }
    if let Some(message) = &report.message {
        if let Some(from) = &message.from {
            parts.push(format!("from {}", from.address));
        }
        if let Some(subject) = &message.subject {
            parts.push(format!("“{subject}”"));
        }
    }
    parts.join(", ")
}

fn verdict(checks: &[Check]) -> String {
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    format!(
        "{} failed, {} errors, {} warnings, {} passed",
        count(Status::Fail),
        count(Status::Error),
        count(Status::Warn),
        count(Status::Pass)
    )
}

fn subject_suffix(check: &Check) -> String {
    check
        .subject
        .as_deref()
        .map(|s| format!(" ({})", escape_inline(s)))
        .unwrap_or_default()
}

/// Checks grouped by catalogue area, areas in catalogue order, checks in
/// report order; ids missing from the catalogue go last, under "Other".
fn checks_by_area(checks: &[Check]) -> Vec<(Area, Vec<&Check>)> {
    let mut groups: Vec<(Area, Vec<&Check>)> = Vec::new();
    for check in checks {
        let area = catalog::lookup(&check.id).map_or(Area::Checklist, |e| e.area);
        // Kept in area order as groups are created (no sort routine needed).
        match groups.iter().position(|(a, _)| *a >= area) {
            Some(i) if groups[i].0 == area => groups[i].1.push(check),
            Some(i) => groups.insert(i, (area, vec![check])),
            None => groups.push((area, vec![check])),
        }
    }
    groups
}

fn checklist_row(out: &mut String, item: &ChecklistItem) {
    let word = match item.status {
        ChecklistStatus::Pass => "✔ pass",
        ChecklistStatus::Fail => "✘ fail",
        ChecklistStatus::Manual => "? manual",
        ChecklistStatus::NeedsBody => "– needs body",
        ChecklistStatus::NeedsBackend => "– needs domain audit",
        ChecklistStatus::NotApplicable => "– n/a",
    };
    push_row(
        out,
        &[&escape_cell(&item.title), word, &escape_cell(&item.detail)],
    );
}

/// One table row of already escaped cells.
fn push_row(out: &mut String, cells: &[&str]) {
    out.push('|');
    for cell in cells {
        out.push(' ');
        out.push_str(cell);
        out.push_str(" |");
    }
    out.push('\n');
}

/// Escapes untrusted text for use inside a paragraph or list item: every
/// ASCII punctuation character that can start Markdown syntax gets a
/// backslash (CommonMark §2.4), `<`, `>` and `&` become entities so no raw
/// HTML or autolink survives, and control characters (line breaks
/// included) become spaces so the text cannot start a new block.
pub fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|'
            | '~' | '"' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes untrusted text for one table cell: [`escape_inline`] (which
/// escapes `|`, the GFM cell separator, and removes line breaks), trimmed.
pub fn escape_cell(text: &str) -> String {
    escape_inline(text.trim())
}

/// A fenced code block holding `text` literally: the fence is one backtick
/// longer than the longest backtick run in the text (at least three).
fn fenced(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    let body: String = text
        .chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect();
    format!("{fence}text\n{}\n{fence}\n\n", body.trim_end_matches('\n'))
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
