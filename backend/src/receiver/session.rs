//! One SMTP connection to the receiver: the server side of RFC 5321 over
//! the shared command parser, with STARTTLS (RFC 3207) and the limits:
//!
//! - a command line over 512 octets, or a text line over 1,000, gets 500
//!   (§4.5.3.1.4, §4.5.3.1.6); the rest of that line is read and dropped;
//! - each line must arrive within the command timeout (§4.5.3.2.7), and a
//!   whole DATA within the DATA timeout: a slow or dribbling client gets
//!   `421 4.4.2` and is closed;
//! - a message over SIZE gets 552 once DATA ends (RFC 1870 §6.3); the
//!   octets past the cap are read and dropped, never buffered;
//! - past the recipient cap, RCPT gets 452 (§4.5.3.1.10);
//! - too many commands or errors in one session: 421.

use std::net::SocketAddr;
use std::sync::Arc;

use mxlens_shared::delivery::command::{parse_command, Command, Param, Reply, MAX_COMMAND_LINE};
use mxlens_shared::report::ConnectionFacts;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

mod data;

pub use super::line::{read_line, Line};
use super::tokens::TestAddress;
use super::Receiver;
use crate::AppState;

/// Most commands in one session (a client looping NOOP is cut off).
const MAX_COMMANDS: u32 = 200;
/// Most refused commands in one session.
const MAX_ERRORS: u32 = 20;

/// What to do after a command.
enum Next {
    Continue,
    Close,
    StartTls,
}

/// The session's state across commands (and across STARTTLS).
struct Session {
    receiver: Arc<Receiver>,
    state: AppState,
    facts: ConnectionFacts,
    greeted: bool,
    tls: bool,
    mail: Option<String>,
    rcpts: Vec<Arc<TestAddress>>,
    /// RCPT named the postmaster (RFC 5321 §4.5.1): accepted, and the
    /// message is logged and discarded, as the test domain has no mailbox.
    postmaster: bool,
    commands: u32,
    errors: u32,
    line: Vec<u8>,
}

/// Runs one connection to its end.
pub async fn run(
    stream: TcpStream,
    peer: SocketAddr,
    proxied_by: Option<std::net::IpAddr>,
    receiver: Arc<Receiver>,
    state: AppState,
) {
    let facts = ConnectionFacts {
        client_ip: peer.ip().to_string(),
        client_port: peer.port(),
        proxied_by: proxied_by.map(|ip| ip.to_string()),
        received_by: receiver.config.hostname.clone(),
        starttls_offered: receiver.config.tls.is_some(),
        ..ConnectionFacts::default()
    };
    let mut session = Session {
        receiver,
        state,
        facts,
        greeted: false,
        tls: false,
        mail: None,
        rcpts: Vec::new(),
        postmaster: false,
        commands: 0,
        errors: 0,
        line: Vec::with_capacity(MAX_COMMAND_LINE),
    };
    let mut reader = BufReader::new(stream);
    let greeting = format!(
        "220 {} ESMTP mxlens test receiver\r\n",
        session.receiver.config.hostname
    );
    if session
        .send_raw(&mut reader, greeting.as_bytes())
        .await
        .is_err()
    {
        return;
    }
    if !matches!(session.commands(&mut reader).await, Next::StartTls) {
        return;
    }
    let Some(acceptor) = session.receiver.config.tls.clone() else {
        return;
    };
    // RFC 3207 §4.2: whatever the client pipelined after STARTTLS is
    // discarded with the plain-text reader's buffer (command injection).
    let stream = reader.into_inner();
    let timeout = session.receiver.config.command_timeout;
    let tls = match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "smtp: TLS handshake failed");
            return;
        }
        Err(_) => return,
    };
    {
        let (_, connection) = tls.get_ref();
        session.facts.tls_version = connection
            .protocol_version()
            .and_then(|v| v.as_str())
            .map(|v| v.replace("TLSv1_", "TLSv1."));
        session.facts.tls_cipher = connection
            .negotiated_cipher_suite()
            .and_then(|s| s.suite().as_str())
            .map(str::to_string);
    }
    session.facts.starttls = true;
    session.tls = true;
    // RFC 3207 §4.2: the server forgets everything the client said before.
    session.greeted = false;
    session.facts.helo.clear();
    session.facts.esmtp = false;
    session.reset();
    let mut reader = BufReader::new(tls);
    session.commands(&mut reader).await;
}

impl Session {
    async fn send_raw<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        reader: &mut BufReader<S>,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        let stream = reader.get_mut();
        let write = async {
            stream.write_all(bytes).await?;
            stream.flush().await
        };
        match tokio::time::timeout(self.receiver.config.command_timeout, write).await {
            Ok(result) => result,
            Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }

    async fn send<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        reader: &mut BufReader<S>,
        reply: &Reply,
    ) -> bool {
        self.send_raw(reader, reply.to_wire().as_bytes())
            .await
            .is_ok()
    }

    fn reset(&mut self) {
        self.mail = None;
        self.rcpts.clear();
        self.postmaster = false;
        self.facts.mail_from.clear();
        self.facts.rcpt_to.clear();
        self.facts.body_8bitmime = false;
        self.facts.smtputf8 = false;
    }

    /// Reads and answers commands until the session ends or STARTTLS.
    async fn commands<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        reader: &mut BufReader<S>,
    ) -> Next {
        let timeout = self.receiver.config.command_timeout;
        loop {
            if self.commands > 0 && !reader.buffer().is_empty() {
                self.facts.pipelined = true;
            }
            let mut line = std::mem::take(&mut self.line);
            let read =
                tokio::time::timeout(timeout, read_line(reader, MAX_COMMAND_LINE, &mut line)).await;
            let next = match read {
                Err(_) => {
                    let reply = Reply::new(
                        421,
                        "4.4.2",
                        format!("{} timeout, closing", self.receiver.config.hostname),
                    );
                    self.send(reader, &reply).await;
                    Next::Close
                }
                Ok(Err(_)) | Ok(Ok(Line::Eof)) => Next::Close,
                Ok(Ok(Line::TooLong)) => {
                    self.errors += 1;
                    let reply = Reply::new(
                        500,
                        "5.5.2",
                        "Line too long (RFC 5321 §4.5.3.1.4: 512 octets)",
                    );
                    self.continue_if(self.send(reader, &reply).await)
                }
                Ok(Ok(Line::Ok)) => {
                    self.commands += 1;
                    match parse_command(&line) {
                        Err(reply) => {
                            self.errors += 1;
                            self.continue_if(self.send(reader, &reply).await)
                        }
                        Ok(command) => self.command(command, reader).await,
                    }
                }
            };
            self.line = line;
            match next {
                Next::Continue if self.commands > MAX_COMMANDS || self.errors > MAX_ERRORS => {
                    let reply = Reply::new(421, "4.7.0", "Too many commands or errors, closing");
                    self.send(reader, &reply).await;
                    return Next::Close;
                }
                Next::Continue => {}
                other => return other,
            }
        }
    }

    fn continue_if(&self, sent: bool) -> Next {
        if sent {
            Next::Continue
        } else {
            Next::Close
        }
    }

    async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        reader: &mut BufReader<S>,
        code: u16,
        enhanced: &'static str,
        text: &str,
    ) -> Next {
        self.errors += 1;
        let sent = self.send(reader, &Reply::new(code, enhanced, text)).await;
        self.continue_if(sent)
    }

    /// RFC 5321 §3.6.2: never a relay, so anything but a live test
    /// address at the test domain is unknown here.
    async fn no_such_address<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        reader: &mut BufReader<S>,
    ) -> Next {
        let text = "No such test address (it may have expired or been used)";
        self.refuse(reader, 550, "5.1.1", text).await
    }

    async fn ok<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        reader: &mut BufReader<S>,
        text: &str,
    ) -> Next {
        let sent = self.send(reader, &Reply::new(250, "2.0.0", text)).await;
        self.continue_if(sent)
    }

    async fn command<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        command: Command,
        reader: &mut BufReader<S>,
    ) -> Next {
        let host = self.receiver.config.hostname.clone();
        match command {
            Command::Ehlo(domain) | Command::Helo(domain) if domain.len() > 255 => {
                self.refuse(reader, 501, "5.5.4", "Domain too long").await
            }
            Command::Ehlo(domain) => {
                // §4.1.4: EHLO resets the transaction.
                self.reset();
                self.greeted = true;
                self.facts.esmtp = true;
                self.facts.helo = domain.clone();
                let mut lines = vec![
                    format!("{host} greets {domain}"),
                    "PIPELINING".to_string(),
                    format!("SIZE {}", self.receiver.config.max_message_bytes),
                    "8BITMIME".to_string(),
                    "ENHANCEDSTATUSCODES".to_string(),
                    "SMTPUTF8".to_string(),
                ];
                if self.receiver.config.tls.is_some() && !self.tls {
                    lines.push("STARTTLS".to_string());
                }
                let last = lines.len() - 1;
                let text: String = lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let clean: String =
                            l.chars().filter(|c| *c != '\r' && *c != '\n').collect();
                        format!("250{}{clean}\r\n", if i == last { ' ' } else { '-' })
                    })
                    .collect();
                let sent = self.send_raw(reader, text.as_bytes()).await.is_ok();
                self.continue_if(sent)
            }
            Command::Helo(domain) => {
                self.reset();
                self.greeted = true;
                self.facts.esmtp = false;
                self.facts.helo = domain;
                let sent = self.send(reader, &Reply::new(250, "", host)).await;
                self.continue_if(sent)
            }
            Command::StartTls if self.tls => {
                self.refuse(reader, 503, "5.5.1", "TLS already active")
                    .await
            }
            Command::StartTls if self.receiver.config.tls.is_none() => {
                self.refuse(reader, 502, "5.5.1", "STARTTLS not available")
                    .await
            }
            Command::StartTls => {
                if self
                    .send(reader, &Reply::new(220, "2.0.0", "Ready to start TLS"))
                    .await
                {
                    Next::StartTls
                } else {
                    Next::Close
                }
            }
            Command::Mail { .. } if !self.greeted => {
                self.refuse(reader, 503, "5.5.1", "Send EHLO or HELO first")
                    .await
            }
            Command::Mail { .. } if self.mail.is_some() => {
                self.refuse(reader, 503, "5.5.1", "Nested MAIL command")
                    .await
            }
            Command::Mail { path, params } => self.mail(path, &params, reader).await,
            Command::Rcpt { .. } if self.mail.is_none() => {
                self.refuse(reader, 503, "5.5.1", "Need MAIL before RCPT")
                    .await
            }
            Command::Rcpt { path, params } => self.rcpt(path, &params, reader).await,
            Command::Data if self.rcpts.is_empty() && !self.postmaster => {
                self.refuse(reader, 503, "5.5.1", "Need RCPT before DATA")
                    .await
            }
            Command::Data => self.data(reader).await,
            Command::Rset => {
                self.reset();
                self.ok(reader, "Flushed").await
            }
            Command::Noop => self.ok(reader, "OK").await,
            Command::Quit => {
                let _ = self
                    .send(reader, &Reply::new(221, "2.0.0", format!("{host} closing")))
                    .await;
                Next::Close
            }
            // §3.5.3: 252 when the address is not verified.
            Command::Vrfy => {
                let sent = self
                    .send(
                        reader,
                        &Reply::new(252, "2.5.0", "Cannot VRFY; send the message"),
                    )
                    .await;
                self.continue_if(sent)
            }
            Command::Expn => {
                self.refuse(reader, 502, "5.5.1", "EXPN not available")
                    .await
            }
            Command::Help => {
                let sent = self
                    .send(
                        reader,
                        &Reply::new(
                            214,
                            "2.0.0",
                            "mxlens test receiver: send one message to your test address",
                        ),
                    )
                    .await;
                self.continue_if(sent)
            }
        }
    }

    async fn mail<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        path: String,
        params: &[Param],
        reader: &mut BufReader<S>,
    ) -> Next {
        let mut body_8bit = false;
        let mut smtputf8 = false;
        for param in params {
            match (param.keyword.as_str(), param.value.as_deref()) {
                // RFC 1870 §6.2: a declared size over the limit is refused now.
                ("SIZE", Some(v)) => match v.parse::<u64>() {
                    Ok(n) if n > self.receiver.config.max_message_bytes => {
                        return self
                            .refuse(
                                reader,
                                552,
                                "5.3.4",
                                "Message size exceeds fixed maximum message size",
                            )
                            .await
                    }
                    Ok(_) => {}
                    Err(_) => return self.refuse(reader, 501, "5.5.4", "Bad SIZE value").await,
                },
                ("BODY", Some(v)) if v.eq_ignore_ascii_case("8BITMIME") => body_8bit = true,
                ("BODY", Some(v)) if v.eq_ignore_ascii_case("7BIT") => {}
                ("SMTPUTF8", None) => smtputf8 = true,
                _ => {
                    // RFC 5321 §4.1.1.11: an unrecognised parameter is 555.
                    return self
                        .refuse(reader, 555, "5.5.4", "MAIL FROM parameter not recognized")
                        .await;
                }
            }
        }
        self.facts.mail_from = path.clone();
        self.facts.body_8bitmime = body_8bit;
        self.facts.smtputf8 = smtputf8;
        self.mail = Some(path);
        self.ok(reader, "Sender OK").await
    }

    async fn rcpt<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        path: String,
        params: &[Param],
        reader: &mut BufReader<S>,
    ) -> Next {
        if !params.is_empty() {
            return self
                .refuse(reader, 555, "5.5.4", "RCPT TO parameters not recognized")
                .await;
        }
        if self.rcpts.len() >= self.receiver.config.max_recipients as usize {
            return self
                .refuse(reader, 452, "4.5.3", "Too many recipients")
                .await;
        }
        // RFC 5321 §4.5.1: "Postmaster" (bare, or at the domain) must be
        // accepted (the recipient cap above applies to it too).
        if is_postmaster(&path, &self.receiver.config.test_domain) {
            self.postmaster = true;
            if self.facts.rcpt_to.is_empty() {
                self.facts.rcpt_to = path;
            }
            return self.ok(reader, "Recipient OK").await;
        }
        // Never a relay: only a live test address at the test domain.
        let local = path.rsplit_once('@').and_then(|(local, domain)| {
            let domain = domain.trim_end_matches('.');
            domain
                .eq_ignore_ascii_case(&self.receiver.config.test_domain)
                .then_some(local)
        });
        let address = match local {
            Some(local) => self.receiver.live_address(local).await,
            None => None,
        };
        let Some(address) = address else {
            return self.no_such_address(reader).await;
        };
        if !self.rcpts.iter().any(|a| a.id == address.id) {
            address.push(
                "connected",
                serde_json::json!({
                    "client_ip": self.facts.client_ip,
                    "helo": self.facts.helo,
                    "mail_from": self.facts.mail_from,
                    "starttls": self.facts.starttls,
                    "tls_version": self.facts.tls_version,
                }),
                false,
            );
            self.rcpts.push(address);
        }
        if self.facts.rcpt_to.is_empty() {
            self.facts.rcpt_to = path;
        }
        self.ok(reader, "Recipient OK").await
    }
}

/// Whether a RCPT path names the postmaster: `Postmaster` alone, or
/// `postmaster@` the test domain, in any case (RFC 5321 §4.5.1).
fn is_postmaster(path: &str, test_domain: &str) -> bool {
    match path.rsplit_once('@') {
        None => path.eq_ignore_ascii_case("postmaster"),
        Some((local, domain)) => {
            // The command parser refuses a trailing dot (501 5.1.3).
            local.eq_ignore_ascii_case("postmaster") && domain.eq_ignore_ascii_case(test_domain)
        }
    }
}
