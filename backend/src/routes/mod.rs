//! The HTTP surface: [`app`] builds the router (`/api/*`, `/healthz`,
//! `/metrics`, and the frontend for every other path) with its layers; the
//! handlers live beside it by resource ([`analyze`], [`audits`],
//! [`reports`]) and read their bodies with [`crate::http::AppJson`], whose
//! rejection is the app error. `app(state)` is separate from `main` so
//! tests drive it with `oneshot` or a real listener.

pub mod analyze;
pub mod audits;
pub mod events;
pub mod reports;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::error::AppError;
use crate::http::random_id;
use crate::AppState;

/// Builds the router: `/api/*`, `/healthz`, and the frontend for every other path.
pub fn app(state: AppState) -> Router {
    let index = state.dist_dir.join("index.html");
    let frontend = Router::new()
        .fallback_service(ServeDir::new(&state.dist_dir).fallback(ServeFile::new(index)))
        .layer(axum::middleware::map_response(frontend_cache_policy));
    let api = Router::new()
        .route("/analyze", post(analyze::analyze))
        .route("/dkim-key", get(crate::dkim::dkim_key))
        .route("/reputation", post(crate::reputation::reputation))
        .route("/audits", post(audits::create_audit))
        .route("/audits/{id}", get(audits::get_audit))
        .route("/audits/{id}/events", get(audits::audit_events))
        .route("/openapi.json", get(crate::openapi::serve_document))
        .merge(reports::routes())
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

/// How long a browser may keep a file of the frontend (RFC 9111 §5.2.2).
/// Trunk names the page's own files by their content
/// (`frontend-<hash>_bg.wasm`, see [`is_content_named`]), so those never change: a year,
/// `immutable`. Every other file keeps its name across versions:
/// `index.html`, the engine worker's files (`engine-loader.js`,
/// `engine.js`, `engine_bg.wasm`: a worker's name is fixed in the page),
/// the Public Suffix List. Those are `no-cache`: reused only after the
/// server says they did not change (ETag / Last-Modified, a 304), so a new
/// page never runs beside an engine cached from an older version.
async fn frontend_cache_policy(uri: axum::http::Uri, mut response: Response) -> Response {
    use axum::http::{header::CACHE_CONTROL, HeaderValue};
    let ok = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    if ok && !response.headers().contains_key(CACHE_CONTROL) {
        let policy = match is_content_named(uri.path()) {
            true => "public, max-age=31536000, immutable",
            false => "no-cache",
        };
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// A file name of the form Trunk gives a file it names by content:
/// `<name>-<hash>` then `.` or `_` (`style-5f40631802c2cfd6.css`,
/// `frontend-1c76109356647147_bg.wasm`), the hash a 64-bit number in
/// lowercase hex without leading zeros: 16 digits, or fewer one build in
/// sixteen (`frontend-eca47648d0553c3_bg.wasm` was one; it was served
/// `no-cache`). Eight digits at least: a shorter run of hex after a `-`
/// is more likely a word than a hash (`x-cafe.css`), and the odds of a
/// hash that short are 1 in 2^32.
pub fn is_content_named(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    name.match_indices('-').any(|(i, _)| {
        let rest = &name.as_bytes()[i + 1..];
        let digits = rest
            .iter()
            .take_while(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            .count();
        (8..=16).contains(&digits) && matches!(rest.get(digits), Some(b'.' | b'_'))
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[test]
    fn trunks_content_names_are_told_apart_from_fixed_names() {
        for named in [
            "/frontend-1c76109356647147_bg.wasm",
            "/frontend-1c76109356647147.js",
            "/style-5f40631802c2cfd6.css",
            "/a/b/x-y-0123456789abcdef.css",
            // A hash with leading zeros is printed without them.
            "/frontend-eca47648d0553c3_bg.wasm",
            "/frontend-1c7610935664714.js",
            "/style-5f406318.css",
        ] {
            assert!(is_content_named(named), "{named}");
        }
        for fixed in [
            "/",
            "/index.html",
            "/engine_bg.wasm",
            "/engine.js",
            "/engine-loader.js",
            "/public_suffix_list.dat",
            "/10-sendgrid-newsletter-complete.eml",
            "/frontend-1C76109356647147.js",
            "/frontend-1c76109.js",
            "/frontend-1c761093566471470.js",
            "/x-cafe.css",
            "/frontend-1c76109356647147",
            "/x-1c76109356647147z",
            "/-",
        ] {
            assert!(!is_content_named(fixed), "{fixed}");
        }
    }

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
