//! Tests of `rcpt.rs` (a file of their own, so that the module stays
//! under the 600-line guard rail of #18).

use super::*;

fn probe(rcpt: Option<(u16, &str)>, catch_all: Option<(u16, &str)>) -> RcptProbeResult {
    let mut r = RcptProbeResult::new("bob@shop.test", "mx1.shop.test", "192.0.2.10");
    r.mail_from = Some(RcptReply::new(250, "250 2.1.0 Ok"));
    r.rcpt = rcpt.map(|(c, t)| RcptReply::new(c, t));
    if let Some((c, t)) = catch_all {
        r.catch_all_address = Some("mxlens-probe-0123abcd@shop.test".into());
        r.catch_all = Some(RcptReply::new(c, t));
    }
    r.probed_at = Some(1_798_000_000);
    r
}

type Row<'a> = (
    Option<(u16, &'a str)>,
    Option<(u16, &'a str)>,
    RcptVerdict,
    Status,
);

#[test]
fn verdicts() {
    let table: &[Row] = &[
        (Some((250, "250 2.1.5 Ok")), Some((550, "550 5.1.1 <x@shop.test>: Recipient address rejected: User unknown in virtual mailbox table")), RcptVerdict::Accepted, Status::Pass),
        (Some((250, "250 2.1.5 Ok")), Some((250, "250 2.1.5 Ok")), RcptVerdict::CatchAll, Status::Info),
        (Some((250, "250 2.1.5 Ok")), None, RcptVerdict::AcceptedUnverified, Status::Pass),
        (Some((550, "550 5.1.1 <bob@shop.test>: Recipient address rejected: User unknown")), None, RcptVerdict::UnknownUser, Status::Fail),
        (Some((550, "550 No such user here")), None, RcptVerdict::UnknownUser, Status::Fail),
        (Some((451, "451 4.7.1 <bob@shop.test>: Recipient address rejected: Greylisted, try again in 60 seconds")), None, RcptVerdict::Greylisted, Status::Warn),
        (Some((450, "450 Greylisted, see http://postgrey.schweikert.ch/")), None, RcptVerdict::Greylisted, Status::Warn),
        (Some((452, "452 4.2.2 Mailbox full")), None, RcptVerdict::MailboxFull, Status::Warn),
        (Some((552, "552 5.2.2 The email account that you tried to reach is over quota.")), None, RcptVerdict::MailboxFull, Status::Warn),
        (Some((552, "552 Requested mail action aborted")), None, RcptVerdict::MailboxFull, Status::Warn),
        (Some((554, "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org")), None, RcptVerdict::PolicyRejected, Status::NotTested),
        (Some((554, "554 Transaction failed")), None, RcptVerdict::PolicyRejected, Status::NotTested),
        (Some((553, "553 5.3.0 mailbox name not allowed")), None, RcptVerdict::Rejected, Status::Fail),
        (Some((421, "421 4.3.2 Service shutting down")), None, RcptVerdict::TemporaryFailure, Status::Warn),
        (None, None, RcptVerdict::Inconclusive, Status::NotTested),
    ];
    for (rcpt, catch_all, verdict, status) in table {
        let r = probe(*rcpt, *catch_all);
        assert_eq!(classify(&r), *verdict, "input {rcpt:?} / {catch_all:?}");
        let check = rcpt_check(&r);
        assert_eq!(check.status, *status, "input {rcpt:?}: {check:#?}");
        assert_eq!(check.subject.as_deref(), Some("bob@shop.test"));
        assert_eq!(check.id, "smtp.rcpt");
    }
}

#[test]
fn explained_codes_are_in_the_detail() {
    let r = probe(
        Some((
            550,
            "550 5.1.1 <bob@shop.test>: Recipient address rejected: User unknown",
        )),
        None,
    );
    let check = rcpt_check(&r);
    assert!(check.detail.contains("550 5.1.1"), "{}", check.detail);
    assert!(check.detail.contains("User unknown"), "{}", check.detail);
    assert!(check.refs.iter().any(|r| r.contains("3463")), "{check:#?}");
    let entry = report_entry(&r);
    assert_eq!(entry.verdict, RcptVerdict::UnknownUser);
    let explained = entry.rcpt_explained.as_ref().unwrap();
    assert_eq!(explained.enhanced_code.as_deref(), Some("5.1.1"));
    assert_eq!(entry.rcpt.as_ref().map(|r| r.code), Some(550));
    assert_eq!(entry.verdict_text, RcptVerdict::UnknownUser.describe());
    assert!(entry.retry_hint.is_none());
    assert!(check.detail.ends_with(RcptVerdict::UnknownUser.describe()));
    let r = probe(
        Some((451, "451 4.7.1 Greylisted, try again in 60 seconds")),
        None,
    );
    let hint = report_entry(&r).retry_hint.unwrap();
    assert!(hint.contains("Retry in 60 s"), "{hint}");
    let r = probe(Some((250, "250 2.1.5 Ok")), Some((250, "250 2.1.5 Ok")));
    assert!(report_entry(&r).catch_all_text.contains("(catch-all)"));
    let r = probe(
        Some((250, "250 2.1.5 Ok")),
        Some((550, "550 5.1.1 unknown")),
    );
    assert!(report_entry(&r)
        .catch_all_text
        .contains("was refused (550 5.1.1)"));
}

/// The `domain.rcpt` entry as it was written before it was typed: a
/// `json!` object (members sorted by `serde_json`'s `Map`, `null` for
/// every `None`).
fn untyped_entry(result: &RcptProbeResult) -> serde_json::Value {
    let explained = |r: &Option<RcptReply>| r.as_ref().and_then(RcptReply::explain);
    let verdict = classify(result);
    let transient = result
        .rcpt
        .as_ref()
        .or_else(|| result.failure.as_ref().and_then(|f| f.reply.as_ref()))
        .filter(|r| r.is_transient());
    serde_json::json!({
        "address": result.address,
        "host": result.host,
        "ip": result.ip,
        "sender": result.sender,
        "tls": result.tls,
        "verdict": verdict.as_str(),
        "verdict_text": verdict.describe(),
        "retry_hint": transient.map(|r| retry_hint(result, r)),
        "mail_from": result.mail_from,
        "rcpt": result.rcpt,
        "rcpt_explained": explained(&result.rcpt),
        "catch_all_address": result.catch_all_address,
        "catch_all": result.catch_all,
        "catch_all_text": describe_catch_all(result),
        "failure": result.failure,
        "failure_explained": result.failure.as_ref().and_then(|f| f.reply.as_ref()).and_then(RcptReply::explain),
        "total_ms": result.total_ms,
    })
}

/// The typed entry writes the same bytes the untyped one did, for every
/// verdict, an early stop with and without a reply, a sender, TLS and
/// timings; and it reads back as itself.
#[test]
fn the_entry_is_byte_identical_to_the_untyped_object() {
    let mut results: Vec<RcptProbeResult> = [
        (Some((250, "250 2.1.5 Ok")), Some((550, "550 5.1.1 <x@shop.test>: Recipient address rejected: User unknown"))),
        (Some((250, "250 2.1.5 Ok")), Some((250, "250 2.1.5 Ok"))),
        (Some((250, "250 2.1.5 Ok")), None),
        (Some((550, "550 5.1.1 <bob@shop.test>: Recipient address rejected: User unknown")), None),
        (Some((451, "451 4.7.1 Greylisted, try again in 60 seconds")), None),
        (Some((452, "452 4.2.2 Mailbox full")), None),
        (Some((554, "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org")), None),
        (Some((553, "553 mailbox name not allowed")), None),
        (None, None),
    ]
    .into_iter()
    .map(|(rcpt, catch_all)| probe(rcpt, catch_all))
    .collect();
    let mut stopped = probe(None, None);
    stopped.failure = Some(RcptFailure {
        message: "the server closed the connection".into(),
        reply: Some(RcptReply::new(
            421,
            "421-4.3.2 Service not available\r\n421 4.3.2 closing transmission channel",
        )),
        step: RcptStep::MailFrom,
        timeout: false,
    });
    stopped.tls = true;
    stopped.sender = "probe@mxlens.test".into();
    stopped.total_ms = Some(1234);
    results.push(stopped);
    let mut timed_out = probe(None, None);
    timed_out.mail_from = None;
    timed_out.probed_at = None;
    timed_out.failure = Some(RcptFailure {
        message: "no reply within 2000 ms".into(),
        reply: None,
        step: RcptStep::Connect,
        timeout: true,
    });
    results.push(timed_out);
    for result in &results {
        let typed = report_entry(result);
        let json = serde_json::to_string(&typed).unwrap();
        assert_eq!(json, untyped_entry(result).to_string(), "{result:#?}");
        let back: RcptFacts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, typed);
    }
    // The wire form, pinned: every member, `null` for what the probe
    // did not get, the failure's members sorted, its absent reply left out.
    assert_eq!(
        serde_json::to_string(&report_entry(results.last().unwrap())).unwrap(),
        concat!(
            r#"{"address":"bob@shop.test","catch_all":null,"catch_all_address":null,"#,
            r#""catch_all_text":"Could not be made: nothing is known about a catch-all.","#,
            r#""failure":{"message":"no reply within 2000 ms","step":"connect","timeout":true},"#,
            r#""failure_explained":null,"host":"mx1.shop.test","ip":"192.0.2.10","#,
            r#""mail_from":null,"rcpt":null,"rcpt_explained":null,"retry_hint":null,"#,
            r#""sender":"","tls":false,"total_ms":null,"verdict":"inconclusive","#,
            r#""verdict_text":"The reply is not a final answer about the address."}"#,
        )
    );
}

#[test]
fn greylisting_says_when_to_retry() {
    let r = probe(
        Some((451, "451 4.7.1 Greylisted, try again in 60 seconds")),
        None,
    );
    let fix = rcpt_check(&r).fix.unwrap();
    assert!(fix.contains("60 s"), "{fix}");
    // 1_798_000_000 + 60
    assert!(fix.contains("2026-12-23T04:27:40Z"), "{fix}");
    let r = probe(Some((451, "451 4.7.1 Please come back later")), None);
    let fix = rcpt_check(&r).fix.unwrap();
    assert!(fix.contains("5 minutes"), "{fix}");
}

#[test]
fn retry_delays() {
    let table = [
        ("451 4.7.1 Greylisted, try again in 60 seconds", Some(60)),
        ("450 4.2.0 retry in 5 minutes", Some(300)),
        ("451 4.7.1 Greylisted for 300 secs", Some(300)),
        ("451 4.7.1 Please try later", None),
        ("", None),
        ("99999999999 hours", None),
    ];
    for (text, want) in table {
        assert_eq!(retry_after_seconds(text), want, "input {text:?}");
    }
}

/// The words the report and its readers use are serde's.
#[test]
fn step_and_verdict_words_are_serdes() {
    for step in RcptStep::ALL {
        assert_eq!(serde_json::to_value(step).unwrap(), step.as_str());
    }
    for (rcpt, catch_all, verdict, _) in [
        (
            Some((250, "250 Ok")),
            Some((250, "250 Ok")),
            RcptVerdict::CatchAll,
            (),
        ),
        (
            Some((451, "451 4.7.1 later")),
            None,
            RcptVerdict::Greylisted,
            (),
        ),
    ] {
        assert_eq!(classify(&probe(rcpt, catch_all)), verdict);
        assert_eq!(serde_json::to_value(verdict).unwrap(), verdict.as_str());
    }
}

#[test]
fn early_stop_is_not_tested() {
    let mut r = probe(None, None);
    r.failure = Some(RcptFailure {
        message: "the server closed the connection".into(),
        reply: Some(RcptReply::new(
            421,
            "421 4.3.2 Service not available, closing transmission channel",
        )),
        step: RcptStep::MailFrom,
        timeout: false,
    });
    let check = rcpt_check(&r);
    assert_eq!(check.status, Status::NotTested);
    assert!(check.detail.contains("after MAIL FROM"), "{}", check.detail);
    assert!(check.detail.contains("421 4.3.2"), "{}", check.detail);
    assert!(check.fix.is_some());
    r.failure = Some(RcptFailure {
        message: "no reply within 2000 ms".into(),
        reply: None,
        step: RcptStep::Rcpt,
        timeout: true,
    });
    let check = rcpt_check(&r);
    assert_eq!(check.status, Status::NotTested);
    assert!(check.detail.contains("no reply within"), "{}", check.detail);
}
