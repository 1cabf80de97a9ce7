//! Lookups against an in-memory zone with the lists' real return codes.

use super::*;
use crate::dns::{block_on_ready, ZoneData, ZoneRecord};

fn zone() -> ZoneData {
    let mut z = ZoneData::new();
    let a = |s: &str| ZoneRecord::A(s.parse().unwrap());
    z.add("phish.example.dbl.spamhaus.org", a("127.0.1.4"));
    z.add("redirect.example.dbl.spamhaus.org", a("127.0.1.103"));
    z.add("bulk.example.multi.uribl.com", a("127.0.0.4"));
    z.add("shop.example.multi.uribl.com", a("127.0.0.1"));
    z.add("99.2.0.192.zen.spamhaus.org", a("127.0.0.4"));
    z.add("99.2.0.192.zen.spamhaus.org", a("127.0.0.10"));
    z.add("99.2.0.192.list.dnswl.org", a("127.0.15.3"));
    z
}

fn lists() -> ListSet {
    ListSet {
        domain: vec!["dbl.spamhaus.org".into(), "multi.uribl.com".into()],
        ip: vec!["zen.spamhaus.org".into()],
        allow: vec!["list.dnswl.org".into()],
    }
}

#[test]
fn names_are_normalised_merged_and_capped() {
    let mut names = Names::default();
    names.add("Shop.Example.", "from");
    names.add("shop.example", "dkim");
    names.add("not a domain", "link");
    for i in 0..100 {
        names.add(&format!("l{i}.example"), "link");
    }
    assert_eq!(names.names.len(), MAX_NAMES);
    assert_eq!(
        names.names[0],
        (
            "shop.example".to_string(),
            vec!["from".to_string(), "dkim".to_string()]
        )
    );
    assert_eq!(
        names.skipped.len(),
        MAX_NAMES,
        "the skipped list is capped too"
    );
    assert_eq!(names.skipped[0], "not a domain");
}

#[test]
fn listings_decoded_and_refusals_are_errors() {
    let mut names = Names::default();
    for n in [
        "phish.example",
        "redirect.example",
        "bulk.example",
        "shop.example",
        "clean.example",
    ] {
        names.add(n, "link");
    }
    let section = block_on_ready(look_up(
        &zone(),
        &names,
        Some("192.0.2.99".parse().unwrap()),
        &lists(),
    ));
    let find = |name: &str, zone: &str| {
        section
            .listings
            .iter()
            .find(|l| l.name == name && l.zone == zone)
            .unwrap_or_else(|| panic!("{name} on {zone}"))
    };
    let phish = find("phish.example", "dbl.spamhaus.org");
    assert_eq!(
        (phish.result.as_str(), phish.meaning.as_str()),
        ("listed", "phishing domain")
    );
    assert_eq!(
        phish.delist_url.as_deref(),
        Some("https://check.spamhaus.org/")
    );
    assert_eq!(
        find("redirect.example", "dbl.spamhaus.org").result,
        "listed"
    );
    let grey = find("bulk.example", "multi.uribl.com");
    assert_eq!(
        (grey.result.as_str(), grey.impact.as_str()),
        ("listed", "low")
    );
    assert_eq!(find("shop.example", "multi.uribl.com").result, "error");
    assert_eq!(
        find("clean.example", "dbl.spamhaus.org").result,
        "not_listed"
    );
    let ip = find("192.0.2.99", "zen.spamhaus.org");
    assert_eq!(
        ip.meaning,
        "XBL: exploited or infected host, PBL: end-user range that should not send mail directly"
    );
    assert_eq!(find("192.0.2.99", "list.dnswl.org").result, "allowlisted");

    let checks = reputation_checks(&section);
    let status_of = |id: &str, subject: &str| {
        checks
            .iter()
            .find(|c| c.id == id && c.subject.as_deref() == Some(subject))
            .map(|c| c.status)
    };
    assert_eq!(
        status_of("dnsbl.domain-listed", "phish.example on dbl.spamhaus.org"),
        Some(Status::Fail)
    );
    assert_eq!(
        status_of("dnsbl.domain-listed", "bulk.example on multi.uribl.com"),
        Some(Status::Warn)
    );
    assert_eq!(
        status_of("dnsbl.domain-listed", "shop.example on multi.uribl.com"),
        Some(Status::Error)
    );
    assert_eq!(
        status_of("dnsbl.listed", "192.0.2.99 on zen.spamhaus.org"),
        Some(Status::Fail)
    );
    assert_eq!(
        status_of("dnsbl.allowlisted", "192.0.2.99 on list.dnswl.org"),
        Some(Status::Info)
    );

    let mut checklists = Checklists {
        bulk_sender: vec![crate::report::ChecklistItem {
            id: "bulk.link-reputation".into(),
            status: crate::report::ChecklistStatus::NeedsBackend,
            title: String::new().into(),
            detail: String::new(),
        }],
        can_spam: Vec::new(),
    };
    resolve_checklist(&mut checklists, &section);
    assert_eq!(
        checklists.bulk_sender[0].status,
        crate::report::ChecklistStatus::Fail
    );
    assert!(checklists.bulk_sender[0]
        .detail
        .contains("phish.example on Spamhaus DBL"));
}

#[test]
fn clean_names_give_one_pass() {
    let mut names = Names::default();
    names.add("clean.example", "from");
    let section = block_on_ready(look_up(&zone(), &names, None, &lists()));
    let checks = reputation_checks(&section);
    assert_eq!(checks.len(), 1);
    assert_eq!(
        (checks[0].id.as_ref(), checks[0].status),
        ("dnsbl.domain-listed", Status::Pass)
    );
}

/// A combined report carries the message's Reputation section.
#[test]
fn combined_report_keeps_the_reputation() {
    use crate::report::{combine::combine, Report, ReportKind};
    let mut names = Names::default();
    names.add("phish.example", "link");
    let section = block_on_ready(look_up(&zone(), &names, None, &lists()));
    let mut message = Report::new(ReportKind::Message, "2026-12-05T00:00:00Z", Vec::new());
    apply_reputation(&mut message, section.clone());
    assert!(message
        .checks
        .iter()
        .any(|c| c.id == "dnsbl.domain-listed" && c.status == Status::Fail));
    let domain = Report::new(ReportKind::Domain, "2026-12-05T00:00:00Z", Vec::new());
    let combined = combine(message, domain, "2026-12-05T00:00:00Z".into());
    assert_eq!(combined.reputation, Some(section));
}

/// The sending IP's `dnsbl.listed` checks count once in a combined report
/// when the domain audit checked the same IP on the same list.
#[test]
fn combined_report_counts_an_ip_listing_once() {
    use crate::report::{combine::combine, Check, Report, ReportKind};
    let section = block_on_ready(look_up(
        &zone(),
        &Names::default(),
        Some("192.0.2.99".parse().unwrap()),
        &lists(),
    ));
    let mut message = Report::new(ReportKind::Message, "2026-12-05T00:00:00Z", Vec::new());
    apply_reputation(&mut message, section);
    let audit_check = Check::new("dnsbl.listed", Status::Fail, "192.0.2.99 is listed")
        .with_subject("192.0.2.99 on zen.spamhaus.org");
    let domain = Report::new(
        ReportKind::Domain,
        "2026-12-05T00:00:00Z",
        vec![audit_check],
    );
    let combined = combine(message, domain, "2026-12-05T00:00:00Z".into());
    let ip_checks = combined
        .checks
        .iter()
        .filter(|c| {
            c.id == "dnsbl.listed" && c.subject.as_deref() == Some("192.0.2.99 on zen.spamhaus.org")
        })
        .count();
    assert_eq!(ip_checks, 1);
}
