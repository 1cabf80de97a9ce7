//! The request bodies of the HTTP API (`docs/report-contract.md`, "HTTP
//! API"), shared by the server, which reads them, and the browser app,
//! which sends them: one definition, so the two cannot drift apart.
//!
//! Every optional field is left out when empty, so what the browser sends
//! is what a hand-written request would hold.

use serde::{Deserialize, Serialize};

/// The body of `POST /api/analyze`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct AnalyzeBody {
    /// Raw headers or a whole message.
    pub message: String,
}

/// The body of `POST /api/audits`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct CreateAudit {
    /// The domain to audit.
    pub domain: String,
    /// DKIM selectors to look up. With none, the common ones are guessed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selectors: Vec<String>,
    /// Guess the common selectors even though `selectors` names some.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub guess_selectors: bool,
    /// The IP the domain sends from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_ip: Option<String>,
    /// An address at `domain` for the mailbox probe (`smtp.rcpt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rcpt: Option<String>,
    /// The envelope sender (MAIL FROM) of the message the audit comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_from: Option<String>,
    /// The HELO name the sending IP gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helo: Option<String>,
}

/// The body of `POST /api/reports`: the raw input only. Unknown fields are
/// refused, so a client cannot slip in a precomputed report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CreateReport {
    /// Raw headers or a whole message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A domain to audit live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// DKIM selectors for the audit; taken from the message's signatures when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selectors: Vec<String>,
    /// The sending IP for the audit; taken from the message when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_ip: Option<String>,
    /// The envelope sender (MAIL FROM) for the audit's SPF check; taken
    /// from the message (Return-Path, smtp.mailfrom) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_from: Option<String>,
    /// The HELO name for the audit's SPF check; taken from the message when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helo: Option<String>,
    /// Replace local parts of e-mail addresses before storing.
    #[serde(default)]
    pub redact: bool,
    /// Also replace IP addresses and Received-chain host names.
    #[serde(default)]
    pub redact_network: bool,
    /// An address at `domain` for the mailbox probe (`smtp.rcpt`); needs
    /// `serve --enable-rcpt-probe`. It is replaced by `redacted@<domain>`
    /// in the stored report unless `keep_rcpt` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rcpt: Option<String>,
    /// Store the probed address in the share link as it is (opt-in).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_rcpt: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Empty optional fields are left out; what is sent reads back the same.
    #[test]
    fn bodies_leave_out_empty_fields_and_round_trip() {
        let audit = CreateAudit {
            domain: "example.com".into(),
            ..CreateAudit::default()
        };
        let json = serde_json::to_string(&audit).unwrap();
        assert_eq!(json, r#"{"domain":"example.com"}"#);
        assert_eq!(serde_json::from_str::<CreateAudit>(&json).unwrap(), audit);
        let report = CreateReport {
            message: Some("From: a@b.example\r\n\r\n".into()),
            redact: true,
            ..CreateReport::default()
        };
        let json = serde_json::to_string(&report).unwrap();
        assert_eq!(
            json,
            r#"{"message":"From: a@b.example\r\n\r\n","redact":true,"redact_network":false}"#
        );
        assert_eq!(serde_json::from_str::<CreateReport>(&json).unwrap(), report);
    }

    /// A precomputed report slipped into the body is refused.
    #[test]
    fn unknown_report_fields_are_refused() {
        assert!(serde_json::from_str::<CreateReport>(r#"{"report":{}}"#).is_err());
        assert!(serde_json::from_str::<CreateAudit>(r#"{"domain":"a.example","x":1}"#).is_ok());
    }
}
