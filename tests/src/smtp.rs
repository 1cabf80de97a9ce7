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
    /// Sends the banner one byte at a time, `Duration` apart.
    TrickleBanner(Duration),
    /// Sends `220 ` and then bytes without end, never a CRLF.
    EndlessLine,
    /// Answers EHLO with a multi-line reply of about this many bytes.
    HugeEhlo(usize),
    /// Answers STARTTLS with bytes that are not an SMTP reply.
    StarttlsGarbage,
    /// Answers STARTTLS with 220, reads the ClientHello and never answers it.
    TlsStall,
    /// Sends the banner, then resets the connection (RST, not FIN).
    ResetAfterBanner,
    /// Answers 421 and closes at this step.
    Reply421At(Step),
    /// Answers MAIL FROM with `421 4.3.2` and closes the connection (a
    /// server shutting down mid-dialogue, RFC 5321 §3.8).
    Close421AfterMail,
    /// Accepts MAIL FROM, then never answers RCPT TO.
    SilentAfterMail,
    /// Answers EHLO with 502 (an SMTP server without ESMTP).
    EhloRejected,
}

/// A step of the dialogue, for [`Behaviour::Reply421At`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The reply to the first EHLO.
    Ehlo,
    /// The reply to STARTTLS.
    Starttls,
    /// The reply to EHLO over TLS.
    EhloTls,
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
    behaviour: &Behaviour,
    over_tls: bool,
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
        let fault_421 = |step: Step| *behaviour == Behaviour::Reply421At(step);
        if (verb.starts_with("EHLO")
            && fault_421(if over_tls { Step::EhloTls } else { Step::Ehlo }))
            || (verb == "STARTTLS" && fault_421(Step::Starttls))
        {
            reader
                .get_mut()
                .write_all(format!("421 4.3.2 {hostname} closing channel\r\n").as_bytes())
                .await?;
            return Ok(None);
        }
        if let (Behaviour::HugeEhlo(size), true) = (behaviour, verb.starts_with("EHLO")) {
            // Many well-formed continuation lines: only a total cap stops it.
            let line = format!("250-{}\r\n", "X".repeat(70));
            let mut sent = 0;
            while sent < *size {
                reader.get_mut().write_all(line.as_bytes()).await?;
                sent += line.len();
            }
            reader.get_mut().write_all(b"250 END\r\n").await?;
            continue;
        }
        if verb == "STARTTLS" && *behaviour == Behaviour::StarttlsGarbage {
            reader
                .get_mut()
                .write_all(b"\x16\x03\x01garbage \xff\xfe not smtp\r\n")
                .await?;
            continue;
        }
        let reply = if verb.starts_with("EHLO") && *behaviour == Behaviour::EhloRejected {
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
        } else if verb.starts_with("MAIL") && *behaviour == Behaviour::Close421AfterMail {
            reader
                .get_mut()
                .write_all(
                    format!("421 4.3.2 {hostname} Service shutting down, closing channel\r\n")
                        .as_bytes(),
                )
                .await?;
            return Ok(None);
        } else if verb.starts_with("RCPT") && *behaviour == Behaviour::SilentAfterMail {
            tokio::time::sleep(Duration::from_secs(120)).await;
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
        Behaviour::TrickleBanner(gap) => {
            for byte in banner.as_bytes() {
                stream.write_all(&[*byte]).await?;
                tokio::time::sleep(*gap).await;
            }
        }
        Behaviour::EndlessLine => {
            stream.write_all(b"220 ").await?;
            let chunk = [b'A'; 16 * 1024];
            // Until the client gives up (or 100 MB).
            for _ in 0..6400 {
                stream.write_all(&chunk).await?;
            }
            return Ok(());
        }
        Behaviour::ResetAfterBanner => {
            stream.write_all(banner.as_bytes()).await?;
            tokio::time::sleep(Duration::from_millis(50)).await;
            // SO_LINGER 0: close sends RST.
            stream.set_zero_linger()?;
            drop(stream);
            return Ok(());
        }
        _ => {}
    }
    if !matches!(behaviour, Behaviour::TrickleBanner(_)) {
        stream.write_all(banner.as_bytes()).await?;
    }
    let offer = behaviour != Behaviour::NoStarttls;
    let Some(mut stream) = dialogue(stream, &hostname, offer, &behaviour, false).await? else {
        return Ok(());
    };
    match behaviour {
        Behaviour::TlsAbort => return Ok(()),
        Behaviour::TlsStall => {
            let mut hello = [0u8; 4096];
            let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut hello).await;
            tokio::time::sleep(Duration::from_secs(120)).await;
            return Ok(());
        }
        Behaviour::StarttlsInjection => {
            stream.write_all(b"250 2.0.0 injected\r\n").await?;
        }
        _ => {}
    }
    let Some(acceptor) = tls else { return Ok(()) };
    let tls_stream = acceptor.accept(stream).await?;
    let _ = dialogue(tls_stream, &hostname, false, &behaviour, true).await?;
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

/// Zones for the mailbox probe: three domains whose MX is the Postfix of
/// [`PostfixOptions::mailboxes`] (shop.test with a known and an unknown user,
/// catchall.test, grey.test behind the greylisting policy server).
pub const MAILBOX_ZONES: &[(&str, &str)] = &[
    (
        "shop.test",
        "$ORIGIN shop.test.\n$TTL 300\n\
         @ IN SOA ns1.shop.test. hostmaster.shop.test. ( 1 3600 600 86400 300 )\n\
         @ IN NS ns1.shop.test.\n\
         ns1 IN A 192.0.2.53\n\
         @ IN MX 10 mx1.shop.test.\n\
         mx1 IN A 192.0.2.10\n",
    ),
    (
        "catchall.test",
        "$ORIGIN catchall.test.\n$TTL 300\n\
         @ IN SOA ns1.shop.test. hostmaster.shop.test. ( 1 3600 600 86400 300 )\n\
         @ IN NS ns1.shop.test.\n\
         @ IN MX 10 mx1.shop.test.\n",
    ),
    (
        "grey.test",
        "$ORIGIN grey.test.\n$TTL 300\n\
         @ IN SOA ns1.shop.test. hostmaster.shop.test. ( 1 3600 600 86400 300 )\n\
         @ IN NS ns1.shop.test.\n\
         @ IN MX 10 mx1.shop.test.\n",
    ),
];

/// Extra configuration for [`Postfix::start_with`].
#[derive(Debug, Clone, Default)]
pub struct PostfixOptions {
    /// Lines appended to `main.cf` (later settings override earlier ones).
    pub extra_main: String,
    /// Files written to the config directory: (name, contents).
    pub files: Vec<(String, String)>,
}

impl PostfixOptions {
    /// The mailbox-probe setup: virtual mailbox domains `shop.test` (one
    /// user, `alice`; anyone else is `550 5.1.1 User unknown`),
    /// `catchall.test` (accepts every local part) and `grey.test` (user
    /// `alice`, behind the greylisting `policy`, which defers the first
    /// attempt with `451 4.7.1`).
    pub fn mailboxes(policy: SocketAddr) -> Self {
        PostfixOptions {
            extra_main: format!(
                "virtual_mailbox_domains = shop.test, catchall.test, grey.test\n\
                 virtual_mailbox_maps = texthash:$CONFIG_DIR/vmailbox\n\
                 smtpd_recipient_restrictions = check_policy_service inet:{policy}, permit\n\
                 smtpd_policy_service_timeout = 10s\n"
            ),
            files: vec![(
                "vmailbox".into(),
                "alice@shop.test shop.test/alice/\n\
                 alice@grey.test grey.test/alice/\n\
                 @catchall.test catchall.test/all/\n"
                    .into(),
            )],
        }
    }
}

/// A Postfix SMTP access policy server (Postfix's policy delegation
/// protocol: `name=value` lines, an empty line, answered by `action=...`)
/// that greylists: the first attempt of each (client, sender, recipient)
/// triplet for a recipient at one of its domains gets `451 4.7.1`, later
/// attempts pass (`DUNNO`).
#[derive(Debug)]
pub struct GreylistPolicy {
    /// Where it listens.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for GreylistPolicy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The reply a greylisted attempt gets.
pub const GREYLIST_REPLY: &str = "451 4.7.1 Greylisted, try again in 60 seconds";

impl GreylistPolicy {
    /// Starts the policy server on 127.0.0.1 for recipients at `domains`.
    pub async fn start(domains: &[&str]) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let domains: Arc<Vec<String>> =
            Arc::new(domains.iter().map(|d| d.to_ascii_lowercase()).collect());
        let seen: Arc<std::sync::Mutex<std::collections::HashSet<String>>> = Arc::default();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (domains, seen) = (domains.clone(), seen.clone());
                tokio::spawn(async move {
                    let mut reader = BufReader::new(stream);
                    let mut attrs = std::collections::HashMap::new();
                    let mut line = String::new();
                    loop {
                        line.clear();
                        match reader.read_line(&mut line).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        let l = line.trim_end();
                        if let Some((k, v)) = l.split_once('=') {
                            attrs.insert(k.to_string(), v.to_ascii_lowercase());
                            continue;
                        }
                        if !l.is_empty() {
                            continue;
                        }
                        let get = |k: &str| attrs.get(k).cloned().unwrap_or_default();
                        let recipient = get("recipient");
                        let domain = recipient.rsplit('@').next().unwrap_or_default();
                        let action = if domains.iter().any(|d| d == domain) {
                            let triplet = format!(
                                "{}/{}/{}",
                                get("client_address"),
                                get("sender"),
                                recipient
                            );
                            let first = seen
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .insert(triplet);
                            if first {
                                GREYLIST_REPLY.to_string()
                            } else {
                                "DUNNO".to_string()
                            }
                        } else {
                            "DUNNO".to_string()
                        };
                        attrs.clear();
                        let reply = format!("action={action}\n\n");
                        if reader.get_mut().write_all(reply.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Ok(GreylistPolicy { addr, task })
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
        Self::start_with(myhostname, leaf, &PostfixOptions::default()).await
    }

    /// Starts Postfix with extra `main.cf` lines and files in its config
    /// directory (`$CONFIG_DIR` in the lines stands for that directory).
    pub async fn start_with(
        myhostname: &str,
        leaf: &Leaf,
        options: &PostfixOptions,
    ) -> anyhow::Result<Self> {
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
        ) + &options
            .extra_main
            .replace("$CONFIG_DIR", &config_dir.display().to_string());
        for (name, contents) in &options.files {
            std::fs::write(config_dir.join(name), contents)?;
        }
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
