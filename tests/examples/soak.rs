//! Load and soak driver for `mxlens serve` (run by bench/soak.sh).
//!
//! Starts a test DNS server in-process (the audit.test fixture zones, every
//! answer 50 ms late), starts the given `mxlens` binary on loopback against
//! it, stores a few reports, then runs N concurrent clients for the given
//! duration, each on its own keep-alive connection, looping over a mix:
//! header analysis (`POST /api/analyze`), report fetches
//! (`GET /api/reports/{id}`) and audits (`POST /api/audits`, then polling
//! `GET /api/audits/{id}` until the report is there). It samples the
//! server's RSS every second and prints errors, p50/p99 per endpoint and
//! the RSS over time.
//!
//! Usage: soak MXLENS_BIN [--duration SECS] [--clients N] [--audit-percent P]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mxlens_tests::dns::{Fault, TestDns};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const MESSAGE: &str = "Received: from mail.good.audit.test (mail.good.audit.test [192.0.2.10])\r\n\tby mx.example.test with ESMTPS id abc; Mon, 5 Jan 2026 10:00:00 +0000\r\nAuthentication-Results: mx.example.test; spf=pass smtp.mailfrom=good.audit.test; dkim=pass header.d=good.audit.test; dmarc=pass header.from=good.audit.test\r\nFrom: Sender <news@good.audit.test>\r\nTo: someone@example.test\r\nSubject: Load test\r\nDate: Mon, 5 Jan 2026 10:00:00 +0000\r\nMessage-ID: <load@good.audit.test>\r\nList-Unsubscribe: <mailto:unsub@good.audit.test>\r\n\r\nHello.\r\n";

/// A keep-alive HTTP/1.1 connection.
struct Conn {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: &str,
    ) -> Result<(u16, String), String> {
        for attempt in 0..2 {
            if self.stream.is_none() {
                let tcp = TcpStream::connect(&self.addr)
                    .await
                    .map_err(|e| format!("connect: {e}"))?;
                let _ = tcp.set_nodelay(true);
                self.stream = Some(BufReader::new(tcp));
            }
            match self.exchange(method, path, body).await {
                Ok(r) => return Ok(r),
                // The server may close an idle keep-alive connection: retry
                // once on a fresh one.
                Err(e) if attempt == 0 && e.starts_with("closed") => self.stream = None,
                Err(e) => {
                    self.stream = None;
                    return Err(e);
                }
            }
        }
        Err("unreachable".into())
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        body: &str,
    ) -> Result<(u16, String), String> {
        let stream = self.stream.as_mut().ok_or("no stream")?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("closed: write {e}"))?;
        let mut line = String::new();
        let n = stream
            .read_line(&mut line)
            .await
            .map_err(|e| format!("closed: read {e}"))?;
        if n == 0 {
            return Err("closed: eof".into());
        }
        let status: u16 = line
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {line:?}"))?;
        let mut length = 0usize;
        let mut chunked = false;
        let mut close = false;
        loop {
            line.clear();
            stream
                .read_line(&mut line)
                .await
                .map_err(|e| format!("read head: {e}"))?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let lower = l.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            } else if lower.starts_with("connection:") && lower.contains("close") {
                close = true;
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                stream
                    .read_line(&mut line)
                    .await
                    .map_err(|e| e.to_string())?;
                let size = usize::from_str_radix(line.trim(), 16).map_err(|e| e.to_string())?;
                let mut chunk = vec![0u8; size + 2];
                stream
                    .read_exact(&mut chunk)
                    .await
                    .map_err(|e| e.to_string())?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            body.resize(length, 0);
            stream
                .read_exact(&mut body)
                .await
                .map_err(|e| e.to_string())?;
        }
        if close {
            self.stream = None;
        }
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

#[derive(Default)]
struct Stats {
    latencies: Mutex<BTreeMap<&'static str, Vec<Duration>>>,
    errors: Mutex<BTreeMap<String, u64>>,
    busy: AtomicU64,
}

impl Stats {
    fn record(&self, endpoint: &'static str, took: Duration) {
        self.latencies
            .lock()
            .unwrap()
            .entry(endpoint)
            .or_default()
            .push(took);
    }
    fn error(&self, what: String) {
        *self.errors.lock().unwrap().entry(what).or_default() += 1;
    }
}

fn id_of(body: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()?
        .get("id")?
        .as_str()
        .map(str::to_string)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let bin = args.get(1).cloned().ok_or_else(|| {
        anyhow::anyhow!(
            "usage: soak MXLENS_BIN [--duration SECS] [--clients N] [--audit-percent P]"
        )
    })?;
    let duration = Duration::from_secs(arg(&args, "--duration", 600));
    let clients = arg(&args, "--clients", 1000) as usize;
    let audit_percent = arg(&args, "--audit-percent", 2);

    let dns =
        TestDns::start_fixtures(&["audit.test", "2.0.192.in-addr.arpa", "elsewhere.test"]).await?;
    dns.set_fault("", Fault::Delay(Duration::from_millis(50)));
    let data = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = std::process::Command::new(&bin)
        .args([
            "serve",
            "--listen",
            &addr,
            "--database-url",
            &format!("sqlite://{}/soak.db", data.path().display()),
            "--nameserver",
            &dns.addr.to_string(),
            "--dnsbl",
            "bl.audit.test",
            "--rate-limit-per-minute",
            "0",
            "--max-concurrent-audits",
            "256",
            // Sized for the load, as an operator would: each client has one
            // request in flight, so analyses wait for a CPU instead of being
            // shed (`--cpu-queue`'s 503 busy is tested in overload.rs).
            "--cpu-queue",
            &clients.to_string(),
            "--audit-deadline-secs",
            "10",
            // Every simulated client connects from 127.0.0.1, so the
            // per-client caps (#19 M4 and H2) would make them one client:
            // off here, as the rate limit is. They are tested in
            // security_http.rs and security_store.rs.
            "--audits-per-client",
            "0",
            "--reports-per-client-per-day",
            "0",
        ])
        .env("MXLENS_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()?;
    let pid = server.id();
    let started = Instant::now();
    loop {
        if TcpStream::connect(&addr).await.is_ok() {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = server.kill();
            anyhow::bail!("mxlens did not listen on {addr}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rss_start = rss_kib(pid).unwrap_or(0);

    // Stored reports to fetch.
    let mut setup = Conn {
        addr: addr.clone(),
        stream: None,
    };
    let mut report_ids = Vec::new();
    let analyze_body = serde_json::json!({ "message": MESSAGE }).to_string();
    for _ in 0..20 {
        let (status, body) = setup
            .request("POST", "/api/reports", &analyze_body)
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        anyhow::ensure!(status == 201, "storing a report: {status} {body}");
        report_ids.push(id_of(&body).unwrap_or_default());
    }
    let report_ids = Arc::new(report_ids);

    println!(
        "soak: {clients} clients for {} s against {addr} (mxlens pid {pid}); DNS {} with 50 ms latency; mix ~{}% audits, the rest header analysis and report fetches",
        duration.as_secs(),
        dns.addr,
        audit_percent
    );
    let stats = Arc::new(Stats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (stats, stop, requests, report_ids, addr, body) = (
            stats.clone(),
            stop.clone(),
            requests.clone(),
            report_ids.clone(),
            addr.clone(),
            analyze_body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn { addr, stream: None };
            let mut n: u64 = client as u64 * 7919;
            while !stop.load(Ordering::Relaxed) {
                n = n
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let pick = (n >> 33) % 100;
                let t = Instant::now();
                if pick < audit_percent {
                    let r = conn
                        .request(
                            "POST",
                            "/api/audits",
                            r#"{"domain": "good.audit.test", "selectors": ["s1"]}"#,
                        )
                        .await;
                    requests.fetch_add(1, Ordering::Relaxed);
                    match r {
                        Ok((201, body)) => {
                            stats.record("POST /api/audits", t.elapsed());
                            let id = id_of(&body).unwrap_or_default();
                            let audit_started = Instant::now();
                            loop {
                                tokio::time::sleep(Duration::from_millis(100)).await;
                                let t = Instant::now();
                                let r = conn.request("GET", &format!("/api/audits/{id}"), "").await;
                                requests.fetch_add(1, Ordering::Relaxed);
                                match r {
                                    Ok((200, _)) => {
                                        stats.record("GET /api/audits/{id}", t.elapsed());
                                        stats.record(
                                            "audit (start to report)",
                                            audit_started.elapsed(),
                                        );
                                        break;
                                    }
                                    Ok((202, _)) => {
                                        stats.record("GET /api/audits/{id}", t.elapsed())
                                    }
                                    Ok((s, b)) => {
                                        stats.error(format!(
                                            "GET /api/audits/{{id}}: {s} {}",
                                            b.chars().take(80).collect::<String>()
                                        ));
                                        break;
                                    }
                                    Err(e) => {
                                        stats.error(format!("GET /api/audits/{{id}}: {e}"));
                                        break;
                                    }
                                }
                                if stop.load(Ordering::Relaxed)
                                    && audit_started.elapsed() > Duration::from_secs(15)
                                {
                                    break;
                                }
                            }
                        }
                        Ok((503, _)) => {
                            stats.busy.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok((s, b)) => stats.error(format!(
                            "POST /api/audits: {s} {}",
                            b.chars().take(80).collect::<String>()
                        )),
                        Err(e) => stats.error(format!("POST /api/audits: {e}")),
                    }
                } else if pick < 60 {
                    let r = conn.request("POST", "/api/analyze", &body).await;
                    requests.fetch_add(1, Ordering::Relaxed);
                    match r {
                        Ok((200, _)) => stats.record("POST /api/analyze", t.elapsed()),
                        // Shed load (`--cpu-queue`), by design; any other
                        // 503 (a timeout) is an error.
                        Ok((503, b)) if b.contains("\"busy\"") => {
                            stats.busy.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok((s, b)) => stats.error(format!(
                            "POST /api/analyze: {s} {}",
                            b.chars().take(80).collect::<String>()
                        )),
                        Err(e) => stats.error(format!("POST /api/analyze: {e}")),
                    }
                } else {
                    let id = &report_ids[(n >> 40) as usize % report_ids.len()];
                    let r = conn.request("GET", &format!("/api/reports/{id}"), "").await;
                    requests.fetch_add(1, Ordering::Relaxed);
                    match r {
                        Ok((200, _)) => stats.record("GET /api/reports/{id}", t.elapsed()),
                        Ok((s, b)) => stats.error(format!(
                            "GET /api/reports/{{id}}: {s} {}",
                            b.chars().take(80).collect::<String>()
                        )),
                        Err(e) => stats.error(format!("GET /api/reports/{{id}}: {e}")),
                    }
                }
            }
        }));
    }

    // Sample RSS every second.
    let mut samples: Vec<(u64, u64)> = Vec::new();
    let run_started = Instant::now();
    while run_started.elapsed() < duration {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let secs = run_started.elapsed().as_secs();
        if let Some(rss) = rss_kib(pid) {
            samples.push((secs, rss));
        }
        if secs.is_multiple_of(10) {
            println!(
                "  t={secs:>4}s requests={} rss={} MiB",
                requests.load(Ordering::Relaxed),
                samples.last().map(|s| s.1 / 1024).unwrap_or(0)
            );
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
    }
    let elapsed = run_started.elapsed();
    let _ = server.kill();
    let _ = server.wait();

    let total = requests.load(Ordering::Relaxed);
    println!(
        "\nrequests: {total} in {:.1} s ({:.0}/s)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    let errors = stats.errors.lock().unwrap();
    let error_count: u64 = errors.values().sum();
    println!("errors: {error_count}");
    for (what, n) in errors.iter() {
        println!("  {n:>8}  {what}");
    }
    println!(
        "refused busy (503, by design at --max-concurrent-audits and --cpu-queue): {}",
        stats.busy.load(Ordering::Relaxed)
    );
    println!(
        "\n{:<28} {:>9} {:>10} {:>10} {:>10}",
        "endpoint", "count", "p50 ms", "p99 ms", "max ms"
    );
    for (endpoint, lat) in stats.latencies.lock().unwrap().iter_mut() {
        lat.sort();
        let q =
            |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
        println!(
            "{endpoint:<28} {:>9} {:>10.1} {:>10.1} {:>10.1}",
            lat.len(),
            q(0.5),
            q(0.99),
            q(1.0)
        );
    }
    let peak = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let tenth = samples.len() / 10;
    let avg = |s: &[(u64, u64)]| {
        if s.is_empty() {
            0
        } else {
            s.iter().map(|x| x.1).sum::<u64>() / s.len() as u64
        }
    };
    println!(
        "\nRSS: start {} MiB, peak {} MiB; mean of the first 10% {} MiB, of the last 10% {} MiB",
        rss_start / 1024,
        peak / 1024,
        avg(&samples[..tenth.max(1).min(samples.len())]) / 1024,
        avg(&samples[samples.len().saturating_sub(tenth.max(1))..]) / 1024
    );
    let line: Vec<String> = samples
        .iter()
        .filter(|(s, _)| s.is_multiple_of(10))
        .map(|(s, r)| format!("{s}s:{}", r / 1024))
        .collect();
    println!("RSS every 10 s (MiB): {}", line.join(" "));
    if error_count > 0 {
        std::process::exit(1);
    }
    Ok(())
}
