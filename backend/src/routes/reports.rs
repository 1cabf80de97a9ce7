//! `POST /api/reports`, `GET /api/reports/{id}` (JSON or Markdown) and
//! `DELETE /api/reports/{id}`: the handlers of stored share links. What a
//! link holds and how it is built is [`crate::reports`].

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mxlens_shared::report::redact::{redact_address, redact_report, RedactOptions};
use mxlens_shared::report::Report;
use serde::Deserialize;

use crate::error::AppError;
use crate::reports::{
    build_report, constant_time_eq, expiry_after_days, token_hash, CreateReport, CreatedReport,
};
use crate::AppState;

/// The `/reports` routes, to be nested under `/api`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", post(create_report))
        .route("/reports/{id}", get(get_report).delete(delete_report))
}

async fn create_report(
    State(state): State<AppState>,
    client: Option<axum::Extension<crate::ratelimit::ClientIp>>,
    crate::http::AppJson(body): crate::http::AppJson<CreateReport>,
) -> Result<Response, AppError> {
    let client = client.map(|axum::Extension(crate::ratelimit::ClientIp(ip))| ip);
    state.quota.take_client(client)?;
    let report = build_report(&state, client, &body).await?;
    let options = RedactOptions {
        local_parts: body.redact || body.redact_network,
        network: body.redact_network,
    };
    let mut value = redact_report(&report, &options);
    // The probed address never reaches the store unless its owner opts in.
    if let Some(rcpt) = body.rcpt.as_deref().filter(|_| !body.keep_rcpt) {
        redact_address(&mut value, rcpt);
    }
    let json = serde_json::to_string(&value).map_err(|e| AppError::Internal(e.into()))?;
    state.quota.check_size(json.len())?;
    state.quota.reserve(&state.store, json.len()).await?;
    let kind = report.kind.as_str();
    let id = crate::http::random_id();
    // 256 bits: two independent 128-bit draws.
    let delete_token = format!("{}{}", crate::http::random_id(), crate::http::random_id());
    let created_at = crate::now_rfc3339();
    let expires_at = expiry_after_days(state.retention_days);
    state
        .metrics
        .store(
            "put_report",
            state.store.put_report(
                &id,
                kind,
                &json,
                &token_hash(&delete_token),
                &created_at,
                &expires_at,
            ),
        )
        .await?;
    let url = format!("/r/{id}");
    let mut response = (
        StatusCode::CREATED,
        Json(CreatedReport {
            id,
            url: url.clone(),
            delete_token,
        }),
    )
        .into_response();
    if let Ok(location) = HeaderValue::from_str(&url) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

fn not_found(id: &str) -> AppError {
    AppError::NotFound(format!("no report with id {id} (it may have expired)"))
}

/// The query of `GET /api/reports/{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct GetQuery {
    /// `json` (the default) or `markdown`.
    #[serde(default)]
    pub format: Option<String>,
}

/// `GET /api/reports/{id}`, `GET /api/reports/{id}.md` and
/// `GET /api/reports/{id}?format=markdown`: the stored JSON, or the same
/// report rendered by `mxlens_shared::report::markdown::render`.
async fn get_report(
    State(state): State<AppState>,
    client: Option<axum::Extension<crate::ratelimit::ClientIp>>,
    Path(id): Path<String>,
    Query(query): Query<GetQuery>,
) -> Result<Response, AppError> {
    let (id, markdown) = match id.strip_suffix(".md") {
        Some(bare) => (bare.to_string(), true),
        None => match query.format.as_deref() {
            None | Some("json") => (id, false),
            Some("markdown" | "md") => (id, true),
            Some(other) => {
                return Err(AppError::BadRequest(
                    "bad_format",
                    format!("unknown format \"{other}\": use \"json\" or \"markdown\""),
                ))
            }
        },
    };
    let stored = state
        .metrics
        .store(
            "get_report",
            state.store.get_live_report(&id, &crate::now_rfc3339()),
        )
        .await?
        .ok_or_else(|| not_found(&id))?;
    // A large report read costs a token of the client's POST bucket (#19 H2).
    if stored.report_json.len() > crate::quota::LARGE_READ_BYTES {
        if let (Some(rate), Some(axum::Extension(crate::ratelimit::ClientIp(ip)))) =
            (state.limits.rate.as_ref(), client)
        {
            rate.check(ip, std::time::Instant::now())
                .map_err(AppError::RateLimited)?;
        }
    }
    if markdown {
        let json = stored.report_json;
        let markdown = state
            .cpu
            .run(move || {
                serde_json::from_str::<Report>(&json)
                    .map(|r| mxlens_shared::report::markdown::render(&r))
            })
            .await?
            .map_err(|e| AppError::Internal(e.into()))?;
        let mut response = markdown.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/markdown; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return Ok(response);
    }
    // Stored verbatim: serve the exact bytes that were written.
    let mut response = stored.report_json.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Immutable, but it can be deleted or expire: let caches revalidate.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

async fn delete_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme is case-insensitive (RFC 9110 §11.1).
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::Unauthorized(
                "send the delete token as \"Authorization: Bearer <delete_token>\"".into(),
            )
        })?;
    let stored = state
        .metrics
        .store(
            "delete_token_hash",
            state.store.delete_token_hash(&id, &crate::now_rfc3339()),
        )
        .await?
        .ok_or_else(|| not_found(&id))?;
    if !constant_time_eq(token_hash(token).as_bytes(), stored.as_bytes()) {
        return Err(AppError::Forbidden(
            "the delete token does not match this report".into(),
        ));
    }
    state
        .metrics
        .store("delete_report", state.store.delete_report(&id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
