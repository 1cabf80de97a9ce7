//! The MX and SMTP/TLS tables. The SMTP table has one row per probed MX
//! IP, from `domain.smtp` (the typed `report::SmtpFacts`: banner, STARTTLS,
//! TLS version, and the leaf certificate in `probe.cert_chain[0]`), read by
//! `shared`'s hand-written decoder, so the bundle carries no derived
//! deserializer for the probe result.
//! Cells are computed as text and rendered by one generic table function:
//! every extra `html!` element costs bundle size.

use mxlens_shared::report::{ChainResult, MxHost, SmtpFacts};
use yew::prelude::*;

/// An icon and a word, never colour alone.
fn yes_no(ok: Option<bool>, yes: &str, no: &str) -> String {
    match ok {
        Some(true) => format!("✔ {yes}"),
        Some(false) => format!("✘ {no}"),
        None => "– not seen".to_string(),
    }
}

/// The certificate cell: subject, issuer, expiry and verdict, one per line.
fn certificate(entry: &SmtpFacts) -> String {
    let Some(leaf) = entry.probe.cert_chain.first() else {
        return "No certificate seen".to_string();
    };
    let days = entry.cert_days_left;
    let mut problems = Vec::new();
    if let Some(verdict) = entry
        .probe
        .webpki_verdict
        .as_ref()
        .filter(|v| v.result == ChainResult::Untrusted)
    {
        problems.push(format!(
            "chain not trusted ({})",
            verdict.reason.as_deref().unwrap_or("")
        ));
    }
    if entry.probe.name_matches == Some(false) {
        problems.push("name does not match the MX host".to_string());
    }
    if days.is_some_and(|d| d < 0) {
        problems.push("expired".to_string());
    }
    format!(
        "Subject: {}\nIssuer: {}\nExpires: {}{}\n{}{}",
        leaf.subject,
        leaf.issuer,
        leaf.not_after,
        days.map(|d| format!(" ({d} days left)"))
            .unwrap_or_default(),
        yes_no(entry.cert_valid, "valid", "not valid"),
        if problems.is_empty() {
            String::new()
        } else {
            format!(": {}", problems.join("; "))
        }
    )
}

/// A table of text cells (kept as text: nothing from the input is HTML).
fn table(
    class: &'static str,
    caption: String,
    headers: &[&str],
    row_class: &'static str,
    rows: Vec<Vec<String>>,
) -> Html {
    html! {
        <div class="table-scroll">
            <table class={class}>
                <caption>{ caption }</caption>
                <thead><tr>{ for headers.iter().map(|h| html! { <th scope="col">{ *h }</th> }) }</tr></thead>
                <tbody>
                { for rows.into_iter().map(|cells| html! {
                    <tr class={row_class}>{ for cells.into_iter().map(|c| html! { <td class="lines">{ c }</td> }) }</tr>
                }) }
                </tbody>
            </table>
        </div>
    }
}

/// The MX hosts of `domain`.
pub fn mx_table(domain: &str, hosts: &[MxHost]) -> Html {
    table(
        "mx",
        format!("MX hosts of {domain}"),
        &["Preference", "Host", "Addresses"],
        "mx-host",
        hosts
            .iter()
            .map(|mx| {
                vec![
                    mx.preference.to_string(),
                    mx.host.clone(),
                    mx.addresses.join(", "),
                ]
            })
            .collect(),
    )
}

/// SMTP and TLS per MX address.
pub fn smtp_table(entries: &[SmtpFacts]) -> Html {
    table(
        "smtp",
        "SMTP and TLS, per MX address".to_string(),
        &[
            "MX host and IP",
            "Banner",
            "STARTTLS",
            "TLS version",
            "Certificate",
        ],
        "smtp-ip",
        entries
            .iter()
            .map(|e| {
                vec![
                    format!("{}\n{}", e.host, e.ip),
                    e.banner.clone().unwrap_or_default(),
                    yes_no(Some(e.starttls), "yes", "no"),
                    e.tls_version.clone().unwrap_or_default(),
                    certificate(e),
                ]
            })
            .collect(),
    )
}
