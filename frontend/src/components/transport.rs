//! The "Transport security" section (`Report.transport`, built in
//! `shared::report::transport`): STARTTLS, TLS version and certificate per
//! MX address, MTA-STS mode and DANE (domain and combined reports), the
//! message's per-hop TLS (message and combined reports), and last the one
//! plain-language verdict. Every sentence comes from `shared`.

use mxlens_shared::report::transport::{TransportSecurity, TransportVerdict};
use yew::prelude::*;

use super::message::badge;

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
    // Plain lines of facts, one element template for all (bundle size).
    // One line per MX address: STARTTLS, TLS version, certificate.
    let mut lines: Vec<String> =
        t.mx.iter()
            .map(|m| {
                format!(
                    "{} ({}): {}{}; certificate {}",
                    m.host,
                    m.ip,
                    if m.starttls {
                        "✔ STARTTLS"
                    } else {
                        "✘ no STARTTLS"
                    },
                    m.tls_version
                        .as_deref()
                        .map(|v| format!(", {v}"))
                        .unwrap_or_default(),
                    match m.certificate_valid {
                        Some(true) => "✔ valid",
                        Some(false) => "✘ not valid",
                        None => "– not seen",
                    }
                )
            })
            .collect();
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
            { for lines.into_iter().map(|l| html! { <p>{ l }</p> }) }
            <p class="transport-verdict"><strong>{"Verdict: "}</strong>{ badge(icon, word, class) }{" "}{ &t.summary }</p>
        </section>
    }
}
