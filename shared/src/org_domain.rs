//! Organizational domains through the Public Suffix List (RFC 7489 §3.2),
//! shared by DMARC discovery and alignment.

/// The organizational domain of `name`: the public suffix plus one label.
/// Returns the name itself (lower-cased, no trailing dot) when it is a public
/// suffix or has no known suffix.
///
/// ```
/// use mxlens_shared::org_domain::organizational_domain;
/// assert_eq!(organizational_domain("Mail.Example.CO.UK."), "example.co.uk");
/// assert_eq!(organizational_domain("a.b.example.com"), "example.com");
/// ```
pub fn organizational_domain(name: &str) -> String {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    match psl::domain_str(&lower) {
        Some(org) => org.to_string(),
        None => lower,
    }
}

/// True when `name` is itself a public suffix (e.g. `co.uk`).
pub fn is_public_suffix(name: &str) -> bool {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    psl::suffix_str(&lower) == Some(lower.as_str())
}

/// Relaxed alignment (RFC 7489 §3.1): same organizational domain.
pub fn aligned_relaxed(a: &str, b: &str) -> bool {
    organizational_domain(a) == organizational_domain(b)
}

/// Strict alignment: identical domains (case-insensitive, no trailing dot).
pub fn aligned_strict(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_domains() {
        for (name, org) in [
            ("example.com", "example.com"),
            ("news.shop.example.com", "example.com"),
            ("bounce.example.co.uk", "example.co.uk"),
            ("co.uk", "co.uk"),
        ] {
            assert_eq!(organizational_domain(name), org, "{name}");
        }
        assert!(is_public_suffix("co.uk"));
        assert!(!is_public_suffix("example.co.uk"));
        assert!(aligned_relaxed("mail.example.com", "example.com"));
        assert!(!aligned_strict("mail.example.com", "example.com"));
    }
}
