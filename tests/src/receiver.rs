//! Helpers for the SMTP receiver's tests (issue #16): a raw SMTP client
//! that sees every reply line as the server wrote it, and the test-address
//! API round trips.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::dns::TestDns;
use crate::http::{http, request};
use crate::server::TestServer;

/// The domain the receiver tests' addresses live at.
pub const TEST_DOMAIN: &str = "test.example";

/// The zone of the signed corpus's sender (dkim.test: its DKIM keys) with
/// an SPF record allowing `spf` (for example `ip4:127.0.0.1`), DMARC
/// `p=reject`, and the `extra` records.
pub fn sender_zone(spf: &str, extra: &str) -> String {
    let fixture = std::fs::read_to_string(crate::fixtures_dir().join("zones/dkim.test.zone"))
        .expect("the dkim.test zone");
    format!(
        "{fixture}\n@ IN TXT \"v=spf1 {spf} -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n{extra}\n"
    )
}

/// Starts `mxlens serve` with its SMTP receiver on a loopback port for
/// [`TEST_DOMAIN`], asking `dns`, on the store at `database_url` (`None`:
/// a fresh SQLite file), with the `extra` flags.
pub async fn start_receiver(
    dns: &TestDns,
    database_url: Option<&str>,
    extra: &[&str],
) -> anyhow::Result<TestServer> {
    let ns = dns.addr.to_string();
    let mut args = vec![
        "--nameserver",
        &ns,
        "--smtp-listen",
        "127.0.0.1:0",
        "--test-domain",
        TEST_DOMAIN,
    ];
    args.extend_from_slice(extra);
    TestServer::start_on(database_url, &args).await
}

/// A raw SMTP client on a loopback socket.
#[derive(Debug)]
pub struct RawSmtp {
    reader: BufReader<TcpStream>,
}

/// Each read waits at most this long.
pub const READ_TIMEOUT: Duration = Duration::from_secs(20);

impl RawSmtp {
    /// Connects and returns the client with the greeting (or refusal) read.
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<(Self, String)> {
        let stream = TcpStream::connect(addr).await?;
        let mut client = RawSmtp {
            reader: BufReader::new(stream),
        };
        let greeting = client.reply().await?;
        Ok((client, greeting))
    }

    /// Connects, writes `preface` (a PROXY protocol header) before
    /// anything is read, and returns the client with the greeting (or
    /// refusal, or `""` when the server closed) read.
    pub async fn connect_with_preface(
        addr: SocketAddr,
        preface: &[u8],
    ) -> anyhow::Result<(Self, String)> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(preface).await?;
        let mut client = RawSmtp {
            reader: BufReader::new(stream),
        };
        let greeting = client.reply().await?;
        Ok((client, greeting))
    }

    /// Reads one reply, all its lines joined with `\n`; an empty string
    /// when the server closed the connection.
    pub async fn reply(&mut self) -> anyhow::Result<String> {
        let mut out = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(READ_TIMEOUT, self.reader.read_line(&mut line)).await??;
            if n == 0 {
                return Ok(out);
            }
            let done = line.as_bytes().get(3) != Some(&b'-');
            out.push_str(line.trim_end());
            if done {
                return Ok(out);
            }
            out.push('\n');
        }
    }

    /// Writes raw bytes.
    pub async fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.reader.get_mut().write_all(bytes).await?;
        Ok(())
    }

    /// Sends one command line and reads its reply.
    pub async fn command(&mut self, line: &str) -> anyhow::Result<String> {
        self.send(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    /// Sends one command line and asserts its reply starts with `prefix`
    /// (a code, or code and enhanced code); returns the reply.
    pub async fn expect(&mut self, line: &str, prefix: &str) -> String {
        let reply = self.command(line).await.unwrap();
        assert!(
            reply.starts_with(prefix),
            "{line:?} got {reply:?}, wanted {prefix}"
        );
        reply
    }

    /// The stream, for a TLS upgrade.
    pub fn into_inner(self) -> TcpStream {
        self.reader.into_inner()
    }
}

/// A certificate for `name` from `ca`, written to PEM files in a fresh
/// directory: (directory, chain file, key file).
pub fn tls_files(
    ca: &crate::pki::TestCa,
    name: &str,
) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let leaf = ca.issue(&[name]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &leaf.chain_pem).unwrap();
    std::fs::write(&key, &leaf.key_pem).unwrap();
    (dir, cert, key)
}

/// `POST /api/test-addresses`: (address, id, delete_token).
pub async fn new_address(server: &TestServer) -> (String, String, String) {
    let (status, body) = http(
        "POST",
        &format!("{}/api/test-addresses", server.url),
        Some(""),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    (
        json["address"].as_str().unwrap().to_string(),
        json["id"].as_str().unwrap().to_string(),
        json["delete_token"].as_str().unwrap().to_string(),
    )
}

/// The events of address `id` until its stream ends (report, failure or
/// expiry), as (name, data) pairs.
pub async fn events(server: &TestServer, id: &str) -> Vec<(String, Value)> {
    let reply = tokio::time::timeout(
        Duration::from_secs(60),
        request(
            "GET",
            &format!("{}/api/test-addresses/{id}/events", server.url),
            None,
            &[],
        ),
    )
    .await
    .expect("the event stream ends after the report");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut out = Vec::new();
    let mut name = String::new();
    for line in reply.body.lines() {
        if let Some(n) = line.strip_prefix("event: ") {
            name = n.to_string();
        } else if let Some(data) = line.strip_prefix("data: ") {
            out.push((
                name.clone(),
                serde_json::from_str(data).unwrap_or(Value::Null),
            ));
        }
    }
    out
}

/// The stored report `id` (`GET /api/reports/{id}`).
pub async fn stored_report(server: &TestServer, id: &str) -> Value {
    let (status, body) = http("GET", &format!("{}/api/reports/{id}", server.url), None).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}
