//! Smaller mail systems, one reader each: DragonFly Mail Agent, OpenSMTPD,
//! Courier, Lotus Domino and Notes, and IMail. The formats are short; each
//! reader says where the address and the words are.

use super::sendmail::transcript_command;
use super::{address_blocks, after_marker, before_marker, each_address, has_any, Recogniser};
use crate::report::{BounceAction, Reason};
use crate::smtp::bounce::input::Input;
use crate::smtp::bounce::text::{addresses_in, clean_address, contains_ci, join_lines};
use crate::smtp::bounce::Finding;

pub(super) const OTHER_MTAS: Recogniser = Recogniser { name: "mta", read };

/// The readers, tried in order.
/// One reader: the bounce and its report text in, the findings out.
type Reader = fn(&Input, &str) -> Option<Vec<Finding>>;

static READERS: &[Reader] = &[
    dragonfly, opensmtpd, courier, domino, notes, imail, zoho, fml,
];

fn read(input: &Input) -> Option<Vec<Finding>> {
    let report = input.report();
    READERS
        .iter()
        .find_map(|r| r(input, report).filter(|f| !f.is_empty()))
}

/// DragonFly Mail Agent: `There was an error delivering your mail to
/// <address>.` followed by the remote server's words.
fn dragonfly(input: &Input, report: &str) -> Option<Vec<Finding>> {
    if !has_any(
        input,
        &[
            "this is the dragonfly mail agent",
            "there was an error delivering your mail to",
        ],
    ) {
        return None;
    }
    let line = report
        .lines()
        .find(|l| contains_ci(l, "error delivering your mail to"))?;
    let recipient = addresses_in(line).into_iter().next();
    let words = after_marker(report, &["error delivering your mail to"]).unwrap_or_default();
    Some(vec![Finding {
        recipient,
        diagnostic: join_lines(before_marker(words, &["message headers follow"]).lines()),
        ..Finding::default()
    }])
}

/// OpenSMTPD: `An error has occurred while attempting to deliver a message
/// for the following list of recipients:` and `address: words` lines.
fn opensmtpd(input: &Input, report: &str) -> Option<Vec<Finding>> {
    if !has_any(
        input,
        &[
            "an error has occurred while attempting to deliver a message",
            "this is the mailer-daemon, please do not reply",
        ],
    ) {
        return None;
    }
    let listed = after_marker(
        report,
        &["following list of recipients", "following recipients"],
    )
    .unwrap_or(report);
    Some(address_blocks(before_marker(
        listed,
        &["below is a copy of the original message"],
    )))
}

/// Courier: `<address>:` then the host and a `>>> command` / `<<< reply` exchange.
fn courier(input: &Input, report: &str) -> Option<Vec<Finding>> {
    if !has_any(
        input,
        &[
            "running the courier mail server",
            "this is a delivery status notification from",
        ],
    ) {
        return None;
    }
    let listed = after_marker(
        report,
        &[
            "cannot be delivered",
            "delivery to the following recipients",
        ],
    )
    .unwrap_or(report);
    let mut found = address_blocks(listed);
    for f in &mut found {
        f.command = transcript_command(
            &f.diagnostic
                .replace(" >>> ", "\n>>> ")
                .replace(" <<< ", "\n<<< "),
        );
    }
    Some(found)
}

/// Lotus Domino: `was not delivered to:` address, `because:` words.
fn domino(input: &Input, report: &str) -> Option<Vec<Finding>> {
    if !has_any(input, &["was not delivered to:"]) || !has_any(input, &["because:"]) {
        return None;
    }
    let listed = after_marker(report, &["was not delivered to:"])
        .map(|t| before_marker(t, &["because:"]))?;
    let words = after_marker(report, &["because:"]).unwrap_or_default();
    let words = join_lines(
        words
            .lines()
            .take_while(|l| !l.trim().is_empty() || l.is_empty())
            .take(4),
    );
    Some(each_address(addresses_in(listed), &words, None))
}

/// Lotus Notes: `------- Failure Reasons --------`, the words, then the address.
fn notes(input: &Input, report: &str) -> Option<Vec<Finding>> {
    if !has_any(input, &["------- failure reasons"]) {
        return None;
    }
    let section = after_marker(report, &["------- failure reasons"])
        .map(|t| before_marker(t, &["-------"]))?;
    let words: Vec<&str> = section.lines().filter(|l| !l.contains('@')).collect();
    let diagnostic = join_lines(words);
    Some(each_address(addresses_in(section), &diagnostic, None))
}

/// IMail: `Words: address` lines before `Original message follows.`
fn imail(input: &Input, report: &str) -> Option<Vec<Finding>> {
    if !has_any(input, &["original message follows."])
        || !input.sender_lower().contains("postmaster")
    {
        return None;
    }
    let mut found = Vec::new();
    for line in before_marker(report, &["original message follows"]).lines() {
        if let Some((words, address)) = line.rsplit_once(':') {
            if let Some(recipient) = clean_address(address) {
                let words = words.trim();
                // IMail's fixed texts for its local deliveries.
                let hint = [
                    ("unknown user", Reason::UserUnknown),
                    ("invalid final delivery userid", Reason::UserUnknown),
                    ("user mailbox exceeds allowed size", Reason::MailboxFull),
                    ("delivery failed", Reason::Expired),
                ]
                .iter()
                .find(|(w, _)| contains_ci(words, w))
                .map(|(_, r)| *r);
                found.push(Finding {
                    recipient: Some(recipient),
                    diagnostic: words.to_string(),
                    hint,
                    ..Finding::default()
                });
            }
        }
    }
    Some(found)
}

/// Zoho Mail: `kijitora@example.jp Invalid Address, ERROR_CODE :550,
/// ERROR_CODE :5.1.1 …` lines, or in a delay warning `[Status: Error,
/// Address: <kijitora@example.jp>, ResponseCode 421, , Host not reachable.]`.
fn zoho(input: &Input, report: &str) -> Option<Vec<Finding>> {
    if !input.sender_lower().contains("zoho") {
        return None;
    }
    let delayed = contains_ci(input.subject(), "(delay)")
        || contains_ci(report, "this is a warning message only");
    let mut found = Vec::new();
    for line in report.lines() {
        let t = line.trim().trim_start_matches('[').trim_end_matches(']');
        let (recipient, words) = if let Some(rest) = t.strip_prefix("Status:") {
            let at = rest.find("Address:")?;
            let after = &rest[at + 8..];
            let end = after.find(',').unwrap_or(after.len());
            (
                clean_address(&after[..end]),
                after[end..]
                    .trim_start_matches([',', ' '])
                    .replace("ResponseCode ", ""),
            )
        } else if contains_ci(t, "error_code") {
            let (first, rest) = t.split_once(char::is_whitespace)?;
            (clean_address(first), rest.replace("ERROR_CODE :", ""))
        } else {
            continue;
        };
        found.push(Finding {
            recipient,
            diagnostic: words.trim().trim_matches(',').to_string(),
            action: delayed.then_some(BounceAction::Delayed),
            ..Finding::default()
        });
    }
    Some(found)
}

/// fml (a mailing list manager): the list refuses a post from a
/// non-member (`You are not a member of this mailing list <list>.`) or a
/// looping message (`Duplicated Message-ID`). The recipient is the list.
fn fml(input: &Input, report: &str) -> Option<Vec<Finding>> {
    let hint = if has_any(input, &["you are not a member of this mailing list"]) {
        Reason::Rejected
    } else if has_any(input, &["duplicated message-id"]) {
        Reason::SystemError
    } else {
        return None;
    };
    let first = report.lines().find(|l| !l.trim().is_empty())?;
    Some(vec![Finding {
        recipient: addresses_in(first).into_iter().next(),
        diagnostic: first.trim().to_string(),
        hint: Some(hint),
        ..Finding::default()
    }])
}
