//! Response hardening: security headers on every response (a CSP that
//! allows WASM and nothing inline), JSON bodies for the plain-text errors
//! that axum's own layers produce, and a deadline on every handler.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;

/// Every handler's deadline, except the SSE stream. Longer than the audit
/// deadline so a stored domain report can finish its audit.
pub const HANDLER_TIMEOUT: Duration = Duration::from_secs(45);

/// The Content-Security-Policy, with `'sha256-…'` sources for the inline
/// scripts of `index_html` (Trunk writes one inline module script that
/// loads the WASM; hashing it keeps `'unsafe-inline'` out).
pub fn content_security_policy(index_html: Option<&str>) -> String {
    let hashes: String = index_html
        .map(inline_script_hashes)
        .unwrap_or_default()
        .iter()
        .map(|h| format!(" '{h}'"))
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
         form-action 'self'"
    )
}

/// `sha256-<base64>` of the content of each inline `<script>` (one without
/// `src=`), exactly as the browser hashes it (CSP3 §8.4: the text between
/// the tags, unmodified).
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut from = 0;
    while let Some(open) = lower[from..].find("<script").map(|i| i + from) {
        let Some(tag_end) = lower[open..].find('>').map(|i| i + open) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</script").map(|i| i + tag_end) else {
            break;
        };
        let tag = &lower[open..tag_end];
        if !tag.contains(" src=") && !tag.contains("\tsrc=") && !tag.contains("\nsrc=") {
            let body = &html[tag_end + 1..close];
            let digest = Sha256::digest(body.as_bytes());
            hashes.push(format!(
                "sha256-{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        from = close;
    }
    hashes
}

/// The header layers: CSP, `X-Content-Type-Options: nosniff`,
/// `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY` (for browsers
/// without `frame-ancestors`).
pub fn header_layers(
    csp: &str,
) -> (
    SetResponseHeaderLayer<HeaderValue>,
    SetResponseHeaderLayer<HeaderValue>,
    SetResponseHeaderLayer<HeaderValue>,
    SetResponseHeaderLayer<HeaderValue>,
) {
    let csp = HeaderValue::from_str(csp)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"));
    (
        SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, csp),
        SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ),
    )
}

/// Longest request body accepted: 1 MiB of input plus room for JSON escaping.
pub const MAX_BODY_BYTES: usize = mxlens_shared::message::MAX_INPUT_BYTES * 2 + 4096;

/// Longest path served from the frontend directory, and longest segment
/// (NAME_MAX): longer ones made the file server answer 500 (#19 L3).
const MAX_STATIC_PATH: usize = 1024;
const MAX_SEGMENT: usize = 255;

/// Middleware, first thing on every request:
///
/// - a declared `Content-Length` over [`MAX_BODY_BYTES`] is answered 413 at
///   once, before any body is read, so hyper never sends `100 Continue`
///   (#19 L2);
/// - outside `/api/`, a path that is too long or names a dotfile is a JSON
///   404, never a 500 from the file system or a served dotfile (#19 L3, I3);
/// - a deadline on every handler except the SSE event stream;
/// - axum's plain-text or empty rejections (400/422 from `Path`/`Query`,
///   405, 413) become JSON `{code, message}`, as every error is (#19 I1).
pub async fn deadline_and_json_errors(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return AppError::TooLarge.into_response();
    }
    let path = request.uri().path();
    let is_static = !path.starts_with("/api/") && path != "/metrics" && path != "/healthz";
    if is_static
        && (path.len() > MAX_STATIC_PATH
            || path
                .split('/')
                .any(|s| s.len() > MAX_SEGMENT || s.starts_with('.')))
    {
        return AppError::NotFound("no such page".into()).into_response();
    }
    let streaming = path.ends_with("/events");
    let response = if streaming {
        next.run(request).await
    } else {
        match tokio::time::timeout(HANDLER_TIMEOUT, next.run(request)).await {
            Ok(response) => response,
            Err(_) => return AppError::Timeout.into_response(),
        }
    };
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge.into_response(),
        StatusCode::METHOD_NOT_ALLOWED => {
            let allow = response.headers().get(header::ALLOW).cloned();
            let mut json = (
                StatusCode::METHOD_NOT_ALLOWED,
                axum::Json(serde_json::json!({
                    "code": "method_not_allowed",
                    "message": "this path does not take that method",
                })),
            )
                .into_response();
            if let Some(allow) = allow {
                json.headers_mut().insert(header::ALLOW, allow);
            }
            json
        }
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            let status = response.status();
            let text = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let mut json = AppError::BadRequest("bad_request", text).into_response();
            *json.status_mut() = status;
            json
        }
        StatusCode::INTERNAL_SERVER_ERROR if is_static => {
            AppError::NotFound("no such page".into()).into_response()
        }
        _ => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_inline_scripts() {
        let html = "<head><script type=\"module\">\nimport init from '/f.js';\n</script>\
                    <script src=\"/x.js\"></script><SCRIPT>a()</SCRIPT></head>";
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 2, "{hashes:?}");
        let want = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(b"\nimport init from '/f.js';\n"));
        assert_eq!(hashes[0], format!("sha256-{want}"));
        let csp = content_security_policy(Some(html));
        assert!(csp.contains(&format!("'sha256-{want}'")), "{csp}");
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn policy_without_index_has_no_hashes() {
        assert_eq!(
            content_security_policy(None),
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
             form-action 'self'"
        );
    }
}
