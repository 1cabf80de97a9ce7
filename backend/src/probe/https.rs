//! The MTA-STS policy fetch (RFC 8461 §3.3): `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
//!
//! The policy host's addresses come through the [`DnsLookup`] trait, each
//! is judged by the connection guard, and the connection goes to exactly
//! that address (no second resolution). TLS checks the certificate for the
//! policy host name (SNI set); redirects are not followed (RFC 8461 §3.3:
//! "HTTP 3xx redirects MUST NOT be followed"); the body is capped at 64 KiB
//! and the whole fetch has a timeout. HTTP/1.1 is written by hand: one GET
//! with `Connection: close`.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use mxlens_shared::dns::DnsLookup;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::elapsed_ms;
use super::tls;
use crate::ssrf::ConnectPolicy;

/// Largest policy body accepted (RFC 8461 §3.3 has no limit; 64 KiB is
/// far above any real policy).
pub const MAX_POLICY_BODY: usize = 64 * 1024;
/// Largest response head accepted.
pub const MAX_RESPONSE_HEAD: usize = 16 * 1024;
/// The well-known path (RFC 8461 §3.3).
pub const MTA_STS_PATH: &str = "/.well-known/mta-sts.txt";

/// How to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsOptions {
    /// The HTTPS port (443; tests redirect with `--connect-to` instead).
    pub port: u16,
    /// Timeout of each TCP connect.
    pub connect_timeout: Duration,
    /// Timeout of the whole fetch after DNS (connect, TLS, request, body).
    pub timeout: Duration,
    /// Extra trust anchors (DER); tests pass their CA.
    pub extra_trust_anchors: Vec<Vec<u8>>,
    /// Largest body accepted (64 KiB for MTA-STS; a BIMI logo fetch may set less).
    pub max_body: usize,
}

impl Default for HttpsOptions {
    fn default() -> Self {
        HttpsOptions {
            port: 443,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            extra_trust_anchors: Vec::new(),
            max_body: MAX_POLICY_BODY,
        }
    }
}

/// A fetched policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedPolicy {
    /// The URL fetched.
    pub url: String,
    /// The address it came from.
    pub ip: IpAddr,
    /// The `Content-Type` header, if any (RFC 8461 §3.2 wants text/plain).
    pub content_type: Option<String>,
    /// The body (lossy UTF-8), to give to the MTA-STS policy parser.
    pub body: String,
    /// How long the fetch took, in ms.
    pub ms: u32,
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The policy host has no address: no policy can be fetched.
    #[error("{host} has no A or AAAA record")]
    NoAddress {
        /// The policy host.
        host: String,
    },
    /// DNS failed (timeout, SERVFAIL): we could not look.
    #[error("resolving {host} failed: {detail}")]
    Dns {
        /// The policy host.
        host: String,
        /// The DNS outcome.
        detail: String,
    },
    /// Every address was refused by the connection guard; nothing was connected to.
    #[error("{0}")]
    Refused(String),
    /// No connection could be made.
    #[error("could not connect: {0}")]
    Connect(String),
    /// The fetch did not finish in time.
    #[error("timed out after {0} ms")]
    Timeout(u32),
    /// The TLS handshake or the certificate check failed.
    #[error("TLS failed: {0}")]
    Tls(String),
    /// A 3xx answer; RFC 8461 §3.3 forbids following it.
    #[error(
        "HTTP {status} redirect to {location} (redirects must not be followed, RFC 8461 §3.3)"
    )]
    Redirect {
        /// The status code.
        status: u16,
        /// The Location header, or empty.
        location: String,
    },
    /// A non-200 answer.
    #[error("HTTP status {0}")]
    Status(u16),
    /// The body exceeds [`HttpsOptions::max_body`] (the limit, in bytes).
    #[error("the body is larger than {0} bytes")]
    TooLarge(u32),
    /// The answer is not valid HTTP/1.1.
    #[error("malformed HTTP response: {0}")]
    Malformed(String),
}

impl FetchError {
    /// True when we could not look (report `not_tested` / `error`, never
    /// pass or fail): DNS failure, guard refusal, connect failure, timeout.
    pub fn is_inconclusive(&self) -> bool {
        matches!(
            self,
            FetchError::Dns { .. }
                | FetchError::Refused(_)
                | FetchError::Connect(_)
                | FetchError::Timeout(_)
        )
    }
}

/// What a policy fetch gave, for `shared`'s MTA-STS linter, which makes
/// `mta-sts.policy` from it: the body; `Failed` for what the domain got
/// wrong (no policy host, TLS, redirect, status, size, garbage; RFC 8461
/// §3.3: `fail`); `NotChecked` for what kept us from looking (guard,
/// connect, timeout: `not_tested`); `DnsFailure` for a failed address
/// lookup (`error`).
pub fn policy_fetch(outcome: PolicyFetchOutcome) -> mxlens_shared::mta_sts::lint::PolicyFetch {
    use mxlens_shared::mta_sts::lint::PolicyFetch;
    match outcome {
        Ok(fetched) => PolicyFetch::Body(fetched.body),
        Err(e @ FetchError::Dns { .. }) => PolicyFetch::DnsFailure(e.to_string()),
        Err(e) if e.is_inconclusive() => PolicyFetch::NotChecked(e.to_string()),
        Err(e) => PolicyFetch::Failed(e.to_string()),
    }
}

/// The result of [`fetch_mta_sts_policy`].
pub type PolicyFetchOutcome = Result<FetchedPolicy, FetchError>;

/// Fetches the MTA-STS policy of `domain` (RFC 8461 §3.3).
pub async fn fetch_mta_sts_policy<L: DnsLookup>(
    policy: &ConnectPolicy,
    lookup: &L,
    domain: &str,
    opts: &HttpsOptions,
) -> PolicyFetchOutcome {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let host = format!("mta-sts.{domain}");
    fetch_https_host(policy, lookup, &host, MTA_STS_PATH, opts).await
}

/// GETs `https://host{path}`: resolves `host` (A and AAAA, concurrently)
/// through `lookup`, then [`fetch_https`]. For the MTA-STS policy and the
/// BIMI logo and certificate.
pub async fn fetch_https_host<L: DnsLookup>(
    policy: &ConnectPolicy,
    lookup: &L,
    host: &str,
    path: &str,
    opts: &HttpsOptions,
) -> PolicyFetchOutcome {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let (v4, v6) = futures::join!(lookup.a(&host), lookup.aaaa(&host));
    let addresses: Vec<IpAddr> = v4
        .records()
        .iter()
        .map(|a| IpAddr::V4(*a))
        .chain(v6.records().iter().map(|a| IpAddr::V6(*a)))
        .collect();
    if addresses.is_empty() {
        return Err(if v4.is_failure() || v6.is_failure() {
            FetchError::Dns {
                host,
                detail: format!("A {}, AAAA {}", v4.describe(), v6.describe()),
            }
        } else {
            FetchError::NoAddress { host }
        });
    }
    fetch_https(policy, &host, &addresses, path, opts).await
}

/// GETs `https://host{path}` from the first of `addresses` that the guard
/// allows and that accepts a connection. No redirects, capped body.
pub async fn fetch_https(
    policy: &ConnectPolicy,
    host: &str,
    addresses: &[IpAddr],
    path: &str,
    opts: &HttpsOptions,
) -> PolicyFetchOutcome {
    let started = Instant::now();
    let url = format!("https://{host}{path}");
    let limit_ms = u32::try_from(opts.timeout.as_millis()).unwrap_or(u32::MAX);
    let mut refusals = Vec::new();
    let mut connect_errors = Vec::new();
    let work = async {
        let mut chosen = None;
        for &ip in addresses {
            let target = match policy.target(host, ip, opts.port) {
                Ok(t) => t,
                Err(refused) => {
                    refusals.push(refused.to_string());
                    continue;
                }
            };
            match timeout(opts.connect_timeout, TcpStream::connect(target)).await {
                Ok(Ok(stream)) => {
                    chosen = Some((ip, target, stream));
                    break;
                }
                Ok(Err(e)) => connect_errors.push(format!("{target}: {e}")),
                Err(_) => connect_errors.push(format!("{target}: connect timed out")),
            }
        }
        let Some((ip, _target, stream)) = chosen else {
            return Err(if connect_errors.is_empty() {
                FetchError::Refused(refusals.join("; "))
            } else {
                FetchError::Connect(connect_errors.join("; "))
            });
        };
        get(stream, host, ip, path, opts)
            .await
            .map(|(content_type, body)| (ip, content_type, body))
    };
    let (ip, content_type, body) = match timeout(opts.timeout, work).await {
        Ok(result) => result?,
        Err(_) => return Err(FetchError::Timeout(limit_ms)),
    };
    Ok(FetchedPolicy {
        url,
        ip,
        content_type,
        body,
        ms: elapsed_ms(started),
    })
}

async fn get(
    stream: TcpStream,
    host: &str,
    ip: IpAddr,
    path: &str,
    opts: &HttpsOptions,
) -> Result<(Option<String>, String), FetchError> {
    let connector = tls::verifying_connector(tls::root_store(&opts.extra_trust_anchors))
        .map_err(|e| FetchError::Tls(e.to_string()))?;
    let mut tls_stream = connector
        .connect(tls::server_name(host, ip), stream)
        .await
        .map_err(|e| FetchError::Tls(e.to_string()))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: mxlens/{}\r\nAccept: text/plain\r\nConnection: close\r\n\r\n",
        mxlens_shared::VERSION
    );
    tls_stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| FetchError::Connect(format!("sending the request: {e}")))?;
    let _ = tls_stream.flush().await;

    // Read the head, then the body, never more than the caps.
    let mut data = Vec::new();
    let max = opts.max_body;
    let too_large = FetchError::TooLarge(u32::try_from(max).unwrap_or(u32::MAX));
    // Chunk framing adds bytes; bound the raw chunked body generously.
    let cap = MAX_RESPONSE_HEAD + 4 * max + 1;
    let mut chunk = [0u8; 8192];
    let head_len = loop {
        if let Some(pos) = find(&data, b"\r\n\r\n") {
            break pos + 4;
        }
        if data.len() > MAX_RESPONSE_HEAD {
            return Err(FetchError::Malformed("response head too large".into()));
        }
        let n = read_some(&mut tls_stream, &mut chunk).await?;
        if n == 0 {
            return Err(FetchError::Malformed(
                "connection closed before the end of the response head".into(),
            ));
        }
        data.extend_from_slice(&chunk[..n]);
    };
    let head = Head::parse(&data[..head_len])?;
    if (300..400).contains(&head.status) {
        return Err(FetchError::Redirect {
            status: head.status,
            location: head.header("location").unwrap_or_default().to_string(),
        });
    }
    if head.status != 200 {
        return Err(FetchError::Status(head.status));
    }
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length: Option<usize> = if chunked {
        None
    } else {
        match head.header("content-length") {
            Some(v) => Some(
                v.trim()
                    .parse()
                    .map_err(|_| FetchError::Malformed(format!("bad Content-Length {v:?}")))?,
            ),
            None => None,
        }
    };
    if length.is_some_and(|l| l > max) {
        return Err(too_large);
    }
    let mut body = data.split_off(head_len);
    let mut dechunker = Dechunker::default();
    loop {
        if chunked && dechunker.feed(&body, max)? {
            break;
        }
        if let Some(l) = length {
            if body.len() >= l {
                body.truncate(l);
                break;
            }
        }
        if !chunked && body.len() > max {
            return Err(too_large);
        }
        if chunked && body.len() > cap {
            return Err(too_large);
        }
        let n = read_some(&mut tls_stream, &mut chunk).await?;
        if n == 0 {
            if let Some(l) = length {
                return Err(FetchError::Malformed(format!(
                    "body ended after {} of {l} bytes",
                    body.len()
                )));
            }
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    if chunked {
        if !dechunker.feed(&body, max)? {
            return Err(FetchError::Malformed("truncated chunked body".into()));
        }
        body = dechunker.out;
    }
    if body.len() > max {
        return Err(too_large);
    }
    Ok((
        head.header("content-type").map(str::to_string),
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

async fn read_some<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    chunk: &mut [u8],
) -> Result<usize, FetchError> {
    match stream.read(chunk).await {
        Ok(n) => Ok(n),
        // Servers often close TLS without close_notify after `Connection: close`.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
        Err(e) => Err(FetchError::Malformed(format!("reading the response: {e}"))),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Longest chunk-size line (size plus extensions) read.
const MAX_CHUNK_LINE: usize = 1024;

/// Incremental chunked decoding (RFC 9112 §7.1): each call decodes only the
/// whole chunks that arrived since the last one, so a body of many tiny
/// chunks costs linear time (#19 L1: the body was decoded again from its
/// start after every read).
#[derive(Debug, Default)]
struct Dechunker {
    /// Offset in the raw body of the next chunk-size line.
    pos: usize,
    /// The data decoded so far.
    out: Vec<u8>,
    /// True once the last chunk was seen.
    complete: bool,
}

impl Dechunker {
    /// Decodes what `raw` (the whole raw body so far) adds; true once the
    /// last chunk was seen.
    fn feed(&mut self, raw: &[u8], max: usize) -> Result<bool, FetchError> {
        while !self.complete {
            let rest = raw.get(self.pos..).unwrap_or_default();
            let line = &rest[..rest.len().min(MAX_CHUNK_LINE + 2)];
            let Some(eol) = find(line, b"\r\n") else {
                if rest.len() > MAX_CHUNK_LINE {
                    return Err(FetchError::Malformed("chunk-size line too long".into()));
                }
                return Ok(false);
            };
            let size_text = String::from_utf8_lossy(&rest[..eol]);
            let size_text = size_text.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| FetchError::Malformed(format!("bad chunk size {size_text:?}")))?;
            if size > max || self.out.len() + size > max {
                return Err(FetchError::TooLarge(u32::try_from(max).unwrap_or(u32::MAX)));
            }
            let data = &rest[eol + 2..];
            if size == 0 {
                self.complete = true;
                break;
            }
            if data.len() < size + 2 {
                return Ok(false);
            }
            self.out.extend_from_slice(&data[..size]);
            self.pos += eol + 2 + size + 2;
        }
        Ok(true)
    }
}

/// Decodes a whole chunked body; the data and whether the last chunk was
/// seen.
#[cfg(test)]
fn dechunk(raw: &[u8], max: usize) -> Result<(Vec<u8>, bool), FetchError> {
    let mut d = Dechunker::default();
    let complete = d.feed(raw, max)?;
    Ok((d.out, complete))
}

/// A parsed status line and headers.
#[derive(Debug)]
struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Head {
    fn parse(raw: &[u8]) -> Result<Head, FetchError> {
        let text = String::from_utf8_lossy(raw);
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4)
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or("");
        if !version.starts_with("HTTP/1.") {
            return Err(FetchError::Malformed(format!(
                "status line {status_line:?}"
            )));
        }
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .filter(|s| (100..1000).contains(s))
            .ok_or_else(|| FetchError::Malformed(format!("status line {status_line:?}")))?;
        let headers = lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Ok(Head { status, headers })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// #19 L1: 40,000 one-byte chunks arriving 6 bytes at a time decode in
    /// linear time (decoding from the start after each read was quadratic:
    /// 5.9 s of CPU for one paced fetch).
    #[test]
    fn many_tiny_chunks_decode_incrementally() {
        let raw = b"1\r\nx\r\n".repeat(40_000);
        let mut body = Vec::new();
        let mut d = Dechunker::default();
        let started = std::time::Instant::now();
        for piece in raw.chunks(6) {
            body.extend_from_slice(piece);
            assert!(!d.feed(&body, 64 * 1024).unwrap());
        }
        body.extend_from_slice(b"0\r\n\r\n");
        assert!(d.feed(&body, 64 * 1024).unwrap());
        assert_eq!(d.out.len(), 40_000);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // A chunk-size line without end is refused, not rescanned forever.
        let mut d = Dechunker::default();
        assert!(d.feed(&vec![b'1'; 2_000], 100).is_err());
    }

    #[test]
    fn chunked_bodies() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n", 100).unwrap(),
            (b"hello world".to_vec(), true)
        );
        assert_eq!(dechunk(b"5\r\nhel", 100).unwrap(), (Vec::new(), false));
        assert!(dechunk(b"zz\r\n", 100).is_err());
        assert!(matches!(
            dechunk(b"fffff\r\n", 100),
            Err(FetchError::TooLarge(100))
        ));
    }

    #[test]
    fn failed_fetches_give_the_policy_check_its_status() {
        use mxlens_shared::report::Status;
        let cases = [
            (FetchError::Timeout(10), Status::NotTested),
            (FetchError::Refused("loopback".into()), Status::NotTested),
            (FetchError::Connect("refused".into()), Status::NotTested),
            (
                FetchError::Dns {
                    host: "h".into(),
                    detail: "SERVFAIL".into(),
                },
                Status::Error,
            ),
            (FetchError::NoAddress { host: "h".into() }, Status::Fail),
            (
                FetchError::Redirect {
                    status: 301,
                    location: String::new(),
                },
                Status::Fail,
            ),
            (FetchError::TooLarge(1), Status::Fail),
            (FetchError::Tls("UnknownIssuer".into()), Status::Fail),
        ];
        for (err, status) in cases {
            let inconclusive = err.is_inconclusive();
            let text = err.to_string();
            let fetch = policy_fetch(Err(err));
            let (check, policy) = mxlens_shared::mta_sts::lint::lint_sts_policy(&fetch);
            assert_eq!(check.id, "mta-sts.policy");
            assert_eq!(check.status, status, "{text}");
            assert!(check.detail.ends_with(&text), "{}", check.detail);
            assert!(policy.is_none());
            assert_eq!(inconclusive, status != Status::Fail, "{text}");
        }
    }

    #[test]
    fn heads() {
        let h = Head::parse(b"HTTP/1.1 301 Moved\r\nLocation: https://x/\r\n\r\n").unwrap();
        assert_eq!(h.status, 301);
        assert_eq!(h.header("location"), Some("https://x/"));
        assert!(Head::parse(b"SSH-2.0\r\n\r\n").is_err());
    }
}
