//! Yahoo and AOL (Verizon Media): `Sorry, we were unable to deliver your
//! message to the following address.`, then `<address>:` and `Remote host
//! said: 554 … [RCPT_TO]`, where the bracketed word is the SMTP command.

use super::{address_blocks, has_any, Recogniser};
use crate::smtp::bounce::input::Input;
use crate::smtp::bounce::text::contains_ci;
use crate::smtp::bounce::{Command, Finding};

pub(super) const YAHOO: Recogniser = Recogniser {
    name: "yahoo",
    read,
};

fn read(input: &Input) -> Option<Vec<Finding>> {
    if !has_any(
        input,
        &["sorry, we were unable to deliver your message to the following address"],
    ) {
        return None;
    }
    let mut found = address_blocks(input.report());
    for f in &mut found {
        f.command = [
            ("[rcpt_to]", Command::Rcpt),
            ("[mail_from]", Command::Mail),
            ("[data]", Command::Data),
            ("[connect]", Command::Connect),
        ]
        .iter()
        .find(|(word, _)| contains_ci(&f.diagnostic, word))
        .map(|(_, c)| *c);
    }
    Some(found)
}
