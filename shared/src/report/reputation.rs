//! The "Reputation" section: what domain and IP blocklists and allow-lists
//! say about the names a message uses (its From domain, DKIM `d=`,
//! Return-Path domain, link domains, and its sending IP). Filled on the
//! server (the browser sends only host names), see
//! the backend reputation lookups.

use serde::{Deserialize, Serialize};

/// Every lookup made, one row per name and list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReputationSection {
    /// One row per name and list.
    #[serde(default)]
    pub listings: Vec<Listing>,
    /// Names not looked up because of the cap on names per request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

/// One name on one list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The domain or IP looked up.
    pub name: String,
    /// Where the message uses it: `from`, `dkim`, `return_path`, `link`,
    /// `sending_ip`.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The list's DNS zone, e.g. `dbl.spamhaus.org`.
    pub zone: String,
    /// The list's name, e.g. `Spamhaus DBL`.
    #[serde(default)]
    pub list: String,
    /// `domain`, `ip` or `allow`.
    #[serde(default)]
    pub kind: String,
    /// `listed`, `not_listed`, `allowlisted` or `error` (the list refused
    /// or failed the query: a public-resolver refusal is never a listing).
    pub result: String,
    /// The return codes (A records) of a listing or refusal.
    #[serde(default)]
    pub codes: Vec<String>,
    /// What the codes mean, e.g. `phishing domain`.
    #[serde(default)]
    pub meaning: String,
    /// How much a listing hurts delivery: `high`, `medium` or `low`.
    #[serde(default)]
    pub impact: String,
    /// Where to ask for removal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delist_url: Option<String>,
}
