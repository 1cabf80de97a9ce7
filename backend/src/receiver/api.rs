//! `POST /api/test-addresses` (a fresh address: `{address, id,
//! expires_at, delete_token}`), `GET /api/test-addresses/{id}` (its state)
//! and `GET /api/test-addresses/{id}/events` (Server-Sent Events:
//! `waiting`, `connected`, `receiving`, then `report` with the report's id,
//! or `failed` / `expired`). The report is then at `/r/{id}` and
//! `GET /api/reports/{id}`; the delete token deletes it there.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use serde::{Deserialize, Serialize};

use super::tokens::NewAddress;
use crate::error::AppError;
use crate::AppState;

/// The answer to `POST /api/test-addresses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedAddress {
    /// The address to send one message to.
    pub address: String,
    /// The id: of the events stream now, of the report once it arrives.
    pub id: String,
    /// RFC 3339 time after which the address takes no message.
    pub expires_at: String,
    /// Shown once: deletes the report (`DELETE /api/reports/{id}` with
    /// `Authorization: Bearer <delete_token>`).
    pub delete_token: String,
}

/// The `/test-addresses` routes, nested under `/api`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/test-addresses", post(create))
        .route("/test-addresses/{id}", get(status))
        .route("/test-addresses/{id}/events", get(events))
}

fn receiver(state: &AppState) -> Result<&super::Receiver, AppError> {
    state.receiver.as_deref().ok_or_else(|| {
        AppError::NotFound(
            "test addresses are off on this server; the operator turns them on with `mxlens serve --smtp-listen ADDR:PORT --test-domain DOMAIN`".into(),
        )
    })
}

/// RFC 3339 (UTC, seconds) `secs` from now.
pub(crate) fn rfc3339_after(secs: u64) -> String {
    let at = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        + time::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 2));
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

async fn create(
    State(state): State<AppState>,
    client: Option<axum::Extension<crate::ratelimit::ClientIp>>,
) -> Result<Response, AppError> {
    let receiver = receiver(&state)?;
    let client = client.map(|axum::Extension(crate::ratelimit::ClientIp(ip))| ip);
    // The report it will become counts towards the client's daily quota.
    state.quota.take_client(client)?;
    let id = crate::http::random_id();
    // The local part: 80 random bits, lower-case hex, apart from the id
    // (an address seen in a mail log does not open the report).
    let token = format!("t{}", &crate::http::random_id()[..20]);
    let delete_token = format!("{}{}", crate::http::random_id(), crate::http::random_id());
    let ttl = receiver.config.address_ttl;
    let expires_at = rfc3339_after(ttl.as_secs());
    let address = receiver
        .create_address(NewAddress {
            id: id.clone(),
            token,
            domain: receiver.config.test_domain.clone(),
            expires_at: expires_at.clone(),
            delete_token_sha256: crate::reports::token_hash(&delete_token),
            ttl,
            shared: None,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedAddress {
            address: address.address.clone(),
            id,
            expires_at,
            delete_token,
        }),
    )
        .into_response())
}

async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let receiver = receiver(&state)?;
    let address = receiver
        .address(&id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no test address with id {id}")))?;
    let (events, done) = address.events_since(0, Instant::now());
    let last = events.last().map(|e| e.name).unwrap_or("waiting");
    Ok(Json(serde_json::json!({
        "address": address.address,
        "id": address.id,
        "expires_at": address.expires_at,
        "status": last,
        "done": done,
    }))
    .into_response())
}

async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let receiver = receiver(&state)?;
    let address = receiver
        .address(&id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no test address with id {id}")))?;
    Ok(crate::routes::events::event_stream(address))
}

impl crate::routes::events::EventLog for super::tokens::TestAddress {
    fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        super::tokens::TestAddress::changed(self)
    }

    fn events_from(&self, from: usize) -> (Vec<(&'static str, Arc<str>)>, bool) {
        let (events, done) = self.events_since(from, Instant::now());
        (events.into_iter().map(|e| (e.name, e.json)).collect(), done)
    }

    /// Until the message arrives, wake at expiry to say `expired`.
    fn recheck_after(&self) -> Option<std::time::Duration> {
        match self.remaining(Instant::now()) {
            left if left.is_zero() => Some(std::time::Duration::from_secs(60)),
            left => Some(left + std::time::Duration::from_millis(50)),
        }
    }
}
