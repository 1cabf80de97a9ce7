//! SPF benchmarks: parser throughput (records/s and MB/s) and the whole
//! openspf RFC 7208 suite evaluated in memory (evaluations/s).
//!
//! Run with `cargo bench -p mxlens-shared --bench spf`.

#[path = "../tests/support/openspf_suite.rs"]
mod suite;

use std::hint::black_box;
use std::net::IpAddr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mxlens_shared::dns::{block_on_ready, ZoneData};
use mxlens_shared::spf::eval::{check_host, sender_and_domain, EvalOptions};
use mxlens_shared::spf::parse_record;

/// Every TXT/SPF string of the suite plus a few realistic records.
fn corpus() -> Vec<String> {
    let mut records: Vec<String> = vec![
        "v=spf1 include:_spf.google.com ~all".into(),
        "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ip6:2001:db8::/32 include:spf.protection.outlook.com include:_spf.example.net mx a:mail.example.com -all".into(),
        "v=spf1 exists:%{ir}.%{l1r-}.lp._spf.%{d2} redirect=_spf.example.com".into(),
        format!("v=spf1 {} -all", "ip4:203.0.113.0/28 ".repeat(20)),
    ];
    for scenario in suite::load() {
        for entries in scenario.zonedata.values() {
            for entry in entries {
                if let suite::Entry::Typed(map) = entry {
                    for (t, v) in map {
                        if t == "SPF" || t == "TXT" {
                            records.push(suite::text_of(v));
                        }
                    }
                }
            }
        }
    }
    records
}

fn bench_parse(c: &mut Criterion) {
    let records = corpus();
    let bytes: u64 = records.iter().map(|r| r.len() as u64).sum();
    let mut group = c.benchmark_group("spf_parse");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("records", |b| {
        b.iter(|| {
            for r in &records {
                black_box(parse_record(black_box(r)));
            }
        })
    });
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("bytes", |b| {
        b.iter(|| {
            for r in &records {
                black_box(parse_record(black_box(r)));
            }
        })
    });
    group.finish();
}

struct Case {
    zone: usize,
    ip: IpAddr,
    sender: String,
    domain: String,
    helo: String,
}

fn bench_suite(c: &mut Criterion) {
    let scenarios = suite::load();
    let zones: Vec<ZoneData> = scenarios
        .iter()
        .map(|s| suite::build_zone(&s.zonedata))
        .collect();
    let mut cases = Vec::new();
    for (zone, scenario) in scenarios.iter().enumerate() {
        for case in scenario.tests.values() {
            let (sender, domain) = sender_and_domain(&case.mailfrom, &case.helo);
            cases.push(Case {
                zone,
                ip: case.host.parse().expect("host"),
                sender,
                domain,
                helo: case.helo.clone(),
            });
        }
    }
    let opts = EvalOptions {
        default_explanation: "DEFAULT".into(),
        ..EvalOptions::default()
    };
    let mut group = c.benchmark_group("spf_openspf_suite");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("check_host_203", |b| {
        b.iter(|| {
            for case in &cases {
                black_box(block_on_ready(check_host(
                    &zones[case.zone],
                    case.ip,
                    &case.domain,
                    &case.sender,
                    &case.helo,
                    &opts,
                )));
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench_parse, bench_suite
}
criterion_main!(benches);
