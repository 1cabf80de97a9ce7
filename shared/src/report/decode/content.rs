//! Readers for the "Content" and "Reputation" sections (see the parent
//! module for the rules: serde's, by hand, to keep the bundle small).

use serde_json::Value;

use super::{object, string, strings, u32_of, Result};
use crate::report::{AttachmentSummary, ContentSection, LinkSummary, Listing, ReputationSection};

/// Decodes `message.content`.
pub(super) fn content(value: &Value) -> Result<ContentSection> {
    let o = object(value, "content")?;
    Ok(ContentSection {
        text_part: o.or_default("text_part", Value::as_bool)?,
        html_part: o.or_default("html_part", Value::as_bool)?,
        html_bytes: o.or_default("html_bytes", u32_of)?,
        visible_text_chars: o.or_default("visible_text_chars", u32_of)?,
        images: o.or_default("images", u32_of)?,
        images_without_alt: o.or_default("images_without_alt", u32_of)?,
        tracking_pixels: o.or_default("tracking_pixels", u32_of)?,
        links_total: o.or_default("links_total", u32_of)?,
        links: o.list("links", link)?,
        link_domains: o.list("link_domains", strings)?,
        attachments: o.list("attachments", |v| {
            let o = object(v, "attachment")?;
            Ok(AttachmentSummary {
                filename: o.or_default("filename", string)?,
                content_type: o.or_default("content_type", string)?,
                size: o.or_default("size", Value::as_u64)?,
                risk: o.or_default("risk", string)?,
            })
        })?,
        limits: o.list("limits", strings)?,
    })
}

fn link(value: &Value) -> Result<LinkSummary> {
    let o = object(value, "link")?;
    Ok(LinkSummary {
        text: o.or_default("text", string)?,
        href: o.string("href")?,
        host: o.or_default("host", string)?,
        source: o.or_default("source", string)?,
        aligned: o.opt("aligned", Value::as_bool)?,
        shown_domain: o.opt_string("shown_domain")?,
        flags: o.list("flags", strings)?,
        count: o.or_default("count", u32_of)?,
    })
}

/// Decodes `reputation`.
pub(super) fn reputation(value: &Value) -> Result<ReputationSection> {
    let o = object(value, "reputation")?;
    Ok(ReputationSection {
        listings: o.list("listings", |v| {
            let o = object(v, "listing")?;
            Ok(Listing {
                name: o.string("name")?,
                roles: o.list("roles", strings)?,
                zone: o.string("zone")?,
                list: o.or_default("list", string)?,
                kind: o.or_default("kind", string)?,
                result: o.string("result")?,
                codes: o.list("codes", strings)?,
                meaning: o.or_default("meaning", string)?,
                impact: o.or_default("impact", string)?,
                delist_url: o.opt_string("delist_url")?,
            })
        })?,
        skipped: o.list("skipped", strings)?,
    })
}
