//! The openspf RFC 7208 suite through the shipped binary: every vector runs
//! as `mxlens spf --json` against a real DNS server that serves the
//! scenario's zone data, so what the user runs is what passes. The
//! in-process run of the same suite is `shared/tests/openspf.rs`; the test
//! command prints both counts.

use mxlens_tests::cli::mxlens;
use mxlens_tests::dns::{Fault, TestDns};
use mxlens_tests::spf_suite::{build, load, TestCase};
use serde_json::Value;

/// Runs one vector through the binary; `Err` says why it did not pass.
fn run(dns: &TestDns, case: &TestCase) -> Result<(), String> {
    let ns = dns.addr.to_string();
    let out = mxlens(&[
        "spf",
        "--ip",
        &case.host,
        "--mail-from",
        &case.mailfrom,
        "--helo",
        &case.helo,
        "--nameserver",
        &ns,
        "--dns-timeout-ms",
        "500",
        "--dns-attempts",
        "1",
        "--json",
    ])
    .output()
    .map_err(|e| format!("cannot run mxlens: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).map_err(|e| {
        format!(
            "exit {:?}, not JSON ({e}): {stdout} {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let result = json["result"].as_str().unwrap_or_default();
    let wanted = case.result.as_vec();
    if !wanted.iter().any(|w| w == result) {
        return Err(format!("result {result} (wanted {wanted:?}): {json}"));
    }
    // The suite's "DEFAULT" stands for the evaluator's own default text,
    // which the CLI does not let a caller replace.
    if let Some(exp) = case.explanation.as_deref().filter(|e| *e != "DEFAULT") {
        if json["explanation"].as_str() != Some(exp) {
            return Err(format!(
                "explanation {} (wanted {exp:?})",
                json["explanation"]
            ));
        }
    }
    let code = out.status.code();
    let want_code = if matches!(result, "fail" | "permerror") {
        1
    } else {
        0
    };
    if code != Some(want_code) {
        return Err(format!("exit {code:?} for {result}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn openspf_rfc7208_suite_through_the_mxlens_binary() {
    let scenarios = load();
    let mut total = 0u32;
    let mut failures = Vec::new();
    for scenario in &scenarios {
        let zone = build(&scenario.zonedata);
        let dns = TestDns::start_records(zone.records)
            .await
            .unwrap_or_else(|e| panic!("[{}] {e}", scenario.description));
        for (name, rtype) in &zone.timeouts {
            dns.set_fault_exact(name, *rtype, Fault::Silence);
        }
        // The vectors of a scenario run side by side, one process each.
        let results: Vec<(String, Result<(), String>)> = tokio::task::block_in_place(|| {
            std::thread::scope(|scope| {
                let handles: Vec<_> = scenario
                    .tests
                    .iter()
                    .map(|(name, case)| {
                        let dns = &dns;
                        scope.spawn(move || (name.clone(), run(dns, case)))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a vector thread"))
                    .collect()
            })
        });
        for (name, result) in results {
            total += 1;
            if let Err(why) = result {
                let case = &scenario.tests[&name];
                failures.push(format!(
                    "[{}] {name} (--mail-from {:?} --helo {:?} --ip {}): {why}",
                    scenario.description, case.mailfrom, case.helo, case.host
                ));
            }
        }
    }
    for f in &failures {
        eprintln!("FAILED {f}\n");
    }
    let passed = total - failures.len() as u32;
    println!(
        "openspf RFC 7208 suite through mxlens spf and a real DNS server: {passed}/{total} passed"
    );
    assert_eq!(total, 203, "the suite has 203 tests");
    assert!(failures.is_empty(), "{} vectors failed", failures.len());
}
