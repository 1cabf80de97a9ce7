//! The BIMI assertion record at `<selector>._bimi.<domain>`
//! (draft-brand-indicators-for-message-identification §4.2).

use std::fmt;

use serde::Serialize;

/// `avp=`: which avatar the domain prefers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AvatarPreference {
    /// `brand`: show the brand indicator.
    Brand,
    /// `personal`: prefer a personal avatar when the receiver has one.
    Personal,
}

impl AvatarPreference {
    /// The tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            AvatarPreference::Brand => "brand",
            AvatarPreference::Personal => "personal",
        }
    }
}

/// A parsed BIMI record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BimiRecord {
    /// `v=`, `BIMI1` in a valid record.
    pub version: Option<String>,
    /// `l=`: logo URI (SVG Tiny PS over https); `Some("")` declines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// `a=`: authority evidence (VMC/CMC PEM over https); `Some("")` when empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// `avp=`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_preference: Option<AvatarPreference>,
    /// Unknown tags, kept for display.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<(String, String)>,
}

impl BimiRecord {
    /// A declination record: `l=` and `a=` both empty or absent.
    pub fn is_declination(&self) -> bool {
        self.location.as_deref().unwrap_or("").is_empty()
            && self.authority.as_deref().unwrap_or("").is_empty()
    }
}

impl fmt::Display for BimiRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v={}", self.version.as_deref().unwrap_or("BIMI1"))?;
        if let Some(l) = &self.location {
            write!(f, "; l={l}")?;
        }
        if let Some(a) = &self.authority {
            write!(f, "; a={a}")?;
        }
        if let Some(avp) = self.avatar_preference {
            write!(f, "; avp={}", avp.as_str())?;
        }
        for (name, value) in &self.unknown {
            write!(f, "; {name}={value}")?;
        }
        Ok(())
    }
}
