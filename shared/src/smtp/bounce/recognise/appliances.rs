//! Mail security appliances and gateways that write their own bounces:
//! SurfControl (`Your message could not be sent. A transcript of the
//! attempts…`), MailFoundry (`Unable to deliver message to:` and `Delivery
//! failed for the following reason:`), m-FILTER (`-------server message`
//! and `-------SMTP command` sections), McAfee (`--- The following
//! addresses had delivery problems ---`) and Active!hunter
//! (`X-AHMAILID`). Barracuda, IronPort and FortiMail send RFC 3464 DSNs,
//! read by the DSN reader; their refusals are classified by their words.

use super::sendmail::transcript_command;
use super::{address_blocks, after_marker, before_marker, has_any, Recogniser};
use crate::smtp::bounce::input::Input;
use crate::smtp::bounce::text::{clean_address, command_in, join_lines};
use crate::smtp::bounce::Finding;

pub(super) const APPLIANCES: Recogniser = Recogniser {
    name: "appliance",
    read,
};

fn read(input: &Input) -> Option<Vec<Finding>> {
    let report = input.report();
    if has_any(
        input,
        &["a transcript of the attempts to send the message follows"],
    ) {
        return Some(address_blocks(
            after_marker(report, &["failed to send to identified host"]).unwrap_or(report),
        ));
    }
    if has_any(input, &["delivery failed for the following reason"]) {
        let line = report.lines().find(|l| {
            l.to_ascii_lowercase()
                .contains("unable to deliver message to")
        })?;
        let words =
            after_marker(report, &["delivery failed for the following reason"]).unwrap_or_default();
        return Some(vec![Finding {
            recipient: clean_address(line.split_once(':')?.1),
            diagnostic: join_lines(
                before_marker(words, &["this has been a permanent failure"]).lines(),
            ),
            ..Finding::default()
        }]);
    }
    if has_any(input, &["-------server message", "m-filter"]) {
        let listed = before_marker(report, &["-------server message"]);
        let words = after_marker(report, &["-------server message"])
            .map(|t| before_marker(t, &["-------"]))
            .unwrap_or_default();
        let command = after_marker(report, &["-------smtp command"])
            .and_then(|t| command_in(&format!(">>> {}", t.trim_start())));
        let mut found = super::with_words(address_blocks(listed), words);
        for f in &mut found {
            f.command = command;
        }
        return Some(found);
    }
    if !input.header("x-ahmailid").is_empty() {
        let listed = after_marker(report, &["following addresses had"])
            .map(|t| before_marker(t, &["-----"]))
            .unwrap_or(report);
        let transcript =
            after_marker(report, &["transcript of session follows"]).unwrap_or_default();
        let mut found = super::with_words(address_blocks(listed), transcript);
        for f in &mut found {
            f.command = transcript_command(transcript);
        }
        return Some(found);
    }
    if has_any(
        input,
        &["--- the following addresses had delivery problems ---"],
    ) {
        return Some(address_blocks(report));
    }
    None
}
