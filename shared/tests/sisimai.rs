//! The sisimai bounce corpus (`../shared/conformance/sisimai`, 480 real
//! bounces from about 60 mail systems, BSD 2-Clause): every message goes
//! through the one bounce reader, and the test prints per field how many
//! mxlens gets right, then asserts issue 14's thresholds.
//!
//! How each field is scored, per expected row (one row per failed
//! recipient in sisimai's tables):
//! - recognised: the reader says it is a bounce, with at least one recipient;
//! - status: only where sisimai's status appears in the message (sisimai
//!   derives one from its reason when the message has none);
//! - reply code: only where sisimai has one and it appears in the message;
//! - recipient: the corpus gives no addresses, so a recipient counts as
//!   right when the reader finds as many recipients as sisimai has rows and
//!   each is an address written in the message that is not the bounce's own
//!   To (the original sender, to whom the bounce goes);
//! - reason: the same word as sisimai's.
//!
//! `MXLENS_SISIMAI_VERBOSE=1` lists every miss.

use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};

use mxlens_shared::report::{BounceReport, Reason};
use mxlens_shared::smtp::bounce::read;
use serde::Deserialize;

#[path = "support/eml.rs"]
mod support;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/conformance/sisimai"
);

#[derive(Deserialize)]
struct Row {
    status: String,
    reply: String,
    reason: String,
}

/// Cases where the message's own words plainly say something else than
/// sisimai's reason: (file, sisimai's reason, mxlens's reason, why). These
/// still count as misses in the agreement figure; the test checks that
/// mxlens keeps following the text on them.
const TEXT_OVER_SISIMAI: &[(&str, &str, &str, &str)] = &[
    (
        "lhost-exim-46.eml",
        "blocked",
        "requireptr",
        "554 5.7.1 [C14] Missing reverse DNS for 203.0.113.2: the server names the missing PTR record.",
    ),
    (
        "lhost-sendmail-13.eml",
        "systemerror",
        "mailboxfull",
        "maildrop: maildir over quota: the mailbox is full.",
    ),
    (
        "lhost-yahoo-13.eml",
        "systemerror",
        "expired",
        "Unable to deliver message after multiple retries, giving up: the sender's server gave up retrying.",
    ),
    (
        "lhost-postfix-74.eml",
        "rejected",
        "badreputation",
        "[TSS04] … temporarily deferred due to unexpected volume or user complaints: Yahoo's deferral is about the sending IP's volume and complaints, not a refused sender address.",
    ),
    (
        "rhost-yahooinc-02.eml",
        "rejected",
        "badreputation",
        "The same TSS04 deferral as lhost-postfix-74.eml.",
    ),
];

/// Thresholds of issue 14, in per mille.
const MIN_RECOGNISED: u32 = 990;
const MIN_STATUS: u32 = 970;
const MIN_REPLY: u32 = 970;
const MIN_RECIPIENT: u32 = 970;
const MIN_REASON: u32 = 920;

#[derive(Default)]
struct Tally {
    right: u32,
    total: u32,
}

impl Tally {
    fn add(&mut self, ok: bool) {
        self.total += 1;
        self.right += u32::from(ok);
    }
    fn per_mille(&self) -> u32 {
        (u64::from(self.right) * 1000 / u64::from(self.total.max(1))) as u32
    }
    fn show(&self) -> String {
        format!(
            "{}/{} ({}.{}%)",
            self.right,
            self.total,
            self.per_mille() / 10,
            self.per_mille() % 10
        )
    }
}

/// True when `needle` occurs in `hay` as a token of its own (not inside a
/// longer number: 5.1.1 is not found in 5.1.10).
fn has_token(hay: &str, needle: &str) -> bool {
    let bytes = hay.as_bytes();
    hay.match_indices(needle).any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + needle.len()).copied();
        !before.is_some_and(|b| b.is_ascii_digit() || b == b'.')
            && !after.is_some_and(|b| {
                b.is_ascii_digit()
                    || (b == b'.'
                        && bytes
                            .get(i + needle.len() + 1)
                            .is_some_and(u8::is_ascii_digit))
            })
    })
}

/// The addresses in the bounce's own To header (the original sender).
fn to_addresses(raw: &str) -> Vec<String> {
    let header_end = raw
        .find("\n\n")
        .or_else(|| raw.find("\r\n\r\n"))
        .unwrap_or(raw.len());
    let mut out = Vec::new();
    let mut in_to = false;
    for line in raw[..header_end].lines() {
        if line.starts_with([' ', '\t']) {
            if !in_to {
                continue;
            }
        } else {
            in_to = line.to_ascii_lowercase().starts_with("to:");
        }
        if in_to {
            for token in
                line.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ',' | '"'))
            {
                if token.contains('@') {
                    out.push(
                        token
                            .trim_matches(|c: char| !c.is_alphanumeric())
                            .to_ascii_lowercase(),
                    );
                }
            }
        }
    }
    out
}

fn recipient_ok(
    bounce: &BounceReport,
    rows: usize,
    raw_lower: &str,
    to: &[String],
    i: usize,
) -> bool {
    if bounce.recipients.len() != rows {
        return false;
    }
    let Some(r) = bounce.recipients[i].recipient.as_deref() else {
        return false;
    };
    let r = r.to_ascii_lowercase();
    r.contains('@') && raw_lower.contains(&r) && !to.contains(&r)
}

#[test]
fn sisimai_corpus() {
    let expect: BTreeMap<String, Vec<Row>> = serde_json::from_str(
        &std::fs::read_to_string(format!("{CORPUS}/expect.json"))
            .expect("conformance data present"),
    )
    .expect("expect.json parses");
    assert_eq!(expect.len(), 480, "the corpus has 480 messages");
    let verbose = std::env::var("MXLENS_SISIMAI_VERBOSE").is_ok_and(|v| v == "1");
    let (mut recognised, mut status, mut reply, mut recipient, mut reason) = (
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
    );
    let mut panics = Vec::new();
    let mut confusion: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    let overridden: HashMap<&str, (&str, &str)> = TEXT_OVER_SISIMAI
        .iter()
        .map(|(f, s, m, _)| (*f, (*s, *m)))
        .collect();
    for (file, rows) in &expect {
        let raw = std::fs::read(format!("{CORPUS}/eml/{file}")).expect("corpus file present");
        let text = String::from_utf8_lossy(&raw);
        let lower = text.to_ascii_lowercase();
        let to = to_addresses(&text);
        let bounce = match catch_unwind(AssertUnwindSafe(|| read(&raw))) {
            Ok(b) => b.filter(|b| !b.recipients.is_empty()),
            Err(_) => {
                panics.push(file.clone());
                None
            }
        };
        for (i, row) in rows.iter().enumerate() {
            recognised.add(bounce.is_some());
            let Some(b) = &bounce else {
                // Not recognised: a miss on every field that is scored.
                misses.push(format!("{file}: not recognised"));
                confusion
                    .entry((row.reason.clone(), "(none)".into()))
                    .or_default()
                    .push(file.clone());
                if has_token(&text, &row.status) {
                    status.add(false);
                }
                if !row.reply.is_empty() && has_token(&text, &row.reply) {
                    reply.add(false);
                }
                recipient.add(false);
                reason.add(false);
                continue;
            };
            let ours = &b.recipients[i.min(b.recipients.len() - 1)];
            if has_token(&text, &row.status) {
                let ok = ours.status.as_deref() == Some(row.status.as_str());
                status.add(ok);
                if !ok {
                    misses.push(format!(
                        "{file}: status {} got {:?}",
                        row.status, ours.status
                    ));
                }
            }
            if !row.reply.is_empty() && has_token(&text, &row.reply) {
                let ok =
                    ours.reply_code.map(|c| c.to_string()).as_deref() == Some(row.reply.as_str());
                reply.add(ok);
                if !ok {
                    misses.push(format!(
                        "{file}: reply {} got {:?}",
                        row.reply, ours.reply_code
                    ));
                }
            }
            let ok = recipient_ok(b, rows.len(), &lower, &to, i);
            recipient.add(ok);
            if !ok {
                let got: Vec<_> = b.recipients.iter().map(|r| r.recipient.clone()).collect();
                misses.push(format!(
                    "{file}: recipient ({} rows) got {got:?}",
                    rows.len()
                ));
            }
            let ok = ours.reason.as_str() == row.reason;
            reason.add(ok);
            if !ok {
                confusion
                    .entry((row.reason.clone(), ours.reason.as_str().to_string()))
                    .or_default()
                    .push(file.clone());
                misses.push(format!(
                    "{file}: reason {} got {} [{}]",
                    row.reason,
                    ours.reason.as_str(),
                    ours.diagnostic
                        .as_deref()
                        .unwrap_or_default()
                        .chars()
                        .take(160)
                        .collect::<String>()
                ));
            }
        }
        if let Some((_, ours)) = overridden.get(file.as_str()) {
            let got = bounce.as_ref().map(|b| b.recipients[0].reason);
            assert_eq!(
                got.map(Reason::as_str),
                Some(*ours),
                "{file}: mxlens should follow the text"
            );
        }
    }
    if verbose {
        for m in &misses {
            eprintln!("MISS {m}");
        }
    }
    println!(
        "sisimai bounce corpus: {} messages, {} rows",
        expect.len(),
        recognised.total
    );
    println!(
        "sisimai corpus: recognised as a bounce {}",
        recognised.show()
    );
    println!(
        "sisimai corpus: status (where it appears in the message) {}",
        status.show()
    );
    println!(
        "sisimai corpus: reply code (where it appears in the message) {}",
        reply.show()
    );
    println!("sisimai corpus: failed recipient {}", recipient.show());
    println!(
        "sisimai corpus: reason agreeing with sisimai {}",
        reason.show()
    );
    println!("sisimai corpus: panics {}", panics.len());
    println!(
        "sisimai corpus: of the reason misses, {} follow the message's own words over sisimai's (TEXT_OVER_SISIMAI)",
        TEXT_OVER_SISIMAI.len()
    );
    println!("sisimai corpus: reason misses (sisimai -> mxlens: count, files):");
    for ((want, got), files) in &confusion {
        println!("  {want} -> {got}: {} ({})", files.len(), files.join(" "));
    }
    assert!(panics.is_empty(), "panics on {panics:?}");
    assert!(
        recognised.per_mille() >= MIN_RECOGNISED,
        "recognised {}",
        recognised.show()
    );
    assert!(status.per_mille() >= MIN_STATUS, "status {}", status.show());
    assert!(
        reply.per_mille() >= MIN_REPLY,
        "reply code {}",
        reply.show()
    );
    assert!(
        recipient.per_mille() >= MIN_RECIPIENT,
        "recipient {}",
        recipient.show()
    );
    assert!(reason.per_mille() >= MIN_REASON, "reason {}", reason.show());
}

/// A bounce saved from an mbox starts with its `From ` line. The analysis
/// skips that line and reads the message after it, as if pasted alone: the
/// same report as the file without the line, a DSN or a text bounce, not a
/// bounce "forwarded" inside a text (which is what reading the whole paste
/// as a bounce's words made of it). 41 files of the corpus start so.
#[test]
fn an_mbox_from_line_changes_nothing() {
    use mxlens_shared::message::analyze_message;
    use mxlens_shared::report::BounceKind;
    let mut prefixed = 0;
    for path in support::eml_paths(format!("{CORPUS}/eml")) {
        let raw = std::fs::read(&path).expect("corpus file present");
        let Some(rest) = raw.strip_prefix(b"From ") else {
            continue;
        };
        let after_line = &rest[rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |n| n + 1)..];
        prefixed += 1;
        let with = analyze_message(&raw, "2026-01-01T00:00:00Z").expect("analysed");
        let without = analyze_message(after_line, "2026-01-01T00:00:00Z").expect("analysed");
        let name = path.display();
        assert_eq!(
            serde_json::to_value(&with.checks).unwrap(),
            serde_json::to_value(&without.checks).unwrap(),
            "{name}"
        );
        assert_eq!(with.message, without.message, "{name}");
        let bounce = with.message.and_then(|m| m.bounce).expect("a bounce");
        assert_ne!(bounce.kind, BounceKind::Forwarded, "{name}");
        assert!(!bounce.recipients.is_empty(), "{name}");
    }
    assert_eq!(
        prefixed, 41,
        "files of the corpus that start with an mbox From line"
    );
}
