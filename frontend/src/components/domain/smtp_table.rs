//! The SMTP/TLS table: one row per probed MX IP, from `domain.smtp`
//! (`SmtpReportEntry` values: banner, STARTTLS, TLS version, and the leaf
//! certificate in `probe.cert_chain[0]`). Read as JSON values so the
//! bundle carries no deserializer for the whole probe result, and written
//! as a plain function (not a component) to keep the bundle small.

use serde_json::Value;
use yew::prelude::*;

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// An icon and a word, never colour alone.
fn yes_no(ok: Option<bool>, yes: &str, no: &str) -> Html {
    let (class, icon, word) = match ok {
        Some(true) => ("s-pass", "✔", yes),
        Some(false) => ("s-fail", "✘", no),
        None => ("s-not_tested", "–", "not seen"),
    };
    html! { <span class={classes!("badge", class)}><span aria-hidden="true">{icon}</span>{" "}{word}</span> }
}

/// The certificate facts, one per line, and why it is not valid.
fn certificate(entry: &Value) -> (String, Option<String>) {
    let mut facts = format!(
        "Subject: {}\nIssuer: {}\nExpires: {}",
        text(entry, "/probe/cert_chain/0/subject"),
        text(entry, "/probe/cert_chain/0/issuer"),
        text(entry, "/probe/cert_chain/0/not_after")
    );
    let days = entry.get("cert_days_left").and_then(Value::as_i64);
    if let Some(d) = days {
        facts.push_str(&format!(" ({d} days left)"));
    }
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
    (facts, (!problems.is_empty()).then(|| problems.join("; ")))
}

/// The table.
pub fn smtp_table(entries: &[Value]) -> Html {
    html! {
        <div class="table-scroll">
            <table class="smtp">
                <caption>{"SMTP and TLS, per MX address"}</caption>
                <thead><tr>
                    <th scope="col">{"MX host and IP"}</th>
                    <th scope="col">{"Banner"}</th>
                    <th scope="col">{"STARTTLS"}</th>
                    <th scope="col">{"TLS version"}</th>
                    <th scope="col">{"Certificate"}</th>
                </tr></thead>
                <tbody>
                { for entries.iter().map(|e| {
                    let (facts, problem) = certificate(e);
                    html! {
                        <tr class="smtp-ip">
                            <td class="mono lines">{ format!("{}\n{}", text(e, "/host"), text(e, "/ip")) }</td>
                            <td class="mono banner">{ text(e, "/banner") }</td>
                            <td>{ yes_no(Some(e.get("starttls").and_then(Value::as_bool) == Some(true)), "yes", "no") }</td>
                            <td>{ text(e, "/tls_version") }</td>
                            <td class="cert">
                                if e.pointer("/probe/cert_chain/0").is_some() {
                                    <span class="mono lines">{ facts }</span>
                                    { yes_no(e.get("cert_valid").and_then(Value::as_bool), "valid", "not valid") }
                                    if let Some(p) = problem { {": "}{ p } }
                                } else {
                                    {"No certificate seen"}
                                }
                            </td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        </div>
    }
}
