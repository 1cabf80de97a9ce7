//! Stored share links: a report is recomputed from the raw input (never
//! trusting a client-computed one, [`build_report`]), stored immutably with
//! the hash of its delete token, and deleted when it expires
//! ([`retention_task`]). The HTTP handlers (`POST /api/reports`,
//! `GET`/`DELETE /api/reports/{id}`) are in [`crate::routes::reports`].

use std::time::Duration;

use mxlens_shared::domain_name::normalize_domain;
use mxlens_shared::report::combine::combine;
use mxlens_shared::report::Report;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{run_audit, AuditRequest};
use crate::error::AppError;
use crate::AppState;

/// How often the retention task sweeps expired reports.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

pub use mxlens_shared::api::CreateReport;

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
        // The message's signing selectors are the ones that matter.
        guess_selectors: false,
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
