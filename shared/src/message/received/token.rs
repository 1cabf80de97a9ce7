//! The words of a Received value: the tokenizer, which splits it at the
//! separators and tracks comment and bracket depth, and the classification
//! of each word by its shape (keyword, IP address, domain, protocol, TLS
//! version, cipher suite; see the parent module).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Greeting, Protocol, TlsVersion};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    From,
    By,
    For,
    Id,
    Via,
    With,
    Ident,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
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
    pub(super) fn is_separator(self) -> bool {
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
pub(super) struct Token<'a> {
    pub(super) kind: Kind,
    pub(super) text: &'a str,
    /// Parenthesis depth where the token starts.
    pub(super) comment: u32,
    /// Square-bracket depth where the token starts.
    pub(super) bracket: u32,
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

pub(super) struct Tokenizer<'a> {
    text: &'a str,
    pos: usize,
    comment: u32,
    bracket: u32,
    in_quote: bool,
    in_date: bool,
    /// The previous word ended at a `:` that could not join it: that colon
    /// is a separator, not the start of an IPv6 word.
    colon_ends_word: bool,
    /// Where the last `;` outside comments and quotes is: the date-time
    /// follows it (RFC 5321 §4.4). Every `;`, `(`, `)` and `"` passes
    /// through [`Tokenizer::separator`], so this is what a scan of the
    /// value's bytes for it finds.
    pub(super) last_semicolon: Option<usize>,
}

impl<'a> Tokenizer<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Tokenizer {
            text,
            colon_ends_word: false,
            pos: 0,
            comment: 0,
            bracket: 0,
            in_quote: false,
            in_date: false,
            last_semicolon: None,
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
                    if !self.in_quote {
                        self.last_semicolon = Some(self.pos);
                    }
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
