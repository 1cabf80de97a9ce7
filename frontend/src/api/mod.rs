//! Backend calls, one module per resource, over one request helper whose
//! error type is `Clone + PartialEq` so components can hold it in state.

pub mod audits;
pub mod reports;

use mxlens_shared::report::decode;
use serde::Serialize;
use serde_json::Value;

/// A failed API call, in words a person can act on.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status, or 0 for a network failure.
    pub status: u16,
    /// Human message.
    pub message: String,
}

/// POSTs JSON and parses the JSON answer.
pub async fn post_json<B: Serialize>(path: &str, body: &B) -> Result<Value, ApiError> {
    let request = gloo_net::http::Request::post(path)
        .json(body)
        .map_err(|e| ApiError {
            status: 0,
            message: format!("could not encode the request: {e}"),
        })?;
    let response = request.send().await.map_err(|e| ApiError {
        status: 0,
        message: format!("the mxlens server could not be reached ({e})"),
    })?;
    let status = response.status();
    if status == 429 {
        // RFC 9110 §10.2.3: Retry-After in seconds (the server sends seconds).
        let wait = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.trim().parse::<u32>().ok())
            .map(|s| {
                if s == 1 {
                    "1 second".to_string()
                } else {
                    format!("{s} seconds")
                }
            })
            .unwrap_or_else(|| "a minute".to_string());
        return Err(ApiError {
            status,
            message: format!(
                "Too many requests from your address: the server limits how often it runs checks. Try again in {wait}."
            ),
        });
    }
    if !(200..300).contains(&status) {
        // The contract's error body: {"code": "…", "message": words}.
        let message = match read_json(&response).await {
            Ok(Value::Object(body)) => match body.get("message").and_then(Value::as_str) {
                Some(words) => words.to_string(),
                None => format!("the server answered HTTP {status}"),
            },
            _ => format!("the server answered HTTP {status}"),
        };
        return Err(ApiError { status, message });
    }
    read_json(&response).await.map_err(|e| ApiError {
        status,
        message: format!("the server's answer could not be read: {e}"),
    })
}

/// Reads a response body as JSON through the app's one parser
/// ([`mxlens_shared::report::decode::parse`]), never gloo-net's
/// `Response::json`; reports and checks are then read out of the value by
/// `decode` (issue 7, WASM size: no derived deserializer in the bundle).
pub(crate) async fn read_json(response: &gloo_net::http::Response) -> Result<Value, String> {
    let text = response.text().await.map_err(|e| e.to_string())?;
    decode::parse(&text)
}

/// The string member `key` of an API answer, or an error saying it is missing.
pub(crate) fn member(answer: &Value, key: &str) -> Result<String, ApiError> {
    answer
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ApiError {
            status: 200,
            message: format!("the server's answer could not be read: no `{key}` in it"),
        })
}
