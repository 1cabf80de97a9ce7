//! CAN-SPAM (15 U.S.C. 7701-7713), following the FTC's "CAN-SPAM Act: A
//! Compliance Guide for Business". What a message can show is checked;
//! the rest is listed as manual with what exactly to verify.

use super::postal::find_postal_address;
use super::{is_pass, item, ChecklistInputs};
use crate::message::hygiene::{is_forward_prefix, reply_prefix};
use crate::report::{ChecklistItem, ChecklistStatus};

/// Body phrases that offer an opt-out (English, German, French, Spanish,
/// Dutch, Italian, Portuguese), lower case.
const OPT_OUT_PHRASES: &[&str] = &[
    "unsubscribe",
    "opt out",
    "opt-out",
    "optout",
    "manage preferences",
    "manage your preferences",
    "email preferences",
    "update your preferences",
    "subscription preferences",
    "stop receiving",
    "no longer wish to receive",
    "remove me",
    "abmelden",
    "abbestellen",
    "newsletter abbestellen",
    "désinscrire",
    "désabonner",
    "desinscrire",
    "desabonner",
    "darse de baja",
    "darte de baja",
    "cancelar suscripción",
    "uitschrijven",
    "afmelden",
    "disiscriviti",
    "cancelar inscrição",
    "descadastrar",
];

/// Subject wording typical of deceptive subjects: a fake transaction,
/// account alarm or prize. Each is only a hint: verify the content matches.
const DECEPTIVE_HINTS: &[(&str, &str)] = &[
    ("you won", "a prize"),
    ("you've won", "a prize"),
    ("you have won", "a prize"),
    ("winner", "a prize"),
    ("claim your", "a prize or reward"),
    ("account suspended", "an account alarm"),
    ("account has been suspended", "an account alarm"),
    ("account will be closed", "an account alarm"),
    ("verify your account", "an account alarm"),
    ("unusual activity", "an account alarm"),
    ("payment failed", "a transaction"),
    ("payment received", "a transaction"),
    ("invoice", "a transaction"),
    ("receipt", "a transaction"),
    ("order confirmation", "a transaction"),
    ("your order", "a transaction"),
    ("shipment", "a transaction"),
    ("delivery attempt", "a transaction"),
    ("password reset", "an account notice"),
    ("final notice", "an urgent notice"),
    ("urgent", "an urgent notice"),
    ("act now", "an urgent notice"),
    ("100% free", "a free offer"),
    ("risk-free", "a free offer"),
];

/// The CAN-SPAM checklist in the contract's order: header-accuracy,
/// subject, ad-disclosure, postal-address, opt-out, opt-out-honored,
/// third-party.
pub fn can_spam(i: &ChecklistInputs) -> Vec<ChecklistItem> {
    vec![
        header_accuracy(i),
        subject(i),
        ad_disclosure(i),
        postal_address(i),
        opt_out(i),
        item(
            "canspam.opt-out-honored",
            ChecklistStatus::Manual,
            "Verify yourself: opt-out requests must be honoured within 10 business days; the opt-out mechanism must keep working for at least 30 days after you send; you may not charge a fee, ask for more than an e-mail address and opt-out preferences, or make people do more than reply or visit one page; and you may not sell or transfer the addresses of people who opted out.",
        ),
        item(
            "canspam.third-party",
            ChecklistStatus::Manual,
            "Verify yourself: if another company (an ESP, affiliate or agency) sends on your behalf, both of you are responsible for compliance. Monitor what they send.",
        ),
    ]
}

fn header_accuracy(i: &ChecklistInputs) -> ChecklistItem {
    let id = "canspam.header-accuracy";
    let mut problems = Vec::new();
    if i.from_valid == Some(false) {
        problems.push("the From header does not hold exactly one valid address".to_string());
    }
    if i.display_name_spoof == Some(true) {
        problems
            .push("the From display name shows an address other than the real sender".to_string());
    }
    if i.dmarc_result
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case("fail"))
    {
        problems.push(
            "DMARC failed: the From domain was not authenticated, so the origin may be forged"
                .to_string(),
        );
    }
    if !problems.is_empty() {
        return item(
            id,
            ChecklistStatus::Fail,
            format!("{}.", crate::text::capitalise(&problems.join("; "))),
        );
    }
    if i.from_valid.is_none() {
        return item(
            id,
            ChecklistStatus::Manual,
            "The From header was not examined. Verify that From, To, Reply-To and the routing information identify you accurately.",
        );
    }
    let authenticated = is_pass(i.dmarc_result.as_deref());
    item(
        id,
        ChecklistStatus::Pass,
        format!(
            "From {} is well formed with no display-name spoofing{}. Also verify that the From name identifies your business.",
            i.from_address.as_deref().unwrap_or("(unknown)"),
            if authenticated { ", and DMARC passed" } else { "" }
        ),
    )
}

fn subject(i: &ChecklistInputs) -> ChecklistItem {
    let id = "canspam.subject";
    let Some(subject) = i.subject.as_deref().filter(|s| !s.trim().is_empty()) else {
        return item(
            id,
            ChecklistStatus::Manual,
            "No subject. Verify that the subject you send reflects the content.",
        );
    };
    let prefix = reply_prefix(subject);
    let fake = i.fake_reply == Some(true) || (i.fake_reply.is_none() && prefix.is_some());
    if fake && prefix.as_deref().is_some_and(is_forward_prefix) {
        return item(
            id,
            ChecklistStatus::Manual,
            format!(
                "\"{subject}\" claims to be a forward without In-Reply-To or References. Some mail clients omit them on real forwards; a commercial message must not pretend to be one."
            ),
        );
    }
    if fake {
        return item(
            id,
            ChecklistStatus::Fail,
            format!(
                "\"{subject}\" pretends to be a reply or forward (no In-Reply-To or References): the FTC treats this as a misleading subject."
            ),
        );
    }
    let lower = crate::text::lower(subject);
    let hints: Vec<String> = DECEPTIVE_HINTS
        .iter()
        .filter(|(phrase, _)| lower.contains(phrase))
        .map(|(phrase, kind)| format!("\"{phrase}\" suggests {kind}"))
        .collect();
    let letters: Vec<char> = subject.chars().filter(|c| c.is_alphabetic()).collect();
    let shouting = letters.len() >= 10 && letters.iter().all(|c| c.is_uppercase());
    if !hints.is_empty() || shouting {
        let mut why = hints;
        if shouting {
            why.push("the subject is all capitals".to_string());
        }
        return item(
            id,
            ChecklistStatus::Manual,
            format!(
                "\"{subject}\": {}. Verify that the message really is what the subject says.",
                why.join("; ")
            ),
        );
    }
    item(
        id,
        ChecklistStatus::Pass,
        format!("\"{subject}\": no deceptive pattern found (heuristic). Verify that it reflects the content."),
    )
}

fn ad_disclosure(i: &ChecklistInputs) -> ChecklistItem {
    let id = "canspam.ad-disclosure";
    let found = i.body_text.as_deref().and_then(|b| {
        let lower = crate::text::lower(b);
        [
            "advertisement",
            "this is an ad",
            "sponsored",
            "promotional message",
            "anzeige",
            "publicité",
        ]
        .into_iter()
        .find(|p| lower.contains(p))
    });
    let detail = match found {
        Some(p) => format!(
            "The body mentions \"{p}\". Verify that the message is clearly and conspicuously identified as an advertisement (not needed when the recipient gave prior affirmative consent)."
        ),
        None => "Verify that the message is clearly and conspicuously identified as an advertisement, unless the recipient gave prior affirmative consent.".to_string(),
    };
    item(id, ChecklistStatus::Manual, detail)
}

fn postal_address(i: &ChecklistInputs) -> ChecklistItem {
    let id = "canspam.postal-address";
    let Some(body) = i.body_text.as_deref().filter(|_| i.has_body) else {
        return item(
            id,
            ChecklistStatus::NeedsBody,
            "Only headers were pasted: paste the whole message (with its body) to look for the postal address.",
        );
    };
    match find_postal_address(body) {
        Some(address) => item(
            id,
            ChecklistStatus::Pass,
            format!("Found a postal address: \"{address}\". Verify that it is current and yours (a registered PO Box or private mailbox is acceptable)."),
        ),
        None => item(
            id,
            ChecklistStatus::Fail,
            "No postal address found in the body. Commercial messages must include your valid physical postal address: a street address, or a PO Box or private mailbox registered with the USPS (transactional and personal messages are exempt).",
        ),
    }
}

/// True when `lower` (already lower case) contains an opt-out phrase.
pub(crate) fn is_opt_out_phrase(lower: &str) -> bool {
    OPT_OUT_PHRASES.iter().any(|p| lower.contains(p))
}

fn opt_out(i: &ChecklistInputs) -> ChecklistItem {
    let id = "canspam.opt-out";
    // "Clear and conspicuous" (15 U.S.C. 7704(a)(3)(A)(i), (a)(5)(A)(ii)):
    // a hidden link or one cut off by Gmail's clipping is neither.
    if i.opt_out_link_hidden {
        return item(
            id,
            ChecklistStatus::Fail,
            format!(
                "The body's opt-out link ({}) is hidden: CAN-SPAM requires a clear and conspicuous opt-out.",
                i.opt_out_link.as_deref().unwrap_or_default()
            ),
        );
    }
    if i.html_clipped {
        return item(
            id,
            ChecklistStatus::Manual,
            "The HTML is over Gmail's ~102 KB clipping size, so a footer opt-out may be cut off in Gmail: check that the opt-out shows before the clip, or shorten the HTML.",
        );
    }
    if let (Some(link), Some(_)) = (&i.opt_out_link, &i.body_text) {
        let header = i
            .unsubscribe
            .as_ref()
            .is_some_and(|u| u.has_list_unsubscribe && !u.uris.is_empty());
        return item(
            id,
            ChecklistStatus::Pass,
            format!(
                "The body links to an opt-out ({link}){}.",
                if header {
                    " and List-Unsubscribe is present"
                } else {
                    ""
                }
            ),
        );
    }
    let header = i
        .unsubscribe
        .as_ref()
        .filter(|u| u.has_list_unsubscribe && !u.uris.is_empty());
    // `lower(b).contains(p)`, without lower-casing a whole body (#17 G4):
    // an ASCII phrase is found by `contains_ci`, and a phrase with an
    // accent cannot be in an ASCII body; only a non-ASCII body is copied,
    // once, for the accented phrases.
    let body_phrase = i.body_text.as_deref().and_then(|b| {
        let (ascii, mut lowered) = (b.is_ascii(), None::<String>);
        OPT_OUT_PHRASES
            .iter()
            .find(|p| match (p.is_ascii(), ascii) {
                (true, _) => crate::text::contains_ci(b, p),
                (false, true) => false,
                (false, false) => lowered
                    .get_or_insert_with(|| crate::text::lower(b))
                    .contains(*p),
            })
            .copied()
    });
    match (body_phrase, header) {
        (Some(p), Some(_)) => item(
            id,
            ChecklistStatus::Pass,
            format!("The body offers an opt-out (\"{p}\") and List-Unsubscribe is present."),
        ),
        (Some(p), None) => item(
            id,
            ChecklistStatus::Pass,
            format!("The body offers an opt-out (\"{p}\"). Adding List-Unsubscribe also gives an unsubscribe button in the mailbox."),
        ),
        (None, Some(u)) if i.has_body => item(
            id,
            ChecklistStatus::Pass,
            format!(
                "List-Unsubscribe offers an opt-out ({}), but the body shows none: a visible link in the body is clearer.",
                u.uris.join(", ")
            ),
        ),
        (None, Some(u)) => item(
            id,
            ChecklistStatus::Pass,
            format!("List-Unsubscribe offers an opt-out ({}).", u.uris.join(", ")),
        ),
        (None, None) if !i.has_body => item(
            id,
            ChecklistStatus::NeedsBody,
            "No List-Unsubscribe header, and only headers were pasted: paste the whole message to look for an opt-out link in the body.",
        ),
        (None, None) => item(
            id,
            ChecklistStatus::Fail,
            "No opt-out: neither an unsubscribe link or text in the body nor a List-Unsubscribe header. Commercial messages must offer one (transactional and personal messages are exempt).",
        ),
    }
}

/// Upper-cases the first letter of our own English text. ASCII only on
/// purpose: `char::to_uppercase` would link core's Unicode case table (about
/// 12 KB) into the browser bundle (issue 7), and every caller passes text
/// from this module that starts with an ASCII letter.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::unsubscribe::UnsubscribeState;

    /// `opt_out` searches the body as lower-cased, so every phrase must be
    /// lower case already.
    #[test]
    fn opt_out_phrases_are_lower_case() {
        for p in OPT_OUT_PHRASES {
            assert_eq!(crate::text::lower(p), *p);
        }
    }

    /// An accented phrase in an accented, capitalised body is found; an
    /// ASCII phrase in any case too.
    #[test]
    fn opt_out_phrases_in_any_case() {
        let found = |body: &str| {
            let mut inputs = ChecklistInputs {
                body_text: Some(body.to_string()),
                has_body: true,
                ..ChecklistInputs::default()
            };
            inputs.unsubscribe = None;
            opt_out(&inputs).detail
        };
        assert!(found("Pour vous DÉSINSCRIRE, répondez.").contains("désinscrire"));
        assert!(found("Click to UNSUBSCRIBE.").contains("unsubscribe"));
        assert!(found("To DESABONNER reply.").contains("desabonner"));
        assert!(!found("Nothing here, café.").contains("The body offers"));
    }

    fn status(items: &[ChecklistItem], id: &str) -> ChecklistStatus {
        items.iter().find(|i| i.id == id).unwrap().status
    }

    fn body(text: &str) -> ChecklistInputs {
        ChecklistInputs {
            has_body: true,
            body_text: Some(text.to_string()),
            ..Default::default()
        }
    }

    #[test]
    fn canspam_table() {
        let with_list = UnsubscribeState {
            has_list_unsubscribe: true,
            uris: vec!["https://example.com/u".to_string()],
            ..Default::default()
        };
        let cases: Vec<(&str, ChecklistInputs, &str, ChecklistStatus)> = vec![
            (
                "headers only: address",
                ChecklistInputs::default(),
                "canspam.postal-address",
                ChecklistStatus::NeedsBody,
            ),
            (
                "headers only: opt-out",
                ChecklistInputs::default(),
                "canspam.opt-out",
                ChecklistStatus::NeedsBody,
            ),
            (
                "headers only with list",
                ChecklistInputs {
                    unsubscribe: Some(with_list.clone()),
                    ..Default::default()
                },
                "canspam.opt-out",
                ChecklistStatus::Pass,
            ),
            (
                "address found",
                body("Acme, 123 Main St, Springfield, IL 62701. Unsubscribe"),
                "canspam.postal-address",
                ChecklistStatus::Pass,
            ),
            (
                "address missing",
                body("Great deals! Unsubscribe"),
                "canspam.postal-address",
                ChecklistStatus::Fail,
            ),
            (
                "opt-out in body",
                body("Click here to unsubscribe."),
                "canspam.opt-out",
                ChecklistStatus::Pass,
            ),
            (
                "opt-out in German",
                body("Newsletter abbestellen"),
                "canspam.opt-out",
                ChecklistStatus::Pass,
            ),
            (
                "no opt-out",
                body("Buy now"),
                "canspam.opt-out",
                ChecklistStatus::Fail,
            ),
            (
                "fake reply",
                ChecklistInputs {
                    subject: Some("RE: your order".into()),
                    fake_reply: Some(true),
                    ..Default::default()
                },
                "canspam.subject",
                ChecklistStatus::Fail,
            ),
            (
                "prize",
                ChecklistInputs {
                    subject: Some("You've won a cruise".into()),
                    fake_reply: Some(false),
                    ..Default::default()
                },
                "canspam.subject",
                ChecklistStatus::Manual,
            ),
            (
                "shouting",
                ChecklistInputs {
                    subject: Some("HUGE SUMMER SALE TODAY".into()),
                    ..Default::default()
                },
                "canspam.subject",
                ChecklistStatus::Manual,
            ),
            (
                "plain",
                ChecklistInputs {
                    subject: Some("July newsletter".into()),
                    ..Default::default()
                },
                "canspam.subject",
                ChecklistStatus::Pass,
            ),
            (
                "spoof",
                ChecklistInputs {
                    from_valid: Some(true),
                    display_name_spoof: Some(true),
                    ..Default::default()
                },
                "canspam.header-accuracy",
                ChecklistStatus::Fail,
            ),
            (
                "dmarc fail",
                ChecklistInputs {
                    from_valid: Some(true),
                    dmarc_result: Some("fail".into()),
                    ..Default::default()
                },
                "canspam.header-accuracy",
                ChecklistStatus::Fail,
            ),
            (
                "accurate",
                ChecklistInputs {
                    from_valid: Some(true),
                    display_name_spoof: Some(false),
                    ..Default::default()
                },
                "canspam.header-accuracy",
                ChecklistStatus::Pass,
            ),
            (
                "unknown",
                ChecklistInputs::default(),
                "canspam.header-accuracy",
                ChecklistStatus::Manual,
            ),
            (
                "ad",
                ChecklistInputs::default(),
                "canspam.ad-disclosure",
                ChecklistStatus::Manual,
            ),
            (
                "honored",
                ChecklistInputs::default(),
                "canspam.opt-out-honored",
                ChecklistStatus::Manual,
            ),
            (
                "third",
                ChecklistInputs::default(),
                "canspam.third-party",
                ChecklistStatus::Manual,
            ),
        ];
        for (name, inputs, id, want) in cases {
            assert_eq!(
                status(&can_spam(&inputs), id),
                want,
                "case {name}: {inputs:?}"
            );
        }
        let honoured = can_spam(&ChecklistInputs::default());
        let detail = &honoured
            .iter()
            .find(|i| i.id == "canspam.opt-out-honored")
            .unwrap()
            .detail;
        assert!(
            detail.contains("10 business days") && detail.contains("30 days"),
            "{detail}"
        );
    }
}
