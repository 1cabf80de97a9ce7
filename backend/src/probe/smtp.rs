//! The SMTP probe of one MX IP: connect, greeting (RFC 5321 §4.2), EHLO
//! (§4.1.1.1), STARTTLS (RFC 3207) with TLS inspection, EHLO again over
//! TLS (RFC 3207 §4.2), QUIT. No mail is sent.
//!
//! Politeness: one connection per target address at a time, and a global
//! cap on concurrent probes. Safety: the address goes through
//! [`ConnectPolicy::target`] first; a refused address is never connected to.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use lettre::transport::smtp::commands::{Ehlo, Quit, Starttls};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use mxlens_shared::smtp::{Outcome, SmtpProbeResult, StarttlsOutcome};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{OwnedMutexGuard, Semaphore, SemaphorePermit};
use tokio::time::timeout;

use super::elapsed_ms;
use super::tls::{self, RecordingVerifier};
use crate::ssrf::ConnectPolicy;

/// Longest reply line we accept, CRLF included (Postfix's
/// `line_length_limit` is 2048; RFC 5321 §4.5.3.1.5 says 512).
pub const MAX_LINE: usize = 4096;
/// Longest whole reply we accept.
pub const MAX_REPLY: usize = 64 * 1024;
/// Probes in flight at once, process-wide.
pub const MAX_CONCURRENT_PROBES: usize = 64;
/// MX addresses probed per audit (the planner's bound, re-exported here).
pub use mxlens_shared::audit::MAX_PROBE_TARGETS;

/// How to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOptions {
    /// The SMTP port (25).
    pub port: u16,
    /// Timeout of the TCP connect.
    pub connect_timeout: Duration,
    /// Timeout of each later step (greeting, each reply, the TLS handshake).
    pub step_timeout: Duration,
    /// The name we give in EHLO.
    pub ehlo_name: String,
    /// Extra trust anchors (DER), beyond the Mozilla roots; tests pass their CA.
    pub extra_trust_anchors: Vec<Vec<u8>>,
    /// How long to wait, after `220` to STARTTLS, for pipelined bytes that
    /// betray STARTTLS command injection.
    pub injection_wait: Duration,
    /// Bound on the whole dialogue, however the steps add up (a server
    /// trickling each reply just under `step_timeout` cannot hold a probe
    /// longer than this).
    pub overall_timeout: Duration,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            port: 25,
            connect_timeout: Duration::from_secs(5),
            step_timeout: Duration::from_secs(15),
            ehlo_name: "mxlens.invalid".to_string(),
            extra_trust_anchors: Vec::new(),
            injection_wait: Duration::from_millis(100),
            overall_timeout: Duration::from_secs(40),
        }
    }
}

/// One connection per target at a time: a lock per target address.
static IN_FLIGHT: LazyLock<Mutex<HashMap<SocketAddr, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
static GLOBAL: Semaphore = Semaphore::const_new(MAX_CONCURRENT_PROBES);

/// Held while probing one target; releases the per-target lock on drop and
/// forgets the lock when nobody else waits for it.
pub(crate) struct Slot {
    target: SocketAddr,
    guard: Option<OwnedMutexGuard<()>>,
    _permit: Option<SemaphorePermit<'static>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.guard.take();
        let mut map = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
        if map
            .get(&self.target)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            map.remove(&self.target);
        }
    }
}

/// Waits for the right to connect to `target`. Keyed by address and port:
/// in production the port is always 25, so this is one connection per IP.
pub(crate) async fn polite_slot(target: SocketAddr) -> Slot {
    let lock = {
        let mut map = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(target).or_default().clone()
    };
    let guard = lock.lock_owned().await;
    let permit = GLOBAL.acquire().await.ok();
    Slot {
        target,
        guard: Some(guard),
        _permit: permit,
    }
}

/// Probes `host` at `ip`. Never fails: every outcome is in the result.
pub async fn probe_mx(
    policy: &ConnectPolicy,
    host: &str,
    ip: IpAddr,
    opts: &ProbeOptions,
) -> SmtpProbeResult {
    let started = Instant::now();
    let mut result = SmtpProbeResult::new(host, ip, opts.port);
    let target = match policy.target(host, ip, opts.port) {
        Ok(target) => target,
        Err(refused) => {
            result.refused_by_guard = Some(refused.to_string());
            result.error = Some(refused.to_string());
            crate::metrics::smtp_probe("refused_by_guard");
            return result;
        }
    };
    if target != SocketAddr::new(ip, opts.port) {
        result.connected_to = Some(target.to_string());
    }
    let slot = polite_slot(target).await;
    let finished = timeout(opts.overall_timeout, dialogue(&mut result, target, opts)).await;
    drop(slot);
    if finished.is_err() {
        mark_overall_timeout(&mut result, opts.overall_timeout);
    }
    result.timings.total_ms = Some(elapsed_ms(started));
    crate::metrics::smtp_probe(outcome_label(&result));
    result
}

/// Why reading a reply stopped.
#[derive(Debug)]
enum ReadError {
    Timeout,
    /// The peer closed; what it had sent of the reply so far.
    Closed(String),
    TooLong,
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Timeout => f.write_str("timed out waiting for the reply"),
            ReadError::Closed(partial) if partial.is_empty() => {
                f.write_str("the server closed the connection")
            }
            ReadError::Closed(_) => f.write_str("the server closed the connection mid-reply"),
            ReadError::TooLong => write!(
                f,
                "reply longer than the limits ({MAX_LINE} bytes per line, {MAX_REPLY} bytes in all)"
            ),
            ReadError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

/// One reply (RFC 5321 §4.2): its lines as received and its code, when
/// every line had the `ddd[ -]` shape.
#[derive(Debug)]
struct Reply {
    lines: Vec<String>,
    code: Option<u16>,
}

impl Reply {
    fn text(&self) -> String {
        self.lines.join("\r\n")
    }

    /// The code of a well-formed reply. lettre's reply parser classifies
    /// it; a bare `ddd` line, which lettre refuses, falls back to the digits.
    fn classify(lines: Vec<String>, well_formed: bool) -> Reply {
        if !well_formed {
            return Reply { lines, code: None };
        }
        let raw: String = lines.iter().map(|l| format!("{l}\r\n")).collect();
        let code = match raw.parse::<Response>() {
            Ok(response) => Some(u16::from(response.code())),
            Err(_) => lines.first().and_then(|l| l.get(..3)?.parse().ok()),
        };
        Reply { lines, code }
    }

    /// Text after the code and separator, for each line.
    fn bodies(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|l| l.get(4..).unwrap_or(""))
    }
}

/// An SMTP connection with its own read buffer, so that bytes the server
/// sent ahead (pipelined) stay visible.
struct SmtpConn<S> {
    stream: S,
    buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> SmtpConn<S> {
    fn new(stream: S) -> Self {
        SmtpConn {
            stream,
            buf: Vec::new(),
        }
    }

    async fn read_line(&mut self) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                if pos + 1 > MAX_LINE {
                    return Err(ReadError::TooLong);
                }
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.buf.len() >= MAX_LINE {
                return Err(ReadError::TooLong);
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.map_err(ReadError::Io)?;
            if n == 0 {
                let partial = String::from_utf8_lossy(&std::mem::take(&mut self.buf)).into_owned();
                return Err(ReadError::Closed(partial));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    async fn read_reply_unbounded(&mut self) -> Result<Reply, ReadError> {
        let mut lines: Vec<String> = Vec::new();
        let mut total = 0usize;
        loop {
            let line = match self.read_line().await {
                Ok(line) => line,
                Err(ReadError::Closed(partial)) => {
                    let mut seen = lines.join("\r\n");
                    if !partial.is_empty() {
                        if !seen.is_empty() {
                            seen.push_str("\r\n");
                        }
                        seen.push_str(&partial);
                    }
                    return Err(ReadError::Closed(seen));
                }
                Err(e) => return Err(e),
            };
            total += line.len() + 2;
            if total > MAX_REPLY {
                return Err(ReadError::TooLong);
            }
            // reply-line = *( Reply-code "-" [ textstring ] CRLF )
            //              Reply-code [ SP textstring ] CRLF   (RFC 5321 §4.2)
            let coded = line.len() >= 3 && line[..3].iter().all(u8::is_ascii_digit);
            let last = line.len() == 3 || line.get(3) == Some(&b' ');
            let more = line.get(3) == Some(&b'-');
            let same_code = lines
                .first()
                .is_none_or(|first| first.as_bytes().get(..3) == line.get(..3));
            lines.push(String::from_utf8_lossy(&line).into_owned());
            if !coded || !same_code || !(last || more) {
                return Ok(Reply::classify(lines, false));
            }
            if last {
                return Ok(Reply::classify(lines, true));
            }
        }
    }

    /// Reads one whole reply within `limit` (the limit bounds the whole
    /// reply, so a server trickling bytes cannot hold us).
    async fn read_reply(&mut self, limit: Duration) -> Result<Reply, ReadError> {
        timeout(limit, self.read_reply_unbounded())
            .await
            .unwrap_or(Err(ReadError::Timeout))
    }

    async fn send(&mut self, command: &str, limit: Duration) -> Result<(), ReadError> {
        match timeout(limit, async {
            self.stream.write_all(command.as_bytes()).await?;
            self.stream.flush().await
        })
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ReadError::Io(e)),
            Err(_) => Err(ReadError::Timeout),
        }
    }

    /// Sends `command` and reads the reply.
    async fn command(&mut self, command: &str, limit: Duration) -> Result<Reply, ReadError> {
        self.send(command, limit).await?;
        self.read_reply(limit).await
    }

    /// Best-effort QUIT (RFC 5321 §4.1.1.10), bounded by `limit`.
    async fn quit(&mut self, limit: Duration) {
        let _ = self.command(&Quit.to_string(), limit).await;
        let _ = timeout(limit, self.stream.shutdown()).await;
    }
}

/// Marks the step that was running when the overall timeout hit.
fn mark_overall_timeout(result: &mut SmtpProbeResult, limit: Duration) {
    result.error = Some(format!(
        "the probe did not finish within {} ms",
        limit.as_millis()
    ));
    if result.connect == Outcome::NotAttempted {
        result.connect = Outcome::Timeout;
    } else if result.connect != Outcome::Ok {
        // The connect step already ended the probe.
    } else if result.banner_outcome == Outcome::NotAttempted {
        result.banner_outcome = Outcome::Timeout;
    } else if result.banner_outcome == Outcome::Ok && result.ehlo == Outcome::NotAttempted {
        result.ehlo = Outcome::Timeout;
    } else if result.ehlo == Outcome::Ok && result.starttls_offered && result.starttls.is_none() {
        result.starttls = Some(StarttlsOutcome::Timeout {
            step: "starttls or handshake".into(),
        });
    }
}

/// The `outcome` label of `mxlens_smtp_probes_total`: where the probe ended.
fn outcome_label(r: &SmtpProbeResult) -> &'static str {
    if r.connect == Outcome::Timeout
        || r.banner_outcome == Outcome::Timeout
        || r.ehlo == Outcome::Timeout
    {
        return "timeout";
    }
    if r.connect != Outcome::Ok {
        return "connect_failed";
    }
    if r.banner_outcome != Outcome::Ok {
        return "banner_failed";
    }
    if r.ehlo != Outcome::Ok {
        return "ehlo_failed";
    }
    match &r.starttls {
        _ if !r.starttls_offered => "no_starttls",
        Some(StarttlsOutcome::Negotiated) => "tls_ok",
        Some(StarttlsOutcome::Timeout { .. }) => "timeout",
        _ => "starttls_failed",
    }
}

fn outcome_of_read_error(e: &ReadError) -> Outcome {
    match e {
        ReadError::Timeout => Outcome::Timeout,
        _ => Outcome::Failed,
    }
}

/// The EHLO keywords that matter for us: the first word of each extension line.
fn offers_starttls(extensions: &[String]) -> bool {
    extensions.iter().any(|e| {
        e.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
    })
}

async fn dialogue(result: &mut SmtpProbeResult, target: SocketAddr, opts: &ProbeOptions) {
    let step = opts.step_timeout;
    // Connect.
    let t = Instant::now();
    let tcp = match timeout(opts.connect_timeout, TcpStream::connect(target)).await {
        Err(_) => {
            result.connect = Outcome::Timeout;
            result.error = Some(format!(
                "connect timed out after {} ms",
                opts.connect_timeout.as_millis()
            ));
            return;
        }
        Ok(Err(e)) => {
            result.connect = if e.kind() == io::ErrorKind::ConnectionRefused {
                Outcome::Refused
            } else {
                Outcome::Failed
            };
            result.error = Some(format!("connect: {e}"));
            return;
        }
        Ok(Ok(stream)) => stream,
    };
    let _ = tcp.set_nodelay(true);
    result.connect = Outcome::Ok;
    result.timings.connect_ms = Some(elapsed_ms(t));
    let mut conn = SmtpConn::new(tcp);

    // Greeting.
    let t = Instant::now();
    match conn.read_reply(step).await {
        Ok(reply) => {
            result.timings.banner_ms = Some(elapsed_ms(t));
            result.banner = Some(reply.text());
            result.banner_code = reply.code;
            match reply.code {
                Some(220) => result.banner_outcome = Outcome::Ok,
                Some(code) => {
                    result.banner_outcome = Outcome::Rejected;
                    result.error = Some(format!("greeting with code {code}"));
                    // RFC 5321 §3.1: after a 554 greeting the client should QUIT.
                    conn.quit(step.min(Duration::from_secs(2))).await;
                    return;
                }
                None => {
                    result.banner_outcome = Outcome::Failed;
                    result.error = Some("the greeting is not an SMTP reply".into());
                    return;
                }
            }
        }
        Err(e) => {
            result.banner_outcome = outcome_of_read_error(&e);
            if let ReadError::Closed(partial) = &e {
                if !partial.is_empty() {
                    result.banner = Some(partial.clone());
                }
            }
            result.error = Some(format!("greeting: {e}"));
            return;
        }
    }

    // EHLO.
    let ehlo = Ehlo::new(ClientId::Domain(opts.ehlo_name.clone())).to_string();
    let t = Instant::now();
    match conn.command(&ehlo, step).await {
        Ok(reply) => {
            result.timings.ehlo_ms = Some(elapsed_ms(t));
            result.ehlo_code = reply.code;
            if reply.code == Some(250) {
                result.ehlo = Outcome::Ok;
                result.ehlo_extensions = reply.bodies().skip(1).map(str::to_string).collect();
                result.starttls_offered = offers_starttls(&result.ehlo_extensions);
            } else {
                result.ehlo = if reply.code.is_some() {
                    Outcome::Rejected
                } else {
                    Outcome::Failed
                };
                result.error = Some(format!("EHLO: {}", reply.text()));
                conn.quit(step.min(Duration::from_secs(2))).await;
                return;
            }
        }
        Err(e) => {
            result.ehlo = outcome_of_read_error(&e);
            result.error = Some(format!("EHLO: {e}"));
            return;
        }
    }
    if !result.starttls_offered {
        conn.quit(step.min(Duration::from_secs(2))).await;
        return;
    }

    // STARTTLS (RFC 3207 §4).
    let t = Instant::now();
    match conn.command(&Starttls.to_string(), step).await {
        Ok(reply) if reply.code == Some(220) => {
            result.timings.starttls_ms = Some(elapsed_ms(t));
        }
        Ok(reply) if reply.code.is_none() => {
            // Not an SMTP reply at all: the dialogue broke, nothing was
            // refused (an error, not a verdict on the server's TLS).
            result.starttls = Some(StarttlsOutcome::Failed {
                reason: format!(
                    "the reply to STARTTLS is not an SMTP reply: {}",
                    reply.text().chars().take(200).collect::<String>()
                ),
            });
            return;
        }
        Ok(reply) => {
            result.timings.starttls_ms = Some(elapsed_ms(t));
            result.starttls = Some(StarttlsOutcome::Rejected {
                code: reply.code.unwrap_or(0),
                reply: reply.text(),
            });
            conn.quit(step.min(Duration::from_secs(2))).await;
            return;
        }
        Err(ReadError::Timeout) => {
            result.starttls = Some(StarttlsOutcome::Timeout {
                step: "starttls".into(),
            });
            return;
        }
        Err(e) => {
            result.starttls = Some(StarttlsOutcome::Failed {
                reason: e.to_string(),
            });
            return;
        }
    }
    // Anything the server sent after its 220 and before our ClientHello is
    // injected plaintext (RFC 3207 §6): already buffered, or arriving now.
    let SmtpConn {
        stream: mut tcp,
        buf,
    } = conn;
    let mut injected = !buf.is_empty();
    if !injected && !opts.injection_wait.is_zero() {
        let mut probe = [0u8; 512];
        if let Ok(Ok(n)) = timeout(opts.injection_wait, tcp.read(&mut probe)).await {
            injected = n > 0;
        }
    }
    result.starttls_injection = injected;

    // The TLS handshake, recording the chain.
    let verifier = Arc::new(RecordingVerifier::new(tls::root_store(
        &opts.extra_trust_anchors,
    )));
    let connector = match tls::recording_connector(verifier.clone()) {
        Ok(c) => c,
        Err(e) => {
            result.starttls = Some(StarttlsOutcome::Failed {
                reason: format!("TLS client configuration: {e}"),
            });
            return;
        }
    };
    let name = tls::server_name(&result.host, result.ip);
    let t = Instant::now();
    let handshake = timeout(step, connector.connect(name, tcp)).await;
    let recorded = verifier.recorded();
    let now = tls::now_unix();
    result.cert_chain = recorded
        .der_chain
        .iter()
        .filter_map(|der| tls::summarize_cert(der, now))
        .collect();
    result.cert_der_chain = recorded.der_chain;
    result.webpki_verdict = recorded.verdict;
    result.name_matches = recorded.name_matches;
    let tls_stream = match handshake {
        Err(_) => {
            result.starttls = Some(StarttlsOutcome::Timeout {
                step: "handshake".into(),
            });
            return;
        }
        Ok(Err(e)) => {
            let reason = tls::describe_handshake_error(&e);
            result.error = Some(format!("TLS handshake: {reason}"));
            result.starttls = Some(StarttlsOutcome::HandshakeFailed { reason });
            return;
        }
        Ok(Ok(stream)) => stream,
    };
    result.timings.tls_handshake_ms = Some(elapsed_ms(t));
    result.starttls = Some(StarttlsOutcome::Negotiated);
    {
        let (_, session) = tls_stream.get_ref();
        result.tls_version = session.protocol_version().map(tls::version_name);
        result.cipher = session
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()));
    }

    // EHLO again over TLS (RFC 3207 §4.2: forget what was learned before).
    let mut conn = SmtpConn::new(tls_stream);
    let t = Instant::now();
    match conn.command(&ehlo, step).await {
        Ok(reply) if reply.code == Some(250) => {
            result.timings.ehlo_tls_ms = Some(elapsed_ms(t));
            result.ehlo_tls_extensions = reply.bodies().skip(1).map(str::to_string).collect();
        }
        Ok(reply) => {
            result.error = Some(format!("EHLO over TLS: {}", reply.text()));
        }
        Err(e) => {
            result.error = Some(format!("EHLO over TLS: {e}"));
            return;
        }
    }
    conn.quit(step.min(Duration::from_secs(2))).await;
}

#[cfg(test)]
#[path = "smtp_tests.rs"]
mod tests;
