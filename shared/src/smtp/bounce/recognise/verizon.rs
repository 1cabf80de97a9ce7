//! Verizon Wireless's MMS gateway (vzwpix.com, vtext.com): `Message could
//! not be delivered to mobile.` with `Error: No valid recipients for this
//! MM`; the failed address is in the quoted original's To.

use super::{each_address, has_any, Recogniser};
use crate::report::Reason;
use crate::smtp::bounce::input::Input;
use crate::smtp::bounce::text::{addresses_in, join_lines};
use crate::smtp::bounce::Finding;

pub(super) const VERIZON: Recogniser = Recogniser {
    name: "verizon",
    read,
};

fn read(input: &Input) -> Option<Vec<Finding>> {
    if !has_any(
        input,
        &[
            "message could not be delivered to mobile",
            "no valid recipients for this mm",
        ],
    ) {
        return None;
    }
    let body = &input.body;
    let to = body
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("To:"))
        .map(addresses_in)
        .unwrap_or_default();
    let words = join_lines(
        input
            .report()
            .lines()
            .take_while(|l| !l.starts_with("Original Message"))
            .take(4),
    );
    Some(each_address(to, &words, Some(Reason::UserUnknown)))
}
