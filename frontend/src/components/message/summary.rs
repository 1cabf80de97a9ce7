//! The summary under the header band: the top three problems as cards,
//! each with its impact and fix from the shared catalogue and a "Show me"
//! link that opens the check in the list below.

use mxlens_shared::report::{catalog, Report};
use yew::prelude::*;

use crate::components::check_list::{check_anchor, status_badge};

/// Opens the `<details>` of the check row with this anchor.
fn open_check(anchor: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(row) = doc.get_element_by_id(anchor) {
        if let Ok(Some(details)) = row.query_selector("details") {
            let _ = details.set_attribute("open", "");
        }
    }
}

/// The top problems.
pub fn top_problems(report: &Report) -> Html {
    let top = report.top_problems(3);
    html! {
        <section class="top-problems" aria-labelledby="top-problems-heading">
            <h3 id="top-problems-heading">{"Top problems"}</h3>
            if top.is_empty() {
                <p class="no-problems">{ super::badge("✔", "pass", "s-pass") }{"Nothing failed and nothing needs a warning."}</p>
            } else {
                <ol class="problem-cards">
                { for top.iter().map(|c| {
                    let entry = catalog::lookup(&c.id);
                    let fix = c.fix.clone().or_else(|| entry.map(|e| e.fix.to_string()).filter(|f| !f.is_empty()));
                    let anchor = check_anchor(c);
                    let onclick = {
                        let anchor = anchor.clone();
                        Callback::from(move |_: MouseEvent| open_check(&anchor))
                    };
                    let title = match &c.subject {
                        Some(subject) => format!("{} ({subject})", c.title),
                        None => c.title.to_string(),
                    };
                    let mut lines: Vec<(&'static str, String)> = vec![("problem-detail", c.detail.clone())];
                    if let Some(e) = entry {
                        lines.push(("problem-impact", format!("Why it matters: {}", e.explanation)));
                    }
                    if let Some(f) = fix {
                        lines.push(("problem-fix", format!("Fix: {f}")));
                    }
                    html! {
                        <li class="problem-card" data-check-id={c.id.clone()}>
                            <p class="problem-head">{ status_badge(c.status) }<strong>{ title }</strong></p>
                            { for lines.into_iter().map(|(class, line)| html! { <p class={class}>{ line }</p> }) }
                            <a href={format!("#{anchor}")} {onclick}>{ format!("Show me the {} check", c.title) }</a>
                        </li>
                    }
                }) }
                </ol>
            }
        </section>
    }
}
