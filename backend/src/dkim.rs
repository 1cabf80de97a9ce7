//! DKIM and ARC verification on the server side: keys fetched with the
//! backend resolver, signatures checked with ring (`shared`'s
//! `RingVerifier`), for `mxlens headers --verify` and `POST /api/analyze`;
//! and `GET /api/dkim-key`, the key lookup the browser verifies with (only
//! `d=` and `s=` leave the browser, never the message).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use mxlens_shared::dkim::crypto::RingVerifier;
use mxlens_shared::dkim::key::{lookup_key, KeyLookupOutcome};
use mxlens_shared::dkim::verify::{fetch_keys, is_valid_selector};
use mxlens_shared::dns::{block_on_ready, DnsLookup};
use mxlens_shared::message::verified::{apply_verification, keys_for_message, verify_message};
use mxlens_shared::report::Report;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ratelimit::{ClientIp, RateLimiter};
use crate::AppState;

/// How long a key answer is served from the cache.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(300);
/// The most key answers cached.
pub const KEY_CACHE_ENTRIES: usize = 4096;
/// Key lookups per client per minute (`GET /api/dkim-key`): a message needs
/// at most 16 keys.
pub const KEY_LOOKUPS_PER_MINUTE: u32 = 120;

/// Verifies the signatures of `input` into `report` (made from the same
/// input by `analyze_message`): keys through `lookup`, the checks with ring.
/// `now` is unix seconds.
pub async fn verify_into<L: DnsLookup>(lookup: &L, input: &[u8], report: &mut Report, now: i64) {
    let keys = fetch_keys(lookup, &keys_for_message(input)).await;
    let verification = block_on_ready(verify_message(input, &keys, &RingVerifier, now));
    apply_verification(report, &verification);
}

/// `POST /api/analyze`: the analysis and then the verification, both on
/// the CPU pool, with the keys fetched in between.
pub async fn analyze_verified(state: &AppState, message: String) -> Result<Report, AppError> {
    analyze_verified_at(state, message, crate::now_rfc3339()).await
}

/// [`analyze_verified`] at `generated_at` (a stored or combined report
/// made of a message uses its own time stamp).
pub async fn analyze_verified_at(
    state: &AppState,
    message: String,
    generated_at: String,
) -> Result<Report, AppError> {
    use mxlens_shared::message::{analyze_message, InputError};
    let now = mxlens_shared::message::datetime::parse_rfc3339(&generated_at).unwrap_or(0);
    let input = std::sync::Arc::new(message.into_bytes());
    let analysed = input.clone();
    let report = state
        .cpu
        .run(move || analyze_message(&analysed, &generated_at))
        .await?
        .map_err(|e| match e {
            InputError::TooLarge { .. } => AppError::TooLarge,
            e => AppError::BadRequest("bad_input", e.to_string()),
        })?;
    // The keys and the reputation lookups (the message's domains and
    // sending IP on the configured lists) at once.
    let (names, ip) = mxlens_shared::reputation::targets_of(&report);
    let lists = state.audit_config.reputation_lists();
    let wanted = keys_for_message(&input);
    let (keys, reputation) = tokio::join!(
        fetch_keys(state.lookup.as_ref(), &wanted),
        mxlens_shared::reputation::look_up(state.lookup.as_ref(), &names, ip, &lists)
    );
    let report = state
        .cpu
        .run(move || {
            let mut report = report;
            let verification = block_on_ready(verify_message(&input, &keys, &RingVerifier, now));
            apply_verification(&mut report, &verification);
            mxlens_shared::reputation::apply_reputation(&mut report, reputation);
            report
        })
        .await?;
    Ok(report)
}

/// The answer of `GET /api/dkim-key`.
#[derive(Debug, Clone, Serialize)]
pub struct KeyAnswer {
    /// The queried name, `selector._domainkey.domain`.
    pub name: String,
    /// `found`, `not_found` (NXDOMAIN or no TXT) or `dns_error`.
    pub status: &'static str,
    /// The TXT record (character-strings joined), when found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txt: Option<String>,
    /// How many TXT records the name has.
    pub record_count: u32,
    /// The parsed record, when found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<mxlens_shared::dkim::DkimKeyRecord>,
    /// What the key is (`rsa` with `bits`, `ed25519`, `revoked`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<mxlens_shared::dkim::KeyStatus>,
    /// Findings about the record.
    pub diagnostics: Vec<mxlens_shared::diagnostic::Diagnostic>,
    /// The DNS failure, for `dns_error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn answer(name: String, outcome: KeyLookupOutcome) -> KeyAnswer {
    let mut answer = KeyAnswer {
        name,
        status: "not_found",
        txt: None,
        record_count: 0,
        record: None,
        key: None,
        diagnostics: Vec::new(),
        error: None,
    };
    match outcome {
        KeyLookupOutcome::Found {
            txt,
            parsed,
            record_count,
        } => {
            answer.status = "found";
            answer.txt = Some(txt);
            answer.record_count = record_count;
            answer.record = Some(parsed.record);
            answer.key = Some(parsed.key);
            answer.diagnostics = parsed.diagnostics;
        }
        KeyLookupOutcome::NotFound => {}
        KeyLookupOutcome::DnsFailure(why) => {
            answer.status = "dns_error";
            answer.error = Some(why);
        }
    }
    answer
}

/// The key cache and the per-client limit of `GET /api/dkim-key`.
#[derive(Debug)]
pub struct KeyService {
    cache: Mutex<HashMap<(String, String), (Instant, KeyAnswer)>>,
    rate: RateLimiter<IpAddr>,
}

impl Default for KeyService {
    fn default() -> Self {
        KeyService {
            cache: Mutex::default(),
            rate: RateLimiter::new(KEY_LOOKUPS_PER_MINUTE),
        }
    }
}

impl KeyService {
    fn cached(&self, key: &(String, String), now: Instant) -> Option<KeyAnswer> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(key)
            .filter(|(at, _)| now.duration_since(*at) < KEY_CACHE_TTL)
            .map(|(_, a)| a.clone())
    }

    fn store(&self, key: (String, String), answer: KeyAnswer, now: Instant) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= KEY_CACHE_ENTRIES {
            cache.retain(|_, (at, _)| now.duration_since(*at) < KEY_CACHE_TTL);
            if cache.len() >= KEY_CACHE_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(key, (now, answer));
    }
}

/// The query of `GET /api/dkim-key`.
#[derive(Debug, Deserialize)]
pub struct KeyQuery {
    domain: Option<String>,
    selector: Option<String>,
}

/// Checks the inputs: the domain as `shared::domain_name` normalises it,
/// the selector by RFC 6376 §3.1.
pub fn validate_key_query(domain: &str, selector: &str) -> Result<(String, String), AppError> {
    let domain = mxlens_shared::domain_name::normalize_domain(domain)
        .map_err(|e| AppError::BadRequest("bad_domain", e.to_string()))?;
    let selector = selector.trim().to_ascii_lowercase();
    if !is_valid_selector(&selector) {
        return Err(AppError::BadRequest(
            "bad_selector",
            "the selector must be dot-separated labels of letters, digits and hyphens (RFC 6376 §3.1)".into(),
        ));
    }
    Ok((domain, selector))
}

/// `GET /api/dkim-key?domain=&selector=`: the TXT record at
/// `selector._domainkey.domain` with the parsed key and its diagnostics.
pub async fn dkim_key(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    Query(query): Query<KeyQuery>,
) -> Result<Response, AppError> {
    let (domain, selector) = validate_key_query(
        query.domain.as_deref().unwrap_or_default(),
        query.selector.as_deref().unwrap_or_default(),
    )?;
    let now = Instant::now();
    if let Some(Extension(ClientIp(ip))) = client {
        state
            .dkim_keys
            .rate
            .check(ip, now)
            .map_err(AppError::RateLimited)?;
    }
    let key = (domain.clone(), selector.clone());
    let answer = match state.dkim_keys.cached(&key, now) {
        Some(answer) => answer,
        None => {
            let found = lookup_key(state.lookup.as_ref(), &selector, &domain).await;
            let fresh = answer(found.name, found.outcome);
            // DNS failures are not cached: the next try may work.
            if fresh.status != "dns_error" {
                state.dkim_keys.store(key, fresh.clone(), now);
            }
            fresh
        }
    };
    Ok(Json(answer).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_domain_and_selector() {
        assert_eq!(
            validate_key_query("Example.COM.", "S1.2024").unwrap(),
            ("example.com".to_string(), "s1.2024".to_string())
        );
        for (domain, selector) in [
            ("example.com", ""),
            ("example.com", "a b"),
            ("example.com", "-x"),
            ("example.com", "x._domainkey"),
            ("example.com", &"a".repeat(64)),
            ("not a domain", "s1"),
            ("", "s1"),
        ] {
            assert!(
                validate_key_query(domain, selector).is_err(),
                "{domain:?} {selector:?}"
            );
        }
    }

    #[test]
    fn cache_expires_and_stays_bounded() {
        let service = KeyService::default();
        let now = Instant::now();
        let a = answer("s._domainkey.a.test".into(), KeyLookupOutcome::NotFound);
        for i in 0..KEY_CACHE_ENTRIES + 10 {
            service.store((format!("d{i}.test"), "s".into()), a.clone(), now);
        }
        assert!(service.cache.lock().unwrap().len() <= KEY_CACHE_ENTRIES);
        let key = ("x.test".to_string(), "s".to_string());
        service.store(key.clone(), a, now);
        assert!(service.cached(&key, now).is_some());
        assert!(service.cached(&key, now + KEY_CACHE_TTL).is_none());
    }
}
