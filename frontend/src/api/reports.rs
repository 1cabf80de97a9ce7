//! `/api/reports`: stored share links. The server recomputes the report
//! from the raw input; the client never uploads a report.

use mxlens_shared::report::{decode, Report};
use serde::Serialize;

use super::{member, post_json, read_json, ApiError};

/// What a stored link is made from: the raw input, never a report.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ShareInput {
    /// The pasted headers or message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The audited domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// DKIM selectors the audit was asked for (none: the server takes the
    /// message's, or tries common ones).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selectors: Vec<String>,
    /// Replace local parts of addresses before storing.
    pub redact: bool,
    /// Also replace IPs and host names.
    pub redact_network: bool,
    /// The address of the mailbox probe, re-run by the server for the
    /// stored report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcpt: Option<String>,
    /// Keep the probed address in the stored report (opt-in); otherwise the
    /// server stores `redacted@<domain>`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub keep_rcpt: bool,
}

/// The created link.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// Report id.
    pub id: String,
    /// `/r/{id}`.
    pub url: String,
    /// Token that deletes the report.
    pub delete_token: String,
}

/// Creates a stored link.
pub async fn create(input: &ShareInput) -> Result<Created, ApiError> {
    let answer = post_json("/api/reports", input).await?;
    Ok(Created {
        id: member(&answer, "id")?,
        url: member(&answer, "url")?,
        delete_token: member(&answer, "delete_token")?,
    })
}

/// Fetches a stored report.
pub async fn get(id: &str) -> Result<Report, ApiError> {
    let response = gloo_net::http::Request::get(&format!("/api/reports/{id}"))
        .send()
        .await
        .map_err(|e| ApiError {
            status: 0,
            message: format!("the mxlens server could not be reached ({e})"),
        })?;
    match response.status() {
        200 => read_json(&response)
            .await
            .and_then(|value| decode::report(&value))
            .map_err(|e| ApiError {
            status: 200,
            message: format!("the stored report could not be read: {e}"),
        }),
        404 => Err(ApiError {
            status: 404,
            message: "No report with this link: it may have expired (links are kept for 30 days) or been deleted.".into(),
        }),
        status => Err(ApiError {
            status,
            message: format!("the server answered HTTP {status}"),
        }),
    }
}
