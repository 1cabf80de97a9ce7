//! Microsoft Exchange and Office 365 / Outlook.com non-delivery reports:
//! `Delivery has failed to these recipients or groups:` (2007 and later,
//! with `Diagnostic information for administrators:` giving the address
//! and `#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##`), `Your
//! message did not reach some or all of the intended recipients` (2003,
//! with `MSEXCH:` codes), and the DSN-style `Delivery to the following
//! recipients failed.`

use super::{address_blocks, after_marker, before_marker, has_any, Recogniser};
use crate::smtp::bounce::input::Input;
use crate::smtp::bounce::Finding;

pub(super) const EXCHANGE: Recogniser = Recogniser {
    name: "exchange",
    read,
};

const MARKERS: &[&str] = &[
    "delivery has failed to these recipients or",
    "did not reach the following recipient",
    "did not reach some or all of the intended recipients",
    "your message couldn't be delivered",
    "your message wasn't delivered",
    "diagnostic information for administrators",
    "microsoft exchange",
    "msexch:",
];

fn read(input: &Input) -> Option<Vec<Finding>> {
    if !has_any(input, MARKERS) {
        return None;
    }
    let report = input.report();
    let first = before_marker(
        report,
        &[
            "diagnostic information for administrators",
            "original message headers",
        ],
    );
    let mut found = address_blocks(first);
    if let Some(admin) = after_marker(report, &["diagnostic information for administrators"]) {
        let admin = before_marker(admin, &["original message headers"]);
        for detail in address_blocks(admin) {
            match found.iter_mut().find(|f| f.recipient == detail.recipient) {
                Some(f) => {
                    f.diagnostic = format!("{} {}", detail.diagnostic, f.diagnostic)
                        .trim()
                        .to_string()
                }
                None => found.push(detail),
            }
        }
    }
    Some(found)
}
