//! The message report's "Content" section: what the body holds, as a
//! receiver's filter weighs it. Filled by [`crate::content`].

use serde::{Deserialize, Serialize};

/// The body, summarised: alternatives, sizes, images, links, attachments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentSection {
    /// A `text/plain` body part is present.
    #[serde(default)]
    pub text_part: bool,
    /// A `text/html` body part is present.
    #[serde(default)]
    pub html_part: bool,
    /// Size of the HTML body parts, decoded, in bytes.
    #[serde(default)]
    pub html_bytes: u32,
    /// Characters of text a reader of the HTML sees.
    #[serde(default)]
    pub visible_text_chars: u32,
    /// Content images (tracking pixels aside).
    #[serde(default)]
    pub images: u32,
    /// Content images without `alt`.
    #[serde(default)]
    pub images_without_alt: u32,
    /// 0/1-pixel images (open tracking).
    #[serde(default)]
    pub tracking_pixels: u32,
    /// Every link in the body, counted (the table below is capped).
    #[serde(default)]
    pub links_total: u32,
    /// The links, one row per distinct href, at most 200.
    #[serde(default)]
    pub links: Vec<LinkSummary>,
    /// The distinct link and image host names, at most 50: what the
    /// reputation lookups query.
    #[serde(default)]
    pub link_domains: Vec<String>,
    /// Attachments, at most 50.
    #[serde(default)]
    pub attachments: Vec<AttachmentSummary>,
    /// Analysis caps that were reached, in words (empty normally).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<String>,
}

/// One link of the body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSummary {
    /// The text the link shows (empty for an image link or a URL in text).
    #[serde(default)]
    pub text: String,
    /// The href, as written (capped at 300 characters).
    pub href: String,
    /// The host it goes to, lower case (empty for mailto: and the like).
    #[serde(default)]
    pub host: String,
    /// `html` (an `<a href>`) or `text` (a URL in the plain-text part).
    #[serde(default)]
    pub source: String,
    /// Same organizational domain as From; absent when either is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aligned: Option<bool>,
    /// The domain the link text shows, when it differs from the host's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown_domain: Option<String>,
    /// What a filter holds against it: `shortener`, `ip_literal`,
    /// `insecure`, `text_mismatch`, `hidden`, `script`.
    #[serde(default)]
    pub flags: Vec<String>,
    /// How many times this href occurs.
    #[serde(default)]
    pub count: u32,
}

/// One attachment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentSummary {
    /// The file name as given (may be empty).
    #[serde(default)]
    pub filename: String,
    /// The declared media type.
    #[serde(default)]
    pub content_type: String,
    /// Decoded size in bytes.
    #[serde(default)]
    pub size: u64,
    /// `executable`, `double_extension`, `macro`, `encrypted_archive`,
    /// `archive`, `mismatch` or `none`.
    #[serde(default)]
    pub risk: String,
}
