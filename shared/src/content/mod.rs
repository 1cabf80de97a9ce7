//! Content analysis: what receivers weigh besides authentication. The
//! body's alternatives, images, hidden text, forms and scripts, links
//! (shorteners, IP literals, `http:`, text that names another domain,
//! domains not aligned with From), attachments and MIME structure.
//!
//! Pure and bounded: no I/O, so it runs in the browser and the body never
//! leaves it; every collection is capped ([`limits`]) and every pass is
//! linear, so hostile input (enormous HTML, deep nesting, millions of
//! links, malformed MIME) gives a report with a clear diagnostic, never a
//! panic or a hang.
//!
//! One file per concern: [`html`] scans HTML, [`links`] classifies URLs,
//! [`mime`] walks the structure, [`attachments`] classifies files,
//! [`checks`] turns the findings into catalogue checks and [`rules`] ties
//! them to the spam-filter rules that penalised them.

pub mod attachments;
pub mod checks;
pub mod html;
pub mod limits;
pub mod links;
pub mod mime;
pub mod rules;
pub mod words;

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

use mail_parser::{Message, PartType};

use crate::message::spam::SpamVerdict;
use crate::report::{AttachmentSummary, Check, ContentSection, LinkSummary};

use self::attachments::{list_attachments, Attachment, AttachmentRisk};
use self::html::{scan_html, HtmlScan};
use self::limits::{MAX_LINK_DOMAINS, MAX_PARTS, MAX_REPORTED_ATTACHMENTS, MAX_REPORTED_LINKS};
use self::links::{
    domain_in_text, is_aligned, is_ip_literal, is_shortener, parse_url, urls_in_text,
};
use self::mime::{inspect_mime, MimeFindings};
use self::words::{IdentityHasher, WordSet};
use crate::org_domain::organizational_domain;

/// Everything the checks need, gathered in one pass over the parts.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// The section the report carries.
    pub section: ContentSection,
    /// The HTML parts' scans, merged.
    pub html: HtmlScan,
    /// Words of the plain-text alternative.
    pub text_words: WordSet,
    /// Characters of the plain-text alternative (white space aside).
    pub text_chars: u32,
    /// The MIME structure.
    pub mime: MimeFindings,
    /// Attachments, classified.
    pub attachments: Vec<Attachment>,
    /// Every link, classified (not only the table's distinct rows).
    pub links: Vec<LinkSummary>,
    /// The From domain, when known.
    pub from_domain: Option<String>,
}

/// The longest href kept in the report.
const MAX_HREF_CHARS: usize = 300;

/// The first `max` characters of `text`.
fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => text[..at].to_string(),
        None => text.to_string(),
    }
}

/// What a link's host is, computed once per distinct host.
#[derive(Debug, Clone, Copy)]
struct HostFacts {
    shortener: bool,
    ip_literal: bool,
    /// Relaxed alignment with the From domain, when there is one.
    aligned: Option<bool>,
}

/// The facts of each host seen, and the From domain's organizational
/// domain: a newsletter has thousands of links to a handful of hosts.
#[derive(Default)]
struct HostCache {
    from_org: Option<String>,
    hosts: HashMap<String, HostFacts, BuildHasherDefault<IdentityHasher>>,
}

impl HostCache {
    fn new(from_domain: Option<&str>) -> Self {
        HostCache {
            from_org: from_domain.map(organizational_domain),
            hosts: HashMap::default(),
        }
    }

    fn facts(&mut self, host: &str) -> HostFacts {
        if let Some(facts) = self.hosts.get(host) {
            return *facts;
        }
        let ip_literal = is_ip_literal(host);
        let facts = HostFacts {
            shortener: is_shortener(host),
            ip_literal,
            aligned: match &self.from_org {
                Some(from) if !host.is_empty() && !ip_literal => {
                    Some(organizational_domain(host) == *from)
                }
                _ => None,
            },
        };
        // Bounded: the hosts of at most MAX_LINKS links per part.
        self.hosts.insert(host.to_string(), facts);
        facts
    }
}

fn classify_link(
    href: &str,
    text: &str,
    source: &str,
    hidden: bool,
    cache: &mut HostCache,
) -> LinkSummary {
    let url = parse_url(href);
    let mut flags = Vec::new();
    let web = matches!(url.scheme.as_str(), "http" | "https");
    let facts = cache.facts(&url.host);
    if web && facts.shortener {
        flags.push("shortener".to_string());
    }
    if web && facts.ip_literal {
        flags.push("ip_literal".to_string());
    }
    if url.scheme == "http" {
        flags.push("insecure".to_string());
    }
    if url.scheme == "javascript" {
        flags.push("script".to_string());
    }
    if hidden {
        flags.push("hidden".to_string());
    }
    let shown_domain = if web && !url.host.is_empty() && !facts.ip_literal {
        domain_in_text(text).filter(|shown| !is_aligned(shown, &url.host))
    } else if web && !url.host.is_empty() {
        domain_in_text(text)
    } else {
        None
    };
    if shown_domain.is_some() {
        flags.push("text_mismatch".to_string());
    }
    let aligned = if web { facts.aligned } else { None };
    LinkSummary {
        text: text.to_string(),
        href: truncate_chars(href, MAX_HREF_CHARS),
        host: url.host,
        source: source.to_string(),
        aligned,
        shown_domain,
        flags,
        count: 1,
    }
}

/// A body part's decoded text, by kind.
enum Body<'a> {
    Html(&'a str),
    Text(&'a str),
}

/// The characters of `text` that are not white space (`char::is_whitespace`),
/// counted by byte where the text is ASCII (#17 G4: decoding every
/// character of a 1 MB body was a tenth of its analysis).
fn non_whitespace_chars(text: &str) -> u32 {
    let count = match text.is_ascii() {
        // U+0009..U+000D and U+0020 are the ASCII white space of `char`.
        true => text
            .bytes()
            .filter(|b| !matches!(b, b'\t'..=b'\r' | b' '))
            .count(),
        false => text.chars().filter(|c| !c.is_whitespace()).count(),
    };
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// Gathers the findings of `msg`. `from_domain` is the RFC5322.From domain.
pub fn gather(msg: &Message<'_>, from_domain: Option<&str>) -> Findings {
    let mut findings = Findings {
        from_domain: from_domain.map(str::to_ascii_lowercase),
        mime: inspect_mime(msg),
        ..Findings::default()
    };
    let mut text_links_seen = 0u32;
    let mut cache = HostCache::new(from_domain);
    for (index, part) in msg.parts.iter().enumerate().take(MAX_PARTS) {
        let id = index as u32;
        let is_body = (msg.text_body.contains(&id) || msg.html_body.contains(&id))
            && !msg.attachments.contains(&id);
        if !is_body {
            continue;
        }
        // A quoted-printable part mail-parser could not decode keeps its
        // raw bytes: decode it leniently before scanning (links would keep
        // `=3D` and soft line breaks otherwise).
        let repaired = mime::repaired_text(msg, part);
        let body = match (&repaired, &part.body) {
            (Some(text), _) if mime::is_declared_html(part) => Body::Html(text),
            (Some(text), _) => Body::Text(text),
            (None, PartType::Html(html)) => Body::Html(html),
            (None, PartType::Text(text)) => Body::Text(text),
            _ => continue,
        };
        match body {
            Body::Html(html) => {
                let scan = scan_html(html);
                findings.section.html_part = true;
                findings.section.html_bytes = findings
                    .section
                    .html_bytes
                    .saturating_add(html.len() as u32);
                for link in &scan.links {
                    findings.links.push(classify_link(
                        &link.href,
                        &link.text,
                        "html",
                        link.hidden,
                        &mut cache,
                    ));
                }
                merge_scan(&mut findings.html, scan);
            }
            Body::Text(text) => {
                findings.section.text_part = true;
                findings.text_chars = findings
                    .text_chars
                    .saturating_add(non_whitespace_chars(text));
                let mut words = WordSet::default();
                words.feed(text.as_bytes());
                words.finish();
                findings.text_words = words;
                let (urls, seen) = urls_in_text(text);
                text_links_seen = text_links_seen.saturating_add(seen);
                for url in urls {
                    findings
                        .links
                        .push(classify_link(&url, "", "text", false, &mut cache));
                }
            }
        }
    }
    findings.attachments = list_attachments(msg);
    build_section(&mut findings, text_links_seen);
    findings
}

fn merge_scan(into: &mut HtmlScan, scan: HtmlScan) {
    let add = |a: &mut u32, b: u32| *a = a.saturating_add(b);
    add(&mut into.links_seen, scan.links_seen);
    add(&mut into.images, scan.images);
    add(&mut into.tracking_pixels, scan.tracking_pixels);
    add(&mut into.images_without_alt, scan.images_without_alt);
    add(&mut into.visible_chars, scan.visible_chars);
    add(&mut into.hidden_chars, scan.hidden_chars);
    add(&mut into.forms, scan.forms);
    add(&mut into.scripts, scan.scripts);
    add(&mut into.embeds, scan.embeds);
    into.depth_capped |= scan.depth_capped;
    into.truncated |= scan.truncated;
    into.image_sources.extend(scan.image_sources);
    into.links.extend(scan.links);
    if into.words.is_empty() {
        into.words = scan.words;
    }
}

fn build_section(findings: &mut Findings, text_links_seen: u32) {
    let html = &findings.html;
    let section = &mut findings.section;
    section.visible_text_chars = html.visible_chars;
    section.images = html.images;
    section.images_without_alt = html.images_without_alt;
    section.tracking_pixels = html.tracking_pixels;
    section.links_total = html.links_seen.saturating_add(text_links_seen);
    // One table row per distinct href, first seen first.
    let mut rows: Vec<LinkSummary> = Vec::new();
    let mut row_of: HashMap<&str, usize, BuildHasherDefault<IdentityHasher>> = HashMap::default();
    for link in &findings.links {
        match row_of.get(link.href.as_str()) {
            Some(&at) => rows[at].count = rows[at].count.saturating_add(1),
            None if rows.len() < MAX_REPORTED_LINKS => {
                row_of.insert(&link.href, rows.len());
                rows.push(link.clone());
            }
            None => {}
        }
    }
    section.links = rows;
    let mut domains: Vec<String> = Vec::new();
    let mut listed: HashSet<String, BuildHasherDefault<IdentityHasher>> = HashSet::default();
    let image_hosts = html.image_sources.iter().map(|src| parse_url(src).host);
    for host in findings
        .links
        .iter()
        .map(|l| l.host.clone())
        .chain(image_hosts)
    {
        if !host.is_empty() && !listed.contains(&host) && !is_ip_literal(&host) {
            listed.insert(host.clone());
            if domains.len() >= MAX_LINK_DOMAINS {
                section.limits.push(format!(
                    "more than {MAX_LINK_DOMAINS} distinct link domains: only the first {MAX_LINK_DOMAINS} are listed for the reputation lookups"
                ));
                break;
            }
            domains.push(host);
        }
    }
    section.link_domains = domains;
    section.attachments = findings
        .attachments
        .iter()
        .take(MAX_REPORTED_ATTACHMENTS)
        .map(|a| AttachmentSummary {
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            risk: a.risk.as_str().to_string(),
        })
        .collect();
    if html.truncated {
        section.limits.push(format!(
            "an HTML part is larger than {} MiB: only its first {} MiB were scanned",
            limits::MAX_HTML_SCAN_BYTES >> 20,
            limits::MAX_HTML_SCAN_BYTES >> 20
        ));
    }
    if html.depth_capped {
        section.limits.push(format!(
            "the HTML nests deeper than {} elements: hidden content below that depth is not told apart",
            limits::MAX_HTML_DEPTH
        ));
    }
    if section.links_total as usize > findings.links.len() {
        section.limits.push(format!(
            "{} links: the first {} of each part were classified, all were counted",
            section.links_total,
            limits::MAX_LINKS
        ));
    }
    if findings.mime.parts_capped {
        section.limits.push(format!(
            "more than {MAX_PARTS} MIME parts: the rest were not analysed"
        ));
    }
}

/// The content section and checks of a message with a body, each check
/// tied to the SpamAssassin or rspamd rule that penalised the same thing.
pub fn analyze_content(
    msg: &Message<'_>,
    from_domain: Option<&str>,
    verdicts: &[SpamVerdict],
) -> (ContentSection, Vec<Check>) {
    let findings = gather(msg, from_domain);
    let mut checks = checks::content_checks(&findings);
    rules::tie_rules(&findings, verdicts, &mut checks);
    (findings.section, checks)
}

/// True when an attachment risk is one receivers reject outright.
pub fn is_blocking(risk: AttachmentRisk) -> bool {
    matches!(
        risk,
        AttachmentRisk::Executable
            | AttachmentRisk::DoubleExtension
            | AttachmentRisk::Macro
            | AttachmentRisk::EncryptedArchive
    )
}

#[cfg(test)]
mod tests;
