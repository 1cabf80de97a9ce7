//! Tests of `eval.rs`, in a file of their own (#18 guard rail: 600 lines
//! a module): CIDR matching, the lookup tree, Send futures, loops, domain
//! validity.

use super::*;

#[test]
fn cidr_matching() {
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert!(ip_in_network(ip("192.0.2.7"), ip("192.0.2.0"), 24));
    assert!(!ip_in_network(ip("192.0.3.7"), ip("192.0.2.0"), 24));
    assert!(ip_in_network(ip("1.2.3.4"), ip("9.9.9.9"), 0));
    assert!(!ip_in_network(ip("::1"), ip("9.9.9.9"), 0));
    assert!(ip_in_network(
        ip("cafe:babe:8000::"),
        ip("cafe:babe:8000::"),
        33
    ));
}

#[test]
fn the_lookup_tree_records_every_evaluated_term() {
    use crate::dns::{block_on_ready, ZoneData, ZoneRecord};
    let mut zone = ZoneData::new();
    zone.add(
        "example.com",
        ZoneRecord::Txt(
            "v=spf1 ip4:192.0.2.1 include:_spf.example.net a:nothing.example.com -all".into(),
        ),
    );
    zone.add(
        "_spf.example.net",
        ZoneRecord::Txt("v=spf1 ip4:198.51.100.0/24 ~all".into()),
    );
    let ip: IpAddr = "203.0.113.9".parse().unwrap();
    let outcome = block_on_ready(check_host(
        &zone,
        ip,
        "example.com",
        "user@example.com",
        "mail.example.com",
        &EvalOptions::default(),
    ));
    assert_eq!(outcome.result, SpfResult::Fail);
    assert_eq!(
        outcome.explanation.as_deref(),
        Some("example.com does not designate 203.0.113.9 as a permitted sender")
    );
    assert_eq!((outcome.lookup_count, outcome.void_lookup_count), (2, 1));
    let tree = &outcome.tree;
    assert_eq!(tree.kind, NodeKind::Record);
    assert_eq!(tree.children.len(), 4);
    let include = &tree.children[1];
    assert_eq!(include.kind, NodeKind::Include);
    assert_eq!(include.dns_cost, 1);
    assert_eq!(include.matched, Some(false));
    assert_eq!(include.result, Some(SpfResult::SoftFail));
    assert_eq!(
        include.children[0].record.as_deref(),
        Some("v=spf1 ip4:198.51.100.0/24 ~all")
    );
    assert_eq!(tree.children[2].void_lookups, 1);
    assert_eq!(tree.children[3].qualifier, Some(Qualifier::Fail));
    let json = outcome.to_cli_json();
    assert_eq!(json["result"], "fail");
    assert_eq!(json["lookup_count"], 2);
    assert_eq!(json["tree"]["children"][1]["kind"], "include");
    let trace = outcome.trace();
    assert_eq!(trace.len(), 8, "{trace:#?}");
    assert!(
        trace[3].starts_with("    _spf.example.net: v=spf1"),
        "{trace:#?}"
    );
}

#[test]
fn futures_are_send_for_multi_threaded_runtimes() {
    fn assert_send<T: Send>(_: T) {}
    let zone = crate::dns::ZoneData::new();
    let opts = EvalOptions::default();
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    assert_send(check_host(
        &zone,
        ip,
        "example.com",
        "a@example.com",
        "h",
        &opts,
    ));
    assert_send(check_mail_from(&zone, ip, "a@example.com", "h", &opts));
    assert_send(crate::spf::lint::lint_domain(&zone, "example.com"));
}

#[test]
fn include_loops_end_even_without_a_term_limit() {
    use crate::dns::{block_on_ready, ZoneData, ZoneRecord};
    let mut zone = ZoneData::new();
    zone.add(
        "a.example",
        ZoneRecord::Txt("v=spf1 include:b.example".into()),
    );
    zone.add(
        "b.example",
        ZoneRecord::Txt("v=spf1 include:a.example".into()),
    );
    let opts = EvalOptions {
        max_dns_terms: u32::MAX,
        ..EvalOptions::default()
    };
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    let outcome = block_on_ready(check_host(
        &zone,
        ip,
        "a.example",
        "x@a.example",
        "h",
        &opts,
    ));
    assert_eq!(outcome.result, SpfResult::PermError);
    assert_eq!(outcome.lookup_count, MAX_DEPTH);
    let strict = block_on_ready(check_host(
        &zone,
        ip,
        "a.example",
        "x@a.example",
        "h",
        &EvalOptions::default(),
    ));
    assert_eq!(
        (strict.result, strict.lookup_count),
        (SpfResult::PermError, 11)
    );
}

#[test]
fn domain_validity() {
    assert!(is_valid_domain("example.com"));
    assert!(is_valid_domain("example.com."));
    assert!(!is_valid_domain("A2345678"));
    assert!(!is_valid_domain("a...example.com"));
    assert!(!is_valid_domain("[1.2.3.5]"));
    assert!(!is_valid_domain(&format!("{}.example.com", "a".repeat(64))));
    assert_eq!(
        sender_and_domain("", "mail.example.com"),
        (
            "postmaster@mail.example.com".into(),
            "mail.example.com".into()
        )
    );
    assert_eq!(
        sender_and_domain("@example.net", "h"),
        ("postmaster@example.net".into(), "example.net".into())
    );
}
