//! The HTTP JSON bodies (#19 §5): any bytes given to serde_json for the
//! request types of POST /api/analyze, /api/audits and /api/reports, then
//! to the checks the handlers run on what was accepted (domain, selectors,
//! envelope), give a value or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxlens_backend::http::{admit_selectors, envelope_fields};
use mxlens_shared::api::{AnalyzeBody, CreateAudit, CreateReport};
use mxlens_shared::domain_name::normalize_domain;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<AnalyzeBody>(data);
    if let Ok(audit) = serde_json::from_slice::<CreateAudit>(data) {
        let _ = normalize_domain(&audit.domain);
        let _ = admit_selectors(&audit.selectors);
        let _ = envelope_fields(audit.mail_from.as_deref(), audit.helo.as_deref());
        let _ = audit
            .sending_ip
            .as_deref()
            .map(str::parse::<std::net::IpAddr>);
    }
    if let Ok(report) = serde_json::from_slice::<CreateReport>(data) {
        if let Some(domain) = report.domain.as_deref() {
            let _ = normalize_domain(domain);
        }
        let _ = admit_selectors(&report.selectors);
        // The body round-trips: what a client would resend parses again.
        let again = serde_json::to_vec(&report).expect("serializable");
        assert!(serde_json::from_slice::<CreateReport>(&again).is_ok());
    }
});
