//! Sendmail: `----- The following addresses had permanent fatal errors
//! -----` (or `transient non-fatal errors` for a delay warning), each
//! address with an optional `(reason: …)`, then `----- Transcript of session
//! follows -----` with the `>>> command` / `<<< reply` exchange.

use super::{address_blocks, after_marker, before_marker, has_any, Recogniser};
use crate::report::BounceAction;
use crate::smtp::bounce::input::Input;
use crate::smtp::bounce::text::{contains_ci, join_lines};
use crate::smtp::bounce::{Command, Finding};

pub(super) const SENDMAIL: Recogniser = Recogniser {
    name: "sendmail",
    read,
};

const MARKERS: &[&str] = &[
    "----- the following addresses had permanent fatal errors -----",
    "----- the following addresses had transient non-fatal errors -----",
    "----- transcript of session follows -----",
    "the following addresses had permanent fatal errors",
    "the following addresses had delivery problems",
];

fn read(input: &Input) -> Option<Vec<Finding>> {
    if !has_any(input, MARKERS) {
        return None;
    }
    let report = input.report();
    let transcript = after_marker(report, &["transcript of session follows"]).map(|t| {
        before_marker(
            t,
            &[
                "-----",
                "message headers follow",
                "reporting-mta:",
                "final-recipient:",
            ],
        )
    });
    let listed = after_marker(report, &["addresses had", "following addresses"])
        .map(|t| before_marker(t, &["-----"]));
    let mut found = listed.map(address_blocks).unwrap_or_default();
    if found.is_empty() {
        found = transcript.map(reply_lines).unwrap_or_default();
    }
    if found.is_empty() {
        // Only a program or a file failed (`"|/usr/bin/procmail"`): the
        // words are the transcript's, the address the DSN's.
        if let Some(t) = transcript.filter(|t| !t.trim().is_empty()) {
            found.push(Finding {
                diagnostic: join_lines(t.lines()),
                command: transcript_command(t),
                ..Finding::default()
            });
            return Some(found);
        }
    }
    let delayed = contains_ci(report, "transient non-fatal errors")
        || contains_ci(input.subject(), "warning: could not send");
    let single = found.len() == 1;
    for f in &mut found {
        if let Some(t) = transcript {
            let words = if single {
                t.to_string()
            } else {
                lines_about(t, f.recipient.as_deref().unwrap_or_default())
            };
            if !words.trim().is_empty() && !f.diagnostic.contains(words.trim()) {
                f.diagnostic = join_lines([f.diagnostic.as_str(), words.as_str()]);
            }
            f.command = transcript_command(if single { t } else { &words });
        }
        if delayed {
            f.action = Some(BounceAction::Delayed);
        }
    }
    Some(found)
}

/// Sendmail's summary lines in a transcript: `554 <address>... words`.
fn reply_lines(transcript: &str) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for line in transcript.lines() {
        let t = line.trim();
        let Some((code, rest)) = t.split_once(' ') else {
            continue;
        };
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Some((address, words)) = rest.split_once("...") else {
            continue;
        };
        let Some(recipient) = crate::smtp::bounce::text::clean_address(address) else {
            continue;
        };
        if out
            .iter()
            .any(|f| f.recipient.as_deref() == Some(recipient.as_str()))
        {
            continue;
        }
        // `554 <a@example.org>... 550 Host unknown`: the inner code is the
        // remote server's reply; the outer one is Sendmail's own.
        let words = words.trim();
        let inner = words
            .split_whitespace()
            .next()
            .and_then(crate::smtp::bounce::text::parse_reply);
        out.push(Finding {
            recipient: Some(recipient),
            diagnostic: if inner.is_some() {
                words.to_string()
            } else {
                format!("{code} {words}")
            },
            ..Finding::default()
        });
    }
    out
}

/// The lines of a multi-recipient transcript about one address: those that
/// name it and the replies after a command that names it.
fn lines_about(transcript: &str, address: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut mine = false;
    for line in transcript.lines() {
        let t = line.trim_start();
        if t.starts_with(">>>") {
            mine = contains_ci(t, &address.to_ascii_lowercase());
            if mine {
                out.push(line);
            }
        } else if contains_ci(t, &address.to_ascii_lowercase()) || (mine && t.starts_with("<<<")) {
            out.push(line);
        }
    }
    out.join("\n")
}

/// The command of a `>>> command` / `<<< reply` transcript that drew the
/// first failure reply (RFC 5321 §4.2: a reply answers the last command).
pub(crate) fn transcript_command(transcript: &str) -> Option<Command> {
    let mut last: Option<Command> = None;
    for line in transcript.lines() {
        let t = line.trim_start();
        if let Some(cmd) = t.strip_prefix(">>>") {
            let cmd = cmd.trim_start().to_ascii_uppercase();
            last = if cmd.starts_with("RCPT") {
                Some(Command::Rcpt)
            } else if cmd.starts_with("MAIL") {
                Some(Command::Mail)
            } else if cmd.starts_with("DATA") || cmd == "." {
                Some(Command::Data)
            } else if cmd.starts_with("HELO") || cmd.starts_with("EHLO") {
                Some(Command::Helo)
            } else {
                last
            };
        } else if let Some(reply) = t.strip_prefix("<<<") {
            if reply.trim_start().starts_with(['4', '5']) {
                return last.or(Some(Command::Connect));
            }
        }
    }
    last
}
