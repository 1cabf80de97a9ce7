//! The decoder against serde's derive: the same answer for every report
//! shape and every refusal (see the parent module).
use super::*;
use crate::diagnostic::Severity;
use crate::dmarc::{Alignment, FailureOption, Policy, PsdFlag};
use crate::report::{
    ByteSpan, DkimKeyFacts, DmarcDiscoveryFacts, DmarcFacts, DmarcReportSize, DmarcReportUri,
    DmarcTagFacts, DmarcTags, LookupOutcome, PtrFacts, PtrRole, RcptFacts, RecordFinding,
    SCHEMA_VERSION,
};
use crate::report::{
    CertFacts, ChainFacts, ChainResult, SmtpFacts, SmtpProbeFacts, SmtpTimings, SpfFacts,
    SpfNodeFacts, SpfTermFacts, StarttlsFacts, StarttlsResult,
};
use crate::report::{DaneFacts, DomainSection, MtaStsFacts, MxHost};
use crate::smtp::codes::{ReplyClass, ReplyExplanation};
use crate::smtp::rcpt::{RcptFailure, RcptReply, RcptStep, RcptVerdict};
use crate::smtp::Outcome;
use crate::spf::eval::{NodeKind, SpfResult};
use crate::spf::Qualifier;

/// An explanation with every member set.
fn explanation(code: u16) -> ReplyExplanation {
    ReplyExplanation {
        basic_code: Some(code),
        basic_meaning: "b".into(),
        class: ReplyClass::TransientFailure,
        enhanced_code: Some("4.3.2".into()),
        enhanced_meaning: "e".into(),
        likely_cause: "c".into(),
        provider: Some("Gmail".into()),
        recipient: Some("a@example.com".into()),
        refs: vec!["RFC 3463".into()],
        reply: "421 4.3.2 bye".into(),
        text: "bye".into(),
        what_to_do: "w".into(),
    }
}

/// The derive's answer and ours, for the same JSON.
fn both(value: &Value) -> (Result<Report>, Result<Report>) {
    let derived = serde_json::from_value::<Report>(value.clone()).map_err(|e| e.to_string());
    (derived, report(value))
}

/// A report with every optional member present and every list filled,
/// so that each field of the model is decoded at least once.
fn full_report() -> Report {
    let identity = AlignedIdentity {
        domain: "mail.example.com".into(),
        org_domain: "example.com".into(),
        relaxed: true,
        strict: false,
    };
    let mut check = Check::new("spf.lookup-limit", Status::Warn, "11 lookups")
        .with_subject("example.com")
        .with_fix("flatten")
        .with_suggestion("v=spf1 -all");
    check.refs.push("RFC 7208 §4.6.4".into());
    Report {
        schema_version: SCHEMA_VERSION,
        kind: ReportKind::Combined,
        generated_at: "2026-11-28T12:00:00Z".into(),
        tool: Tool::default(),
        score: 73,
        grade: Grade::C,
        coverage: 88,
        checks: vec![check],
        message: Some(MessageSection {
            from: Some(FromAddress {
                name: Some("Ann".into()),
                address: "ann@example.com".into(),
                domain: "example.com".into(),
            }),
            subject: Some("Hello".into()),
            hops: vec![Hop {
                from: Some("a".into()),
                by: Some("b".into()),
                ip: Some("192.0.2.1".into()),
                with: Some("ESMTPS".into()),
                tls: Some(true),
                timestamp: Some("2026-11-28T11:59:00Z".into()),
                delay_seconds: Some(-3),
                iprev: Some("c".into()),
                helo: Some("d".into()),
                id: Some("q1".into()),
                tls_version: Some("TLSv1.3".into()),
                tls_cipher: Some("TLS_AES_128_GCM_SHA256".into()),
                unix_seconds: Some(1_795_000_000),
                internal: true,
            }],
            total_delay_seconds: Some(60),
            sending_ip: Some("192.0.2.1".into()),
            envelope_from: Some("bounce@esp.example".into()),
            envelope_helo: Some("out.esp.example".into()),
            dkim_signatures: vec![DkimSignatureSummary {
                domain: "example.com".into(),
                selector: "s1".into(),
                algorithm: "rsa-sha256".into(),
                signed_headers: vec!["from".into(), "to".into()],
                canonicalization: Some("relaxed/relaxed".into()),
                body_length: Some(u64::MAX),
                timestamp: Some(1),
                expiration: Some(2),
                result: Some("pass".into()),
                verified: Some(false),
                failure: Some("body_hash".into()),
                verify_detail: Some("the body hash does not match bh=".into()),
                body_change: Some("appended".into()),
                changed_text: Some("-- \r\nfooter\r\n".into()),
            }],
            auth_results: vec![AuthResultSummary {
                authserv_id: "mx.example.net".into(),
                method: "dkim".into(),
                result: "pass".into(),
                details: Some("header.d=example.com".into()),
            }],
            has_body: true,
            alignment: Some(AlignmentSummary {
                from_domain: "example.com".into(),
                from_org_domain: "example.com".into(),
                dkim: vec![identity.clone()],
                spf: Some(identity),
                relaxed: true,
                strict: false,
            }),
            arc: Some(ArcSummary {
                sets: 2,
                structure: "fail".into(),
                problem: Some("gap".into()),
                last_sealer: Some("google.com".into()),
                receiver_result: Some("pass".into()),
            }),
            spam_verdicts: vec![SpamVerdictSummary {
                filter: "SpamAssassin".into(),
                verdict: SpamDecision::NotSpam,
                score: Some("-0.1".into()),
                required: Some("5".into()),
                summary: "not spam".into(),
                fields: vec![SpamField {
                    name: "BAYES_00".into(),
                    value: "-1.9".into(),
                    meaning: "ham".into(),
                }],
            }],
            bounce: Some(BounceReport {
                kind: BounceKind::Dsn,
                reporting_mta: Some("mx.example.com".into()),
                recipients: vec![BouncedRecipient {
                    recipient: Some("bob@example.net".into()),
                    action: BounceAction::Delayed,
                    status: Some("4.2.2".into()),
                    reply_code: Some(452),
                    remote_mta: Some("mx.example.net".into()),
                    diagnostic: Some("452 4.2.2 over quota".into()),
                    reason: Reason::MailboxFull,
                    permanent: false,
                    who_must_act: WhoMustAct::RecipientAdmin,
                    next_step: "wait".into(),
                    refs: vec!["RFC 3463".into()],
                    note: Some("n".into()),
                }],
                format: Some("postfix".into()),
                original: Some(OriginalMessage {
                    from: Some("ann@example.com".into()),
                    from_domain: Some("example.com".into()),
                    subject: Some("s".into()),
                    message_id: Some("<m@example.com>".into()),
                    dkim_domains: vec!["example.com".into()],
                    sending_ip: Some("192.0.2.1".into()),
                }),
            }),
            content: Some(crate::report::ContentSection {
                text_part: true,
                html_part: true,
                html_bytes: 2048,
                visible_text_chars: 900,
                images: 3,
                images_without_alt: 1,
                tracking_pixels: 1,
                links_total: 7,
                links: vec![crate::report::LinkSummary {
                    text: "www.shop.example".into(),
                    href: "http://bit.ly/x".into(),
                    host: "bit.ly".into(),
                    source: "html".into(),
                    aligned: Some(false),
                    shown_domain: Some("www.shop.example".into()),
                    flags: vec!["shortener".into()],
                    count: 2,
                }],
                link_domains: vec!["bit.ly".into()],
                attachments: vec![crate::report::AttachmentSummary {
                    filename: "a.zip".into(),
                    content_type: "application/zip".into(),
                    size: u64::MAX,
                    risk: "archive".into(),
                }],
                limits: vec!["cap".into()],
            }),
        }),
        domain: Some(DomainSection {
            name: "example.com".into(),
            mx: vec![MxHost {
                preference: 10,
                host: "mx.example.com".into(),
                addresses: vec!["192.0.2.25".into()],
            }],
            spf: Some(SpfFacts {
                lookup_count: 11,
                record: Some("v=spf1 include:_spf.example.com ~all".into()),
                terms: vec![SpfTermFacts {
                    meaning: "m".into(),
                    rfc: "RFC 7208 §5.2".into(),
                    term: "include".into(),
                }],
                tree: SpfNodeFacts {
                    children: vec![SpfNodeFacts {
                        children: vec![],
                        dns_cost: 1,
                        domain: Some("_spf.example.com".into()),
                        kind: NodeKind::Include,
                        matched: Some(false),
                        notes: vec!["NXDOMAIN".into()],
                        qualifier: Some(Qualifier::SoftFail),
                        record: None,
                        result: Some(SpfResult::PermError),
                        term: "include:_spf.example.com".into(),
                        void_lookups: 1,
                    }],
                    dns_cost: 0,
                    domain: Some("example.com".into()),
                    kind: NodeKind::Record,
                    matched: None,
                    notes: vec![],
                    qualifier: None,
                    record: Some("v=spf1 include:_spf.example.com ~all".into()),
                    result: Some(SpfResult::TempError),
                    term: "example.com".into(),
                    void_lookups: 0,
                },
                void_lookup_count: u32::MAX,
            }),
            dmarc: Some(DmarcFacts {
                policy: Some(Policy::Quarantine),
                record: "v=DMARC1; p=reject; sp=quarantine".into(),
                source: "example.com".into(),
                tag_table: vec![
                    DmarcTagFacts {
                        default: None,
                        findings: vec![RecordFinding {
                            code: "dmarc.tag-removed-rfc9989".into(),
                            message: "m".into(),
                            rfc: "RFC 9989 §4.7".into(),
                            severity: Severity::Info,
                            span: ByteSpan { end: 17, start: 12 },
                        }],
                        meaning: "m".into(),
                        rfc: "RFC 7489 §6.3".into(),
                        tag: "pct".into(),
                        value: Some("50".into()),
                    },
                    DmarcTagFacts {
                        default: Some("subdomains get p".into()),
                        findings: vec![],
                        meaning: "m".into(),
                        rfc: "RFC 7489 §6.3".into(),
                        tag: "sp".into(),
                        value: None,
                    },
                ],
                tags: DmarcTags {
                    adkim: Some(Alignment::Strict),
                    aspf: Some(Alignment::Relaxed),
                    failure_options: vec![
                        FailureOption::All,
                        FailureOption::Any,
                        FailureOption::Dkim,
                        FailureOption::Spf,
                    ],
                    nonexistent_policy: Some(Policy::Reject),
                    percent: Some(50),
                    policy: Some(Policy::None),
                    psd: Some(PsdFlag::Yes),
                    report_formats: vec!["afrf".into()],
                    report_interval: Some(3600),
                    rua: vec![DmarcReportUri {
                        max_size: Some(DmarcReportSize {
                            unit: Some('m'),
                            value: 10,
                        }),
                        uri: "mailto:a@example.com".into(),
                    }],
                    ruf: vec![DmarcReportUri {
                        max_size: Some(DmarcReportSize {
                            unit: None,
                            value: u64::MAX,
                        }),
                        uri: "mailto:f@example.com".into(),
                    }],
                    subdomain_policy: Some(Policy::Quarantine),
                    testing: Some(true),
                    unknown: vec![("x".into(), "y".into())],
                    version: Some("DMARC1".into()),
                },
            }),
            smtp: vec![SmtpFacts {
                banner: Some("220 mx.example.com ESMTP".into()),
                cert_days_left: Some(-1),
                cert_valid: Some(false),
                cipher: Some("TLS13_AES_256_GCM_SHA384".into()),
                extensions: vec!["STARTTLS".into()],
                host: "mx.example.com".into(),
                ip: "192.0.2.25".into(),
                port: 25,
                probe: SmtpProbeFacts {
                    banner: Some("220 mx.example.com ESMTP".into()),
                    banner_code: Some(220),
                    banner_outcome: Outcome::Ok,
                    cert_chain: vec![CertFacts {
                        days_left: -1,
                        issuer: "CN=CA".into(),
                        not_after: "2026-11-27T00:00:00Z".into(),
                        not_before: "2026-01-01T00:00:00Z".into(),
                        sans: vec!["mx.example.com".into()],
                        subject: "CN=mx.example.com".into(),
                    }],
                    cipher: Some("TLS13_AES_256_GCM_SHA384".into()),
                    connect: Outcome::Refused,
                    connected_to: Some("127.0.0.1:2525".into()),
                    ehlo: Outcome::Timeout,
                    ehlo_code: Some(250),
                    ehlo_extensions: vec!["STARTTLS".into()],
                    ehlo_tls_extensions: vec!["SIZE".into()],
                    error: Some("e".into()),
                    host: "mx.example.com".into(),
                    ip: "192.0.2.25".into(),
                    name_matches: Some(true),
                    port: 25,
                    refused_by_guard: Some("g".into()),
                    starttls: Some(StarttlsFacts {
                        code: Some(454),
                        reason: Some("r".into()),
                        reply: Some("454 no".into()),
                        result: StarttlsResult::Rejected,
                        step: Some("handshake".into()),
                    }),
                    starttls_injection: true,
                    starttls_offered: true,
                    timings: SmtpTimings {
                        banner_ms: Some(1),
                        connect_ms: Some(2),
                        ehlo_ms: Some(3),
                        ehlo_tls_ms: Some(4),
                        starttls_ms: Some(5),
                        tls_handshake_ms: Some(6),
                        total_ms: Some(u32::MAX),
                    },
                    tls_version: Some("TLSv1.3".into()),
                    webpki_verdict: Some(ChainFacts {
                        reason: Some("UnknownIssuer".into()),
                        result: ChainResult::Untrusted,
                    }),
                },
                starttls: true,
                tls_version: Some("TLSv1.3".into()),
            }],
            rcpt: Some(RcptFacts {
                address: "a@example.com".into(),
                catch_all: Some(RcptReply::new(550, "550 5.1.1 no")),
                catch_all_address: Some("x@example.com".into()),
                catch_all_text: "refused".into(),
                failure: Some(RcptFailure {
                    message: "closed".into(),
                    reply: Some(RcptReply::new(421, "421 4.3.2 bye")),
                    step: RcptStep::CatchAll,
                    timeout: true,
                }),
                failure_explained: Some(explanation(421)),
                host: "mx.example.com".into(),
                ip: "192.0.2.25".into(),
                mail_from: Some(RcptReply::new(250, "250 2.1.0 Ok")),
                rcpt: Some(RcptReply::new(451, "451 4.7.1 later")),
                rcpt_explained: Some(explanation(451)),
                retry_hint: Some("Retry in 60 s".into()),
                sender: "probe@example.org".into(),
                tls: true,
                total_ms: Some(u32::MAX),
                verdict: RcptVerdict::Greylisted,
                verdict_text: "Greylisting".into(),
            }),
            mta_sts: Some(MtaStsFacts {
                max_age: Some(86400),
                mode: Some("enforce".into()),
                mx: vec!["mx.example.com".into()],
            }),
            dmarc_discovery: Some(DmarcDiscoveryFacts {
                result: LookupOutcome::Multiple,
                queried: vec!["_dmarc.a.example.com".into(), "_dmarc.example.com".into()],
                source: Some("example.com".into()),
                records: Some(u32::MAX),
                error: Some("e".into()),
            }),
            dkim: vec![
                DkimKeyFacts {
                    selector: "s1".into(),
                    name: "s1._domainkey.example.com".into(),
                    guessed: true,
                    result: LookupOutcome::Found,
                    record: Some("v=DKIM1; p=MII".into()),
                    records: Some(2),
                    key: Some("rsa".into()),
                    bits: Some(1024),
                    error: None,
                },
                DkimKeyFacts {
                    selector: "s2".into(),
                    name: "s2._domainkey.example.com".into(),
                    guessed: false,
                    result: LookupOutcome::DnsFailure,
                    error: Some("timed out".into()),
                    ..Default::default()
                },
            ],
            ptr: vec![PtrFacts {
                ip: "2001:db8::25".into(),
                role: PtrRole::Sender,
                host: Some("mx.example.com".into()),
                names: vec!["a.example.com".into(), "b.example.com".into()],
                confirmed: vec!["b.example.com".into()],
                error: Some("forward lookup of a.example.com failed".into()),
            }],
            dane: vec![DaneFacts {
                host: "mx.example.com".into(),
                result: LookupOutcome::Found,
                records: vec!["3 1 1 abcd".into()],
                usable: 1,
                dnssec_validated: Some(false),
                matched: Some(true),
                error: Some("e".into()),
            }],
        }),
        checklists: Checklists {
            bulk_sender: vec![ChecklistItem {
                id: "bulk.one-click".into(),
                status: ChecklistStatus::NeedsBackend,
                title: "One-click".into(),
                detail: "d".into(),
            }],
            can_spam: vec![ChecklistItem {
                id: "canspam.subject".into(),
                status: ChecklistStatus::Manual,
                title: "Subject".into(),
                detail: String::new(),
            }],
        },
        transport: Some(TransportSecurity {
            verdict: TransportVerdict::EncryptedOpportunistic,
            summary: "s".into(),
            mx: vec![MxTransport {
                host: "mx.example.com".into(),
                ip: "192.0.2.25".into(),
                starttls: true,
                tls_version: Some("TLSv1.3".into()),
                certificate_valid: Some(false),
            }],
            mta_sts_mode: Some("testing".into()),
            dane: true,
            hops_total: 4,
            hops_tls: 3,
            hops_clear: 1,
            message_summary: Some("m".into()),
        }),
        delivery: Some(DeliverySection {
            connection: ConnectionFacts {
                client_ip: "192.0.2.1".into(),
                client_port: 40000,
                helo: "out.example.com".into(),
                esmtp: true,
                starttls: true,
                tls_version: Some("TLSv1.3".into()),
                tls_cipher: Some("TLS13_AES_256_GCM_SHA384".into()),
                starttls_offered: true,
                mail_from: "bounce@example.com".into(),
                rcpt_to: "t-abc@test.example".into(),
                received_at: "2026-11-28T11:59:59Z".into(),
                received_by: "test.example".into(),
                size: u64::MAX,
                body_8bitmime: true,
                smtputf8: true,
                pipelined: true,
                proxied_by: Some("127.0.0.1".into()),
            },
            ptr: vec!["out.example.com".into()],
            fcrdns: Some(true),
            spf_mail_from: "pass".into(),
            spf_helo: Some("none".into()),
            dkim: "not_verified".into(),
            dmarc: "pass".into(),
            dmarc_policy: Some("reject".into()),
            audited_domain: Some("example.com".into()),
        }),
        reputation: Some(crate::report::ReputationSection {
            listings: vec![crate::report::Listing {
                name: "bit.ly".into(),
                roles: vec!["link".into()],
                zone: "dbl.spamhaus.org".into(),
                list: "Spamhaus DBL".into(),
                kind: "domain".into(),
                result: "listed".into(),
                codes: vec!["127.0.1.2".into()],
                meaning: "spam domain".into(),
                impact: "high".into(),
                delist_url: Some("https://check.spamhaus.org/".into()),
            }],
            skipped: vec!["x.example".into()],
        }),
    }
}

#[test]
fn every_field_decodes_as_the_derive_does() {
    let report = full_report();
    let value = serde_json::to_value(&report).unwrap();
    let (derived, ours) = both(&value);
    assert_eq!(derived.as_ref(), Ok(&report));
    assert_eq!(ours, Ok(report));
}

#[test]
fn every_enum_word_decodes() {
    let mut r = full_report();
    for kind in [
        ReportKind::Message,
        ReportKind::Domain,
        ReportKind::Combined,
        ReportKind::Delivery,
    ] {
        for (grade, status, item, verdict) in [
            (
                Grade::A,
                Status::Pass,
                ChecklistStatus::Pass,
                TransportVerdict::EncryptedAndProtected,
            ),
            (
                Grade::B,
                Status::Fail,
                ChecklistStatus::Fail,
                TransportVerdict::PartlyEncrypted,
            ),
            (
                Grade::D,
                Status::Error,
                ChecklistStatus::NeedsBody,
                TransportVerdict::NotEncrypted,
            ),
            (
                Grade::E,
                Status::Info,
                ChecklistStatus::NotApplicable,
                TransportVerdict::Unknown,
            ),
            (
                Grade::F,
                Status::NotTested,
                ChecklistStatus::Manual,
                TransportVerdict::EncryptedOpportunistic,
            ),
            (
                Grade::C,
                Status::NotApplicable,
                ChecklistStatus::NeedsBackend,
                TransportVerdict::Unknown,
            ),
        ] {
            r.kind = kind;
            r.grade = grade;
            r.checks[0].status = status;
            r.checklists.bulk_sender[0].status = item;
            r.transport.as_mut().unwrap().verdict = verdict;
            r.message.as_mut().unwrap().spam_verdicts[0].verdict = SpamDecision::Spam;
            let value = serde_json::to_value(&r).unwrap();
            assert_eq!(report(&value).as_ref(), Ok(&r));
        }
    }
    // The DMARC words (full_report has each fo option and alignment).
    for (policy, psd, severity) in [
        (Policy::None, PsdFlag::No, Severity::Error),
        (Policy::Quarantine, PsdFlag::Unknown, Severity::Warning),
        (Policy::Reject, PsdFlag::Yes, Severity::Info),
    ] {
        let dmarc = r.domain.as_mut().unwrap().dmarc.as_mut().unwrap();
        dmarc.policy = Some(policy);
        dmarc.tags.subdomain_policy = Some(policy);
        dmarc.tags.psd = Some(psd);
        dmarc.tag_table[0].findings[0].severity = severity;
        let value = serde_json::to_value(&r).unwrap();
        let (derived, ours) = both(&value);
        assert_eq!(derived.as_ref(), Ok(&r));
        assert_eq!(ours.as_ref(), Ok(&r));
    }
    // The mailbox probe's words: every verdict and every step.
    let steps = RcptStep::ALL;
    let verdicts = [
        RcptVerdict::Accepted,
        RcptVerdict::CatchAll,
        RcptVerdict::AcceptedUnverified,
        RcptVerdict::UnknownUser,
        RcptVerdict::MailboxFull,
        RcptVerdict::Greylisted,
        RcptVerdict::TemporaryFailure,
        RcptVerdict::PolicyRejected,
        RcptVerdict::Rejected,
        RcptVerdict::Inconclusive,
    ];
    // The SMTP probe's words.
    let outcomes = [
        Outcome::NotAttempted,
        Outcome::Ok,
        Outcome::Timeout,
        Outcome::Refused,
        Outcome::Rejected,
        Outcome::Failed,
    ];
    for (i, result) in StarttlsResult::ALL.into_iter().enumerate() {
        let probe = &mut r.domain.as_mut().unwrap().smtp[0].probe;
        probe.starttls.as_mut().unwrap().result = result;
        probe.connect = outcomes[i % outcomes.len()];
        probe.banner_outcome = outcomes[(i + 1) % outcomes.len()];
        probe.ehlo = outcomes[(i + 2) % outcomes.len()];
        probe.webpki_verdict.as_mut().unwrap().result = if i % 2 == 0 {
            ChainResult::Trusted
        } else {
            ChainResult::Untrusted
        };
        let value = serde_json::to_value(&r).unwrap();
        let (derived, ours) = both(&value);
        assert_eq!(derived.as_ref(), Ok(&r));
        assert_eq!(ours.as_ref(), Ok(&r));
    }
    // The SPF tree's words.
    let kinds = NodeKind::ALL;
    let qualifiers = [
        Qualifier::Pass,
        Qualifier::Fail,
        Qualifier::SoftFail,
        Qualifier::Neutral,
    ];
    let results = [
        SpfResult::Pass,
        SpfResult::Fail,
        SpfResult::SoftFail,
        SpfResult::Neutral,
        SpfResult::None,
        SpfResult::PermError,
        SpfResult::TempError,
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        let node = &mut r
            .domain
            .as_mut()
            .unwrap()
            .spf
            .as_mut()
            .unwrap()
            .tree
            .children[0];
        node.kind = kind;
        node.qualifier = Some(qualifiers[i % qualifiers.len()]);
        node.result = Some(results[i % results.len()]);
        let value = serde_json::to_value(&r).unwrap();
        let (derived, ours) = both(&value);
        assert_eq!(derived.as_ref(), Ok(&r));
        assert_eq!(ours.as_ref(), Ok(&r));
    }
    for (i, verdict) in verdicts.into_iter().enumerate() {
        let rcpt = r.domain.as_mut().unwrap().rcpt.as_mut().unwrap();
        rcpt.verdict = verdict;
        rcpt.failure.as_mut().unwrap().step = steps[i % steps.len()];
        let value = serde_json::to_value(&r).unwrap();
        let (derived, ours) = both(&value);
        assert_eq!(derived.as_ref(), Ok(&r));
        assert_eq!(ours.as_ref(), Ok(&r));
    }
}

#[test]
fn defaults_and_nulls_as_serde_gives_them() {
    // The smallest report the derive accepts: only required members.
    let value = serde_json::json!({
        "schema_version": 1, "kind": "domain", "generated_at": "t",
        "tool": {"name": "mxlens", "version": "0"}, "score": 0, "grade": "F",
        "checks": [{"id": "dns.ns", "status": "pass", "title": "t", "detail": "d",
                    "fix": null, "subject": null}],
        "message": {}, "domain": {"name": "example.com", "spf": null},
        "transport": {"verdict": "unknown", "summary": "s"},
        "an_unknown_member": [1, 2, 3]
    });
    let (derived, ours) = both(&value);
    let derived = derived.expect("the derive accepts it");
    assert_eq!(ours, Ok(derived.clone()));
    assert_eq!(derived.coverage, 100, "serde's default for coverage");
}

#[test]
fn what_the_derive_refuses_is_refused_with_the_member_named() {
    let good = serde_json::to_value(full_report()).unwrap();
    let cases: &[(&str, Value)] = &[
        ("/checks", Value::Null),
        ("/score", serde_json::json!(300)),
        ("/grade", serde_json::json!("Z")),
        ("/kind", serde_json::json!(1)),
        ("/checks/0/status", serde_json::json!("passed")),
        ("/message/hops/0/tls", serde_json::json!("yes")),
        ("/domain/mx/0/preference", serde_json::json!(-1)),
        ("/transport/mx/0/starttls", Value::Null),
        ("/message/alignment/dkim/0/strict", serde_json::json!(1)),
        ("/delivery/connection/client_port", serde_json::json!(70000)),
        ("/delivery/connection", Value::Null),
        ("/delivery/fcrdns", serde_json::json!("yes")),
        ("/domain/dmarc/policy", serde_json::json!("None")),
        ("/domain/dmarc/record", Value::Null),
        ("/domain/dmarc/tags/adkim", serde_json::json!("s")),
        (
            "/domain/dmarc/tags/failure_options/1",
            serde_json::json!("1"),
        ),
        ("/domain/dmarc/tags/psd", serde_json::json!("y")),
        (
            "/domain/dmarc/tags/rua/0/max_size/unit",
            serde_json::json!("mb"),
        ),
        ("/domain/dmarc/tags/unknown/0", serde_json::json!(["x"])),
        (
            "/domain/dmarc/tag_table/0/findings/0/severity",
            serde_json::json!("warn"),
        ),
        ("/domain/dmarc/tag_table/0/findings/0/span", Value::Null),
        ("/domain/dmarc/tag_table/1/tag", serde_json::json!(1)),
        ("/domain/rcpt/address", Value::Null),
        ("/domain/rcpt/verdict", serde_json::json!("Accepted")),
        ("/domain/rcpt/rcpt/code", serde_json::json!(70000)),
        ("/domain/rcpt/catch_all/raw", serde_json::json!(1)),
        ("/domain/rcpt/failure/step", serde_json::json!("data")),
        ("/domain/rcpt/failure/message", Value::Null),
        (
            "/domain/rcpt/rcpt_explained/class",
            serde_json::json!("fail"),
        ),
        ("/domain/rcpt/total_ms", serde_json::json!(-1)),
        ("/domain/rcpt/tls", serde_json::json!("yes")),
        ("/domain/smtp/0/host", Value::Null),
        ("/domain/smtp/0/port", serde_json::json!(70000)),
        ("/domain/smtp/0/starttls", Value::Null),
        ("/domain/smtp/0/probe", Value::Null),
        ("/domain/smtp/0/probe/connect", serde_json::json!("OK")),
        ("/domain/smtp/0/probe/ehlo", serde_json::json!(1)),
        ("/domain/smtp/0/probe/cert_chain/0/days_left", Value::Null),
        (
            "/domain/smtp/0/probe/starttls/result",
            serde_json::json!("ok"),
        ),
        (
            "/domain/smtp/0/probe/webpki_verdict/result",
            serde_json::json!("valid"),
        ),
        (
            "/domain/smtp/0/probe/timings/total_ms",
            serde_json::json!(-1),
        ),
        ("/domain/smtp/0/probe/ip", serde_json::json!([])),
        ("/domain/spf/lookup_count", Value::Null),
        ("/domain/spf/tree", Value::Null),
        ("/domain/spf/terms/0/rfc", serde_json::json!(7208)),
        ("/domain/spf/tree/kind", serde_json::json!("Record")),
        (
            "/domain/spf/tree/children/0/qualifier",
            serde_json::json!("~"),
        ),
        (
            "/domain/spf/tree/children/0/result",
            serde_json::json!("soft_fail"),
        ),
        (
            "/domain/spf/tree/children/0/dns_cost",
            serde_json::json!(1.5),
        ),
        ("/domain/spf/tree/children/0/term", Value::Null),
    ];
    for (pointer, bad) in cases {
        let mut value = good.clone();
        *value.pointer_mut(pointer).unwrap() = bad.clone();
        let (derived, ours) = both(&value);
        assert!(derived.is_err(), "the derive accepts {pointer} = {bad}");
        let err = ours.expect_err(pointer);
        let member = pointer.rsplit('/').next().unwrap();
        assert!(err.contains(member), "{pointer}: {err}");
    }
    assert!(report(&serde_json::json!([1])).is_err());
    assert!(parse("{\"a\":").is_err());
}
