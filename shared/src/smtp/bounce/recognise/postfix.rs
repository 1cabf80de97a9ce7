//! Postfix: `This is the mail system at host …` (older: `This is the
//! Postfix program at host …`), then `<address>: host … said: 550 … (in
//! reply to RCPT TO command)` blocks. Usually with an RFC 3464 part as well;
//! the text adds the SMTP command, which the DSN fields do not carry.

use super::{address_blocks, after_marker, has_any, Recogniser};
use crate::report::BounceAction;
use crate::smtp::bounce::input::Input;
use crate::smtp::bounce::Finding;

pub(super) const POSTFIX: Recogniser = Recogniser {
    name: "postfix",
    read,
};

const MARKERS: &[&str] = &[
    "this is the mail system at host",
    "this is the postfix program at host",
    "the postfix program",
    "i'm sorry to have to inform you that your message could not",
    "i'm sorry to have to inform you that the message returned",
];

fn read(input: &Input) -> Option<Vec<Finding>> {
    if !has_any(input, MARKERS) {
        return None;
    }
    let report = input.report();
    let delayed = has_any(
        input,
        &[
            "delayed mail (still being retried)",
            "this is a warning only",
        ],
    );
    let blocks =
        after_marker(report, &["the mail system", "the postfix program"]).unwrap_or(report);
    let mut found = address_blocks(blocks);
    if delayed {
        for f in &mut found {
            f.action = Some(BounceAction::Delayed);
        }
    }
    Some(found)
}
