//! Mailbox syntax (RFC 5321 §4.1.2) and the rule for the mailbox probe's
//! address, checked the same way by the server, the CLI and the browser
//! (which says what is wrong before any request is made).

/// Longest local part (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_PART: usize = 64;
/// Longest domain (RFC 5321 §4.5.3.1.2).
pub const MAX_DOMAIN: usize = 255;

/// A mailbox, split at its last `@`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mailbox<'a> {
    /// The local part, as written (a quoted string keeps its quotes).
    pub local: &'a str,
    /// The domain or address literal.
    pub domain: &'a str,
}

/// Why a text is not a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxError {
    /// No `@`.
    NoAt,
    /// Nothing before the `@`.
    EmptyLocal,
    /// Nothing after the `@`.
    EmptyDomain,
    /// Over [`MAX_LOCAL_PART`] octets.
    LocalTooLong,
    /// Neither a dot-string nor a quoted string.
    BadLocal,
    /// Not a domain name or an address literal.
    BadDomain,
}

impl MailboxError {
    /// What is wrong, in words.
    pub fn words(self) -> &'static str {
        match self {
            MailboxError::NoAt => "it has no @domain",
            MailboxError::EmptyLocal => "nothing comes before the @",
            MailboxError::EmptyDomain => "nothing comes after the @",
            MailboxError::LocalTooLong => "the part before the @ is over 64 characters",
            MailboxError::BadLocal => {
                "the part before the @ has a space, a bracket or another character that needs quoting, or two dots in a row"
            }
            MailboxError::BadDomain => "the part after the @ is not a domain name",
        }
    }
}

/// RFC 5322 §3.2.3 atext; non-ASCII is allowed as in SMTPUTF8 (RFC 6531
/// §3.3).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

/// Dot-string = Atom *("." Atom) (RFC 5321 §4.1.2).
fn is_dot_string(s: &str) -> bool {
    s.split('.')
        .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

/// Quoted-string = DQUOTE *QcontentSMTP DQUOTE, where QcontentSMTP is
/// printable ASCII but `"` and `\`, or a backslash pair (RFC 5321 §4.1.2).
fn is_quoted_string(s: &str) -> bool {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return false;
    };
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if !chars.next().is_some_and(|n| (' '..='~').contains(&n)) {
                    return false;
                }
            }
            '"' => return false,
            c if (' '..='~').contains(&c) || !c.is_ascii() => {}
            _ => return false,
        }
    }
    true
}

/// A domain (dot-separated labels of letters, digits and hyphens, each 1 to
/// 63 octets, not starting or ending with a hyphen; non-ASCII labels as in
/// SMTPUTF8) or an address literal in brackets (RFC 5321 §4.1.2, §4.1.3).
fn is_domain(s: &str) -> bool {
    if let Some(literal) = s.strip_prefix('[') {
        return literal.len() > 1 && literal.ends_with(']');
    }
    let s = s.strip_suffix('.').unwrap_or(s);
    s.len() <= MAX_DOMAIN
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
        })
}

/// Parses `local@domain` (RFC 5321 §4.1.2 Mailbox).
///
/// ```
/// use mxlens_shared::smtp::mailbox::{parse_mailbox, MailboxError};
/// let m = parse_mailbox("bob.smith@shop.test").unwrap();
/// assert_eq!((m.local, m.domain), ("bob.smith", "shop.test"));
/// assert!(parse_mailbox("\"bob smith\"@shop.test").is_ok());
/// assert_eq!(parse_mailbox("bob smith@shop.test"), Err(MailboxError::BadLocal));
/// assert_eq!(parse_mailbox("bob"), Err(MailboxError::NoAt));
/// ```
pub fn parse_mailbox(text: &str) -> Result<Mailbox<'_>, MailboxError> {
    let at = text.rfind('@').ok_or(MailboxError::NoAt)?;
    let (local, domain) = (&text[..at], &text[at + 1..]);
    if local.is_empty() {
        return Err(MailboxError::EmptyLocal);
    }
    if domain.is_empty() {
        return Err(MailboxError::EmptyDomain);
    }
    if local.len() > MAX_LOCAL_PART {
        return Err(MailboxError::LocalTooLong);
    }
    if !is_dot_string(local) && !is_quoted_string(local) {
        return Err(MailboxError::BadLocal);
    }
    if !is_domain(domain) {
        return Err(MailboxError::BadDomain);
    }
    Ok(Mailbox { local, domain })
}

/// The mailbox probe's address: a mailbox (RFC 5321 §4.1.2) at `audited`
/// itself, since the probe only asks the audited domain's own mail server
/// about its own addresses. The domains are compared as ASCII, case and a
/// trailing dot aside (the server turns an internationalized domain into
/// its A-label first). Returns the address trimmed, or what is wrong in
/// words for the Address field.
///
/// ```
/// use mxlens_shared::smtp::mailbox::probe_address;
/// assert_eq!(probe_address("shop.test", " Bob@Shop.Test. ").unwrap(), "Bob@Shop.Test.");
/// assert!(probe_address("shop.test", "bob@other.test").unwrap_err().contains("is not an address at the audited domain shop.test"));
/// ```
pub fn probe_address(audited: &str, address: &str) -> Result<String, String> {
    let audited = audited.trim().trim_end_matches('.');
    let address = address.trim();
    let problem = match parse_mailbox(address) {
        Ok(m) if m.domain.trim_end_matches('.').eq_ignore_ascii_case(audited) => {
            return Ok(address.to_string())
        }
        Ok(_) => String::new(),
        Err(e) => format!(" ({})", e.words()),
    };
    Err(format!(
        "\"{address}\" is not an address at the audited domain {audited}{problem}: write it as name@{audited}. The probe only asks {audited}'s own mail server about its own addresses."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes_of_rfc_5321() {
        for ok in [
            "bob@shop.test",
            "b.o.b+tag@mail.shop.test",
            "o'neil@shop.test",
            "\"bob smith\"@shop.test",
            "\"a\\\"b\"@shop.test",
            "bob@[192.0.2.1]",
            "bob@shop.test.",
            "jörg@bücher.example",
            "a@b",
        ] {
            assert!(parse_mailbox(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("bob", MailboxError::NoAt),
            ("@shop.test", MailboxError::EmptyLocal),
            ("bob@", MailboxError::EmptyDomain),
            ("bob smith@shop.test", MailboxError::BadLocal),
            ("bob..smith@shop.test", MailboxError::BadLocal),
            (".bob@shop.test", MailboxError::BadLocal),
            ("<bob>@shop.test", MailboxError::BadLocal),
            ("\"bob@shop.test", MailboxError::BadLocal),
            ("\"a\"b\"@shop.test", MailboxError::BadLocal),
            ("bob@shop..test", MailboxError::BadDomain),
            ("bob@-shop.test", MailboxError::BadDomain),
            ("bob@shop_test", MailboxError::BadDomain),
            ("bob@shop test", MailboxError::BadDomain),
            ("bob@[]", MailboxError::BadDomain),
            ("bob@shop.test\r\nRCPT TO:<x@y>", MailboxError::BadLocal),
            ("bob@shop.test\r\nQUIT", MailboxError::BadDomain),
        ] {
            assert_eq!(parse_mailbox(bad), Err(why), "{bad:?}");
        }
        let long = format!("{}@shop.test", "a".repeat(65));
        assert_eq!(parse_mailbox(&long), Err(MailboxError::LocalTooLong));
        let label = format!("bob@{}.test", "a".repeat(64));
        assert_eq!(parse_mailbox(&label), Err(MailboxError::BadDomain));
    }

    #[test]
    fn the_probe_takes_only_addresses_at_the_audited_domain() {
        assert_eq!(
            probe_address("shop.test.", "bob@SHOP.test").unwrap(),
            "bob@SHOP.test"
        );
        let other = probe_address("shop.test", "bob@other.test").unwrap_err();
        assert!(other.starts_with("\"bob@other.test\" is not an address at the audited domain shop.test: write it as name@shop.test."), "{other}");
        let bad = probe_address("shop.test", "not-an-address").unwrap_err();
        assert!(bad.starts_with("\"not-an-address\" is not an address at the audited domain shop.test (it has no @domain)"), "{bad}");
        // Hostile input: every byte sequence gets words, never a panic.
        for hostile in ["", "@", "@@", "\"", "\\", "a@\u{0}", &"@".repeat(10_000)] {
            assert!(probe_address("shop.test", hostile).is_err(), "{hostile:?}");
        }
    }
}
