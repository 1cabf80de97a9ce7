//! The mailbox reachability probe (`smtp.rcpt`): asks one MX whether it
//! would accept mail for an address, without sending any.
//!
//! The command dialogue runs on lettre's SMTP client:
//! [`AsyncSmtpConnection::connect_with_transport`] over a TCP stream we open
//! ourselves to the address the connection guard approved (so lettre never
//! resolves or picks an address), [`AsyncSmtpConnection::starttls`] when the
//! EHLO reply offers STARTTLS (RFC 3207), then
//! [`AsyncSmtpConnection::command`] with lettre's [`Mail`], [`Rcpt`],
//! [`Rset`] and [`Quit`] commands; replies come back as lettre
//! [`Response`]s, or as lettre errors carrying the negative code
//! (`Error::status`, `is_transient`, `is_permanent`). DATA is never sent.
//!
//! STARTTLS here is opportunistic, as between MTAs (RFC 7435): the
//! certificate is not verified, since this probe asks about the mailbox,
//! not the certificate (the `smtp.certificate` check does that).
//!
//! Politeness: the same per-IP lock and global cap as the audit's probe,
//! and a timeout on every step and on the whole dialogue.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::{Duration, Instant};

use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Mail, Quit, Rcpt, Rset};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::Address;
use mxlens_shared::smtp::rcpt::{RcptFailure, RcptProbeResult, RcptReply, RcptStep};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::elapsed_ms;
use super::smtp::polite_slot;
use crate::ssrf::ConnectPolicy;

/// How to run the mailbox probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RcptOptions {
    /// The SMTP port (25).
    pub port: u16,
    /// Timeout of the TCP connect.
    pub connect_timeout: Duration,
    /// Timeout of each reply (greeting with EHLO, STARTTLS, MAIL, RCPT...).
    pub step_timeout: Duration,
    /// Bound on the whole dialogue.
    pub overall_timeout: Duration,
    /// The name we give in EHLO.
    pub ehlo_name: String,
    /// The reverse-path for MAIL FROM; `None` sends the null path `<>`
    /// (RFC 5321 §4.5.5), which no mailbox receives replies at.
    pub sender: Option<String>,
    /// Test the random local part too (catch-all detection).
    pub catch_all_test: bool,
}

impl Default for RcptOptions {
    fn default() -> Self {
        RcptOptions {
            port: 25,
            connect_timeout: Duration::from_secs(5),
            step_timeout: Duration::from_secs(10),
            overall_timeout: Duration::from_secs(25),
            ehlo_name: "mxlens.invalid".to_string(),
            sender: None,
            catch_all_test: true,
        }
    }
}

/// Why an address cannot be probed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RcptInputError {
    /// Not a valid address (lettre's RFC 5321 address check).
    #[error("\"{0}\" is not a valid e-mail address")]
    BadAddress(String),
    /// The sender is not a valid address.
    #[error("the probe sender \"{0}\" is not a valid e-mail address")]
    BadSender(String),
}

/// Checks an address the way lettre will send it (no CR/LF, no brackets,
/// a dot-atom or quoted local part and a domain).
pub fn parse_address(address: &str) -> Result<Address, RcptInputError> {
    Address::from_str(address.trim()).map_err(|_| RcptInputError::BadAddress(address.to_string()))
}

/// A local part nobody has: `mxlens-probe-` and 12 random hex digits.
pub fn random_local_part() -> String {
    let bytes: [u8; 6] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("mxlens-probe-{hex}")
}

/// The reply as received, rebuilt from lettre's parsed [`Response`].
fn reply_of(response: &Response) -> RcptReply {
    let code = u16::from(response.code());
    let lines: Vec<&str> = response.message().collect();
    let raw = if lines.is_empty() {
        code.to_string()
    } else {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let sep = if i + 1 == lines.len() { ' ' } else { '-' };
                format!("{code}{sep}{l}")
            })
            .collect::<Vec<_>>()
            .join("\r\n")
    };
    RcptReply::new(code, raw)
}

/// A negative reply from a lettre error (lettre returns 4xx/5xx replies as
/// errors carrying the code and the joined message).
fn reply_of_error(error: &lettre::transport::smtp::Error) -> Option<RcptReply> {
    let code = u16::from(error.status()?);
    let text = std::error::Error::source(error)
        .map(|s| s.to_string())
        .unwrap_or_default();
    Some(RcptReply::new(code, format!("{code} {text}").trim_end()))
}

/// What one command gave: a reply (positive or negative), or the failure
/// that ended the dialogue.
enum Answer {
    Reply(RcptReply),
    Failed { timeout: bool, message: String },
}

async fn send<C: std::fmt::Display>(
    conn: &mut AsyncSmtpConnection,
    command: C,
    limit: Duration,
) -> Answer {
    match timeout(limit, conn.command(command)).await {
        Err(_) => Answer::Failed {
            timeout: true,
            message: format!("no reply within {} ms", limit.as_millis()),
        },
        Ok(Ok(response)) => Answer::Reply(reply_of(&response)),
        Ok(Err(e)) => match reply_of_error(&e) {
            Some(reply) => Answer::Reply(reply),
            None => Answer::Failed {
                timeout: e.is_timeout(),
                message: describe(&e),
            },
        },
    }
}

fn describe(error: &lettre::transport::smtp::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// Probes `address` at `host` (`ip`). Never fails: every outcome is in the
/// result. `address` must have passed [`parse_address`].
pub async fn probe_rcpt(
    policy: &ConnectPolicy,
    host: &str,
    ip: IpAddr,
    address: &Address,
    opts: &RcptOptions,
    now_unix: impl Fn() -> i64,
) -> RcptProbeResult {
    let started = Instant::now();
    let mut result = RcptProbeResult::new(address.as_ref(), host, &ip.to_string());
    result.sender = opts.sender.clone().unwrap_or_default();
    let target = match policy.target(host, ip, opts.port) {
        Ok(target) => target,
        Err(refused) => {
            result.failure = Some(RcptFailure {
                step: RcptStep::Guard,
                timeout: false,
                message: refused.to_string(),
                reply: None,
            });
            return result;
        }
    };
    let slot = polite_slot(target).await;
    let finished = timeout(
        opts.overall_timeout,
        dialogue(&mut result, target, address, opts, &now_unix),
    )
    .await;
    drop(slot);
    if finished.is_err() && result.failure.is_none() {
        let step = if result.mail_from.is_none() {
            RcptStep::MailFrom
        } else if result.rcpt.is_none() {
            RcptStep::Rcpt
        } else {
            RcptStep::CatchAll
        };
        result.failure = Some(RcptFailure {
            step,
            timeout: true,
            message: format!(
                "the probe did not finish within {} ms",
                opts.overall_timeout.as_millis()
            ),
            reply: None,
        });
    }
    result.total_ms = Some(elapsed_ms(started));
    result
}

fn fail(result: &mut RcptProbeResult, step: RcptStep, timeout: bool, message: String) {
    result.failure = Some(RcptFailure {
        step,
        timeout,
        message,
        reply: None,
    });
}

async fn dialogue(
    result: &mut RcptProbeResult,
    target: SocketAddr,
    address: &Address,
    opts: &RcptOptions,
    now_unix: &impl Fn() -> i64,
) {
    let step = opts.step_timeout;
    let tcp = match timeout(opts.connect_timeout, TcpStream::connect(target)).await {
        Err(_) => {
            return fail(
                result,
                RcptStep::Connect,
                true,
                format!(
                    "connect timed out after {} ms",
                    opts.connect_timeout.as_millis()
                ),
            )
        }
        Ok(Err(e)) => return fail(result, RcptStep::Connect, false, format!("connect: {e}")),
        Ok(Ok(tcp)) => tcp,
    };
    let _ = tcp.set_nodelay(true);
    let client_id = ClientId::Domain(opts.ehlo_name.clone());
    // lettre reads the greeting and sends EHLO (RFC 5321 §4.3.1, §4.1.1.1).
    let mut conn = match timeout(
        step,
        // Bounded reads: lettre's own reply reader grows without a cap (#19 M1).
        AsyncSmtpConnection::connect_with_transport(
            Box::new(super::bounded::BoundedStream::new(tcp)),
            &client_id,
        ),
    )
    .await
    {
        Err(_) => {
            return fail(
                result,
                RcptStep::Greeting,
                true,
                format!("no greeting or EHLO reply within {} ms", step.as_millis()),
            )
        }
        Ok(Err(e)) => {
            result.failure = Some(RcptFailure {
                step: RcptStep::Greeting,
                timeout: e.is_timeout(),
                message: describe(&e),
                reply: reply_of_error(&e),
            });
            return;
        }
        Ok(Ok(conn)) => conn,
    };
    if conn.can_starttls() {
        let params = TlsParameters::builder(result.host.clone())
            .dangerous_accept_invalid_certs(true)
            .dangerous_accept_invalid_hostnames(true)
            .build_rustls();
        let outcome = match params {
            Ok(params) => match timeout(step, conn.starttls(params, &client_id)).await {
                Err(_) => Err((true, format!("no TLS within {} ms", step.as_millis()), None)),
                Ok(Err(e)) => Err((e.is_timeout(), describe(&e), reply_of_error(&e))),
                Ok(Ok(())) => Ok(()),
            },
            Err(e) => Err((false, format!("TLS client configuration: {e}"), None)),
        };
        if let Err((timed_out, message, reply)) = outcome {
            result.failure = Some(RcptFailure {
                step: RcptStep::Starttls,
                timeout: timed_out,
                message,
                reply,
            });
            abandon(&mut conn).await;
            return;
        }
        result.tls = true;
    }

    // MAIL FROM (RFC 5321 §4.1.1.2).
    let sender = match opts.sender.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => match Address::from_str(s) {
            Ok(a) => Some(a),
            Err(_) => {
                fail(
                    result,
                    RcptStep::MailFrom,
                    false,
                    RcptInputError::BadSender(s.to_string()).to_string(),
                );
                let _ = timeout(step, conn.command(Quit)).await;
                return;
            }
        },
        None => None,
    };
    match send(&mut conn, Mail::new(sender, vec![]), step).await {
        Answer::Reply(reply) if reply.is_positive() => result.mail_from = Some(reply),
        Answer::Reply(reply) => {
            result.mail_from = Some(reply.clone());
            result.failure = Some(RcptFailure {
                step: RcptStep::MailFrom,
                timeout: false,
                message: "the server refused MAIL FROM".into(),
                reply: Some(reply.clone()),
            });
            close(&mut conn, &reply, step).await;
            return;
        }
        Answer::Failed { timeout, message } => {
            fail(result, RcptStep::MailFrom, timeout, message);
            abandon(&mut conn).await;
            return;
        }
    }

    // RCPT TO (RFC 5321 §4.1.1.3).
    let reply = match send(&mut conn, Rcpt::new(address.clone(), vec![]), step).await {
        Answer::Reply(reply) => reply,
        Answer::Failed { timeout, message } => {
            fail(result, RcptStep::Rcpt, timeout, message);
            abandon(&mut conn).await;
            return;
        }
    };
    result.probed_at = Some(now_unix());
    result.rcpt = Some(reply.clone());
    // 421: the server is closing the channel (RFC 5321 §3.8).
    if reply.code == 421 {
        result.rcpt = None;
        result.failure = Some(RcptFailure {
            step: RcptStep::Rcpt,
            timeout: false,
            message: "the server closed the channel".into(),
            reply: Some(reply),
        });
        return;
    }

    // A second RCPT, for a local part nobody has, in the same transaction.
    if reply.is_positive() && opts.catch_all_test {
        if let Ok(random) = Address::new(random_local_part(), address.domain()) {
            result.catch_all_address = Some(random.to_string());
            match send(&mut conn, Rcpt::new(random, vec![]), step).await {
                Answer::Reply(other) => {
                    if other.code == 421 {
                        return;
                    }
                    result.catch_all = Some(other);
                }
                Answer::Failed { timeout, message } => {
                    fail(result, RcptStep::CatchAll, timeout, message);
                    abandon(&mut conn).await;
                    return;
                }
            }
        }
    }

    // RSET then QUIT: the transaction is dropped, nothing is delivered.
    let _ = send(&mut conn, Rset, step).await;
    let _ = timeout(step.min(Duration::from_secs(2)), conn.quit()).await;
}

/// Gives up on a session whose server stopped answering: lettre's abort
/// sends QUIT and waits for its reply, so it is bounded here.
async fn abandon(conn: &mut AsyncSmtpConnection) {
    let _ = timeout(Duration::from_millis(500), conn.abort()).await;
}

/// Ends the session after a refusal: QUIT unless the server already closed
/// the channel (421).
async fn close(conn: &mut AsyncSmtpConnection, reply: &RcptReply, step: Duration) {
    if reply.code != 421 {
        let _ = timeout(step.min(Duration::from_secs(2)), conn.quit()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_before_any_command() {
        assert!(parse_address("alice@shop.test").is_ok());
        for bad in [
            "",
            "alice",
            "alice@",
            "<alice@shop.test>",
            "alice@shop.test\r\nDATA",
            "a b@shop.test",
        ] {
            assert!(parse_address(bad).is_err(), "accepted {bad:?}");
        }
        let local = random_local_part();
        assert!(
            local.starts_with("mxlens-probe-") && local.len() == 25,
            "{local}"
        );
    }

    #[test]
    fn replies_are_rebuilt_with_their_codes() {
        let response: Response = "550-5.1.1 first\r\n550 5.1.1 second\r\n".parse().unwrap();
        let reply = reply_of(&response);
        assert_eq!(reply.code, 550);
        assert_eq!(reply.raw, "550-5.1.1 first\r\n550 5.1.1 second");
    }

    #[tokio::test]
    async fn guard_refuses_without_connecting() {
        let r = probe_rcpt(
            &ConnectPolicy::default(),
            "mx.test",
            "127.0.0.1".parse().unwrap(),
            &parse_address("a@mx.test").unwrap(),
            &RcptOptions::default(),
            || 0,
        )
        .await;
        assert_eq!(r.failure.unwrap().step, RcptStep::Guard);
        assert!(r.rcpt.is_none());
    }
}
