//! Renders a `Report`: the header band (grade, score, verdict), the facts
//! for its kind, and the checks.

use std::rc::Rc;

use mxlens_shared::report::{Report, Status};
use yew::prelude::*;

use super::check_list::check_list;
use super::domain::{domain_cards, is_domain_check};
use super::export::export_buttons;
use super::message::bounce::bounce_card;
use super::message::message_sections;
use super::message::summary::top_problems;
use super::share::ShareButton;
use super::transport::transport_section;
use crate::api::reports::ShareInput;

/// Props for [`ReportView`].
#[derive(Properties)]
pub struct ReportViewProps {
    /// The report. Shared, and compared by pointer: a report is never
    /// changed in place, and comparing two large reports field by field on
    /// every re-render of the page costs more than rendering them.
    pub report: Rc<Report>,
    /// The raw input, for the Share button; `None` for a stored report.
    #[prop_or_default]
    pub share: Option<ShareInput>,
    /// Starts the audit of a message's From domain ("Audit <domain>").
    #[prop_or_default]
    pub on_audit: Option<Callback<String>>,
}

impl PartialEq for ReportViewProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.report, &other.report)
            && self.share == other.share
            && self.on_audit == other.on_audit
    }
}

/// The report view.
#[function_component(ReportView)]
pub fn report_view(props: &ReportViewProps) -> Html {
    let r = &props.report;
    let count = |s: Status| r.checks.iter().filter(|c| c.status == s).count();
    let verdict = format!(
        "{} failed, {} warnings, {} passed, {} errors",
        count(Status::Fail),
        count(Status::Warn),
        count(Status::Pass),
        count(Status::Error)
    );
    let other_checks: Vec<_> = if r.domain.is_some() {
        r.checks
            .iter()
            .filter(|c| !is_domain_check(c))
            .cloned()
            .collect()
    } else {
        r.checks.clone()
    };
    html! {
        <section class="report" aria-label="Report">
            <div class="band">
                <div class={classes!("grade", format!("g-{:?}", r.grade))} aria-label={format!("Grade {:?}", r.grade)}>
                    { format!("{:?}", r.grade) }
                </div>
                <div>
                    <p class="score">{ format!("Score {}/100", r.score) }</p>
                    <p class="verdict">{ verdict }</p>
                    if r.coverage < 100 {
                        <p class="coverage">{ format!(
                            "Only {}% could be checked: {} not tested, {} errors. Unknowns cost half their weight; they never count as passes.",
                            r.coverage,
                            count(Status::NotTested),
                            count(Status::Error)
                        ) }</p>
                    }
                </div>
                <ShareButton input={props.share.clone()} />
                { export_buttons(r) }
            </div>
            if let Some(b) = r.message.as_ref().and_then(|m| m.bounce.as_ref()) {
                { bounce_card(b, props.on_audit.as_ref()) }
            }
            if let Some(m) = &r.message {
                <dl class="facts">
                    <dt>{"From"}</dt>
                    <dd class="from-address">{ m.from.as_ref().map(|f| f.address.clone()).unwrap_or_else(|| "(none)".into()) }</dd>
                    <dt>{"Received hops"}</dt>
                    <dd class="hop-count">{ m.hops.len() }</dd>
                </dl>
            }
            { top_problems(r) }
            if let Some(m) = &r.message {
                { message_sections(m, r.reputation.as_ref(), props.on_audit.as_ref()) }
            }
            if let Some(d) = &r.domain {
                <h3>{ format!("Domain {}", d.name) }</h3>
                { domain_cards(&r.checks, Some(d), false) }
            }
            if let Some(t) = mxlens_shared::report::transport::section(r) {
                { transport_section(&t, r.domain.is_some()) }
            }
            // The domain cards already show the domain's checks.
            if !other_checks.is_empty() {
                <h3>{"Checks"}</h3>
                { check_list(&other_checks) }
            }
            if !r.checklists.bulk_sender.is_empty() || !r.checklists.can_spam.is_empty() {
                <h3>{"Bulk-sender requirements (Gmail, Yahoo, Microsoft)"}</h3>
                { checklist_table(&r.checklists.bulk_sender) }
                <h3>{"CAN-SPAM"}</h3>
                { checklist_table(&r.checklists.can_spam) }
            }
            <footer class="report-footer">
                { format!("mxlens {} · schema {} · generated {} · from {}", r.tool.version, r.schema_version, r.generated_at, r.input_summary()) }
            </footer>
        </section>
    }
}

fn checklist_table(items: &[mxlens_shared::report::ChecklistItem]) -> Html {
    use mxlens_shared::report::ChecklistStatus;
    html! {
        <table class="checklist">
            <thead><tr><th>{"Requirement"}</th><th>{"Status"}</th><th>{"Why"}</th></tr></thead>
            <tbody>
            { for items.iter().map(|i| {
                let (icon, word, class) = match i.status {
                    ChecklistStatus::Pass => ("✔", "pass", "s-pass"),
                    ChecklistStatus::Fail => ("✘", "fail", "s-fail"),
                    ChecklistStatus::Manual => ("?", "manual", "s-info"),
                    ChecklistStatus::NeedsBody => ("–", "needs body", "s-not_tested"),
                    ChecklistStatus::NeedsBackend => ("–", "needs domain audit", "s-not_tested"),
                    ChecklistStatus::NotApplicable => ("–", "n/a", "s-not_applicable"),
                };
                html! {
                    <tr data-item-id={i.id.clone()}>
                        <td>{ &*i.title }</td>
                        <td class={classes!("badge", class)}><span aria-hidden="true">{icon}</span>{" "}{word}</td>
                        <td>{ &i.detail }</td>
                    </tr>
                }
            }) }
            </tbody>
        </table>
    }
}
