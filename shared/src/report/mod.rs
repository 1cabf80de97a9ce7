//! The report: the one value every surface renders (UI, CLI `--json`, HTTP
//! API, stored share links). Its JSON shape is the contract documented in
//! `docs/report-schema.md`; field names, check ids and status words are
//! stable. Integers are fixed width, never `usize`.

mod bounce;
pub mod catalog;
pub mod combine;
mod content;
pub mod decode;
mod delivery;
mod dmarc;
mod domain;
pub mod ids;
pub mod markdown;
mod message;
mod rcpt;
pub mod redact;
mod reputation;
mod smtp;
mod spf;
pub mod text;
mod top;
pub mod transport;

pub use bounce::{
    BounceAction, BounceKind, BounceReport, BouncedRecipient, OriginalMessage, Reason, WhoMustAct,
};
pub use content::{AttachmentSummary, ContentSection, LinkSummary};
pub use delivery::{ConnectionFacts, DeliverySection};
pub use dmarc::{
    ByteSpan, DmarcFacts, DmarcReportSize, DmarcReportUri, DmarcTagFacts, DmarcTags, RecordFinding,
};
pub use domain::{
    DaneFacts, DkimKeyFacts, DmarcDiscoveryFacts, DomainSection, LookupOutcome, MtaStsFacts,
    MxHost, PtrFacts, PtrRole,
};
pub use message::{
    AlignedIdentity, AlignmentSummary, ArcSummary, AuthResultSummary, DkimSignatureSummary,
    FromAddress, Hop, MessageSection, SpamDecision, SpamField, SpamVerdictSummary,
};
pub use rcpt::RcptFacts;
pub use reputation::{Listing, ReputationSection};
pub use smtp::{
    CertFacts, ChainFacts, ChainResult, SmtpFacts, SmtpProbeFacts, SmtpTimings, StarttlsFacts,
    StarttlsResult,
};
pub use spf::{SpfFacts, SpfNodeFacts, SpfTermFacts};

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Bumped on any breaking change to the JSON shape (renamed or removed field,
/// check id or status word). Additions do not bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Pasted headers or a whole message.
    Message,
    /// A live domain audit.
    Domain,
    /// A message plus an audit of its From domain.
    Combined,
    /// A message that arrived at mxlens's own SMTP receiver (a test
    /// address): the connection facts, the message and its From domain's
    /// audit.
    Delivery,
}

impl ReportKind {
    /// The kind word used in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Message => "message",
            ReportKind::Domain => "domain",
            ReportKind::Combined => "combined",
            ReportKind::Delivery => "delivery",
        }
    }
}

/// The outcome of one check. See the status table in the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Violates an RFC MUST or a major provider's requirement.
    Fail,
    /// Infrastructure failure while checking (timeout, SERVFAIL).
    Error,
    /// Works today but is fragile, deprecated or below best practice.
    Warn,
    /// Meets the requirement.
    Pass,
    /// A neutral fact worth showing.
    Info,
    /// We could not look (timeout, SMTP blocked, body missing).
    NotTested,
    /// The check does not apply here.
    NotApplicable,
}

impl Status {
    /// The status word used in JSON and in text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Info => "info",
            Status::NotApplicable => "not_applicable",
            Status::NotTested => "not_tested",
            Status::Error => "error",
        }
    }

    /// The symbol every renderer shows beside the status word (never colour
    /// alone): the CLI text, the Markdown export and the UI agree.
    pub fn icon(self) -> &'static str {
        match self {
            Status::Pass => "✔",
            Status::Warn => "▲",
            Status::Fail => "✘",
            Status::Info => "ℹ",
            Status::Error => "!",
            Status::NotTested | Status::NotApplicable => "–",
        }
    }

    /// The status word for people ("not tested", "n/a"); `as_str` is the
    /// JSON word.
    pub fn label(self) -> &'static str {
        match self {
            Status::NotTested => "not tested",
            Status::NotApplicable => "n/a",
            other => other.as_str(),
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check result. A check id may repeat, with `subject` telling the
/// instances apart (one per MX IP, per selector, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Stable id from the catalogue, e.g. `spf.lookup-limit`. Borrowed
    /// from the catalogue when it is catalogued, as `title` and `refs` are:
    /// an analysis makes some fifty checks, and copying these three into
    /// new strings for each was a fifth of its allocations (#17 G4).
    pub id: Cow<'static, str>,
    /// The outcome.
    pub status: Status,
    /// Short human title.
    pub title: Cow<'static, str>,
    /// What was found, with the concrete values.
    pub detail: String,
    /// What to change; absent when there is nothing to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// RFC references, e.g. `RFC 7208 §4.6.4`.
    #[serde(default)]
    pub refs: Vec<Cow<'static, str>>,
    /// What this instance is about when the id repeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A suggested corrected record, when the fix is mechanical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

impl Check {
    /// The fix a renderer shows for this check, the same in the CLI text,
    /// the Markdown export and the UI: the check's own fix (written for the
    /// case found) whatever its status, else the catalogue's general fix
    /// for a `fail` or `warn`.
    pub fn fix_to_show(&self) -> Option<&str> {
        if let Some(fix) = &self.fix {
            return Some(fix);
        }
        if !matches!(self.status, Status::Fail | Status::Warn) {
            return None;
        }
        catalog::lookup(&self.id)
            .map(|e| e.fix)
            .filter(|f| !f.is_empty())
    }

    /// Builds a check whose title and refs come from the catalogue entry for `id`.
    /// An id missing from the catalogue is a programming error caught by tests;
    /// here it falls back to the id as title.
    pub fn new(id: &str, status: Status, detail: impl Into<String>) -> Self {
        let (entry, id, title) = catalogued(id);
        Check {
            id,
            status,
            title,
            detail: detail.into(),
            fix: None,
            refs: entry.map_or_else(Vec::new, |e| {
                e.refs.iter().map(|&r| Cow::Borrowed(r)).collect()
            }),
            subject: None,
            suggestion: None,
        }
    }

    /// Sets the subject.
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the fix text.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// Sets the fix to the catalogue's general fix for this id: for a check
    /// that always carries its fix (so `fix` is in the JSON whatever the
    /// status) when nothing about the case found would change its words.
    /// The text stays in the catalogue alone.
    pub fn with_catalogue_fix(mut self) -> Self {
        self.fix = catalog::lookup(&self.id)
            .map(|e| e.fix)
            .filter(|f| !f.is_empty())
            .map(str::to_string);
        self
    }

    /// Sets a suggested corrected record.
    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }
}

/// The catalogue's entry for `id`, with the id and title a check or a
/// checklist item carries: borrowed from the entry when `id` is catalogued
/// (no string copied per check, #17 G4), else `id` for both.
pub(crate) fn catalogued(
    id: &str,
) -> (
    Option<&'static catalog::CatalogEntry>,
    Cow<'static, str>,
    Cow<'static, str>,
) {
    match catalog::lookup(id) {
        Some(e) => (Some(e), Cow::Borrowed(e.id), Cow::Borrowed(e.title)),
        None => (None, Cow::Owned(id.to_string()), Cow::Owned(id.to_string())),
    }
}

/// Which tool and version made a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `mxlens`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "mxlens".to_string(),
            version: crate::VERSION.to_string(),
        }
    }
}

/// Status of a checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistStatus {
    /// Requirement met.
    Pass,
    /// Requirement not met.
    Fail,
    /// The user must verify it themselves.
    Manual,
    /// Needs the message body, and only headers were given.
    NeedsBody,
    /// Needs the live domain audit (backend), not run yet.
    NeedsBackend,
    /// Does not apply.
    NotApplicable,
}

/// One checklist row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// Stable id, e.g. `bulk.one-click`; borrowed from the catalogue, as
    /// the title is, like [`Check`]'s.
    pub id: Cow<'static, str>,
    /// The outcome.
    pub status: ChecklistStatus,
    /// The requirement, in words.
    pub title: Cow<'static, str>,
    /// Why this status; for manual items, what exactly to verify.
    #[serde(default)]
    pub detail: String,
}

/// The two checklists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklists {
    /// Gmail, Yahoo and Microsoft bulk-sender requirements.
    #[serde(default)]
    pub bulk_sender: Vec<ChecklistItem>,
    /// CAN-SPAM, after the FTC compliance guide.
    #[serde(default)]
    pub can_spam: Vec<ChecklistItem>,
}

/// The report grade, derived from the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grade {
    /// 90 and above.
    A,
    /// 80 to 89.
    B,
    /// 70 to 79.
    C,
    /// 60 to 69.
    D,
    /// 50 to 59.
    E,
    /// Below 50.
    F,
}

/// A deliverability report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// See [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// What the report is about.
    pub kind: ReportKind,
    /// RFC 3339 time the report was made (passed in: `shared` has no clock).
    pub generated_at: String,
    /// Tool and version.
    pub tool: Tool,
    /// 0 to 100.
    pub score: u8,
    /// A to F.
    pub grade: Grade,
    /// How much of what was asked could actually be determined: the share,
    /// 0 to 100 by catalogue weight, of the scored checks (pass, warn, fail,
    /// error, not_tested) that ended with a verdict (pass, warn or fail).
    /// 100 when there is nothing to score. See [`coverage`].
    #[serde(default = "full_coverage")]
    pub coverage: u8,
    /// Every check, in catalogue order.
    pub checks: Vec<Check>,
    /// The message section (kinds `message` and `combined`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageSection>,
    /// The domain section (kinds `domain` and `combined`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainSection>,
    /// The bulk-sender and CAN-SPAM checklists.
    #[serde(default)]
    pub checklists: Checklists,
    /// The "Transport security" section (domain and combined reports):
    /// see [`transport::transport_security`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<transport::TransportSecurity>,
    /// The delivery section (kind `delivery`): what mxlens's SMTP receiver
    /// saw and evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliverySection>,
    /// The "Reputation" section: domain and IP blocklist and allow-list
    /// lookups for the names a message uses (made on the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reputation: Option<ReputationSection>,
}

impl Report {
    /// Assembles a report and computes its score and grade.
    pub fn new(kind: ReportKind, generated_at: impl Into<String>, checks: Vec<Check>) -> Self {
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            kind,
            generated_at: generated_at.into(),
            tool: Tool::default(),
            score: 0,
            grade: Grade::F,
            coverage: 100,
            checks,
            message: None,
            domain: None,
            checklists: Checklists::default(),
            transport: None,
            delivery: None,
            reputation: None,
        };
        report.rescore();
        report
    }

    /// Recomputes `score` and `grade` from the checks.
    pub fn rescore(&mut self) {
        let (score, coverage) = score_and_coverage(&self.checks);
        self.score = score;
        self.grade = grade(score);
        self.coverage = coverage;
    }

    /// What the report was made from, in words, for report footers: "a
    /// message from ann@example.com (4 Received hops)", "the domain
    /// example.com", or both for a combined report.
    pub fn input_summary(&self) -> String {
        let message = self.message.as_ref().map(|m| {
            let from = m
                .from
                .as_ref()
                .map_or("an unknown sender", |f| f.address.as_str());
            let hops = m.hops.len();
            format!(
                "a {} from {from} ({hops} Received hop{})",
                if m.has_body {
                    "message"
                } else {
                    "header block"
                },
                if hops == 1 { "" } else { "s" }
            )
        });
        let domain = self
            .domain
            .as_ref()
            .map(|d| format!("the domain {}", d.name));
        match (message, domain) {
            (Some(m), Some(d)) => format!("{m} and {d}"),
            (Some(m), None) => m,
            (None, Some(d)) => d,
            (None, None) => "an empty input".to_string(),
        }
    }

    /// True when any check failed (CLI exit code 1).
    pub fn has_failures(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Fail)
    }

    /// Checks with the given id.
    pub fn checks_with_id<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Check> + 'a {
        self.checks.iter().filter(move |c| c.id == id)
    }
}

fn full_coverage() -> u8 {
    100
}

fn weight_of(check: &Check) -> u32 {
    catalog::lookup(&check.id).map_or(5, |e| u32::from(e.weight))
}

/// Score: start at 100 and subtract each check's catalogue weight for a fail,
/// half of it (rounded up) for a warn, an `error` or a `not_tested`. An
/// unknown is not a pass: a check that could not run costs what a doubtful
/// one does, so a report full of errors cannot score well. `info` and
/// `not_applicable` cost nothing.
pub fn score(checks: &[Check]) -> u8 {
    score_and_coverage(checks).0
}

/// The share, 0 to 100 by catalogue weight, of the scored checks that ended
/// with a verdict (pass, warn, fail) rather than `error` or `not_tested`.
/// `info` and `not_applicable` are outside both sides. 100 when nothing is
/// scored.
pub fn coverage(checks: &[Check]) -> u8 {
    score_and_coverage(checks).1
}

/// [`score`] and [`coverage`] in one pass, each check's weight looked up
/// once and only when its status counts (#17 G4: the look-ups of the two
/// passes were 1.3% of an analysis).
fn score_and_coverage(checks: &[Check]) -> (u8, u8) {
    let (mut penalty, mut decided, mut total) = (0u32, 0u32, 0u32);
    for check in checks {
        if matches!(check.status, Status::Info | Status::NotApplicable) {
            continue;
        }
        let weight = weight_of(check);
        total += weight;
        match check.status {
            Status::Fail => {
                penalty += weight;
                decided += weight;
            }
            Status::Warn => {
                penalty += weight.div_ceil(2);
                decided += weight;
            }
            Status::Pass => decided += weight,
            // Error and NotTested: scored half, and not decided.
            _ => penalty += weight.div_ceil(2),
        }
    }
    let score = 100u32.saturating_sub(penalty) as u8;
    let coverage = (decided * 100).checked_div(total).map_or(100, |c| c as u8);
    (score, coverage)
}

/// Grade bands: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, E ≥ 50, F below.
pub fn grade(score: u8) -> Grade {
    match score {
        90..=u8::MAX => Grade::A,
        80..=89 => Grade::B,
        70..=79 => Grade::C,
        60..=69 => Grade::D,
        50..=59 => Grade::E,
        _ => Grade::F,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_are_the_contract() {
        let all = [
            (Status::Pass, "pass"),
            (Status::Warn, "warn"),
            (Status::Fail, "fail"),
            (Status::Info, "info"),
            (Status::NotApplicable, "not_applicable"),
            (Status::NotTested, "not_tested"),
            (Status::Error, "error"),
        ];
        for (status, word) in all {
            assert_eq!(serde_json::to_value(status).unwrap(), word);
            assert_eq!(status.as_str(), word);
        }
    }

    #[test]
    fn unknowns_cost_like_a_warn_and_lower_coverage() {
        let w = |id: &str| u32::from(catalog::lookup(id).expect("in catalogue").weight);
        let only_unknowns = vec![
            Check::new("dns.resolves", Status::Error, "SERVFAIL"),
            Check::new("mx.present", Status::NotTested, "timeout"),
        ];
        let expected = 100 - w("dns.resolves").div_ceil(2) - w("mx.present").div_ceil(2);
        assert_eq!(u32::from(score(&only_unknowns)), expected);
        assert_eq!(coverage(&only_unknowns), 0);
        // An unknown never scores better than a pass, nor worse than a fail.
        for status in [Status::Error, Status::NotTested] {
            let unknown = score(&[Check::new("mx.present", status, "")]);
            assert!(unknown < score(&[Check::new("mx.present", Status::Pass, "")]));
            assert!(unknown > score(&[Check::new("mx.present", Status::Fail, "")]));
        }
        let half = vec![
            Check::new("mx.present", Status::Pass, ""),
            Check::new("mx.present", Status::Error, ""),
            Check::new("dns.resolves", Status::NotApplicable, ""),
            Check::new("dns.resolves", Status::Info, ""),
        ];
        assert_eq!(coverage(&half), 50);
        assert_eq!(coverage(&[]), 100);
        // A warn is decided and costs half; info and n/a cost nothing; an
        // id the catalogue lacks weighs 5.
        let warned = [
            Check::new("mx.present", Status::Warn, ""),
            Check::new("mx.present", Status::NotTested, ""),
            Check::new("dns.resolves", Status::Info, ""),
            Check::new("dns.resolves", Status::NotApplicable, ""),
        ];
        assert_eq!(
            u32::from(score(&warned)),
            100 - 2 * w("mx.present").div_ceil(2)
        );
        assert_eq!(coverage(&warned), 50);
        assert_eq!(
            score(&[Check::new("x.not-catalogued", Status::Fail, "")]),
            95
        );
    }

    #[test]
    fn grade_bands() {
        assert_eq!(grade(100), Grade::A);
        assert_eq!(grade(90), Grade::A);
        assert_eq!(grade(89), Grade::B);
        assert_eq!(grade(50), Grade::E);
        assert_eq!(grade(0), Grade::F);
    }
}
