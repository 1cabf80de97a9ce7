//! The Received trace field, parsed leniently.
//!
//! ```text
//! Received       = "Received:" *received-token ";" date-time CRLF   ; RFC 5322 §3.6.7
//! Time-stamp-line = "Received:" FWS Stamp <CRLF>                     ; RFC 5321 §4.4
//! Stamp          = From-domain By-domain Opt-info [CFWS] ";" FWS date-time
//! From-domain    = "FROM" FWS Extended-Domain
//! By-domain      = CFWS "BY" FWS Extended-Domain
//! Opt-info       = [Via] [With] [ID] [For] [Additional-Registered-Clauses]
//! Extended-Domain = Domain / ( Domain FWS "(" TCP-info ")" )
//!                 / ( address-literal FWS "(" TCP-info ")" )
//! ```
//!
//! Real MTAs stray far from that grammar (Exim's `helo=`, qmail's
//! `invoked from network`, Exchange's `with Microsoft SMTP Server
//! (version=TLS1_2, cipher=…)`), so the parser works on classified words
//! rather than on the ABNF: a keyword (`from`, `by`, `with`, …) at the top
//! level opens a clause, and words inside comments are read by their shape
//! (IP address, domain, e-mail, cipher suite, TLS version). It is total:
//! any text gives a best-effort [`Received`] plus diagnostics.

use std::net::IpAddr;

use super::datetime::{parse_rfc5322_date, MailDate};
use super::input::{Diagnostic, Severity, Span};

mod token;

use token::{Keyword, Kind, Tokenizer};

/// A host named in a clause: a name or an address literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// A host name (or whatever word the MTA wrote), borrowed from the
    /// Received value.
    Name(&'a str),
    /// An IP address.
    Ip(IpAddr),
}

impl std::fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// The greeting command the client used (RFC 5321 §4.1.1.1, RFC 2033).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Greeting {
    /// HELO
    Helo,
    /// EHLO
    Ehlo,
    /// LHLO (LMTP)
    Lhlo,
}

/// The `with` protocol, normalised (RFC 3848 and the IANA "Mail Transmission
/// Types" registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Protocol {
    Smtp,
    /// Not registered, but Gmail writes `with SMTPS` for its TLS relays.
    Smtps,
    Esmtp,
    Esmtpa,
    Esmtps,
    Esmtpsa,
    Lmtp,
    Lmtpa,
    Lmtps,
    Lmtpsa,
    Utf8Smtp,
    Utf8Smtpa,
    Utf8Smtps,
    Utf8Smtpsa,
    Utf8Lmtp,
    Utf8Lmtpa,
    Utf8Lmtps,
    Utf8Lmtpsa,
    Http,
    Https,
    Imap,
    Pop3,
    Mms,
    Local,
}

impl Protocol {
    /// The registry spelling, e.g. `ESMTPS`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Smtp => "SMTP",
            Protocol::Smtps => "SMTPS",
            Protocol::Esmtp => "ESMTP",
            Protocol::Esmtpa => "ESMTPA",
            Protocol::Esmtps => "ESMTPS",
            Protocol::Esmtpsa => "ESMTPSA",
            Protocol::Lmtp => "LMTP",
            Protocol::Lmtpa => "LMTPA",
            Protocol::Lmtps => "LMTPS",
            Protocol::Lmtpsa => "LMTPSA",
            Protocol::Utf8Smtp => "UTF8SMTP",
            Protocol::Utf8Smtpa => "UTF8SMTPA",
            Protocol::Utf8Smtps => "UTF8SMTPS",
            Protocol::Utf8Smtpsa => "UTF8SMTPSA",
            Protocol::Utf8Lmtp => "UTF8LMTP",
            Protocol::Utf8Lmtpa => "UTF8LMTPA",
            Protocol::Utf8Lmtps => "UTF8LMTPS",
            Protocol::Utf8Lmtpsa => "UTF8LMTPSA",
            Protocol::Http => "HTTP",
            Protocol::Https => "HTTPS",
            Protocol::Imap => "IMAP",
            Protocol::Pop3 => "POP3",
            Protocol::Mms => "MMS",
            Protocol::Local => "Local",
        }
    }

    /// True for the TLS variants (RFC 3848 §1: the "S" suffix).
    pub fn is_tls(self) -> bool {
        matches!(
            self,
            Protocol::Smtps
                | Protocol::Esmtps
                | Protocol::Esmtpsa
                | Protocol::Lmtps
                | Protocol::Lmtpsa
                | Protocol::Utf8Smtps
                | Protocol::Utf8Smtpsa
                | Protocol::Utf8Lmtps
                | Protocol::Utf8Lmtpsa
                | Protocol::Https
        )
    }

    /// True for the authenticated variants (RFC 3848 §1: the "A" suffix) and
    /// for webmail (HTTP): the hop is a submission by a user, not a relay.
    pub fn is_submission(self) -> bool {
        matches!(
            self,
            Protocol::Esmtpa
                | Protocol::Esmtpsa
                | Protocol::Lmtpa
                | Protocol::Lmtpsa
                | Protocol::Utf8Smtpa
                | Protocol::Utf8Smtpsa
                | Protocol::Utf8Lmtpa
                | Protocol::Utf8Lmtpsa
                | Protocol::Http
                | Protocol::Https
        )
    }

    /// True for protocols that say "no TLS" (plain SMTP/ESMTP/LMTP).
    pub fn is_plaintext_smtp(self) -> bool {
        matches!(
            self,
            Protocol::Smtp
                | Protocol::Esmtp
                | Protocol::Esmtpa
                | Protocol::Lmtp
                | Protocol::Lmtpa
                | Protocol::Utf8Smtp
                | Protocol::Utf8Smtpa
        )
    }
}

/// A TLS or SSL protocol version named in a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum TlsVersion {
    Ssl2,
    Ssl3,
    Tls1_0,
    Tls1_1,
    Tls1_2,
    Tls1_3,
}

impl TlsVersion {
    /// E.g. `TLSv1.3`.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Ssl2 => "SSLv2",
            TlsVersion::Ssl3 => "SSLv3",
            TlsVersion::Tls1_0 => "TLSv1.0",
            TlsVersion::Tls1_1 => "TLSv1.1",
            TlsVersion::Tls1_2 => "TLSv1.2",
            TlsVersion::Tls1_3 => "TLSv1.3",
        }
    }
}

/// One parsed Received field. Its text fields borrow from the value parsed
/// (one `String` per field and hop was most of the chain's allocations,
/// issue #17 G4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received<'a> {
    /// The `from` clause: the name the client gave or the sender's address.
    pub from: Option<Host<'a>>,
    /// The client's IP as the receiving server saw it (TCP-info).
    pub from_ip: Option<IpAddr>,
    /// The client's reverse-DNS name (TCP-info).
    pub from_iprev: Option<&'a str>,
    /// The HELO/EHLO argument, when recorded separately.
    pub helo: Option<Host<'a>>,
    /// The greeting command.
    pub helo_cmd: Option<Greeting>,
    /// The `by` clause: the receiving server.
    pub by: Option<Host<'a>>,
    /// The `with` protocol.
    pub with: Option<Protocol>,
    /// The `via` link.
    pub via: Option<&'a str>,
    /// The queue id.
    pub id: Option<&'a str>,
    /// The `for` recipient.
    pub for_: Option<&'a str>,
    /// An ident or authenticated user.
    pub ident: Option<&'a str>,
    /// A TLS version named in a comment.
    pub tls_version: Option<TlsVersion>,
    /// A cipher suite.
    pub tls_cipher: Option<&'a str>,
    /// The date-time after the last top-level `;`.
    pub date: Option<MailDate>,
}

impl Received<'_> {
    /// Whether this hop used TLS: `Some(true)` when the protocol or a comment
    /// says so, `Some(false)` for plain SMTP/ESMTP/LMTP, `None` otherwise.
    pub fn tls(&self) -> Option<bool> {
        if self.with.is_some_and(Protocol::is_tls)
            || self.tls_version.is_some()
            || self.tls_cipher.is_some()
        {
            Some(true)
        } else if self.with.is_some_and(Protocol::is_plaintext_smtp) {
            Some(false)
        } else {
            None
        }
    }

    /// The client IP: the TCP-info address, or the `from` clause when it is
    /// itself an address.
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.from_ip.or(match self.from {
            Some(Host::Ip(ip)) => Some(ip),
            _ => None,
        })
    }
}

/// Parses one Received value. Total: never fails, never panics.
pub fn parse_received(value: &str) -> Received<'_> {
    parse_with_date(value).0
}

/// [`parse_received`], and the date-time text it read (after the last
/// top-level `;`), so
/// that [`lint_received`] need not look for it again.
fn parse_with_date(value: &str) -> (Received<'_>, Option<&str>) {
    let mut r = Received::default();
    let mut tokenizer = Tokenizer::new(value);
    let mut tokens = (&mut tokenizer).peekable();
    let mut in_from = false;

    while let Some(token) = tokens.next() {
        match token.kind {
            Kind::Keyword(Keyword::From) if r.from.is_none() => {
                while let Some(next) = tokens.peek().copied() {
                    match next.kind {
                        Kind::Open(b'[') => {
                            tokens.next();
                        }
                        Kind::Ip(ip) => {
                            tokens.next();
                            r.from = Some(Host::Ip(ip));
                            break;
                        }
                        kind => {
                            if !kind.is_separator() {
                                tokens.next();
                                r.from = Some(Host::Name(next.text));
                            }
                            break;
                        }
                    }
                }
                in_from = true;
            }
            Kind::Keyword(Keyword::By) if token.comment == 0 => {
                while let Some(next) = tokens.peek().copied() {
                    match next.kind {
                        Kind::Open(b'[' | b'<') => {
                            tokens.next();
                        }
                        Kind::Ip(ip) => {
                            tokens.next();
                            r.by = Some(Host::Ip(ip));
                            break;
                        }
                        kind => {
                            if !kind.is_separator() {
                                tokens.next();
                                r.by = Some(Host::Name(next.text));
                            }
                            break;
                        }
                    }
                }
                in_from = false;
            }
            Kind::Keyword(Keyword::For) if token.comment == 0 => {
                while let Some(next) = tokens.peek().copied() {
                    match next.kind {
                        Kind::Equal | Kind::Open(b'<') => {
                            tokens.next();
                        }
                        Kind::Email => {
                            tokens.next();
                            r.for_ = Some(next.text);
                            break;
                        }
                        _ => break,
                    }
                }
                in_from = false;
            }
            Kind::Semicolon if token.comment == 0 => in_from = false,
            Kind::Keyword(Keyword::Id) if token.comment == 0 => {
                while let Some(next) = tokens.peek().copied() {
                    match next.kind {
                        Kind::Equal | Kind::Open(b'<' | b'[') | Kind::Colon => {
                            tokens.next();
                        }
                        kind => {
                            if !kind.is_separator() {
                                tokens.next();
                                r.id = Some(next.text);
                            }
                            break;
                        }
                    }
                }
                in_from = false;
            }
            Kind::Keyword(Keyword::With) if token.comment == 0 => {
                // The protocol may follow a product name
                // ("with Microsoft SMTP Server").
                while let Some(next) = tokens.peek().copied() {
                    match next.kind {
                        Kind::Protocol(p) => {
                            tokens.next();
                            r.with = Some(p);
                            break;
                        }
                        Kind::Semicolon | Kind::Tls(_) | Kind::Keyword(_) => break,
                        _ => {
                            tokens.next();
                        }
                    }
                }
                in_from = false;
            }
            Kind::Keyword(Keyword::Via) if token.comment == 0 => {
                while let Some(next) = tokens.peek().copied() {
                    match next.kind {
                        Kind::Equal => {
                            tokens.next();
                        }
                        kind => {
                            if !kind.is_separator() {
                                tokens.next();
                                r.via = Some(next.text);
                            }
                            break;
                        }
                    }
                }
                in_from = false;
            }
            Kind::Keyword(Keyword::Ident) if token.comment > 0 => {
                while let Some(next) = tokens.peek().copied() {
                    match next.kind {
                        Kind::Equal | Kind::Open(b'<' | b'[') | Kind::Colon => {
                            tokens.next();
                        }
                        kind => {
                            if !kind.is_separator() {
                                tokens.next();
                                r.ident = Some(next.text);
                            }
                            break;
                        }
                    }
                }
            }
            Kind::Greeting(greeting) if in_from && token.comment > 0 => {
                r.helo_cmd = Some(greeting);
                while let Some(next) = tokens.peek().copied() {
                    match next.kind {
                        Kind::Equal | Kind::Open(b'[') | Kind::Colon => {
                            tokens.next();
                        }
                        Kind::Ip(ip) => {
                            tokens.next();
                            r.helo = Some(Host::Ip(ip));
                            break;
                        }
                        kind => {
                            if !kind.is_separator() {
                                tokens.next();
                                r.helo = Some(Host::Name(next.text));
                            }
                            break;
                        }
                    }
                }
            }
            // TCP-info (RFC 5321 §4.4): the address in brackets, or the
            // first bare address in the from clause's comment.
            Kind::Ip(ip)
                if in_from && (token.bracket > 0 || (token.comment > 0 && r.from_ip.is_none())) =>
            {
                r.from_ip = Some(ip);
            }
            Kind::Domain if in_from && token.comment > 0 => {
                r.from_iprev = Some(token.text);
            }
            Kind::Email if in_from => {
                r.ident = Some(token.text.strip_suffix('@').unwrap_or(token.text));
            }
            Kind::Cipher if token.comment > 0 || r.tls_cipher.is_none() => {
                r.tls_cipher = Some(token.text);
            }
            Kind::Tls(version) if token.comment > 0 && r.tls_version.is_none() => {
                r.tls_version = Some(version);
            }
            _ => {}
        }
    }
    // The loop ran the tokenizer to its end: it has seen every `;`.
    let date = tokenizer.last_semicolon.map(|i| &value[i + 1..]);
    r.date = date.and_then(parse_rfc5322_date);
    (r, date)
}

/// Parses a Received value and lists what is missing or odd. Spans are
/// relative to `value`.
pub fn lint_received(value: &str) -> (Received<'_>, Vec<Diagnostic>) {
    let (parsed, date) = parse_with_date(value);
    let mut diagnostics = Vec::new();
    let whole = Span::new(0, value.len());
    if parsed.by.is_none() {
        diagnostics.push(Diagnostic::new(
            "received.no-by",
            Severity::Warning,
            whole,
            "no `by` clause naming the receiving server",
            "RFC 5321 §4.4",
        ));
    }
    match date {
        None => diagnostics.push(Diagnostic::new(
            "received.no-date",
            Severity::Warning,
            whole,
            "no `;` followed by a date-time",
            "RFC 5322 §3.6.7",
        )),
        Some(text) if parsed.date.is_none() => {
            let start = value.len() - text.len();
            diagnostics.push(Diagnostic::new(
                "received.bad-date",
                Severity::Warning,
                Span::new(start, value.len()),
                format!("unreadable date-time {:?}", text.trim()),
                "RFC 5322 §3.3",
            ));
        }
        Some(_) => {}
    }
    (parsed, diagnostics)
}

#[cfg(test)]
mod tests;
