//! Who must act on a failed recipient and what to do next: the reason's
//! general advice, replaced by a provider's own when the server's words or
//! codes name it (Gmail, Microsoft, Yahoo, Apple, the blocklists). Only
//! our own curated links go into the references, never a URL from the
//! bounce: a bounce is untrusted input, and a shared report shows it.

use crate::report::{Reason, WhoMustAct};

/// One piece of provider knowledge. It applies when the status is one of
/// `statuses` (any, when empty), the lower-case diagnostic contains one of
/// `any` and, when `also` is not empty, one of `also` too.
struct ProviderAdvice {
    statuses: &'static [&'static str],
    any: &'static [&'static str],
    also: &'static [&'static str],
    who: WhoMustAct,
    step: &'static str,
    refs: &'static [&'static str],
}

const GOOGLE: &[&str] = &["gsmtp", "google.com", "gmail", "googlemail"];
const MICROSOFT: &[&str] = &[
    "outlook.com",
    "protection.outlook",
    "microsoft",
    "hotmail",
    "office365",
    "exchangelabs",
];
const GMAIL_GUIDE: &str = "https://support.google.com/a/answer/81126";
const GMAIL_CODES: &str = "https://support.google.com/a/answer/3726730";
const GMAIL_POSTMASTER: &str = "https://postmaster.google.com";
const MS_NDR: &str = "https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online";
const MS_DELIST: &str = "https://sender.office.com";
const OUTLOOK_POSTMASTER: &str = "https://sendersupport.olc.protection.outlook.com/pm/";
const YAHOO_CODES: &str = "https://senders.yahooinc.com/smtp-error-codes/";
const APPLE_POSTMASTER: &str = "https://support.apple.com/en-us/102322";

use WhoMustAct::{Recipient, RecipientAdmin, Sender, SenderAdmin};

/// Provider knowledge, most specific first.
static PROVIDERS: &[ProviderAdvice] = &[
    // --- Gmail (Google Workspace Admin Help: SMTP errors; email sender guidelines) ---
    ProviderAdvice {
        statuses: &["5.7.26", "5.7.1", "4.7.26"],
        any: &["dmarc"],
        also: GOOGLE,
        who: SenderAdmin,
        step: "Gmail refused the message under the From domain's DMARC policy. Sign with DKIM using d= the From domain (or its parent) and make SPF pass for the envelope domain, so that one of them aligns with From; then resend. Postmaster Tools shows the authentication rates.",
        refs: &[GMAIL_GUIDE, GMAIL_CODES, "RFC 7489 §3.1"],
    },
    ProviderAdvice {
        statuses: &["5.7.26", "4.7.26"],
        any: &["spf"],
        also: GOOGLE,
        who: SenderAdmin,
        step: "Gmail says the envelope (MAIL FROM) domain's SPF fails for the sending IP. Add the sending server to that domain's SPF record (ip4:/include:), then resend.",
        refs: &[GMAIL_GUIDE, GMAIL_CODES, "RFC 7208"],
    },
    ProviderAdvice {
        statuses: &["5.7.26", "4.7.26", "5.7.27", "4.7.27", "5.7.30", "4.7.30"],
        any: GOOGLE,
        also: &[],
        who: SenderAdmin,
        step: "Gmail requires every sender to authenticate with SPF or DKIM (bulk senders both, plus DMARC). Publish SPF for the envelope domain and sign with DKIM for the From domain, then resend.",
        refs: &[GMAIL_GUIDE, GMAIL_CODES],
    },
    ProviderAdvice {
        statuses: &["4.7.28", "5.7.28", "4.7.0"],
        any: &["unusual rate"],
        also: &[],
        who: SenderAdmin,
        step: "Gmail is rate-limiting mail from your IP or domain because of an unusual rate of unsolicited mail. Slow down, send only to recipients who asked for the mail, honour unsubscribes, and watch the spam rate in Postmaster Tools; deferred mail is retried.",
        refs: &[GMAIL_CODES, GMAIL_POSTMASTER],
    },
    ProviderAdvice {
        statuses: &[],
        any: &["not authorized to send email directly"],
        also: &[],
        who: SenderAdmin,
        step: "Gmail does not take mail straight from this IP (a dynamic or consumer range). Send through your provider's SMTP relay (submission with authentication) instead.",
        refs: &[GMAIL_CODES],
    },
    ProviderAdvice {
        statuses: &[],
        any: &["ipv6 sending guidelines"],
        also: &[],
        who: SenderAdmin,
        step: "Gmail requires a PTR record and SPF or DKIM for mail sent over IPv6. Set forward-confirmed reverse DNS for the IPv6 address and authenticate, or send over IPv4.",
        refs: &[GMAIL_GUIDE],
    },
    ProviderAdvice {
        statuses: &[],
        any: &["likely unsolicited", "likely suspicious due to the very low reputation"],
        also: &[],
        who: SenderAdmin,
        step: "Gmail judged the message unsolicited or the sending IP or domain of low reputation. Check the spam rate and reputation in Postmaster Tools, authenticate with SPF, DKIM and DMARC, and send only to recipients who asked for the mail.",
        refs: &[GMAIL_GUIDE, GMAIL_POSTMASTER],
    },
    ProviderAdvice {
        statuses: &[],
        any: &["overquotaperm", "out of storage space and inactive"],
        also: &[],
        who: Sender,
        step: "The Gmail account is full and no longer used: remove the address from your list.",
        refs: &[GMAIL_CODES],
    },
    ProviderAdvice {
        statuses: &[],
        any: &["receiving mail at a rate"],
        also: &[],
        who: Sender,
        step: "The recipient receives mail faster than Gmail allows. Nothing is wrong on your side: send again later.",
        refs: &[GMAIL_CODES],
    },
    // --- Microsoft (Exchange Online NDRs; Outlook.com postmaster) ---
    ProviderAdvice {
        statuses: &["5.7.708"],
        any: &[],
        also: &[],
        who: SenderAdmin,
        step: "Microsoft refuses traffic from this IP (5.7.708): a new tenant with a restricted outbound pool, or an IP of poor reputation. Send from IPs with good reputation; a new Microsoft 365 tenant asks Microsoft support to lift the restriction.",
        refs: &[MS_NDR],
    },
    ProviderAdvice {
        statuses: &["5.7.750"],
        any: &[],
        also: &[],
        who: SenderAdmin,
        step: "Exchange Online blocks mail from domains that are not registered in the tenant (5.7.750). Add and verify the sending domain as an accepted domain of the Microsoft 365 tenant, or contact Microsoft support.",
        refs: &[MS_NDR],
    },
    ProviderAdvice {
        statuses: &[],
        any: &["(s3140)", "(s3150)", "(s3115)"],
        also: &[],
        who: SenderAdmin,
        step: "Outlook.com blocks the sending IP's network (S3140/S3150). Request delisting at sender.office.com and, when the range is your provider's, ask the provider to clean it up; enrol in SNDS and JMRP to see complaints.",
        refs: &[MS_DELIST, OUTLOOK_POSTMASTER],
    },
    ProviderAdvice {
        statuses: &["5.7.509"],
        any: &[],
        also: &[],
        who: SenderAdmin,
        step: "Microsoft refused the message because the From domain fails DMARC with p=reject (5.7.509). Make SPF or DKIM pass aligned with the From domain; forwarders must keep the DKIM signature intact.",
        refs: &[MS_NDR, "RFC 7489 §3.1"],
    },
    ProviderAdvice {
        statuses: &["5.7.515"],
        any: &[],
        also: &[],
        who: SenderAdmin,
        step: "Outlook.com requires high-volume senders to pass SPF, DKIM and DMARC (5.7.515). Publish all three for the sending domain, aligned with From, then resend.",
        refs: &[MS_NDR, OUTLOOK_POSTMASTER],
    },
    ProviderAdvice {
        statuses: &[],
        any: &["banned sending ip", "5.7.606", "sender.office.com"],
        also: &[],
        who: SenderAdmin,
        step: "The sending IP is on Microsoft's block list. Find and stop the cause (a compromised account, a bad list), then request delisting at sender.office.com.",
        refs: &[MS_DELIST, MS_NDR],
    },
    ProviderAdvice {
        statuses: &["5.4.1"],
        any: MICROSOFT,
        also: &[],
        who: Sender,
        step: "Microsoft 365 refused the address at its edge: it does not exist in the recipient's tenant (directory-based edge blocking). Check the address; the recipient's admin can confirm it.",
        refs: &[MS_NDR],
    },
    // --- Yahoo (Sender Hub: SMTP error codes) ---
    ProviderAdvice {
        statuses: &[],
        any: &["[tss04]"],
        also: &[],
        who: SenderAdmin,
        step: "Yahoo defers mail from your IP because of unexpected volume or user complaints (TSS04). Let your server retry, slow down, and cut complaints: send only to engaged recipients, honour unsubscribes, and join Yahoo's Complaint Feedback Loop.",
        refs: &[YAHOO_CODES],
    },
    ProviderAdvice {
        statuses: &[],
        any: &["[tss09]"],
        also: &[],
        who: SenderAdmin,
        step: "Yahoo permanently defers all mail from your IP (TSS09): retrying will not help. Stop sending from it, fix the cause (compromised account, list quality) and contact Yahoo through the Sender Hub.",
        refs: &[YAHOO_CODES],
    },
    ProviderAdvice {
        statuses: &["5.7.9"],
        any: &["yahoo", "verizonmedia", "aol"],
        also: &[],
        who: SenderAdmin,
        step: "Yahoo refused the message for policy reasons, most often a DMARC failure of a p=reject domain. Make SPF or DKIM pass aligned with the From domain.",
        refs: &[YAHOO_CODES, "RFC 7489 §3.1"],
    },
    // --- Apple iCloud ---
    ProviderAdvice {
        statuses: &[],
        any: &["support.apple.com", "icloud", "me.com"],
        also: &["dmarc", "policy", "blocked", "reject", "spam"],
        who: SenderAdmin,
        step: "iCloud Mail refused the message. Follow Apple's postmaster requirements: SPF and DKIM aligned with a DMARC policy, a PTR record, and no blocklisted IPs; for a DMARC rejection make SPF or DKIM pass aligned with From.",
        refs: &[APPLE_POSTMASTER],
    },
    // --- Blocklists named in the text ---
    ProviderAdvice {
        statuses: &[],
        any: &["spamhaus"],
        also: &[],
        who: SenderAdmin,
        step: "The sending IP or domain is listed by Spamhaus. Look it up at check.spamhaus.org, fix what the listing says (an open relay, an infected host, a dynamic range sending directly) and follow its removal procedure.",
        refs: &["https://check.spamhaus.org"],
    },
    ProviderAdvice {
        statuses: &[],
        any: &["barracuda"],
        also: &["block", "listed", "reputation", "rbl"],
        who: SenderAdmin,
        step: "The sending IP is listed on the Barracuda Reputation Block List. Fix the cause and request removal at barracudacentral.org.",
        refs: &["https://www.barracudacentral.org/rbl/removal-request"],
    },
    ProviderAdvice {
        statuses: &[],
        any: &["spamcop"],
        also: &[],
        who: SenderAdmin,
        step: "The sending IP is listed by SpamCop (reports from recipients). Stop the mail that draws the reports; the listing expires on its own about a day after the reports stop.",
        refs: &["https://www.spamcop.net/bl.shtml"],
    },
    ProviderAdvice {
        statuses: &[],
        any: &["proofpoint"],
        also: &["block", "dnsbl", "reputation"],
        who: SenderAdmin,
        step: "Proofpoint blocks the sending IP. Check it at ipcheck.proofpoint.com and request removal there after fixing the cause.",
        refs: &["https://ipcheck.proofpoint.com"],
    },
    // --- Greylisting (RFC 6647) ---
    ProviderAdvice {
        statuses: &[],
        any: &["greylist", "graylist", "grey-list", "gray-list"],
        also: &[],
        who: SenderAdmin,
        step: "Greylisting: nothing to do at first, your server retries and the retry is accepted. Only if retries keep failing, make sure they come from the same IP (a pool of IPs restarts the greylist).",
        refs: &["RFC 6647"],
    },
    ProviderAdvice {
        statuses: &[],
        any: &["arc validation", "arc "],
        also: &["fail"],
        who: SenderAdmin,
        step: "The ARC chain added by a forwarder or mailing list failed. The intermediary must fix its ARC sealing; the original sender keeps DKIM signatures intact so that they survive forwarding.",
        refs: &["RFC 8617"],
    },
];

/// The general advice for a reason: who acts, and what to do.
fn general(reason: Reason, permanent: bool) -> (WhoMustAct, &'static str, &'static [&'static str]) {
    use Reason as R;
    match reason {
        R::UserUnknown => (Sender, "Check the address for typos. If it is right, the mailbox no longer exists: remove it from your list, since repeated sends to unknown users hurt your reputation.", &["RFC 3463 §3.2"]),
        R::HostUnknown => (Sender, "Check the domain part of the address for typos: the domain does not exist or has no mail server.", &["RFC 3463 §3.2", "RFC 5321 §5.1"]),
        R::NotAccept => (Sender, "The domain accepts no mail (null MX or no mail server): remove the address.", &["RFC 7505"]),
        R::HasMoved => (Sender, "The person has moved: find the new address another way and remove the old one.", &["RFC 3463 §3.2"]),
        R::MailboxFull if permanent => (Recipient, "The recipient's mailbox is full. Ask them to free space, or reach them another way; if it stays full for weeks, the mailbox is abandoned: remove it.", &["RFC 3463 §3.3"]),
        R::MailboxFull => (Recipient, "The recipient's mailbox is full; your server retries for a while. If it keeps failing, reach the recipient another way.", &["RFC 3463 §3.3"]),
        R::Suspend => (Recipient, "The mailbox is disabled or suspended. Reach the recipient another way; remove the address if it stays disabled.", &["RFC 3463 §3.3"]),
        R::Filtered => (Recipient, "The recipient's filter or settings refused the message (on mobile carriers often a domain filter that only lets listed senders in). Ask the recipient to allow your address or domain, or check the address.", &[]),
        R::MesgTooBig | R::ExceedLimit => (Sender, "Make the message smaller: link large files instead of attaching them, then resend.", &["RFC 3463 §3.3", "RFC 1870"]),
        R::SpamDetected => (Sender, "The content was judged spam. Remove what looks like spam (shortened links, a spammy subject, image-only mail), authenticate with SPF, DKIM and DMARC, and send only to recipients who asked for the mail.", &[]),
        R::VirusDetected => (Sender, "The receiver found malware in the message. Scan the sending machine and the attachments, and resend without the infected file.", &[]),
        R::AuthFailure => (SenderAdmin, "Authentication failed at the receiver. Make SPF pass for the envelope domain and sign with DKIM for the From domain, so that at least one aligns with From under DMARC; then resend.", &["RFC 7208", "RFC 6376", "RFC 7489 §3.1"]),
        R::RequirePtr => (SenderAdmin, "The sending IP needs reverse DNS: ask whoever owns the IP (your host or ISP) to set a PTR record to a name that resolves back to the IP, and use that name in HELO.", &["RFC 7372 §3.3", "RFC 5321 §4.1.4"]),
        R::Blocked => (SenderAdmin, "The receiver blocks the sending IP or server. Look the IP up on the blocklist the text names, fix the cause (an infected host, an open relay, a dynamic range sending directly) and request delisting; or send through a relay with a good reputation.", &[]),
        R::BadReputation => (SenderAdmin, "The sending IP or domain has a poor reputation at the receiver. Slow down, send only to engaged recipients, authenticate with SPF, DKIM and DMARC, and warm up new IPs gradually.", &[]),
        R::Rejected => (SenderAdmin, "The receiver refused the envelope sender (MAIL FROM). Send from an address whose domain exists, has MX and passes SPF, and that the receiver allows.", &["RFC 3463 §3.2", "RFC 5321 §4.1.1.2"]),
        R::NoRelaying => (SenderAdmin, "The server refused to relay: it is not responsible for the recipient's domain and you are not allowed to send through it. Send through your own authenticated submission server, and check the recipient domain's MX records.", &["RFC 5321 §3.6"]),
        R::PolicyViolation => (SenderAdmin, "The receiver's local policy refused the message. Read the server's text for the rule; it is often authentication, the sending network or the content.", &[]),
        R::SecurityError => (SenderAdmin, "The server refused for a security reason: authenticate (SMTP AUTH over TLS) where it is required, and check the credentials and certificates.", &["RFC 4954", "RFC 3207"]),
        R::FailedStartTls => (SenderAdmin, "TLS could not be set up. Check that the sending server supports STARTTLS with TLS 1.2 or later and valid certificates.", &["RFC 3207"]),
        R::ContentError | R::NotCompliantRfc => (SenderAdmin, "The message's format or headers were refused (RFC 5322: one From, one Subject, valid headers). Fix the software that builds the message.", &["RFC 5322 §3.6"]),
        R::SyntaxError => (SenderAdmin, "The sending software spoke SMTP the server did not accept. Check the client's commands, or a firewall that rewrites SMTP.", &["RFC 5321 §4.2"]),
        R::TooManyConn | R::Speeding => (SenderAdmin, "Slow down: fewer connections, recipients and messages per minute towards this receiver. Deferred mail is retried.", &["RFC 5321 §4.5.3.1.10"]),
        R::Expired => (RecipientAdmin, "The sending server gave up, or is still retrying, because the recipient's servers did not answer or kept deferring. Look at the last error; check the recipient domain's MX hosts, or ask its administrator.", &["RFC 5321 §4.5.4.1"]),
        R::NetworkError => (RecipientAdmin, "A network or DNS failure on the way to the recipient. Check the recipient domain's DNS and MX hosts; the sending server retries.", &["RFC 3463 §3.5"]),
        R::SystemError | R::SystemFull | R::MailerError => (RecipientAdmin, "The recipient's mail system failed. Resend later; if it persists, contact the recipient's postmaster.", &["RFC 3463 §3.4"]),
        R::OnHold | R::Undefined => (Sender, "The bounce does not say why. Read the server's words; resend later if the failure was temporary.", &[]),
    }
}

/// Who must act, the next step and its references.
pub(crate) fn advise(
    reason: Reason,
    status: Option<&str>,
    lower: &str,
    permanent: bool,
) -> (WhoMustAct, String, Vec<String>) {
    let provider = PROVIDERS.iter().find(|p| {
        let status_ok = p.statuses.is_empty() || status.is_some_and(|s| p.statuses.contains(&s));
        let any_ok = p.any.is_empty() || p.any.iter().any(|n| lower.contains(n));
        let also_ok = p.also.is_empty() || p.also.iter().any(|n| lower.contains(n));
        status_ok && any_ok && also_ok && !(p.statuses.is_empty() && p.any.is_empty())
    });
    match provider {
        Some(p) => (
            p.who,
            p.step.to_string(),
            p.refs.iter().map(|r| r.to_string()).collect(),
        ),
        None => {
            let (who, step, refs) = general(reason, permanent);
            (
                who,
                step.to_string(),
                refs.iter().map(|r| r.to_string()).collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_named() {
        let cases: &[(Reason, Option<&str>, &str, &str, WhoMustAct)] = &[
            (Reason::AuthFailure, Some("5.7.26"), "550-5.7.26 unauthenticated email from example.com is not accepted due to domain's dmarc policy - gsmtp", "support.google.com", SenderAdmin),
            (Reason::Blocked, Some("5.7.1"), "554 5.7.1 client host rejected: blocked using zen.spamhaus.org", "spamhaus.org", SenderAdmin),
            (Reason::Rejected, Some("4.7.0"), "421 4.7.0 [tss04] messages from 192.0.2.1 temporarily deferred", "yahooinc.com", SenderAdmin),
            (Reason::Blocked, Some("5.7.708"), "550 5.7.708 service unavailable. access denied, traffic not accepted from this ip", "learn.microsoft.com", SenderAdmin),
            (Reason::Blocked, None, "550 please contact your internet service provider since part of their network is on our block list (s3150)", "sender.office.com", SenderAdmin),
            (Reason::Blocked, Some("4.7.1"), "451 4.7.1 greylisted, try again later", "RFC 6647", SenderAdmin),
            (Reason::UserUnknown, Some("5.1.1"), "550 5.1.1 user unknown", "RFC 3463", Sender),
        ];
        for (reason, status, text, want_ref, want_who) in cases {
            let (who, step, refs) = advise(*reason, *status, text, true);
            assert_eq!(who, *want_who, "input: {text:?}");
            assert!(!step.is_empty(), "input: {text:?}");
            assert!(
                refs.iter().any(|r| r.contains(want_ref)),
                "input: {text:?} refs {refs:?}"
            );
        }
    }
}
