//! Property tests: `Display` then parse gives back the same model with no
//! error-level diagnostic, for DMARC, DKIM key, MTA-STS TXT and policy,
//! TLS-RPT, BIMI and TLSA records; and every parser is total on arbitrary
//! input. (SPF's round trip lives beside its parser.)

use base64::Engine;
use mxlens_shared::bimi::{self, AvatarPreference, BimiRecord};
use mxlens_shared::diagnostic::has_errors;
use mxlens_shared::dkim::{self, DkimKeyRecord, KeyType};
use mxlens_shared::dmarc::{
    self, Alignment, DmarcRecord, FailureOption, Policy, PsdFlag, ReportSize, ReportUri,
};
use mxlens_shared::mta_sts::{self, StsMode, StsPolicy, StsRecord};
use mxlens_shared::tls_rpt::{self, TlsRptRecord};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

/// A 1024-bit RSA key in SubjectPublicKeyInfo form (dkimpy test.txt).
const RSA_KEY: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        Just(Policy::None),
        Just(Policy::Quarantine),
        Just(Policy::Reject)
    ]
}

fn alignment() -> impl Strategy<Value = Alignment> {
    prop_oneof![Just(Alignment::Relaxed), Just(Alignment::Strict)]
}

fn report_uri() -> impl Strategy<Value = ReportUri> {
    (
        "[a-z0-9.+-]{0,6}[a-z0-9]",
        "[a-z][a-z0-9-]{0,6}[a-z0-9]",
        option::of((
            0u64..1_000_000,
            option::of(prop_oneof![Just('k'), Just('m'), Just('g'), Just('t')]),
        )),
    )
        .prop_map(|(local, host, size)| ReportUri {
            uri: format!("mailto:{local}@{host}.example"),
            max_size: size.map(|(value, unit)| ReportSize { value, unit }),
        })
}

/// Unknown tags with distinct names that no protocol defines.
fn unknown_tags() -> impl Strategy<Value = Vec<(String, String)>> {
    vec(("[a-z0-9]{0,4}", "[a-z0-9]{1,8}"), 0..3).prop_map(|tags| {
        tags.into_iter()
            .enumerate()
            .map(|(i, (name, value))| (format!("x{i}{name}"), value))
            .collect()
    })
}

fn dmarc_record() -> impl Strategy<Value = DmarcRecord> {
    (
        (policy(), option::of(policy()), option::of(policy())),
        option::of(prop_oneof![
            Just(PsdFlag::Yes),
            Just(PsdFlag::No),
            Just(PsdFlag::Unknown)
        ]),
        option::of(any::<bool>()),
        (option::of(alignment()), option::of(alignment())),
        vec(
            prop_oneof![
                Just(FailureOption::All),
                Just(FailureOption::Any),
                Just(FailureOption::Dkim),
                Just(FailureOption::Spf)
            ],
            0..4,
        ),
        (vec(report_uri(), 0..3), vec(report_uri(), 0..3)),
        (
            vec("[a-z][a-z0-9]{0,6}", 0..3),
            option::of(any::<u32>()),
            option::of(0u8..=100),
        ),
        unknown_tags(),
    )
        .prop_map(
            |((p, sp, np), psd, testing, (adkim, aspf), fo, (rua, ruf), (rf, ri, pct), unknown)| {
                DmarcRecord {
                    version: Some("DMARC1".into()),
                    policy: Some(p),
                    subdomain_policy: sp,
                    nonexistent_policy: np,
                    psd,
                    testing,
                    adkim,
                    aspf,
                    failure_options: fo,
                    rua,
                    ruf,
                    report_formats: rf,
                    report_interval: ri,
                    percent: pct,
                    unknown,
                }
            },
        )
}

fn dkim_record() -> impl Strategy<Value = DkimKeyRecord> {
    (
        option::of(Just("DKIM1".to_string())),
        vec(
            prop_oneof![Just("sha256".to_string()), Just("sha1".to_string())],
            0..3,
        ),
        prop_oneof![
            Just(None),
            Just(Some(KeyType::Rsa)),
            Just(Some(KeyType::Ed25519))
        ],
        option::of("[a-z0-9.]{1,10}"),
        vec(
            prop_oneof![Just("email".to_string()), Just("*".to_string())],
            0..3,
        ),
        vec(
            prop_oneof![Just("y".to_string()), Just("s".to_string())],
            0..3,
        ),
        any::<[u8; 32]>(),
        any::<bool>(),
        unknown_tags(),
    )
        .prop_map(|(version, h, k, n, s, t, ed_key, revoked, unknown)| {
            let public_key = if revoked {
                String::new()
            } else if k == Some(KeyType::Ed25519) {
                base64::engine::general_purpose::STANDARD.encode(ed_key)
            } else {
                RSA_KEY.to_string()
            };
            DkimKeyRecord {
                version,
                hash_algorithms: h,
                key_type: k,
                notes: n,
                service_types: s,
                flags: t,
                public_key: Some(public_key),
                unknown,
            }
        })
}

/// Extension fields with distinct names avoiding `reserved`.
fn extensions(value: &'static str) -> impl Strategy<Value = Vec<(String, String)>> {
    vec(("[a-z0-9_.-]{0,6}", value), 0..3).prop_map(|tags| {
        tags.into_iter()
            .enumerate()
            .map(|(i, (name, value))| (format!("e{i}{name}"), value))
            .collect()
    })
}

fn mx_pattern() -> impl Strategy<Value = String> {
    (any::<bool>(), "[a-z][a-z0-9-]{0,6}[a-z0-9]").prop_map(|(wild, label)| {
        if wild {
            format!("*.{label}.example")
        } else {
            format!("{label}.example")
        }
    })
}

fn https_or_mailto() -> impl Strategy<Value = String> {
    ("[a-z][a-z0-9]{0,6}", any::<bool>()).prop_map(|(name, https)| {
        if https {
            format!("https://{name}.example/tlsrpt")
        } else {
            format!("mailto:{name}@{name}.example")
        }
    })
}

proptest! {
    #[test]
    fn dmarc_round_trips(record in dmarc_record()) {
        let text = record.to_string();
        let parsed = dmarc::parse_dmarc(&text);
        prop_assert!(!parsed.has_errors(), "{}: {:?}", text, parsed.diagnostics);
        prop_assert_eq!(parsed.record, record, "{}", text);
    }

    #[test]
    fn dkim_key_round_trips(record in dkim_record()) {
        let text = record.to_string();
        let parsed = dkim::parse_dkim_key(&text);
        prop_assert!(!parsed.has_errors(), "{}: {:?}", text, parsed.diagnostics);
        prop_assert_eq!(parsed.record, record, "{}", text);
    }

    #[test]
    fn mta_sts_record_round_trips(id in "[A-Za-z0-9]{1,32}", ext in extensions("[!-:<>-~]{1,10}")) {
        let record = StsRecord { version: Some("STSv1".into()), id: Some(id), extensions: ext };
        let text = record.to_string();
        let parsed = mta_sts::parse_sts_record(&text);
        prop_assert!(!parsed.has_errors(), "{}: {:?}", text, parsed.diagnostics);
        prop_assert_eq!(parsed.record, record, "{}", text);
    }

    #[test]
    fn mta_sts_policy_round_trips(
        mode in prop_oneof![Just(StsMode::Enforce), Just(StsMode::Testing), Just(StsMode::None)],
        mx in vec(mx_pattern(), 1..4),
        max_age in 0u32..=mta_sts::MAX_AGE_LIMIT,
        ext in extensions("[!-~]([!-~ ]{0,8}[!-~])?"),
        lf_only in any::<bool>(),
    ) {
        let policy = StsPolicy { version: Some("STSv1".into()), mode: Some(mode), mx, max_age: Some(max_age), extensions: ext };
        let mut text = policy.to_string();
        if lf_only {
            text = text.replace("\r\n", "\n");
        }
        let parsed = mta_sts::parse_sts_policy(&text);
        prop_assert!(!parsed.has_errors(), "{:?}: {:?}", text, parsed.diagnostics);
        prop_assert_eq!(parsed.policy, policy, "{:?}", text);
    }

    #[test]
    fn tls_rpt_round_trips(rua in vec(https_or_mailto(), 1..4), ext in extensions("[!-:<>-~]{1,10}")) {
        let record = TlsRptRecord { version: Some("TLSRPTv1".into()), rua, extensions: ext };
        let text = record.to_string();
        let parsed = tls_rpt::parse_tls_rpt(&text);
        prop_assert!(!parsed.has_errors(), "{}: {:?}", text, parsed.diagnostics);
        prop_assert_eq!(parsed.record, record, "{}", text);
    }

    #[test]
    fn bimi_round_trips(
        location in prop_oneof![Just(String::new()), "[a-z]{1,8}".prop_map(|n| format!("https://{n}.example/logo.svg"))],
        authority in option::of(prop_oneof![Just(String::new()), "[a-z]{1,8}".prop_map(|n| format!("https://{n}.example/vmc.pem"))]),
        avp in option::of(prop_oneof![Just(AvatarPreference::Brand), Just(AvatarPreference::Personal)]),
        unknown in unknown_tags(),
    ) {
        let record = BimiRecord { version: Some("BIMI1".into()), location: Some(location), authority, avatar_preference: avp, unknown };
        let text = record.to_string();
        let parsed = bimi::parse_bimi(&text);
        prop_assert!(!parsed.has_errors(), "{}: {:?}", text, parsed.diagnostics);
        prop_assert_eq!(parsed.record, record, "{}", text);
    }

    #[test]
    fn tlsa_round_trips(
        usage in 0u8..=3,
        selector in 0u8..=1,
        matching in 0u8..=2,
        seed in vec(any::<u8>(), 64),
    ) {
        use mxlens_shared::dns::TlsaRecord;
        use mxlens_shared::dane::tlsa::{self, TlsaText};
        // The association data has the length its matching type implies.
        let len = match matching { 1 => 32, 2 => 64, _ => 48 };
        let record = TlsaRecord { usage, selector, matching, data: seed[..len.min(seed.len())].to_vec() };
        let text = TlsaText(record.clone()).to_string();
        let parsed = tlsa::parse_tlsa(&text);
        prop_assert!(!has_errors(&parsed.diagnostics), "{}: {:?}", text, parsed.diagnostics);
        prop_assert_eq!(parsed.record, Some(record), "{}", text);
    }

    #[test]
    fn parsers_are_total(input in "\\PC{0,80}", bytes in vec(any::<u8>(), 0..120)) {
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        for text in [input.as_str(), lossy.as_str()] {
            for d in dmarc::parse_dmarc(text).diagnostics
                .into_iter()
                .chain(dkim::parse_dkim_key(text).diagnostics)
                .chain(mta_sts::parse_sts_record(text).diagnostics)
                .chain(mta_sts::parse_sts_policy(text).diagnostics)
                .chain(tls_rpt::parse_tls_rpt(text).diagnostics)
                .chain(bimi::parse_bimi(text).diagnostics)
                .chain(mxlens_shared::dane::tlsa::parse_tlsa(text).diagnostics)
            {
                prop_assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len(), "{:?} in {:?}", d, text);
            }
        }
        let _ = mxlens_shared::der::read_public_key(&bytes);
        let _ = mxlens_shared::der::certificate_spki(&bytes);
    }

    #[test]
    fn structured_junk_is_total(parts in vec(prop_oneof![
        Just("v=DMARC1".to_string()), Just("v=DKIM1".to_string()), Just("v=STSv1".to_string()), Just(";".to_string()),
        Just("=".to_string()), Just(" ".to_string()), Just("p=".to_string()), Just("rua=mailto:a@b".to_string()),
        Just("!".to_string()), Just(",".to_string()), Just(":".to_string()), Just("\n".to_string()), Just("\r\n".to_string()),
        Just("mx:".to_string()), Just("*.".to_string()), Just("%".to_string()), Just("é".to_string()),
    ], 0..20)) {
        let text = parts.concat();
        let _ = has_errors(&dmarc::parse_dmarc(&text).diagnostics);
        let _ = dkim::parse_dkim_key(&text);
        let _ = mta_sts::parse_sts_record(&text);
        let _ = mta_sts::parse_sts_policy(&text);
        let _ = tls_rpt::parse_tls_rpt(&text);
        let _ = bimi::parse_bimi(&text);
    }
}
