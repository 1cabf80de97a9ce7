//! Benchmark harness (bench/*.sh; never part of the test run).
//!
//! `bench critical-path [--delay-ms 50] [--runs 3]`: the whole audit of
//! good.audit.test in-process, against the loopback test DNS server with a
//! delay on every query, a fake SMTP server with STARTTLS and an HTTPS
//! MTA-STS policy server. It records every DNS query, derives the data
//! dependency depth of the audit from the answers (a query depends on an
//! earlier one whose answer names it), measures the SMTP handshake alone,
//! and prints wall time / (depth × delay + handshake).
//!
//! `bench serve [--delay-ms 50] [--domains N] [--list FILE]`: serves the
//! fixture zones plus N generated domains `d<i>.bench.test` (written one per
//! line to FILE) with the delay, prints `ADDR 127.0.0.1:PORT` and serves until
//! stdin closes.
//!
//! `bench load --addr IP:PORT [--in-flight 2048] [--sockets 8] [--seconds 10]
//! [--domains 1000]`: a trivial DNS load client ([`load`]), to measure the
//! bench server's own ceiling at that delay.

mod load;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use mxlens_backend::audit::{run_audit, AuditConfig, AuditRequest};
use mxlens_backend::dedup::AuditLookup;
use mxlens_backend::probe::probe_mx;
use mxlens_backend::resolver::{HickoryLookup, ResolverSettings};
use mxlens_backend::ssrf::ConnectPolicy;
use mxlens_shared::dns::{DnsLookup, DnsOutcome, DnssecStatus, MxRecord, TlsaRecord};
use mxlens_tests::dns::{Fault, TestDns};
use mxlens_tests::https::{https, ok_response};
use mxlens_tests::pki::TestCa;
use mxlens_tests::smtp::{Behaviour, FakeSmtp};

const FIXTURES: &[&str] = &["audit.test", "elsewhere.test", "2.0.192.in-addr.arpa"];

fn flag<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let delay = Duration::from_millis(flag(&args, "--delay-ms", 50u64));
    match args.first().map(String::as_str) {
        Some("critical-path") => critical_path(delay, flag(&args, "--runs", 3usize)).await,
        Some("serve") => {
            let list: String = flag(&args, "--list", String::new());
            serve(delay, flag(&args, "--domains", 0usize), &list).await
        }
        Some("load") => {
            let addr: std::net::SocketAddr = flag(&args, "--addr", String::new())
                .parse()
                .context("--addr IP:PORT")?;
            load::load(
                addr,
                flag(&args, "--in-flight", 2048usize),
                flag(&args, "--sockets", 8usize),
                flag(&args, "--seconds", 10f64),
                flag(&args, "--domains", 1000usize),
            )
            .await
        }
        _ => anyhow::bail!("usage: bench critical-path|serve|load [--delay-ms MS] …"),
    }
}

/// The generated zones: `count` domains shaped like good.audit.test, each
/// its own zone under an empty `bench.test`. One zone per domain, not one
/// zone of all of them: hickory-server's in-memory zone scans every record
/// of the zone to answer NXDOMAIN or NODATA, so a single zone of N domains
/// made each negative answer cost O(N) (about 300 µs of server CPU per
/// query at N = 1000), and the server, not mxlens, set the batch rate.
fn bench_zones(count: usize) -> Vec<(String, String)> {
    let key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA6SW1aTzcnS2e9bCV/B/U/96Abrkg4JSkc4jlkExYcng47bTbyeuexyni8lwJjOjXHCd8rUYWyVA2PAmyirakXunat5OkElVRs5NTFdtl+sQhf8/Z7Y2JFav/d9dobow1Kw6KWZszrW/uGv/vGHM1yED54VtY\" \"+T53PX1zBNKdcVYVIHHsELf4ZW7zMMiLJZBcbIKm07m868+0MYmZevQhPX78cqxrhOa40B+piaQQtNidoNUQHAXgmW76xCEyYicNU4bLyEjEoorq5W3vIuPRAOfI62vgq/QdaST2UzWIr5Eg+Ouo9bCwn8xA7S1KXX6FJf04P6RcuuyWGySulTfdawIDAQAB";
    let soa = "@ IN SOA ns1.audit.test. hostmaster.audit.test. ( 1 3600 600 86400 300 )\n\
               @ IN NS ns1.audit.test.\n";
    let mut zones = vec![(
        "bench.test".to_string(),
        format!("$ORIGIN bench.test.\n$TTL 300\n{soa}"),
    )];
    for i in 0..count {
        let d = format!("d{i}.bench.test");
        zones.push((
            d.clone(),
            format!(
                "$ORIGIN {d}.\n$TTL 300\n{soa}\
                 @ IN MX 10 mx.{d}.\n\
                 mx IN A 192.0.2.10\n\
                 @ IN TXT \"v=spf1 ip4:192.0.2.0/24 include:_spf.esp.audit.test -all\"\n\
                 _dmarc IN TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@{d}\"\n\
                 s1._domainkey IN TXT \"v=DKIM1; k=rsa; p={key}\"\n\
                 _smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@{d}\"\n\
                 default._bimi IN TXT \"v=BIMI1; l=https://{d}/logo.svg\"\n"
            ),
        ));
    }
    zones
}

async fn serve(delay: Duration, count: usize, list: &str) -> anyhow::Result<()> {
    let mut zones: Vec<(String, String)> = Vec::new();
    for origin in FIXTURES {
        let path = mxlens_tests::fixtures_dir()
            .join("zones")
            .join(format!("{origin}.zone"));
        zones.push((origin.to_string(), std::fs::read_to_string(&path)?));
    }
    zones.extend(bench_zones(count));
    let borrowed: Vec<(&str, &str)> = zones
        .iter()
        .map(|(o, t)| (o.as_str(), t.as_str()))
        .collect();
    let dns = TestDns::start(&borrowed).await?;
    if !delay.is_zero() {
        dns.set_fault("", Fault::Delay(delay));
    }
    if !list.is_empty() {
        let text: String = (0..count).map(|i| format!("d{i}.bench.test\n")).collect();
        std::fs::write(list, text).with_context(|| format!("writing {list}"))?;
    }
    println!("ADDR {}", dns.addr);
    // Serve until stdin closes.
    tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    })
    .await?;
    eprintln!("served {} queries", dns.query_count());
    Ok(())
}

/// One distinct DNS question and its answer, with times.
#[derive(Debug, Clone)]
struct Query {
    kind: &'static str,
    name: String,
    answer: Vec<String>,
    start: Instant,
    end: Instant,
}

/// Records every query an audit makes (first occurrence of each question).
struct Recorder<L> {
    inner: L,
    log: Mutex<Vec<Query>>,
}

impl<L: DnsLookup> Recorder<L> {
    async fn record<T: std::fmt::Debug>(
        &self,
        kind: &'static str,
        name: String,
        fut: impl std::future::Future<Output = DnsOutcome<T>>,
    ) -> DnsOutcome<T> {
        let start = Instant::now();
        let outcome = fut.await;
        let end = Instant::now();
        let answer = outcome.records().iter().map(|r| format!("{r:?}")).collect();
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        if !log.iter().any(|q| q.kind == kind && q.name == name) {
            log.push(Query {
                kind,
                name,
                answer,
                start,
                end,
            });
        }
        outcome
    }
}

impl<L: DnsLookup + Send + Sync> DnsLookup for Recorder<L> {
    async fn txt(&self, name: &str) -> DnsOutcome<String> {
        self.record("TXT", name.into(), self.inner.txt(name)).await
    }
    async fn a(&self, name: &str) -> DnsOutcome<Ipv4Addr> {
        self.record("A", name.into(), self.inner.a(name)).await
    }
    async fn aaaa(&self, name: &str) -> DnsOutcome<Ipv6Addr> {
        self.record("AAAA", name.into(), self.inner.aaaa(name))
            .await
    }
    async fn mx(&self, name: &str) -> DnsOutcome<MxRecord> {
        self.record("MX", name.into(), self.inner.mx(name)).await
    }
    async fn ptr(&self, ip: IpAddr) -> DnsOutcome<String> {
        let name = mxlens_shared::dns::ZoneData::reverse_name(ip);
        self.record("PTR", name, self.inner.ptr(ip)).await
    }
    async fn cname(&self, name: &str) -> DnsOutcome<String> {
        self.record("CNAME", name.into(), self.inner.cname(name))
            .await
    }
    async fn tlsa(&self, name: &str) -> DnsOutcome<TlsaRecord> {
        self.record("TLSA", name.into(), self.inner.tlsa(name))
            .await
    }
    async fn dnssec_status(&self, name: &str) -> DnsOutcome<DnssecStatus> {
        self.record("SOA+AD", name.into(), self.inner.dnssec_status(name))
            .await
    }
}

/// What an answer must mention for `name` to depend on it: the name itself;
/// for reverse and DNSBL names the IP; for `_25._tcp.HOST` the host; for
/// `mta-sts.D` (the policy host) nothing (see [`depths`]).
fn needles(name: &str) -> Vec<String> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let mut out = vec![name.clone()];
    if labels.len() >= 4 && labels[..4].iter().all(|l| l.parse::<u8>().is_ok()) {
        out.push(format!(
            "{}.{}.{}.{}",
            labels[3], labels[2], labels[1], labels[0]
        ));
    }
    if let Some(host) = name.strip_prefix("_25._tcp.") {
        out.push(host.to_string());
    }
    out
}

fn tokens(answer: &str) -> Vec<String> {
    answer
        .split(|c: char| c.is_whitespace() || "\",;:=@()[]{}".contains(c))
        .map(|t| t.trim_end_matches('.').to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Data-dependency depth of every query: 1 for a question derived from the
/// domain alone, else 1 + the depth of the deepest earlier answer that names
/// it. The MTA-STS policy host's address depends on the `_mta-sts` TXT.
fn depths(log: &[Query]) -> Vec<(usize, u32)> {
    let mut depth: Vec<u32> = vec![0; log.len()];
    let mut order: Vec<usize> = (0..log.len()).collect();
    order.sort_by_key(|&i| log[i].start);
    for &i in &order {
        let q = &log[i];
        let wanted = needles(&q.name);
        let mut d = 1;
        for &j in &order {
            let p = &log[j];
            if j == i || p.end > q.start {
                continue;
            }
            let named = p
                .answer
                .iter()
                .flat_map(|a| tokens(a))
                .any(|t| wanted.contains(&t));
            let control = q.name.strip_prefix("mta-sts.").is_some_and(|d| {
                p.kind == "TXT" && p.name.eq_ignore_ascii_case(&format!("_mta-sts.{d}"))
            });
            if named || control {
                d = d.max(depth[j] + 1);
            }
        }
        depth[i] = d;
    }
    order.into_iter().map(|i| (i, depth[i])).collect()
}

async fn critical_path(delay: Duration, runs: usize) -> anyhow::Result<()> {
    let dns = TestDns::start_fixtures(FIXTURES).await?;
    dns.set_fault("", Fault::Delay(delay));
    dns.set_authenticated("good.audit.test");
    let ca = TestCa::new()?;
    let leaf = ca.issue(&["mx1.good.audit.test"])?;
    let smtp = FakeSmtp::start(Behaviour::Normal, "mx1.good.audit.test", Some(&leaf)).await?;
    let policy_server = https(
        &ca.issue(&["mta-sts.good.audit.test"])?,
        Some(ok_response(
            "version: STSv1\r\nmode: enforce\r\nmx: mx1.good.audit.test\r\nmax_age: 604800\r\n",
        )),
    )
    .await;
    let policy = Arc::new(ConnectPolicy {
        allow: vec!["192.0.2.0/24".parse()?],
        connect_to: vec![
            format!(
                "mx1.good.audit.test:25:{}:{}",
                smtp.addr.ip(),
                smtp.addr.port()
            )
            .parse()
            .map_err(anyhow::Error::msg)?,
            format!(
                "mta-sts.good.audit.test:443:{}:{}",
                policy_server.addr.ip(),
                policy_server.addr.port()
            )
            .parse()
            .map_err(anyhow::Error::msg)?,
        ],
    });
    let mut config = AuditConfig {
        deadline: Duration::from_secs(30),
        dnsbl_lists: vec!["bl.audit.test".into()],
        policy: policy.clone(),
        ..AuditConfig::default()
    };
    config.probe.extra_trust_anchors = vec![ca.cert_der()];
    config.https.extra_trust_anchors = vec![ca.cert_der()];

    // The SMTP handshake alone (connect, banner, EHLO, STARTTLS, TLS, the
    // injection wait, QUIT): no DNS involved.
    let mut handshakes = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let r = probe_mx(
            &policy,
            "mx1.good.audit.test",
            "192.0.2.10".parse()?,
            &config.probe,
        )
        .await;
        anyhow::ensure!(
            !r.cert_der_chain.is_empty(),
            "the probe reached no TLS: {r:?}"
        );
        handshakes.push(started.elapsed());
    }
    handshakes.sort();
    let handshake = handshakes[handshakes.len() / 2];

    let request = AuditRequest {
        domain: "good.audit.test".into(),
        selectors: vec!["s1".into()],
        // No sending IP: its PTR would warm the memo for the MX IP's PTR and
        // hide that chain.
        sending_ip: None,
        ..AuditRequest::default()
    };
    let mut walls = Vec::new();
    let mut last_log = Vec::new();
    let mut failures = Vec::new();
    let mut check_count = 0;
    for _ in 0..runs {
        let lookup = HickoryLookup::new(&ResolverSettings {
            nameservers: vec![dns.addr],
            timeout: Duration::from_secs(2),
            attempts: 2,
            ..ResolverSettings::default()
        })?;
        let recorder = Recorder {
            inner: AuditLookup::new(lookup),
            log: Mutex::new(Vec::new()),
        };
        let started = Instant::now();
        let report = run_audit(&recorder, &request, &config, "now".into(), |_| {}).await;
        walls.push(started.elapsed());
        check_count = report.checks.len();
        failures = report
            .checks
            .iter()
            .filter(|c| {
                !matches!(
                    c.status,
                    mxlens_shared::report::Status::Pass
                        | mxlens_shared::report::Status::Info
                        | mxlens_shared::report::Status::NotApplicable
                )
            })
            .map(|c| format!("{} {}", c.id, c.status))
            .collect::<Vec<_>>();
        last_log = recorder.log.into_inner().unwrap_or_default();
    }
    walls.sort();
    let wall = walls[walls.len() / 2];

    let depth_of = depths(&last_log);
    let mut by_depth: HashMap<u32, Vec<String>> = HashMap::new();
    for (i, d) in &depth_of {
        by_depth
            .entry(*d)
            .or_default()
            .push(format!("{} {}", last_log[*i].kind, last_log[*i].name));
    }
    let depth = depth_of.iter().map(|(_, d)| *d).max().unwrap_or(0);
    // The probe starts once the MX host's address is known.
    let smtp_depth = depth_of
        .iter()
        .filter(|(i, _)| last_log[*i].kind == "A" && last_log[*i].name == "mx1.good.audit.test")
        .map(|(_, d)| *d)
        .max()
        .unwrap_or(0);
    let mut levels: Vec<_> = by_depth.into_iter().collect();
    levels.sort();
    for (d, names) in &levels {
        println!("depth {d}: {} queries: {}", names.len(), names.join(", "));
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let formula = delay * depth + handshake;
    let tight = (delay * depth).max(delay * smtp_depth + handshake);
    println!("distinct DNS queries: {}", last_log.len());
    println!("dependency depth: {depth} (the SMTP probe starts after depth {smtp_depth})");
    println!("injected DNS delay: {:.0} ms per query", ms(delay));
    println!(
        "SMTP handshake alone (median of {runs}): {:.1} ms",
        ms(handshake)
    );
    println!(
        "audit wall time (median of {runs}): {:.1} ms (runs: {})",
        ms(wall),
        walls
            .iter()
            .map(|w| format!("{:.1}", ms(*w)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("{check_count} checks in the report; not pass/info/n.a.: {failures:?}");
    println!(
        "ratio wall / (depth x delay + handshake) = {:.1} / {:.1} = {:.3}",
        ms(wall),
        ms(formula),
        ms(wall) / ms(formula)
    );
    println!(
        "ratio wall / critical path max(depth x delay, {smtp_depth} x delay + handshake) = {:.1} / {:.1} = {:.3}",
        ms(wall),
        ms(tight),
        ms(wall) / ms(tight)
    );
    Ok(())
}
