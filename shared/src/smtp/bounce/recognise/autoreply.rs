//! Automatic replies (out of office, vacation, "I have a new address") are
//! not bounces: the message was delivered and a person's autoresponder
//! answered. RFC 3834 marks them `Auto-Submitted: auto-replied`, but
//! delivery status notifications carry that mark too (RFC 3834 §5), so the
//! mark alone does not decide: an auto-reply has no mailer daemon's From
//! and no bounce Subject, or says so in its Subject or vendor headers.

use crate::smtp::bounce::input::Input;

/// Subjects of automatic replies (lower case, as they start).
const SUBJECTS: &[&str] = &[
    "auto:",
    "automatic reply",
    "autoreply",
    "auto-reply",
    "auto reply",
    "auto response",
    "autoresponse",
    "out of office",
    "out of the office",
    "abwesenheitsnotiz",
    "réponse automatique",
    "reponse automatique",
    "respuesta automática",
    "vacation",
    "自動応答",
    "自動返信",
];

/// Vendor headers that only autoresponders set.
const HEADERS: &[&str] = &[
    "x-autoreply",
    "x-autorespond",
    "x-autoresponder",
    "x-autoreply-from",
];

/// True when `input` is an automatic reply, not a bounce.
pub(crate) fn is_auto_reply(input: &Input) -> bool {
    let subject = input.subject().trim().to_lowercase();
    // A phrase at the start, or after a tag's ": " ("Re: Out of office").
    // Asked of every message read for a bounce, so the places a phrase may
    // start are found once, not one substring search per phrase (#17 G4).
    let mut starts = std::iter::once(0).chain(subject.match_indices(": ").map(|(at, _)| at + 2));
    if starts.any(|at| SUBJECTS.iter().any(|s| subject[at..].starts_with(s))) {
        return true;
    }
    if HEADERS.iter().any(|h| !input.header(h).is_empty()) {
        return true;
    }
    let marked = input
        .header("auto-submitted")
        .to_ascii_lowercase()
        .starts_with("auto-replied");
    marked && !input.looks_like_bounce()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    #[test]
    fn auto_replies_are_told_from_bounces() {
        let cases: &[(&str, bool)] = &[
            ("From: ann@example.com\r\nSubject: Out of Office: hello\r\n\r\nI am away.\r\n", true),
            ("From: ann@example.com\r\nSubject: Automatic reply: hello\r\n\r\nI am away.\r\n", true),
            ("From: ann@example.com\r\nAuto-Submitted: auto-replied\r\nSubject: Re: hello\r\n\r\nI am away.\r\n", true),
            ("From: ann@example.com\r\nX-Autoreply: yes\r\nSubject: hello\r\n\r\nI am away.\r\n", true),
            ("From: MAILER-DAEMON@mx.example.org\r\nAuto-Submitted: auto-replied\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\nx\r\n", false),
            ("From: ann@example.com\r\nSubject: hello\r\n\r\nhi\r\n", false),
            // After a tag's ": ", and only there.
            ("From: ann@example.com\r\nSubject: Re: Fwd: Vacation: back soon\r\n\r\nx\r\n", true),
            ("From: ann@example.com\r\nSubject: Re:vacation\r\n\r\nx\r\n", false),
            ("From: ann@example.com\r\nSubject: my vacation photos\r\n\r\nx\r\n", false),
            ("From: ann@example.com\r\nSubject: =?UTF-8?B?6Ieq5YuV5b+c562U?=: x\r\n\r\nx\r\n", true),
        ];
        for (raw, want) in cases {
            let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
            assert_eq!(
                is_auto_reply(&Input::from_message(&msg)),
                *want,
                "input: {raw:?}"
            );
        }
    }
}
