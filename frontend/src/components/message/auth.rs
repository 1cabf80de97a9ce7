//! The Authentication section: the receiver's SPF, DKIM, DMARC and ARC
//! results (icon and word), and the DMARC alignment diagram linking the
//! From domain to each DKIM `d=` and to the MAIL FROM domain.

use mxlens_shared::report::{AuthResultSummary, MessageSection};
use yew::prelude::*;

/// Icon, word and colour class for an Authentication-Results result word
/// (RFC 8601 §2.7). The word shown is the receiver's own.
pub fn result_badge(result: &str) -> Html {
    let (icon, class) = match result {
        "pass" => ("✔", "s-pass"),
        "fail" | "hardfail" => ("✘", "s-fail"),
        "softfail" | "policy" => ("▲", "s-warn"),
        "temperror" | "permerror" => ("!", "s-error"),
        _ => ("–", "s-not_tested"),
    };
    super::badge(icon, result, class)
}

/// The `smtp.mailfrom` domain from an SPF result's properties.
fn mail_from_domain(spf: &AuthResultSummary) -> Option<String> {
    let details = spf.details.as_deref()?;
    let value = details
        .split([' ', ';'])
        .find_map(|p| p.strip_prefix("smtp.mailfrom="))?;
    let domain = value.rsplit('@').next().unwrap_or(value);
    Some(domain.trim_matches(['"', '<', '>']).to_ascii_lowercase()).filter(|d| !d.is_empty())
}

/// One link of the alignment diagram.
fn link(kind: &str, domain: &str, state: Option<(bool, bool)>, note: &str) -> Html {
    let (icon, word, class) = match state {
        Some((_, true)) => ("✔", "aligned (strict)", "s-pass"),
        Some((true, false)) => ("✔", "aligned (relaxed only)", "s-pass"),
        Some((false, _)) => ("✘", "not aligned", "s-fail"),
        None => ("–", "does not count", "s-not_tested"),
    };
    html! {
        <li class="align-link">
            <span class={format!("align-edge {class}")}>
                <span aria-hidden="true">{"──"}</span>
                <span class="align-word"><span aria-hidden="true">{icon}</span>{" "}{word}</span>
                <span aria-hidden="true">{"──▶"}</span>
            </span>
            <span class="align-node">
                <span class="align-kind">{ kind.to_string() }</span>{" "}
                <code>{ domain.to_string() }</code>
                if !note.is_empty() { <span class="align-note">{ note.to_string() }</span> }
            </span>
        </li>
    }
}

/// What a `failure` word of a signature means, in a few words.
fn failure_words(failure: Option<&str>) -> &'static str {
    match failure {
        Some("body_hash") => "body changed",
        Some("header_hash") => "signed headers changed",
        Some("key_missing") => "no key published",
        Some("key_revoked") => "key revoked",
        Some("key_weak") => "key too weak",
        Some("expired") => "signature expired",
        Some("syntax") => "malformed signature",
        _ => "did not verify",
    }
}

/// mxlens's own verdict on each DKIM-Signature (issue #15): verified,
/// failed with the reason, or not verified; for a body that changed after
/// signing, the text that was added, diff-style.
fn own_verification(m: &MessageSection) -> Html {
    if m.dkim_signatures.is_empty() {
        return html! {};
    }
    let items = m.dkim_signatures.iter().map(|sig| {
        let verdict = match sig.verified {
            Some(true) => super::badge("✔", "verified", "s-pass"),
            Some(false) => super::badge(
                "✘",
                &format!("failed: {}", failure_words(sig.failure.as_deref())),
                "s-fail",
            ),
            None => super::badge("–", "not verified", "s-not_tested"),
        };
        let changed = sig.changed_text.as_ref().map(|t| {
            let label = match sig.body_change.as_deref() {
                Some("unsigned_tail") => "Text after the signed length (l=), not covered by the signature",
                Some("inserted") => "Text inserted after signing",
                _ => "Text added after signing",
            };
            let diff: String = t.lines().map(|l| format!("+ {l}\n")).collect();
            html! {
                <div class="sig-change">
                    <p class="muted">{ label }</p>
                    <pre class="diff-added">{ diff }</pre>
                </div>
            }
        });
        html! {
            <li class="sig-verdict">
                <code>{ format!("d={} s={}", sig.domain, sig.selector) }</code>{" "}{ verdict }
                if let Some(d) = &sig.verify_detail { <span class="muted">{ format!(" {d}") }</span> }
                { for changed }
            </li>
        }
    });
    html! {
        <div class="own-verification" role="group" aria-label="Signatures verified by mxlens">
            <p><strong>{"Verified by mxlens"}</strong>{" (keys fetched by the mxlens server; the message stays in your browser)"}</p>
            <ul>{ for items }</ul>
        </div>
    }
}

/// The authentication panel.
pub fn auth_panel(m: &MessageSection) -> Html {
    let mut rows: Vec<Vec<Html>> = Vec::new();
    for method in ["spf", "dkim", "dmarc", "arc"].iter() {
        let results: Vec<&AuthResultSummary> = m
            .auth_results
            .iter()
            .filter(|r| r.method == *method)
            .collect();
        let name = method.to_ascii_uppercase();
        let arc_note = if *method == "arc" {
            m.arc.as_ref().map(|a| {
                let mut t = format!("{} ARC set(s), structure {}", a.sets, a.structure);
                if let Some(s) = &a.last_sealer {
                    t.push_str(&format!(", last sealed by {s}"));
                }
                if let Some(p) = &a.problem {
                    t.push_str(&format!(": {p}"));
                }
                t
            })
        } else {
            None
        };
        // One row per result; a method with none gets one "none" row.
        let cells: Vec<(&str, String)> = if results.is_empty() {
            vec![(
                "none",
                arc_note
                    .clone()
                    .unwrap_or_else(|| "no result recorded by the receiving server".into()),
            )]
        } else {
            results
                .iter()
                .map(|r| {
                    let mut details = r.details.clone().unwrap_or_default();
                    if let Some(n) = &arc_note {
                        details.push_str(" · ");
                        details.push_str(n);
                    }
                    (r.result.as_str(), details)
                })
                .collect()
        };
        for (result, details) in cells {
            rows.push(vec![
                super::text(name.clone()),
                result_badge(result),
                super::text(details),
            ]);
        }
    }
    let receiver = m
        .auth_results
        .iter()
        .map(|r| r.authserv_id.as_str())
        .find(|id| !id.is_empty());

    // The alignment diagram: From → each DKIM d= and the MAIL FROM domain.
    let diagram = match (&m.alignment, &m.from) {
        (Some(a), _) => {
            let mut links = Vec::new();
            let mut seen: Vec<&str> = Vec::new();
            for d in &a.dkim {
                seen.push(&d.domain);
                links.push(link(
                    "DKIM d=",
                    &d.domain,
                    Some((d.relaxed, d.strict)),
                    "signature passed",
                ));
            }
            for sig in &m.dkim_signatures {
                if seen.contains(&sig.domain.as_str()) {
                    continue;
                }
                seen.push(&sig.domain);
                let note = format!(
                    "signature did not pass ({}): it cannot align",
                    sig.result.as_deref().unwrap_or("no result")
                );
                links.push(link("DKIM d=", &sig.domain, None, &note));
            }
            if links.is_empty() {
                links.push(html! { <li class="align-link"><span class="badge s-not_tested"><span aria-hidden="true">{"–"}</span>{" no DKIM signature"}</span></li> });
            }
            match &a.spf {
                Some(s) => links.push(link(
                    "MAIL FROM",
                    &s.domain,
                    Some((s.relaxed, s.strict)),
                    "SPF passed",
                )),
                None => {
                    let spf = m.auth_results.iter().find(|r| r.method == "spf");
                    match spf.and_then(mail_from_domain) {
                        Some(d) => {
                            let note = format!("SPF {}: it cannot align", spf.map(|r| r.result.as_str()).unwrap_or("none"));
                            links.push(link("MAIL FROM", &d, None, &note));
                        }
                        None => links.push(html! { <li class="align-link"><span class="badge s-not_tested"><span aria-hidden="true">{"–"}</span>{" no SPF result for the MAIL FROM domain"}</span></li> }),
                    }
                }
            }
            let (icon, word, class) = if a.strict {
                ("✔", "aligned (strict)", "s-pass")
            } else if a.relaxed {
                ("✔", "aligned (relaxed)", "s-pass")
            } else {
                ("✘", "not aligned", "s-fail")
            };
            html! {
                <div class="align-diagram" role="group" aria-label="DMARC alignment">
                    <p class="align-verdict">
                        {"DMARC alignment: "}
                        { super::badge(icon, word, class) }
                    </p>
                    <div class="align-body">
                        <div class="align-node align-from">
                            <span class="align-kind">{"From"}</span>{" "}<code>{ a.from_domain.clone() }</code>
                            <span class="align-note">{ format!("organizational domain {}", a.from_org_domain) }</span>
                        </div>
                        <ul class="align-links">{ for links }</ul>
                    </div>
                </div>
            }
        }
        (None, Some(_)) | (None, None) => html! {
            <p class="muted">{"No alignment computed: the message has no usable From domain."}</p>
        },
    };

    html! {
        <>
            <p class="muted">{ match receiver {
                Some(id) => format!("Results recorded by {id}"),
                None => "Results recorded by the receiving server".to_string(),
            } }</p>
            { super::table("auth-table", "Authentication results".into(), &["Method", "Result", "Details"], rows) }
            { own_verification(m) }
            { diagram }
        </>
    }
}
