//! Amazon SES and WorkMail: SES's JSON bounce notification (delivered by
//! SNS as mail: `"notificationType":"Bounce"`, with `bouncedRecipients`
//! carrying each address, action, status and diagnostic code), and the
//! text part `An error occurred while trying to deliver the mail to the
//! following recipients:` of SES's DSNs.

use serde_json::Value;

use super::{address_blocks, after_marker, has_any, Recogniser};
use crate::report::BounceAction;
use crate::smtp::bounce::input::Input;
use crate::smtp::bounce::text::clean_address;
use crate::smtp::bounce::{dsn, Finding};

pub(super) const SES: Recogniser = Recogniser {
    name: "amazonses",
    read,
};

fn read(input: &Input) -> Option<Vec<Finding>> {
    if let Some(found) = notification(&input.body) {
        return Some(found);
    }
    if !has_any(
        input,
        &["an error occurred while trying to deliver the mail to the following recipients"],
    ) {
        return None;
    }
    let report = input.report();
    let listed = after_marker(report, &["to the following recipients"]).unwrap_or(report);
    Some(address_blocks(listed))
}

/// The `bouncedRecipients` of an SES JSON notification.
fn notification(body: &str) -> Option<Vec<Finding>> {
    if !body.contains("\"bouncedRecipients\"") && body.contains("\\\"bouncedRecipients\\\"") {
        // SNS wraps the notification as a JSON string in its own
        // "Message" (and mail may fold its long lines): unescape the quotes.
        return notification(&body.replace("\\\"", "\""));
    }
    let at = body.find("\"bouncedRecipients\"")?;
    let open = at + body[at..].find('[')?;
    let array = balanced(&body[open..])?;
    let recipients: Vec<Value> = serde_json::from_str(array).ok()?;
    let found: Vec<Finding> = recipients
        .iter()
        .map(|r| {
            let text = |key: &str| {
                r.get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            Finding {
                recipient: clean_address(&text("emailAddress")),
                diagnostic: dsn::strip_type(&text("diagnosticCode")),
                status: Some(text("status")).filter(|s| !s.is_empty()),
                action: match text("action").as_str() {
                    "delayed" => Some(BounceAction::Delayed),
                    _ => Some(BounceAction::Failed),
                },
                ..Finding::default()
            }
        })
        .collect();
    (!found.is_empty()).then_some(found)
}

/// The JSON array at the start of `text`, up to its matching `]` (brackets
/// inside strings skipped). At most 64 KiB.
fn balanced(text: &str) -> Option<&str> {
    let mut depth = 0u32;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate().take(64 * 1024) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(&text[..=i]);
                }
            }
            _ => {}
        }
    }
    None
}
