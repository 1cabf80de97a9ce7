//! The two checklists of a message report: the Gmail/Yahoo/Microsoft
//! bulk-sender requirements and CAN-SPAM (after the FTC's compliance guide).
//!
//! The analysis gathers what it knows into [`ChecklistInputs`]. The items
//! a message alone cannot answer (the DMARC record, the sending IP's PTR,
//! the DKIM key size) stay `needs_backend`; a combined report answers them
//! from the domain audit's facts (`crate::report::combine`).
//! `None` always means "not known yet", never a pass.
//!
//! # Wiring in `analyze_message`
//! ```text
//! let text = String::from_utf8_lossy(normalised_input);
//! let msg = MessageParser::default().parse(normalised_input);   // parse, not parse_headers: bounces and CAN-SPAM need the body
//! if smtp::bounce::looks_like_bare_reply(&text) || msg.as_ref().map_or(true, |m| m.headers().is_empty()) {
//!     checks = bounce::checks_for_text(&text);                   // bare SMTP line(s): nothing else applies
//! } else {
//!     let m = msg.as_ref().unwrap();
//!     let dkim_h: Vec<Vec<String>> = /* one lower-case h= list per DKIM-Signature (core parser) */;
//!     let hygiene = hygiene::analyse(m, generated_at_unix);
//!     checks.extend(hygiene.checks);
//!     checks.extend(unsubscribe::checks(m, &dkim_h));
//!     checks.extend(spam::checks(&spam::decode(m)));
//!     checks.extend(bounce::checks(m));                          // empty unless the message is a bounce/DSN
//!     let mut inputs = ChecklistInputs::from_message(m, &dkim_h);
//!     inputs.apply_hygiene(&hygiene.facts);             // typed verdicts, not checks looked up by id
//!     inputs.apply_content_checks(&checks);             // the Content checks that warned or failed
//!     inputs.spf_result = /* trusted A-R spf */; inputs.dkim_result = /* "pass" if any */;
//!     inputs.dmarc_result = /* trusted A-R dmarc */;
//!     inputs.spf_aligned = /* core alignment */; inputs.dkim_aligned = /* core alignment */;
//!     inputs.hop_tls = /* TLS per hop after the sender */;
//!     report.checklists = checklists::build(&inputs);
//! }
//! ```

pub mod bulk;
pub mod canspam;
pub mod postal;

#[cfg(test)]
mod corpus_tests;

pub use bulk::bulk_sender;
pub use canspam::can_spam;

use mail_parser::Message;

use crate::message::hygiene::HygieneFacts;
use crate::message::unsubscribe::UnsubscribeState;
use crate::report::catalog;
use crate::report::{ids, Check, ChecklistItem, ChecklistStatus, Checklists, Status};

/// Everything the checklists look at. Fill it with
/// [`ChecklistInputs::from_message`], then [`ChecklistInputs::apply_hygiene`]
/// and [`ChecklistInputs::apply_content_checks`],
/// then set the authentication fields from the trusted Authentication-Results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChecklistInputs {
    /// SPF result from the receiving ADMD's Authentication-Results (`pass`, `fail`, `softfail`...).
    pub spf_result: Option<String>,
    /// Best DKIM result from the trusted Authentication-Results (`pass` when any signature passed).
    pub dkim_result: Option<String>,
    /// DMARC result from the trusted Authentication-Results (`pass`, `fail`, `none`...).
    pub dmarc_result: Option<String>,
    /// A passing SPF identity is aligned with From (computed by mxlens); `None` when unknown.
    pub spf_aligned: Option<bool>,
    /// A passing DKIM signature is aligned with From (computed by mxlens); `None` when unknown.
    pub dkim_aligned: Option<bool>,
    /// TLS per hop after the sender, oldest first (`None` when the hop does not say).
    pub hop_tls: Vec<Option<bool>>,
    /// The paste contained a body.
    pub has_body: bool,
    /// The body as plain text (HTML converted), when present.
    pub body_text: Option<String>,
    /// The From address.
    pub from_address: Option<String>,
    /// The From display name.
    pub from_name: Option<String>,
    /// The decoded Subject.
    pub subject: Option<String>,
    /// The List-Unsubscribe / one-click state.
    pub unsubscribe: Option<UnsubscribeState>,
    /// `msg.from` passed (exactly one valid From address).
    pub from_valid: Option<bool>,
    /// `msg.display-name-spoof` failed or warned.
    pub display_name_spoof: Option<bool>,
    /// `msg.fake-reply` warned (Re:/Fwd: without a thread).
    pub fake_reply: Option<bool>,
    /// The content findings that filters weigh (the `content.*` checks that
    /// warned or failed, in words); `None` when the body was not analysed.
    pub content_problems: Option<Vec<String>>,
    /// A body link offering the opt-out (its text or href says unsubscribe,
    /// opt-out...): its href.
    pub opt_out_link: Option<String>,
    /// Every body link offering the opt-out is hidden.
    pub opt_out_link_hidden: bool,
    /// The HTML is over Gmail's clipping size, so a footer may not show.
    pub html_clipped: bool,
    /// Backend fact: the names on a blocklist (`name on zone`); empty when
    /// none is listed, `None` when the lookups have not run.
    pub listed: Option<Vec<String>>,
    /// Backend fact: the lookups that could not say (`name on list`: the
    /// list refused the query or DNS failed).
    pub reputation_unknown: Vec<String>,
}

impl ChecklistInputs {
    /// Fills the message-derived fields: From, Subject, body text and the
    /// unsubscribe state. `dkim_signed_headers` is one lower-case `h=` list
    /// per DKIM-Signature (see [`crate::message::unsubscribe::state`]).
    /// Parse with `MessageParser::parse` so the body is available.
    pub fn from_message(msg: &Message<'_>, dkim_signed_headers: &[Vec<String>]) -> Self {
        let mut body = String::new();
        for i in 0..msg.text_body_count() {
            if let Some(text) = crate::message::html_text::body_text(msg, i) {
                body.push_str(&text);
                body.push('\n');
            }
        }
        if msg.text_body_count() == 0 {
            // An HTML-only message: the HTML part rendered as text (html_text).
            if let Some(text) = crate::message::html_text::body_text(msg, 0) {
                body.push_str(&text);
            }
        }
        // No header block at all means mail-parser took the whole paste as a
        // body: that is not a message body (e.g. a bare SMTP line).
        let has_body = !body.trim().is_empty() && !msg.headers().is_empty();
        let from = msg.from().and_then(|a| a.first());
        ChecklistInputs {
            has_body,
            body_text: has_body.then_some(body),
            from_address: from.and_then(|a| a.address.as_deref().map(str::to_string)),
            from_name: from.and_then(|a| a.name.as_deref().map(str::to_string)),
            subject: msg.subject().map(str::to_string),
            unsubscribe: Some(crate::message::unsubscribe::state(msg, dkim_signed_headers)),
            ..ChecklistInputs::default()
        }
    }

    /// Takes the header hygiene verdicts (CAN-SPAM's header accuracy and
    /// subject items).
    pub fn apply_hygiene(&mut self, facts: &HygieneFacts) {
        self.from_valid = Some(facts.from_valid);
        self.display_name_spoof = facts.display_name_spoof;
        self.fake_reply = facts.fake_reply;
    }

    /// Gathers the content findings filters weigh: the Content area's
    /// checks that warned or failed, in words (the item lists them, so it
    /// reads the checks themselves). Other checks are passed over.
    pub fn apply_content_checks(&mut self, checks: &[Check]) {
        for check in checks {
            match &*check.id {
                ids::CONTENT_BODY | ids::CONTENT_LIMITS | ids::CONTENT_FILTER_RULES => {}
                // The catalogue's Content area is exactly the `content.*`
                // ids; an id it does not know is not a content problem.
                id if catalog::is_content(id) => {
                    let problems = self.content_problems.get_or_insert_with(Vec::new);
                    if matches!(check.status, Status::Fail | Status::Warn) {
                        problems.push(format!("{}: {}", check.title, check.detail));
                    }
                }
                _ => {}
            }
        }
    }
}

impl ChecklistInputs {
    /// Reads the opt-out link and the Gmail clipping from the Content
    /// section (CAN-SPAM's "clear and conspicuous" opt-out, 15 U.S.C.
    /// 7704(a)(3) and (5)).
    pub fn apply_content(&mut self, content: Option<&crate::report::ContentSection>) {
        let Some(content) = content else {
            return;
        };
        self.html_clipped = content.html_bytes > crate::content::checks::GMAIL_CLIP_BYTES;
        let offers = |l: &&crate::report::LinkSummary| {
            let text = crate::text::lower(&l.text);
            let href = crate::text::lower(&l.href);
            canspam::is_opt_out_phrase(&text) || canspam::is_opt_out_phrase(&href)
        };
        let opt_out: Vec<&crate::report::LinkSummary> =
            content.links.iter().filter(offers).collect();
        let visible = opt_out
            .iter()
            .find(|l| !l.flags.iter().any(|f| f == "hidden"));
        self.opt_out_link = visible.or(opt_out.first()).map(|l| l.href.clone());
        self.opt_out_link_hidden = !opt_out.is_empty() && visible.is_none();
    }

    /// Reads the blocklist listings of a Reputation section (server side).
    pub fn apply_reputation(&mut self, reputation: Option<&crate::report::ReputationSection>) {
        self.listed = reputation.map(|r| {
            r.listings
                .iter()
                .filter(|l| l.result == "listed")
                .map(|l| format!("{} on {}", l.name, l.list))
                .collect()
        });
        self.reputation_unknown = reputation
            .map(|r| {
                r.listings
                    .iter()
                    .filter(|l| l.result == "error")
                    .map(|l| format!("{} on {}", l.name, l.list))
                    .collect()
            })
            .unwrap_or_default();
    }

    /// The `bulk.link-reputation` item for these inputs.
    pub fn link_reputation_item(&self) -> ChecklistItem {
        bulk::link_reputation(self)
    }
}

/// Both checklists, ready for [`crate::report::Report::checklists`].
pub fn build(inputs: &ChecklistInputs) -> Checklists {
    Checklists {
        bulk_sender: bulk_sender(inputs),
        can_spam: can_spam(inputs),
    }
}

/// Builds a checklist row with its title from the catalogue.
pub fn item(id: &str, status: ChecklistStatus, detail: impl Into<String>) -> ChecklistItem {
    let (_, id, title) = crate::report::catalogued(id);
    ChecklistItem {
        id,
        status,
        title,
        detail: detail.into(),
    }
}

/// True when an Authentication-Results result word means pass.
pub(crate) fn is_pass(result: Option<&str>) -> bool {
    result.is_some_and(|r| r.trim().eq_ignore_ascii_case("pass"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    #[test]
    fn every_item_id_is_catalogued() {
        let inputs = ChecklistInputs::default();
        for item in bulk_sender(&inputs).iter().chain(can_spam(&inputs).iter()) {
            assert!(
                crate::report::catalog::lookup(&item.id).is_some(),
                "{} is not catalogued",
                item.id
            );
            assert_ne!(item.title, item.id, "{} has no title", item.id);
        }
        assert_eq!(bulk_sender(&inputs).len(), 11);
        assert_eq!(can_spam(&inputs).len(), 7);
        let both = build(&inputs);
        assert_eq!((both.bulk_sender.len(), both.can_spam.len()), (11, 7));
    }

    #[test]
    fn from_message_and_checks() {
        let raw = "From: \"News\" <news@example.com>\r\nSubject: Re: offer\r\nList-Unsubscribe: <https://example.com/u>\r\n\r\nHello\r\nUnsubscribe here.\r\n";
        let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let mut inputs = ChecklistInputs::from_message(&msg, &[]);
        assert!(inputs.has_body, "input: {raw:?}");
        assert_eq!(inputs.from_address.as_deref(), Some("news@example.com"));
        inputs.apply_hygiene(&crate::message::hygiene::analyse(&msg, 0).facts);
        assert_eq!(inputs.from_valid, Some(true));
        assert_eq!(inputs.fake_reply, Some(true));
        assert_eq!(inputs.display_name_spoof, Some(false));
    }
}
