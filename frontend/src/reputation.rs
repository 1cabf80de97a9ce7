//! Blocklist lookups for a pasted message (issue #20). Only host names go
//! to the server (`POST /api/reputation`): the From domain, the DKIM `d=`
//! domains, the Return-Path domain, the link and image hosts, and the
//! sending IP. The message itself stays in the browser. The answer becomes
//! the report's Reputation section and its `dnsbl.*` checks, through the
//! same `shared::reputation::apply_reputation` the server uses.

use std::fmt::Write;

use mxlens_shared::domain_name::is_normalized_ascii;
use mxlens_shared::report::{decode, Report, ReputationSection};

/// Appends `"name"` to a JSON array body and says whether it did. Only
/// names that are normalised ASCII domain names get in, so none needs
/// escaping (and a name the server would refuse with 400 `bad_domain` never
/// fails the whole request: an IP-literal link host, say).
fn push_name(out: &mut String, name: &str) -> bool {
    if !is_normalized_ascii(name) {
        return false;
    }
    if !out.ends_with('[') {
        out.push(',');
    }
    let _ = write!(out, "\"{name}\"");
    true
}

/// The request body for `report`'s message, or `None` when it has no name
/// or IP to look up.
pub fn request_body(report: &Report) -> Option<String> {
    let m = report.message.as_ref()?;
    let mut body = String::from("{");
    let mut names = 0;
    if let Some(from) = m.from.as_ref().filter(|f| is_normalized_ascii(&f.domain)) {
        let _ = write!(body, "\"from\":\"{}\",", from.domain);
        names += 1;
    }
    let return_path = m
        .envelope_from
        .as_deref()
        .and_then(|e| e.rsplit_once('@'))
        .map(|(_, d)| d.trim_end_matches('>').to_ascii_lowercase())
        .filter(|d| is_normalized_ascii(d));
    if let Some(domain) = return_path {
        let _ = write!(body, "\"return_path\":\"{domain}\",");
        names += 1;
    }
    body.push_str("\"dkim\":[");
    for s in &m.dkim_signatures {
        names += usize::from(push_name(&mut body, &s.domain));
    }
    body.push_str("],\"links\":[");
    for host in m.content.iter().flat_map(|c| &c.link_domains) {
        names += usize::from(push_name(&mut body, host));
    }
    body.push(']');
    if let Some(ip) = m
        .sending_ip
        .as_deref()
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
    {
        let _ = write!(body, ",\"sending_ip\":\"{ip}\"");
        names += 1;
    }
    body.push('}');
    (names > 0).then_some(body)
}

/// The server's blocklist answers for `report`'s names, or `None` when
/// there is nothing to look up or the server cannot answer (the
/// `bulk.link-reputation` item then stays "needs the server").
pub async fn fetch(report: &Report) -> Option<ReputationSection> {
    let body = request_body(report)?;
    let response = gloo_net::http::Request::post("/api/reputation")
        .header("content-type", "application/json")
        .body(body)
        .ok()?
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    let text = response.text().await.ok()?;
    decode::reputation_answer(&decode::parse(&text).ok()?).ok()
}
