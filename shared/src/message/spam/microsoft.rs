//! Microsoft Exchange Online Protection: X-Forefront-Antispam-Report,
//! X-Microsoft-Antispam and X-MS-Exchange-Organization-SCL.

use super::{field, SpamDecision, SpamVerdict};

fn scl_meaning(value: &str) -> String {
    match value.trim().parse::<i32>() {
        Ok(-1) => "SCL -1: spam filtering was skipped (trusted or allowed sender, or mail flow rule); delivered to the Inbox".to_string(),
        Ok(0 | 1) => "not spam; delivered to the Inbox".to_string(),
        Ok(5 | 6) => "spam; delivered to Junk Email or quarantined per policy".to_string(),
        Ok(7..=9) => "high confidence spam; Junk Email or quarantine per policy".to_string(),
        Ok(n) => format!("SCL {n} (values 2-4 are not used by EOP)"),
        Err(_) => String::new(),
    }
}

fn bcl_meaning(value: &str) -> String {
    match value.trim().parse::<i32>() {
        Ok(0) => "not from a bulk sender".to_string(),
        Ok(1..=3) => "from a bulk sender that generates few complaints".to_string(),
        Ok(4..=7) => "from a bulk sender that generates a mixed number of complaints".to_string(),
        Ok(8 | 9) => "from a bulk sender that generates a high number of complaints".to_string(),
        _ => String::new(),
    }
}

fn pcl_meaning(value: &str) -> String {
    match value.trim().parse::<i32>() {
        Ok(0..=3) => "phishing confidence low: the content is not likely phishing".to_string(),
        Ok(4..=8) => "phishing confidence high: the content is likely phishing".to_string(),
        _ => String::new(),
    }
}

fn sfv_meaning(value: &str) -> &'static str {
    match value.trim().to_ascii_uppercase().as_str() {
        "BLK" => "filtering skipped and the message blocked: the sender is on the recipient's Blocked Senders list",
        "NSPM" => "spam filtering marked the message as not spam",
        "SFE" => "filtering skipped and the message allowed: the sender is on the recipient's Safe Senders list",
        "SKA" => "filtering skipped and the message allowed: the sender is on the anti-spam policy's allowed senders or domains",
        "SKB" => "marked as spam: the sender matched the anti-spam policy's blocked senders or domains",
        "SKI" => "filtering skipped for another reason, e.g. intra-organization mail",
        "SKN" => "marked as not spam before filtering, e.g. by a mail flow rule",
        "SKQ" => "released from quarantine and sent to the intended recipients",
        "SKS" => "marked as spam before filtering, e.g. by a mail flow rule",
        "SPM" => "spam filtering marked the message as spam",
        _ => "",
    }
}

fn cat_meaning(value: &str) -> &'static str {
    match value.trim().to_ascii_uppercase().as_str() {
        "AMP" => "anti-malware policy",
        "BIMP" => "brand impersonation",
        "BULK" => "bulk mail (the BCL reached the policy's threshold)",
        "DIMP" => "domain impersonation",
        "FTBP" => "anti-malware common attachments (file type) filter",
        "GIMP" => "mailbox intelligence impersonation",
        "HPHSH" | "HPHISH" => "high confidence phishing",
        "HSPM" => "high confidence spam",
        "INTOS" => "intra-organization phishing",
        "MALW" => "malware",
        "OSPM" => "outbound spam",
        "PHSH" => "phishing",
        "SAP" => "Safe Attachments",
        "SPM" => "spam",
        "SPOOF" => "spoofing (failed composite authentication)",
        "UIMP" => "user impersonation",
        "NONE" => "no protection category applied",
        _ => "",
    }
}

fn is_spam_category(value: &str) -> bool {
    !matches!(value.trim().to_ascii_uppercase().as_str(), "NONE" | "")
}

fn ipv_meaning(value: &str) -> &'static str {
    match value.trim().to_ascii_uppercase().as_str() {
        "CAL" => {
            "spam filtering skipped: the source IP is on the connection filter's IP Allow List"
        }
        "NLI" => "the source IP is not on any IP reputation list",
        _ => "",
    }
}

fn dir_meaning(value: &str) -> &'static str {
    match value.trim().to_ascii_uppercase().as_str() {
        "INB" => "inbound message",
        "OUT" => "outbound message",
        "INT" => "internal message",
        _ => "",
    }
}

/// Adds the fields of X-Microsoft-Antispam-Mailbox-Delivery (e.g.
/// `ucf:0;jmr:0;auth:0;dest:J;OFR:SpamFilterAuthJ;ENG:(...)`). Microsoft does
/// not document this header; the meanings are the commonly observed ones,
/// and `dest:J` (delivered to Junk Email) marks the verdict as spam.
pub fn apply_mailbox_delivery(verdict: &mut SpamVerdict, value: &str) {
    for part in value.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once(':').unwrap_or((part, ""));
        let (k, v) = (k.trim(), v.trim());
        let meaning = match k.to_ascii_lowercase().as_str() {
            "dest" => match v.to_ascii_uppercase().as_str() {
                "I" => "delivered to the Inbox (undocumented field)".to_string(),
                "J" => "delivered to the Junk Email folder (undocumented field)".to_string(),
                "C" => "delivered to a custom folder (undocumented field)".to_string(),
                _ => "destination folder (undocumented field)".to_string(),
            },
            "ofr" => format!(
                "Outlook folder rule that decided the folder{} (undocumented field)",
                if v.to_ascii_lowercase().contains("auth") {
                    ": junked because authentication failed"
                } else {
                    ""
                }
            ),
            "auth" => "authentication verdict flag (undocumented field)".to_string(),
            "ucf" | "jmr" => "user or junk-mail-rule flag (undocumented field)".to_string(),
            _ => String::new(),
        };
        if k.eq_ignore_ascii_case("dest") && v.eq_ignore_ascii_case("J") {
            verdict.verdict = SpamDecision::Spam;
            if !verdict.summary.contains("Junk") {
                verdict
                    .summary
                    .push_str("; delivered to Junk Email (dest:J)");
            }
        }
        verdict.fields.push(field(k, v, meaning));
    }
}

/// Decodes Microsoft's anti-spam headers (Microsoft Learn, "Anti-spam message
/// headers in Microsoft 365"). `forefront` is X-Forefront-Antispam-Report,
/// `antispam` X-Microsoft-Antispam, `org_scl` X-MS-Exchange-Organization-SCL.
pub fn decode_microsoft(
    forefront: Option<&str>,
    antispam: Option<&str>,
    org_scl: Option<&str>,
) -> Option<SpamVerdict> {
    if forefront.is_none() && antispam.is_none() && org_scl.is_none() {
        return None;
    }
    let mut fields = Vec::new();
    let mut scl: Option<i32> = None;
    let mut spam_signals: Vec<String> = Vec::new();
    let mut ham_signals: Vec<String> = Vec::new();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for header in [forefront, antispam].into_iter().flatten() {
        for part in header.split(';') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (k, v) = part.split_once(':').unwrap_or((part, ""));
            pairs.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    for (k, v) in &pairs {
        let key = k.to_ascii_uppercase();
        let meaning: String = match key.as_str() {
            "SCL" => {
                scl = v.parse().ok();
                scl_meaning(v)
            }
            "SFV" => {
                match v.to_ascii_uppercase().as_str() {
                    "SPM" | "SKS" | "SKB" | "BLK" => spam_signals.push(format!("SFV:{v}")),
                    "NSPM" | "SFE" | "SKA" | "SKN" | "SKI" | "SKQ" => {
                        ham_signals.push(format!("SFV:{v}"))
                    }
                    _ => {}
                }
                sfv_meaning(v).to_string()
            }
            "CAT" => {
                if is_spam_category(v) {
                    spam_signals.push(format!("CAT:{v}"));
                }
                format!("protection policy category: {}", cat_meaning(v))
            }
            "BCL" => bcl_meaning(v),
            "PCL" => pcl_meaning(v),
            "IPV" => ipv_meaning(v).to_string(),
            "SRV" => {
                if v.eq_ignore_ascii_case("BULK") {
                    spam_signals.push("SRV:BULK".to_string());
                    "identified as bulk mail by spam filtering and the BCL threshold was exceeded"
                        .to_string()
                } else {
                    "bulk-mail service marker (empty: not bulk)".to_string()
                }
            }
            "CIP" => "connecting IP address".to_string(),
            "CTRY" => "source country, from the connecting IP".to_string(),
            "LANG" => "language the message was written in".to_string(),
            "H" => "HELO or EHLO name of the connecting server".to_string(),
            "PTR" => "reverse DNS (PTR) of the connecting IP".to_string(),
            "DIR" => dir_meaning(v).to_string(),
            "SFTY" => match v.trim() {
                "9.19" => "domain impersonation detected (safety tip)".to_string(),
                "9.20" => "user impersonation detected (safety tip)".to_string(),
                "9.25" => "first-contact safety tip shown".to_string(),
                _ => "the message was identified as phishing (safety tip)".to_string(),
            },
            "SFS" => "spam filter rules that matched (internal, undocumented codes)".to_string(),
            "SFP" => "spam filter policy code (internal, undocumented)".to_string(),
            "ARC" => "ARC details seen by Microsoft 365".to_string(),
            "ARA" => "anti-spam rule data (internal, undocumented)".to_string(),
            _ => String::new(),
        };
        fields.push(field(k, v, meaning));
    }
    if let Some(org) = org_scl {
        if scl.is_none() {
            scl = org.trim().parse().ok();
        }
        fields.push(field(
            "X-MS-Exchange-Organization-SCL",
            org.trim(),
            scl_meaning(org),
        ));
    }
    if scl.is_some_and(|s| s >= 5) {
        spam_signals.push(format!("SCL:{}", scl.unwrap_or_default()));
    }
    let verdict = if !spam_signals.is_empty() {
        SpamDecision::Spam
    } else if !ham_signals.is_empty() || scl.is_some_and(|s| s <= 1) {
        SpamDecision::NotSpam
    } else {
        SpamDecision::Unknown
    };
    let summary = match verdict {
        SpamDecision::Spam => format!(
            "Microsoft EOP: marked as spam ({})",
            spam_signals.join(", ")
        ),
        SpamDecision::NotSpam => format!(
            "Microsoft EOP: not spam{}",
            scl.map_or_else(String::new, |s| format!(", SCL {s}"))
        ),
        SpamDecision::Unknown => "Microsoft EOP headers present, no verdict".to_string(),
    };
    Some(SpamVerdict {
        filter: "Microsoft EOP".to_string(),
        verdict,
        score: scl.map(f64::from),
        required: None,
        summary,
        fields,
    })
}
