//! Spam-filter verdicts left in the headers, decoded: SpamAssassin
//! (X-Spam-Status, X-Spam-Flag, X-Spam-Score, X-Spam-Level), rspamd
//! (X-Spamd-Result, X-Rspamd-Score, X-Spam-Action) and Microsoft Exchange
//! Online Protection (X-Forefront-Antispam-Report, X-Microsoft-Antispam,
//! X-MS-Exchange-Organization-SCL).
//!
//! These headers are written by the receiving side, but a sender can forge
//! them too; only the topmost instance of each (added last) is decoded.
//!
//! Check id: `msg.spam-verdicts`.

use mail_parser::Message;
use serde::{Deserialize, Serialize};

use super::hygiene::raw_values;
use crate::report::{Check, Status};

mod microsoft;
mod rspamd;
mod spamassassin;

pub use microsoft::{apply_mailbox_delivery, decode_microsoft};
pub use rspamd::decode_rspamd;
pub use spamassassin::decode_spamassassin;

/// What a filter decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpamDecision {
    /// The filter marked the message as spam (or bulk, or phishing).
    Spam,
    /// The filter let it through as legitimate.
    NotSpam,
    /// The headers do not say.
    Unknown,
}

/// One decoded field of a filter's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpamField {
    /// Field or rule name, e.g. `SCL` or `BAYES_99`.
    pub name: String,
    /// Its value as written.
    pub value: String,
    /// What it means, in plain words (empty when unknown).
    pub meaning: String,
}

/// One filter's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpamVerdict {
    /// `SpamAssassin`, `rspamd` or `Microsoft EOP`.
    pub filter: String,
    /// The decision.
    pub verdict: SpamDecision,
    /// The score, when the filter gives one (SpamAssassin, rspamd; SCL for Microsoft).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The threshold, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<f64>,
    /// A one-line summary.
    pub summary: String,
    /// Every field or rule, decoded.
    pub fields: Vec<SpamField>,
}

impl SpamVerdict {
    /// The report's form of this verdict: scores as decimal text.
    pub fn summary(&self) -> crate::report::SpamVerdictSummary {
        crate::report::SpamVerdictSummary {
            filter: self.filter.clone(),
            verdict: self.verdict,
            score: self.score.map(fmt_score),
            required: self.required.map(fmt_score),
            summary: self.summary.clone(),
            fields: self.fields.clone(),
        }
    }
}

fn field(name: &str, value: &str, meaning: impl Into<String>) -> SpamField {
    SpamField {
        name: name.to_string(),
        value: value.to_string(),
        meaning: meaning.into(),
    }
}

/// Decodes every spam-filter verdict found in the headers.
pub fn decode(msg: &Message<'_>) -> Vec<SpamVerdict> {
    let first = |name: &str| raw_values(msg, name).into_iter().next();
    let mut out = Vec::new();
    if let Some(v) = decode_spamassassin(
        first("X-Spam-Status").as_deref(),
        first("X-Spam-Flag").as_deref(),
        first("X-Spam-Score").as_deref(),
        first("X-Spam-Level").as_deref(),
    ) {
        out.push(v);
    }
    let action = first("X-Rspamd-Action").or_else(|| first("X-Spam-Action"));
    if let Some(v) = decode_rspamd(
        first("X-Spamd-Result").as_deref(),
        first("X-Rspamd-Score").as_deref(),
        action.as_deref(),
    ) {
        out.push(v);
    }
    let delivery = first("X-Microsoft-Antispam-Mailbox-Delivery");
    let microsoft = decode_microsoft(
        first("X-Forefront-Antispam-Report").as_deref(),
        first("X-Microsoft-Antispam").as_deref(),
        first("X-MS-Exchange-Organization-SCL").as_deref(),
    );
    match (microsoft, delivery) {
        (Some(mut v), Some(d)) => {
            apply_mailbox_delivery(&mut v, &d);
            out.push(v);
        }
        (Some(v), None) => out.push(v),
        (None, Some(d)) => {
            let mut v = SpamVerdict {
                filter: "Microsoft EOP".to_string(),
                verdict: SpamDecision::Unknown,
                score: None,
                required: None,
                summary: "Microsoft mailbox delivery headers present".to_string(),
                fields: Vec::new(),
            };
            apply_mailbox_delivery(&mut v, &d);
            out.push(v);
        }
        (None, None) => {}
    }
    out
}

/// Fields that describe the connection rather than the verdict; they stay
/// in [`SpamVerdict::fields`] but are left out of the check's one-line detail.
const CONTEXT_FIELDS: &[&str] = &[
    "CIP",
    "CTRY",
    "LANG",
    "H",
    "PTR",
    "SFS",
    "SFP",
    "DIR",
    "ARA",
    "RULEID",
    "ARC",
    "version",
    "autolearn",
    "X-Spam-Level",
    "ASN",
];

/// `msg.spam-verdicts`: one check per filter, `warn` when it marked the
/// message as spam, `info` otherwise; `not_applicable` when none is present.
pub fn checks(verdicts: &[SpamVerdict]) -> Vec<Check> {
    if verdicts.is_empty() {
        return vec![Check::new(
            "msg.spam-verdicts",
            Status::NotApplicable,
            "No spam-filter headers (SpamAssassin, rspamd, Microsoft) in the message.",
        )];
    }
    verdicts
        .iter()
        .map(|v| {
            let notable: Vec<String> = v
                .fields
                .iter()
                .filter(|f| !f.meaning.is_empty() && !CONTEXT_FIELDS.contains(&f.name.as_str()))
                .take(12)
                .map(|f| {
                    if f.value.is_empty() {
                        format!("{}: {}", f.name, f.meaning)
                    } else {
                        format!("{}={}: {}", f.name, f.value, f.meaning)
                    }
                })
                .collect();
            let detail = if notable.is_empty() {
                v.summary.clone()
            } else {
                format!("{} — {}", v.summary, notable.join("; "))
            };
            let check = match v.verdict {
                SpamDecision::Spam => Check::new("msg.spam-verdicts", Status::Warn, detail)
                    .with_fix("Look at the rules that fired and fix their causes: authentication, content, sending reputation."),
                _ => Check::new("msg.spam-verdicts", Status::Info, detail),
            };
            check.with_subject(v.filter.clone())
        })
        .collect()
}

/// Parses a decimal score such as `7.2`, `-0.1` or `16`. Our own parser,
/// not `str::parse::<f64>`: the standard one pulls ~17 KiB of tables into
/// the WASM bundle. Exact for up to 15 significant digits (integer mantissa
/// divided by a power of ten is correctly rounded), which covers every
/// score a filter writes.
fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim().trim_end_matches([',', ';']);
    let (negative, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if (int_part.is_empty() && frac_part.is_empty())
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
        || int_part.len() + frac_part.len() > 15
    {
        return None;
    }
    let mut mantissa: i64 = 0;
    for b in int_part.bytes().chain(frac_part.bytes()) {
        mantissa = mantissa * 10 + i64::from(b - b'0');
    }
    let scale = 10i64.pow(frac_part.len() as u32);
    let value = mantissa as f64 / scale as f64;
    Some(if negative { -value } else { value })
}

/// Formats a score with at most two decimals, without the standard float
/// formatter (see [`parse_number`]): `7.2`, `-0.1`, `16`.
fn fmt_score(value: f64) -> String {
    let hundredths = (value * 100.0).round() as i64;
    let sign = if hundredths < 0 { "-" } else { "" };
    let abs = hundredths.unsigned_abs();
    let (int, frac) = (abs / 100, abs % 100);
    match frac {
        0 => format!("{sign}{int}"),
        f if f % 10 == 0 => format!("{sign}{int}.{}", f / 10),
        f => format!("{sign}{int}.{f:02}"),
    }
}

#[cfg(test)]
mod tests;
