//! RFC 5322 date-time parsing, our own pure code: no clock, no time crate.
//!
//! ```text
//! date-time = [ day-of-week "," ] date time [CFWS]      ; RFC 5322 §3.3
//! date      = day month year
//! time      = time-of-day zone
//! zone      = (FWS ( "+" / "-" ) 4DIGIT) / obs-zone     ; obs-zone: RFC 5322 §4.3
//! ```
//!
//! The parser is lenient, as real Received trailers are: it accepts the
//! obsolete two- and three-digit years and alphabetic zones of RFC 5322 §4.3,
//! the asctime order (`Fri Feb 07 10:18:12 2003`), missing seconds,
//! fractional seconds and trailing junk.

/// A parsed date-time with its zone offset as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailDate {
    /// Full year (two-digit years expanded per RFC 5322 §4.3).
    pub year: i32,
    /// 1..=12.
    pub month: u8,
    /// 1..=31.
    pub day: u8,
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=60 (leap second allowed).
    pub second: u8,
    /// Offset east of UTC in minutes, as written.
    pub offset_minutes: i32,
    /// False when the zone was missing, `-0000` or an unknown name
    /// (RFC 5322 §3.3: "-0000" means no information about the local zone).
    pub zone_known: bool,
}

impl MailDate {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(&self) -> i64 {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes) * 60
    }

    /// RFC 3339 text in the zone as written; an unknown zone is rendered
    /// `-00:00` (RFC 3339 §4.3).
    ///
    /// The zone is written into the same string: this runs for every
    /// Received hop, and a separate zone string was one allocation more
    /// per hop (#17 G4).
    pub fn to_rfc3339(&self) -> String {
        use std::fmt::Write;
        let mut out = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if self.offset_minutes == 0 {
            out.push_str(if self.zone_known { "Z" } else { "-00:00" });
        } else {
            let sign = if self.offset_minutes < 0 { '-' } else { '+' };
            let abs = self.offset_minutes.unsigned_abs();
            let _ = write!(out, "{sign}{:02}:{:02}", abs / 60, abs % 60);
        }
        out
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub(crate) fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

fn month_number(token: &str) -> Option<u8> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    if token.len() < 3 || token.len() > 9 || !token.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    // All ASCII letters: byte 3 is a character boundary.
    let prefix = &token[..3];
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(prefix))
        .map(|i| i as u8 + 1)
}

fn is_day_name(token: &str) -> bool {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    token.len() >= 3
        && token.bytes().all(|b| b.is_ascii_alphabetic())
        && DAYS.iter().any(|d| d.eq_ignore_ascii_case(&token[..3]))
}

/// RFC 5322 §4.3 obsolete zones. Military zones are treated as `-0000`,
/// as that section recommends, so they map to `None` like unknown names.
fn named_zone(token: &str) -> Option<i32> {
    // Upper case on the stack: every name here has at most 3 letters.
    let mut upper = [0u8; 3];
    let bytes = token.as_bytes();
    if bytes.len() > upper.len() {
        return None;
    }
    for (u, b) in upper.iter_mut().zip(bytes) {
        *u = b.to_ascii_uppercase();
    }
    match &upper[..bytes.len()] {
        b"UT" | b"UTC" | b"GMT" | b"Z" => Some(0),
        b"EDT" => Some(-4 * 60),
        b"EST" | b"CDT" => Some(-5 * 60),
        b"CST" | b"MDT" => Some(-6 * 60),
        b"MST" | b"PDT" => Some(-7 * 60),
        b"PST" => Some(-8 * 60),
        _ => None,
    }
}

fn parse_time(token: &str) -> Option<(u8, u8, u8)> {
    let mut parts = token.split(':');
    let hour: u8 = parts.next()?.trim().parse().ok()?;
    let minute: u8 = parts.next()?.trim().parse().ok()?;
    let second: u8 = match parts.next() {
        // Fractional seconds (seen from SendGrid) are dropped.
        Some(s) => s.split('.').next()?.trim().parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some((hour, minute, second))
}

/// The text the date tokens are read from: `text` with its comments
/// (RFC 5322 §3.2.2) blanked out, as [`crate::text::strip_comments`] does.
/// A stamp's date usually ends in one comment, `(UTC)`: when no quote or
/// backslash occurs and nothing but comments and whitespace follows the
/// first `(`, the text before it has the same tokens, and is borrowed.
fn without_comments(text: &str) -> std::borrow::Cow<'_, str> {
    let open = text.find('(').unwrap_or(text.len());
    let mut depth = 0u32;
    // Bytes: anything but ASCII space, a comma or a comment at depth 0
    // takes the general path.
    let plain = !text.contains(['"', '\\'])
        && text.as_bytes()[open..].iter().all(|&b| {
            match b {
                b'(' => depth += 1,
                b')' if depth > 0 => depth -= 1,
                _ if depth > 0 => {}
                b' ' | b'\t' | b'\r' | b'\n' | b',' => {}
                _ => return false,
            }
            true
        });
    if plain {
        std::borrow::Cow::Borrowed(&text[..open])
    } else {
        std::borrow::Cow::Owned(crate::text::strip_comments(text).text)
    }
}

/// Parses an RFC 5322 date-time, leniently. Returns `None` when no
/// day, month, year and time can be found or a field is out of range.
///
/// ```
/// use mxlens_shared::message::datetime::parse_rfc5322_date;
/// let d = parse_rfc5322_date("Tue, 1 Jul 2025 10:00:00 +0200").unwrap();
/// assert_eq!(d.unix_seconds(), 1_751_356_800);
/// assert_eq!(d.to_rfc3339(), "2025-07-01T10:00:00+02:00");
/// ```
pub fn parse_rfc5322_date(text: &str) -> Option<MailDate> {
    let cleaned = without_comments(text);
    let mut month: Option<u8> = None;
    // The day and year are the last number before the month and the first
    // number after it, or (asctime) the first two numbers after it.
    let mut last_before_month: Option<&str> = None;
    let mut after_month: [Option<&str>; 2] = [None, None];
    let mut time: Option<(u8, u8, u8)> = None;
    let mut numeric_zone: Option<(i32, bool)> = None;
    let mut named: Option<Option<i32>> = None;

    for token in cleaned.split(|c: char| c.is_whitespace() || c == ',') {
        if token.is_empty() {
            continue;
        }
        if token.contains(':') {
            if time.is_none() {
                time = parse_time(token);
            }
            continue;
        }
        let bytes = token.as_bytes();
        if (bytes[0] == b'+' || bytes[0] == b'-')
            && bytes.len() == 5
            && bytes[1..].iter().all(u8::is_ascii_digit)
        {
            if numeric_zone.is_none() && time.is_some() {
                let hh: i32 = token[1..3].parse().unwrap_or(0);
                let mm: i32 = token[3..5].parse().unwrap_or(0);
                let value = hh * 60 + mm;
                // RFC 5322 §3.3: "-0000" means the zone is unknown.
                let known = !(bytes[0] == b'-' && value == 0);
                numeric_zone = Some((if bytes[0] == b'-' { -value } else { value }, known));
            }
            continue;
        }
        if bytes.iter().all(u8::is_ascii_digit) {
            if bytes.len() > 4 {
                continue;
            }
            if month.is_none() {
                last_before_month = Some(token);
            } else if let Some(slot) = after_month.iter_mut().find(|s| s.is_none()) {
                *slot = Some(token);
            }
            continue;
        }
        if is_day_name(token) && month.is_none() && time.is_none() {
            continue;
        }
        if month.is_none() {
            if let Some(m) = month_number(token) {
                month = Some(m);
                continue;
            }
        }
        if time.is_some()
            && named.is_none()
            && numeric_zone.is_none()
            && token.bytes().all(|b| b.is_ascii_alphabetic())
            && token.len() <= 5
        {
            named = Some(named_zone(token));
        }
    }

    let month = month?;
    let (hour, minute, second) = time?;
    // "1 Jul 2025" (RFC 5322) or "Jul 1 ... 2025" (asctime).
    let (day_text, year_text) = match last_before_month {
        Some(day) => (day, after_month[0]?),
        None => (after_month[0]?, after_month[1]?),
    };
    let day: u8 = day_text.parse().ok()?;
    let raw_year: i32 = year_text.parse().ok()?;
    // RFC 5322 §4.3: two-digit years below 50 are 20xx, others 19xx;
    // three-digit years add 1900.
    let year = match year_text.len() {
        1 | 2 if raw_year < 50 => raw_year + 2000,
        1 | 2 => raw_year + 1900,
        3 => raw_year + 1900,
        _ => raw_year,
    };
    if !(1..=12).contains(&month)
        || day == 0
        || i64::from(day) > days_in_month(i64::from(year), i64::from(month))
    {
        return None;
    }
    let (offset_minutes, zone_known) = match (numeric_zone, named) {
        (Some((offset, known)), _) => (offset, known),
        (None, Some(Some(offset))) => (offset, true),
        _ => (0, false),
    };
    Some(MailDate {
        year,
        month,
        day,
        hour,
        minute,
        second,
        offset_minutes,
        zone_known,
    })
}

/// Parses an RFC 3339 timestamp (`2026-01-01T00:00:00Z`,
/// `2026-01-01T01:00:00.5+01:00`) to unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    if bytes.len() < 19 || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(stripped) = rest.strip_prefix('.') {
        rest = stripped.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hh: i64 = rest.get(1..3)?.parse().ok()?;
            let mm: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (hh * 60 + mm)
        }
        _ => return None,
    };
    Some(
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
            - offset * 60,
    )
}

/// Formats unix seconds as RFC 3339 UTC (`2026-01-01T00:00:00Z`).
pub fn format_unix_rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rem = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_and_obsolete_forms() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "Tue, 1 Jul 2025 10:00:00 +0000",
                Some("2025-07-01T10:00:00Z"),
            ),
            (
                "Mon, 28 Aug 2023 02:21:37 -0700 (PDT)",
                Some("2023-08-28T02:21:37-07:00"),
            ),
            (
                "Wed, 12 Feb 2003 14:22:21 PST",
                Some("2003-02-12T14:22:21-08:00"),
            ),
            (
                "Fri Feb 07 10:18:12 2003 -0800",
                Some("2003-02-07T10:18:12-08:00"),
            ),
            (
                "Wed, 26 Mar 03 20:43:24 -0600",
                Some("2003-03-26T20:43:24-06:00"),
            ),
            ("30 Apr 2003 15:06:29", Some("2003-04-30T15:06:29-00:00")),
            (
                "3 Mar 2004 20:34:38 -0000",
                Some("2004-03-03T20:34:38-00:00"),
            ),
            (
                "Thu, 02 Apr 2020 07:53:55.516 +0000 (UTC)",
                Some("2020-04-02T07:53:55Z"),
            ),
            (
                "Mon, 01 Apr 2024\r\n 01:02:19 GMT",
                Some("2024-04-01T01:02:19Z"),
            ),
            ("31 Feb 2024 10:00:00 +0000", None),
            ("garbage", None),
            ("", None),
        ];
        for (input, expected) in cases {
            let got = parse_rfc5322_date(input).map(|d| d.to_rfc3339());
            assert_eq!(got.as_deref(), *expected, "input {input:?}");
        }
    }

    proptest::proptest! {
        /// The hand-written digits are `format!`'s, whatever the fields hold.
        #[test]
        fn to_rfc3339_is_the_formatted_text(
            year in proptest::prop_oneof![0i32..10_000, proptest::num::i32::ANY],
            fields in proptest::array::uniform5(proptest::prop_oneof![0u8..61, proptest::num::u8::ANY]),
            offset_minutes in proptest::prop_oneof![-1440i32..1440, proptest::num::i32::ANY, proptest::strategy::Just(0)],
            zone_known in proptest::bool::ANY,
        ) {
            let [month, day, hour, minute, second] = fields;
            let d = MailDate { year, month, day, hour, minute, second, offset_minutes, zone_known };
            let zone = if !zone_known && offset_minutes == 0 {
                "-00:00".to_string()
            } else if offset_minutes == 0 {
                "Z".to_string()
            } else {
                let sign = if offset_minutes < 0 { '-' } else { '+' };
                let abs = offset_minutes.unsigned_abs();
                format!("{sign}{:02}:{:02}", abs / 60, abs % 60)
            };
            let expected = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{zone}");
            proptest::prop_assert_eq!(d.to_rfc3339(), expected);
        }
    }

    /// The words of `text` once its comments are blanked out.
    fn words(text: &str) -> Vec<&str> {
        text.split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .collect()
    }

    proptest::proptest! {
        /// Borrowing the text before a trailing comment gives the words
        /// that `strip_comments` gives.
        #[test]
        fn without_comments_has_the_stripped_words(
            text in "[1J:+\\-a ,\t()\"\\\\é\u{2003}]{0,24}",
        ) {
            let stripped = crate::text::strip_comments(&text).text;
            let borrowed = without_comments(&text);
            proptest::prop_assert_eq!(words(&borrowed), words(&stripped));
        }

        /// The zone, month and day names compare as the upper- and
        /// lower-cased copies they replaced did.
        #[test]
        fn names_match_case_insensitively(token in "[a-zA-Z]{0,5}") {
            let upper = token.to_ascii_uppercase();
            let zone = match upper.as_str() {
                "UT" | "UTC" | "GMT" | "Z" => Some(0),
                "EDT" => Some(-4 * 60),
                "EST" | "CDT" => Some(-5 * 60),
                "CST" | "MDT" => Some(-6 * 60),
                "MST" | "PDT" => Some(-7 * 60),
                "PST" => Some(-8 * 60),
                _ => None,
            };
            proptest::prop_assert_eq!(named_zone(&token), zone);
            let lower = token.to_ascii_lowercase();
            let month = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
                .iter()
                .position(|m| lower.len() >= 3 && *m == &lower[..3])
                .map(|i| i as u8 + 1);
            proptest::prop_assert_eq!(month_number(&token), month);
            let day = lower.len() >= 3
                && ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].contains(&&lower[..3]);
            proptest::prop_assert_eq!(is_day_name(&token), day);
        }
    }

    #[test]
    fn unix_round_trip() {
        let d = parse_rfc5322_date("Thu, 1 Jan 2026 01:00:00 +0100").unwrap();
        assert_eq!(d.unix_seconds(), 1_767_225_600);
        assert_eq!(format_unix_rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(parse_rfc3339("2026-01-01T00:00:00Z"), Some(1_767_225_600));
        assert_eq!(
            parse_rfc3339("2026-01-01T01:00:00+01:00"),
            Some(1_767_225_600)
        );
        assert_eq!(parse_rfc3339("nope"), None);
        assert_eq!(format_unix_rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
