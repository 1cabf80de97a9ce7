//! Running the backend's domain audit in-process against the test DNS
//! server, the way `mxlens audit` does, for tests that assert on the report.

use std::time::Duration;

use mxlens_backend::audit::{run_audit, AuditConfig, AuditRequest};
use mxlens_backend::dedup::AuditLookup;
use mxlens_backend::resolver::{HickoryLookup, ResolverSettings};
use mxlens_shared::report::Report;

use crate::dns::TestDns;

/// The timestamp every test audit carries, so reports compare.
pub const GENERATED_AT: &str = "2026-01-01T00:00:00Z";

/// An audit request for `domain` with DKIM `selectors` and an optional
/// sending IP (panics on a malformed IP: it is a test's literal).
pub fn request(domain: &str, selectors: &[&str], sending_ip: Option<&str>) -> AuditRequest {
    AuditRequest {
        domain: domain.into(),
        selectors: selectors.iter().map(|s| s.to_string()).collect(),
        sending_ip: sending_ip.map(|s| s.parse().expect("a test's sending IP")),
        ..AuditRequest::default()
    }
}

/// Runs `request` with `config` through a hickory resolver that asks only
/// `dns`, one attempt per query with `dns_timeout`.
pub async fn run(
    dns: &TestDns,
    request: &AuditRequest,
    config: &AuditConfig,
    dns_timeout: Duration,
) -> Report {
    let lookup = HickoryLookup::new(&ResolverSettings {
        nameservers: vec![dns.addr],
        timeout: dns_timeout,
        attempts: 1,
        ..ResolverSettings::default()
    })
    .expect("a resolver for the test DNS server");
    let report = run_audit(
        &AuditLookup::new(lookup),
        request,
        config,
        GENERATED_AT.into(),
        |_| {},
    )
    .await;
    // The browser reads reports with `report::decode` rather than the
    // derived `Deserialize`: every audit the suite runs must read the same
    // both ways.
    let value = serde_json::to_value(&report).expect("a report serialises");
    assert_eq!(
        mxlens_shared::report::decode::report(&value).as_ref(),
        Ok(&report),
        "report::decode disagrees with the report model"
    );
    check_golden(&value);
    report
}

thread_local! {
    /// How many audits the current test has run (the golden file's suffix).
    static AUDITS_IN_TEST: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Every audit the harness runs is compared with the report it gave when
/// its golden file was written (`tests/fixtures/audits/<test>-<n>.json`),
/// so a refactor of the audit must give byte-identical reports. The SMTP
/// probe's millisecond timings are masked. `MXLENS_REGENERATE=1` writes
/// the files; a mismatch writes `<test>-<n>.failed` beside the golden.
///
/// Only audits run on the test's own thread (named `module::test`) have
/// goldens; audits a test spawns onto runtime workers (the hostile-peer
/// tests) are left to that test's own assertions.
fn check_golden(value: &serde_json::Value) {
    let Some(test) = std::thread::current()
        .name()
        .filter(|n| n.contains("::"))
        .map(|n| n.replace("::", "-"))
    else {
        return;
    };
    let n = AUDITS_IN_TEST.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    let mut value = value.clone();
    mask_timings(&mut value);
    let pretty = serde_json::to_string_pretty(&value).expect("json") + "\n";
    let dir = crate::fixtures_dir().join("audits");
    let golden = dir.join(format!("{test}-{n}.json"));
    let failed = golden.with_extension("failed");
    if std::env::var("MXLENS_REGENERATE").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(&dir).expect("create the audit golden directory");
        std::fs::write(&golden, &pretty).expect("write the audit golden");
        let _ = std::fs::remove_file(&failed);
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    if expected == pretty {
        let _ = std::fs::remove_file(&failed);
    } else {
        std::fs::write(&failed, &pretty).expect("write .failed");
        panic!(
            "the audit report differs from its golden {} (actual in {}; MXLENS_REGENERATE=1 rewrites it if the change is intended)",
            golden.display(),
            failed.display()
        );
    }
}

/// Replaces values that depend on timing (milliseconds, and durations in
/// check details), on the peer's ephemeral port, or on the certificates the
/// test CA makes afresh each run (long hex runs) with a fixed word.
pub fn mask_timings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key.ends_with("_ms") && v.is_number() {
                    *v = serde_json::Value::String("<ms>".into());
                } else if key.ends_with("days_left") && v.is_number() {
                    // The test CA's certificates count down with the clock.
                    *v = serde_json::Value::String("<days>".into());
                } else if key == "connected_to" {
                    // The loopback peer's ephemeral port.
                    *v = serde_json::Value::String("<peer>".into());
                } else {
                    mask_timings(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_timings),
        serde_json::Value::String(s) => {
            if let Some(masked) = mask_ms_in_text(s) {
                *s = masked;
            }
        }
        _ => {}
    }
}

/// "in 12 ms" → "in <n> ms" for every number directly before " ms", hex
/// runs of 64 digits or more (DER in TLSA data) → "<hex>", and a loopback
/// peer's ephemeral port (`127.0.0.1:40807` → `127.0.0.1:<port>`).
fn mask_ms_in_text(text: &str) -> Option<String> {
    let text = &mask_days_left(&mask_loopback_ports(&mask_long_hex(text)));
    if !text.contains(" ms") {
        return Some(text.clone());
    }
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            if text[i..].starts_with(" ms") {
                out.push_str("<n>");
            } else {
                out.push_str(&text[start..i]);
            }
        } else {
            let ch = text[i..].chars().next().expect("a char at a boundary");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    Some(out)
}

/// The configuration of the DNS-only audit tests: a 20 s deadline, the
/// fixture blocklist `bl.audit.test`, and no SMTP probes.
pub fn dns_only_config() -> AuditConfig {
    AuditConfig {
        deadline: Duration::from_secs(20),
        dnsbl_lists: vec!["bl.audit.test".into()],
        smtp: false,
        ..AuditConfig::default()
    }
}

/// Audits `domain` with DKIM `selectors` and an optional sending IP through
/// `dns` (2 s per query), with `config`.
pub async fn audit_with(
    dns: &TestDns,
    domain: &str,
    selectors: &[&str],
    sending_ip: Option<&str>,
    config: &AuditConfig,
) -> Report {
    run(
        dns,
        &request(domain, selectors, sending_ip),
        config,
        Duration::from_secs(2),
    )
    .await
}

/// "755713 day(s) left" → "<n> day(s) left": a certificate's remaining
/// days change every midnight.
fn mask_days_left(text: &str) -> String {
    const MARK: &str = " day(s) left";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        let head = &rest[..at];
        let digits = head.bytes().rev().take_while(u8::is_ascii_digit).count();
        out.push_str(&head[..head.len() - digits]);
        if digits > 0 {
            out.push_str("<n>");
        }
        out.push_str(MARK);
        rest = &rest[at + MARK.len()..];
    }
    out.push_str(rest);
    out
}

fn mask_loopback_ports(text: &str) -> String {
    const LOOPBACK: &str = "127.0.0.1:";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(LOOPBACK) {
        let after = at + LOOPBACK.len();
        out.push_str(&rest[..after]);
        let digits = rest[after..].bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("<port>");
        }
        rest = &rest[after + digits..];
    }
    out.push_str(rest);
    out
}

fn mask_long_hex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 64 {
            out.push_str("<hex>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for ch in text.chars() {
        if ch.is_ascii_hexdigit() {
            run.push(ch);
        } else {
            flush(&mut run, &mut out);
            out.push(ch);
        }
    }
    flush(&mut run, &mut out);
    out
}
