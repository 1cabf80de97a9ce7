//! The report of a delivery: evaluated live with the server's resolver
//! (PTR/FCrDNS, HELO, SPF check_host() for MAIL FROM and HELO), the
//! message's DKIM signatures and ARC chain verified by mxlens, the audit of
//! the From domain with the signing selectors and the sending IP (DNSBL),
//! the reputation lookups, then assembled by
//! `mxlens_shared::delivery::assemble`. It is stored like a shared report
//! under the test address's id, with its inputs (the facts and the raw
//! message) so [`recompute`] gives it again.

use std::sync::Arc;
use std::time::Duration;

use mxlens_shared::delivery::trace::strip_forged_auth_results;
use mxlens_shared::delivery::{assemble, audit_domain, signing_selectors, DeliveryInput};
use mxlens_shared::dkim::crypto::RingVerifier;
use mxlens_shared::dkim::verify::fetch_keys;
use mxlens_shared::dns::block_on_ready;
use mxlens_shared::domain_name::normalize_domain;
use mxlens_shared::message::verified::{keys_for_message, verify_message};
use mxlens_shared::report::{ConnectionFacts, Report};

use super::tokens::TestAddress;
use crate::audit::{run_audit, AuditRequest};
use crate::error::AppError;
use crate::AppState;

/// Most DKIM selectors handed to the audit (as `admit_selectors`).
const MAX_AUDIT_SELECTORS: usize = 16;

/// Runs `job` on the CPU pool, waiting for room rather than failing when
/// the pool is busy (a delivery was already accepted with 250).
async fn on_cpu<T, F>(state: &AppState, job: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + Clone + 'static,
{
    loop {
        match state.cpu.run(job.clone()).await {
            Ok(value) => return value,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Builds the delivery report of `raw` as received with `facts`.
pub async fn build_report(
    state: &AppState,
    facts: &ConnectionFacts,
    raw: Arc<Vec<u8>>,
    queue_id: &str,
    generated_at: String,
) -> Result<Report, AppError> {
    let now = mxlens_shared::message::datetime::parse_rfc3339(&generated_at).unwrap_or(0);
    let lookup = state.lookup.as_ref();
    // The message as the sender wrote it: a forged Authentication-Results
    // for this receiver is not the sender's to add (RFC 8601 §5).
    let message = Arc::new(strip_forged_auth_results(&raw, &facts.received_by));
    let domain = audit_domain(&message, facts).and_then(|d| normalize_domain(&d).ok());
    let evaluation =
        mxlens_shared::delivery::evaluate(lookup, facts, u64::try_from(now).unwrap_or(0));
    let wanted = keys_for_message(&message);
    let keys = fetch_keys(lookup, &wanted);
    let (evaluation, keys) = tokio::join!(evaluation, keys);
    let verified = message.clone();
    let verification = on_cpu(state, move || {
        block_on_ready(verify_message(&verified, &keys, &RingVerifier, now))
    })
    .await;
    let audit = match domain {
        Some(domain) => {
            let mut selectors = signing_selectors(&message, &domain);
            selectors.truncate(MAX_AUDIT_SELECTORS);
            let request = AuditRequest {
                domain,
                selectors,
                // The delivery's signing selectors are the ones that matter.
                guess_selectors: false,
                sending_ip: evaluation.ip,
                rcpt: None,
                mail_from: Some(facts.mail_from.clone()).filter(|m| !m.is_empty()),
                helo: Some(facts.helo.clone()).filter(|h| !h.is_empty()),
            };
            let lookup =
                crate::dns_budget::audit_lookup((*state.lookup).clone(), &state.audit_config);
            Some(
                run_audit(
                    &lookup,
                    &request,
                    &state.audit_config,
                    generated_at.clone(),
                    |_| {},
                )
                .await,
            )
        }
        None => None,
    };
    let facts_owned = facts.clone();
    let queue_id = queue_id.to_string();
    let at = generated_at.clone();
    let evaluation = Arc::new(evaluation);
    let verification = Arc::new(verification);
    let audit = Arc::new(audit);
    let report = on_cpu(state, move || {
        assemble(DeliveryInput {
            raw: &raw,
            facts: &facts_owned,
            queue_id: &queue_id,
            evaluation: &evaluation,
            verification: Some(&verification),
            audit: audit.as_ref().as_ref(),
            generated_at: &at,
        })
    })
    .await
    .map_err(|e| AppError::BadRequest("bad_input", e.to_string()))?;
    // Blocklists and allow-lists for the message's names and the sending IP.
    let (names, ip) = mxlens_shared::reputation::targets_of(&report);
    let lists = state.audit_config.reputation_lists();
    let reputation = mxlens_shared::reputation::look_up(lookup, &names, ip, &lists).await;
    let mut report = report;
    mxlens_shared::reputation::apply_reputation(&mut report, reputation);
    report.rescore();
    Ok(report)
}

/// Builds, stores and announces the report of an accepted message for
/// each of the test addresses that took it. The message's hold on the
/// memory budget is given back when this ends.
pub async fn deliver(
    state: AppState,
    facts: ConnectionFacts,
    raw: Vec<u8>,
    addresses: Vec<Arc<TestAddress>>,
    _held: super::Held,
) {
    let raw = Arc::new(raw);
    let queue_id = addresses.first().map(|a| a.id.clone()).unwrap_or_default();
    let result = build_report(&state, &facts, raw.clone(), &queue_id, crate::now_rfc3339()).await;
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            tracing::warn!(error = %e, "delivery report failed");
            for address in &addresses {
                address.push("failed", serde_json::json!({"reason": e.to_string()}), true);
            }
            return;
        }
    };
    for address in &addresses {
        match store(&state, address, &report, &facts, &raw).await {
            Ok(()) => address.push(
                "report",
                serde_json::json!({"id": address.id, "url": format!("/r/{}", address.id)}),
                true,
            ),
            Err(e) => {
                tracing::warn!(error = %e, "storing a delivery report failed");
                address.push("failed", serde_json::json!({"reason": e.to_string()}), true);
            }
        }
    }
}

async fn store(
    state: &AppState,
    address: &TestAddress,
    report: &Report,
    facts: &ConnectionFacts,
    raw: &[u8],
) -> Result<(), AppError> {
    let json = serde_json::to_string(report).map_err(|e| AppError::Internal(e.into()))?;
    state.quota.check_size(json.len())?;
    state
        .quota
        .reserve(&state.store, json.len() + raw.len())
        .await?;
    let facts_json = serde_json::to_string(facts).map_err(|e| AppError::Internal(e.into()))?;
    let created_at = crate::now_rfc3339();
    let expires_at = crate::reports::expiry_after_days(state.retention_days);
    state
        .metrics
        .store(
            "put_report",
            state.store.put_report(
                &address.id,
                "delivery",
                &json,
                &address.delete_token_sha256,
                &created_at,
                &expires_at,
            ),
        )
        .await?;
    state
        .metrics
        .store(
            "put_delivery_input",
            state
                .store
                .put_delivery_input(&address.id, &facts_json, raw),
        )
        .await?;
    Ok(())
}

/// The delivery report `id` made again from its stored facts and raw
/// message, with today's DNS (`None` when no such delivery is stored).
pub async fn recompute(state: &AppState, id: &str) -> Result<Option<Report>, AppError> {
    let Some((facts_json, raw)) = state
        .metrics
        .store("get_delivery_input", state.store.get_delivery_input(id))
        .await?
    else {
        return Ok(None);
    };
    let facts: ConnectionFacts =
        serde_json::from_str(&facts_json).map_err(|e| AppError::Internal(e.into()))?;
    build_report(state, &facts, Arc::new(raw), id, crate::now_rfc3339())
        .await
        .map(Some)
}
