//! Macro-strings (RFC 7208 §7): parsing with diagnostics, and expansion.

use std::net::IpAddr;

use super::model::{
    Diagnostic, MacroEscape, MacroExpand, MacroItem, MacroLetter, MacroString, Severity, Span,
};

const RFC_MACROS: &str = "RFC 7208 §7.1";

/// Which grammar a macro-string follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroMode {
    /// `macro-string` in a domain-spec or unknown modifier: no spaces, and
    /// the letters `c`, `r`, `t` are not allowed (RFC 7208 §7.1).
    Domain,
    /// `explain-string` (the TXT record named by `exp=`): spaces allowed,
    /// all letters allowed.
    Explanation,
}

fn diag(
    span: (usize, usize),
    code: &'static str,
    rfc: &'static str,
    message: String,
) -> Diagnostic {
    Diagnostic {
        span: Span::new(span.0, span.1),
        code,
        severity: Severity::Error,
        rfc,
        message,
    }
}

fn push_literal(items: &mut Vec<MacroItem>, run: &str) {
    if let Some(MacroItem::Literal(s)) = items.last_mut() {
        s.push_str(run);
    } else {
        items.push(MacroItem::Literal(run.to_string()));
    }
}

/// `macro-literal = %x21-24 / %x26-7E`, plus SP in explain-strings.
fn is_literal(c: char, mode: MacroMode) -> bool {
    (c != '%' && ('\x21'..='\x7e').contains(&c)) || (c == ' ' && mode == MacroMode::Explanation)
}

/// Parses a macro-string. `offset` is the byte position of `text` in the
/// record, for diagnostic spans. Total: invalid pieces are reported and
/// skipped.
pub fn parse_macro_string(
    text: &str,
    offset: usize,
    mode: MacroMode,
    diagnostics: &mut Vec<Diagnostic>,
) -> MacroString {
    let mut items = Vec::new();
    let bytes = text.as_bytes();
    let mut chars = text.char_indices().peekable();
    while let Some((pos, c)) = chars.next() {
        if c == '%' {
            match bytes.get(pos + 1) {
                Some(b'%') => {
                    chars.next();
                    items.push(MacroItem::Escape(MacroEscape::Percent));
                }
                Some(b'_') => {
                    chars.next();
                    items.push(MacroItem::Escape(MacroEscape::Space));
                }
                Some(b'-') => {
                    chars.next();
                    items.push(MacroItem::Escape(MacroEscape::UrlSpace));
                }
                Some(b'{') => {
                    chars.next();
                    let body_start = pos + 2;
                    let close = text[body_start..].find('}').map(|i| body_start + i);
                    let Some(close) = close else {
                        diagnostics.push(diag(
                            (offset + pos, offset + text.len()),
                            "spf.syntax.macro-unterminated",
                            RFC_MACROS,
                            format!("macro `{}` has no closing `}}`", &text[pos..]),
                        ));
                        return MacroString { items };
                    };
                    // Skip the body in the character iterator.
                    while chars.peek().is_some_and(|(p, _)| *p <= close) {
                        chars.next();
                    }
                    let span = (offset + pos, offset + close + 1);
                    if let Some(expand) =
                        parse_expand(&text[body_start..close], span, mode, diagnostics)
                    {
                        items.push(MacroItem::Expand(expand));
                    }
                }
                _ => {
                    let end = pos + 1 + text[pos + 1..].chars().next().map_or(0, char::len_utf8);
                    diagnostics.push(diag(
                        (offset + pos, offset + end),
                        "spf.syntax.macro-percent",
                        RFC_MACROS,
                        format!(
                            "`{}`: a `%` must be followed by `{{`, `%`, `_` or `-`",
                            &text[pos..end]
                        ),
                    ));
                }
            }
        } else if is_literal(c, mode) {
            // Take the whole run of literal (ASCII) characters at once.
            let mut end = pos + 1;
            while let Some(&(p, next)) = chars.peek() {
                if !is_literal(next, mode) {
                    break;
                }
                chars.next();
                end = p + 1;
            }
            push_literal(&mut items, &text[pos..end]);
        } else {
            diagnostics.push(diag(
                (offset + pos, offset + pos + c.len_utf8()),
                "spf.syntax.invalid-character",
                "RFC 7208 §3.1",
                format!(
                    "character {:?} (U+{:04X}) is not allowed: SPF records are visible 7-bit ASCII",
                    c, c as u32
                ),
            ));
        }
    }
    MacroString { items }
}

fn parse_expand(
    body: &str,
    span: (usize, usize),
    mode: MacroMode,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<MacroExpand> {
    let mut chars = body.chars();
    let Some(first) = chars.next() else {
        diagnostics.push(diag(
            span,
            "spf.syntax.macro-letter",
            RFC_MACROS,
            "empty macro `%{}`".to_string(),
        ));
        return None;
    };
    let Some(letter) = MacroLetter::from_char(first).filter(|_| first.is_ascii()) else {
        diagnostics.push(diag(
            span,
            "spf.syntax.macro-letter",
            RFC_MACROS,
            format!("`{first}` is not a macro letter (slodipvh, and crt in explanations)"),
        ));
        return None;
    };
    if mode == MacroMode::Domain && letter.is_explanation_only() {
        diagnostics.push(diag(
            span,
            "spf.syntax.macro-letter",
            RFC_MACROS,
            format!("macro letter `{first}` is allowed only in explanation strings"),
        ));
        return None;
    }
    let rest = chars.as_str();
    let digits_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let keep = if digits_len > 0 {
        let digits = &rest[..digits_len];
        // Values above 128 parts behave like 128 (RFC 7208 §7.3 asks for
        // support of at least 128 parts); saturate instead of overflowing.
        let value = digits.parse::<u32>().unwrap_or(u32::MAX);
        if value == 0 {
            diagnostics.push(diag(
                span,
                "spf.syntax.macro-transformer",
                "RFC 7208 §7.3",
                "the digit transformer must be non-zero".to_string(),
            ));
            return None;
        }
        Some(value)
    } else {
        None
    };
    let mut rest = &rest[digits_len..];
    let mut reverse = false;
    if rest.starts_with(['r', 'R']) {
        reverse = true;
        rest = &rest[1..];
    }
    if let Some(bad) = rest.chars().find(|c| !".-+,/_=".contains(*c)) {
        diagnostics.push(diag(
            span,
            "spf.syntax.macro-delimiter",
            RFC_MACROS,
            format!("`{bad}` is not a macro delimiter (one of `.-+,/_=`)"),
        ));
        return None;
    }
    Some(MacroExpand {
        letter,
        url_escape: first.is_ascii_uppercase(),
        keep,
        reverse,
        delimiters: rest.to_string(),
    })
}

/// The values macros expand to (RFC 7208 §7.2).
#[derive(Debug, Clone)]
pub struct MacroContext<'a> {
    /// `s`: the sender, `local-part@domain`.
    pub sender: &'a str,
    /// `l`.
    pub local_part: &'a str,
    /// `o`.
    pub sender_domain: &'a str,
    /// `d`: the current domain.
    pub domain: &'a str,
    /// `i`, `c`, `v`.
    pub ip: IpAddr,
    /// `h`.
    pub helo: &'a str,
    /// `r`.
    pub receiver: &'a str,
    /// `t`, seconds since the Unix epoch.
    pub timestamp: u64,
    /// `p`, already computed (`unknown` when not validated).
    pub validated_name: Option<&'a str>,
}

/// True when expanding `s` needs the `p` macro, which costs DNS lookups.
pub fn needs_validated_name(s: &MacroString) -> bool {
    s.items.iter().any(|i| {
        matches!(
            i,
            MacroItem::Expand(MacroExpand {
                letter: MacroLetter::ValidatedName,
                ..
            })
        )
    })
}

/// The `i` macro value: dotted quad, or 32 dot-separated nibbles for IPv6
/// (RFC 7208 §7.3). Nibbles are written upper-case, as the openspf suite
/// expects; DNS names are case-insensitive.
pub fn dotted_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let mut out = String::with_capacity(63);
            for byte in v6.octets() {
                for nibble in [byte >> 4, byte & 0xf] {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push(
                        char::from_digit(u32::from(nibble), 16)
                            .map_or('0', |c| c.to_ascii_uppercase()),
                    );
                }
            }
            out
        }
    }
}

/// Expands a macro-string with the context values.
pub fn expand(s: &MacroString, ctx: &MacroContext<'_>) -> String {
    let mut out = String::new();
    for item in &s.items {
        match item {
            MacroItem::Literal(l) => out.push_str(l),
            MacroItem::Escape(e) => out.push_str(e.expansion()),
            MacroItem::Expand(e) => out.push_str(&expand_one(e, ctx)),
        }
    }
    out
}

fn expand_one(e: &MacroExpand, ctx: &MacroContext<'_>) -> String {
    let value: String = match e.letter {
        MacroLetter::Sender => ctx.sender.to_string(),
        MacroLetter::LocalPart => ctx.local_part.to_string(),
        MacroLetter::SenderDomain => ctx.sender_domain.to_string(),
        MacroLetter::Domain => ctx.domain.to_string(),
        MacroLetter::Ip => dotted_ip(ctx.ip),
        MacroLetter::ValidatedName => ctx.validated_name.unwrap_or("unknown").to_string(),
        MacroLetter::Helo => ctx.helo.to_string(),
        MacroLetter::ClientIp => ctx.ip.to_string(),
        MacroLetter::Receiver => ctx.receiver.to_string(),
        MacroLetter::Timestamp => ctx.timestamp.to_string(),
        MacroLetter::IpVersion => match ctx.ip {
            IpAddr::V4(_) => "in-addr".to_string(),
            IpAddr::V6(_) => "ip6".to_string(),
        },
    };
    let delimiters = if e.delimiters.is_empty() {
        "."
    } else {
        e.delimiters.as_str()
    };
    let mut parts: Vec<&str> = value.split(|c| delimiters.contains(c)).collect();
    if e.reverse {
        parts.reverse();
    }
    if let Some(keep) = e.keep {
        let keep = keep as usize;
        if keep < parts.len() {
            parts.drain(..parts.len() - keep);
        }
    }
    let joined = parts.join(".");
    if e.url_escape {
        url_escape(&joined)
    } else {
        joined
    }
}

/// Percent-encodes everything outside the URI unreserved set
/// (`ALPHA / DIGIT / "-" / "." / "_" / "~"`, RFC 7208 §7.3).
pub fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(ip: &str) -> MacroContext<'static> {
        MacroContext {
            sender: "strong-bad@email.example.com",
            local_part: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            ip: ip.parse().unwrap(),
            helo: "mx.example.org",
            receiver: "unknown",
            timestamp: 0,
            validated_name: None,
        }
    }

    #[test]
    fn rfc_7208_section_7_4_examples() {
        let cases = [
            ("%{s}", "strong-bad@email.example.com"),
            ("%{o}", "email.example.com"),
            ("%{d}", "email.example.com"),
            ("%{d4}", "email.example.com"),
            ("%{d3}", "email.example.com"),
            ("%{d2}", "example.com"),
            ("%{d1}", "com"),
            ("%{dr}", "com.example.email"),
            ("%{d2r}", "example.email"),
            ("%{l}", "strong-bad"),
            ("%{l-}", "strong.bad"),
            ("%{lr}", "strong-bad"),
            ("%{lr-}", "bad.strong"),
            ("%{l1r-}", "strong"),
            (
                "%{ir}.%{v}._spf.%{d2}",
                "3.2.0.192.in-addr._spf.example.com",
            ),
            ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
            (
                "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
                "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
            ),
            (
                "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
                "3.2.0.192.in-addr.strong.lp._spf.example.com",
            ),
            (
                "%{d2}.trusted-domains.example.net",
                "example.com.trusted-domains.example.net",
            ),
        ];
        for (input, want) in cases {
            let mut d = Vec::new();
            let m = parse_macro_string(input, 0, MacroMode::Domain, &mut d);
            assert!(d.is_empty(), "{input}: {d:?}");
            assert_eq!(expand(&m, &ctx("192.0.2.3")), want, "{input}");
            assert_eq!(m.to_string(), input, "{input}");
        }
        let mut d = Vec::new();
        let m = parse_macro_string("%{ir}.%{v}._spf.%{d2}", 0, MacroMode::Domain, &mut d);
        assert_eq!(
            expand(&m, &ctx("2001:db8::cb01")).to_ascii_lowercase(),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
    }

    #[test]
    fn invalid_macros_are_diagnosed() {
        for (input, mode) in [
            ("%{a}", MacroMode::Domain),
            ("%(ir)", MacroMode::Domain),
            ("foo%", MacroMode::Domain),
            ("%{c}", MacroMode::Domain),
            ("%{d0}", MacroMode::Domain),
            ("%{d", MacroMode::Domain),
            ("%{dx}", MacroMode::Domain),
            ("a b", MacroMode::Domain),
            ("The %{x}-files.", MacroMode::Explanation),
        ] {
            let mut d = Vec::new();
            parse_macro_string(input, 0, mode, &mut d);
            assert!(!d.is_empty(), "{input}");
        }
        let mut d = Vec::new();
        parse_macro_string("%{c} at %{t} by %{r}", 0, MacroMode::Explanation, &mut d);
        assert!(d.is_empty());
    }

    #[test]
    fn upper_case_macros_are_url_escaped() {
        let mut d = Vec::new();
        let m = parse_macro_string("%{L}", 0, MacroMode::Domain, &mut d);
        let mut c = ctx("192.0.2.3");
        c.local_part = "~jack&jill=up-a_b3.c";
        assert_eq!(expand(&m, &c), "~jack%26jill%3Dup-a_b3.c");
    }
}
