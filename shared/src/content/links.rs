//! Links: the host a URL really goes to, and what about it a receiver's
//! filter weighs: a URL shortener, an IP literal, plain `http:`, link text
//! that names another domain than the href, and whether the domain belongs
//! to the sender (relaxed alignment with the From organizational domain,
//! RFC 7489 §3.2 applied to links).
//!
//! Why not the `url` crate: only the scheme and host are needed, and the
//! browser bundle has a size budget; this follows the WHATWG URL
//! Standard's authority rules where they matter for the host (`\` as `/`,
//! userinfo before the last `@`, a bracketed IPv6 literal, a port).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::org_domain::{is_listed_top_level, organizational_domain};

use super::limits::{MAX_LINKS, MAX_TEXT_SCAN_BYTES};

/// Public URL shorteners: a link through one hides its destination, and
/// spammers use them for that; SpamAssassin's DecodeShortURLs plugin and
/// rspamd's redirector list both penalise them. A host matches an entry
/// or any subdomain of it.
pub const SHORTENERS: &[&str] = &[
    "bit.ly",
    "bitly.com",
    "bitly.ws",
    "buff.ly",
    "cutt.ly",
    "goo.gl",
    "is.gd",
    "lnkd.in",
    "ow.ly",
    "page.link",
    "qrco.de",
    "rb.gy",
    "rebrand.ly",
    "s.id",
    "shorturl.at",
    "soo.gd",
    "t.co",
    "t.ly",
    "tiny.cc",
    "tinyurl.com",
    "trib.al",
    "v.gd",
    "x.co",
    "y2u.be",
    "shorte.st",
    "adf.ly",
    "bl.ink",
    "short.io",
    "snip.ly",
    "u.to",
    "clck.ru",
    "tr.im",
];

/// The scheme and host of a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// The scheme, lower case (`https`, `mailto`...); `http` for a bare
    /// `www.` link written in text.
    pub scheme: String,
    /// The host, lower case, without a trailing dot or brackets; empty for
    /// a URL without one (`mailto:`, a relative link).
    pub host: String,
}

/// Splits a URL into scheme and host. Total: any string gives an answer.
pub fn parse_url(url: &str) -> UrlParts {
    let url = url
        .trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '<' || c == '>');
    let scheme_end = url.find(':').filter(|&at| {
        at > 0
            && url[..at]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    let (scheme, rest) = match scheme_end {
        Some(at) => (url[..at].to_ascii_lowercase(), &url[at + 1..]),
        None if starts_with_ignore_case(url, "www.") => ("http".to_string(), url),
        None => (String::new(), ""),
    };
    if !matches!(scheme.as_str(), "http" | "https" | "ftp" | "ws" | "wss") {
        return UrlParts {
            scheme,
            host: String::new(),
        };
    }
    let rest = rest.trim_start_matches(['/', '\\']);
    let authority_end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(inside) = host_port.strip_prefix('[') {
        inside.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    UrlParts {
        scheme,
        host: normalize_host(host),
    }
}

/// True when `text` starts with the ASCII `prefix`, ignoring ASCII case.
pub(crate) fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// Lower case, no trailing dot, percent-escapes decoded, and an
/// internationalized name in its A-label form (IDNA, RFC 5891).
fn normalize_host(host: &str) -> String {
    let mut host = host.trim_end_matches('.').to_string();
    if host.contains('%') {
        let bytes = host.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match (
                bytes[i],
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (b'%', Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                (b, _, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        host = String::from_utf8_lossy(&out).into_owned();
    }
    if host.is_ascii() {
        host.make_ascii_lowercase();
        host
    } else {
        to_a_labels(&host)
    }
}

/// A Unicode host name in A-label form, without the IDNA mapping tables
/// (about 47 KB of the browser bundle): the label separators of UTS #46
/// §4.1 step 1 (U+002E, U+3002, U+FF0E, U+FF61) split labels, each label
/// is lower-cased and, when it is not ASCII, Punycode-encoded behind
/// "xn--" (RFC 3492, RFC 5891 §4.4). This is enough to name and compare
/// the host a link points to; it does not check IDNA validity (a link's
/// host is data here, never looked up by this function), and it skips the
/// rarer mappings (NFKC, width folding) that a browser would apply.
fn to_a_labels(host: &str) -> String {
    host.split(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}'])
        .map(|label| {
            let lower = label.to_lowercase();
            if lower.is_ascii() {
                lower
            } else {
                match idna::punycode::encode_str(&lower) {
                    Some(encoded) => format!("xn--{encoded}"),
                    None => lower,
                }
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// True for a host that is an IP address rather than a name: dotted quad,
/// IPv6, or the obfuscated forms browsers still accept (one decimal or
/// hexadecimal number, octal or hex parts: the WHATWG IPv4 parser).
pub fn is_ip_literal(host: &str) -> bool {
    if host.is_empty() {
        return false;
    }
    if host.parse::<Ipv4Addr>().is_ok() || host.parse::<Ipv6Addr>().is_ok() {
        return true;
    }
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() <= 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && (p.bytes().all(|b| b.is_ascii_digit())
                    || (p.len() > 2
                        && starts_with_ignore_case(p, "0x")
                        && p.bytes().skip(2).all(|b| b.is_ascii_hexdigit())))
        })
}

/// True when `host` is a known URL shortener or a subdomain of one.
pub fn is_shortener(host: &str) -> bool {
    SHORTENERS
        .iter()
        .any(|s| host == *s || host.strip_suffix(s).is_some_and(|p| p.ends_with('.')))
}

/// The domain that link text shows, when it shows one: "www.shop.example",
/// "https://shop.example/login" or "Visit shop.example today". A token
/// counts when its last label is a top-level domain the Public Suffix List
/// names (so "e.g." and "report.pdf" do not).
pub fn domain_in_text(text: &str) -> Option<String> {
    for token in text.split(|c: char| {
        c.is_whitespace() || matches!(c, '(' | ')' | '<' | '>' | '"' | '\'' | ',' | '[' | ']')
    }) {
        if token.contains('@') {
            continue;
        }
        let candidate = if token.contains("://") || starts_with_ignore_case(token, "www.") {
            parse_url(token).host
        } else {
            let bare = token.trim_end_matches(['.', '!', '?', ':', ';']);
            let host = bare.split(['/', '?', '#']).next().unwrap_or_default();
            if !host.contains('.') {
                continue;
            }
            normalize_host(host)
        };
        let labels_ok = !candidate.is_empty()
            && candidate.split('.').all(|l| {
                !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        let tld = candidate.rsplit('.').next().unwrap_or_default();
        if labels_ok && candidate.contains('.') && is_listed_top_level(tld) {
            return Some(candidate);
        }
    }
    None
}

/// URLs written in plain text (RFC 3986 Appendix C: delimited by white
/// space, angle brackets or quotes): `http://`, `https://` and `www.`.
/// At most [`MAX_LINKS`] are returned; the count covers all.
pub fn urls_in_text(text: &str) -> (Vec<String>, u32) {
    let text = if text.len() > MAX_TEXT_SCAN_BYTES {
        let mut end = MAX_TEXT_SCAN_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
    } else {
        text
    };
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut seen = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        // Every prefix starts with h or w, in either case: any other byte
        // is passed over at once (most of a 1 MB body).
        if !matches!(bytes[i] | 0x20, b'h' | b'w') {
            i += 1;
            continue;
        }
        let rest = &bytes[i..];
        let starts = [&b"http://"[..], b"https://", b"www."]
            .iter()
            .any(|p| rest.len() >= p.len() && rest[..p.len()].eq_ignore_ascii_case(p));
        let at_word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if starts && at_word_start {
            let end = rest
                .iter()
                .position(|&b| {
                    b.is_ascii_whitespace() || matches!(b, b'<' | b'>' | b'"' | b'\'' | b'`')
                })
                .unwrap_or(rest.len());
            let url =
                text[i..i + end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '}']);
            seen = seen.saturating_add(1);
            if found.len() < MAX_LINKS && url.len() > 4 {
                found.push(url.to_string());
            }
            i += end.max(1);
        } else {
            i += 1;
        }
    }
    (found, seen)
}

/// Relaxed alignment of a link host with the From domain: the same
/// organizational domain (Public Suffix List).
pub fn is_aligned(host: &str, from_domain: &str) -> bool {
    organizational_domain(host) == organizational_domain(from_domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for (url, scheme, host) in [
            ("https://Shop.Example/path", "https", "shop.example"),
            ("http://user:pw@evil.example:8080/x", "http", "evil.example"),
            ("http://good.example@evil.example/", "http", "evil.example"),
            ("https:\\\\back.example\\x", "https", "back.example"),
            ("http://[2001:db8::1]:80/", "http", "2001:db8::1"),
            ("HTTP://EXAMPLE.COM.", "http", "example.com"),
            ("www.shop.example/sale", "http", "www.shop.example"),
            ("mailto:a@b.example", "mailto", ""),
            ("/relative", "", ""),
            (
                "http://b%C3%BCcher.example/",
                "http",
                "xn--bcher-kva.example",
            ),
            (
                "http://B\u{dc}CHER\u{3002}example/",
                "http",
                "xn--bcher-kva.example",
            ),
            (
                "https://\u{43f}\u{440}\u{438}\u{43c}\u{435}\u{440}.\u{440}\u{444}/",
                "https",
                "xn--e1afmkfd.xn--p1ai",
            ),
            ("", "", ""),
            ("://", "", ""),
        ] {
            let parts = parse_url(url);
            assert_eq!(
                (parts.scheme.as_str(), parts.host.as_str()),
                (scheme, host),
                "url: {url:?}"
            );
        }
    }

    #[test]
    fn ip_literals_shorteners() {
        for (host, ip) in [
            ("144.137.3.98", true),
            ("2001:db8::1", true),
            ("3232235777", true),
            ("0x7f.0x0.0x0.0x1", true),
            ("1.2.3.4.5", false),
            ("shop.example", false),
            ("123.example", false),
        ] {
            assert_eq!(is_ip_literal(host), ip, "host: {host}");
        }
        assert!(is_shortener("bit.ly") && is_shortener("sadecodetest.page.link"));
        assert!(!is_shortener("notbit.ly") && !is_shortener("shop.example"));
    }

    #[test]
    fn domains_shown_in_text() {
        for (text, domain) in [
            ("www.PayPal.com", Some("www.paypal.com")),
            ("https://bank.example.com/login", Some("bank.example.com")),
            ("Visit shop.co.uk today.", Some("shop.co.uk")),
            ("Read more", None),
            ("e.g. this", None),
            ("write to help@shop.example", None),
            ("version 1.2.3", None),
            ("report.pdf", None),
        ] {
            assert_eq!(domain_in_text(text).as_deref(), domain, "text: {text:?}");
        }
    }

    #[test]
    fn urls_in_plain_text() {
        let (urls, seen) = urls_in_text("See http://bit.ly/30yH6WK, or (www.shop.example/sale). xhttp://no https://ok.example/a?b=c.");
        assert_eq!(
            urls,
            [
                "http://bit.ly/30yH6WK",
                "www.shop.example/sale",
                "https://ok.example/a?b=c"
            ]
        );
        assert_eq!(seen, 3);
    }
}
