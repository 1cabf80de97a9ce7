//! `POST /api/analyze`: a message report, with its DKIM and ARC signatures
//! verified by the server's resolver.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
pub use mxlens_shared::api::AnalyzeBody;

use crate::error::AppError;
use crate::http::AppJson;
use crate::AppState;

pub(super) async fn analyze(
    State(state): State<AppState>,
    AppJson(body): AppJson<AnalyzeBody>,
) -> Result<Response, AppError> {
    // Verifies DKIM and ARC signatures with the server's resolver.
    let report = crate::dkim::analyze_verified(&state, body.message).await?;
    Ok(Json(report).into_response())
}
