//! One error type for handlers: JSON `{code, message}` with a fitting status.
//! Internal errors are logged and never echoed to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// An API error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the input is wrong; the message says how.
    #[error("{1}")]
    BadRequest(&'static str, String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 413.
    #[error("request body too large (limit 1 MiB)")]
    TooLarge,
    /// 413 `report_too_large`: the report made from the input is over the
    /// stored-size cap (`--max-report-kib`).
    #[error("{0}")]
    ReportTooLarge(String),
    /// 429 `quota_exceeded` with `Retry-After`: this client's daily quota of
    /// stored reports is used (`--reports-per-client-per-day`).
    #[error("this client has stored its quota of reports for today; retry in {0} s")]
    QuotaExceeded(u64),
    /// 507 `store_full`: the report store holds its quota (`--store-quota-mib`).
    #[error("{0}")]
    StoreFull(String),
    /// 429 `too_many_audits` with `Retry-After`: this client already runs
    /// its share of audits (`--audits-per-client`).
    #[error("{0}")]
    TooManyAudits(String),
    /// 401: a credential is required (e.g. the delete token).
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the credential given is wrong.
    #[error("{0}")]
    Forbidden(String),
    /// 429 with `Retry-After` (seconds).
    #[error("too many requests; retry in {0} s")]
    RateLimited(u64),
    /// 503: a global capacity limit is reached (e.g. concurrent audits).
    #[error("{0}")]
    Busy(String),
    /// 503 `busy` with `Retry-After`: every CPU is busy and the queue of
    /// analyses waiting for one is full.
    #[error(transparent)]
    CpuBusy(#[from] crate::cpu::Busy),
    /// 503: the handler ran past its deadline.
    #[error("the request took too long and was stopped")]
    Timeout,
    /// 500: logged, not shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // RFC 9110 §10.2.3: Retry-After in delay-seconds, where the client
        // should wait.
        let mut retry_after = None;
        let (status, code, message) = match &self {
            AppError::BadRequest(code, m) => (StatusCode::BAD_REQUEST, *code, m.clone()),
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m.clone()),
            AppError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", self.to_string()),
            AppError::ReportTooLarge(m) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "report_too_large", m.clone())
            }
            AppError::QuotaExceeded(secs) => {
                retry_after = Some(*secs);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    "quota_exceeded",
                    self.to_string(),
                )
            }
            AppError::StoreFull(m) => (StatusCode::INSUFFICIENT_STORAGE, "store_full", m.clone()),
            AppError::TooManyAudits(m) => {
                retry_after = Some(5);
                (StatusCode::TOO_MANY_REQUESTS, "too_many_audits", m.clone())
            }
            AppError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m.clone()),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone()),
            AppError::RateLimited(secs) => {
                retry_after = Some(*secs);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    self.to_string(),
                )
            }
            AppError::Busy(m) => (StatusCode::SERVICE_UNAVAILABLE, "busy", m.clone()),
            AppError::CpuBusy(_) => {
                retry_after = Some(crate::cpu::RETRY_AFTER_SECS);
                (StatusCode::SERVICE_UNAVAILABLE, "busy", self.to_string())
            }
            AppError::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout", self.to_string()),
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; see the server log".to_string(),
                )
            }
        };
        let mut response = (status, Json(ErrorBody { code, message })).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        response
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_cpu_queue_is_503_busy_with_retry_after() {
        let response = AppError::from(crate::cpu::Busy).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let retry = response.headers()[axum::http::header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(retry, crate::cpu::RETRY_AFTER_SECS.to_string());
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "busy", "{body}");
        assert!(body["message"].as_str().unwrap().contains("busy"), "{body}");
    }
}
