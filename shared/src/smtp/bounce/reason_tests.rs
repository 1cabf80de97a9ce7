//! Tests of `reason.rs` (a file of their own, so that the module stays
//! under the 600-line guard rail of #18).

use super::*;

fn finding(diagnostic: &str, status: Option<&str>, command: Option<Command>) -> Finding {
    Finding {
        diagnostic: diagnostic.to_string(),
        status: status.map(str::to_string),
        command,
        ..Finding::default()
    }
}

#[test]
fn words_and_codes_table() {
    let cases: &[(&str, Option<&str>, Option<Command>, Reason)] = &[
        (
            "550 5.1.1 <a@example.com>: User unknown",
            Some("5.1.1"),
            None,
            Reason::UserUnknown,
        ),
        (
            "550 5.1.1 Mailbox full",
            Some("5.1.1"),
            None,
            Reason::MailboxFull,
        ),
        (
            "552 5.2.3 Message too large",
            Some("5.2.3"),
            None,
            Reason::ExceedLimit,
        ),
        (
            "550 5.7.26 Unauthenticated email is not accepted",
            Some("5.7.26"),
            None,
            Reason::AuthFailure,
        ),
        (
            "554 5.7.1 Client host rejected: blocked using zen.spamhaus.org",
            Some("5.7.1"),
            None,
            Reason::Blocked,
        ),
        (
            "550 Unknown user a@example.jp",
            None,
            Some(Command::Data),
            Reason::Filtered,
        ),
        (
            "550 Unknown user a@example.jp",
            None,
            Some(Command::Rcpt),
            Reason::UserUnknown,
        ),
        (
            "550 5.2.1 Unknown user a@example.jp",
            Some("5.2.1"),
            None,
            Reason::Filtered,
        ),
        (
            "550 Unknown user a@example.jp",
            None,
            None,
            Reason::Filtered,
        ),
        (
            "mail.local: unknown user: bob",
            None,
            None,
            Reason::UserUnknown,
        ),
        ("550 go away", None, Some(Command::Mail), Reason::Rejected),
        ("554 no", None, Some(Command::Helo), Reason::Blocked),
        (
            "550 5.2.2 over quota",
            Some("5.2.2"),
            None,
            Reason::MailboxFull,
        ),
        ("", Some("4.4.7"), None, Reason::Expired),
        ("", None, None, Reason::Undefined),
    ];
    for (text, status, command, want) in cases {
        let (got, _) = classify(&finding(text, *status, *command));
        assert_eq!(got, *want, "input: {text:?} {status:?} {command:?}");
    }
    let (_, note) = classify(&finding("550 5.1.1 Mailbox full", Some("5.1.1"), None));
    assert!(note.is_some_and(|n| n.contains("mailboxfull") && n.contains("5.1.1")));
}

/// A phrase listed twice is dead weight, and under two reasons only the
/// first could ever match: each phrase is listed once, lower case (the
/// diagnostic is lower-cased before the search).
#[test]
fn each_phrase_is_listed_once_in_lower_case() {
    let mut seen = std::collections::HashMap::new();
    for (reason, phrases) in PHRASES.iter().chain(WEAK_PHRASES) {
        for phrase in *phrases {
            assert_eq!(*phrase, phrase.to_lowercase(), "{phrase}");
            if let Some(first) = seen.insert(*phrase, *reason) {
                panic!("{phrase:?} is listed under {first:?} and again under {reason:?}");
            }
        }
    }
}
