//! The MX and SMTP/TLS tables. The SMTP table has one row per probed MX
//! IP, from `domain.smtp` (`SmtpReportEntry` values: banner, STARTTLS, TLS
//! version, and the leaf certificate in `probe.cert_chain[0]`), read as
//! JSON values so the bundle carries no deserializer for the probe result.
//! Cells are computed as text and rendered by one generic table function:
//! every extra `html!` element costs bundle size.

use mxlens_shared::report::MxHost;
use serde_json::Value;
use yew::prelude::*;

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// An icon and a word, never colour alone.
fn yes_no(ok: Option<bool>, yes: &str, no: &str) -> String {
    match ok {
        Some(true) => format!("✔ {yes}"),
        Some(false) => format!("✘ {no}"),
        None => "– not seen".to_string(),
    }
}

/// The certificate cell: subject, issuer, expiry and verdict, one per line.
fn certificate(entry: &Value) -> String {
    if entry.pointer("/probe/cert_chain/0").is_none() {
        return "No certificate seen".to_string();
    }
    let days = entry.get("cert_days_left").and_then(Value::as_i64);
    let mut problems = Vec::new();
    if text(entry, "/probe/webpki_verdict/result") == "untrusted" {
        problems.push(format!(
            "chain not trusted ({})",
            text(entry, "/probe/webpki_verdict/reason")
        ));
    }
    if entry
        .pointer("/probe/name_matches")
        .and_then(Value::as_bool)
        == Some(false)
    {
        problems.push("name does not match the MX host".to_string());
    }
    if days.is_some_and(|d| d < 0) {
        problems.push("expired".to_string());
    }
    format!(
        "Subject: {}\nIssuer: {}\nExpires: {}{}\n{}{}",
        text(entry, "/probe/cert_chain/0/subject"),
        text(entry, "/probe/cert_chain/0/issuer"),
        text(entry, "/probe/cert_chain/0/not_after"),
        days.map(|d| format!(" ({d} days left)"))
            .unwrap_or_default(),
        yes_no(
            entry.get("cert_valid").and_then(Value::as_bool),
            "valid",
            "not valid"
        ),
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
pub fn smtp_table(entries: &[Value]) -> Html {
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
                    format!("{}\n{}", text(e, "/host"), text(e, "/ip")),
                    text(e, "/banner").to_string(),
                    yes_no(
                        Some(e.get("starttls").and_then(Value::as_bool) == Some(true)),
                        "yes",
                        "no",
                    ),
                    text(e, "/tls_version").to_string(),
                    certificate(e),
                ]
            })
            .collect(),
    )
}
