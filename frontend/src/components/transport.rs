//! The "Transport security" section (`Report.transport`, built in
//! `shared::report::transport`): STARTTLS, TLS version and certificate per
//! MX address, MTA-STS mode and DANE (domain and combined reports), the
//! message's per-hop TLS (message and combined reports), and last the one
//! plain-language verdict. Every sentence comes from `shared`.

use mxlens_shared::report::transport::{TransportSecurity, TransportVerdict};
use yew::prelude::*;

use super::message::{badge, table, text};

/// The section, headed "Transport security".
pub fn transport_section(t: &TransportSecurity, domain: bool) -> Html {
    // A message alone has no verdict about a domain: its badge is about
    // the path it took.
    let (icon, word, class) = match t.verdict {
        TransportVerdict::Unknown if !domain && t.hops_clear > 0 => ("✘", "clear text", "s-fail"),
        TransportVerdict::Unknown if !domain && t.hops_total > 0 && t.hops_tls == t.hops_total => {
            ("✔", "TLS on every hop", "s-pass")
        }
        TransportVerdict::Unknown if !domain => ("–", "partly unknown", "s-not_tested"),
        TransportVerdict::EncryptedAndProtected => ("✔", "protected", "s-pass"),
        TransportVerdict::EncryptedOpportunistic => ("▲", "opportunistic", "s-warn"),
        TransportVerdict::PartlyEncrypted => ("✘", "partly encrypted", "s-fail"),
        TransportVerdict::NotEncrypted => ("✘", "not encrypted", "s-fail"),
        TransportVerdict::Unknown => ("–", "unknown", "s-not_tested"),
    };
    let yes_no = |ok: bool, yes: &str, no: &str| {
        if ok {
            format!("✔ {yes}")
        } else {
            format!("✘ {no}")
        }
    };
    let rows: Vec<Vec<Html>> =
        t.mx.iter()
            .map(|m| {
                vec![
                    text(format!("{} ({})", m.host, m.ip)),
                    text(yes_no(m.starttls, "yes", "no")),
                    text(m.tls_version.clone().unwrap_or_else(|| "–".into())),
                    text(match m.certificate_valid {
                        Some(ok) => yes_no(ok, "valid", "not valid"),
                        None => "– not seen".into(),
                    }),
                ]
            })
            .collect();
    // Plain lines of facts, one element template for all (bundle size).
    let mut lines = Vec::new();
    if domain {
        lines.push(format!(
            "MTA-STS mode: {}. DANE on every MX: {}.",
            t.mta_sts_mode.as_deref().unwrap_or("no valid policy"),
            if t.dane { "yes" } else { "no" }
        ));
    }
    if t.hops_total > 0 {
        lines.push(format!(
            "Received hops: {} of {} used TLS, {} in clear text.",
            t.hops_tls, t.hops_total, t.hops_clear
        ));
    }
    if let Some(m) = t.message_summary.as_ref().filter(|_| domain) {
        lines.push(m.clone());
    }
    html! {
        <section class="card transport" aria-labelledby="transport-heading">
            <h3 id="transport-heading">{"Transport security"}</h3>
            if !rows.is_empty() {
                { table("transport-mx", "Encryption per mail server address".into(), &["MX host and IP", "STARTTLS", "TLS version", "Certificate"], rows) }
            }
            { for lines.into_iter().map(|l| html! { <p>{ l }</p> }) }
            <p class="transport-verdict"><strong>{"Verdict: "}</strong>{ badge(icon, word, class) }{" "}{ &t.summary }</p>
        </section>
    }
}
