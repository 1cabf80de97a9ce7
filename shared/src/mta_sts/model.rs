//! MTA-STS (RFC 8461): the `_mta-sts` TXT record (§3.1) and the policy
//! file (§3.2).

use std::fmt;

use serde::Serialize;

/// The `_mta-sts.<domain>` TXT record (RFC 8461 §3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StsRecord {
    /// `v=`, `STSv1` in a valid record.
    pub version: Option<String>,
    /// `id=`: 1 to 32 letters and digits; changes when the policy changes.
    pub id: Option<String>,
    /// Extension fields `(name, value)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<(String, String)>,
}

impl fmt::Display for StsRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v={}", self.version.as_deref().unwrap_or("STSv1"))?;
        if let Some(id) = &self.id {
            write!(f, "; id={id}")?;
        }
        for (name, value) in &self.extensions {
            write!(f, "; {name}={value}")?;
        }
        Ok(())
    }
}

/// The policy `mode` (RFC 8461 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StsMode {
    /// Refuse delivery to MX hosts that fail validation.
    Enforce,
    /// Deliver anyway but report failures (TLS-RPT).
    Testing,
    /// No policy: tells senders the previous policy is withdrawn.
    None,
}

impl StsMode {
    /// The policy file word.
    pub fn as_str(self) -> &'static str {
        match self {
            StsMode::Enforce => "enforce",
            StsMode::Testing => "testing",
            StsMode::None => "none",
        }
    }
}

/// The policy file at `https://mta-sts.<domain>/.well-known/mta-sts.txt`
/// (RFC 8461 §3.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StsPolicy {
    /// `version:`, `STSv1` in a valid policy.
    pub version: Option<String>,
    /// `mode:`.
    pub mode: Option<StsMode>,
    /// `mx:` patterns, in order (`mx1.example.com` or `*.example.com`).
    pub mx: Vec<String>,
    /// `max_age:` in seconds (at most 31557600).
    pub max_age: Option<u32>,
    /// Extension fields `(name, value)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<(String, String)>,
}

impl fmt::Display for StsPolicy {
    /// One `key: value` field per line, CRLF-terminated (RFC 8461 §3.2).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "version: {}\r\n",
            self.version.as_deref().unwrap_or("STSv1")
        )?;
        if let Some(mode) = self.mode {
            write!(f, "mode: {}\r\n", mode.as_str())?;
        }
        for mx in &self.mx {
            write!(f, "mx: {mx}\r\n")?;
        }
        if let Some(max_age) = self.max_age {
            write!(f, "max_age: {max_age}\r\n")?;
        }
        for (name, value) in &self.extensions {
            write!(f, "{name}: {value}\r\n")?;
        }
        Ok(())
    }
}
