//! The SPF record model: one type per ABNF production of RFC 7208 §12.
//!
//! `Display` prints the canonical form (lower-case mechanism and modifier
//! names, no `+` qualifier, no redundant white space); parsing that text
//! gives back an equal value (tested by a property test).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

pub use crate::diagnostic::{Diagnostic, Severity, Span};

/// ```text
/// record           = version terms *SP
/// version          = "v=spf1"
/// terms            = *( 1*SP ( directive / modifier ) )
/// ```
/// (RFC 7208 §4.5, §12). The version is implied by the type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfRecord {
    /// The terms, in record order.
    pub terms: Vec<Term>,
}

/// ```text
/// directive / modifier
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    /// A mechanism with its qualifier.
    Directive(Directive),
    /// A `name=value` modifier.
    Modifier(Modifier),
}

/// ```text
/// directive        = [ qualifier ] mechanism
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directive {
    /// The qualifier; `+` when absent (RFC 7208 §4.6.2).
    pub qualifier: Qualifier,
    /// The mechanism.
    pub mechanism: Mechanism,
}

/// ```text
/// qualifier        = "+" / "-" / "?" / "~"
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualifier {
    /// `+`: pass.
    Pass,
    /// `-`: fail.
    Fail,
    /// `~`: softfail.
    SoftFail,
    /// `?`: neutral.
    Neutral,
}

impl Qualifier {
    /// The qualifier character.
    pub fn symbol(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }

    /// The qualifier for a character, if it is one.
    pub fn from_symbol(c: char) -> Option<Self> {
        match c {
            '+' => Some(Qualifier::Pass),
            '-' => Some(Qualifier::Fail),
            '~' => Some(Qualifier::SoftFail),
            '?' => Some(Qualifier::Neutral),
            _ => None,
        }
    }
}

/// ```text
/// mechanism        = ( all / include
///                    / a / mx / ptr / ip4 / ip6 / exists )
/// all              = "all"
/// include          = "include"  ":" domain-spec
/// a                = "a"      [ ":" domain-spec ] [ dual-cidr-length ]
/// mx               = "mx"     [ ":" domain-spec ] [ dual-cidr-length ]
/// ptr              = "ptr"    [ ":" domain-spec ]
/// ip4              = "ip4"      ":" ip4-network   [ ip4-cidr-length ]
/// ip6              = "ip6"      ":" ip6-network   [ ip6-cidr-length ]
/// exists           = "exists"   ":" domain-spec
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    /// `all` (RFC 7208 §5.1).
    All,
    /// `include:domain-spec` (§5.2).
    Include(DomainSpec),
    /// `a[:domain-spec][dual-cidr-length]` (§5.3).
    A {
        /// Target; `<domain>` when absent.
        domain: Option<DomainSpec>,
        /// Prefix lengths.
        cidr: DualCidrLength,
    },
    /// `mx[:domain-spec][dual-cidr-length]` (§5.4).
    Mx {
        /// Target; `<domain>` when absent.
        domain: Option<DomainSpec>,
        /// Prefix lengths.
        cidr: DualCidrLength,
    },
    /// `ptr[:domain-spec]` (§5.5; SHOULD NOT be used).
    Ptr(Option<DomainSpec>),
    /// `ip4:ip4-network[ip4-cidr-length]` (§5.6).
    Ip4 {
        /// The network address.
        network: Ipv4Addr,
        /// The prefix length (0–32), when given.
        prefix: Option<u8>,
    },
    /// `ip6:ip6-network[ip6-cidr-length]` (§5.6).
    Ip6 {
        /// The network address.
        network: Ipv6Addr,
        /// The prefix length (0–128), when given.
        prefix: Option<u8>,
    },
    /// `exists:domain-spec` (§5.7).
    Exists(DomainSpec),
}

impl Mechanism {
    /// The mechanism name, lower-case.
    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::All => "all",
            Mechanism::Include(_) => "include",
            Mechanism::A { .. } => "a",
            Mechanism::Mx { .. } => "mx",
            Mechanism::Ptr(_) => "ptr",
            Mechanism::Ip4 { .. } => "ip4",
            Mechanism::Ip6 { .. } => "ip6",
            Mechanism::Exists(_) => "exists",
        }
    }

    /// True for the terms that count against the limit of 10 DNS-querying
    /// terms (RFC 7208 §4.6.4): include, a, mx, ptr and exists.
    pub fn queries_dns(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_)
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr(_)
                | Mechanism::Exists(_)
        )
    }
}

/// ```text
/// dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
/// ip4-cidr-length  = "/" ("0" / %x31-39 0*1DIGIT) ; value range 0-32
/// ip6-cidr-length  = "/" ("0" / %x31-39 0*2DIGIT) ; value range 0-128
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DualCidrLength {
    /// IPv4 prefix length; 32 when absent.
    pub ip4: Option<u8>,
    /// IPv6 prefix length; 128 when absent.
    pub ip6: Option<u8>,
}

/// ```text
/// modifier         = redirect / explanation / unknown-modifier
/// redirect         = "redirect" "=" domain-spec
/// explanation      = "exp" "=" domain-spec
/// unknown-modifier = name "=" macro-string
///                    ; where name is not any known modifier
/// name             = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modifier {
    /// `redirect=` (RFC 7208 §6.1).
    Redirect(DomainSpec),
    /// `exp=` (§6.2).
    Explanation(DomainSpec),
    /// Any other `name=value`; ignored by check_host() (§6).
    Unknown {
        /// The modifier name, as written.
        name: String,
        /// Its value.
        value: MacroString,
    },
}

/// ```text
/// domain-spec      = macro-string domain-end
/// domain-end       = ( "." toplabel [ "." ] ) / macro-expand
/// toplabel         = ( *alphanum ALPHA *alphanum ) /
///                    ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
/// ```
/// Stored as its macro-string; the parser checks the domain-end.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DomainSpec(pub MacroString);

/// ```text
/// macro-string     = *( macro-expand / macro-literal )
/// explain-string   = *( macro-string / SP )
/// ```
/// An explain-string is a macro-string whose literals may hold spaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MacroString {
    /// The pieces, in order. Adjacent literals are merged by the parser.
    pub items: Vec<MacroItem>,
}

impl MacroString {
    /// True when the string contains a `%{...}` expansion.
    pub fn has_expansions(&self) -> bool {
        self.items.iter().any(|i| matches!(i, MacroItem::Expand(_)))
    }

    /// The text when the string has no `%{...}` expansion (escapes resolved).
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for item in &self.items {
            match item {
                MacroItem::Literal(s) => out.push_str(s),
                MacroItem::Escape(e) => out.push_str(e.expansion()),
                MacroItem::Expand(_) => return None,
            }
        }
        Some(out)
    }
}

/// One piece of a macro-string.
///
/// ```text
/// macro-expand     = ( "%{" macro-letter transformers *delimiter "}" )
///                    / "%%" / "%_" / "%-"
/// macro-literal    = %x21-24 / %x26-7E
///                    ; visible characters except "%"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MacroItem {
    /// Literal text (visible ASCII except `%`, plus SP in explain-strings).
    Literal(String),
    /// `%{...}`.
    Expand(MacroExpand),
    /// `%%`, `%_` or `%-`.
    Escape(MacroEscape),
}

/// The three escapes of RFC 7208 §7.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MacroEscape {
    /// `%%`: a percent sign.
    Percent,
    /// `%_`: a space.
    Space,
    /// `%-`: a URL-encoded space, `%20`.
    UrlSpace,
}

impl MacroEscape {
    /// What the escape expands to.
    pub fn expansion(self) -> &'static str {
        match self {
            MacroEscape::Percent => "%",
            MacroEscape::Space => " ",
            MacroEscape::UrlSpace => "%20",
        }
    }

    /// How it is written.
    pub fn source(self) -> &'static str {
        match self {
            MacroEscape::Percent => "%%",
            MacroEscape::Space => "%_",
            MacroEscape::UrlSpace => "%-",
        }
    }
}

/// ```text
/// "%{" macro-letter transformers *delimiter "}"
/// transformers     = *DIGIT [ "r" ]
/// delimiter        = "." / "-" / "+" / "," / "/" / "_" / "="
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MacroExpand {
    /// The letter.
    pub letter: MacroLetter,
    /// Upper-case letter: URL-escape the expansion (RFC 7208 §7.3).
    pub url_escape: bool,
    /// Keep this many right-hand parts (non-zero), when given.
    pub keep: Option<u32>,
    /// `r`: reverse the parts.
    pub reverse: bool,
    /// Delimiters to split on; `.` when empty.
    pub delimiters: String,
}

/// ```text
/// macro-letter     = "s" / "l" / "o" / "d" / "i" / "p" / "h" /
///                    "c" / "r" / "t" / "v"
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MacroLetter {
    /// `s`: <sender>.
    Sender,
    /// `l`: local-part of <sender>.
    LocalPart,
    /// `o`: domain of <sender>.
    SenderDomain,
    /// `d`: <domain>.
    Domain,
    /// `i`: <ip>, dotted (nibbles for IPv6).
    Ip,
    /// `p`: the validated domain name of <ip> (do not use).
    ValidatedName,
    /// `h`: HELO/EHLO domain.
    Helo,
    /// `c`: SMTP client IP, readable (explanations only).
    ClientIp,
    /// `r`: domain name of host performing the check (explanations only).
    Receiver,
    /// `t`: current timestamp (explanations only).
    Timestamp,
    /// `v`: `in-addr` for IPv4, `ip6` for IPv6.
    IpVersion,
}

impl MacroLetter {
    /// The lower-case letter.
    pub fn letter(self) -> char {
        match self {
            MacroLetter::Sender => 's',
            MacroLetter::LocalPart => 'l',
            MacroLetter::SenderDomain => 'o',
            MacroLetter::Domain => 'd',
            MacroLetter::Ip => 'i',
            MacroLetter::ValidatedName => 'p',
            MacroLetter::Helo => 'h',
            MacroLetter::ClientIp => 'c',
            MacroLetter::Receiver => 'r',
            MacroLetter::Timestamp => 't',
            MacroLetter::IpVersion => 'v',
        }
    }

    /// The letter for a character, ignoring case.
    pub fn from_char(c: char) -> Option<Self> {
        Some(match c.to_ascii_lowercase() {
            's' => MacroLetter::Sender,
            'l' => MacroLetter::LocalPart,
            'o' => MacroLetter::SenderDomain,
            'd' => MacroLetter::Domain,
            'i' => MacroLetter::Ip,
            'p' => MacroLetter::ValidatedName,
            'h' => MacroLetter::Helo,
            'c' => MacroLetter::ClientIp,
            'r' => MacroLetter::Receiver,
            't' => MacroLetter::Timestamp,
            'v' => MacroLetter::IpVersion,
            _ => return None,
        })
    }

    /// `c`, `r` and `t` may only appear in explanation strings (RFC 7208 §7.1).
    pub fn is_explanation_only(self) -> bool {
        matches!(
            self,
            MacroLetter::ClientIp | MacroLetter::Receiver | MacroLetter::Timestamp
        )
    }
}

impl SpfRecord {
    /// The directives, in order.
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.terms.iter().filter_map(|t| match t {
            Term::Directive(d) => Some(d),
            Term::Modifier(_) => None,
        })
    }

    /// The modifiers, in order.
    pub fn modifiers(&self) -> impl Iterator<Item = &Modifier> {
        self.terms.iter().filter_map(|t| match t {
            Term::Modifier(m) => Some(m),
            Term::Directive(_) => None,
        })
    }

    /// The first `redirect=` target.
    pub fn redirect(&self) -> Option<&DomainSpec> {
        self.modifiers().find_map(|m| match m {
            Modifier::Redirect(d) => Some(d),
            _ => None,
        })
    }

    /// The first `exp=` target.
    pub fn explanation(&self) -> Option<&DomainSpec> {
        self.modifiers().find_map(|m| match m {
            Modifier::Explanation(d) => Some(d),
            _ => None,
        })
    }

    /// The first `all` directive.
    pub fn all(&self) -> Option<&Directive> {
        self.directives()
            .find(|d| matches!(d.mechanism, Mechanism::All))
    }
}

impl fmt::Display for SpfRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=spf1")?;
        for term in &self.terms {
            write!(f, " {term}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Directive(d) => d.fmt(f),
            Term::Modifier(m) => m.fmt(f),
        }
    }
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.qualifier != Qualifier::Pass {
            write!(f, "{}", self.qualifier.symbol())?;
        }
        self.mechanism.fmt(f)
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.symbol())
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Mechanism::All => Ok(()),
            Mechanism::Include(d) | Mechanism::Exists(d) => write!(f, ":{d}"),
            Mechanism::A { domain, cidr } | Mechanism::Mx { domain, cidr } => {
                if let Some(d) = domain {
                    write!(f, ":{d}")?;
                }
                cidr.fmt(f)
            }
            Mechanism::Ptr(domain) => match domain {
                Some(d) => write!(f, ":{d}"),
                None => Ok(()),
            },
            Mechanism::Ip4 { network, prefix } => {
                write!(f, ":{network}")?;
                match prefix {
                    Some(p) => write!(f, "/{p}"),
                    None => Ok(()),
                }
            }
            Mechanism::Ip6 { network, prefix } => {
                write!(f, ":{network}")?;
                match prefix {
                    Some(p) => write!(f, "/{p}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl fmt::Display for DualCidrLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.ip4 {
            write!(f, "/{p}")?;
        }
        if let Some(p) = self.ip6 {
            write!(f, "//{p}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Modifier::Redirect(d) => write!(f, "redirect={d}"),
            Modifier::Explanation(d) => write!(f, "exp={d}"),
            Modifier::Unknown { name, value } => write!(f, "{name}={value}"),
        }
    }
}

impl fmt::Display for DomainSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for MacroString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            item.fmt(f)?;
        }
        Ok(())
    }
}

impl fmt::Display for MacroItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MacroItem::Literal(s) => f.write_str(s),
            MacroItem::Escape(e) => f.write_str(e.source()),
            MacroItem::Expand(e) => e.fmt(f),
        }
    }
}

impl fmt::Display for MacroExpand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = if self.url_escape {
            self.letter.letter().to_ascii_uppercase()
        } else {
            self.letter.letter()
        };
        write!(f, "%{{{letter}")?;
        if let Some(k) = self.keep {
            write!(f, "{k}")?;
        }
        if self.reverse {
            f.write_str("r")?;
        }
        write!(f, "{}}}", self.delimiters)
    }
}
