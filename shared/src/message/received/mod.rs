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

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::datetime::{parse_rfc5322_date, MailDate};
use super::input::{Diagnostic, Severity, Span};

/// A host named in a clause: a name or an address literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A host name (or whatever word the MTA wrote).
    Name(String),
    /// An IP address.
    Ip(IpAddr),
}

impl std::fmt::Display for Host {
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

/// One parsed Received field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    /// The `from` clause: the name the client gave or the sender's address.
    pub from: Option<Host>,
    /// The client's IP as the receiving server saw it (TCP-info).
    pub from_ip: Option<IpAddr>,
    /// The client's reverse-DNS name (TCP-info).
    pub from_iprev: Option<String>,
    /// The HELO/EHLO argument, when recorded separately.
    pub helo: Option<Host>,
    /// The greeting command.
    pub helo_cmd: Option<Greeting>,
    /// The `by` clause: the receiving server.
    pub by: Option<Host>,
    /// The `with` protocol.
    pub with: Option<Protocol>,
    /// The `via` link.
    pub via: Option<String>,
    /// The queue id.
    pub id: Option<String>,
    /// The `for` recipient.
    pub for_: Option<String>,
    /// An ident or authenticated user.
    pub ident: Option<String>,
    /// A TLS version named in a comment.
    pub tls_version: Option<TlsVersion>,
    /// A cipher suite.
    pub tls_cipher: Option<String>,
    /// The date-time after the last top-level `;`.
    pub date: Option<MailDate>,
}

impl Received {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    From,
    By,
    For,
    Id,
    Via,
    With,
    Ident,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    // Separators.
    Open(u8),
    Close(u8),
    Semicolon,
    Colon,
    Equal,
    Slash,
    Quote,
    Comma,
    // Words, by shape.
    Ip(IpAddr),
    Number,
    Email,
    Domain,
    Keyword(Keyword),
    Protocol(Protocol),
    Greeting(Greeting),
    Tls(TlsVersion),
    Cipher,
    Text,
}

impl Kind {
    fn is_separator(self) -> bool {
        matches!(
            self,
            Kind::Open(_)
                | Kind::Close(_)
                | Kind::Semicolon
                | Kind::Colon
                | Kind::Equal
                | Kind::Slash
                | Kind::Quote
                | Kind::Comma
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    text: &'a str,
    /// Parenthesis depth where the token starts.
    comment: u32,
    /// Square-bracket depth where the token starts.
    bracket: u32,
}

/// Character-class tallies of one word.
#[derive(Default)]
struct Shape {
    letters: u32,
    hex_letters: u32,
    digits: u32,
    dots: u32,
    at: u32,
    colons: u32,
    plus: u32,
    minus: u32,
    underscore: u32,
    other: u32,
    non_ascii: u32,
    lowercase: u32,
}

impl Shape {
    fn of(word: &str) -> Shape {
        let mut s = Shape::default();
        for b in word.bytes() {
            match b {
                b'0'..=b'9' => s.digits += 1,
                b'a'..=b'f' => {
                    s.hex_letters += 1;
                    s.lowercase += 1
                }
                b'A'..=b'F' => s.hex_letters += 1,
                b'g'..=b'z' => {
                    s.letters += 1;
                    s.lowercase += 1
                }
                b'G'..=b'Z' => s.letters += 1,
                b'.' => s.dots += 1,
                b'@' => s.at += 1,
                b':' => s.colons += 1,
                b'+' => s.plus += 1,
                b'-' => s.minus += 1,
                b'_' => s.underscore += 1,
                0x80..=0xff => s.non_ascii += 1,
                _ => s.other += 1,
            }
        }
        s
    }

    fn any_letter(&self) -> bool {
        self.letters + self.hex_letters > 0
    }
}

fn keyword(word: &str) -> Option<Kind> {
    const KEYWORDS: [(&str, Kind); 10] = [
        ("from", Kind::Keyword(Keyword::From)),
        ("by", Kind::Keyword(Keyword::By)),
        ("for", Kind::Keyword(Keyword::For)),
        ("id", Kind::Keyword(Keyword::Id)),
        ("via", Kind::Keyword(Keyword::Via)),
        ("with", Kind::Keyword(Keyword::With)),
        ("ident", Kind::Keyword(Keyword::Ident)),
        ("helo", Kind::Greeting(Greeting::Helo)),
        ("ehlo", Kind::Greeting(Greeting::Ehlo)),
        ("lhlo", Kind::Greeting(Greeting::Lhlo)),
    ];
    if word.len() > 5 {
        return None;
    }
    KEYWORDS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(word))
        .map(|(_, kind)| *kind)
}

fn protocol(lower_no_dash: &str) -> Option<Protocol> {
    Some(match lower_no_dash {
        "smtp" | "bsmtp" | "smtpd" | "smtpsvc" | "localbsmtp" => Protocol::Smtp,
        "smtps" => Protocol::Smtps,
        "esmtp" | "localesmtp" => Protocol::Esmtp,
        "esmtpa" | "asmtp" => Protocol::Esmtpa,
        "esmtps" | "localesmtps" | "esmtptls" => Protocol::Esmtps,
        "esmtpsa" => Protocol::Esmtpsa,
        "lmtp" | "lsmtp" => Protocol::Lmtp,
        "lmtpa" => Protocol::Lmtpa,
        "lmtps" => Protocol::Lmtps,
        "lmtpsa" => Protocol::Lmtpsa,
        "utf8smtp" => Protocol::Utf8Smtp,
        "utf8smtpa" => Protocol::Utf8Smtpa,
        "utf8smtps" => Protocol::Utf8Smtps,
        "utf8smtpsa" => Protocol::Utf8Smtpsa,
        "utf8lmtp" => Protocol::Utf8Lmtp,
        "utf8lmtpa" => Protocol::Utf8Lmtpa,
        "utf8lmtps" => Protocol::Utf8Lmtps,
        "utf8lmtpsa" => Protocol::Utf8Lmtpsa,
        "http" | "httpu" | "httprest" => Protocol::Http,
        "https" => Protocol::Https,
        "imap" => Protocol::Imap,
        "pop3" => Protocol::Pop3,
        "mms" => Protocol::Mms,
        "local" | "socket" | "stdin" => Protocol::Local,
        _ => return None,
    })
}

/// `TLSv1.2`, `TLS1_3`, `TLS-1.0`, `TLSv1`, `SSLv3`: the letters and the
/// digits decide, separators between them do not.
fn tls_version(word: &str, shape: &Shape) -> Option<TlsVersion> {
    if shape.at + shape.colons + shape.plus + shape.non_ascii > 0
        || shape.digits == 0
        || shape.digits > 2
        || shape.letters + shape.hex_letters > 4
    {
        return None;
    }
    let letters: String = word
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let digits: String = word.chars().filter(char::is_ascii_digit).collect();
    let separators_ok =
        shape.dots + shape.underscore + shape.minus + shape.other == 0 || digits.len() == 2;
    if !separators_ok {
        return None;
    }
    match (letters.as_str(), digits.as_str()) {
        ("tls" | "tlsv", "1" | "10") => Some(TlsVersion::Tls1_0),
        ("tls" | "tlsv", "11") => Some(TlsVersion::Tls1_1),
        ("tls" | "tlsv", "12") => Some(TlsVersion::Tls1_2),
        ("tls" | "tlsv", "13") => Some(TlsVersion::Tls1_3),
        ("ssl" | "sslv", "2") => Some(TlsVersion::Ssl2),
        ("ssl" | "sslv", "3") => Some(TlsVersion::Ssl3),
        _ => None,
    }
}

/// An IANA-style cipher-suite name such as `ECDHE-RSA-AES128-GCM-SHA256` or
/// `TLS_AES_256_GCM_SHA384`: upper case, digits, `-` or `_` separators, and
/// a known key-exchange or cipher prefix.
fn is_cipher(word: &str, shape: &Shape) -> bool {
    const PREFIXES: [&str; 8] = ["RSA", "ECD", "DHE", "PSK", "SRP", "AES", "DES", "TLS"];
    shape.lowercase == 0
        && word.len() > 6
        && shape.underscore + shape.minus > 0
        && shape.digits > 0
        && shape.dots + shape.at + shape.plus + shape.colons + shape.non_ascii == 0
        && shape.other == 0
        && PREFIXES.iter().any(|p| word.starts_with(p))
}

fn classify(word: &str) -> Kind {
    let shape = Shape::of(word);
    let only_digits_dots = shape.digits > 0
        && !shape.any_letter()
        && shape.at
            + shape.colons
            + shape.plus
            + shape.minus
            + shape.other
            + shape.non_ascii
            + shape.underscore
            == 0;
    if only_digits_dots && shape.dots == 3 {
        return word
            .parse::<Ipv4Addr>()
            .map_or(Kind::Text, |ip| Kind::Ip(IpAddr::V4(ip)));
    }
    if shape.colons >= 2
        && shape.letters
            + shape.at
            + shape.plus
            + shape.minus
            + shape.other
            + shape.non_ascii
            + shape.underscore
            == 0
    {
        return word
            .parse::<Ipv6Addr>()
            .map_or(Kind::Text, |ip| Kind::Ip(IpAddr::V6(ip)));
    }
    let unsigned = word.strip_prefix(['+', '-']).unwrap_or(word);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return Kind::Number;
    }
    if shape.at == 1 && shape.any_letter() {
        return Kind::Email;
    }
    if shape.digits
        + shape.dots
        + shape.at
        + shape.colons
        + shape.plus
        + shape.minus
        + shape.underscore
        + shape.other
        + shape.non_ascii
        == 0
    {
        if let Some(kind) = keyword(word) {
            return kind;
        }
    }
    if shape.dots
        + shape.at
        + shape.colons
        + shape.plus
        + shape.underscore
        + shape.other
        + shape.non_ascii
        == 0
        && word.len() <= 12
    {
        // Lower case without dashes, on the stack: this runs for most
        // words of every stamp (ASCII here: no `non_ascii`, at most 12).
        let mut buf = [0u8; 12];
        let mut len = 0;
        for b in word.bytes().filter(|&b| b != b'-') {
            buf[len] = b.to_ascii_lowercase();
            len += 1;
        }
        let squeezed = std::str::from_utf8(&buf[..len]).unwrap_or_default();
        if let Some(p) = protocol(squeezed) {
            // Only the `local-*` and `esmtp-tls` spellings carry a dash.
            let local = word
                .get(..6)
                .is_some_and(|w| w.eq_ignore_ascii_case("local-"));
            if shape.minus == 0 || local || word.eq_ignore_ascii_case("esmtp-tls") {
                return Kind::Protocol(p);
            }
        }
    }
    if let Some(version) = tls_version(word, &shape) {
        return Kind::Tls(version);
    }
    if shape.any_letter()
        && shape.dots > 0
        && shape.at + shape.colons + shape.plus + shape.underscore + shape.other == 0
    {
        return Kind::Domain;
    }
    if is_cipher(word, &shape) {
        return Kind::Cipher;
    }
    Kind::Text
}

struct Tokenizer<'a> {
    text: &'a str,
    pos: usize,
    comment: u32,
    bracket: u32,
    in_quote: bool,
    in_date: bool,
    /// The previous word ended at a `:` that could not join it: that colon
    /// is a separator, not the start of an IPv6 word.
    colon_ends_word: bool,
}

impl<'a> Tokenizer<'a> {
    fn new(text: &'a str) -> Self {
        Tokenizer {
            text,
            colon_ends_word: false,
            pos: 0,
            comment: 0,
            bracket: 0,
            in_quote: false,
            in_date: false,
        }
    }

    /// May `:` continue the current word? Only inside what could still be
    /// an IPv6 address: hex digits and fewer than 8 colons so far.
    fn colon_joins(&self, word: &str) -> bool {
        !self.in_date
            && word.bytes().filter(|&b| b == b':').count() < 7
            && word.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
    }

    fn separator(&mut self, byte: u8) -> Option<Kind> {
        Some(match byte {
            b'(' => {
                if !self.in_quote {
                    self.comment = self.comment.saturating_add(1);
                }
                Kind::Open(b'(')
            }
            b')' => {
                if !self.in_quote {
                    self.comment = self.comment.saturating_sub(1);
                }
                Kind::Close(b')')
            }
            b'[' => {
                if !self.in_quote {
                    self.bracket = self.bracket.saturating_add(1);
                }
                Kind::Open(b'[')
            }
            b']' => {
                if !self.in_quote {
                    self.bracket = self.bracket.saturating_sub(1);
                }
                Kind::Close(b']')
            }
            b'<' => Kind::Open(b'<'),
            b'>' => Kind::Close(b'>'),
            b';' => {
                if self.comment == 0 {
                    self.in_date = true;
                }
                Kind::Semicolon
            }
            b':' => Kind::Colon,
            b'=' => Kind::Equal,
            b'/' => Kind::Slash,
            b'"' => {
                self.in_quote = !self.in_quote;
                Kind::Quote
            }
            b',' => Kind::Comma,
            _ => return None,
        })
    }
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let bytes = self.text.as_bytes();
        while self.pos < bytes.len() && bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        if self.pos >= bytes.len() {
            return None;
        }
        let (comment, bracket) = (self.comment, self.bracket);
        let start = self.pos;
        let byte = bytes[start];
        let is_word_colon =
            byte == b':' && !std::mem::take(&mut self.colon_ends_word) && self.colon_joins("");
        if !is_word_colon {
            if let Some(kind) = self.separator(byte) {
                self.pos += 1;
                return Some(Token {
                    kind,
                    text: &self.text[start..start + 1],
                    comment,
                    bracket,
                });
            }
        }
        let mut end = start;
        while end < bytes.len() {
            let b = bytes[end];
            if b.is_ascii_whitespace() {
                break;
            }
            if b == b':' {
                if self.colon_joins(&self.text[start..end]) {
                    end += 1;
                    continue;
                }
                self.colon_ends_word = true;
                break;
            }
            if matches!(
                b,
                b'(' | b')' | b'[' | b']' | b'<' | b'>' | b';' | b'=' | b'/' | b'"' | b','
            ) {
                break;
            }
            end += 1;
        }
        // `end` may sit inside a multi-byte character only if the loop
        // stopped on an ASCII byte, which is always a boundary.
        self.pos = end;
        let word = &self.text[start..end];
        Some(Token {
            kind: classify(word),
            text: word,
            comment,
            bracket,
        })
    }
}

/// The text after the last top-level `;` (RFC 5321 §4.4: the date-time
/// ends the stamp), ignoring `;` inside comments and quotes.
fn date_part(value: &str) -> Option<&str> {
    let mut depth = 0u32;
    let mut quoted = false;
    let mut last = None;
    for (i, b) in value.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'(' if !quoted => depth = depth.saturating_add(1),
            b')' if !quoted => depth = depth.saturating_sub(1),
            b';' if !quoted && depth == 0 => last = Some(i),
            _ => {}
        }
    }
    last.map(|i| &value[i + 1..])
}

/// Parses one Received value. Total: never fails, never panics.
pub fn parse_received(value: &str) -> Received {
    let mut r = Received::default();
    let mut tokens = Tokenizer::new(value).peekable();
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
                                r.from = Some(Host::Name(next.text.to_string()));
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
                                r.by = Some(Host::Name(next.text.to_string()));
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
                            r.for_ = Some(next.text.to_string());
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
                                r.id = Some(next.text.to_string());
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
                                r.via = Some(next.text.to_string());
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
                                r.ident = Some(next.text.to_string());
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
                                r.helo = Some(Host::Name(next.text.to_string()));
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
                r.from_iprev = Some(token.text.to_string());
            }
            Kind::Email if in_from => {
                r.ident = Some(
                    token
                        .text
                        .strip_suffix('@')
                        .unwrap_or(token.text)
                        .to_string(),
                );
            }
            Kind::Cipher if token.comment > 0 || r.tls_cipher.is_none() => {
                r.tls_cipher = Some(token.text.to_string());
            }
            Kind::Tls(version) if token.comment > 0 && r.tls_version.is_none() => {
                r.tls_version = Some(version);
            }
            _ => {}
        }
    }
    r.date = date_part(value).and_then(parse_rfc5322_date);
    r
}

/// Parses a Received value and lists what is missing or odd. Spans are
/// relative to `value`.
pub fn lint_received(value: &str) -> (Received, Vec<Diagnostic>) {
    let parsed = parse_received(value);
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
    match date_part(value) {
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
