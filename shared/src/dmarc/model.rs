//! The DMARC policy record (RFC 7489 §6.3, RFC 9989 §4.7), one type per
//! tag. `Display` prints the canonical record; `parse_dmarc` reads it back.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `p=`, `sp=`, `np=` values (RFC 7489 §6.3, RFC 9989 §4.7).
///
/// ```text
/// dmarc-request = "p" *WSP "=" *WSP ( "none" / "quarantine" / "reject" )
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Monitor only.
    None,
    /// Treat failing mail as suspicious (spam folder).
    Quarantine,
    /// Reject failing mail.
    Reject,
}

impl Policy {
    /// Parses a policy word, case-insensitively (ABNF strings are
    /// case-insensitive, RFC 5234 §2.3).
    pub fn from_word(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }

    /// The canonical word.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `adkim=` / `aspf=` (RFC 7489 §3.1, §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alignment {
    /// `r`: same organizational domain.
    Relaxed,
    /// `s`: identical domains.
    Strict,
}

impl Alignment {
    /// The tag value letter.
    pub fn as_str(self) -> &'static str {
        match self {
            Alignment::Relaxed => "r",
            Alignment::Strict => "s",
        }
    }
}

/// One `fo=` option (RFC 7489 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureOption {
    /// `0`: report when all mechanisms fail to produce an aligned pass.
    All,
    /// `1`: report when any mechanism fails.
    Any,
    /// `d`: report DKIM failures.
    Dkim,
    /// `s`: report SPF failures.
    Spf,
}

impl FailureOption {
    /// The tag value character.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureOption::All => "0",
            FailureOption::Any => "1",
            FailureOption::Dkim => "d",
            FailureOption::Spf => "s",
        }
    }
}

/// `psd=` (RFC 9989 §4.7): whether the domain is a public suffix domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PsdFlag {
    /// `y`: a public suffix domain.
    Yes,
    /// `n`: an organizational domain.
    No,
    /// `u`: unknown (the default).
    Unknown,
}

impl PsdFlag {
    /// The tag value letter.
    pub fn as_str(self) -> &'static str {
        match self {
            PsdFlag::Yes => "y",
            PsdFlag::No => "n",
            PsdFlag::Unknown => "u",
        }
    }
}

/// The size limit after `!` in a report URI (RFC 7489 §6.2).
///
/// ```text
/// dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ReportSize {
    /// The number.
    pub value: u64,
    /// The unit letter, lower-cased (`k`, `m`, `g`, `t`), or none for bytes.
    pub unit: Option<char>,
}

impl ReportSize {
    /// The limit in bytes, saturating.
    pub fn bytes(&self) -> u64 {
        let shift = match self.unit {
            Some('k') => 10,
            Some('m') => 20,
            Some('g') => 30,
            Some('t') => 40,
            _ => 0,
        };
        self.value.saturating_mul(1u64 << shift)
    }
}

/// One `rua=`/`ruf=` destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ReportUri {
    /// The URI, without the size suffix.
    pub uri: String,
    /// The optional `!size` limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_size: Option<ReportSize>,
}

impl ReportUri {
    /// The domain of a `mailto:` URI, lower-cased; `None` for other schemes
    /// or an invalid URI.
    pub fn mailto_domain(&self) -> Option<String> {
        crate::uri::check_uri(&self.uri)
            .ok()
            .filter(|p| p.scheme == "mailto")
            .and_then(|p| p.host)
    }
}

impl fmt::Display for ReportUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri)?;
        if let Some(size) = self.max_size {
            write!(f, "!{}", size.value)?;
            if let Some(unit) = size.unit {
                write!(f, "{unit}")?;
            }
        }
        Ok(())
    }
}

/// A parsed DMARC record. Absent tags are `None` (or empty lists), so the
/// model says what the record states; use the `effective_*` methods for
/// the defaults RFC 7489 §6.3 applies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DmarcRecord {
    /// `v=`: always `DMARC1` in a valid record.
    pub version: Option<String>,
    /// `p=`: policy for the domain itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
    /// `sp=`: policy for subdomains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subdomain_policy: Option<Policy>,
    /// `np=` (RFC 9989 §4.7): policy for non-existent subdomains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonexistent_policy: Option<Policy>,
    /// `psd=` (RFC 9989 §4.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psd: Option<PsdFlag>,
    /// `t=` (RFC 9989 §4.7): testing mode, replacing `pct`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub testing: Option<bool>,
    /// `adkim=`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adkim: Option<Alignment>,
    /// `aspf=`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspf: Option<Alignment>,
    /// `fo=`; empty when absent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failure_options: Vec<FailureOption>,
    /// `rua=`: aggregate report destinations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rua: Vec<ReportUri>,
    /// `ruf=`: failure report destinations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ruf: Vec<ReportUri>,
    /// `rf=` report formats (RFC 7489 only; removed in RFC 9989).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub report_formats: Vec<String>,
    /// `ri=` report interval in seconds (RFC 7489 only; removed in RFC 9989).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_interval: Option<u32>,
    /// `pct=` (RFC 7489 only; removed in RFC 9989).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<u8>,
    /// Tags this parser does not know, as `(name, value)`, kept for display.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<(String, String)>,
}

impl DmarcRecord {
    /// `sp`, defaulting to `p` (RFC 7489 §6.3).
    pub fn effective_subdomain_policy(&self) -> Option<Policy> {
        self.subdomain_policy.or(self.policy)
    }

    /// `np`, defaulting to `sp`, then `p` (RFC 9989 §4.7).
    pub fn effective_nonexistent_policy(&self) -> Option<Policy> {
        self.nonexistent_policy
            .or(self.effective_subdomain_policy())
    }

    /// `pct`, defaulting to 100 (RFC 7489 §6.3).
    pub fn effective_percent(&self) -> u8 {
        self.percent.unwrap_or(100)
    }
}

fn write_uris(f: &mut fmt::Formatter<'_>, tag: &str, uris: &[ReportUri]) -> fmt::Result {
    if uris.is_empty() {
        return Ok(());
    }
    write!(f, "; {tag}=")?;
    for (i, uri) in uris.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{uri}")?;
    }
    Ok(())
}

impl fmt::Display for DmarcRecord {
    /// The canonical record: `v` first and `p` second (RFC 7489 §6.3), then
    /// the other tags in a fixed order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v={}", self.version.as_deref().unwrap_or("DMARC1"))?;
        if let Some(p) = self.policy {
            write!(f, "; p={p}")?;
        }
        if let Some(sp) = self.subdomain_policy {
            write!(f, "; sp={sp}")?;
        }
        if let Some(np) = self.nonexistent_policy {
            write!(f, "; np={np}")?;
        }
        if let Some(psd) = self.psd {
            write!(f, "; psd={}", psd.as_str())?;
        }
        if let Some(t) = self.testing {
            write!(f, "; t={}", if t { "y" } else { "n" })?;
        }
        if let Some(a) = self.adkim {
            write!(f, "; adkim={}", a.as_str())?;
        }
        if let Some(a) = self.aspf {
            write!(f, "; aspf={}", a.as_str())?;
        }
        if !self.failure_options.is_empty() {
            let fo: Vec<&str> = self.failure_options.iter().map(|o| o.as_str()).collect();
            write!(f, "; fo={}", fo.join(":"))?;
        }
        write_uris(f, "rua", &self.rua)?;
        write_uris(f, "ruf", &self.ruf)?;
        if !self.report_formats.is_empty() {
            write!(f, "; rf={}", self.report_formats.join(":"))?;
        }
        if let Some(ri) = self.report_interval {
            write!(f, "; ri={ri}")?;
        }
        if let Some(pct) = self.percent {
            write!(f, "; pct={pct}")?;
        }
        for (name, value) in &self.unknown {
            write!(f, "; {name}={value}")?;
        }
        Ok(())
    }
}
