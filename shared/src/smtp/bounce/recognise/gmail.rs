//! Gmail and Google Workspace: `Delivery to the following recipient failed
//! permanently:` (or `has been delayed:`) with the address, then
//! `Technical details of permanent failure:` with the remote server's
//! reply and Google's `(state N)` for the SMTP stage; newer bounces say
//! `** Message not delivered **` and `The response was:`. Google Groups
//! refuses posts to a group in its own words, naming the group only in
//! `X-Failed-Recipients`.

use super::{address_blocks, after_marker, before_marker, each_address, has_any, Recogniser};
use crate::report::{BounceAction, Reason};
use crate::smtp::bounce::input::Input;
use crate::smtp::bounce::text::{addresses_in, contains_ci, join_lines};
use crate::smtp::bounce::{Command, Finding};

pub(super) const GMAIL: Recogniser = Recogniser {
    name: "gmail",
    read: read_gmail,
};
pub(super) const GOOGLE_GROUPS: Recogniser = Recogniser {
    name: "googlegroups",
    read: read_groups,
};

fn is_google(input: &Input) -> bool {
    let from = input.sender_lower();
    from.contains("googlemail.com") || from.contains("google.com") || from.contains("gmail.com")
}

fn read_gmail(input: &Input) -> Option<Vec<Finding>> {
    if !is_google(input) && !has_any(input, &["google tried to deliver your message"]) {
        return None;
    }
    let report = input.report();
    let listed = after_marker(
        report,
        &[
            "delivery to the following recipient",
            "delivery to these recipients",
        ],
    )
    .map(|t| {
        before_marker(
            t,
            &[
                "technical details",
                "message will be retried",
                "the response",
            ],
        )
    });
    let words = after_marker(
        report,
        &[
            "technical details of",
            "the response from the remote server was",
            "the response was",
        ],
    )
    .map(|t| before_marker(t, &["----- original message", "-----"]))
    .unwrap_or_default();
    let mut found = listed.map(address_blocks).unwrap_or_default();
    if found.is_empty() {
        found = each_address(addresses_in(input.header("x-failed-recipients")), "", None);
    }
    if found.is_empty() {
        // No address in the text: the words alone, paired with the DSN's
        // only recipient when there is one.
        found.push(Finding::default());
    }
    let delayed =
        contains_ci(report, "has been delayed") || contains_ci(report, "warning message only");
    // Newer bounces: `** Address not found **` and a sentence.
    let words = if words.trim().is_empty() {
        join_lines(report.lines().filter(|l| !l.trim().is_empty()).take(3))
    } else {
        join_lines(words.lines())
    };
    for f in &mut found {
        if !words.is_empty() {
            f.diagnostic = join_lines([f.diagnostic.as_str(), words.as_str()]);
        }
        if delayed {
            f.action = Some(BounceAction::Delayed);
        }
        let (command, hint) = state(&f.diagnostic);
        f.command = f.command.or(command);
        f.hint = f.hint.or(hint);
        if contains_ci(report, "customfromdenied") {
            f.hint = Some(Reason::Rejected);
        }
    }
    Some(found)
}

/// Gmail's `(state N)`: the SMTP stage its client was in when the remote
/// server refused, and the reason that stage implies.
fn state(words: &str) -> (Option<Command>, Option<Reason>) {
    let lower = words.to_ascii_lowercase();
    let Some(at) = lower.find("(state ") else {
        return (None, None);
    };
    let number: String = lower[at + 7..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    match number.as_str() {
        "5" => (Some(Command::Helo), Some(Reason::Blocked)),
        "6" | "9" => (Some(Command::Mail), Some(Reason::FailedStartTls)),
        "12" => (Some(Command::Mail), Some(Reason::Rejected)),
        "13" => (Some(Command::Rcpt), None),
        "14" | "15" | "17" | "18" => (Some(Command::Data), Some(Reason::Filtered)),
        _ => (None, None),
    }
}

fn read_groups(input: &Input) -> Option<Vec<Finding>> {
    if !is_google(input) || !(has_any(input, &["google groups", "groups.google.com"])) {
        return None;
    }
    let report = input.report();
    let words = join_lines(report.lines().take(4));
    // The group refuses the poster: it may not exist, or the sender may
    // not post to it.
    Some(each_address(
        addresses_in(input.header("x-failed-recipients")),
        &words,
        Some(Reason::Rejected),
    ))
}
