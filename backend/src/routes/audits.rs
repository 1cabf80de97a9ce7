//! `POST /api/audits` starts a live domain audit; `GET /api/audits/{id}`
//! gives its report (202 while it runs) and `GET /api/audits/{id}/events`
//! its checks as they finish (Server-Sent Events).

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::Stream;
pub use mxlens_shared::api::CreateAudit;
use mxlens_shared::domain_name::normalize_domain;
use serde::Serialize;

use super::events::{event_stream, EventLog};
use crate::audit::{run_audit, AuditRequest};
use crate::error::AppError;
use crate::http::{
    admit_rcpt, admit_selectors, envelope_fields, parse_sending_ip, random_id, AppJson,
};
use crate::AppState;

#[derive(Serialize)]
struct Created {
    id: String,
}

pub(super) async fn create_audit(
    State(state): State<AppState>,
    client: Option<axum::Extension<crate::ratelimit::ClientIp>>,
    AppJson(body): AppJson<CreateAudit>,
) -> Result<Response, AppError> {
    let domain = normalize_domain(&body.domain)
        .map_err(|e| AppError::BadRequest("bad_domain", e.to_string()))?;
    let sending_ip = parse_sending_ip(body.sending_ip.as_deref())?;
    let client = client.map(|axum::Extension(crate::ratelimit::ClientIp(ip))| ip);
    let rcpt = admit_rcpt(&state, client, &domain, body.rcpt.as_deref())?;
    let (mail_from, helo) = envelope_fields(body.mail_from.as_deref(), body.helo.as_deref())?;
    let selectors = admit_selectors(&body.selectors)?;
    let request = AuditRequest {
        domain,
        selectors,
        guess_selectors: body.guess_selectors,
        sending_ip,
        rcpt,
        mail_from,
        helo,
    };
    let permit = state.limits.audit_permit(client)?;
    let id = random_id();
    // With PostgreSQL its events also go to the store, for the others.
    let mut share = match &state.live {
        Some(bus) => Some(crate::live::share_audit(bus, &id).await?),
        None => None,
    };
    let entry = state.audits.insert(id.clone());
    let lookup = crate::dns_budget::audit_lookup((*state.lookup).clone(), &state.audit_config);
    let config = state.audit_config.clone();
    let metrics = state.metrics.clone();
    tokio::spawn(async move {
        let _permit = permit;
        let sink = entry.clone();
        let started = std::time::Instant::now();
        run_audit(
            &lookup,
            &request,
            &config,
            crate::now_rfc3339(),
            move |event| {
                let stored = sink.push(event);
                if let Some(share) = share.as_mut() {
                    share(&stored);
                }
            },
        )
        .await;
        metrics.audit(started.elapsed());
    });
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

pub(super) async fn get_audit(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let entry = crate::live::find_audit(&state.audits, state.live.as_ref(), &id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no audit with id {id}")))?;
    match entry.report() {
        Some(report) => Ok((
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            axum::body::Bytes::from_owner(SharedJson(report)),
        )
            .into_response()),
        None => Ok((
            StatusCode::ACCEPTED,
            Json(serde_json::json!({"status": "running"})),
        )
            .into_response()),
    }
}

/// A serialized report shared with the registry, served without a copy.
struct SharedJson(std::sync::Arc<str>);

impl AsRef<[u8]> for SharedJson {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

pub(super) async fn audit_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let entry = crate::live::find_audit(&state.audits, state.live.as_ref(), &id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no audit with id {id}")))?;
    Ok(event_stream(entry))
}

impl EventLog for crate::audit::AuditEntry {
    fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        crate::audit::AuditEntry::changed(self)
    }

    fn events_from(&self, from: usize) -> (Vec<(&'static str, std::sync::Arc<str>)>, bool) {
        let (events, done) = self.events_since(from);
        (events.into_iter().map(|e| (e.name, e.json)).collect(), done)
    }
}
