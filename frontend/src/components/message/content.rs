//! The Content section (issue #20): what the body is made of (text and
//! HTML parts, Gmail's clipping size, images, tracking pixels), its links
//! with what a filter holds against each, its attachments, and the
//! blocklist answers for the message's domains and sending IP (the
//! Reputation section) once the server has looked them up. The findings
//! themselves are checks in the check list; this shows the facts behind them.

use mxlens_shared::report::{ContentSection, ReputationSection};
use yew::prelude::*;

use super::{badge, table, text};

/// Link rows shown; the report keeps at most 200, the rest are counted.
const LINK_ROWS: usize = 50;

/// Gmail clips a message whose HTML is over about 102 KB.
const GMAIL_CLIP_BYTES: u32 = 102 * 1024;

fn flag_words(flags: &[String]) -> Html {
    if flags.is_empty() {
        return text("–");
    }
    html! {
        { for flags.iter().map(|f| {
            let word = match f.as_str() {
                "shortener" => "URL shortener",
                "ip_literal" => "IP address",
                "insecure" => "http:",
                "text_mismatch" => "text names another domain",
                "hidden" => "hidden",
                "script" => "script",
                other => other,
            };
            badge("▲", word, "s-warn")
        }) }
    }
}

/// The lists `host` is on, from the blocklist answers ("–" before they
/// arrive or when it is on none).
fn listed_on(reputation: Option<&ReputationSection>, host: &str) -> Html {
    let lists: Vec<&str> = reputation
        .map(|r| {
            r.listings
                .iter()
                .filter(|l| l.result == "listed" && l.name == host)
                .map(|l| l.list.as_str())
                .collect()
        })
        .unwrap_or_default();
    match (reputation, lists.is_empty()) {
        (None, _) => text("not looked up"),
        (Some(_), true) => text("–"),
        (Some(_), false) => badge("✖", &format!("on {}", lists.join(", ")), "s-fail"),
    }
}

/// The facts line, the link table, the attachments and the reputation.
pub fn content_section(c: &ContentSection, reputation: Option<&ReputationSection>) -> Html {
    let parts = match (c.text_part, c.html_part) {
        (true, true) => "text and HTML",
        (false, true) => "HTML only",
        (true, false) => "text only",
        (false, false) => "no text body",
    };
    let clip = if c.html_bytes > GMAIL_CLIP_BYTES {
        " (over Gmail's ~102 KB: clipped)"
    } else {
        ""
    };
    let facts = format!(
        "Body: {parts}; HTML {} KB{clip}; {} visible characters; {} image(s), {} without alt text; {} tracking pixel(s); {} link(s).",
        c.html_bytes.div_ceil(1024),
        c.visible_text_chars,
        c.images,
        c.images_without_alt,
        c.tracking_pixels,
        c.links_total,
    );
    let rows: Vec<Vec<Html>> = c
        .links
        .iter()
        .take(LINK_ROWS)
        .map(|l| {
            vec![
                text(if l.host.is_empty() {
                    "–".to_string()
                } else {
                    l.host.clone()
                }),
                text(if l.text.is_empty() {
                    "(no text)".to_string()
                } else {
                    l.text.clone()
                }),
                match l.aligned {
                    Some(true) => badge("✔", "aligned", "s-pass"),
                    Some(false) => badge("▲", "another domain", "s-warn"),
                    None => text("–"),
                },
                flag_words(&l.flags),
                listed_on(reputation, &l.host),
                text(l.count.to_string()),
            ]
        })
        .collect();
    let more = c.links.len().saturating_sub(LINK_ROWS)
        + (c.links_total as usize)
            .saturating_sub(c.links.iter().map(|l| l.count as usize).sum::<usize>());
    let attachments: Vec<Vec<Html>> = c
        .attachments
        .iter()
        .map(|a| {
            vec![
                text(if a.filename.is_empty() {
                    "(no name)".to_string()
                } else {
                    a.filename.clone()
                }),
                text(a.content_type.clone()),
                text(format!("{} bytes", a.size)),
                if a.risk == "none" {
                    text("–")
                } else {
                    badge("▲", &a.risk.replace('_', " "), "s-warn")
                },
            ]
        })
        .collect();
    html! {
        <>
            <p>{ facts }</p>
            if !rows.is_empty() {
                { table("links-table", "Links".into(), &["Goes to", "Link text", "From domain", "Held against it", "Listed", "Times"], rows) }
            }
            if more > 0 {
                <p class="muted">{ format!("… and {more} more link(s) not listed.") }</p>
            }
            if !attachments.is_empty() {
                { table("attachments-table", "Attachments".into(), &["File", "Type", "Size", "Risk"], attachments) }
            }
            { for c.limits.iter().map(|l| html! { <p class="muted">{ l.clone() }</p> }) }
            { reputation_table(reputation) }
        </>
    }
}

/// The blocklist answers: one row per name and list, listings first.
fn reputation_table(reputation: Option<&ReputationSection>) -> Html {
    let Some(r) = reputation else {
        return html! { <p class="muted">{"Blocklists: not looked up (a private link, a stored report made without them, or the mxlens server could not be reached)."}</p> };
    };
    let rank = |result: &str| match result {
        "listed" => 0,
        "error" => 1,
        "allowlisted" => 2,
        _ => 3,
    };
    let mut listings: Vec<_> = r.listings.iter().collect();
    listings.sort_by_key(|l| rank(&l.result));
    let listed = listings.iter().filter(|l| l.result == "listed").count();
    let rows = listings
        .iter()
        .map(|l| {
            vec![
                text(l.name.clone()),
                text(
                    l.roles
                        .iter()
                        .map(|r| match r.as_str() {
                            "from" => "From",
                            "dkim" => "DKIM d=",
                            "return_path" => "Return-Path",
                            "link" => "link",
                            "sending_ip" => "sending IP",
                            other => other,
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                text(if l.list.is_empty() { l.zone.clone() } else { l.list.clone() }),
                match l.result.as_str() {
                    "listed" => badge("✖", "listed", "s-fail"),
                    "allowlisted" => badge("✔", "allow-listed", "s-pass"),
                    "error" => badge("?", "no answer", "s-error"),
                    _ => badge("✔", "not listed", "s-pass"),
                },
                text(match (l.meaning.is_empty(), l.result == "listed" && !l.impact.is_empty()) {
                    (false, true) => format!("{} ({} impact)", l.meaning, l.impact),
                    (false, false) => l.meaning.clone(),
                    (true, _) => "–".to_string(),
                }),
                match &l.delist_url {
                    Some(url) if l.result == "listed" => html! {
                        <a href={url.clone()} target="_blank" rel="noopener noreferrer">{"Request removal"}</a>
                    },
                    _ => text("–"),
                },
            ]
        })
        .collect();
    html! {
        <>
            <h4>{ format!("Blocklists: {listed} listing(s) in {} lookup(s)", listings.len()) }</h4>
            { table("reputation-table", "Blocklists".into(), &["Name", "Used as", "List", "Result", "What it means", "Delisting"], rows) }
            if !r.skipped.is_empty() {
                <p class="muted">{ format!("Not looked up (over the cap): {}", r.skipped.join(", ")) }</p>
            }
        </>
    }
}
