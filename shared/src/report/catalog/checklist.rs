//! Catalogue entries for checklist items. They carry no score weight: the
//! checklist mirrors checks that are already scored.

use super::message::entry;
use super::{Area, CatalogEntry};

pub(super) static ENTRIES: &[CatalogEntry] = &[
    entry!("bulk.spf-or-dkim", Checklist, 0, "SPF or DKIM passes (all senders)",
        "Gmail and Yahoo require every sender to authenticate with SPF or DKIM.", "", ["Gmail sender guidelines", "Yahoo sender requirements"]),
    entry!("bulk.spf-and-dkim", Checklist, 0, "SPF and DKIM both pass (bulk senders)",
        "Bulk senders (5,000+ messages a day to Gmail) must pass both SPF and DKIM.", "", ["Gmail sender guidelines"]),
    entry!("bulk.dmarc", Checklist, 0, "DMARC record published (p=none at least)",
        "Bulk senders must publish DMARC; p=none is the minimum.", "", ["Gmail sender guidelines", "RFC 7489"]),
    entry!("bulk.alignment", Checklist, 0, "From domain aligned with SPF or DKIM",
        "The From domain must align with the SPF or the DKIM domain.", "", ["Gmail sender guidelines", "RFC 7489 §3.1"]),
    entry!("bulk.one-click", Checklist, 0, "One-click unsubscribe (RFC 8058)",
        "Marketing mail must offer one-click unsubscribe and honour it within two days.", "", ["RFC 8058", "Gmail sender guidelines"]),
    entry!("bulk.ptr", Checklist, 0, "Sending IP has valid forward and reverse DNS",
        "The sending IP must have a PTR whose name resolves back to it.", "", ["Gmail sender guidelines"]),
    entry!("bulk.tls", Checklist, 0, "TLS for transmitting mail",
        "Mail must be transmitted over TLS.", "", ["Gmail sender guidelines"]),
    entry!("bulk.dkim-key-length", Checklist, 0, "DKIM key of 1024 bits or more (2048 recommended)",
        "Gmail requires DKIM keys of at least 1024 bits and recommends 2048.", "", ["RFC 8301 §3.2"]),
    entry!("bulk.content", Checklist, 0, "Content and links filters can trust",
        "Gmail asks senders not to hide content, not to use deceptive links, and to format messages to the standards; shorteners, image-only bodies, executables and listed link domains send mail to spam even when authentication passes.", "", ["Gmail sender guidelines", "RFC 5322"]),
    entry!("bulk.link-reputation", Checklist, 0, "No domain or IP of the message on a blocklist",
        "Mail whose links, From, DKIM or Return-Path domain, or sending IP is on a blocklist such as Spamhaus is blocked or junked whatever its authentication.", "", ["Gmail sender guidelines", "RFC 5782"]),
    entry!("bulk.spam-rate", Checklist, 0, "Spam rate under 0.3% (aim below 0.1%)",
        "Check Google Postmaster Tools and Yahoo's complaint feedback loop: the user-reported spam rate must stay below 0.3%.", "", ["Gmail sender guidelines"]),
    entry!("canspam.header-accuracy", Checklist, 0, "Header information is not false or misleading",
        "From, To, Reply-To and routing information must be accurate and identify the sender.", "", ["15 U.S.C. 7704(a)(1)"]),
    entry!("canspam.subject", Checklist, 0, "Subject line is not deceptive",
        "The subject must reflect the content of the message.", "", ["15 U.S.C. 7704(a)(2)"]),
    entry!("canspam.ad-disclosure", Checklist, 0, "Message is identified as an ad",
        "Commercial messages must disclose clearly that they are an advertisement. Verify this yourself.", "", ["15 U.S.C. 7704(a)(5)(A)(i)"]),
    entry!("canspam.postal-address", Checklist, 0, "Valid physical postal address",
        "The message must include the sender's valid physical postal address (street address, or a registered PO Box).", "", ["15 U.S.C. 7704(a)(5)(A)(iii)"]),
    entry!("canspam.opt-out", Checklist, 0, "Clear opt-out mechanism",
        "The message must tell recipients how to opt out, in the body or with List-Unsubscribe.", "", ["15 U.S.C. 7704(a)(5)(A)(ii)"]),
    entry!("canspam.opt-out-honored", Checklist, 0, "Opt-outs honoured within 10 business days",
        "Opt-out requests must be honoured within 10 business days, and the mechanism must work for at least 30 days after sending. Verify this yourself.", "", ["15 U.S.C. 7704(a)(4)"]),
    entry!("canspam.third-party", Checklist, 0, "Third parties sending for you comply",
        "You remain responsible for mail sent on your behalf. Verify your senders' practices yourself.", "", ["15 U.S.C. 7705"]),
];
