//! `/api/reports`: stored share links. The server recomputes the report
//! from the raw input; the client never uploads a report.

use mxlens_shared::report::{decode, Report};

use super::{member, post_json, read_json, ApiError};

/// What a stored link is made from: the raw input, never a report (the
/// body of `POST /api/reports`, defined once in `shared`).
pub use mxlens_shared::api::CreateReport as ShareInput;

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
