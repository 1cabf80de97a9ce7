//! Stored share links: `POST /api/reports` recomputes a report from the raw
//! input (never trusting a client-computed one), optionally redacts it,
//! stores it immutably and returns `{id, url, delete_token}`;
//! `GET /api/reports/{id}` returns it until it expires; `DELETE` with the
//! delete token removes it. A background task deletes expired rows.

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mxlens_shared::domain_name::normalize_domain;
use mxlens_shared::report::combine::combine;
use mxlens_shared::report::redact::{redact_address, redact_report, RedactOptions};
use mxlens_shared::report::Report;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{run_audit, AuditRequest};
use crate::error::AppError;
use crate::AppState;

/// How often the retention task sweeps expired reports.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

/// The body of `POST /api/reports`: the raw input only. Unknown fields are
/// refused, so a client cannot slip in a precomputed report.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CreateReport {
    /// Raw headers or a whole message.
    #[serde(default)]
    pub message: Option<String>,
    /// A domain to audit live.
    #[serde(default)]
    pub domain: Option<String>,
    /// DKIM selectors for the audit; taken from the message's signatures when absent.
    #[serde(default)]
    pub selectors: Vec<String>,
    /// The sending IP for the audit; taken from the message when absent.
    #[serde(default)]
    pub sending_ip: Option<String>,
    /// The envelope sender (MAIL FROM) for the audit's SPF check; taken
    /// from the message (Return-Path, smtp.mailfrom) when absent.
    #[serde(default)]
    pub mail_from: Option<String>,
    /// The HELO name for the audit's SPF check; taken from the message when absent.
    #[serde(default)]
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
    #[serde(default)]
    pub rcpt: Option<String>,
    /// Store the probed address in the share link as it is (opt-in).
    #[serde(default)]
    pub keep_rcpt: bool,
}

/// The answer to `POST /api/reports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedReport {
    /// The report id (128 random bits, hex).
    pub id: String,
    /// The share link path, `/r/{id}`.
    pub url: String,
    /// Shown once: `DELETE /api/reports/{id}` with `Authorization: Bearer <delete_token>`.
    pub delete_token: String,
}

/// The `/reports` routes, to be nested under `/api`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", post(create_report))
        .route("/reports/{id}", get(get_report).delete(delete_report))
}

/// SHA-256 of a delete token, hex: only this is stored.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// RFC 3339 (UTC, seconds) `days` after now: a report's expiry. Past the
/// largest date `time` holds, that date (`--retention-days` is range-checked
/// anyway, #19 L5).
pub fn expiry_after_days(days: u32) -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let at = now
        .checked_add(time::Duration::days(i64::from(days)))
        .unwrap_or(time::PrimitiveDateTime::MAX.assume_utc());
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Builds the report for a creation request: a message report, a domain
/// report, or both as kind `combined`. The audit of a combined report takes
/// its DKIM selectors and sending IP from the message unless given.
pub async fn build_report(
    state: &AppState,
    client: Option<std::net::IpAddr>,
    body: &CreateReport,
) -> Result<Report, AppError> {
    let generated_at = crate::now_rfc3339();
    let message = body.message.as_deref().filter(|m| !m.trim().is_empty());
    let domain = body
        .domain
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let message_report = match message {
        // Signatures verified with the server's resolver, as
        // `POST /api/analyze` does: the stored link shows what the API shows.
        Some(text) => Some(
            crate::dkim::analyze_verified_at(state, text.to_owned(), generated_at.clone()).await?,
        ),
        None => None,
    };
    let Some(raw_domain) = domain else {
        if body.rcpt.as_deref().is_some_and(|r| !r.trim().is_empty()) {
            return Err(AppError::BadRequest(
                "bad_rcpt",
                "\"rcpt\" needs \"domain\": the address is asked of the domain's MX".into(),
            ));
        }
        return message_report.ok_or_else(|| {
            AppError::BadRequest(
                "bad_input",
                "give \"message\" (raw headers or a message), \"domain\", or both".into(),
            )
        });
    };
    let domain = normalize_domain(raw_domain)
        .map_err(|e| AppError::BadRequest("bad_domain", e.to_string()))?;
    // The selectors that signed for the domain, from the message report
    // already made (the paste is not parsed a second time).
    let mut selectors = crate::http::admit_selectors(&body.selectors)?;
    if selectors.is_empty() {
        if let Some(section) = message_report.as_ref().and_then(|r| r.message.as_ref()) {
            selectors = section.selectors_for(&domain);
        }
    }
    let sending_ip_text = body
        .sending_ip
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| {
            message_report
                .as_ref()
                .and_then(|r| r.message.as_ref())
                .and_then(|m| m.sending_ip.clone())
        });
    let sending_ip = crate::http::parse_sending_ip(sending_ip_text.as_deref())?;
    let rcpt = crate::http::admit_rcpt(state, client, &domain, body.rcpt.as_deref())?;
    let section = message_report.as_ref().and_then(|r| r.message.as_ref());
    let (mail_from, helo) = crate::http::envelope_fields(
        body.mail_from
            .as_deref()
            .or_else(|| section.and_then(|m| m.envelope_from.as_deref())),
        body.helo
            .as_deref()
            .or_else(|| section.and_then(|m| m.envelope_helo.as_deref())),
    )?;
    let request = AuditRequest {
        domain,
        selectors,
        sending_ip,
        rcpt,
        mail_from,
        helo,
    };
    let permit = state.limits.audit_permit(client)?;
    let lookup = crate::dns_budget::audit_lookup((*state.lookup).clone(), &state.audit_config);
    let domain_report = run_audit(
        &lookup,
        &request,
        &state.audit_config,
        generated_at.clone(),
        |_| {},
    )
    .await;
    drop(permit);
    Ok(match message_report {
        Some(message_report) => combine(message_report, domain_report, generated_at),
        None => domain_report,
    })
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

/// Deletes expired reports now and then every `interval`, forever.
pub async fn retention_task(store: crate::store::Store, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        match store.delete_expired(&crate::now_rfc3339()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "retention: deleted expired reports"),
            Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
        }
        // Test addresses and audits shared across instances (PostgreSQL).
        if let Err(e) = store.delete_gone_live_logs(&crate::now_rfc3339()).await {
            tracing::warn!(error = %e, "retention sweep of live logs failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_and_compare() {
        let h = token_hash("abc");
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq(h.as_bytes(), token_hash("abc").as_bytes()));
        assert!(!constant_time_eq(
            h.as_bytes(),
            token_hash("abd").as_bytes()
        ));
        assert!(!constant_time_eq(b"a", b"ab"));
    }

    #[test]
    fn expiry_is_rfc3339_in_the_future() {
        let now = crate::now_rfc3339();
        let later = expiry_after_days(30);
        assert!(later > now, "{later} vs {now}");
        assert_eq!(expiry_after_days(0).len(), now.len());
    }

    #[test]
    fn injected_fields_are_refused() {
        let err = serde_json::from_str::<CreateReport>(
            r#"{"message":"From: a@b.c","report":{"score":100}}"#,
        );
        assert!(err.is_err());
    }
}
