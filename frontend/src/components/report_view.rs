//! Renders a `Report`: the header band (grade, score, verdict), the facts
//! for its kind, and the checks.

use mxlens_shared::report::{Report, Status};
use yew::prelude::*;

use super::check_list::CheckList;

/// Props for [`ReportView`].
#[derive(Properties, PartialEq)]
pub struct ReportViewProps {
    /// The report.
    pub report: Report,
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
    html! {
        <section class="report" aria-label="Report">
            <div class="band">
                <div class={classes!("grade", format!("g-{:?}", r.grade))} aria-label={format!("Grade {:?}", r.grade)}>
                    { format!("{:?}", r.grade) }
                </div>
                <div>
                    <p class="score">{ format!("Score {}/100", r.score) }</p>
                    <p class="verdict">{ verdict }</p>
                </div>
            </div>
            if let Some(m) = &r.message {
                <dl class="facts">
                    <dt>{"From"}</dt>
                    <dd class="from-address">{ m.from.as_ref().map(|f| f.address.clone()).unwrap_or_else(|| "(none)".into()) }</dd>
                    <dt>{"Received hops"}</dt>
                    <dd class="hop-count">{ m.hops.len() }</dd>
                </dl>
            }
            if let Some(d) = &r.domain {
                <h3>{ format!("Mail servers for {}", d.name) }</h3>
                if d.mx.is_empty() {
                    <p>{"No MX hosts."}</p>
                } else {
                    <table class="mx">
                        <thead><tr><th>{"Preference"}</th><th>{"Host"}</th><th>{"Addresses"}</th></tr></thead>
                        <tbody>
                        { for d.mx.iter().map(|mx| html! {
                            <tr class="mx-host"><td>{ mx.preference }</td><td>{ &mx.host }</td><td>{ mx.addresses.join(", ") }</td></tr>
                        }) }
                        </tbody>
                    </table>
                }
            }
            <h3>{"Checks"}</h3>
            <CheckList checks={r.checks.clone()} />
            <footer class="report-footer">
                { format!("mxlens {} · schema {} · generated {}", r.tool.version, r.schema_version, r.generated_at) }
            </footer>
        </section>
    }
}
