//! `msg.date`: the origination date (RFC 5322 §3.6.1) and the RFC 5322 §3.3
//! date-time parser behind it, with the obsolete forms of §4.3.

use mail_parser::Message;

use super::{diag, raw_values, Diagnostic, Severity};
use crate::message::datetime;
use crate::report::{Check, Status};

/// How far in the future a Date may be before it is suspicious (clock skew
/// between the sender and the paste). SpamAssassin's DATE_IN_FUTURE rules
/// start at 3 hours; we warn a little earlier and fail beyond a day.
const FUTURE_WARN_SECONDS: i64 = 15 * 60;
/// Beyond this a future Date is a fail.
const FUTURE_FAIL_SECONDS: i64 = 24 * 3600;

/// A date-time parsed from an RFC 5322 §3.3 field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDate {
    /// Seconds since the Unix epoch (UTC).
    pub timestamp: i64,
    /// The zone offset in minutes east of UTC.
    pub offset_minutes: i32,
    /// Warnings on obsolete or suspicious syntax (RFC 5322 §4.3), empty when clean.
    pub notes: Vec<Diagnostic>,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["thu", "fri", "sat", "sun", "mon", "tue", "wed"]; // 1970-01-01 was a Thursday

/// A token of a structured header value with its byte span.
#[derive(Debug, Clone, Copy)]
struct SpannedToken<'a> {
    start: usize,
    end: usize,
    text: &'a str,
}

/// Splits a structured value into tokens at whitespace, skipping RFC 5322
/// §3.2.2 comments; each comma is a token of its own.
fn spanned_tokens<'a>(value: &'a str) -> Vec<SpannedToken<'a>> {
    let mut tokens = Vec::new();
    let mut depth = 0u32;
    let mut escaped = false;
    let mut start: Option<usize> = None;
    let close = |tokens: &mut Vec<SpannedToken<'a>>, start: &mut Option<usize>, end: usize| {
        if let Some(s) = start.take() {
            tokens.push(SpannedToken {
                start: s,
                end,
                text: &value[s..end],
            });
        }
    };
    for (i, ch) in value.char_indices() {
        if depth > 0 {
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '(' {
                depth += 1;
            } else if ch == ')' {
                depth -= 1;
            }
            continue;
        }
        if ch == '(' {
            close(&mut tokens, &mut start, i);
            depth = 1;
        } else if ch.is_whitespace() {
            close(&mut tokens, &mut start, i);
        } else if ch == ',' {
            close(&mut tokens, &mut start, i);
            tokens.push(SpannedToken {
                start: i,
                end: i + 1,
                text: ",",
            });
        } else if start.is_none() {
            start = Some(i);
        }
    }
    close(&mut tokens, &mut start, value.len());
    tokens
}

/// Parses an RFC 5322 §3.3 date-time, accepting the obsolete forms of §4.3
/// (two-digit years, alphabetic zones) with a warning. Total: any input
/// gives `Ok` (with warnings in `notes`) or the first error as a
/// [`Diagnostic`] spanning the offending token; never panics.
pub fn parse_rfc5322_date(value: &str) -> Result<ParsedDate, Diagnostic> {
    let tokens = spanned_tokens(value);
    let end = value.len();
    let err = |t: Option<&SpannedToken<'_>>, code: &'static str, message: String| {
        let (s, e) = t.map_or((end, end), |t| (t.start, t.end));
        diag(s, e, code, Severity::Error, message, "RFC 5322 §3.3")
    };
    let missing = |what: &str| {
        diag(
            end,
            end,
            "date.missing-part",
            Severity::Error,
            format!("the {what} is missing"),
            "RFC 5322 §3.3",
        )
    };
    let mut notes = Vec::new();
    let mut i = 0;
    let mut weekday: Option<(usize, SpannedToken<'_>)> = None;
    if let Some(first) = tokens.first() {
        if first.text.chars().all(|c| c.is_ascii_alphabetic()) {
            let lower = first.text.to_ascii_lowercase();
            match DAYS.iter().position(|d| *d == lower) {
                Some(p) => weekday = Some((p, *first)),
                None => {
                    return Err(err(
                        Some(first),
                        "date.bad-day-of-week",
                        format!("\"{}\" is not a day-of-week name", first.text),
                    ))
                }
            }
            i += 1;
            if tokens.get(i).map(|t| t.text) == Some(",") {
                i += 1;
            } else {
                notes.push(diag(
                    first.start,
                    first.end,
                    "date.day-of-week-comma",
                    Severity::Warning,
                    "the day of the week is not followed by a comma",
                    "RFC 5322 §3.3",
                ));
            }
        }
    }
    let day_token = tokens.get(i).ok_or_else(|| missing("day"))?;
    let day: i64 = day_token
        .text
        .parse()
        .ok()
        .filter(|_| day_token.text.len() <= 2 && day_token.text.chars().all(|c| c.is_ascii_digit()))
        .ok_or_else(|| {
            err(
                Some(day_token),
                "date.bad-day",
                format!("\"{}\" is not a day number", day_token.text),
            )
        })?;
    i += 1;
    let month_token = tokens.get(i).ok_or_else(|| missing("month"))?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month_token.text))
        .ok_or_else(|| {
            err(
                Some(month_token),
                "date.bad-month",
                format!("\"{}\" is not a month name (Jan..Dec)", month_token.text),
            )
        })? as i64
        + 1;
    i += 1;
    let year_token = tokens.get(i).ok_or_else(|| missing("year"))?;
    if year_token.text.is_empty()
        || !year_token.text.chars().all(|c| c.is_ascii_digit())
        || year_token.text.len() > 4
    {
        return Err(err(
            Some(year_token),
            "date.bad-year",
            format!("\"{}\" is not a year", year_token.text),
        ));
    }
    let mut year: i64 = year_token.text.parse().unwrap_or(0);
    if year_token.text.len() < 4 {
        // RFC 5322 §4.3: two-digit years below 50 are 20xx, others 19xx; three digits add 1900.
        notes.push(diag(
            year_token.start,
            year_token.end,
            "date.obsolete-year",
            Severity::Warning,
            format!("obsolete {}-digit year", year_token.text.len()),
            "RFC 5322 §4.3",
        ));
        year += if year_token.text.len() == 2 && year < 50 {
            2000
        } else {
            1900
        };
    }
    i += 1;
    let time_token = tokens.get(i).ok_or_else(|| missing("time"))?;
    let parts: Vec<&str> = time_token.text.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 2 || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(err(
            Some(time_token),
            "date.bad-time",
            format!("\"{}\" is not a time (hh:mm:ss)", time_token.text),
        ));
    }
    let hour: i64 = parts[0].parse().unwrap_or(99);
    let minute: i64 = parts[1].parse().unwrap_or(99);
    let second: i64 = parts.get(2).map_or(Ok(0), |s| s.parse()).unwrap_or(99);
    i += 1;
    let zone_token = tokens.get(i).ok_or_else(|| missing("time zone"))?;
    let zone = zone_token.text;
    let offset_minutes: i32 = if let Some((sign, digits)) = zone
        .strip_prefix('+')
        .map(|r| (1, r))
        .or_else(|| zone.strip_prefix('-').map(|r| (-1, r)))
    {
        if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(err(
                Some(zone_token),
                "date.bad-zone",
                format!("\"{zone}\" is not a zone (+hhmm or -hhmm)"),
            ));
        }
        let hh: i32 = digits[..2].parse().unwrap_or(0);
        let mm: i32 = digits[2..].parse().unwrap_or(0);
        if mm > 59 {
            return Err(err(
                Some(zone_token),
                "date.bad-zone",
                format!("the zone \"{zone}\" has minutes over 59"),
            ));
        }
        sign * (hh * 60 + mm)
    } else {
        let upper = zone.to_ascii_uppercase();
        let offset = match upper.as_str() {
            "UT" | "GMT" | "Z" => 0,
            "EDT" => -4 * 60,
            "EST" | "CDT" => -5 * 60,
            "CST" | "MDT" => -6 * 60,
            "MST" | "PDT" => -7 * 60,
            "PST" => -8 * 60,
            // RFC 5322 §4.3: military zones other than Z are unreliable; treat as -0000.
            z if z.len() == 1 && z.chars().all(|c| c.is_ascii_alphabetic() && c != 'J') => 0,
            _ => {
                return Err(err(
                    Some(zone_token),
                    "date.bad-zone",
                    format!("\"{zone}\" is not a time zone"),
                ))
            }
        };
        notes.push(diag(
            zone_token.start,
            zone_token.end,
            "date.obsolete-zone",
            Severity::Warning,
            format!("obsolete alphabetic zone \"{zone}\"; use a numeric offset"),
            "RFC 5322 §4.3",
        ));
        offset
    };
    i += 1;
    if let (Some(first_extra), Some(last)) = (tokens.get(i), tokens.last()) {
        notes.push(diag(
            first_extra.start,
            last.end,
            "date.trailing-text",
            Severity::Warning,
            format!(
                "unexpected text after the zone: \"{}\"",
                &value[first_extra.start..last.end]
            ),
            "RFC 5322 §3.3",
        ));
    }
    if !(1..=12).contains(&month) || day < 1 || day > datetime::days_in_month(year, month) {
        return Err(err(
            Some(day_token),
            "date.impossible-date",
            format!("day {day} does not exist in that month"),
        ));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(err(
            Some(time_token),
            "date.bad-time",
            format!("\"{}\" is not a valid time of day", time_token.text),
        ));
    }
    if year < 1900 {
        return Err(err(
            Some(year_token),
            "date.bad-year",
            format!("the year {year} is before 1900"),
        ));
    }
    let days = datetime::days_from_civil(year, month, day);
    let timestamp =
        days * 86400 + hour * 3600 + minute * 60 + second - i64::from(offset_minutes) * 60;
    if let Some((w, token)) = weekday {
        let actual = days.rem_euclid(7) as usize;
        if actual != w {
            notes.push(diag(
                token.start,
                token.end,
                "date.weekday-mismatch",
                Severity::Warning,
                format!(
                    "the day of the week says {} but that date is a {}",
                    crate::text::capitalise(DAYS[w]),
                    crate::text::capitalise(DAYS[actual])
                ),
                "RFC 5322 §3.3",
            ));
        }
    }
    Ok(ParsedDate {
        timestamp,
        offset_minutes,
        notes,
    })
}

/// `msg.date`: the origination date (RFC 5322 §3.6.1) is present, parses as
/// RFC 5322 §3.3, and is not in the future.
pub fn check_date(msg: &Message<'_>, generated_at_unix: i64) -> Check {
    let values = raw_values(msg, "Date");
    let fix = "Have the sending software add one valid Date header, e.g. `Date: Tue, 1 Jul 2025 10:00:00 +0000`, from a clock synchronised with NTP.";
    let Some(value) = values.first() else {
        return Check::new(
            "msg.date",
            Status::Fail,
            "No Date header: RFC 5322 §3.6 requires the origination date.",
        )
        .with_fix(fix);
    };
    match parse_rfc5322_date(value) {
        Err(why) => Check::new(
            "msg.date",
            Status::Fail,
            format!("Date \"{value}\" is not a valid RFC 5322 date: {why}."),
        )
        .with_fix(fix),
        Ok(parsed) => {
            let ahead = parsed.timestamp - generated_at_unix;
            if ahead > FUTURE_FAIL_SECONDS {
                Check::new(
                    "msg.date",
                    Status::Fail,
                    format!(
                        "Date \"{value}\" is {} in the future; filters score far-future dates as spam.",
                        human_duration(ahead)
                    ),
                )
                .with_fix(fix)
            } else if ahead > FUTURE_WARN_SECONDS {
                Check::new(
                    "msg.date",
                    Status::Warn,
                    format!(
                        "Date \"{value}\" is {} in the future: the sender's clock is probably wrong.",
                        human_duration(ahead)
                    ),
                )
                .with_fix(fix)
            } else if !parsed.notes.is_empty() {
                Check::new(
                    "msg.date",
                    Status::Warn,
                    format!(
                        "Date \"{value}\": {}.",
                        parsed
                            .notes
                            .iter()
                            .map(|n| n.message.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                )
                .with_fix(fix)
            } else {
                Check::new("msg.date", Status::Pass, format!("Date: {value}"))
            }
        }
    }
}

fn human_duration(seconds: i64) -> String {
    if seconds >= 86400 {
        format!("{} day(s)", seconds / 86400)
    } else if seconds >= 3600 {
        format!("{} hour(s)", seconds / 3600)
    } else {
        format!("{} minute(s)", seconds / 60)
    }
}
