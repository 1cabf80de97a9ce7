//! Ties a spam filter's rules to the content findings: when SpamAssassin
//! or rspamd left its rule hits in the headers, each content-related rule
//! gets a `content.filter-rules` check saying what in this message made it
//! fire ("URIBL_BLACK fired because links go to x.example"), and the
//! matching content check names the rule.

use crate::message::spam::SpamVerdict;
use crate::report::{Check, Status};

use super::Findings;

/// Which content check a rule is about, by name prefix or exact name.
/// SpamAssassin rule names (Rules in 72_active.cf, 20_uri_tests.cf,
/// 25_uribl.cf, 20_mime_tests.cf...) and rspamd symbols (modules
/// surbl/rbl, mime_types, html, phishing) share some names.
const RULES: &[(&str, &str)] = &[
    // Link domains on URI blocklists: the Reputation section says which.
    ("URIBL_", "links"),
    ("SURBL_", "links"),
    ("DBL_", "links"),
    ("RSPAMD_URIBL", "links"),
    ("URIBL", "links"),
    ("SEM_URIBL", "links"),
    ("MSBL_EBL", "links"),
    ("HAS_SHORT_URL", "content.url-shortener"),
    ("SHORT_URL", "content.url-shortener"),
    ("SHORTENED_URL", "content.url-shortener"),
    ("URL_REDIRECTOR", "content.url-shortener"),
    ("REDIRECTOR_URL", "content.url-shortener"),
    ("NUMERIC_HTTP_ADDR", "content.ip-links"),
    ("NORMAL_HTTP_TO_IP", "content.ip-links"),
    ("HTTP_TO_IP", "content.ip-links"),
    ("URI_NUMERIC", "content.ip-links"),
    ("PHISHING", "content.link-text"),
    ("PHISHED_", "content.link-text"),
    ("SPOOF_COM2", "content.link-text"),
    ("HTTPS_HTTP_MISMATCH", "content.link-text"),
    ("URI_PHISH", "content.link-text"),
    ("HTML_IMAGE_ONLY", "content.image-ratio"),
    ("HTML_IMAGE_RATIO", "content.image-ratio"),
    ("HTML_SHORT_LINK_IMG", "content.image-ratio"),
    ("R_EMPTY_IMAGE", "content.image-ratio"),
    ("MIME_HTML_ONLY", "content.alternatives"),
    ("MPART_ALT_DIFF", "content.alternatives"),
    ("R_PARTS_DIFFER", "content.alternatives"),
    ("MIME_HTML_MOSTLY", "content.alternatives"),
    ("HTML_FONT_LOW_CONTRAST", "content.hidden-text"),
    ("HTML_FONT_SIZE_TINY", "content.hidden-text"),
    ("HTML_TINY_FONT", "content.hidden-text"),
    ("ZERO_FONT", "content.hidden-text"),
    ("R_WHITE_ON_WHITE", "content.hidden-text"),
    ("HTML_OBFUSCATE", "content.hidden-text"),
    ("HTML_EMBEDS", "content.forms-scripts"),
    ("HTML_FORMACTION", "content.forms-scripts"),
    ("HTML_SCRIPT", "content.forms-scripts"),
    ("FORM_", "content.forms-scripts"),
    ("OLEMACRO", "content.attachments"),
    ("OLEVBMACRO", "content.attachments"),
    ("OLETOOLS", "content.attachments"),
    ("MICROSOFT_EXECUTABLE", "content.attachments"),
    ("MIME_BAD_EXTENSION", "content.attachments"),
    ("MIME_DOUBLE_BAD_EXTENSION", "content.attachments"),
    ("MIME_ARCHIVE_IN_ARCHIVE", "content.attachments"),
    ("MIME_ENCRYPTED_ARCHIVE", "content.attachments"),
    ("MIME_OBFUSCATED_ARCHIVE", "content.attachments"),
    ("MIME_SUSPECT_NAME", "content.attachments"),
    ("MIME_BOUND", "content.mime"),
    ("MIME_MISSING_BOUNDARY", "content.mime"),
    ("MISSING_MIME", "content.mime"),
    ("MIME_BAD_", "content.mime"),
    ("MIME_CHARSET", "content.mime"),
    ("MIME_BASE64", "content.mime"),
    ("MIME_QP", "content.mime"),
    ("BROKEN_CONTENT_TYPE", "content.mime"),
    ("R_BAD_CTE", "content.mime"),
    ("CTYPE_MIXED_BOGUS", "content.mime"),
];

/// The content concern a rule name is about, if any.
pub fn concern_of(rule: &str) -> Option<&'static str> {
    // The longest matching prefix wins (MIME_BAD_EXTENSION before MIME_BAD_).
    let rule = rule.trim_start_matches("T_").trim_start_matches("__");
    RULES
        .iter()
        .filter(|(prefix, _)| rule.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, concern)| *concern)
}

/// What in the message the rule's concern points at, in words.
fn evidence(f: &Findings, concern: &str, checks: &[Check]) -> String {
    if concern == "links" {
        let domains = &f.section.link_domains;
        return if domains.is_empty() {
            "a URI blocklist listed a domain the filter found; mxlens found no link domains in this copy of the body".to_string()
        } else {
            format!(
                "links go to {} (the Reputation section shows which of them are listed)",
                domains
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
    }
    match checks.iter().find(|c| c.id == concern) {
        Some(c) if matches!(c.status, Status::Fail | Status::Warn) => c.detail.clone(),
        Some(c) => format!("mxlens finds no such problem here ({}): the filter may have seen another version of the message", c.detail),
        None => "mxlens has no finding for it".to_string(),
    }
}

/// Adds one `content.filter-rules` check per content-related rule hit
/// (info: the verdict itself is scored by `msg.spam-verdicts`) and names
/// the rule in the matching content check's detail.
pub fn tie_rules(f: &Findings, verdicts: &[SpamVerdict], checks: &mut Vec<Check>) {
    let mut tied = Vec::new();
    for verdict in verdicts {
        for field in &verdict.fields {
            let Some(concern) = concern_of(&field.name) else {
                continue;
            };
            let score = if field.value.is_empty() {
                String::new()
            } else {
                format!(" ({})", field.value)
            };
            let detail = format!(
                "{} rule {}{score} fired because {}",
                verdict.filter,
                field.name,
                evidence(f, concern, checks)
            );
            tied.push(
                Check::new("content.filter-rules", Status::Info, detail)
                    .with_subject(format!("{} {}", verdict.filter, field.name)),
            );
            let target = if concern == "links" {
                "content.link-alignment"
            } else {
                concern
            };
            if let Some(check) = checks.iter_mut().find(|c| c.id == target) {
                check
                    .detail
                    .push_str(&format!(" [{} {} fired]", verdict.filter, field.name));
            }
        }
    }
    checks.extend(tied);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_map_to_concerns() {
        for (rule, concern) in [
            ("URIBL_BLACK", Some("links")),
            ("URIBL_DBL_SPAM", Some("links")),
            ("DBL_PHISH", Some("links")),
            ("T_HAS_SHORT_URL", Some("content.url-shortener")),
            ("HTML_IMAGE_ONLY_08", Some("content.image-ratio")),
            ("MIME_BAD_EXTENSION", Some("content.attachments")),
            ("MIME_BAD_ISO_CHARSET", Some("content.mime")),
            ("MIME_HTML_ONLY", Some("content.alternatives")),
            ("BAYES_99", None),
            ("", None),
        ] {
            assert_eq!(concern_of(rule), concern, "rule: {rule}");
        }
    }
}
