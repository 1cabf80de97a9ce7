//! How to copy the raw headers out of the common mail clients.

use yew::prelude::*;

const CLIENTS: &[(&str, &str)] = &[
    ("Gmail (web)", "Open the message, click ⋮ (More) next to Reply, choose “Show original”, then “Copy to clipboard”."),
    ("Outlook", "Outlook on the web and new Outlook: open the message, ⋯ → View → “View message source” (or “View message details”). Classic Outlook for Windows: open the message in its own window, File → Properties, and copy “Internet headers”."),
    ("Apple Mail", "Select the message, then View → Message → Raw Source (⌥⌘U), select all and copy."),
    ("Thunderbird", "Select the message, then View → Message Source (Ctrl+U, ⌘U on a Mac), select all and copy."),
];

/// The instructions, folded in a `<details>`.
pub fn header_help() -> Html {
    html! {
        <details class="header-help">
            <summary>{"How do I copy the headers?"}</summary>
            <dl>
            { for CLIENTS.iter().map(|(client, how)| html! { <><dt>{ *client }</dt><dd>{ *how }</dd></> }) }
            </dl>
            <p class="muted">{"Headers alone are enough; paste the whole message to also check the body (unsubscribe link, postal address)."}</p>
        </details>
    }
}
