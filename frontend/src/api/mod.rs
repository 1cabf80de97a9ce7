//! Backend calls, one module per resource, over one request helper whose
//! error type is `Clone + PartialEq` so components can hold it in state.

pub mod audits;
pub mod reports;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A failed API call, in words a person can act on.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status, or 0 for a network failure.
    pub status: u16,
    /// Human message.
    pub message: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: String,
}

/// POSTs JSON and decodes the JSON answer.
pub async fn post_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
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
        let message = match read_json::<ErrorBody>(&response).await {
            Ok(b) => b.message,
            Err(_) => format!("the server answered HTTP {status}"),
        };
        return Err(ApiError { status, message });
    }
    read_json::<T>(&response).await.map_err(|e| ApiError {
        status,
        message: format!("the server's answer could not be read: {e}"),
    })
}

/// Reads a response body as JSON through the app's one decoder
/// ([`mxlens_shared::report::json::from_str`]), never gloo-net's `Response::json`, so the
/// report types are decoded by a single instantiation (issue 7, WASM size).
async fn read_json<T: DeserializeOwned>(response: &gloo_net::http::Response) -> Result<T, String> {
    let text = response.text().await.map_err(|e| e.to_string())?;
    mxlens_shared::report::json::from_str(&text).map_err(|e| e.to_string())
}
