//! RFC 3464 delivery status notifications: the `message/delivery-status`
//! body (and RFC 6533 `message/global-delivery-status`) parsed into its
//! per-message and per-recipient fields.

use mail_parser::{Message, MimeHeaders};
use serde::{Deserialize, Serialize};

/// The per-message fields of a delivery-status body (RFC 3464 §2.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryStatus {
    /// Reporting-MTA, e.g. `dns; mail.example.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting_mta: Option<String>,
    /// Arrival-Date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_date: Option<String>,
    /// One entry per recipient (RFC 3464 §2.3).
    pub recipients: Vec<RecipientStatus>,
}

/// The per-recipient fields of a delivery-status body (RFC 3464 §2.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientStatus {
    /// Final-Recipient, without the `rfc822;` address type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_recipient: Option<String>,
    /// Original-Recipient, without the address type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_recipient: Option<String>,
    /// Action: failed, delayed, delivered, relayed or expanded (RFC 3464 §2.3.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Status: the enhanced status code (RFC 3464 §2.3.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The words after the Status code, e.g. `(host/domain does not accept mail)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_comment: Option<String>,
    /// Diagnostic-Code, e.g. `smtp; 550 5.1.1 User unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostic_code: Option<String>,
    /// Remote-MTA, e.g. `dns; mx.example.net`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_mta: Option<String>,
    /// Last-Attempt-Date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt_date: Option<String>,
    /// Will-Retry-Until (delayed DSNs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub will_retry_until: Option<String>,
}

/// Parses `name: value` fields with folding (RFC 3464 §2.1 uses RFC 822
/// header syntax) into blocks separated by blank lines. Total.
fn parse_field_blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut blocks: Vec<Vec<(String, String)>> = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = current.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty() && !name.contains(' ') {
                let name = name.to_ascii_lowercase();
                // Some MTAs leave out the blank line between recipients
                // (RFC 3464 §2.1 requires it): a recipient field that the
                // block already has starts a new one.
                let starts_recipient = name == "final-recipient" || name == "original-recipient";
                if starts_recipient && current.iter().any(|(n, _)| *n == name) {
                    blocks.push(std::mem::take(&mut current));
                }
                current.push((name, value.trim().to_string()));
            }
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

/// Strips the address or MTA type (`rfc822;`, `dns;`, `smtp;`) from a field.
pub(crate) fn strip_type(value: &str) -> String {
    match value.split_once(';') {
        Some((kind, rest)) if !kind.contains(' ') && kind.len() < 20 => rest.trim().to_string(),
        _ => value.trim().to_string(),
    }
}

/// Parses a message/delivery-status body (RFC 3464 §2.1). Total: text with
/// no DSN fields gives a status with no recipients.
pub fn parse_delivery_status(text: &str) -> DeliveryStatus {
    let mut status = DeliveryStatus::default();
    for block in parse_field_blocks(text) {
        let get = |name: &str| {
            block
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let is_recipient = get("final-recipient").is_some()
            || get("original-recipient").is_some()
            || (get("action").is_some() && get("status").is_some());
        if let Some(v) = get("reporting-mta") {
            status.reporting_mta = Some(strip_type(&v));
        }
        if is_recipient {
            status.recipients.push(RecipientStatus {
                final_recipient: get("final-recipient").map(|v| strip_type(&v)),
                original_recipient: get("original-recipient").map(|v| strip_type(&v)),
                action: get("action").map(|v| v.to_ascii_lowercase()),
                status: get("status")
                    .map(|v| v.split_whitespace().next().unwrap_or_default().to_string()),
                status_comment: get("status")
                    .and_then(|v| {
                        v.split_once(char::is_whitespace)
                            .map(|(_, c)| c.trim().trim_matches(['(', ')']).to_string())
                    })
                    .filter(|c| !c.is_empty()),
                diagnostic_code: get("diagnostic-code"),
                remote_mta: get("remote-mta").map(|v| strip_type(&v)),
                last_attempt_date: get("last-attempt-date"),
                will_retry_until: get("will-retry-until"),
            });
        } else if let Some(v) = get("arrival-date") {
            status.arrival_date = Some(v);
        }
    }
    status
}

/// The delivery-status part of a DSN (`message/delivery-status` or RFC 6533
/// `message/global-delivery-status`), parsed.
pub fn delivery_status(msg: &Message<'_>) -> Option<DeliveryStatus> {
    for part in &msg.parts {
        let is_dsn = part.is_content_type("message", "delivery-status")
            || part.is_content_type("message", "global-delivery-status");
        if !is_dsn {
            continue;
        }
        let text = String::from_utf8_lossy(part.contents());
        let parsed = parse_delivery_status(&text);
        if !parsed.recipients.is_empty() {
            return Some(parsed);
        }
    }
    None
}
