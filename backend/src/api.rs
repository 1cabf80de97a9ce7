//! The HTTP API and the static frontend. `app(state)` is separate from
//! `main` so tests drive it with `oneshot` or a real listener.

use std::convert::Infallible;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::{Stream, StreamExt};
use mxlens_shared::domain_name::normalize_domain;
use serde::{Deserialize, Serialize};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::audit::{run_audit, AuditRequest};
use crate::error::AppError;
use crate::http::{
    admit_rcpt, admit_selectors, envelope_fields, parse_sending_ip, random_id, AppJson,
};
use crate::AppState;

/// Builds the router: `/api/*`, `/healthz`, and the frontend for every other path.
pub fn app(state: AppState) -> Router {
    let index = state.dist_dir.join("index.html");
    let frontend = ServeDir::new(&state.dist_dir).fallback(ServeFile::new(index));
    let api = Router::new()
        .route("/analyze", post(analyze))
        .route("/dkim-key", get(crate::dkim::dkim_key))
        .route("/reputation", post(crate::reputation::reputation))
        .route("/audits", post(create_audit))
        .route("/audits/{id}", get(get_audit))
        .route("/audits/{id}/events", get(audit_events))
        .route("/openapi.json", get(crate::openapi::serve_document))
        .merge(crate::reports::routes())
        .merge(crate::receiver::api::routes())
        .fallback(api_not_found);
    let csp = crate::security::content_security_policy(
        std::fs::read_to_string(state.dist_dir.join("index.html"))
            .ok()
            .as_deref(),
    );
    let (csp, nosniff, referrer, frame) = crate::security::header_layers(&csp);
    let metrics = state.metrics.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(crate::metrics::serve))
        .nest("/api", api)
        .fallback_service(frontend)
        // 1 MiB of input plus room for JSON escaping.
        .layer(DefaultBodyLimit::max(crate::security::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(
            crate::security::deadline_and_json_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.limits.clone(),
            crate::ratelimit::limit_posts,
        ))
        .layer(csp)
        .layer(nosniff)
        .layer(referrer)
        .layer(frame)
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::metrics::track,
        ))
        // The request id: taken from `x-request-id` or generated, on the
        // request span (so on every log line of the request) and echoed on
        // the response. Layers added last run first.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), RandomRequestId))
        // Runs before the id is set: a client's id outside the safe form is
        // dropped, so a fresh one is made (#19 L4).
        .layer(axum::middleware::map_request(drop_unsafe_request_id))
        // A panic in a handler answers the JSON 500, not a closed
        // connection (#19 L5).
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .with_state(state)
}

/// A client's `x-request-id` is kept only when it is 1–64 characters of
/// `[A-Za-z0-9._-]`: anything else could forge fields in text logs.
pub fn is_safe_request_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

async fn drop_unsafe_request_id(mut request: axum::extract::Request) -> axum::extract::Request {
    let ids = request.headers().get_all(&REQUEST_ID);
    let mut ids = ids.iter();
    let safe = match (ids.next(), ids.next()) {
        (Some(id), None) => is_safe_request_id(id.as_bytes()),
        (None, _) => true,
        _ => false,
    };
    if !safe {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

/// The JSON 500 for a panic; the panic itself is logged, not echoed.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    AppError::Internal(anyhow::anyhow!("handler panicked: {what}")).into_response()
}

/// The request id header.
static REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

/// Generates request ids: 128 random bits, hex.
#[derive(Debug, Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        axum::http::HeaderValue::from_str(&random_id())
            .ok()
            .map(RequestId::new)
    }
}

/// The span of one request: method, path (no query: it may hold user
/// input) and the request id.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
    )
}

async fn api_not_found() -> AppError {
    AppError::NotFound("no such API endpoint".into())
}

async fn healthz(State(state): State<AppState>) -> Response {
    let ping = state
        .metrics
        .store("ping", async { Ok::<bool, ()>(state.store.ping().await) })
        .await
        .unwrap_or(false);
    if ping {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "store unreachable\n").into_response()
    }
}

/// The body of `POST /api/analyze`.
#[derive(Debug, Deserialize)]
pub struct AnalyzeBody {
    /// Raw headers or a whole message.
    pub message: String,
}

async fn analyze(
    State(state): State<AppState>,
    AppJson(body): AppJson<AnalyzeBody>,
) -> Result<Response, AppError> {
    // Verifies DKIM and ARC signatures with the server's resolver.
    let report = crate::dkim::analyze_verified(&state, body.message).await?;
    Ok(Json(report).into_response())
}

/// The body of `POST /api/audits`.
#[derive(Debug, Deserialize)]
pub struct CreateAudit {
    /// The domain to audit.
    pub domain: String,
    /// DKIM selectors to look up.
    #[serde(default)]
    pub selectors: Vec<String>,
    /// The IP the domain sends from.
    #[serde(default)]
    pub sending_ip: Option<String>,
    /// An address at `domain` for the mailbox probe (`smtp.rcpt`).
    #[serde(default)]
    pub rcpt: Option<String>,
    /// The envelope sender (MAIL FROM) of the message the audit comes from.
    #[serde(default)]
    pub mail_from: Option<String>,
    /// The HELO name the sending IP gave.
    #[serde(default)]
    pub helo: Option<String>,
}

#[derive(Serialize)]
struct Created {
    id: String,
}

async fn create_audit(
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

async fn get_audit(
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

async fn audit_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let entry = crate::live::find_audit(&state.audits, state.live.as_ref(), &id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no audit with id {id}")))?;
    Ok(event_stream(entry))
}

/// An append-only log of named JSON events, served as Server-Sent Events
/// by [`event_stream`] (audits, test addresses).
pub trait EventLog: Send + Sync + 'static {
    /// Resolves at the next event.
    fn changed(&self) -> tokio::sync::futures::Notified<'_>;
    /// The events from index `from` as (SSE name, JSON data), and whether
    /// the log is finished.
    fn events_from(&self, from: usize) -> (Vec<(&'static str, std::sync::Arc<str>)>, bool);
    /// How long to wait for [`EventLog::changed`] before asking again (a
    /// log that can end by time); `None`: only an event ends the wait.
    fn recheck_after(&self) -> Option<std::time::Duration> {
        None
    }
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

/// The events of `log` as an SSE stream that ends after its last event.
pub fn event_stream<L: EventLog>(
    log: std::sync::Arc<L>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream =
        futures::stream::unfold((log, 0usize, false), |(log, seen, finished)| async move {
            if finished {
                return None;
            }
            loop {
                let (events, done) = {
                    let notified = log.changed();
                    let (events, done) = log.events_from(seen);
                    if events.is_empty() && !done {
                        match log.recheck_after() {
                            Some(wait) => {
                                let _ = tokio::time::timeout(wait, notified).await;
                            }
                            None => notified.await,
                        }
                        continue;
                    }
                    (events, done)
                };
                if events.is_empty() {
                    return None;
                }
                let next = seen + events.len();
                let batch: Vec<Result<Event, Infallible>> = events
                    .iter()
                    .map(|(name, json)| Ok(Event::default().event(*name).data(&**json)))
                    .collect();
                return Some((futures::stream::iter(batch), (log, next, done)));
            }
        })
        .flatten();
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    /// #19 L5: a handler panic answers the JSON 500 `internal`, not an empty
    /// reply.
    #[tokio::test]
    async fn a_panic_is_the_json_500() {
        let router: Router = Router::new()
            .route(
                "/p",
                axum::routing::get(|| async {
                    if std::hint::black_box(true) {
                        panic!("boom");
                    }
                    "unreachable"
                }),
            )
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                panic_response,
            ));
        let response = router
            .oneshot(
                axum::http::Request::get("/p")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "internal", "{body}");
        assert!(!body.to_string().contains("boom"), "{body}");
    }

    #[test]
    fn request_ids_of_the_safe_form_only() {
        assert!(is_safe_request_id(b"abc-123.x_Y"));
        assert!(is_safe_request_id(&[b'a'; 64]));
        assert!(!is_safe_request_id(&[b'a'; 65]));
        assert!(!is_safe_request_id(b""));
        assert!(!is_safe_request_id(b"a\" b=c\tlevel=ERROR"));
    }
}
