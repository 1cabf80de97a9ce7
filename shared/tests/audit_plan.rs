//! The domain-audit planner on zone data, with probes supplied by the test:
//! every group reports, events stream in order, the probes are asked what
//! they should be asked, and the deadline turns unfinished groups into
//! `not_tested`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use mxlens_shared::audit::{
    run_audit, AuditEvent, AuditOptions, AuditRequest, Probes, RcptAudit, SmtpAudit,
};
use mxlens_shared::dns::{
    block_on_ready, DnsOutcome, DnssecStatus, MxRecord, TlsaRecord, ZoneData, ZoneRecord,
};
use mxlens_shared::mta_sts::PolicyFetch;
use mxlens_shared::report::{Check, MxHost, Report, Status};

fn zone() -> ZoneData {
    let mut z = ZoneData::new();
    z.add(
        "example.com",
        ZoneRecord::Mx(MxRecord {
            preference: 10,
            exchange: "mx.example.com".into(),
        }),
    );
    z.add(
        "mx.example.com",
        ZoneRecord::A("192.0.2.10".parse().unwrap()),
    );
    z.add("example.com", ZoneRecord::Txt("v=spf1 mx -all".into()));
    z.add(
        "_dmarc.example.com",
        ZoneRecord::Txt("v=DMARC1; p=reject".into()),
    );
    z.add(
        "s1._domainkey.example.com",
        ZoneRecord::Txt(
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".into(),
        ),
    );
    z.add(
        "bounces.esp.example",
        ZoneRecord::Txt("v=spf1 ip4:203.0.113.0/24 -all".into()),
    );
    z.add(
        "_mta-sts.example.com",
        ZoneRecord::Txt("v=STSv1; id=20250101".into()),
    );
    z
}

/// Probes that record what they were asked. With `smtp_hangs`, the SMTP
/// probe never finishes (a blackholed MX).
#[derive(Default)]
struct RecordingProbes {
    smtp_hangs: bool,
    smtp_hosts: Mutex<Vec<String>>,
    sts_domains: Mutex<Vec<String>>,
    rcpt_addresses: Mutex<Vec<String>>,
}

impl Probes for RecordingProbes {
    async fn smtp(&self, hosts: &[MxHost]) -> Option<SmtpAudit> {
        self.smtp_hosts
            .lock()
            .unwrap()
            .extend(hosts.iter().map(|h| h.host.clone()));
        if self.smtp_hangs {
            futures::future::pending::<()>().await;
        }
        None
    }

    async fn sts_policy(&self, domain: &str) -> PolicyFetch {
        self.sts_domains.lock().unwrap().push(domain.into());
        PolicyFetch::Body(
            "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 604800\r\n".into(),
        )
    }

    async fn rcpt(&self, _domain: &str, address: &str, _hosts: &[MxHost]) -> RcptAudit {
        self.rcpt_addresses.lock().unwrap().push(address.into());
        RcptAudit {
            checks: vec![Check::new("smtp.rcpt", Status::Info, "asked").with_subject(address)],
            entry: None,
        }
    }
}

/// Ready after it has been polled `n` times, asking to be polled again
/// each time (inside the planner's FuturesUnordered, a future that does not
/// wake is not polled again). As a deadline: the planner polls it once per
/// turn, so zone lookups (always ready) finish first and only a hanging
/// probe is cut short.
struct AfterPolls(usize);

impl Future for AfterPolls {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            Poll::Ready(())
        } else {
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

fn options() -> AuditOptions {
    AuditOptions {
        dnsbl_lists: vec![],
        deadline: Duration::from_secs(30),
    }
}

fn audit(
    probes: &RecordingProbes,
    request: &AuditRequest,
    deadline: impl Future<Output = ()>,
) -> (Report, Vec<AuditEvent>) {
    let z = zone();
    let mut events = Vec::new();
    let report = block_on_ready(run_audit(
        &z,
        probes,
        request,
        &options(),
        "2026-01-01T00:00:00Z".into(),
        deadline,
        |e| events.push(e),
    ));
    (report, events)
}

fn status_of(report: &Report, id: &str) -> Vec<Status> {
    report
        .checks
        .iter()
        .filter(|c| c.id == id)
        .map(|c| c.status)
        .collect()
}

#[test]
fn every_group_reports_and_events_stream_in_order() {
    let probes = RecordingProbes::default();
    let request = AuditRequest {
        domain: "example.com".into(),
        selectors: vec!["s1".into()],
        sending_ip: Some("192.0.2.10".parse().unwrap()),
        rcpt: Some("bob@example.com".into()),
        ..Default::default()
    };
    let (report, events) = audit(&probes, &request, futures::future::pending());

    let Some(AuditEvent::Started { domain, steps }) = events.first() else {
        panic!("the first event is Started: {:?}", events.first());
    };
    assert_eq!(domain, "example.com");
    assert_eq!(
        steps.len(),
        13,
        "every group, sender and rcpt included: {steps:?}"
    );
    let Some(AuditEvent::Report { report: last }) = events.last() else {
        panic!("the last event is the report");
    };
    assert_eq!(**last, report);
    let streamed = events
        .iter()
        .filter(|e| matches!(e, AuditEvent::Check { .. }))
        .count();
    assert_eq!(streamed, report.checks.len(), "each check is streamed once");

    // One representative check per group.
    for (id, want) in [
        ("mx.present", Status::Pass),
        ("spf.present", Status::Pass),
        ("spf.sender-ip", Status::Pass),
        ("dmarc.policy", Status::Pass),
        ("dkim.key", Status::Pass),
        ("mta-sts.policy", Status::Pass),
        ("mta-sts.mx-coverage", Status::Pass),
        ("smtp.connect", Status::NotTested),
        ("smtp.rcpt", Status::Info),
    ] {
        assert_eq!(status_of(&report, id), vec![want], "{id}");
    }
    for id in [
        "dns.resolves",
        "mx.ptr",
        "tls-rpt.record",
        "bimi.record",
        "dane.tlsa",
    ] {
        assert!(!status_of(&report, id).is_empty(), "{id} missing");
    }
    let domain = report.domain.as_ref().expect("a domain section");
    assert_eq!(domain.mx.len(), 1);
    assert!(domain.spf.is_some() && domain.dmarc.is_some() && domain.mta_sts.is_some());

    assert_eq!(*probes.smtp_hosts.lock().unwrap(), ["mx.example.com"]);
    assert_eq!(*probes.sts_domains.lock().unwrap(), ["example.com"]);
    assert_eq!(*probes.rcpt_addresses.lock().unwrap(), ["bob@example.com"]);
}

#[test]
fn no_sts_fetch_without_a_record_and_no_optional_groups_unasked() {
    let probes = RecordingProbes::default();
    let request = AuditRequest {
        domain: "other.example".into(),
        ..Default::default()
    };
    let (report, events) = audit(&probes, &request, futures::future::pending());
    let Some(AuditEvent::Started { steps, .. }) = events.first() else {
        panic!("the first event is Started");
    };
    assert!(
        !steps.iter().any(|s| s == "sender" || s == "rcpt"),
        "{steps:?}"
    );
    assert!(probes.sts_domains.lock().unwrap().is_empty());
    assert!(status_of(&report, "spf.sender-ip").is_empty());
    assert!(status_of(&report, "smtp.rcpt").is_empty());
}

#[test]
fn the_deadline_turns_unfinished_groups_into_not_tested() {
    let probes = RecordingProbes {
        smtp_hangs: true,
        ..Default::default()
    };
    let request = AuditRequest {
        domain: "example.com".into(),
        ..Default::default()
    };
    let polls = AtomicUsize::new(0);
    let deadline = async {
        AfterPolls(200).await;
        polls.fetch_add(1, Ordering::Relaxed);
    };
    let (report, _) = audit(&probes, &request, deadline);
    assert_eq!(polls.load(Ordering::Relaxed), 1, "the deadline passed");
    for id in ["smtp.connect", "dane.tlsa"] {
        let cut: Vec<&Check> = report.checks.iter().filter(|c| c.id == id).collect();
        assert_eq!(cut.len(), 1, "{id}: {cut:#?}");
        assert_eq!(cut[0].status, Status::NotTested);
        assert!(
            cut[0].detail.contains("deadline of 30 s"),
            "{}",
            cut[0].detail
        );
    }
    // Groups that needed only DNS finished before it.
    assert_eq!(status_of(&report, "dmarc.policy"), vec![Status::Pass]);
    assert_eq!(status_of(&report, "mx.present"), vec![Status::Pass]);
}

/// Bulk mail leaves through an ESP whose bounce domain is the envelope
/// sender: SPF is judged for that domain, and the From domain's result is
/// shown as information, not a false fail (issue #19).
#[test]
fn spf_is_evaluated_for_the_envelope_sender_and_the_from_domain_is_information() {
    let probes = RecordingProbes::default();
    let request = AuditRequest {
        domain: "example.com".into(),
        sending_ip: Some("203.0.113.5".parse().unwrap()),
        mail_from: Some("b-123@bounces.esp.example".into()),
        helo: Some("out.esp.example".into()),
        ..Default::default()
    };
    let (report, _) = audit(&probes, &request, futures::future::pending());
    let spf: Vec<&Check> = report
        .checks
        .iter()
        .filter(|c| c.id == "spf.sender-ip")
        .collect();
    assert_eq!(spf.len(), 2, "{spf:#?}");
    let envelope = spf
        .iter()
        .find(|c| c.subject.as_deref() == Some("203.0.113.5 (envelope sender bounces.esp.example)"))
        .expect("the envelope sender's check");
    assert_eq!(envelope.status, Status::Pass, "{envelope:#?}");
    assert!(envelope
        .detail
        .starts_with("SPF for the envelope sender bounces.esp.example: SPF pass"));
    let from = spf
        .iter()
        .find(|c| c.subject.as_deref() == Some("203.0.113.5 (From domain example.com)"))
        .expect("the From domain's check");
    assert_eq!(
        from.status,
        Status::Info,
        "a fail for the From domain decides nothing: {from:#?}"
    );
    assert!(
        from.detail
            .starts_with("SPF for the From domain example.com: SPF fail"),
        "{}",
        from.detail
    );
    let spf_fails = report
        .checks
        .iter()
        .filter(|c| c.id.starts_with("spf.") && c.status == Status::Fail)
        .count();
    assert_eq!(spf_fails, 0, "no false SPF fail");

    // The same envelope domain as From: one check, as before.
    let request = AuditRequest {
        domain: "example.com".into(),
        sending_ip: Some("192.0.2.10".parse().unwrap()),
        mail_from: Some("news@EXAMPLE.com".into()),
        ..Default::default()
    };
    let (report, _) = audit(&probes, &request, futures::future::pending());
    assert_eq!(status_of(&report, "spf.sender-ip"), vec![Status::Pass]);
}

/// RFC 9989 §4.10: the live audit walks the tree to the nearest record and
/// applies `np` to a subdomain that does not exist, `sp` to one that does
/// (issue #19: both used to be hard-coded off).
#[test]
fn dmarc_uses_the_tree_walk_and_np_for_a_non_existent_subdomain() {
    let mut z = zone();
    z.add(
        "_dmarc.corp.example",
        ZoneRecord::Txt("v=DMARC1; p=none; sp=quarantine; np=reject".into()),
    );
    z.add(
        "www.corp.example",
        ZoneRecord::A("192.0.2.80".parse().unwrap()),
    );
    z.add(
        "_dmarc.dept.corp.example",
        ZoneRecord::Txt("v=DMARC1; p=quarantine; np=none".into()),
    );
    let probes = RecordingProbes::default();
    let policy_of = |domain: &str| {
        let request = AuditRequest {
            domain: domain.into(),
            ..Default::default()
        };
        let report = block_on_ready(run_audit(
            &z,
            &probes,
            &request,
            &options(),
            "2026-01-01T00:00:00Z".into(),
            futures::future::pending(),
            |_| {},
        ));
        let dmarc = report.domain.unwrap().dmarc.expect("a DMARC summary");
        (
            dmarc
                .policy
                .map(|p| p.as_str())
                .unwrap_or_default()
                .to_string(),
            dmarc.source,
        )
    };
    assert_eq!(
        policy_of("www.corp.example"),
        ("quarantine".into(), "corp.example".into())
    );
    assert_eq!(
        policy_of("ghost.corp.example"),
        ("reject".into(), "corp.example".into())
    );
    // A record below the organizational domain: the walk finds it for a
    // name under it, where the RFC 7489 fallback went straight to the PSL's
    // organizational domain (corp.example) and skipped it.
    assert_eq!(
        policy_of("ghost.dept.corp.example"),
        ("none".into(), "dept.corp.example".into())
    );
}

/// The DKIM checks' subjects (the selectors reported) of an audit of
/// example.com, with a second key at the common selector `google`.
fn dkim_subjects(request: &AuditRequest) -> Vec<String> {
    let mut z = zone();
    z.add(
        "google._domainkey.example.com",
        ZoneRecord::Txt(
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".into(),
        ),
    );
    let report = block_on_ready(run_audit(
        &z,
        &RecordingProbes::default(),
        request,
        &options(),
        "2026-01-01T00:00:00Z".into(),
        futures::future::pending(),
        |_| {},
    ));
    let mut subjects: Vec<String> = report
        .checks
        .iter()
        .filter(|c| c.id == "dkim.key")
        .filter_map(|c| c.subject.clone())
        .collect();
    subjects.dedup();
    subjects
}

/// Issue #17: the common selectors are guessed only when the caller named
/// none, or asked for them with `guess_selectors`.
#[test]
fn common_selectors_are_guessed_only_when_none_is_given_or_asked_for() {
    let named = |selectors: &[&str], guess_selectors| AuditRequest {
        domain: "example.com".into(),
        selectors: selectors.iter().map(|s| s.to_string()).collect(),
        guess_selectors,
        ..Default::default()
    };
    // None given: both keys are found by guessing.
    assert_eq!(dkim_subjects(&named(&[], false)), ["google", "s1"]);
    // One given: only it is looked up, even though `google` has a key.
    assert_eq!(dkim_subjects(&named(&["s1"], false)), ["s1"]);
    // A given selector without a key is a failure, and nothing is guessed.
    assert_eq!(dkim_subjects(&named(&["missing"], false)), ["missing"]);
    // Asked for: the given one first, then the keys found by guessing, in
    // the order of the common list.
    assert_eq!(
        dkim_subjects(&named(&["missing"], true)),
        ["missing", "google", "s1"]
    );
    // A given selector that is also a common one is not asked twice.
    assert_eq!(dkim_subjects(&named(&["s1"], true)), ["s1", "google"]);
}

/// Zone data whose PTR answer for one address comes only after `polls`
/// polls: that address's group finishes after the others.
struct SlowPtr {
    zone: ZoneData,
    ip: std::net::IpAddr,
    polls: usize,
}

impl mxlens_shared::dns::DnsLookup for SlowPtr {
    async fn txt(&self, name: &str) -> DnsOutcome<String> {
        self.zone.txt(name).await
    }
    async fn a(&self, name: &str) -> DnsOutcome<std::net::Ipv4Addr> {
        self.zone.a(name).await
    }
    async fn aaaa(&self, name: &str) -> DnsOutcome<std::net::Ipv6Addr> {
        self.zone.aaaa(name).await
    }
    async fn mx(&self, name: &str) -> DnsOutcome<MxRecord> {
        self.zone.mx(name).await
    }
    async fn ptr(&self, ip: std::net::IpAddr) -> DnsOutcome<String> {
        if ip == self.ip {
            AfterPolls(self.polls).await;
        }
        self.zone.ptr(ip).await
    }
    async fn cname(&self, name: &str) -> DnsOutcome<String> {
        self.zone.cname(name).await
    }
    async fn tlsa(&self, name: &str) -> DnsOutcome<TlsaRecord> {
        self.zone.tlsa(name).await
    }
    async fn dnssec_status(&self, name: &str) -> DnsOutcome<DnssecStatus> {
        self.zone.dnssec_status(name).await
    }
}

/// `dnsbl.listed` comes from two groups (the MX addresses and the sending
/// IP): the report lists the MX address's first however the groups
/// finish, so one audit always gives the same report (the order used to
/// follow completion, and an integration golden flipped under load).
#[test]
fn checks_two_groups_give_keep_the_groups_order_whichever_finishes_first() {
    let mut zone = zone();
    for listed in ["10.2.0.192.bl.test", "5.113.0.203.bl.test"] {
        zone.add(listed, ZoneRecord::A("127.0.0.2".parse().unwrap()));
    }
    let request = AuditRequest {
        domain: "example.com".into(),
        selectors: vec!["s1".into()],
        sending_ip: Some("203.0.113.5".parse().unwrap()),
        ..Default::default()
    };
    let options = AuditOptions {
        dnsbl_lists: vec!["bl.test".into()],
        deadline: Duration::from_secs(30),
    };
    let listed = |slow: &str| {
        let lookup = SlowPtr {
            zone: zone.clone(),
            ip: slow.parse().unwrap(),
            polls: 500,
        };
        let mut finished = Vec::new();
        let report = block_on_ready(run_audit(
            &lookup,
            &RecordingProbes::default(),
            &request,
            &options,
            "2026-01-01T00:00:00Z".into(),
            std::future::pending::<()>(),
            |e| {
                if let AuditEvent::Check { check } = e {
                    if check.id == "dnsbl.listed" {
                        finished.push(check.subject.unwrap_or_default());
                    }
                }
            },
        ));
        let in_report: Vec<String> = report
            .checks_with_id("dnsbl.listed")
            .map(|c| c.subject.clone().unwrap_or_default())
            .collect();
        (finished, in_report)
    };
    let want = ["192.0.2.10 on bl.test", "203.0.113.5 on bl.test"];
    // The MX address's PTR is slow: its group finishes last...
    let (finished, in_report) = listed("192.0.2.10");
    assert_eq!(
        finished,
        ["203.0.113.5 on bl.test", "192.0.2.10 on bl.test"]
    );
    // ...and the report keeps the groups' order all the same.
    assert_eq!(in_report, want);
    let (finished, in_report) = listed("203.0.113.5");
    assert_eq!(finished, want);
    assert_eq!(in_report, want);
}
