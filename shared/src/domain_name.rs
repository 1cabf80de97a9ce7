//! Turning what users type into a domain name we can query.
//!
//! Accepts Unicode (IDNA via the `idna` crate), trailing dots, upper case,
//! surrounding whitespace, pasted URLs and e-mail addresses, and strips
//! zero-width characters. Anything else is refused with a clear message.

use thiserror::Error;

/// Why an input is not a usable domain.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainInputError {
    /// Nothing left after trimming.
    #[error("enter a domain name, for example example.com")]
    Empty,
    /// IDNA conversion failed (invalid characters or labels).
    #[error("\"{0}\" is not a valid domain name")]
    Invalid(String),
    /// A single label such as `localhost`.
    #[error("\"{0}\" is not a fully qualified domain name (it needs a dot, like example.com)")]
    NotQualified(String),
    /// Longer than 253 octets or a label longer than 63 (RFC 1035 §2.3.4).
    #[error("\"{0}\" is too long for a domain name")]
    TooLong(String),
    /// An IP address instead of a name.
    #[error("\"{0}\" is an IP address; enter a domain name")]
    IpAddress(String),
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Normalises user input to an ASCII (A-label) domain without trailing dot.
///
/// ```
/// use mxlens_shared::domain_name::normalize_domain;
/// assert_eq!(normalize_domain("  Example.COM. ").unwrap(), "example.com");
/// assert_eq!(normalize_domain("https://www.example.com/path?q=1").unwrap(), "www.example.com");
/// assert_eq!(normalize_domain("user@Example.com").unwrap(), "example.com");
/// assert_eq!(normalize_domain("bücher.example").unwrap(), "xn--bcher-kva.example");
/// assert!(normalize_domain("not a domain").is_err());
/// ```
pub fn normalize_domain(input: &str) -> Result<String, DomainInputError> {
    let cleaned: String = input.chars().filter(|c| !is_invisible(*c)).collect();
    let mut s = cleaned.trim();
    if s.is_empty() {
        return Err(DomainInputError::Empty);
    }
    // A pasted URL: keep the authority.
    if let Some(pos) = s.find("://") {
        s = &s[pos + 3..];
        s = s.split(['/', '?', '#']).next().unwrap_or("");
        // userinfo@host:port
        if let Some(at) = s.rfind('@') {
            s = &s[at + 1..];
        }
        if !s.starts_with('[') {
            if let Some(colon) = s.rfind(':') {
                if s[colon + 1..].chars().all(|c| c.is_ascii_digit()) {
                    s = &s[..colon];
                }
            }
        }
    } else if let Some(rest) = s.strip_prefix("mailto:") {
        s = rest;
    }
    // An e-mail address, possibly in angle brackets.
    let s = s.trim_matches(|c| c == '<' || c == '>');
    let s = match s.rfind('@') {
        Some(at) => &s[at + 1..],
        None => s,
    };
    let s = s.trim().trim_end_matches('.');
    if s.is_empty() {
        return Err(DomainInputError::Empty);
    }
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Err(DomainInputError::IpAddress(bare.to_string()));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(DomainInputError::Invalid(s.to_string()));
    }
    let ascii = idna::domain_to_ascii(s).map_err(|_| DomainInputError::Invalid(s.to_string()))?;
    if ascii.is_empty() {
        return Err(DomainInputError::Invalid(s.to_string()));
    }
    // Host names only: letters, digits, hyphen and underscore (DKIM/DMARC
    // labels use `_`), RFC 1123 §2.1.
    let labels_ok = ascii.split('.').all(|l| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if !labels_ok {
        return Err(DomainInputError::Invalid(s.to_string()));
    }
    if ascii.len() > 253 || ascii.split('.').any(|l| l.len() > 63) {
        return Err(DomainInputError::TooLong(s.to_string()));
    }
    if !ascii.contains('.') {
        return Err(DomainInputError::NotQualified(s.to_string()));
    }
    Ok(ascii)
}

/// True when `domain` is already what [`normalize_domain`] gives: lower-case
/// ASCII labels of letters, digits, `-` and `_` (RFC 1123 §2.1; `_` for
/// DKIM/DMARC names), none empty, none starting or ending with `-`, at most
/// 63 octets each and 253 in all, at least two labels, no trailing dot,
/// not an IP address. It needs no IDNA tables (~45 KB gzip in the browser
/// bundle, where DKIM verification calls it): a name with any non-ASCII
/// character is not normalized. Unlike `normalize_domain` it does not check
/// that an `xn--` label is valid Punycode; such a name is only looked up.
pub fn is_normalized_ascii(domain: &str) -> bool {
    let labels_ok = domain.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    });
    labels_ok
        && domain.len() <= 253
        && domain.contains('.')
        && domain.parse::<std::net::IpAddr>().is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`is_normalized_ascii`] agrees with `normalize_domain(d) == d` on
    /// every ASCII name but invalid `xn--` labels (RFC 3492 Punycode that
    /// does not decode), which only the full IDNA check refuses.
    #[test]
    fn normalized_ascii_agrees_with_normalize_domain() {
        let mut names: Vec<String> = [
            "example.com",
            "EXAMPLE.com",
            "example.com.",
            "a.b",
            "a",
            "_dmarc.example.com",
            "s1._domainkey.example.org",
            "-a.example",
            "a-.example",
            "a--b.example",
            "1.2.3.4",
            "1.2.3.4.example",
            "a..b",
            ".a.b",
            "a b.c",
            "a@b.c",
            "http://a.b",
            "[::1]",
            "::1",
            "xn--mnchen-3ya.de",
            "ex_ample.com",
            "ex*ample.com",
            "",
            "a.b/c",
            "a.b:25",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        names.push(format!("{}.com", "a".repeat(63)));
        names.push(format!("{}.com", "a".repeat(64)));
        names.push(format!("{}.com", "abcdefghi.".repeat(25)));
        names.push(format!("{}com", "abcdefghi.".repeat(25)));
        for name in &names {
            assert_eq!(
                is_normalized_ascii(name),
                normalize_domain(name).is_ok_and(|d| d == *name),
                "{name:?}"
            );
        }
        // Every short name over a small alphabet, exhaustively.
        let alphabet = ['a', 'Z', '0', '-', '_', '.', '@', ' '];
        let mut count = 0;
        for len in 1..=5 {
            let mut index = vec![0usize; len];
            loop {
                let name: String = index.iter().map(|&i| alphabet[i]).collect();
                assert_eq!(
                    is_normalized_ascii(&name),
                    normalize_domain(&name).is_ok_and(|d| d == name),
                    "{name:?}"
                );
                count += 1;
                let mut k = 0;
                while k < len {
                    index[k] += 1;
                    if index[k] < alphabet.len() {
                        break;
                    }
                    index[k] = 0;
                    k += 1;
                }
                if k == len {
                    break;
                }
            }
        }
        assert_eq!(count, 8 + 64 + 512 + 4096 + 32768);
    }

    #[test]
    fn accepted_forms() {
        let cases = [
            ("example.com", "example.com"),
            ("EXAMPLE.com.", "example.com"),
            ("\u{200B}exa\u{200D}mple.com\u{FEFF}", "example.com"),
            ("http://user:pw@mail.example.com:8443/x", "mail.example.com"),
            ("<Bob@Example.org>", "example.org"),
            ("mailto:bob@example.net", "example.net"),
            ("münchen.de", "xn--mnchen-3ya.de"),
            ("_dmarc.example.com", "_dmarc.example.com"),
        ];
        for (input, want) in cases {
            assert_eq!(
                normalize_domain(input).as_deref(),
                Ok(want),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn refused_forms() {
        let cases = [
            "",
            "   ",
            "localhost",
            "exa mple.com",
            "192.0.2.1",
            "[2001:db8::1]",
            "-bad.example",
            "a..b",
            "ex!ample.com",
            "foo.example\n.com",
        ];
        for input in cases {
            assert!(
                normalize_domain(input).is_err(),
                "input {input:?} was accepted"
            );
        }
        let long = format!("{}.com", "a".repeat(64));
        assert!(matches!(
            normalize_domain(&long),
            Err(DomainInputError::TooLong(_))
        ));
    }
}
