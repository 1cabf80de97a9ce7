//! Reputation lookups on the server: the domains and sending IP of a
//! message on the configured blocklists and allow-lists
//! ([`mxlens_shared::reputation`]), for `POST /api/analyze`, stored and
//! combined reports made of a message, `mxlens headers --reputation`, and
//! `POST /api/reputation`, where the browser sends only host names (the
//! message never leaves it).

use std::net::IpAddr;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mxlens_shared::dns::DnsLookup;
use mxlens_shared::report::{Check, Report, ReputationSection};
use mxlens_shared::reputation::{
    apply_reputation, look_up, reputation_checks, targets_of, ListSet, Names,
};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::AppState;

/// The most names one `POST /api/reputation` may send (all roles
/// together); at most [`mxlens_shared::reputation::MAX_NAMES`] distinct
/// ones are looked up, the rest come back as `skipped`.
pub const MAX_REQUEST_NAMES: usize = 200;

/// The longest name accepted (RFC 1035 §2.3.4: 255 octets).
const MAX_NAME_BYTES: usize = 255;

/// Looks up the names and sending IP of the message in `report` on
/// `lists` and puts the Reputation section, its checks and the
/// `bulk.link-reputation` item into it. A report that is not about a
/// message is left alone.
pub async fn reputation_into<L: DnsLookup>(lookup: &L, lists: &ListSet, report: &mut Report) {
    if report.message.is_none() {
        return;
    }
    let (names, ip) = targets_of(report);
    let section = look_up(lookup, &names, ip, lists).await;
    apply_reputation(report, section);
}

/// The body of `POST /api/reputation`: the host names a message uses, by
/// role, and its sending IP.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReputationRequest {
    /// The RFC5322.From domain.
    #[serde(default)]
    pub from: Option<String>,
    /// DKIM `d=` domains.
    #[serde(default)]
    pub dkim: Vec<String>,
    /// The Return-Path (envelope sender) domain.
    #[serde(default)]
    pub return_path: Option<String>,
    /// Link and image host names.
    #[serde(default)]
    pub links: Vec<String>,
    /// The sending IP.
    #[serde(default)]
    pub sending_ip: Option<String>,
}

/// The answer of `POST /api/reputation`.
#[derive(Debug, Serialize)]
pub struct ReputationAnswer {
    /// One row per name and list.
    pub reputation: ReputationSection,
    /// The checks the rows give (`dnsbl.domain-listed`, `dnsbl.listed`,
    /// `dnsbl.allowlisted`).
    pub checks: Vec<Check>,
}

/// Checks a request: every name a valid domain name (400 `bad_domain`), at
/// most [`MAX_REQUEST_NAMES`] (400 `too_many_names`), the IP an IP (400
/// `bad_ip`). Returns the names with their roles and the IP.
pub fn admit_request(request: &ReputationRequest) -> Result<(Names, Option<IpAddr>), AppError> {
    let roles = request
        .from
        .iter()
        .map(|n| (n, "from"))
        .chain(request.dkim.iter().map(|n| (n, "dkim")))
        .chain(request.return_path.iter().map(|n| (n, "return_path")))
        .chain(request.links.iter().map(|n| (n, "link")));
    let total = request.dkim.len() + request.links.len() + 2;
    if total > MAX_REQUEST_NAMES + 2 {
        return Err(AppError::BadRequest(
            "too_many_names",
            format!("{total} names; at most {MAX_REQUEST_NAMES}"),
        ));
    }
    let mut names = Names::default();
    for (name, role) in roles {
        let valid = name.len() <= MAX_NAME_BYTES
            && mxlens_shared::domain_name::normalize_domain(name).is_ok();
        if !valid {
            let shown: String = name.chars().take(64).collect();
            return Err(AppError::BadRequest(
                "bad_domain",
                format!("{role}: {shown:?} is not a domain name"),
            ));
        }
        names.add(name, role);
    }
    let ip = match request.sending_ip.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(ip) => Some(ip.parse::<IpAddr>().map_err(|_| {
            AppError::BadRequest(
                "bad_ip",
                format!(
                    "sending_ip {:?} is not an IP address",
                    ip.chars().take(64).collect::<String>()
                ),
            )
        })?),
    };
    Ok((names, ip))
}

/// `POST /api/reputation`: the names on the server's lists. Rate limited
/// with every POST (per client, `--rate-limit-per-minute`).
pub async fn reputation(
    State(state): State<AppState>,
    crate::http::AppJson(request): crate::http::AppJson<ReputationRequest>,
) -> Result<Response, AppError> {
    let (names, ip) = admit_request(&request)?;
    let section = look_up(
        state.lookup.as_ref(),
        &names,
        ip,
        &state.audit_config.reputation_lists(),
    )
    .await;
    let checks = reputation_checks(&section);
    Ok(Json(ReputationAnswer {
        reputation: section,
        checks,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: &str) -> Result<(Names, Option<IpAddr>), AppError> {
        admit_request(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn requests_are_validated() {
        let (names, ip) = request(
            r#"{"from":"Shop.Example","dkim":["shop.example"],"links":["t.co","x.shop.example"],"sending_ip":"192.0.2.1"}"#,
        )
        .unwrap();
        assert_eq!(names.names.len(), 3);
        assert_eq!(names.names[0].1, ["from", "dkim"]);
        assert_eq!(ip, Some("192.0.2.1".parse().unwrap()));
        for bad in [
            r#"{"from":"not a domain"}"#,
            r#"{"links":["a..b"]}"#,
            r#"{"sending_ip":"300.1.1.1"}"#,
        ] {
            assert!(request(bad).is_err(), "{bad}");
        }
        let long = format!(r#"{{"links":["{}.example"]}}"#, "a".repeat(100_000));
        assert!(request(&long).is_err());
        let many: Vec<String> = (0..10_000).map(|i| format!("\"l{i}.example\"")).collect();
        let many = format!(r#"{{"links":[{}]}}"#, many.join(","));
        assert!(matches!(
            request(&many),
            Err(AppError::BadRequest("too_many_names", _))
        ));
        let capped: Vec<String> = (0..150).map(|i| format!("\"l{i}.example\"")).collect();
        let (names, _) = request(&format!(r#"{{"links":[{}]}}"#, capped.join(","))).unwrap();
        assert_eq!(names.names.len(), mxlens_shared::reputation::MAX_NAMES);
        assert_eq!(names.skipped.len(), mxlens_shared::reputation::MAX_NAMES);
    }
}
