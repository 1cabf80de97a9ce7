//! Small text helpers every parser shares: lower-casing without core's
//! Unicode case table ([`lower`]), a case-insensitive search that needs no
//! lower-cased copy ([`contains_ci`]), RFC 5322 comment stripping
//! ([`strip_comments`]) and [`capitalise`].
//!
//! `str::to_lowercase` links core's full lower-case conversion table (about
//! 11 KB) into the browser bundle, whose size has a hard budget (issue 7).
//! Everything mxlens lower-cases is either ASCII by specification or is
//! matched against ASCII/Latin phrases ("unsubscribe", "publicité"), so
//! [`lower`] folds the scripts that matter for those comparisons by
//! arithmetic: ASCII, Latin-1 Supplement, Latin Extended-A, basic Greek and
//! basic Cyrillic (the European alphabets of the reply prefixes and the
//! opt-out and advertising phrases). Other characters are kept as they are.
//! Every mapping keeps the UTF-8 length of the character, so byte offsets in
//! the folded text are offsets in the original.

/// The lower-case form of `c` when it is a capital of ASCII, Latin-1,
/// Latin Extended-A, basic Greek or basic Cyrillic (same mapping as
/// `char::to_lowercase` there, except U+0130 `İ` which stays, because its
/// full lower case is two characters); `c` itself otherwise.
pub fn lower_char(c: char) -> char {
    let u = c as u32;
    let l = match u {
        0x41..=0x5A => u + 0x20,
        // Latin-1 capitals, except U+00D7 MULTIPLICATION SIGN.
        0xC0..=0xDE if u != 0xD7 => u + 0x20,
        // Latin Extended-A pairs: capital even, small odd…
        0x100..=0x12F | 0x132..=0x137 | 0x14A..=0x177 if u.is_multiple_of(2) => u + 1,
        // …then capital odd, small even.
        0x139..=0x148 | 0x179..=0x17E if !u.is_multiple_of(2) => u + 1,
        0x178 => 0xFF,
        // Greek capitals (U+03A2 is unassigned).
        0x391..=0x3A1 | 0x3A3..=0x3AB => u + 0x20,
        0x386 => 0x3AC,
        0x388..=0x38A => u + 0x25,
        0x38C => 0x3CC,
        0x38E | 0x38F => u + 0x3F,
        // Cyrillic capitals.
        0x400..=0x40F => u + 0x50,
        0x410..=0x42F => u + 0x20,
        _ => u,
    };
    char::from_u32(l).unwrap_or(c)
}

/// `s` lower-cased by [`lower_char`]; the result has the same byte length.
pub fn lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars().map(lower_char).collect()
}

/// ASCII case-insensitive substring test; `needle` must be lower case.
/// For an ASCII `needle` this is `lower(haystack).contains(needle)`
/// without the copy: [`lower`] keeps every character's length and folds
/// ASCII by ASCII rules, and no other character folds to ASCII.
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    find_ci(haystack, needle).is_some()
}

/// Where [`contains_ci`] finds `needle` first: the byte offset of the
/// leftmost match, `haystack.to_ascii_lowercase().find(needle)` without
/// the copy (for a lower-case `needle`).
pub fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let last = h.len().checked_sub(n.len())?;
    // Candidates are where the needle's rarest byte (in mail: [`rarity`])
    // matches in either case (memchr2, vectorised); only those are compared
    // in full. The readers call this for many markers over the same body,
    // so a window-by-window compare was most of the reader's time, and
    // anchoring on the first byte (often a common letter) still stopped
    // at most words of a long body (#17 G4).
    let anchor = (0..n.len()).max_by_key(|&k| rarity(n[k])).unwrap_or(0);
    let (lower, upper) = (
        n[anchor].to_ascii_lowercase(),
        n[anchor].to_ascii_uppercase(),
    );
    // The anchor of a window starting at `start` is at `start + anchor`;
    // windows are tried left to right, so the first match is the leftmost.
    let mut from = anchor;
    while from <= last + anchor {
        let at = memchr::memchr2(lower, upper, &h[from..=last + anchor])?;
        let start = from + at - anchor;
        if h[start..start + n.len()].eq_ignore_ascii_case(n) {
            return Some(start);
        }
        from += at + 1;
    }
    None
}

/// How rare a byte is in mail, for [`find_ci`]'s anchor: its rank in
/// [`BY_FREQUENCY`] (higher is rarer), bytes not listed rarest of all. Of
/// equals, the last is taken.
fn rarity(b: u8) -> u8 {
    RARITY[b as usize]
}

/// [`BY_FREQUENCY`] as a table by byte, both cases of a letter ranked
/// alike: the anchor is chosen for every search, and for the short texts
/// most searches run over, choosing it by scanning the list was a cost of
/// its own.
const RARITY: [u8; 256] = {
    let mut table = [u8::MAX; 256];
    let mut rank = 0;
    while rank < BY_FREQUENCY.len() {
        let b = BY_FREQUENCY[rank];
        table[b as usize] = rank as u8;
        table[b.to_ascii_uppercase() as usize] = rank as u8;
        rank += 1;
    }
    table
};

/// Bytes by how often they occur in mail, commonest first, case folded:
/// counted over the 39 messages of `tests/fixtures/messages` and the 480
/// real bounces of the sisimai corpus (2 MB). Digits, `.`, `-` and `:` are
/// as common as most letters there (headers, addresses, codes, dates): an
/// anchor on the `:` of `final-recipient:` stopped at every header line
/// (#17 G4).
const BY_FREQUENCY: &[u8] = b" eatoirnsm0lpdc.\n-2:f1ughxby3j5vk4=w986;7qz/<>\"\r@+(),\t_";

/// `s` with its first character in ASCII upper case (for messages built
/// from a lower-case phrase).
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// A header value with its RFC 5322 comments taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// The value with every comment replaced by spaces, byte for byte, so
    /// offsets into it are offsets into the original; quoted strings kept.
    pub text: String,
    /// The comments' contents (trimmed), with the byte offset of each `(`.
    pub comments: Vec<(usize, String)>,
}

/// Replaces comments (nested parentheses, with quoted-pairs, RFC 5322
/// §3.2.2) by spaces, keeping quoted strings (§3.2.4) intact and byte
/// offsets unchanged.
pub fn strip_comments(value: &str) -> Cleaned {
    // Byte by byte: the four bytes that change the state are ASCII, so a
    // multi-byte character is never split (inside a comment all its bytes
    // become spaces; outside, all are kept). Char by char, with a `String`
    // grown a character at a time, this was 3–4% of an analysis (#17 G4).
    let bytes = value.as_bytes();
    let mut text = bytes.to_vec();
    let mut comments = Vec::new();
    let mut depth = 0u32;
    let mut quoted = false;
    let mut escaped = false;
    let mut current: Vec<u8> = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if escaped {
            escaped = false;
            if depth > 0 {
                current.push(b);
                text[i] = b' ';
            }
            continue;
        }
        match b {
            b'\\' if quoted || depth > 0 => {
                escaped = true;
                text[i] = b' ';
            }
            b'"' if depth == 0 => quoted = !quoted,
            b'(' if !quoted => {
                if depth == 0 {
                    start = i;
                    current.clear();
                } else {
                    current.push(b);
                }
                depth += 1;
                text[i] = b' ';
            }
            b')' if !quoted && depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    comments.push((start, String::from_utf8_lossy(&current).trim().to_string()));
                } else {
                    current.push(b);
                }
                text[i] = b' ';
            }
            _ if depth > 0 => {
                current.push(b);
                text[i] = b' ';
            }
            _ => {}
        }
    }
    // Whole characters were blanked or kept, so this is UTF-8; the lossy
    // fallback only keeps the function total.
    let text = String::from_utf8(text)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Cleaned { text, comments }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The char-by-char version `strip_comments` replaced (#17 G4), kept
    /// as the reference it is held to.
    fn strip_comments_by_char(value: &str) -> Cleaned {
        let mut text = String::with_capacity(value.len());
        let mut comments = Vec::new();
        let mut depth = 0u32;
        let mut quoted = false;
        let mut escaped = false;
        let mut current = String::new();
        let mut start = 0;
        for (i, ch) in value.char_indices() {
            if escaped {
                escaped = false;
                if depth > 0 {
                    current.push(ch);
                    text.extend(std::iter::repeat_n(' ', ch.len_utf8()));
                } else {
                    text.push(ch);
                }
                continue;
            }
            match ch {
                '\\' if quoted || depth > 0 => {
                    escaped = true;
                    text.push(' ');
                }
                '"' if depth == 0 => {
                    quoted = !quoted;
                    text.push(ch);
                }
                '(' if !quoted => {
                    if depth == 0 {
                        start = i;
                        current.clear();
                    } else {
                        current.push(ch);
                    }
                    depth += 1;
                    text.push(' ');
                }
                ')' if !quoted && depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        comments.push((start, current.trim().to_string()));
                    } else {
                        current.push(ch);
                    }
                    text.push(' ');
                }
                _ if depth > 0 => {
                    current.push(ch);
                    text.extend(std::iter::repeat_n(' ', ch.len_utf8()));
                }
                _ => text.push(ch),
            }
        }
        Cleaned { text, comments }
    }

    proptest::proptest! {
        /// Byte by byte, the same text and comments as char by char, for
        /// nested comments, quoted strings, quoted-pairs and non-ASCII.
        #[test]
        fn strip_comments_as_char_by_char(value in "[a( )\\\\\"é€😀x;=.]{0,40}") {
            let (fast, slow) = (strip_comments(&value), strip_comments_by_char(&value));
            proptest::prop_assert_eq!(&fast.text, &slow.text);
            proptest::prop_assert_eq!(fast.comments, slow.comments);
            proptest::prop_assert_eq!(fast.text.len(), value.len());
        }
    }

    #[test]
    fn contains_ci_table() {
        let cases: &[(&str, &str, bool)] = &[
            (
                "Final-Recipient: rfc822; a@b.example",
                "final-recipient:",
                true,
            ),
            ("FINAL-RECIPIENT:", "final-recipient:", true),
            ("final-recipient", "final-recipient:", false),
            ("xx>>> RCPT TO", ">>> rcpt", true),
            ("fffinal", "final", true),
            ("aaaaab", "aab", true),
            ("aaaaaa", "aab", false),
            ("", "a", false),
            ("abc", "", true),
            ("ab", "abc", false),
            ("caf\u{e9} FAILED", "failed", true),
            ("\u{e9}\u{e9}", "\u{e9}", true),
        ];
        for (haystack, needle, want) in cases {
            assert_eq!(
                contains_ci(haystack, needle),
                *want,
                "{haystack:?} {needle:?}"
            );
        }
    }

    proptest::proptest! {
        /// Anchoring on the rarest byte finds what a window-by-window
        /// compare finds.
        #[test]
        fn contains_ci_is_the_windowed_compare(
            haystack in "[aAbB :\\-é]{0,40}",
            needle in "[ab :\\-é]{1,5}",
        ) {
            let naive = haystack
                .as_bytes()
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()));
            proptest::prop_assert_eq!(contains_ci(&haystack, &needle), naive);
        }
    }

    proptest::proptest! {
        /// The leftmost match, as lower-casing and `find` give it.
        #[test]
        fn find_ci_is_lower_then_find(
            haystack in "[aAbB :\\-é\n]{0,40}",
            needle in "[ab :\\-é\n]{1,5}",
        ) {
            proptest::prop_assert_eq!(
                find_ci(&haystack, &needle),
                haystack.to_ascii_lowercase().find(needle.as_str())
            );
        }
    }

    /// The opt-out phrase test (`lower(body).contains(p)` before, #17 G4)
    /// agrees with [`contains_ci`] on text with folding capitals.
    #[test]
    fn contains_ci_is_lower_then_contains_for_ascii_needles() {
        for (haystack, needle) in [
            ("ÀÉ UNSUBSCRIBE", "unsubscribe"),
            ("ΣΣ Opt-Out ŸŸ", "opt-out"),
            ("Ωunsubscribeω", "unsubscribe"),
            ("unsubscrib\u{212a}e", "unsubscribe"),
            ("KELVIN \u{212a}", "k"),
        ] {
            assert_eq!(
                contains_ci(haystack, needle),
                lower(haystack).contains(needle),
                "{haystack:?}"
            );
        }
    }

    #[test]
    fn agrees_with_std_where_it_folds() {
        for u in 0..0x500u32 {
            let Some(c) = char::from_u32(u) else { continue };
            if u == 0x130 {
                assert_eq!(lower_char(c), c);
                continue;
            }
            let std: String = c.to_lowercase().collect();
            let ours = lower_char(c);
            if ours != c {
                assert_eq!(std, ours.to_string(), "U+{u:04X}");
            }
            assert_eq!(ours.len_utf8(), c.len_utf8(), "U+{u:04X}");
        }
        // Every capital of the covered blocks is folded.
        for u in (0x41..=0x5A)
            .chain(0xC0..=0xDE)
            .chain(0x100..=0x17F)
            .chain(0x386..=0x3AB)
            .chain(0x400..=0x42F)
        {
            let Some(c) = char::from_u32(u) else { continue };
            let std: String = c.to_lowercase().collect();
            if u != 0x130 && std != c.to_string() {
                assert_eq!(lower_char(c).to_string(), std, "U+{u:04X}");
            }
        }
    }

    #[test]
    fn folds_phrases() {
        assert_eq!(lower("PUBLICITÉ Unsubscribe"), "publicité unsubscribe");
        assert_eq!(lower("ΑΠΆΝΤΗΣΗ Ответ"), "απάντηση ответ");
        assert_eq!(lower("MÜNCHEN.DE"), "münchen.de");
        assert_eq!(lower("转发 AW"), "转发 aw");
    }
}
