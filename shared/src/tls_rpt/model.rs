//! The TLS-RPT record at `_smtp._tls.<domain>` (RFC 8460 §3).

use std::fmt;

use serde::Serialize;

/// A parsed TLS-RPT record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TlsRptRecord {
    /// `v=`, `TLSRPTv1` in a valid record.
    pub version: Option<String>,
    /// `rua=` destinations (`mailto:` or `https:`), in order.
    pub rua: Vec<String>,
    /// Extension fields `(name, value)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<(String, String)>,
}

impl fmt::Display for TlsRptRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v={}", self.version.as_deref().unwrap_or("TLSRPTv1"))?;
        if !self.rua.is_empty() {
            write!(f, "; rua={}", self.rua.join(","))?;
        }
        for (name, value) in &self.extensions {
            write!(f, "; {name}={value}")?;
        }
        Ok(())
    }
}
