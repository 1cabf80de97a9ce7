//! rspamd: X-Spamd-Result, X-Rspamd-Score and X-Spam-Action.

use super::{field, fmt_score, parse_number, SpamDecision, SpamVerdict};

/// Short meanings of common rspamd symbols (rspamd 3.x rule names).
const RSPAMD_SYMBOLS: &[(&str, &str)] = &[
    ("R_SPF_ALLOW", "SPF passed"),
    ("R_SPF_FAIL", "SPF failed"),
    ("R_SPF_SOFTFAIL", "SPF softfail"),
    ("R_SPF_NEUTRAL", "SPF neutral"),
    ("R_SPF_NA", "no SPF record"),
    ("R_SPF_DNSFAIL", "SPF DNS lookup failed"),
    ("R_SPF_PERMFAIL", "SPF record is broken (permerror)"),
    ("R_DKIM_ALLOW", "DKIM passed"),
    ("R_DKIM_REJECT", "DKIM signature failed"),
    ("R_DKIM_NA", "no DKIM signature"),
    ("R_DKIM_TEMPFAIL", "DKIM check failed temporarily"),
    ("R_DKIM_PERMFAIL", "DKIM check failed permanently"),
    ("DKIM_TRACE", "DKIM domains and results"),
    ("DMARC_POLICY_ALLOW", "DMARC passed"),
    ("DMARC_POLICY_REJECT", "DMARC failed with policy reject"),
    (
        "DMARC_POLICY_QUARANTINE",
        "DMARC failed with policy quarantine",
    ),
    ("DMARC_POLICY_SOFTFAIL", "DMARC failed with policy none"),
    ("DMARC_NA", "no DMARC record"),
    ("ARC_ALLOW", "ARC chain valid"),
    ("ARC_REJECT", "ARC chain invalid"),
    ("ARC_NA", "no ARC headers"),
    ("BAYES_SPAM", "Bayesian classifier says spam"),
    ("BAYES_HAM", "Bayesian classifier says ham (legitimate)"),
    ("MIME_GOOD", "well-formed MIME structure"),
    (
        "MIME_HTML_ONLY",
        "only an HTML part, no plain-text alternative",
    ),
    ("MID_RHS_MATCH_FROM", "Message-ID domain matches From"),
    (
        "MID_RHS_NOT_FQDN",
        "Message-ID right part is not a domain name",
    ),
    ("MISSING_MID", "no Message-ID"),
    ("MISSING_DATE", "no Date"),
    ("FROM_HAS_DN", "From has a display name"),
    ("FROM_EQ_ENVFROM", "From equals the envelope sender"),
    ("FROM_NEQ_ENVFROM", "From differs from the envelope sender"),
    ("TO_DN_NONE", "To has no display name"),
    ("RCPT_COUNT_ONE", "one recipient"),
    ("RCVD_COUNT_ONE", "one Received header"),
    ("RCVD_TLS_ALL", "all hops used TLS"),
    ("RCVD_TLS_LAST", "the last hop used TLS"),
    ("RCVD_NO_TLS_LAST", "the last hop did not use TLS"),
    ("RCVD_IN_DNSWL_NONE", "listed in DNSWL with no trust"),
    ("RCVD_IN_DNSWL_LOW", "listed in DNSWL with low trust"),
    ("RBL_SPAMHAUS_ZEN", "the sending IP is on Spamhaus ZEN"),
    ("RBL_SPAMHAUS_SBL", "the sending IP is on the Spamhaus SBL"),
    ("RBL_SPAMHAUS_XBL", "the sending IP is on the Spamhaus XBL"),
    ("RBL_SPAMHAUS_PBL", "the sending IP is on the Spamhaus PBL"),
    ("RWL_MAILSPIKE_GOOD", "good Mailspike reputation"),
    ("RWL_MAILSPIKE_POSSIBLE", "neutral Mailspike reputation"),
    (
        "URIBL_BLOCKED",
        "URIBL query blocked (resolver problem), not a listing",
    ),
    ("DBL_SPAM", "a link's domain is on the Spamhaus DBL"),
    ("ASN", "autonomous system of the sending IP"),
    ("ONCE_RECEIVED", "only one Received header"),
    (
        "HFILTER_HOSTNAME_UNKNOWN",
        "the sending host has no reverse DNS",
    ),
    ("R_PARTS_DIFFER", "text and HTML parts differ a lot"),
    ("FORGED_SENDER", "sender differs from the From header"),
    (
        "PHISHING",
        "a link's text shows a different domain than its target",
    ),
    ("SUBJ_ALL_CAPS", "the subject is all capitals"),
    ("FREEMAIL_FROM", "sent from a free mail provider"),
    ("FUZZY_DENIED", "matches the fuzzy hash of known spam"),
    ("NEURAL_SPAM", "the neural network says spam"),
    ("NEURAL_HAM", "the neural network says ham"),
    ("GREYLIST", "the message was greylisted"),
    ("MANY_INVISIBLE_PARTS", "many invisible HTML parts"),
    ("HAS_LIST_UNSUB", "has a List-Unsubscribe header"),
    (
        "PREVIOUSLY_DELIVERED",
        "the recipient already appears in Received",
    ),
    ("MV_CASE", "mixed case in the MIME-Version header"),
];

fn rspamd_meaning(symbol: &str) -> String {
    RSPAMD_SYMBOLS
        .iter()
        .find(|(name, _)| *name == symbol)
        .map(|(_, m)| m.to_string())
        .unwrap_or_default()
}

fn rspamd_action_meaning(action: &str) -> &'static str {
    match action.trim().to_ascii_lowercase().as_str() {
        "no action" => "deliver normally",
        "greylist" => "temporarily rejected (greylisting); the sender must retry",
        "add header" => "deliver, marked as spam (usually to the Junk folder)",
        "rewrite subject" => "deliver with the subject rewritten as spam",
        "soft reject" => "temporarily rejected (rate limit or greylisting)",
        "reject" => "rejected as spam",
        _ => "",
    }
}

/// Decodes rspamd's headers. `result` is X-Spamd-Result, e.g.
/// `default: False [-0.10 / 15.00]; R_SPF_ALLOW(-0.20)[+ip4:192.0.2.0/24]; ...`.
pub fn decode_rspamd(
    result: Option<&str>,
    score: Option<&str>,
    action: Option<&str>,
) -> Option<SpamVerdict> {
    if result.is_none() && score.is_none() && action.is_none() {
        return None;
    }
    let mut fields = Vec::new();
    let mut verdict = SpamDecision::Unknown;
    let mut total = None;
    let mut required = None;
    if let Some(result) = result {
        let mut parts = result.split(';').map(str::trim).filter(|p| !p.is_empty());
        if let Some(head) = parts.next() {
            // "default: False [-0.10 / 15.00]"
            let after_colon = head.split_once(':').map_or(head, |(_, r)| r).trim();
            let flag = after_colon.split_whitespace().next().unwrap_or("");
            if flag.eq_ignore_ascii_case("true") {
                verdict = SpamDecision::Spam;
            } else if flag.eq_ignore_ascii_case("false") {
                verdict = SpamDecision::NotSpam;
            }
            if let (Some(open), Some(close)) = (after_colon.find('['), after_colon.find(']')) {
                if open < close {
                    let inside = &after_colon[open + 1..close];
                    let mut nums = inside.split('/');
                    total = nums.next().and_then(parse_number);
                    required = nums.next().and_then(parse_number);
                }
            }
            fields.push(field(
                "default",
                after_colon,
                "True when the score reached the spam threshold; [score / threshold]",
            ));
        }
        for symbol in parts {
            let name_end = symbol.find(['(', '[']).unwrap_or(symbol.len());
            let name = symbol[..name_end].trim();
            let value = symbol[name_end..].trim();
            if name.is_empty() {
                continue;
            }
            fields.push(field(name, value, rspamd_meaning(name)));
        }
    }
    if let Some(score) = score {
        if total.is_none() {
            total = parse_number(score);
        }
        fields.push(field("X-Rspamd-Score", score.trim(), "the spam score"));
    }
    if let Some(action) = action {
        let meaning = rspamd_action_meaning(action);
        let a = action.trim().to_ascii_lowercase();
        if verdict == SpamDecision::Unknown {
            verdict = match a.as_str() {
                "no action" | "greylist" => SpamDecision::NotSpam,
                "add header" | "rewrite subject" | "reject" => SpamDecision::Spam,
                _ => SpamDecision::Unknown,
            };
        }
        fields.push(field("action", action.trim(), meaning));
    }
    let verdict_word = match verdict {
        SpamDecision::Spam => "spam",
        SpamDecision::NotSpam => "not spam",
        SpamDecision::Unknown => "no verdict",
    };
    let summary = match (total, required) {
        (Some(s), Some(r)) => format!(
            "rspamd: {verdict_word}, score {} (threshold {})",
            fmt_score(s),
            fmt_score(r)
        ),
        (Some(s), None) => format!("rspamd: {verdict_word}, score {}", fmt_score(s)),
        _ => format!("rspamd: {verdict_word}"),
    };
    Some(SpamVerdict {
        filter: "rspamd".to_string(),
        verdict,
        score: total,
        required,
        summary,
        fields,
    })
}
