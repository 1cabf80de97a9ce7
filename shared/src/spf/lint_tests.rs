//! Tests of `lint.rs`, in a file of their own (#18 guard rail: 600 lines
//! a module): the record linter, the tree walk, the report checks and the
//! `domain.spf` section.

use std::net::IpAddr;

use super::*;
use crate::dns::{block_on_ready, QueryType, ZoneData, ZoneRecord};
use crate::report::{Check, SpfFacts, Status};

/// `domain.spf` as it was written before it was typed: a `json!` object
/// (members sorted by `serde_json`'s `Map` at every depth).
fn untyped_section(lint: &SpfLint) -> serde_json::Value {
    serde_json::json!({
        "record": lint.record,
        "lookup_count": lint.lookup_count,
        "void_lookup_count": lint.void_lookup_count,
        "tree": lint.tree,
        "terms": super::super::terms::spf_term_legend(lint.record.as_deref().unwrap_or_default()),
    })
}

/// The typed section writes the bytes the untyped one did: no record,
/// a flat record, includes, a redirect, void lookups, macros and every
/// qualifier; and it reads back as itself. The wire form of a small
/// tree is pinned.
#[test]
fn the_section_is_byte_identical_to_the_untyped_object() {
    let z = zone(&[
        ("none.test", "not spf"),
        ("flat.test", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"),
        (
            "tree.test",
            "v=spf1 +a mx ?ptr include:inc.test include:void.test exists:%{i}.x.test ~all exp=why.tree.test",
        ),
        ("inc.test", "v=spf1 include:inc2.test -all"),
        ("inc2.test", "v=spf1 a:mail.inc2.test -all"),
        ("redir.test", "v=spf1 redirect=flat.test"),
        ("two.test", "v=spf1 -all"),
        ("two.test", "v=spf1 ~all"),
    ]);
    for domain in [
        "none.test",
        "flat.test",
        "tree.test",
        "redir.test",
        "two.test",
        "absent.test",
    ] {
        let lint = block_on_ready(lint_domain(&z, domain));
        let typed = lint.report_section();
        let json = serde_json::to_string(&typed).unwrap();
        assert_eq!(json, untyped_section(&lint).to_string(), "{domain}");
        let back: SpfFacts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, typed, "{domain}");
    }
    let lint = block_on_ready(lint_domain(&z, "inc2.test"));
    let json = serde_json::to_string(&lint.report_section()).unwrap();
    assert!(
        json.starts_with(
            r#"{"lookup_count":1,"record":"v=spf1 a:mail.inc2.test -all","terms":[{"meaning":"#
        ),
        "{json}"
    );
    assert!(
        json.contains(r#""tree":{"children":[{"dns_cost":1,"domain":"mail.inc2.test","kind":"a","#),
        "{json}"
    );
    assert!(
        json.ends_with(r#""term":"inc2.test","void_lookups":0},"void_lookup_count":1}"#),
        "{json}"
    );
}

fn zone(entries: &[(&str, &str)]) -> ZoneData {
    let mut z = ZoneData::new();
    for (name, txt) in entries {
        z.add(name, ZoneRecord::Txt(txt.to_string()));
    }
    z
}

fn find<'a>(checks: &'a [Check], id: &str) -> &'a Check {
    checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn lint_record_findings() {
    let cases: &[(&str, &[&str])] = &[
        ("v=spf1 -all", &[]),
        ("v=spf1 +all", &["spf.lint.pass-all"]),
        ("v=spf1 ?all", &["spf.lint.neutral-all"]),
        ("v=spf1 a", &["spf.lint.no-all"]),
        ("v=spf1 ptr -all", &["spf.lint.ptr"]),
        ("v=spf1 -all a", &["spf.lint.after-all"]),
        (
            "v=spf1 -all redirect=x.example",
            &["spf.lint.redirect-with-all"],
        ),
        ("v=spf1 foo=bar -all", &["spf.lint.unknown-modifier"]),
    ];
    for (text, codes) in cases {
        let got: Vec<&str> = lint_record(text)
            .diagnostics
            .iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(&got, codes, "{text}");
    }
    let long = format!("v=spf1 {} -all", "ip4:192.0.2.1 ".repeat(40));
    assert!(lint_record(&long)
        .diagnostics
        .iter()
        .any(|d| d.code == "spf.lint.record-size"));
}

#[test]
fn walks_every_branch_and_counts_the_whole_tree() {
    // The first include would match any IP, yet the walk must continue.
    let z = zone(&[
        (
            "example.com",
            "v=spf1 include:a.example.net include:b.example.net mx a:void.example.org ~all",
        ),
        ("a.example.net", "v=spf1 +all"),
        (
            "b.example.net",
            "v=spf1 include:c.example.net exists:nothing.example.org -all",
        ),
        ("c.example.net", "v=spf1 a a a a a a a -all"),
    ]);
    let lint = block_on_ready(lint_domain(&z, "example.com"));
    // 2 includes + mx + a + (include + exists) + 7 a = 13
    assert_eq!(lint.lookup_count, 13, "{:#?}", lint.tree);
    // mx example.com: NODATA; a:void.example.org: NXDOMAIN; exists: NXDOMAIN;
    // c.example.net's `a`s: the name has a TXT only, so 7 more voids.
    assert_eq!(lint.void_lookup_count, 10);
    let checks = super::checks(&lint);
    let limit = find(&checks, "spf.lookup-limit");
    assert_eq!(limit.status, Status::Fail);
    assert_eq!(
        limit.detail,
        "requires 13/10 DNS lookups (RFC 7208 §4.6.4); receivers return permerror"
    );
    assert_eq!(find(&checks, "spf.void-lookups").status, Status::Fail);
    assert_eq!(find(&checks, "spf.all-qualifier").status, Status::Pass);
    assert_eq!(find(&checks, "spf.include-resolves").status, Status::Pass);
}

#[test]
fn include_loops_and_missing_includes() {
    let z = zone(&[
        (
            "example.com",
            "v=spf1 include:loop.example.net include:none.example.net -all",
        ),
        ("loop.example.net", "v=spf1 include:example.com -all"),
        ("none.example.net", "not spf"),
    ]);
    let lint = block_on_ready(lint_domain(&z, "example.com"));
    assert!(lint.issues.iter().any(|i| i.code == "spf.include.loop"));
    assert!(lint
        .issues
        .iter()
        .any(|i| i.code == "spf.include.no-record" && i.domain == "none.example.net"));
    let checks = super::checks(&lint);
    let inc = find(&checks, "spf.include-resolves");
    assert_eq!(inc.status, Status::Fail, "{}", inc.detail);
}

#[test]
fn multiple_records_get_a_merged_suggestion() {
    let z = zone(&[
        ("example.com", "v=spf1 ip4:192.0.2.1 -all"),
        (
            "example.com",
            "v=spf1 include:_spf.example.net ip4:192.0.2.1 ~all",
        ),
        ("_spf.example.net", "v=spf1 -all"),
    ]);
    let lint = block_on_ready(lint_domain(&z, "example.com"));
    let checks = super::checks(&lint);
    let single = find(&checks, "spf.single-record");
    assert_eq!(single.status, Status::Fail);
    assert_eq!(
        single.suggestion.as_deref(),
        Some("v=spf1 ip4:192.0.2.1 include:_spf.example.net -all")
    );
}

#[test]
fn suggestions_for_all_and_ptr() {
    let z = zone(&[("example.com", "v=spf1 -all ptr:example.com a")]);
    let checks = super::checks(&block_on_ready(lint_domain(&z, "example.com")));
    let syntax = find(&checks, "spf.syntax");
    assert_eq!(syntax.status, Status::Warn);
    assert_eq!(
        syntax.suggestion.as_deref(),
        Some("v=spf1 ptr:example.com a -all")
    );
    let ptr = find(&checks, "spf.ptr-mechanism");
    assert_eq!(ptr.status, Status::Warn);
    assert_eq!(
        ptr.suggestion.as_deref(),
        Some("v=spf1 -all a:example.com a")
    );
    let z = zone(&[("example.com", "v=spf1 mx +all")]);
    let checks = super::checks(&block_on_ready(lint_domain(&z, "example.com")));
    let all = find(&checks, "spf.all-qualifier");
    assert_eq!(all.status, Status::Fail);
    assert_eq!(all.suggestion.as_deref(), Some("v=spf1 mx ~all"));
}

#[test]
fn redirect_supplies_the_effective_all() {
    let z = zone(&[
        ("example.com", "v=spf1 mx redirect=_spf.example.com"),
        ("_spf.example.com", "v=spf1 ip4:192.0.2.0/24 -all"),
    ]);
    let lint = block_on_ready(lint_domain(&z, "example.com"));
    assert_eq!(lint.effective_all, Some(Qualifier::Fail));
    assert_eq!(lint.lookup_count, 2);
    assert!(!lint.diagnostics.iter().any(|d| d.code == "spf.lint.no-all"));
}

#[test]
fn dns_failures_are_errors_not_verdicts() {
    let mut z = ZoneData::new();
    z.add_timeout("example.com", Some(QueryType::Txt));
    let checks = super::checks(&block_on_ready(lint_domain(&z, "example.com")));
    assert_eq!(find(&checks, "spf.present").status, Status::Error);
    assert!(checks
        .iter()
        .all(|c| c.status == Status::Error || c.status == Status::NotTested));

    let mut z = zone(&[("example.com", "v=spf1 include:slow.example.net -all")]);
    z.add_timeout("slow.example.net", None);
    let checks = super::checks(&block_on_ready(lint_domain(&z, "example.com")));
    assert_eq!(find(&checks, "spf.include-resolves").status, Status::Error);
    assert_eq!(find(&checks, "spf.lookup-limit").status, Status::Error);
    assert_eq!(find(&checks, "spf.void-lookups").status, Status::Error);
}

#[test]
fn macro_targets_are_counted_but_not_followed() {
    let z = zone(&[("example.com", "v=spf1 exists:%{i}.bl.example.com -all")]);
    let lint = block_on_ready(lint_domain(&z, "example.com"));
    assert_eq!((lint.lookup_count, lint.has_macro_targets), (1, false));
    let z = zone(&[("example.com", "v=spf1 include:%{d2}.spf.example.net -all")]);
    let lint = block_on_ready(lint_domain(&z, "example.com"));
    assert_eq!((lint.lookup_count, lint.has_macro_targets), (1, true));
    let checks = super::checks(&lint);
    assert_eq!(
        find(&checks, "spf.lookup-limit").detail,
        "requires at least 1/10 DNS lookups (RFC 7208 §4.6.4)"
    );
}

#[test]
fn more_than_ten_mx_names_fail_the_lookup_limit() {
    let mut z = zone(&[("example.com", "v=spf1 mx -all")]);
    for i in 0..11u16 {
        z.add(
            "example.com",
            ZoneRecord::Mx(crate::dns::MxRecord {
                preference: i,
                exchange: format!("mx{i}.example.com"),
            }),
        );
    }
    let checks = super::checks(&block_on_ready(lint_domain(&z, "example.com")));
    let limit = find(&checks, "spf.lookup-limit");
    assert_eq!(limit.status, Status::Fail);
    assert!(limit.detail.contains("11 MX records"), "{}", limit.detail);
}

#[test]
fn no_record_and_type99() {
    let z = ZoneData::new();
    let opts = LintOptions { spf_rr_seen: true };
    let lint = block_on_ready(lint_domain_with(&z, "example.com", &opts));
    let checks = super::checks(&lint);
    assert_eq!(find(&checks, "spf.present").status, Status::Fail);
    assert!(find(&checks, "spf.present").detail.contains("type-99"));
    assert_eq!(checks.len(), 9);
}

#[test]
fn sender_ip_check_maps_results() {
    let z = zone(&[("example.com", "v=spf1 ip4:192.0.2.0/24 ~all")]);
    let opts = crate::spf::eval::EvalOptions::default();
    for (ip, status) in [("192.0.2.1", Status::Pass), ("198.51.100.1", Status::Warn)] {
        let ip: IpAddr = ip.parse().unwrap();
        let outcome = block_on_ready(crate::spf::eval::check_host(
            &z,
            ip,
            "example.com",
            "a@example.com",
            "h.example.com",
            &opts,
        ));
        let check = sender_ip_check(ip, &outcome);
        assert_eq!(check.status, status, "{}", check.detail);
        assert_eq!(check.subject.as_deref(), Some(ip.to_string().as_str()));
    }
}
