//! Reading the host name out of an SMTP greeting.
//!
//! RFC 5321 §4.2:
//! ```text
//! Greeting = ( "220 " (Domain / address-literal) [ SP textstring ] CRLF ) /
//!            ( "220-" (Domain / address-literal) [ SP textstring ] CRLF
//!              *( "220-" [ textstring ] CRLF )
//!              "220" [ SP textstring ] CRLF )
//! ```

/// The host name a greeting announces: the first word after the reply code
/// on the first line, lower-cased, without a trailing dot. `None` when the
/// first line has no code or no word. Total: any input is accepted.
pub fn parse_greeting_host(banner: &str) -> Option<String> {
    let first = banner.lines().next()?;
    let code = first.get(..3)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = first.get(3..)?;
    let rest = rest
        .strip_prefix(' ')
        .or_else(|| rest.strip_prefix('-'))
        .unwrap_or(rest);
    let word = rest.split_whitespace().next()?;
    let word = word.trim_end_matches('.').to_ascii_lowercase();
    if word.is_empty() {
        None
    } else {
        Some(word)
    }
}

/// True when `name` looks like a fully qualified domain name: at least two
/// labels of letters, digits and hyphens (RFC 5321 §2.3.5).
pub fn is_fqdn(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_hosts() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "220 mx1.example.com ESMTP Postfix\r\n",
                Some("mx1.example.com"),
            ),
            (
                "220-MX.Example.COM. hi\r\n220 ready\r\n",
                Some("mx.example.com"),
            ),
            ("220 [192.0.2.1]\r\n", Some("[192.0.2.1]")),
            ("220\r\n", None),
            ("", None),
            ("\u{0}\u{ff}garbage", None),
            ("22", None),
            ("2é0 x", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_greeting_host(input).as_deref(),
                *want,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn fqdn() {
        assert!(is_fqdn("mx1.example.com"));
        assert!(is_fqdn("mx1.example.com."));
        assert!(!is_fqdn("localhost"));
        assert!(!is_fqdn("[192.0.2.1]"));
        assert!(!is_fqdn("-a.b"));
    }
}
