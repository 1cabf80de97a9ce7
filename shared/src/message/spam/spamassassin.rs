//! SpamAssassin: X-Spam-Status, X-Spam-Flag, X-Spam-Score and X-Spam-Level.

use super::{field, fmt_score, parse_number, SpamDecision, SpamVerdict};

/// Short meanings of common SpamAssassin rules (names from the SpamAssassin 3.4/4.0 rule set).
const SPAMASSASSIN_RULES: &[(&str, &str)] = &[
    ("ALL_TRUSTED", "passed only through trusted relays"),
    ("BAYES_00", "Bayesian spam probability 0-1%"),
    ("BAYES_05", "Bayesian spam probability 1-5%"),
    ("BAYES_20", "Bayesian spam probability 5-20%"),
    ("BAYES_40", "Bayesian spam probability 20-40%"),
    ("BAYES_50", "Bayesian spam probability 40-60%"),
    ("BAYES_60", "Bayesian spam probability 60-80%"),
    ("BAYES_80", "Bayesian spam probability 80-95%"),
    ("BAYES_95", "Bayesian spam probability 95-99%"),
    ("BAYES_99", "Bayesian spam probability 99-100%"),
    ("BAYES_999", "Bayesian spam probability 99.9-100%"),
    (
        "DKIM_SIGNED",
        "message has a DKIM signature (not necessarily valid)",
    ),
    ("DKIM_VALID", "a DKIM signature verified"),
    (
        "DKIM_VALID_AU",
        "a DKIM signature from the author's domain verified",
    ),
    (
        "DKIM_VALID_EF",
        "a DKIM signature from the envelope-from domain verified",
    ),
    ("DKIM_INVALID", "a DKIM signature did not verify"),
    (
        "DKIM_ADSP_NXDOMAIN",
        "no valid author signature and the domain does not exist",
    ),
    ("DMARC_PASS", "DMARC passed"),
    ("DMARC_NONE", "DMARC failed with policy none"),
    ("DMARC_QUAR", "DMARC failed with policy quarantine"),
    ("DMARC_REJECT", "DMARC failed with policy reject"),
    ("DMARC_MISSING", "the From domain publishes no DMARC record"),
    ("SPF_PASS", "SPF passed"),
    ("SPF_HELO_PASS", "SPF for the HELO name passed"),
    ("SPF_FAIL", "SPF failed"),
    ("SPF_SOFTFAIL", "SPF softfail (~all)"),
    ("SPF_NEUTRAL", "SPF neutral (?all)"),
    ("SPF_NONE", "the sender domain publishes no SPF record"),
    ("SPF_HELO_NONE", "the HELO name publishes no SPF record"),
    ("HTML_MESSAGE", "the message contains HTML"),
    (
        "HTML_IMAGE_ONLY_16",
        "HTML with images and very little text",
    ),
    ("HTML_IMAGE_RATIO_02", "HTML with a low text-to-image ratio"),
    ("HTML_MIME_NO_HTML_TAG", "HTML part without an <html> tag"),
    (
        "MIME_HTML_ONLY",
        "only an HTML part, no plain-text alternative",
    ),
    (
        "MIME_HEADER_CTYPE_ONLY",
        "only a Content-Type header, no MIME-Version",
    ),
    ("MISSING_DATE", "no Date header"),
    ("MISSING_MID", "no Message-ID header"),
    ("MISSING_HEADERS", "To: header missing"),
    ("MISSING_SUBJECT", "no Subject header"),
    ("INVALID_DATE", "the Date header is not RFC 5322"),
    (
        "DATE_IN_FUTURE_03_06",
        "Date is 3 to 6 hours after the Received date",
    ),
    (
        "DATE_IN_FUTURE_06_12",
        "Date is 6 to 12 hours after the Received date",
    ),
    (
        "DATE_IN_PAST_03_06",
        "Date is 3 to 6 hours before the Received date",
    ),
    (
        "RDNS_NONE",
        "the relay that delivered the message has no reverse DNS",
    ),
    (
        "RDNS_DYNAMIC",
        "the delivering relay's reverse DNS looks dynamic (home connection)",
    ),
    (
        "HELO_DYNAMIC_IPADDR",
        "the HELO name looks like a dynamic address",
    ),
    ("RCVD_IN_DNSWL_NONE", "listed in DNSWL with no trust"),
    ("RCVD_IN_DNSWL_LOW", "listed in DNSWL with low trust (good)"),
    (
        "RCVD_IN_DNSWL_MED",
        "listed in DNSWL with medium trust (good)",
    ),
    ("RCVD_IN_DNSWL_HI", "listed in DNSWL with high trust (good)"),
    ("RCVD_IN_MSPIKE_H2", "good reputation at Mailspike"),
    ("RCVD_IN_MSPIKE_BL", "listed on the Mailspike blocklist"),
    (
        "RCVD_IN_ZEN_BLOCKED",
        "the Spamhaus query was blocked (resolver problem), not a listing",
    ),
    (
        "RCVD_IN_ZEN_BLOCKED_OPENDNS",
        "the Spamhaus query via a public resolver was refused, not a listing",
    ),
    ("RCVD_IN_SBL", "the relay is listed on the Spamhaus SBL"),
    (
        "RCVD_IN_XBL",
        "the relay is listed on the Spamhaus XBL (compromised host)",
    ),
    (
        "RCVD_IN_PBL",
        "the relay is on the Spamhaus PBL (should not send mail directly)",
    ),
    ("RCVD_IN_BL_SPAMCOP_NET", "the relay is listed on SpamCop"),
    (
        "RCVD_IN_VALIDITY_RPBL",
        "the relay has a poor Validity reputation",
    ),
    (
        "RCVD_IN_VALIDITY_SAFE",
        "the relay is on Validity's safe list",
    ),
    (
        "RCVD_IN_VALIDITY_CERTIFIED",
        "the sender is Validity certified",
    ),
    (
        "URIBL_BLOCKED",
        "the URIBL query was blocked (resolver problem), not a listing",
    ),
    (
        "URIBL_ABUSE_SURBL",
        "a link's domain is on the SURBL abuse list",
    ),
    ("URIBL_BLACK", "a link's domain is on the URIBL black list"),
    (
        "URIBL_DBL_SPAM",
        "a link's domain is on the Spamhaus DBL as spam",
    ),
    ("FREEMAIL_FROM", "sent from a free mail provider"),
    ("FREEMAIL_REPLYTO", "Reply-To is a free mail address"),
    (
        "FREEMAIL_FORGED_REPLYTO",
        "Reply-To is a free mail address different from From",
    ),
    (
        "FORGED_GMAIL_RCVD",
        "claims to come from Gmail but the Received chain disagrees",
    ),
    (
        "HEADER_FROM_DIFFERENT_DOMAINS",
        "From and envelope sender are in different domains",
    ),
    ("SUBJ_ALL_CAPS", "the subject is all capitals"),
    ("T_REMOTE_IMAGE", "the HTML loads remote images"),
    ("TVD_SPACE_RATIO", "unusual spacing in the text"),
    ("LOTS_OF_MONEY", "talks about large amounts of money"),
    ("ADVANCE_FEE_2_NEW_MONEY", "looks like advance-fee fraud"),
    ("URI_HEX", "a link uses a hexadecimal host name"),
    ("PYZOR_CHECK", "listed in the Pyzor spam checksum database"),
    ("RAZOR2_CHECK", "listed in the Vipul's Razor spam database"),
    (
        "RAZOR2_CF_RANGE_51_100",
        "Razor confidence 51-100% that this is spam",
    ),
    (
        "DCC_CHECK",
        "the body is bulk according to DCC (Distributed Checksum Clearinghouse)",
    ),
    ("NO_RELAYS", "no relays were found in the Received headers"),
    ("NO_RECEIVED", "no Received headers"),
    (
        "TO_NO_BRKTS_MSFT",
        "To without brackets and Microsoft-looking headers",
    ),
    ("UNPARSEABLE_RELAY", "a Received header could not be parsed"),
];

fn spamassassin_meaning(rule: &str) -> String {
    SPAMASSASSIN_RULES
        .iter()
        .find(|(name, _)| *name == rule)
        .map(|(_, m)| m.to_string())
        .or_else(|| {
            rule.strip_prefix("T_").and_then(|r| {
                SPAMASSASSIN_RULES
                    .iter()
                    .find(|(name, _)| *name == r)
                    .map(|(_, m)| format!("{m} (rule in testing)"))
            })
        })
        .unwrap_or_default()
}

/// Decodes SpamAssassin's headers. `status` is X-Spam-Status, e.g.
/// `Yes, score=7.2 required=5.0 tests=BAYES_99,HTML_MESSAGE autolearn=no version=3.4.6`.
pub fn decode_spamassassin(
    status: Option<&str>,
    flag: Option<&str>,
    score: Option<&str>,
    level: Option<&str>,
) -> Option<SpamVerdict> {
    if status.is_none() && flag.is_none() && score.is_none() && level.is_none() {
        return None;
    }
    let mut fields = Vec::new();
    let mut verdict = SpamDecision::Unknown;
    let mut total = None;
    let mut required = None;
    if let Some(status) = status {
        let normalised = status.replace(['\t', '\r', '\n'], " ");
        let (decision, rest) = match normalised.split_once(',') {
            Some((d, r)) => (d.trim(), r),
            None => (normalised.trim(), ""),
        };
        match decision.to_ascii_lowercase().as_str() {
            "yes" => verdict = SpamDecision::Spam,
            "no" => verdict = SpamDecision::NotSpam,
            _ => {}
        }
        fields.push(field(
            "X-Spam-Status",
            decision,
            match verdict {
                SpamDecision::Spam => "SpamAssassin classified the message as spam",
                SpamDecision::NotSpam => "SpamAssassin classified the message as not spam",
                SpamDecision::Unknown => "",
            },
        ));
        // key=value pairs; tests= may span several whitespace-separated chunks.
        let mut key = String::new();
        let mut values: Vec<(String, String)> = Vec::new();
        for token in rest.split_whitespace() {
            match token.split_once('=') {
                Some((k, v))
                    if !k.is_empty()
                        && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        && !(key == "tests" && k.chars().all(|c| c.is_ascii_uppercase())) =>
                {
                    key = k.to_string();
                    values.push((key.clone(), v.to_string()));
                }
                _ => {
                    if let Some(last) = values.last_mut() {
                        last.1.push(' ');
                        last.1.push_str(token);
                    }
                }
            }
        }
        for (k, v) in &values {
            match k.as_str() {
                "score" | "hits" => {
                    total = parse_number(v);
                    fields.push(field(k, v, "total score of the rules that fired"));
                }
                "required" => {
                    required = parse_number(v);
                    fields.push(field(k, v, "threshold at which the message counts as spam"));
                }
                "tests" => {
                    for rule in v
                        .trim_matches(|c| c == '[' || c == ']')
                        .split([',', ' '])
                        .map(|r| r.trim().trim_matches(|c| c == '[' || c == ']'))
                        .filter(|r| !r.is_empty() && *r != "none")
                    {
                        let (name, rule_score) = rule.split_once('=').unwrap_or((rule, ""));
                        fields.push(field(name, rule_score, spamassassin_meaning(name)));
                    }
                }
                "autolearn" => fields.push(field(
                    k,
                    v,
                    "whether the Bayes filter learned from this message",
                )),
                "version" => fields.push(field(k, v, "SpamAssassin version")),
                _ => fields.push(field(k, v, "")),
            }
        }
    }
    if let Some(flag) = flag {
        let f = flag.trim();
        if verdict == SpamDecision::Unknown {
            verdict = if f.eq_ignore_ascii_case("yes") {
                SpamDecision::Spam
            } else if f.eq_ignore_ascii_case("no") {
                SpamDecision::NotSpam
            } else {
                SpamDecision::Unknown
            };
        }
        fields.push(field(
            "X-Spam-Flag",
            f,
            "YES when the message was flagged as spam",
        ));
    }
    if let Some(score) = score {
        if total.is_none() {
            total = parse_number(score);
        }
        fields.push(field("X-Spam-Score", score.trim(), "the spam score"));
    }
    if let Some(level) = level {
        let stars = level.chars().filter(|c| *c == '*' || *c == '+').count();
        fields.push(field(
            "X-Spam-Level",
            level.trim(),
            format!("{stars} star(s): one per whole point of score"),
        ));
    }
    let summary = match (verdict, total, required) {
        (SpamDecision::Spam, Some(s), Some(r)) => {
            format!(
                "SpamAssassin: spam, score {} (threshold {})",
                fmt_score(s),
                fmt_score(r)
            )
        }
        (SpamDecision::NotSpam, Some(s), Some(r)) => {
            format!(
                "SpamAssassin: not spam, score {} (threshold {})",
                fmt_score(s),
                fmt_score(r)
            )
        }
        (SpamDecision::Spam, _, _) => "SpamAssassin: spam".to_string(),
        (SpamDecision::NotSpam, _, _) => "SpamAssassin: not spam".to_string(),
        (_, Some(s), _) => format!("SpamAssassin: score {}", fmt_score(s)),
        _ => "SpamAssassin headers present, no verdict".to_string(),
    };
    Some(SpamVerdict {
        filter: "SpamAssassin".to_string(),
        verdict,
        score: total,
        required,
        summary,
        fields,
    })
}
