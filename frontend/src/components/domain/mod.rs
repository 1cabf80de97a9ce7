//! The domain report: one card per area (mail servers, SPF, DMARC, DKIM,
//! MTA-STS, TLS-RPT, DANE, BIMI, DNSBL), each with the checks of the
//! catalogue's domain areas that its id prefixes name (see [`card_for`]), the facts that belong there (the MX and SMTP/TLS
//! tables, the SPF include tree, the DMARC record) and the suggested
//! corrected record where a check has one. While an audit runs, the cards
//! fill in as the check events stream in.

mod rcpt;
mod smtp_table;
mod spf_tree;

use mxlens_shared::report::catalog;
use mxlens_shared::report::{Check, DmarcTagFacts, DomainSection, Status};
use yew::prelude::*;

use super::check_list::{check_list, status_badge};
use smtp_table::{mx_table, smtp_table};
use spf_tree::spf_tree;

/// One card: its anchor id, its title and the check-id prefixes it shows.
struct Card {
    id: &'static str,
    title: &'static str,
    prefixes: &'static [&'static str],
}

/// The cards, in the order of ui-reference.md ("For a domain").
const CARDS: &[Card] = &[
    Card {
        id: "dns",
        title: "DNS",
        prefixes: &["dns"],
    },
    Card {
        id: "mail-servers",
        title: "Mail servers (MX and SMTP)",
        prefixes: &["mx", "smtp", "sender"],
    },
    Card {
        id: "spf",
        title: "SPF",
        prefixes: &["spf"],
    },
    Card {
        id: "dmarc",
        title: "DMARC",
        prefixes: &["dmarc"],
    },
    Card {
        id: "dkim",
        title: "DKIM",
        prefixes: &["dkim"],
    },
    Card {
        id: "mta-sts",
        title: "MTA-STS",
        prefixes: &["mta-sts"],
    },
    Card {
        id: "tls-rpt",
        title: "TLS-RPT",
        prefixes: &["tls-rpt"],
    },
    Card {
        id: "dane",
        title: "DANE",
        prefixes: &["dane"],
    },
    Card {
        id: "bimi",
        title: "BIMI",
        prefixes: &["bimi"],
    },
    Card {
        id: "dnsbl",
        title: "DNSBL (reputation)",
        prefixes: &["dnsbl"],
    },
];

fn prefix(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// The card of a check of the domain's areas, by id prefix (the cards are
/// finer than the areas: Transport security is three). A check of another
/// area is the message's, whatever its prefix, as in the Markdown export:
/// `smtp.reply-code` explains a bounce, and `dkim.verify` and
/// `dmarc.verify` are mxlens's own verdicts on the message
/// (Authentication).
fn card_for(check: &Check) -> Option<&'static Card> {
    if catalog::lookup(&check.id).is_some_and(|e| !e.area.is_domain()) {
        return None;
    }
    let p = prefix(&check.id);
    CARDS.iter().find(|c| c.prefixes.contains(&p))
}

/// True when the domain cards show `check` (so a flat list can skip it).
pub fn is_domain_check(check: &Check) -> bool {
    card_for(check).is_some()
}

/// How bad a status is, for a card's headline badge: worst first.
fn severity(status: Status) -> u8 {
    match status {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Warn => 2,
        Status::NotTested => 3,
        Status::Pass => 4,
        Status::Info => 5,
        Status::NotApplicable => 6,
    }
}

fn summary(checks: &[Check]) -> String {
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    let mut parts = Vec::new();
    for (status, word) in [
        (Status::Fail, "failed"),
        (Status::Error, "errors"),
        (Status::Warn, "warnings"),
        (Status::NotTested, "not tested"),
        (Status::Pass, "passed"),
        (Status::Info, "info"),
        (Status::NotApplicable, "not applicable"),
    ] {
        let n = count(status);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    parts.join(", ")
}

/// The per-area cards for `checks` (all of them once the audit is done,
/// those streamed so far while `running`), with the facts of `domain`.
/// A plain function, not a component, to keep the bundle small.
pub fn domain_cards(checks: &[Check], domain: Option<&DomainSection>, running: bool) -> Html {
    let cards = CARDS.iter().filter_map(|card| {
        let checks: Vec<Check> = checks
            .iter()
            .filter(|c| card_for(c).is_some_and(|k| k.id == card.id))
            .cloned()
            .collect();
        let facts = facts(card.id, domain, &checks);
        if checks.is_empty() && facts.is_none() && !running {
            return None;
        }
        let worst = checks.iter().map(|c| c.status).min_by_key(|s| severity(*s));
        let heading = format!("area-{}-heading", card.id);
        let suggestions: Vec<&Check> = checks.iter().filter(|c| c.suggestion.is_some()).collect();
        Some(html! {
            <section class="card area-card" id={format!("area-{}", card.id)} data-area={card.id}
                aria-labelledby={heading.clone()} aria-busy={(running && checks.is_empty()).to_string()}>
                <h3 id={heading}>
                    { card.title }
                    if let Some(s) = worst { {" "}{ status_badge(s) } }
                </h3>
                if checks.is_empty() {
                    if running {
                        <p class="area-summary pending">{"Waiting for results…"}</p>
                    }
                } else {
                    <p class="area-summary">{ summary(&checks) }</p>
                }
                { facts.unwrap_or_default() }
                { for suggestions.iter().map(|c| suggestion(c)) }
                if !checks.is_empty() { { check_list(&checks) } }
            </section>
        })
    });
    html! {
        <div class="domain-cards">{ for cards }</div>
    }
}

/// The facts a card shows above its checks, when the report has them.
fn facts(card: &str, domain: Option<&DomainSection>, checks: &[Check]) -> Option<Html> {
    let domain = domain?;
    match card {
        "mail-servers" => Some(html! {
            <>
                if domain.mx.is_empty() {
                    <p>{"No MX hosts."}</p>
                } else {
                    { mx_table(&domain.name, &domain.mx) }
                }
                if !domain.smtp.is_empty() { { smtp_table(&domain.smtp) } }
                if let Some(entry) = &domain.rcpt { { rcpt::rcpt_probe(entry, checks) } }
            </>
        }),
        "spf" => domain.spf.as_ref().map(spf_tree),
        "dmarc" => domain.dmarc.as_ref().map(|d| {
            html! {
                <>
                    <div class="record-block">
                        <p class="record-label">{"DMARC record:"}</p>
                        <pre class="record">{ d.record.clone() }</pre>
                    </div>
                    { dmarc_tag_table(&d.tag_table) }
                </>
            }
        }),
        _ => None,
    }
}

/// The DMARC tag / value / meaning table, from the report's
/// `domain.dmarc.tag_table` (the text is `shared`'s, written once there).
fn dmarc_tag_table(rows: &[DmarcTagFacts]) -> Html {
    use super::message::{badge, table, text};
    use mxlens_shared::diagnostic::Severity;
    if rows.is_empty() {
        return Html::default();
    }
    let rows = rows
        .iter()
        .map(|row| {
            let value = match &row.value {
                Some(v) => html! { <code>{ v.clone() }</code> },
                None => html! { <span class="muted">{ format!("not set: {}", row.default.as_deref().unwrap_or_default()) }</span> },
            };
            let findings = row
                .findings
                .iter()
                .map(|f| {
                    let (icon, word, class) = match f.severity {
                        Severity::Error => ("✘", "error", "s-fail"),
                        Severity::Warning => ("▲", "warn", "s-warn"),
                        Severity::Info => ("ℹ", "info", "s-info"),
                    };
                    html! {
                        <p class="finding">
                            { badge(icon, word, class) }{" "}
                            { format!("{} ({})", f.message, f.rfc) }
                        </p>
                    }
                })
                .collect::<Html>();
            vec![
                html! { <code>{ row.tag.clone() }</code> },
                value,
                text(format!("{} ({})", row.meaning, row.rfc)),
                findings,
            ]
        })
        .collect();
    table(
        "dmarc-tags",
        "DMARC tags".to_string(),
        &["Tag", "Value", "Meaning", "Findings"],
        rows,
    )
}

/// A suggested corrected record, shown outside the collapsed check row so
/// it can be copied at once.
fn suggestion(check: &Check) -> Html {
    let text = check.suggestion.clone().unwrap_or_default();
    let copy = {
        let text = text.clone();
        Callback::from(move |_| {
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&text);
            }
        })
    };
    html! {
        <div class="suggestion" data-check-id={check.id.clone()}>
            <p class="record-label">
                {"Suggested record for "}<strong>{ &*check.title }</strong>
                if let Some(s) = &check.subject { {" ("}{ s }{")"} }
                {":"}
            </p>
            <pre class="record">{ text }</pre>
            <button type="button" onclick={copy} aria-label={format!("Copy the suggested record for {}", check.title)}>{"Copy"}</button>
        </div>
    }
}

/// The cards follow ui-reference.md ("For a domain"), finer than the
/// catalogue's areas (its Transport security area is three cards:
/// MTA-STS, TLS-RPT and DANE). These hold the two together: every check
/// of a domain area has exactly one card, no card mixes areas, and no
/// other check lands on one.
#[cfg(test)]
mod tests {
    use super::*;
    use mxlens_shared::report::catalog::Area;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn every_domain_check_has_one_card_and_cards_keep_to_one_area() {
        let mut area_of_card: Vec<(&str, Area)> = Vec::new();
        for entry in catalog::entries() {
            let check = Check::new(entry.id, Status::Pass, "");
            let card = card_for(&check);
            assert_eq!(
                card.is_some(),
                entry.area.is_domain(),
                "{} ({:?})",
                entry.id,
                entry.area
            );
            if let Some(card) = card {
                match area_of_card.iter().find(|(id, _)| *id == card.id) {
                    Some((_, area)) => assert_eq!(*area, entry.area, "{} on {}", entry.id, card.id),
                    None => area_of_card.push((card.id, entry.area)),
                }
            }
        }
        assert_eq!(area_of_card.len(), CARDS.len(), "a card no check reaches");
    }
}
