//! Tests of `parse.rs` (a file of their own, so that the parser stays
//! under the 600-line guard rail of #18): examples, then properties.

use super::*;

mod examples {
    use super::*;

    #[test]
    fn valid_records_round_trip() {
        let cases = [
            ("v=spf1", "v=spf1"),
            ("V=SPF1 -ALL", "v=spf1 -all"),
            ("v=spf1  a  -all ", "v=spf1 a -all"),
            (
                "v=spf1 +a:mail.example.com/24//64 ~mx ?ptr",
                "v=spf1 a:mail.example.com/24//64 ~mx ?ptr",
            ),
            (
                "v=spf1 ip6:2001:DB8::/32 ip4:192.0.2.1",
                "v=spf1 ip6:2001:db8::/32 ip4:192.0.2.1",
            ),
            (
                "v=spf1 exists:%{ir}.%{l1r-}.lp._spf.%{d2} -all",
                "v=spf1 exists:%{ir}.%{l1r-}.lp._spf.%{d2} -all",
            ),
            (
                "v=spf1 redirect=_spf.example.com exp=explain.%{d}",
                "v=spf1 redirect=_spf.example.com exp=explain.%{d}",
            ),
            (
                "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
                "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
            ),
            (
                "v=spf1 a:foo:bar/baz.example.com",
                "v=spf1 a:foo:bar/baz.example.com",
            ),
            ("v=spf1 a//0 mx/0", "v=spf1 a//0 mx/0"),
            (
                "v=spf1 a:foo.example.xn--zckzah",
                "v=spf1 a:foo.example.xn--zckzah",
            ),
        ];
        for (input, canonical) in cases {
            let parsed = parse_record(input);
            assert!(
                parsed.diagnostics.is_empty(),
                "{input}: {:?}",
                parsed.diagnostics
            );
            assert_eq!(parsed.record.to_string(), canonical, "{input}");
            assert_eq!(parse_record(canonical).record, parsed.record, "{input}");
        }
    }

    #[test]
    fn invalid_records_have_errors() {
        let cases = [
            (
                "v=spf1 ip4:1.2.3.4 -all moo",
                "spf.syntax.unknown-mechanism",
            ),
            (
                "v=spf1 moo.cow/far_out=man:dog/cat",
                "spf.syntax.unknown-mechanism",
            ),
            (
                "v=spf1 redirect:t2.example.com",
                "spf.syntax.unknown-mechanism",
            ),
            ("v=spf1 a:foo-bar -all", "spf.syntax.domain-end"),
            ("v=spf1 -all.", "spf.syntax.unknown-mechanism"),
            ("v=spf1 -all:foobar", "spf.syntax.all-argument"),
            ("v=spf1 -all/8", "spf.syntax.all-argument"),
            ("v=spf1 ptr/0 -all", "spf.syntax.ptr-cidr"),
            ("v=spf1 ptr:", "spf.syntax.empty-domain"),
            ("v=spf1 a//33 a/33", "spf.syntax.cidr"),
            ("v=spf1 a/24/64", "spf.syntax.cidr"),
            ("v=spf1 a:example.com:8080", "spf.syntax.domain-end"),
            ("v=spf1 a:111.222.33.44", "spf.syntax.domain-end"),
            ("v=spf1 a:museum.", "spf.syntax.domain-end"),
            ("v=spf1 a:example.-com", "spf.syntax.domain-end"),
            ("v=spf1 a:foo.example.com\0", "spf.syntax.invalid-character"),
            ("v=spf1 include +all", "spf.syntax.missing-domain"),
            ("v=spf1 include:ip5.example.com/24", "spf.syntax.domain-end"),
            ("v=spf1 ip4:1.2.3.4/032", "spf.syntax.cidr"),
            ("v=spf1 ip4:1.2.3", "spf.syntax.ip4"),
            ("v=spf1 ip4:1.2.3.4:8080", "spf.syntax.ip4"),
            ("v=spf1 ip4:1.2.3.4//32", "spf.syntax.cidr"),
            ("v=spf1 ip6::CAFE::BABE", "spf.syntax.ip6"),
            ("v=spf1 -all ip6", "spf.syntax.missing-network"),
            ("v=spf1 1up=foo", "spf.syntax.unknown-mechanism"),
            ("v=spf1 =all", "spf.syntax.unknown-mechanism"),
            ("v=spf1 exp= -all", "spf.syntax.empty-domain"),
            (
                "v=spf1 exp=a.example.com exp=b.example.com",
                "spf.syntax.duplicate-modifier",
            ),
            ("v=spf1 -all foo=%abc", "spf.syntax.macro-percent"),
            (
                "v=spf1 -all exp=%{r}.example.com",
                "spf.syntax.macro-letter",
            ),
            (
                "v=spf1 a:ctrl.example.com\rptr -all",
                "spf.syntax.invalid-character",
            ),
            (
                "v=spf1 \u{80}a:example.net -all",
                "spf.syntax.unknown-mechanism",
            ),
            ("spf1 -all", "spf.syntax.version"),
        ];
        for (input, code) in cases {
            let parsed = parse_record(input);
            assert!(
                parsed
                    .diagnostics
                    .iter()
                    .any(|d| d.code == code && d.is_error()),
                "{input:?}: expected {code}, got {:?}",
                parsed.diagnostics
            );
            for d in &parsed.diagnostics {
                assert!(
                    d.span.start <= d.span.end && d.span.end as usize <= input.len(),
                    "{input:?}: {d:?}"
                );
            }
        }
    }

    #[test]
    fn mox_kitchen_sink_with_dotted_targets() {
        // mox's line-41 vector with multi-label targets (RFC 7208 §7.1).
        let input = "V=spf1 all Include:example.org a ?a -a +a ~a a:x.org a:x.org/0 a:x.org/24//64 a:x.org//64 mx mx:x.org ptr ptr:x.org IP4:10.0.0.1 ip4:0.0.0.0/0 ip4:10.0.0.1/24 ip6:2001:db8::1 ip6:2001:db8::1/128 exists:x.org REDIRECT=x.org exp=X.org Other=x";
        let parsed = parse_record(input);
        assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
        assert_eq!(parsed.record.terms.len(), 24);
    }

    #[test]
    fn spf_record_selection() {
        assert!(is_spf_record("v=spf1"));
        assert!(is_spf_record("V=SpF1 -all"));
        assert!(!is_spf_record("v=spf10"));
        assert!(!is_spf_record("v=spf1-all"));
        assert!(!is_spf_record(" v=spf1"));
    }
}

mod props {
    //! Property tests: `Display` then `parse_record` gives the same model,
    //! and no input makes the parser panic.
    use std::net::{Ipv4Addr, Ipv6Addr};

    use proptest::prelude::*;

    use super::*;
    use crate::spf::model::{MacroEscape, MacroExpand, MacroLetter, MacroString};

    fn letter(explanation: bool) -> impl Strategy<Value = MacroLetter> {
        let mut letters = vec![
            MacroLetter::Sender,
            MacroLetter::LocalPart,
            MacroLetter::SenderDomain,
            MacroLetter::Domain,
            MacroLetter::Ip,
            MacroLetter::ValidatedName,
            MacroLetter::Helo,
            MacroLetter::IpVersion,
        ];
        if explanation {
            letters.extend([
                MacroLetter::ClientIp,
                MacroLetter::Receiver,
                MacroLetter::Timestamp,
            ]);
        }
        proptest::sample::select(letters)
    }

    fn expand() -> impl Strategy<Value = MacroItem> {
        (
            letter(false),
            any::<bool>(),
            proptest::option::of(1u32..200),
            any::<bool>(),
            "[.+,/_=-]{0,3}",
        )
            .prop_map(|(letter, url_escape, keep, reverse, delimiters)| {
                MacroItem::Expand(MacroExpand {
                    letter,
                    url_escape,
                    keep,
                    reverse,
                    delimiters,
                })
            })
    }

    fn escape() -> impl Strategy<Value = MacroItem> {
        proptest::sample::select(vec![
            MacroEscape::Percent,
            MacroEscape::Space,
            MacroEscape::UrlSpace,
        ])
        .prop_map(MacroItem::Escape)
    }

    /// Merges adjacent literals, as the parser does.
    fn normalise(items: Vec<MacroItem>) -> MacroString {
        let mut out: Vec<MacroItem> = Vec::new();
        for item in items {
            match (out.last_mut(), item) {
                (_, MacroItem::Literal(l)) if l.is_empty() => {}
                (Some(MacroItem::Literal(prev)), MacroItem::Literal(l)) => prev.push_str(&l),
                (_, item) => out.push(item),
            }
        }
        MacroString { items: out }
    }

    fn domain_spec() -> impl Strategy<Value = DomainSpec> {
        let piece = prop_oneof![
            3 => "[a-z0-9][a-z0-9.-]{0,12}".prop_map(MacroItem::Literal),
            2 => expand(),
            1 => escape(),
        ];
        let end = prop_oneof![
            "\\.[a-z][a-z0-9]{0,6}\\.?".prop_map(MacroItem::Literal),
            "\\.xn--[a-z0-9]{1,6}".prop_map(MacroItem::Literal),
            expand(),
        ];
        (proptest::collection::vec(piece, 0..5), end).prop_map(|(mut items, end)| {
            items.push(end);
            DomainSpec(normalise(items))
        })
    }

    fn macro_string() -> impl Strategy<Value = MacroString> {
        let piece = prop_oneof![
            3 => "[!-$&-~]{1,10}".prop_map(MacroItem::Literal),
            1 => expand(),
            1 => escape(),
        ];
        proptest::collection::vec(piece, 0..4).prop_map(normalise)
    }

    fn cidr() -> impl Strategy<Value = DualCidrLength> {
        (
            proptest::option::of(0u8..=32),
            proptest::option::of(0u8..=128),
        )
            .prop_map(|(ip4, ip6)| DualCidrLength { ip4, ip6 })
    }

    fn mechanism() -> impl Strategy<Value = Mechanism> {
        prop_oneof![
            Just(Mechanism::All),
            domain_spec().prop_map(Mechanism::Include),
            (proptest::option::of(domain_spec()), cidr())
                .prop_map(|(domain, cidr)| Mechanism::A { domain, cidr }),
            (proptest::option::of(domain_spec()), cidr())
                .prop_map(|(domain, cidr)| Mechanism::Mx { domain, cidr }),
            proptest::option::of(domain_spec()).prop_map(Mechanism::Ptr),
            (any::<[u8; 4]>(), proptest::option::of(0u8..=32)).prop_map(|(o, prefix)| {
                Mechanism::Ip4 {
                    network: Ipv4Addr::from(o),
                    prefix,
                }
            }),
            (any::<[u8; 16]>(), proptest::option::of(0u8..=128)).prop_map(|(o, prefix)| {
                Mechanism::Ip6 {
                    network: Ipv6Addr::from(o),
                    prefix,
                }
            }),
            domain_spec().prop_map(Mechanism::Exists),
        ]
    }

    fn term() -> impl Strategy<Value = Term> {
        let qualifier = proptest::sample::select(vec![
            Qualifier::Pass,
            Qualifier::Fail,
            Qualifier::SoftFail,
            Qualifier::Neutral,
        ]);
        prop_oneof![
            6 => (qualifier, mechanism())
                .prop_map(|(qualifier, mechanism)| Term::Directive(Directive { qualifier, mechanism })),
            1 => domain_spec().prop_map(|d| Term::Modifier(Modifier::Redirect(d))),
            1 => domain_spec().prop_map(|d| Term::Modifier(Modifier::Explanation(d))),
            1 => ("[a-zA-Z][a-zA-Z0-9._-]{0,8}", macro_string())
                .prop_filter("known modifier names", |(n, _)| {
                    !n.eq_ignore_ascii_case("redirect") && !n.eq_ignore_ascii_case("exp")
                })
                .prop_map(|(name, value)| Term::Modifier(Modifier::Unknown { name, value })),
        ]
    }

    fn record() -> impl Strategy<Value = SpfRecord> {
        proptest::collection::vec(term(), 0..12).prop_map(|terms| {
            let (mut redirect, mut exp) = (false, false);
            let terms = terms
                .into_iter()
                .filter(|t| match t {
                    Term::Modifier(Modifier::Redirect(_)) => {
                        !std::mem::replace(&mut redirect, true)
                    }
                    Term::Modifier(Modifier::Explanation(_)) => !std::mem::replace(&mut exp, true),
                    _ => true,
                })
                .collect();
            SpfRecord { terms }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn display_then_parse_round_trips(record in record()) {
            let text = record.to_string();
            let parsed = parse_record(&text);
            prop_assert!(parsed.diagnostics.is_empty(), "{}: {:?}", text, parsed.diagnostics);
            prop_assert_eq!(&parsed.record, &record, "{}", text);
            prop_assert_eq!(parsed.term_spans.len(), record.terms.len());
        }

        #[test]
        fn any_text_parses_without_panicking(text in "(v=spf1 )?[ -~\\u{80}-\\u{10ffff}\\t\\r\\n]{0,80}") {
            let parsed = parse_record(&text);
            for d in &parsed.diagnostics {
                prop_assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
                prop_assert!(text.is_char_boundary(d.span.start as usize));
            }
            // The canonical form of whatever was understood parses cleanly.
            let canonical = parsed.record.to_string();
            let again = parse_record(&canonical);
            prop_assert!(!again.has_errors(), "{}", canonical);
            prop_assert_eq!(&again.record, &parsed.record, "{}", canonical);
        }

        #[test]
        fn spf_alphabet_parses_without_panicking(text in "v=spf1( [+?~-]?(a|mx|ptr|ip4|ip6|include|exists|all|redirect|exp|x)[a-z0-9:/.%{}=_-]{0,16}){0,6}") {
            let parsed = crate::spf::lint::lint_record(&text);
            let canonical = parsed.record.to_string();
            let again = parse_record(&canonical);
            prop_assert!(!again.has_errors(), "{}", canonical);
            prop_assert_eq!(&again.record, &parsed.record, "{}", canonical);
        }
    }
}
