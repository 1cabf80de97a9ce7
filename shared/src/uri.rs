//! Minimal, total URI checks for report and asset URIs in DNS records:
//! DMARC `rua`/`ruf` (RFC 7489 §6.2), TLS-RPT `rua` (RFC 8460 §3) and
//! BIMI `l`/`a`. Syntax after RFC 3986 §3; `mailto:` after RFC 6068 §2.

/// What a syntactically valid URI contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriParts {
    /// The scheme, lower-cased.
    pub scheme: String,
    /// For `mailto:`, the addr-spec (RFC 6068 §2), percent-decoding not applied.
    pub mailto_address: Option<String>,
    /// The domain of the mailto address, or the host of an `http(s)` URI,
    /// lower-cased.
    pub host: Option<String>,
}

/// Why a URI is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// Empty string.
    #[error("the URI is empty")]
    Empty,
    /// No `scheme:` prefix (RFC 3986 §3.1).
    #[error("`{0}` has no scheme (like `mailto:` or `https:`)")]
    NoScheme(String),
    /// A character not allowed in a URI, or a bad `%` escape (RFC 3986 §2).
    #[error("`{uri}` contains an invalid character or escape at byte {offset}")]
    InvalidCharacter {
        /// The URI.
        uri: String,
        /// Byte offset inside the URI.
        offset: u32,
    },
    /// A mailto without a valid `local@domain` (RFC 6068 §2).
    #[error("`{0}` is not a valid mailto address (expected mailto:local@domain)")]
    BadMailto(String),
    /// An http(s) URI without a host (RFC 3986 §3.2.2).
    #[error("`{0}` has no valid host")]
    BadHost(String),
}

fn is_uri_char(b: u8) -> bool {
    // RFC 3986 §2.2 reserved + §2.3 unreserved; '%' handled separately.
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b)
}

/// True for a host name made of LDH labels (RFC 5321 §4.1.2 `Domain`):
/// letters, digits and inner hyphens, 1–63 bytes per label, no empty label.
pub fn is_ldh_domain(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Checks `uri` and returns its parts.
///
/// ```
/// use mxlens_shared::uri::check_uri;
/// let parts = check_uri("mailto:dmarc@Example.com").unwrap();
/// assert_eq!(parts.host.as_deref(), Some("example.com"));
/// assert!(check_uri("bogus").is_err());
/// ```
pub fn check_uri(uri: &str) -> Result<UriParts, UriError> {
    if uri.is_empty() {
        return Err(UriError::Empty);
    }
    let bytes = uri.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err(UriError::InvalidCharacter {
                    uri: uri.to_string(),
                    offset: i as u32,
                });
            }
            i += 3;
            continue;
        }
        if !is_uri_char(b) {
            return Err(UriError::InvalidCharacter {
                uri: uri.to_string(),
                offset: i as u32,
            });
        }
        i += 1;
    }
    let Some(colon) = uri.find(':') else {
        return Err(UriError::NoScheme(uri.to_string()));
    };
    let scheme = &uri[..colon];
    let scheme_ok = scheme
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok {
        return Err(UriError::NoScheme(uri.to_string()));
    }
    let scheme = scheme.to_ascii_lowercase();
    let rest = &uri[colon + 1..];
    match scheme.as_str() {
        "mailto" => {
            let address = rest.split('?').next().unwrap_or("");
            let (local, domain) = address
                .rsplit_once('@')
                .ok_or_else(|| UriError::BadMailto(uri.to_string()))?;
            if local.is_empty() || !is_ldh_domain(domain) {
                return Err(UriError::BadMailto(uri.to_string()));
            }
            Ok(UriParts {
                scheme,
                mailto_address: Some(address.to_string()),
                host: Some(domain.trim_end_matches('.').to_ascii_lowercase()),
            })
        }
        "http" | "https" => {
            let authority = rest
                .strip_prefix("//")
                .ok_or_else(|| UriError::BadHost(uri.to_string()))?;
            let authority = authority.split(['/', '?', '#']).next().unwrap_or("");
            let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let host = match host_port.rsplit_once(':') {
                Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
                _ => host_port,
            };
            let ip_literal = host.starts_with('[') && host.ends_with(']');
            if !ip_literal && !is_ldh_domain(host) {
                return Err(UriError::BadHost(uri.to_string()));
            }
            Ok(UriParts {
                scheme,
                mailto_address: None,
                host: Some(host.to_ascii_lowercase()),
            })
        }
        _ => Ok(UriParts {
            scheme,
            mailto_address: None,
            host: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        for (uri, ok) in [
            ("mailto:a@example.com", true),
            ("mailto:a@example.com?subject=x", true),
            ("https://example.com/tlsrpt", true),
            ("https://example.com:8443/x", true),
            ("http://bad/%", false),
            ("noscheme", false),
            ("mailto:example.com", false),
            ("mailto:a@", false),
            ("https:///x", false),
            ("mailto:a b@example.com", false),
            ("", false),
        ] {
            assert_eq!(check_uri(uri).is_ok(), ok, "{uri}");
        }
    }
}
