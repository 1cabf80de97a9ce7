//! Benchmark of the SMTP receiver (issue #16), run by bench/receiver.sh.
//!
//! In one process: the test DNS server (the sender's SPF, DKIM keys and
//! DMARC), `mxlens serve` with the receiver and STARTTLS (a test CA), and
//! the load. It prints
//!
//! 1. throughput: MESSAGES messages of about 50 KB, each on a new
//!    connection with STARTTLS (lettre, verifying the test CA), from
//!    CONCURRENCY senders in a closed loop: messages/s accepted (250 after
//!    DATA) and reports/s stored;
//! 2. the time from the 250 after DATA to the `report` event of the
//!    address (p50, p99, max): the report is built after the reply;
//! 3. the trip of one event: RCPT sent -> `connected` read on the
//!    address's event stream (p50, p99, max of 30, one at a time);
//! 4. memory under SLOW clients that each hold a connection in DATA and
//!    dribble a line a second: the process's RSS before and at the peak,
//!    and how long a fresh client waits for its greeting meanwhile.
//!
//! With `--postgres 1` the store is a private PostgreSQL with two
//! instances on it: addresses are made and their events read on a second
//! instance, so (2) includes the trip through the store (LISTEN/NOTIFY).
//!
//! Usage: receiver_bench [--messages N] [--concurrency C] [--slow S] [--postgres 1]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use lettre::address::Envelope;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mxlens_tests::dns::TestDns;
use mxlens_tests::pki::TestCa;
use mxlens_tests::receiver::{
    events, new_address, sender_zone, start_receiver, tls_files, RawSmtp,
};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// The signed corpus message with its body grown to about 50 KB (the
/// signature then fails its body hash, but every step still runs).
fn message_50k() -> Vec<u8> {
    let signed = std::fs::read(mxlens_tests::fixtures_dir().join("dkim/relaxed-2048.eml")).unwrap();
    let mut out = signed;
    let line =
        b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n";
    while out.len() < 50 * 1024 {
        out.extend_from_slice(line);
    }
    out
}

/// `GET /api/test-addresses/{id}/events` on `server`, read up to its
/// `waiting` event (HTTP/1.0: the body is the bare stream).
async fn open_events(
    server: &mxlens_tests::server::TestServer,
    id: &str,
) -> anyhow::Result<BufReader<TcpStream>> {
    let mut stream = TcpStream::connect(server.addr).await?;
    let request = format!(
        "GET /api/test-addresses/{id}/events HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut reader = BufReader::new(stream);
    wait_event(&mut reader, "waiting").await?;
    Ok(reader)
}

/// Reads the stream up to the event `name`.
async fn wait_event(reader: &mut BufReader<TcpStream>, name: &str) -> anyhow::Result<()> {
    let want = format!("event: {name}");
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            anyhow::bail!("the event stream ended before {name}");
        }
        if line.trim_end() == want {
            return Ok(());
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let messages = arg("--messages", 300);
    let concurrency = arg("--concurrency", 8);
    let slow = arg("--slow", 200);
    let zone = sender_zone("ip4:127.0.0.1", "");
    let dns = TestDns::start(&[("dkim.test", &zone)]).await?;
    let ca = TestCa::new()?;
    let (_dir, cert, key) = tls_files(&ca, "mx.test.example");
    let cap = (slow + concurrency + 50).to_string();
    let postgres = match arg("--postgres", 0) {
        0 => None,
        _ => Some(mxlens_tests::postgres::TestPostgres::start().await?),
    };
    let url = postgres.as_ref().map(|pg| pg.url());
    let flags = [
        "--smtp-tls-cert",
        cert.to_str().unwrap(),
        "--smtp-tls-key",
        key.to_str().unwrap(),
        "--smtp-max-connections",
        &cap,
        "--smtp-max-connections-per-ip",
        &cap,
        "--rate-limit-per-minute",
        "0",
        "--reports-per-client-per-day",
        "0",
        "--dnsbl",
        "",
        "--dnsbl-domain",
        "",
        "--dnswl",
        "",
    ];
    let receiver = start_receiver(&dns, url.as_deref(), &flags).await?;
    let smtp = receiver.smtp_addr.unwrap();
    // The instance that makes addresses and streams their events.
    let server = Arc::new(match &url {
        Some(url) => start_receiver(&dns, Some(url), &flags).await?,
        None => receiver,
    });
    if url.is_some() {
        println!("PostgreSQL: addresses and events on a second instance");
    }
    let body = Arc::new(message_50k());
    println!(
        "receiver bench: {messages} messages of {} bytes, STARTTLS, {concurrency} senders",
        body.len()
    );

    let mut addresses = Vec::new();
    for _ in 0..messages {
        addresses.push(new_address(&server).await);
    }
    let addresses = Arc::new(addresses);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (addresses, next, server, body) = (
            addresses.clone(),
            next.clone(),
            server.clone(),
            body.clone(),
        );
        let ca_pem = ca.cert_pem();
        workers.push(tokio::spawn(async move {
            let tls = TlsParameters::builder("mx.test.example".into())
                .add_root_certificate(Certificate::from_pem(ca_pem.as_bytes()).unwrap())
                .build_rustls()
                .unwrap();
            let transport =
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.ip().to_string())
                    .port(smtp.port())
                    .hello_name(ClientId::Domain("mail.dkim.test".into()))
                    .tls(Tls::Required(tls))
                    .build();
            let mut waits = Vec::new();
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((address, id, _)) = addresses.get(i) else {
                    break;
                };
                let envelope = Envelope::new(
                    Some("bounce@dkim.test".parse().unwrap()),
                    vec![address.parse().unwrap()],
                )
                .unwrap();
                match transport.send_raw(&envelope, &body).await {
                    Ok(_) => {
                        let accepted = Instant::now();
                        let (server, id) = (server.clone(), id.clone());
                        waits.push(tokio::spawn(async move {
                            let seen = events(&server, &id).await;
                            let ok = seen.last().is_some_and(|(n, _)| n == "report");
                            (accepted.elapsed(), ok, Instant::now())
                        }));
                    }
                    Err(e) => {
                        errors += 1;
                        eprintln!("send failed: {e}");
                    }
                }
            }
            (Instant::now(), waits, errors)
        }));
    }
    let mut last_accept = started;
    let mut last_report = started;
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut failed_reports = 0;
    for worker in workers {
        let (done, waits, e) = worker.await?;
        last_accept = last_accept.max(done);
        errors += e;
        for wait in waits {
            let (latency, ok, at) = wait.await?;
            last_report = last_report.max(at);
            latencies.push(latency);
            if !ok {
                failed_reports += 1;
            }
        }
    }
    latencies.sort();
    let accepted = latencies.len();
    let secs = (last_accept - started).as_secs_f64();
    println!(
        "throughput: {accepted} accepted in {secs:.2} s = {:.1} messages/s; all reports stored after {:.2} s = {:.1} reports/s; send errors {errors}, failed reports {failed_reports}",
        accepted as f64 / secs,
        (last_report - started).as_secs_f64(),
        accepted as f64 / (last_report - started).as_secs_f64()
    );
    println!(
        "end of DATA -> report event: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );

    // One event's trip: RCPT sent to the receiver -> `connected` read on
    // the stream of the instance that made the address (with PostgreSQL,
    // through the store and NOTIFY).
    let mut trips = Vec::new();
    for _ in 0..30 {
        let (address, id, _) = new_address(&server).await;
        let mut stream = open_events(&server, &id).await?;
        let (mut c, _) = RawSmtp::connect(smtp).await?;
        c.expect("EHLO trip.test", "250").await;
        c.expect("MAIL FROM:<a@trip.test>", "250").await;
        let sent = Instant::now();
        c.expect(&format!("RCPT TO:<{address}>"), "250").await;
        wait_event(&mut stream, "connected").await?;
        trips.push(sent.elapsed());
        c.expect("QUIT", "221").await;
    }
    trips.sort();
    println!(
        "RCPT -> `connected` on the address's event stream: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (30 addresses, one at a time)",
        percentile(&trips, 0.50).as_secs_f64() * 1000.0,
        percentile(&trips, 0.99).as_secs_f64() * 1000.0,
        trips.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );

    // Slow clients: each in DATA, a line a second.
    let before = rss_kib();
    let mut slow_addresses = Vec::new();
    for _ in 0..slow {
        slow_addresses.push(new_address(&server).await.0);
    }
    let mut holders = Vec::new();
    for address in slow_addresses {
        holders.push(tokio::spawn(async move {
            let (mut c, greeting) = RawSmtp::connect(smtp).await.ok()?;
            if !greeting.starts_with("220") {
                return None;
            }
            c.expect("EHLO slow.test", "250").await;
            c.expect("MAIL FROM:<a@slow.test>", "250").await;
            c.expect(&format!("RCPT TO:<{address}>"), "250").await;
            c.expect("DATA", "354").await;
            for _ in 0..15 {
                c.send(&[b'x'; 998]).await.ok()?;
                c.send(b"\r\n").await.ok()?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Some(())
        }));
    }
    let mut peak = before;
    let mut greeting_waits = Vec::new();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        peak = peak.max(rss_kib());
        let t = Instant::now();
        let (_, greeting) = RawSmtp::connect(smtp).await?;
        assert!(greeting.starts_with("220"), "{greeting}");
        greeting_waits.push(t.elapsed());
    }
    greeting_waits.sort();
    let held = holders.len();
    for h in holders {
        let _ = h.await;
    }
    println!(
        "{held} slow clients in DATA: RSS {} MiB before, {} MiB at peak (+{:.1} KiB per client; server and load in one process); a fresh client's greeting meanwhile: max {:.1} ms",
        before / 1024,
        peak / 1024,
        (peak.saturating_sub(before)) as f64 / held.max(1) as f64,
        greeting_waits.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
    Ok(())
}
