//! What the HTTP handlers share: the JSON body extractor whose rejection
//! is the app's JSON error, unguessable ids, and the checks of request
//! fields that several routes take (selectors, sending IP, envelope,
//! mailbox probe). Handlers in `api`, `reports`, `reputation` and the
//! receiver's routes use these, so none of them depends on another.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::Json;

use crate::error::AppError;
use crate::AppState;

/// A JSON request body. Its rejection is the app's error: 413 `too_large`
/// for an over-limit body, 400 `bad_json` for anything else, both as the
/// `{code, message}` JSON every error has.
#[derive(Debug)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        Json::<T>::from_request(request, state)
            .await
            .map(|Json(value)| AppJson(value))
            .map_err(json_error)
    }
}

/// The request's sending IP: absent when empty, 400 `bad_sending_ip` when
/// it is not an IP address.
pub fn parse_sending_ip(text: Option<&str>) -> Result<Option<std::net::IpAddr>, AppError> {
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        Some(ip) => ip.parse().map(Some).map_err(|_| {
            AppError::BadRequest("bad_sending_ip", format!("\"{ip}\" is not an IP address"))
        }),
        None => Ok(None),
    }
}

/// The request's DKIM selectors, checked and capped (security review H1):
/// 400 `bad_selector` otherwise.
pub fn admit_selectors(list: &[String]) -> Result<Vec<String>, AppError> {
    mxlens_shared::dkim::verify::admit_selectors(list)
        .map_err(|e| AppError::BadRequest("bad_selector", e))
}

/// Maps a JSON extractor rejection: an over-limit body is 413 `too_large`,
/// anything else 400 `bad_json`.
pub fn json_error(rejection: axum::extract::rejection::JsonRejection) -> AppError {
    use axum::extract::rejection::JsonRejection;
    match rejection {
        JsonRejection::BytesRejection(_) => AppError::TooLarge,
        other => AppError::BadRequest("bad_json", other.body_text()),
    }
}

/// The longest envelope sender accepted: a reverse-path is at most 256
/// octets (RFC 5321 §4.5.3.1.3).
pub const MAX_MAIL_FROM: usize = 256;
/// The longest HELO name accepted: a domain is at most 255 octets
/// (RFC 5321 §4.5.3.1.2).
pub const MAX_HELO: usize = 255;

/// The envelope of the message an audit comes from: MAIL FROM and HELO,
/// trimmed, empty as absent, over-long refused (400).
pub fn envelope_fields(
    mail_from: Option<&str>,
    helo: Option<&str>,
) -> Result<(Option<String>, Option<String>), AppError> {
    let take = |value: Option<&str>, max: usize, code: &'static str, what: &str| match value
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) if v.len() > max => Err(AppError::BadRequest(
            code,
            format!("{what} is {} octets long; at most {max}", v.len()),
        )),
        Some(v) => Ok(Some(v.to_string())),
        None => Ok(None),
    };
    Ok((
        take(mail_from, MAX_MAIL_FROM, "bad_mail_from", "mail_from")?,
        take(helo, MAX_HELO, "bad_helo", "helo")?,
    ))
}

/// 128 random bits, hex: unguessable ids for audits and reports.
pub fn random_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a mailbox-probe request: refused (403) unless the server runs
/// with `--enable-rcpt-probe`, 400 for an address not at `domain`, 429
/// beyond the per-client or per-domain probe rate. Returns the address.
pub fn admit_rcpt(
    state: &AppState,
    client: Option<std::net::IpAddr>,
    domain: &str,
    rcpt: Option<&str>,
) -> Result<Option<String>, AppError> {
    let Some(raw) = rcpt.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if !state.audit_config.rcpt_probe {
        return Err(AppError::Forbidden(
            "the mailbox probe (rcpt) is disabled on this server; the operator can enable it with `mxlens serve --enable-rcpt-probe`".into(),
        ));
    }
    let address = crate::audit::validate_rcpt(domain, raw)
        .map_err(|e| AppError::BadRequest("bad_rcpt", e))?;
    state.limits.rcpt_permit(client, domain)?;
    Ok(Some(address))
}
