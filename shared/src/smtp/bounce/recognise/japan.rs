//! Japanese mobile carriers and ISPs: au/EZweb (`Each of the following
//! recipients was rejected by a remote mail server.`, `The user(s) account
//! is disabled.`), KDDI au one net (`Could not be delivered to: <address>
//! As their mailbox is full.`) and BIGLOBE (`----- Non-delivered
//! information -----`). Their Japanese text is ISO-2022-JP, which
//! mail-parser decodes. NTT docomo writes Sendmail's format.

use super::{address_blocks, after_marker, before_marker, has_any, Recogniser};
use crate::report::Reason;
use crate::smtp::bounce::input::Input;
use crate::smtp::bounce::text::{clean_address, contains_ci, join_lines};
use crate::smtp::bounce::Finding;

pub(super) const JAPAN: Recogniser = Recogniser {
    name: "japan-carrier",
    read,
};

fn read(input: &Input) -> Option<Vec<Finding>> {
    let from = input.sender_lower();
    let report = input.report();
    if from.contains("ezweb.ne.jp")
        || has_any(
            input,
            &["each of the following recipients was rejected by a remote mail server"],
        )
    {
        // The carrier's own words come before the addresses.
        let words = join_lines(before_marker(report, &["@"]).lines());
        let mut found = address_blocks(report);
        for f in &mut found {
            f.diagnostic = join_lines([words.as_str(), f.diagnostic.as_str()]);
            if contains_ci(report, "rejected by a remote mail server") {
                // The recipient's domain filter refused the sender.
                f.hint = Some(Reason::Filtered);
            }
        }
        return Some(found);
    }
    if has_any(input, &["could not be delivered to:"])
        && (from.contains("dion.ne.jp")
            || from.contains("au.com")
            || has_any(input, &["au one net"]))
    {
        let rest = after_marker(report, &["could not be delivered to:"])?;
        let line = report
            .lines()
            .find(|l| contains_ci(l, "could not be delivered to:"))?;
        let recipient = clean_address(line.split_once(':')?.1);
        return Some(vec![Finding {
            recipient,
            diagnostic: join_lines(rest.lines().take(3)),
            ..Finding::default()
        }]);
    }
    if from.contains("biglobe.ne.jp") && has_any(input, &["non-delivered information"]) {
        let listed = after_marker(report, &["had delivery problems"])
            .map(|t| before_marker(t, &["-----"]))?;
        let words = after_marker(report, &["non-delivered information"])
            .map(|t| before_marker(t, &["-----"]))
            .unwrap_or_default();
        return Some(super::with_words(address_blocks(listed), words));
    }
    None
}
