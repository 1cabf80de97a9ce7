//! The Signatures section (one row per DKIM-Signature header) and the Spam
//! filters section (each filter's verdict, its fields decoded one per row).

use mxlens_shared::report::{DkimSignatureSummary, SpamDecision, SpamVerdictSummary};
use yew::prelude::*;

use super::auth::result_badge;
use super::{table, text};

/// Unix seconds as an ISO date-time (UTC), via the browser's Date.
fn unix_time(seconds: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(seconds as f64 * 1000.0));
    if date.get_time().is_nan() {
        return seconds.to_string();
    }
    String::from(date.to_iso_string())
        .replace(".000Z", "Z")
        .replace('T', " ")
}

/// The DKIM-Signature table: d, s, a, h, c, l, t, x and the receiver's result.
pub fn dkim_table(signatures: &[DkimSignatureSummary]) -> Html {
    if signatures.is_empty() {
        return html! { <p class="muted">{"No DKIM-Signature header: the message is not signed."}</p> };
    }
    let rows = signatures
        .iter()
        .map(|s| {
            vec![
                text(s.domain.clone()),
                text(s.selector.clone()),
                text(s.algorithm.clone()),
                text(s.signed_headers.join(":")),
                text(
                    s.canonicalization
                        .clone()
                        .unwrap_or_else(|| "simple/simple".into()),
                ),
                match s.body_length {
                    Some(l) => super::badge("▲", &format!("{l} bytes"), "s-warn"),
                    None => text("–"),
                },
                text(s.timestamp.map(unix_time).unwrap_or_else(|| "–".into())),
                text(s.expiration.map(unix_time).unwrap_or_else(|| "–".into())),
                result_badge(s.result.as_deref().unwrap_or("none")),
            ]
        })
        .collect();
    html! {
        <>
            { table("dkim-table", "DKIM signatures".into(), &["d=", "s=", "a=", "h=", "c=", "l=", "t=", "x=", "Result"], rows) }
            <p class="muted">{"d= domain · s= selector · a= algorithm · h= signed headers · c= canonicalization · l= body length limit · t= signed · x= expires (UTC)"}</p>
        </>
    }
}

/// Decoded spam-filter verdicts, one table per filter.
pub fn spam_verdicts(verdicts: &[SpamVerdictSummary]) -> Html {
    if verdicts.is_empty() {
        return html! { <p class="muted">{"No spam-filter headers (SpamAssassin, rspamd, Microsoft) in the message."}</p> };
    }
    html! {
        { for verdicts.iter().map(|v| {
            let (icon, word, class) = match v.verdict {
                SpamDecision::Spam => ("▲", "spam", "s-warn"),
                SpamDecision::NotSpam => ("✔", "not spam", "s-pass"),
                SpamDecision::Unknown => ("–", "unknown", "s-not_tested"),
            };
            let score = match (&v.score, &v.required) {
                (Some(s), Some(r)) => format!(" · score {s} (threshold {r})"),
                (Some(s), None) => format!(" · score {s}"),
                _ => String::new(),
            };
            html! {
                <div class="spam-verdict">
                    <h4>
                        { &v.filter }{": "}
                        { super::badge(icon, word, class) }
                        <span class="muted">{ score }</span>
                    </h4>
                    <p class="muted">{ &v.summary }</p>
                    { table(
                        "spam-table",
                        format!("{} fields", v.filter),
                        &["Field", "Value", "Meaning"],
                        v.fields.iter().map(|f| vec![text(f.name.clone()), text(f.value.clone()), text(f.meaning.clone())]).collect(),
                    ) }
                </div>
            }
        }) }
    }
}
