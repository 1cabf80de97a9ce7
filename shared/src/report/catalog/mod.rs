//! The check catalogue: every check id with its title, explanation, fix and
//! RFC references, defined once. CLI, API and UI render these texts; none of
//! them carries its own copy.

mod checklist;
mod content;
mod delivery;
mod domain;
mod message;

/// Which part of a report a check belongs to (sections render in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    /// What mxlens's own SMTP receiver saw (delivery reports).
    Delivery,
    /// Headers: route, hygiene.
    Message,
    /// Authentication results, alignment, signatures.
    Authentication,
    /// List-Unsubscribe and one-click.
    Unsubscribe,
    /// Spam-filter verdicts.
    SpamFilters,
    /// The body: alternatives, images, links, attachments, MIME.
    Content,
    /// SMTP reply codes from bounces.
    Bounce,
    /// DNS basics and DNSSEC.
    Dns,
    /// MX records and SMTP servers.
    MailServers,
    /// SPF.
    Spf,
    /// DMARC.
    Dmarc,
    /// DKIM keys.
    Dkim,
    /// MTA-STS, TLS-RPT, DANE.
    TransportSecurity,
    /// BIMI.
    Brand,
    /// Blocklists.
    Reputation,
    /// Checklist items.
    Checklist,
}

impl Area {
    /// An area of the domain audit (DNS to Reputation), as opposed to the
    /// message's, a bounce's, a delivery's or the checklists'.
    pub fn is_domain(self) -> bool {
        matches!(
            self,
            Area::Dns
                | Area::MailServers
                | Area::Spf
                | Area::Dmarc
                | Area::Dkim
                | Area::TransportSecurity
                | Area::Brand
                | Area::Reputation
        )
    }

    /// The area's section title (the Markdown export's headings).
    pub fn title(self) -> &'static str {
        match self {
            Area::Delivery => "Delivery",
            Area::Message => "Message",
            Area::Authentication => "Authentication",
            Area::Unsubscribe => "Unsubscribe",
            Area::SpamFilters => "Spam filters",
            Area::Content => "Content",
            Area::Bounce => "Bounce",
            Area::Dns => "DNS",
            Area::MailServers => "Mail servers",
            Area::Spf => "SPF",
            Area::Dmarc => "DMARC",
            Area::Dkim => "DKIM",
            Area::TransportSecurity => "Transport security",
            Area::Brand => "Brand (BIMI)",
            Area::Reputation => "Reputation",
            Area::Checklist => "Checklist",
        }
    }
}

/// One catalogue entry.
#[derive(Debug, Clone, Copy)]
pub struct CatalogEntry {
    /// Stable id.
    pub id: &'static str,
    /// Section.
    pub area: Area,
    /// Short title.
    pub title: &'static str,
    /// Why it matters, in plain words.
    pub explanation: &'static str,
    /// The general fix when the check does not pass.
    pub fix: &'static str,
    /// RFC or provider references.
    pub refs: &'static [&'static str],
    /// Points a `fail` costs (a `warn` costs half, rounded up).
    pub weight: u8,
}

/// All entries, delivery first, then message, then domain, then checklist items.
pub fn entries() -> impl Iterator<Item = &'static CatalogEntry> {
    delivery::ENTRIES
        .iter()
        .chain(message::ENTRIES.iter())
        .chain(content::ENTRIES.iter())
        .chain(domain::ENTRIES.iter())
        .chain(checklist::ENTRIES.iter())
}

/// Where `id` is in [`entries`], if it is catalogued. A scan: `==`
/// rejects most ids on their length without comparing bytes, and a binary
/// search over the ids sorted once was slower (a byte comparison at every
/// step; #17 G4, measured on the corpus).
pub fn position(id: &str) -> Option<usize> {
    entries().position(|e| e.id == id)
}

/// The sort key that lists checks in catalogue order, every surface the
/// same way: `id`'s position, unknown ids last.
pub fn order(id: &str) -> usize {
    position(id).unwrap_or(usize::MAX)
}

/// The entry for `id`, if it is catalogued.
pub fn lookup(id: &str) -> Option<&'static CatalogEntry> {
    entries().find(|e| e.id == id)
}

/// Whether `id` is a check of the Content area. Every analysis asks it of
/// every check (`checklists::ChecklistInputs::apply_content_checks`), so the
/// `content.` prefix, which every Content id has (a test holds it), turns
/// the other checks away at once; the answer is the content table's
/// (which also holds the Reputation checks). Scanning the table for every
/// check cost the corpus benchmark 3–4% (`cargo bench --bench analyze`).
pub fn is_content(id: &str) -> bool {
    id.starts_with("content.")
        && content::ENTRIES
            .iter()
            .any(|e| e.id == id && e.area == Area::Content)
}

/// Where a reference can be read, for the UI to link it: an RFC (and its
/// section) on rfc-editor.org, an Internet-Draft on the IETF datatracker,
/// the CAN-SPAM Act's sections, and the providers' and the FTC's guides.
/// `None` for a reference it does not know.
pub fn ref_url(reference: &str) -> Option<String> {
    if let Some(rest) = reference.strip_prefix("RFC ") {
        // "RFC 7208" or "RFC 7208 §4.6.4"; rfc-editor.org anchors sections
        // as `#section-4.6.4` (appendices as `#appendix-A.1`).
        let (number, section) = match rest.split_once(" §") {
            Some((n, s)) => (n, Some(s)),
            None => (rest, None),
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut url = format!("https://www.rfc-editor.org/rfc/rfc{number}");
        if let Some(section) = section
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'))
        {
            let kind = if section.as_bytes()[0].is_ascii_digit() {
                "section"
            } else {
                "appendix"
            };
            url.push_str(&format!("#{kind}-{section}"));
        }
        return Some(url);
    }
    if let Some(rest) = reference.strip_prefix("15 U.S.C. ") {
        let section: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return (!section.is_empty())
            .then(|| format!("https://www.law.cornell.edu/uscode/text/15/{section}"));
    }
    if reference.starts_with("draft-")
        && reference
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Some(format!("https://datatracker.ietf.org/doc/{reference}/"));
    }
    // A provider's page, given as its address (the bounce reader's own
    // curated links; never an address from the input).
    if reference.starts_with("https://")
        && reference.len() < 200
        && !reference.contains(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\''))
    {
        return Some(reference.to_string());
    }
    let url = match reference {
        "FTC CAN-SPAM guide" => {
            "https://www.ftc.gov/business-guidance/resources/can-spam-act-compliance-guide-business"
        }
        "Gmail sender guidelines" => "https://support.google.com/a/answer/81126",
        "Yahoo sender requirements" => "https://senders.yahooinc.com/best-practices/",
        "Gmail blocked file types" => "https://support.google.com/mail/answer/6590",
        _ => return None,
    };
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`is_content`] reads the content table alone: every check of the
    /// Content area is in it.
    #[test]
    fn the_content_table_is_the_content_area() {
        for e in entries() {
            assert_eq!(is_content(e.id), e.area == Area::Content, "{}", e.id);
            if e.area == Area::Content {
                assert!(e.id.starts_with("content."), "{}", e.id);
            }
        }
        assert!(!is_content("content.unknown") && !is_content("msg.from"));
    }
    use std::collections::HashSet;

    #[test]
    fn references_link_to_where_they_can_be_read() {
        for (reference, url) in [
            ("RFC 7208", "https://www.rfc-editor.org/rfc/rfc7208"),
            (
                "RFC 7208 §4.6.4",
                "https://www.rfc-editor.org/rfc/rfc7208#section-4.6.4",
            ),
            ("RFC 8461 §3", "https://www.rfc-editor.org/rfc/rfc8461#section-3"),
            (
                "RFC 7489 §A.5",
                "https://www.rfc-editor.org/rfc/rfc7489#appendix-A.5",
            ),
            (
                "15 U.S.C. 7704(a)(5)(A)(iii)",
                "https://www.law.cornell.edu/uscode/text/15/7704",
            ),
            (
                "draft-brand-indicators-for-message-identification",
                "https://datatracker.ietf.org/doc/draft-brand-indicators-for-message-identification/",
            ),
        ] {
            assert_eq!(ref_url(reference).as_deref(), Some(url), "{reference}");
        }
        for unknown in ["RFC", "RFC x", "RFC 1 §<b>", "somewhere", "draft-a b"] {
            let url = ref_url(unknown);
            assert!(
                url.as_deref()
                    .is_none_or(|u| !u.contains('<') && !u.contains(' ')),
                "{unknown}: {url:?}"
            );
        }
        assert_eq!(
            ref_url("RFC 1 §<b>").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc1")
        );
        assert!(ref_url("RFC x").is_none() && ref_url("somewhere").is_none());
        // Every reference in the catalogue has a link.
        for entry in entries() {
            for reference in entry.refs {
                assert!(
                    ref_url(reference).is_some(),
                    "{}: no link for {reference:?}",
                    entry.id
                );
            }
        }
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for e in entries() {
            assert!(seen.insert(e.id), "duplicate id {}", e.id);
            assert!(e.id.contains('.'), "id {} lacks an area prefix", e.id);
            assert!(
                !e.title.is_empty() && !e.explanation.is_empty(),
                "{} lacks text",
                e.id
            );
        }
    }

    /// Every id the report contract names must be catalogued.
    #[test]
    fn contract_ids_are_catalogued() {
        let contract = [
            "msg.from",
            "msg.date",
            "msg.message-id",
            "msg.single-headers",
            "msg.received-chain",
            "msg.hop-delay",
            "msg.received-order",
            "msg.transport-tls",
            "msg.auth.spf",
            "msg.auth.dkim",
            "msg.auth.dmarc",
            "msg.auth.arc",
            "msg.dmarc-alignment",
            "msg.dkim-signature",
            "msg.list-unsubscribe",
            "msg.one-click-unsubscribe",
            "msg.reply-to",
            "msg.display-name-spoof",
            "msg.fake-reply",
            "msg.spam-verdicts",
            "msg.sending-ip",
            "smtp.reply-code",
            "dns.resolves",
            "dns.dnssec",
            "mx.present",
            "mx.null",
            "mx.targets-resolve",
            "mx.no-cname",
            "mx.no-ip-literal",
            "mx.ptr",
            "spf.present",
            "spf.single-record",
            "spf.syntax",
            "spf.lookup-limit",
            "spf.void-lookups",
            "spf.all-qualifier",
            "spf.ptr-mechanism",
            "spf.record-size",
            "spf.include-resolves",
            "spf.sender-ip",
            "dmarc.present",
            "dmarc.single-record",
            "dmarc.syntax",
            "dmarc.policy",
            "dmarc.subdomain-policy",
            "dmarc.rua",
            "dmarc.external-report-auth",
            "dkim.key",
            "dkim.key-length",
            "dkim.testing",
            "dkim.revoked",
            "mta-sts.record",
            "mta-sts.policy",
            "mta-sts.mx-coverage",
            "tls-rpt.record",
            "bimi.record",
            "bimi.dmarc-enforcement",
            "dane.tlsa",
            "dnsbl.listed",
            "smtp.connect",
            "smtp.banner",
            "smtp.ehlo",
            "smtp.starttls",
            "smtp.tls-version",
            "smtp.certificate",
            "smtp.banner-ptr",
            "bulk.spf-or-dkim",
            "bulk.spf-and-dkim",
            "bulk.dmarc",
            "bulk.alignment",
            "bulk.one-click",
            "bulk.ptr",
            "bulk.tls",
            "bulk.dkim-key-length",
            "bulk.spam-rate",
            "canspam.header-accuracy",
            "canspam.subject",
            "canspam.ad-disclosure",
            "canspam.postal-address",
            "canspam.opt-out",
            "canspam.opt-out-honored",
            "canspam.third-party",
            "smtp.rcpt",
            "msg.smime",
        ];
        for id in contract {
            assert!(lookup(id).is_some(), "contract id {id} is not catalogued");
        }
    }
}
