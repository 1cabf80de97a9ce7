//! Runs the hygiene, unsubscribe, spam, bounce and checklist code over the
//! message corpus in `tests/fixtures/messages/` (repo root).

use mail_parser::{Message, MessageParser};

use super::{bulk_sender, can_spam, ChecklistInputs};
use crate::message::hygiene::raw_values;
use crate::message::{hygiene, spam, unsubscribe};
use crate::report::{Check, ChecklistItem, ChecklistStatus, Status};
use crate::smtp::bounce;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/messages");

/// 2025-07-01T10:00:00Z, the corpus's reference time.
const NOW: i64 = 1_751_364_000;

/// Reads a sample, dropping leading blank lines as the core's input
/// normalisation does (mail-parser would take them as an empty header block).
fn load(name: &str) -> Vec<u8> {
    let raw = std::fs::read(format!("{DIR}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
    let start = raw
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(raw.len());
    let raw = &raw[start..];
    // Gmail's "Show original" summary precedes the real headers (the core
    // normaliser strips it; mimic that here).
    if raw.starts_with(b"Original Message") {
        if let Some(p) = raw.windows(14).position(|w| w == b"\nDelivered-To:") {
            return raw[p + 1..].to_vec();
        }
    }
    raw.to_vec()
}

/// The `h=` tag of every DKIM-Signature, lower-case names (test helper; the
/// core DKIM-Signature parser provides this in the real analysis).
fn signed_headers(msg: &Message<'_>) -> Vec<Vec<String>> {
    raw_values(msg, "DKIM-Signature")
        .iter()
        .filter_map(|v| {
            v.split(';').find_map(|tag| {
                let (k, val) = tag.split_once('=')?;
                (k.trim() == "h").then(|| {
                    val.split(':')
                        .map(|h| h.trim().to_ascii_lowercase())
                        .filter(|h| !h.is_empty())
                        .collect()
                })
            })
        })
        .collect()
}

fn check<'a>(checks: &'a [Check], id: &str) -> &'a Check {
    checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no {id} in {checks:#?}"))
}

fn item<'a>(items: &'a [ChecklistItem], id: &str) -> &'a ChecklistItem {
    items.iter().find(|c| c.id == id).unwrap()
}

#[test]
fn corpus_has_at_least_30_samples_and_nothing_panics() {
    let mut count = 0;
    for entry in std::fs::read_dir(DIR).expect("corpus folder") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("eml") {
            continue;
        }
        count += 1;
        let raw = std::fs::read(&path).unwrap();
        if let Some(msg) = MessageParser::default().parse(&raw) {
            let dkim = signed_headers(&msg);
            let hygiene = hygiene::analyse(&msg, NOW);
            let mut all = hygiene.checks;
            all.extend(unsubscribe::checks(&msg, &dkim));
            all.extend(spam::checks(&spam::decode(&msg)));
            all.extend(bounce_checks(&msg));
            let mut inputs = ChecklistInputs::from_message(&msg, &dkim);
            inputs.apply_hygiene(&hygiene.facts);
            inputs.apply_content_checks(&all);
            assert_eq!(bulk_sender(&inputs).len(), 11, "{path:?}");
            assert_eq!(can_spam(&inputs).len(), 7, "{path:?}");
        }
        let _ = bounce::read(&raw);
    }
    assert!(count >= 30, "only {count} corpus samples");
}

#[test]
fn hygiene_on_corpus() {
    // file, check id, expected status
    let cases: &[(&str, &str, Status)] = &[
        ("01-gmail-inbound-personal.eml", "msg.from", Status::Pass),
        ("01-gmail-inbound-personal.eml", "msg.date", Status::Pass),
        (
            "01-gmail-inbound-personal.eml",
            "msg.message-id",
            Status::Pass,
        ),
        (
            "01-gmail-inbound-personal.eml",
            "msg.single-headers",
            Status::Pass,
        ),
        (
            "01-gmail-inbound-personal.eml",
            "msg.fake-reply",
            Status::Pass,
        ),
        (
            "05-outlook-internet-headers-only.eml",
            "msg.fake-reply",
            Status::Pass,
        ),
        (
            "08-fastmail-inbound-reply.eml",
            "msg.fake-reply",
            Status::Pass,
        ),
        ("13-mailing-list-arc.eml", "msg.reply-to", Status::Info),
        ("13-mailing-list-arc.eml", "msg.fake-reply", Status::Pass),
        ("15-dmarc-fail-spoofed.eml", "msg.fake-reply", Status::Warn),
        (
            "16-display-name-spoof.eml",
            "msg.display-name-spoof",
            Status::Fail,
        ),
        ("16-display-name-spoof.eml", "msg.reply-to", Status::Info),
        ("27-rfc2047-german-newsletter.eml", "msg.from", Status::Pass),
        ("30-broken-hygiene.eml", "msg.from", Status::Fail),
        ("30-broken-hygiene.eml", "msg.date", Status::Fail),
        ("30-broken-hygiene.eml", "msg.message-id", Status::Fail),
        ("30-broken-hygiene.eml", "msg.single-headers", Status::Fail),
        ("32-apple-mail-raw-source.eml", "msg.date", Status::Pass),
        ("34-uk-retailer-latin1.eml", "msg.message-id", Status::Pass),
    ];
    for (file, id, want) in cases {
        let raw = load(file);
        let msg = MessageParser::default().parse(&raw).unwrap();
        let checks = hygiene::checks(&msg, NOW);
        let got = check(&checks, id);
        assert_eq!(got.status, *want, "{file} {id}: {}", got.detail);
    }
}

#[test]
fn unsubscribe_on_corpus() {
    // file, list-unsubscribe status, one-click status
    let cases: &[(&str, Status, Status)] = &[
        (
            "01-gmail-inbound-personal.eml",
            Status::NotApplicable,
            Status::NotApplicable,
        ),
        (
            "10-sendgrid-newsletter-complete.eml",
            Status::Pass,
            Status::Pass,
        ),
        ("11-mailchimp-campaign.eml", Status::Pass, Status::Pass),
        ("13-mailing-list-arc.eml", Status::Pass, Status::Warn),
        (
            "09-amazon-ses-transactional.eml",
            Status::NotApplicable,
            Status::NotApplicable,
        ),
        (
            "24-newsletter-no-postal-address.eml",
            Status::Pass,
            Status::Fail,
        ),
        (
            "25-newsletter-no-unsubscribe.eml",
            Status::Fail,
            Status::Fail,
        ),
        (
            "27-rfc2047-german-newsletter.eml",
            Status::Pass,
            Status::Pass,
        ),
        ("31-one-click-incomplete.eml", Status::Warn, Status::Fail),
    ];
    for (file, list, one_click) in cases {
        let raw = load(file);
        let msg = MessageParser::default().parse(&raw).unwrap();
        let checks = unsubscribe::checks(&msg, &signed_headers(&msg));
        let l = check(&checks, "msg.list-unsubscribe");
        let o = check(&checks, "msg.one-click-unsubscribe");
        assert_eq!(l.status, *list, "{file}: {}", l.detail);
        assert_eq!(o.status, *one_click, "{file}: {}", o.detail);
    }
}

#[test]
fn spam_verdicts_on_corpus() {
    // file, filters found with their decisions
    let cases: &[(&str, &[(&str, spam::SpamDecision)])] = &[
        ("01-gmail-inbound-personal.eml", &[]),
        (
            "03-outlook-eop-inbound.eml",
            &[("Microsoft EOP", spam::SpamDecision::NotSpam)],
        ),
        (
            "04-outlook-junk-bulk.eml",
            &[("Microsoft EOP", spam::SpamDecision::Spam)],
        ),
        (
            "28-spamassassin-flagged.eml",
            &[("SpamAssassin", spam::SpamDecision::Spam)],
        ),
        (
            "29-rspamd-selfhosted.eml",
            &[("rspamd", spam::SpamDecision::NotSpam)],
        ),
    ];
    for (file, want) in cases {
        let raw = load(file);
        let msg = MessageParser::default().parse(&raw).unwrap();
        let got: Vec<(String, spam::SpamDecision)> = spam::decode(&msg)
            .into_iter()
            .map(|v| (v.filter, v.verdict))
            .collect();
        let want: Vec<(String, spam::SpamDecision)> =
            want.iter().map(|(f, d)| (f.to_string(), *d)).collect();
        assert_eq!(got, want, "{file}");
    }
    let raw = load("04-outlook-junk-bulk.eml");
    let msg = MessageParser::default().parse(&raw).unwrap();
    let c = spam::checks(&spam::decode(&msg));
    assert_eq!(c[0].status, Status::Warn);
    assert!(c[0].detail.contains("BCL=8"), "{}", c[0].detail);
}

/// The bounce checks for a parsed message (none when it is not a bounce).
fn bounce_checks(msg: &mail_parser::Message<'_>) -> Vec<Check> {
    bounce::read_message(msg)
        .map(|b| bounce::checks(&b))
        .unwrap_or_default()
}

/// Only the `smtp.reply-code` checks.
fn reply_checks(all: Vec<Check>) -> Vec<Check> {
    all.into_iter()
        .filter(|c| c.id == "smtp.reply-code")
        .collect()
}

/// File, then per reply check: status, subject, leading codes of the detail.
type BounceCase<'a> = (&'a str, &'a [(Status, Option<&'a str>, &'a str)]);

#[test]
fn bounces_on_corpus() {
    // file, expected (status, subject, code fragment) per reply check
    let cases: &[BounceCase] = &[
        (
            "17-bounce-dsn-550-5.1.1.eml",
            &[(Status::Fail, Some("bob@example.net"), "550 5.1.1")],
        ),
        (
            "18-bounce-dsn-451-4.7.1-delayed.eml",
            &[(Status::Warn, Some("dana@greylist.example.org"), "451 4.7.1")],
        ),
        (
            "19-bounce-gmail-5.7.26.eml",
            &[(Status::Fail, Some("lee.customer@gmail.com"), "550 5.7.26")],
        ),
        (
            "20-bounce-microsoft-5.7.515.eml",
            &[(Status::Fail, Some("reader@outlook.com"), "550 5.7.515")],
        ),
        ("01-gmail-inbound-personal.eml", &[]),
        ("10-sendgrid-newsletter-complete.eml", &[]),
    ];
    for (file, want) in cases {
        let raw = load(file);
        let msg = MessageParser::default().parse(&raw).unwrap();
        let got = reply_checks(bounce_checks(&msg));
        assert_eq!(got.len(), want.len(), "{file}: {got:#?}");
        for (c, (status, subject, code)) in got.iter().zip(want.iter()) {
            assert_eq!(c.status, *status, "{file}: {}", c.detail);
            assert_eq!(c.subject.as_deref(), *subject, "{file}");
            assert!(c.detail.starts_with(code), "{file}: {}", c.detail);
        }
    }
    // Bare SMTP lines: no header block at all.
    let bare: &[(&str, Status, &str)] = &[
        ("21-bare-smtp-550-5.1.1.eml", Status::Fail, "550 5.1.1"),
        ("22-bare-smtp-421-multiline.eml", Status::Warn, "421 4.7.0"),
        ("23-bare-smtp-451-greylisted.eml", Status::Warn, "451 4.7.1"),
    ];
    for (file, status, code) in bare {
        let text = String::from_utf8_lossy(&load(file)).into_owned();
        let got = reply_checks(
            bounce::read_text(&text)
                .map(|b| bounce::checks(&b))
                .unwrap_or_default(),
        );
        assert_eq!(got.len(), 1, "{file}: {got:#?}");
        assert_eq!(got[0].status, *status, "{file}");
        assert!(got[0].detail.starts_with(code), "{file}: {}", got[0].detail);
    }
}

#[test]
fn checklists_on_corpus() {
    // file, item id, expected status
    let cases: &[(&str, &str, ChecklistStatus)] = &[
        (
            "10-sendgrid-newsletter-complete.eml",
            "canspam.postal-address",
            ChecklistStatus::Pass,
        ),
        (
            "10-sendgrid-newsletter-complete.eml",
            "canspam.opt-out",
            ChecklistStatus::Pass,
        ),
        (
            "10-sendgrid-newsletter-complete.eml",
            "bulk.one-click",
            ChecklistStatus::Pass,
        ),
        (
            "11-mailchimp-campaign.eml",
            "canspam.postal-address",
            ChecklistStatus::Pass,
        ),
        (
            "06-yahoo-inbound-sendgrid.eml",
            "canspam.postal-address",
            ChecklistStatus::Pass,
        ),
        (
            "02-gmail-show-original-ses.eml",
            "canspam.postal-address",
            ChecklistStatus::Pass,
        ),
        (
            "24-newsletter-no-postal-address.eml",
            "canspam.postal-address",
            ChecklistStatus::Fail,
        ),
        (
            "24-newsletter-no-postal-address.eml",
            "canspam.opt-out",
            ChecklistStatus::Pass,
        ),
        (
            "25-newsletter-no-unsubscribe.eml",
            "canspam.opt-out",
            ChecklistStatus::Fail,
        ),
        (
            "25-newsletter-no-unsubscribe.eml",
            "canspam.postal-address",
            ChecklistStatus::Pass,
        ),
        (
            "25-newsletter-no-unsubscribe.eml",
            "canspam.subject",
            ChecklistStatus::Manual,
        ),
        (
            "26-header-only-lf-leading-blank.eml",
            "canspam.postal-address",
            ChecklistStatus::NeedsBody,
        ),
        (
            "26-header-only-lf-leading-blank.eml",
            "canspam.opt-out",
            ChecklistStatus::NeedsBody,
        ),
        (
            "27-rfc2047-german-newsletter.eml",
            "canspam.postal-address",
            ChecklistStatus::Pass,
        ),
        (
            "27-rfc2047-german-newsletter.eml",
            "canspam.opt-out",
            ChecklistStatus::Pass,
        ),
        (
            "31-one-click-incomplete.eml",
            "canspam.postal-address",
            ChecklistStatus::Pass,
        ),
        (
            "31-one-click-incomplete.eml",
            "bulk.one-click",
            ChecklistStatus::Fail,
        ),
        (
            "34-uk-retailer-latin1.eml",
            "canspam.postal-address",
            ChecklistStatus::Pass,
        ),
        (
            "15-dmarc-fail-spoofed.eml",
            "canspam.subject",
            ChecklistStatus::Fail,
        ),
        (
            "16-display-name-spoof.eml",
            "canspam.header-accuracy",
            ChecklistStatus::Fail,
        ),
        (
            "01-gmail-inbound-personal.eml",
            "bulk.one-click",
            ChecklistStatus::NotApplicable,
        ),
        (
            "01-gmail-inbound-personal.eml",
            "canspam.header-accuracy",
            ChecklistStatus::Pass,
        ),
    ];
    for (file, id, want) in cases {
        let raw = load(file);
        let msg = MessageParser::default().parse(&raw).unwrap();
        let dkim = signed_headers(&msg);
        let mut inputs = ChecklistInputs::from_message(&msg, &dkim);
        inputs.apply_hygiene(&hygiene::analyse(&msg, NOW).facts);
        let items: Vec<ChecklistItem> = bulk_sender(&inputs)
            .into_iter()
            .chain(can_spam(&inputs))
            .collect();
        let got = item(&items, id);
        assert_eq!(got.status, *want, "{file} {id}: {}", got.detail);
    }
    // The address found is the whole one, not a fragment.
    let addresses: &[(&str, &str)] = &[
        ("11-mailchimp-campaign.eml", "350 Fifth Avenue"),
        ("11-mailchimp-campaign.eml", "NY 10118"),
        (
            "27-rfc2047-german-newsletter.eml",
            "Musterstraße 12, 10115 Berlin",
        ),
        ("31-one-click-incomplete.eml", "ON M5J 2N8"),
        ("34-uk-retailer-latin1.eml", "London SW1A 2AA"),
    ];
    for (file, needle) in addresses {
        let raw = load(file);
        let msg = MessageParser::default().parse(&raw).unwrap();
        let inputs = ChecklistInputs::from_message(&msg, &[]);
        let items = can_spam(&inputs);
        let got = item(&items, "canspam.postal-address");
        assert!(got.detail.contains(needle), "{file}: {}", got.detail);
    }
}

/// Prints every check and checklist item for each sample, for eyeballing:
/// `cargo test -p mxlens-shared print_corpus -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_corpus() {
    let mut names: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            n.ends_with(".eml").then_some(n)
        })
        .collect();
    names.sort();
    for name in names {
        let raw = load(&name);
        println!("==== {name}");
        let Some(msg) = MessageParser::default().parse(&raw) else {
            println!("(not parsed)");
            continue;
        };
        let dkim = signed_headers(&msg);
        let hygiene = hygiene::analyse(&msg, NOW);
        let mut all = hygiene.checks;
        all.extend(unsubscribe::checks(&msg, &dkim));
        all.extend(spam::checks(&spam::decode(&msg)));
        let b = bounce::read(&raw)
            .map(|b| bounce::checks(&b))
            .unwrap_or_default();
        all.extend(b);
        for c in &all {
            println!(
                "  {:<26} {:<14} {}{}",
                c.id,
                c.status.as_str(),
                c.subject
                    .as_deref()
                    .map_or(String::new(), |s| format!("[{s}] ")),
                c.detail
            );
        }
        let mut inputs = ChecklistInputs::from_message(&msg, &dkim);
        inputs.apply_hygiene(&hygiene.facts);
        inputs.apply_content_checks(&all);
        for i in bulk_sender(&inputs).iter().chain(can_spam(&inputs).iter()) {
            println!("  {:<26} {:<14?} {}", i.id, i.status, i.detail);
        }
    }
}

/// Deterministic mutation fuzzing over the corpus: flips, truncates and
/// splices bytes, then runs every function. Nothing may panic.
#[test]
fn mutated_corpus_never_panics() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut files: Vec<Vec<u8>> = Vec::new();
    for entry in std::fs::read_dir(DIR).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) == Some("eml") {
            files.push(std::fs::read(path).unwrap());
        }
    }
    let specials: &[&[u8]] = &[
        b"\xff",
        b"\r\n",
        b"\n ",
        b":",
        b";",
        b"<",
        b">",
        b"@",
        b"=?utf-8?b?",
        b"550-5.",
        b"\xc3",
        b"(",
    ];
    for round in 0..400 {
        let mut data = files[round % files.len()].clone();
        for _ in 0..(1 + next() % 8) {
            if data.is_empty() {
                break;
            }
            let pos = (next() as usize) % data.len();
            match next() % 4 {
                0 => data[pos] = next() as u8,
                1 => data.truncate(pos),
                2 => {
                    let s = specials[(next() as usize) % specials.len()];
                    data.splice(pos..pos, s.iter().copied());
                }
                _ => {
                    let end = (pos + (next() as usize) % 64).min(data.len());
                    data.drain(pos..end);
                }
            }
        }
        let text = String::from_utf8_lossy(&data).into_owned();
        let parsed = MessageParser::default().parse(&data);
        if let Some(msg) = parsed.as_ref() {
            let dkim = signed_headers(msg);
            let hygiene = hygiene::analyse(msg, NOW);
            let mut all = hygiene.checks;
            all.extend(unsubscribe::checks(msg, &dkim));
            all.extend(spam::checks(&spam::decode(msg)));
            all.extend(bounce_checks(msg));
            let mut inputs = ChecklistInputs::from_message(msg, &dkim);
            inputs.apply_hygiene(&hygiene.facts);
            inputs.apply_content_checks(&all);
            let _ = bulk_sender(&inputs);
            let _ = can_spam(&inputs);
        }
        let _ = bounce::read(&data);
        let _ = crate::smtp::codes::find_replies(&text);
        let _ = super::postal::find_postal_address(&text);
        let _ = hygiene::parse_rfc5322_date(&text);
    }
}

/// Random strings over an alphabet of the characters the parsers branch on,
/// fed to every string-level parser. Nothing may panic.
#[test]
fn random_strings_never_panic() {
    const ALPHABET: &[&str] = &[
        "5",
        "4",
        "2",
        "0",
        "1",
        "7",
        ".",
        "-",
        " ",
        "\t",
        "\n",
        "\r\n",
        ":",
        ";",
        ",",
        "<",
        ">",
        "@",
        "(",
        ")",
        "[",
        "]",
        "=",
        "\"",
        "é",
        "€",
        "＠",
        "：",
        "Re",
        "ON",
        "SW1A",
        "2AA",
        "St",
        "PO",
        "Box",
        "straße",
        "smtp;",
        "said:",
        "Yes",
        "score",
        "tests",
        "SCL",
        "CAT",
        "SPM",
        "Final-Recipient",
        "Status",
        "Action",
        "failed",
        "https://",
        "mailto:",
        "Tue",
        "Jul",
        "+0000",
        "GMT",
        "\u{0}",
        "\u{FFFD}",
    ];
    let mut state: u64 = 0xD1B5_4A32_D192_ED03;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    for _ in 0..3000 {
        let len = (next() % 40) as usize;
        let s: String = (0..len)
            .map(|_| ALPHABET[(next() as usize) % ALPHABET.len()])
            .collect();
        let _ = crate::smtp::codes::explain(&s);
        let _ = crate::smtp::codes::find_replies(&s);
        let _ = unsubscribe::parse_list_header(&s);
        let _ = spam::decode_spamassassin(Some(&s), Some(&s), Some(&s), Some(&s));
        let _ = spam::decode_rspamd(Some(&s), Some(&s), Some(&s));
        let _ = spam::decode_microsoft(Some(&s), Some(&s), Some(&s));
        let _ = bounce::parse_delivery_status(&s);
        let _ = bounce::read_text(&s);
        let _ = super::postal::find_postal_address(&s);
        let _ = hygiene::parse_rfc5322_date(&s);
        let _ = hygiene::message_id_problem(&s);
        let _ = hygiene::reply_prefix(&s);
        let _ = hygiene::addresses_in_display_name(&s);
        let _ = hygiene::addr_spec_problem(&s);
    }
}
