use super::*;
use mail_parser::MessageParser;

fn meaning<'a>(v: &'a SpamVerdict, name: &str) -> &'a str {
    v.fields
        .iter()
        .find(|f| f.name == name)
        .map_or("", |f| f.meaning.as_str())
}

/// Input, decision, score, threshold, rules expected among the fields.
type SpamAssassinCase<'a> = (
    &'a str,
    SpamDecision,
    Option<f64>,
    Option<f64>,
    &'a [&'a str],
);

#[test]
fn spamassassin_table() {
    let cases: &[SpamAssassinCase] = &[
        (
            "Yes, score=7.2 required=5.0 tests=BAYES_99,HTML_MESSAGE,\r\n\tRDNS_NONE autolearn=no version=3.4.6",
            SpamDecision::Spam,
            Some(7.2),
            Some(5.0),
            &["BAYES_99", "HTML_MESSAGE", "RDNS_NONE"],
        ),
        (
            "No, score=-0.1 required=5.0 tests=DKIM_SIGNED=0.1,DKIM_VALID=-0.1,SPF_PASS=-0.001\r\n autolearn=ham",
            SpamDecision::NotSpam,
            Some(-0.1),
            Some(5.0),
            &["DKIM_SIGNED", "DKIM_VALID", "SPF_PASS"],
        ),
        (
            "No, hits=1.0 required=5.0 tests=none",
            SpamDecision::NotSpam,
            Some(1.0),
            Some(5.0),
            &[],
        ),
        ("garbage", SpamDecision::Unknown, None, None, &[]),
        ("", SpamDecision::Unknown, None, None, &[]),
    ];
    for (input, decision, score, required, rules) in cases {
        let v = decode_spamassassin(Some(input), None, None, None).unwrap();
        assert_eq!(v.verdict, *decision, "input: {input:?}");
        assert_eq!(v.score, *score, "input: {input:?}");
        assert_eq!(v.required, *required, "input: {input:?}");
        for rule in *rules {
            assert!(
                v.fields.iter().any(|f| f.name == *rule),
                "input: {input:?} lacks {rule}: {:?}",
                v.fields
            );
        }
    }
    let v = decode_spamassassin(None, Some("YES"), Some("12.5"), Some("************")).unwrap();
    assert_eq!((v.verdict, v.score), (SpamDecision::Spam, Some(12.5)));
    assert!(decode_spamassassin(None, None, None, None).is_none());
}

#[test]
fn rspamd_table() {
    let cases: &[(&str, Option<&str>, SpamDecision, Option<f64>)] = &[
        (
            "default: False [-0.10 / 15.00]; ARC_NA(0.00)[]; R_SPF_ALLOW(-0.20)[+ip4:192.0.2.0/24]; R_DKIM_ALLOW(-0.20)[example.com:s=s1]",
            Some("no action"),
            SpamDecision::NotSpam,
            Some(-0.1),
        ),
        (
            "default: True [16.40 / 15.00]; BAYES_SPAM(5.10)[99.99%]; RBL_SPAMHAUS_ZEN(7.00)[203.0.113.9:from]",
            Some("reject"),
            SpamDecision::Spam,
            Some(16.4),
        ),
        ("", Some("add header"), SpamDecision::Spam, None),
        ("default [", None, SpamDecision::Unknown, None),
    ];
    for (result, action, decision, score) in cases {
        let v = decode_rspamd(Some(result), None, *action).unwrap();
        assert_eq!(v.verdict, *decision, "input: {result:?}");
        assert_eq!(v.score, *score, "input: {result:?}");
    }
    let v = decode_rspamd(Some(cases[0].0), None, None).unwrap();
    assert_eq!(meaning(&v, "R_SPF_ALLOW"), "SPF passed");
    assert_eq!(v.required, Some(15.0));
}

#[test]
fn microsoft_table() {
    let cases: &[(&str, &str, SpamDecision, Option<f64>)] = &[
        (
            "CIP:203.0.113.5;CTRY:US;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:NSPM;H:mail.example.com;PTR:mail.example.com;CAT:NONE;SFS:(13230040)(4636009);DIR:INB;",
            "BCL:0;ARA:13230040;",
            SpamDecision::NotSpam,
            Some(1.0),
        ),
        (
            "CIP:198.51.100.7;CTRY:;LANG:en;SCL:5;SRV:;IPV:NLI;SFV:SPM;H:bulk.example.net;PTR:;CAT:SPM;SFS:(13230040);DIR:INB;",
            "BCL:7;",
            SpamDecision::Spam,
            Some(5.0),
        ),
        (
            "CIP:198.51.100.8;SCL:6;SRV:BULK;IPV:NLI;SFV:SPM;CAT:BULK;DIR:INB;",
            "BCL:8;",
            SpamDecision::Spam,
            Some(6.0),
        ),
        ("CIP:192.0.2.1;SCL:-1;IPV:CAL;SFV:SKN;CAT:NONE;", "", SpamDecision::NotSpam, Some(-1.0)),
        (";;::;", "", SpamDecision::Unknown, None),
    ];
    for (ff, ms, decision, scl) in cases {
        let v = decode_microsoft(Some(ff), Some(ms), None).unwrap();
        assert_eq!(v.verdict, *decision, "input: {ff:?}");
        assert_eq!(v.score, *scl, "input: {ff:?}");
    }
    let v = decode_microsoft(Some(cases[2].0), Some(cases[2].1), None).unwrap();
    assert!(meaning(&v, "BCL").contains("high number of complaints"));
    assert!(meaning(&v, "SRV").contains("bulk"));
    let v = decode_microsoft(Some(cases[0].0), None, None).unwrap();
    assert!(meaning(&v, "IPV").contains("not on any IP reputation list"));
    assert_eq!(meaning(&v, "DIR"), "inbound message");
}

#[test]
fn mailbox_delivery_table() {
    let cases: &[(&str, SpamDecision)] = &[
        (
            "ucf:0;jmr:0;auth:0;dest:I;ENG:(910001)(944506478)",
            SpamDecision::NotSpam,
        ),
        (
            "ucf:0;jmr:0;auth:0;dest:J;OFR:SpamFilterAuthJ;ENG:(910001)",
            SpamDecision::Spam,
        ),
        (";;dest;:", SpamDecision::NotSpam),
    ];
    for (input, want) in cases {
        let mut v = decode_microsoft(Some("SCL:1;SFV:NSPM;CAT:NONE;"), None, None).unwrap();
        apply_mailbox_delivery(&mut v, input);
        assert_eq!(v.verdict, *want, "input: {input:?}");
    }
}

#[test]
fn decode_and_checks_from_a_message() {
    let raw = "X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=9.1 required=5.0 tests=BAYES_99,\r\n URIBL_BLACK autolearn=spam version=4.0.0\r\nX-Forefront-Antispam-Report: CIP:192.0.2.1;SCL:1;SFV:NSPM;CAT:NONE;DIR:INB;\r\nFrom: a@example.com\r\n\r\n";
    let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
    let verdicts = decode(&msg);
    assert_eq!(verdicts.len(), 2, "input: {raw:?}");
    let c = checks(&verdicts);
    assert_eq!(c[0].status, Status::Warn);
    assert_eq!(c[0].subject.as_deref(), Some("SpamAssassin"));
    assert_eq!(c[1].status, Status::Info);
    assert_eq!(checks(&[])[0].status, Status::NotApplicable);
    serde_json::to_string(&verdicts).unwrap();
}
