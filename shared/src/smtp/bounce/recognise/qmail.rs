//! qmail (and netqmail, vpopmail, qmail-ldap): `Hi. This is the qmail-send
//! program at …`, then `<address>:` blocks whose only code may be written
//! `(#5.1.1)`, then `--- Below this line is a copy of the message.`

use super::{address_blocks, has_any, Recogniser};
use crate::smtp::bounce::input::Input;
use crate::smtp::bounce::Finding;

pub(super) const QMAIL: Recogniser = Recogniser {
    name: "qmail",
    read,
};

const MARKERS: &[&str] = &[
    "this is the qmail-send program",
    "i'm afraid i wasn't able to deliver your message",
    "i tried to deliver a bounce message",
    "qmail-send program",
];

fn read(input: &Input) -> Option<Vec<Finding>> {
    if !has_any(input, MARKERS) {
        return None;
    }
    Some(address_blocks(input.report()))
}
