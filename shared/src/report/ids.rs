//! The check ids that code other than their producer reads: the checklists,
//! the combined report, the delivery report, the transport-security section
//! and the UI match on these constants, never on string literals, so a
//! renamed check is a compile error here (and a failing test below when the
//! catalogue and a constant disagree) instead of a silent non-match.
//!
//! Only ids that are matched outside their producer have a constant; the
//! producers may keep their literals. Each constant names its producer and
//! the RFC section (or the guide) the check comes from; the catalogue
//! ([`super::catalog`]) holds the texts.

// --- Message (hygiene) -----------------------------------------------------

/// One valid From address. Produced by `message::analyze` and
/// `message::hygiene`; RFC 5322 §3.6.2. Read by the checklists
/// (CAN-SPAM header accuracy).
pub const MSG_FROM: &str = "msg.from";

/// A display name that spoofs another address or brand. Produced by
/// `message::hygiene`; RFC 5322 §3.4. Read by the checklists.
pub const MSG_DISPLAY_NAME_SPOOF: &str = "msg.display-name-spoof";

/// A "Re:" subject with no In-Reply-To or References. Produced by
/// `message::hygiene`; RFC 5322 §3.6.4. Read by the checklists.
pub const MSG_FAKE_REPLY: &str = "msg.fake-reply";

// --- Message (authentication) ----------------------------------------------

/// The DKIM result the receiver recorded. Produced by `message::auth`;
/// RFC 6376 §6, RFC 8601 §2.7.1. Read by the delivery report.
pub const MSG_AUTH_DKIM: &str = "msg.auth.dkim";

/// The DMARC result the receiver recorded. Produced by `message::auth`;
/// RFC 7489 §6.6, RFC 8601 §2.7. Read by the delivery report.
pub const MSG_AUTH_DMARC: &str = "msg.auth.dmarc";

/// DMARC identifier alignment. Produced by `message::auth`; RFC 7489 §3.1.
/// Read by the delivery report.
pub const MSG_DMARC_ALIGNMENT: &str = "msg.dmarc-alignment";

// --- Content ---------------------------------------------------------------

/// Whether there was a body to read. Produced by `content::checks`;
/// RFC 5322 §3.5. The checklists skip it (it is not a content problem).
pub const CONTENT_BODY: &str = "content.body";

/// The body was over the content analysis's limits. Produced by
/// `content::checks`; RFC 2046 §5.1.1. The checklists skip it.
pub const CONTENT_LIMITS: &str = "content.limits";

/// Why the spam filter's content rules fired. Produced by `content::rules`;
/// RFC 5782 (the catalogue's reference). The checklists skip it (the
/// verdict is scored under Spam filters).
pub const CONTENT_FILTER_RULES: &str = "content.filter-rules";

// --- Domain ----------------------------------------------------------------

/// A DMARC record at `_dmarc.<domain>`. Produced by `dmarc::lint`;
/// RFC 7489 §6.1. Read by the combined report (`bulk.dmarc`) and the
/// delivery report (a failed lookup is not "no record").
pub const DMARC_PRESENT: &str = "dmarc.present";

/// A DKIM key's length. Produced by `dkim::key`; RFC 8301 §3.2. Read by the
/// combined report (`bulk.dkim-key-length`).
pub const DKIM_KEY_LENGTH: &str = "dkim.key-length";

/// The PTR of an MX address. Produced by `audit::ptr` (via `audit::plan`);
/// RFC 1912 §2.1. Read by the combined report (`bulk.ptr`).
pub const MX_PTR: &str = "mx.ptr";

/// The PTR of the sending IP. Produced by `audit::plan` and
/// `delivery::assemble`; RFC 8601 §3 (and Gmail's sender guidelines). Read
/// by the combined report (`bulk.ptr`).
pub const SENDER_PTR: &str = "sender.ptr";

/// An IP on a DNS blocklist. Produced by `audit::dnsbl` and `reputation`;
/// RFC 5782. Read by the combined report (one per IP and list).
pub const DNSBL_LISTED: &str = "dnsbl.listed";

/// The MTA-STS policy fetched over HTTPS (RFC 8461 §3.2, §3.3). Produced
/// by `mta_sts::lint` alone, from what the backend's fetch gave
/// (`mta_sts::lint::PolicyFetch`, which says when we could not look).
pub const MTA_STS_POLICY: &str = "mta-sts.policy";

/// DANE TLSA records of an MX host. Produced by `dane::tlsa`; RFC 7672 §3.
/// Read by the transport-security section.
pub const DANE_TLSA: &str = "dane.tlsa";

/// The mailbox probe (RCPT TO). Produced by `smtp::rcpt` and the backend;
/// RFC 5321 §3.3. Read by the UI's mail-servers card.
pub const SMTP_RCPT: &str = "smtp.rcpt";

// --- Checklist items -------------------------------------------------------

/// Bulk senders pass both SPF and DKIM. Produced by `checklists::bulk`;
/// Gmail's sender guidelines. Read by the delivery report.
pub const BULK_SPF_AND_DKIM: &str = "bulk.spf-and-dkim";

/// The From domain aligns with SPF or DKIM. Produced by `checklists::bulk`;
/// RFC 7489 §3.1. Read by the delivery report.
pub const BULK_ALIGNMENT: &str = "bulk.alignment";

/// Bulk senders publish DMARC. Produced by `checklists::bulk`; RFC 7489
/// (and Gmail's sender guidelines). Answered by the combined report from
/// [`DMARC_PRESENT`].
pub const BULK_DMARC: &str = "bulk.dmarc";

/// The sending IP has a PTR that resolves back to it. Produced by
/// `checklists::bulk`; Gmail's sender guidelines (see [`SENDER_PTR`]).
/// Answered by the combined report from [`SENDER_PTR`] and [`MX_PTR`].
pub const BULK_PTR: &str = "bulk.ptr";

/// The signing DKIM key has at least 1024 bits. Produced by
/// `checklists::bulk`; RFC 8301 §3.2. Answered by the combined report from
/// [`DKIM_KEY_LENGTH`].
pub const BULK_DKIM_KEY_LENGTH: &str = "bulk.dkim-key-length";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::catalog;

    /// Every constant is a catalogued id: a renamed check cannot leave a
    /// constant behind. The list is an array of the constants themselves (a
    /// removed constant fails to compile here), and it names every constant
    /// this file declares (a new one must be added to it).
    #[test]
    fn every_constant_is_catalogued() {
        let all = [
            MSG_FROM,
            MSG_DISPLAY_NAME_SPOOF,
            MSG_FAKE_REPLY,
            MSG_AUTH_DKIM,
            MSG_AUTH_DMARC,
            MSG_DMARC_ALIGNMENT,
            CONTENT_BODY,
            CONTENT_LIMITS,
            CONTENT_FILTER_RULES,
            DMARC_PRESENT,
            DKIM_KEY_LENGTH,
            MX_PTR,
            SENDER_PTR,
            DNSBL_LISTED,
            MTA_STS_POLICY,
            DANE_TLSA,
            SMTP_RCPT,
            BULK_SPF_AND_DKIM,
            BULK_ALIGNMENT,
            BULK_DMARC,
            BULK_PTR,
            BULK_DKIM_KEY_LENGTH,
        ];
        for id in all {
            assert!(catalog::lookup(id).is_some(), "{id} is not catalogued");
        }
        let declared = include_str!("ids.rs")
            .lines()
            .filter(|l| l.starts_with("pub const "))
            .count();
        assert_eq!(declared, all.len(), "a constant missing from the list");
        let mut seen = std::collections::HashSet::new();
        assert!(all.iter().all(|id| seen.insert(id)), "a duplicate constant");
    }
}
