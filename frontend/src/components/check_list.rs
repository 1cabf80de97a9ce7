//! A list of checks: icon and status word (never colour alone), title and
//! detail; each row expands to the catalogue's explanation, fix and refs.

use mxlens_shared::report::catalog;
use mxlens_shared::report::{Check, Status};
use yew::prelude::*;

/// The icon and word for a status.
pub fn status_badge(status: Status) -> Html {
    let (icon, word) = (status.icon(), status.label());
    html! {
        <span class={classes!("badge", format!("s-{}", status.as_str()))}>
            <span aria-hidden="true">{icon}</span>{" "}{word}
        </span>
    }
}

/// The element id of a check's row, for "Show me" links: the id, plus the
/// subject when the id repeats (one per MX IP, per selector...).
pub fn check_anchor(check: &Check) -> String {
    let mut anchor = format!("check-{}", check.id);
    if let Some(subject) = &check.subject {
        anchor.push_str("--");
        anchor.extend(subject.chars().map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        }));
    }
    anchor
}

/// The check list. A plain function, not a component: the list holds no
/// state, and each component type costs bundle size (issue 7).
///
/// Rows are keyed by check (the anchor, numbered when it repeats), so a
/// report that changes under the reader (the browser's DKIM verification
/// arriving, #15) keeps each opened explanation with its own check.
pub fn check_list(checks: &[Check]) -> Html {
    let mut seen: Vec<String> = Vec::with_capacity(checks.len());
    let rows = checks.iter().map(|c| {
        let anchor = check_anchor(c);
        let repeat = seen.iter().filter(|a| **a == anchor).count();
        let key = format!("{anchor}#{repeat}");
        seen.push(anchor);
        check_row(c, key)
    });
    html! {
        <ul class="checks">
            { for rows }
        </ul>
    }
}

/// One reference, linked where `shared` knows where it can be read (the
/// RFC section on rfc-editor.org…); opened in a new tab, so the report (a
/// message report exists only in this page) stays.
fn reference(index: usize, text: &str) -> Html {
    let separator = if index == 0 { "" } else { ", " };
    match catalog::ref_url(text) {
        Some(url) => html! {
            <>{ separator }<a href={url} target="_blank" rel="noopener noreferrer">{ text.to_string() }</a></>
        },
        None => html! { <>{ separator }{ text.to_string() }</> },
    }
}

fn check_row(c: &Check, key: String) -> Html {
    let entry = catalog::lookup(&c.id);
    let fix = c.fix_to_show();
    html! {
        <li {key} class="check" id={check_anchor(c)} data-check-id={c.id.clone()}>
            <details>
                <summary>
                    { status_badge(c.status) }
                    <span class="check-title">{ &*c.title }</span>
                    if let Some(s) = &c.subject { <span class="subject">{ s }</span> }
                    <span class="detail">{ &c.detail }</span>
                </summary>
                <div class="explain">
                    if let Some(e) = entry { <p>{ e.explanation }</p> }
                    if let Some(f) = fix { <p><strong>{"Fix: "}</strong>{ f }</p> }
                    if let Some(s) = &c.suggestion { <pre class="record">{ s }</pre> }
                    if !c.refs.is_empty() {
                        <p class="refs">{"References: "}{ for c.refs.iter().enumerate().map(|(i, r)| reference(i, r)) }</p>
                    }
                    <p class="check-id">{"Check id: "}<code>{ &*c.id }</code></p>
                </div>
            </details>
        </li>
    }
}
