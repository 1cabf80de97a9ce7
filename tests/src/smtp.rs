//! SMTP peers on loopback: a fault-injecting tokio server ([`FakeSmtp`]) and
//! a real Postfix with STARTTLS ([`Postfix`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

use crate::pki::Leaf;

/// How the fake server misbehaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// A well-behaved ESMTP server with STARTTLS.
    Normal,
    /// Waits before the banner.
    SlowBanner(Duration),
    /// Greets with 421 and closes.
    Greeting421,
    /// Sends bytes that are not SMTP, then closes.
    Garbage,
    /// Accepts and never speaks.
    Silence,
    /// Answers STARTTLS with 220, then closes instead of the TLS handshake.
    TlsAbort,
    /// Answers STARTTLS with 220 plus an extra pipelined line before TLS
    /// (the STARTTLS command-injection symptom).
    StarttlsInjection,
    /// No STARTTLS in the EHLO reply.
    NoStarttls,
    /// Answers EHLO with 502 (an SMTP server without ESMTP).
    EhloRejected,
}

/// A running fake SMTP server.
#[derive(Debug)]
pub struct FakeSmtp {
    /// Where it listens.
    pub addr: SocketAddr,
    connections: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn tls_acceptor(leaf: &Leaf) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    let certs =
        rustls_pemfile::certs(&mut leaf.chain_pem.as_bytes()).collect::<Result<Vec<_>, _>>()?;
    let key =
        rustls_pemfile::private_key(&mut leaf.key_pem.as_bytes())?.context("no key in PEM")?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    hostname: &str,
    offer_starttls: bool,
    reject_ehlo: bool,
) -> std::io::Result<Option<S>> {
    // Returns the stream back when the client asked for STARTTLS.
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let verb = line.trim_end().to_ascii_uppercase();
        let reply = if verb.starts_with("EHLO") && reject_ehlo {
            "502 5.5.2 Command not recognized\r\n".to_string()
        } else if verb.starts_with("EHLO") {
            let mut r = format!(
                "250-{hostname} at your service\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
            );
            if offer_starttls {
                r.push_str("250-STARTTLS\r\n");
            }
            r.push_str("250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n");
            r
        } else if verb.starts_with("HELO") {
            format!("250 {hostname}\r\n")
        } else if verb == "STARTTLS" && offer_starttls {
            reader
                .get_mut()
                .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                .await?;
            return Ok(Some(reader.into_inner()));
        } else if verb == "QUIT" {
            reader.get_mut().write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(None);
        } else if verb.starts_with("MAIL")
            || verb.starts_with("RCPT")
            || verb == "RSET"
            || verb == "NOOP"
        {
            "250 2.0.0 Ok\r\n".to_string()
        } else {
            "502 5.5.2 Command not recognized\r\n".to_string()
        };
        reader.get_mut().write_all(reply.as_bytes()).await?;
    }
}

async fn serve_one(
    mut stream: TcpStream,
    behaviour: Behaviour,
    hostname: String,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> std::io::Result<()> {
    let banner = format!("220 {hostname} ESMTP fake\r\n");
    match &behaviour {
        Behaviour::Silence => {
            tokio::time::sleep(Duration::from_secs(120)).await;
            return Ok(());
        }
        Behaviour::Greeting421 => {
            stream
                .write_all(
                    format!("421 4.3.2 {hostname} Service not available, closing channel\r\n")
                        .as_bytes(),
                )
                .await?;
            return Ok(());
        }
        Behaviour::Garbage => {
            stream
                .write_all(b"\x00\xffHTTP/1.1 400 Bad Request\r\n\r\n\x1b[31mgarbage")
                .await?;
            return Ok(());
        }
        Behaviour::SlowBanner(d) => tokio::time::sleep(*d).await,
        _ => {}
    }
    stream.write_all(banner.as_bytes()).await?;
    let offer = behaviour != Behaviour::NoStarttls;
    let Some(mut stream) = dialogue(
        stream,
        &hostname,
        offer,
        behaviour == Behaviour::EhloRejected,
    )
    .await?
    else {
        return Ok(());
    };
    match behaviour {
        Behaviour::TlsAbort => return Ok(()),
        Behaviour::StarttlsInjection => {
            stream.write_all(b"250 2.0.0 injected\r\n").await?;
        }
        _ => {}
    }
    let Some(acceptor) = tls else { return Ok(()) };
    let tls_stream = acceptor.accept(stream).await?;
    let _ = dialogue(tls_stream, &hostname, false, false).await?;
    Ok(())
}

impl FakeSmtp {
    /// Starts a fake server on 127.0.0.1 with `behaviour`, greeting as
    /// `hostname`, presenting `leaf` after STARTTLS.
    pub async fn start(
        behaviour: Behaviour,
        hostname: &str,
        leaf: Option<&Leaf>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let tls = leaf.map(tls_acceptor).transpose()?;
        let connections = Arc::new(AtomicU64::new(0));
        let counter = connections.clone();
        let hostname = hostname.to_string();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::Relaxed);
                let behaviour = behaviour.clone();
                let hostname = hostname.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let _ = serve_one(stream, behaviour, hostname, tls).await;
                });
            }
        });
        Ok(FakeSmtp {
            addr,
            connections,
            task,
        })
    }

    /// Connections accepted so far.
    pub fn connection_count(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

/// A private Postfix instance on a loopback port, with STARTTLS using a
/// leaf from the test CA. Needs root and the Debian `postfix` package
/// (scripts/setup.sh --test installs it). Stopped on drop.
#[derive(Debug)]
pub struct Postfix {
    /// Where its smtpd listens.
    pub addr: SocketAddr,
    config_dir: PathBuf,
    _dir: tempfile::TempDir,
}

fn postfix_cmd(config_dir: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
    let out = Command::new("/usr/sbin/postfix")
        .arg("-c")
        .arg(config_dir)
        .args(args)
        .output()
        .context("running /usr/sbin/postfix (install it with scripts/setup.sh --test)")?;
    Ok(out)
}

impl Postfix {
    /// True when Postfix is installed.
    pub fn available() -> bool {
        Path::new("/usr/sbin/postfix").exists() && Path::new("/usr/sbin/postconf").exists()
    }

    /// Starts Postfix for `myhostname` on a free loopback port.
    pub async fn start(myhostname: &str, leaf: &Leaf) -> anyhow::Result<Self> {
        if !Self::available() {
            bail!("postfix is not installed: run scripts/setup.sh --test");
        }
        let dir = tempfile::Builder::new()
            .prefix("mxlens-postfix")
            .tempdir()?;
        let root = dir.path();
        let config_dir = root.join("etc");
        let queue_dir = root.join("spool");
        let data_dir = root.join("lib");
        for d in [&config_dir, &queue_dir, &data_dir] {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(config_dir.join("cert.pem"), &leaf.chain_pem)?;
        std::fs::write(config_dir.join("key.pem"), &leaf.key_pem)?;
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        let master = format!(
            "127.0.0.1:{port} inet n - n - - smtpd\n\
             pickup    unix  n       -       n       60      1       pickup\n\
             cleanup   unix  n       -       n       -       0       cleanup\n\
             qmgr      unix  n       -       n       300     1       qmgr\n\
             tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n\
             rewrite   unix  -       -       n       -       -       trivial-rewrite\n\
             bounce    unix  -       -       n       -       0       bounce\n\
             defer     unix  -       -       n       -       0       bounce\n\
             trace     unix  -       -       n       -       0       bounce\n\
             verify    unix  -       -       n       -       1       verify\n\
             flush     unix  n       -       n       1000?   0       flush\n\
             proxymap  unix  -       -       n       -       -       proxymap\n\
             smtp      unix  -       -       n       -       -       smtp\n\
             relay     unix  -       -       n       -       -       smtp\n\
             showq     unix  n       -       n       -       -       showq\n\
             error     unix  -       -       n       -       -       error\n\
             retry     unix  -       -       n       -       -       error\n\
             discard   unix  -       -       n       -       -       discard\n\
             local     unix  -       n       n       -       -       local\n\
             virtual   unix  -       n       n       -       -       virtual\n\
             lmtp      unix  -       -       n       -       -       lmtp\n\
             anvil     unix  -       -       n       -       1       anvil\n\
             postlog   unix-dgram n  -       n       -       1       postlogd\n\
             scache    unix  -       -       n       -       1       scache\n"
        );
        std::fs::write(config_dir.join("master.cf"), master)?;
        let c = config_dir.display();
        let main = format!(
            "compatibility_level = 3.6\n\
             queue_directory = {q}\n\
             data_directory = {d}\n\
             command_directory = /usr/sbin\n\
             daemon_directory = /usr/lib/postfix/sbin\n\
             mail_owner = postfix\n\
             setgid_group = postdrop\n\
             myhostname = {myhostname}\n\
             mydestination = {myhostname}\n\
             inet_interfaces = loopback-only\n\
             inet_protocols = ipv4\n\
             mynetworks = 127.0.0.0/8\n\
             smtpd_banner = $myhostname ESMTP Postfix (mxlens test)\n\
             smtpd_tls_cert_file = {c}/cert.pem\n\
             smtpd_tls_key_file = {c}/key.pem\n\
             smtpd_tls_security_level = may\n\
             smtpd_tls_mandatory_protocols = >=TLSv1.2\n\
             smtpd_tls_protocols = >=TLSv1.2\n\
             maillog_file = {d}/maillog\n\
             maillog_file_prefixes = {d}\n\
             alias_maps =\n\
             alias_database =\n\
             local_recipient_maps =\n\
             biff = no\n\
             smtputf8_enable = no\n",
            q = queue_dir.display(),
            d = data_dir.display(),
        );
        std::fs::write(config_dir.join("main.cf"), main)?;
        // Postfix wants its queue and data directories owned by mail_owner.
        let _ = Command::new("chown")
            .args(["-R", "postfix:postfix"])
            .arg(&data_dir)
            .status();
        let check = postfix_cmd(&config_dir, &["check"])?;
        if !check.status.success() {
            bail!(
                "postfix check failed: {}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
        let out = postfix_cmd(&config_dir, &["start"])?;
        if !out.status.success() {
            bail!(
                "postfix start failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let postfix = Postfix {
            addr,
            config_dir,
            _dir: dir,
        };
        // Wait for the banner.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Ok(stream)) =
                tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(addr)).await
            {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                if let Ok(Ok(n)) =
                    tokio::time::timeout(Duration::from_secs(2), reader.read_line(&mut line)).await
                {
                    if n > 0 && line.starts_with("220") {
                        return Ok(postfix);
                    }
                }
            }
            if tokio::time::Instant::now() > deadline {
                bail!("postfix did not greet on {addr} within 15 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = postfix_cmd(&self.config_dir, &["stop"]);
    }
}
