//! Postal address detection for CAN-SPAM (15 U.S.C. 7704(a)(5)(A)(iii): a
//! "valid physical postal address", which the FTC reads as a street
//! address or a registered PO Box / private mailbox).
//!
//! Heuristic and best effort. US forms are the target ("123 Main St, Suite
//! 4, Springfield, IL 62701", "P.O. Box 42, Springfield, IL 62701");
//! Canadian, UK, German/Austrian/Swiss, French and Dutch forms are
//! recognised as well. A match needs a street or box line followed by a
//! locality line (state + ZIP, province + postal code, postcode + city).

/// US state, territory and military codes (USPS Publication 28, Appendix B).
const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP", "AA", "AE", "AP",
];

/// Canadian province and territory codes (Canada Post).
const CA_PROVINCES: &[&str] = &[
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
];

/// Street suffixes after the street name (USPS Publication 28 Appendix C1
/// common forms, UK and Canadian usage), lower case without the dot.
const STREET_SUFFIXES: &[&str] = &[
    "st",
    "street",
    "ave",
    "av",
    "avenue",
    "blvd",
    "boulevard",
    "rd",
    "road",
    "dr",
    "drive",
    "ln",
    "lane",
    "way",
    "ct",
    "court",
    "pl",
    "place",
    "pkwy",
    "parkway",
    "hwy",
    "highway",
    "sq",
    "square",
    "ter",
    "terrace",
    "cir",
    "circle",
    "trl",
    "trail",
    "plaza",
    "plz",
    "broadway",
    "loop",
    "row",
    "pike",
    "crescent",
    "cres",
    "close",
    "mews",
    "walk",
    "hill",
    "park",
    "gardens",
    "grove",
    "green",
    "gate",
    "alley",
    "expy",
    "expressway",
    "fwy",
    "freeway",
    "tpke",
    "turnpike",
    "center",
    "ctr",
];

/// Street words that come right after the house number (French, Spanish,
/// Italian forms such as "12 rue de la Paix").
const STREET_PREFIX_WORDS: &[&str] = &[
    "rue",
    "avenue",
    "av",
    "boulevard",
    "bd",
    "place",
    "chemin",
    "allée",
    "allee",
    "quai",
    "impasse",
    "route",
    "calle",
    "via",
    "viale",
    "piazza",
    "corso",
    "rua",
];

/// German, Austrian, Swiss and Dutch street-name endings, followed by the house number.
const STREET_ENDINGS: &[&str] = &[
    "straße", "strasse", "str", "weg", "allee", "platz", "gasse", "ring", "damm", "ufer",
    "chaussee", "steig", "pfad", "markt", "straat", "laan", "gracht", "plein", "kade", "singel",
];

/// One word of the text. The word is a slice of the text: a 1 MB body is
/// some 150,000 tokens, and a `String` each was most of the analysis time.
#[derive(Debug, Clone)]
struct Token<'a> {
    /// The token without surrounding punctuation.
    word: &'a str,
    /// Byte start of the raw token in the text.
    start: usize,
    /// Byte end of the raw token in the text.
    end: usize,
}

fn tokenize<'a>(text: &'a str) -> Vec<Token<'a>> {
    // About one token per six bytes of prose.
    let mut tokens = Vec::with_capacity(text.len() / 6);
    let mut start: Option<usize> = None;
    let push = |tokens: &mut Vec<Token<'a>>, s: usize, e: usize| {
        let raw = &text[s..e];
        let word = raw.trim_matches(|c: char| {
            matches!(
                c,
                ',' | ';' | ':' | '(' | ')' | '"' | '|' | '·' | '•' | '*' | '[' | ']'
            )
        });
        let word = word.trim_end_matches('.');
        if !word.is_empty() {
            tokens.push(Token {
                word,
                start: s,
                end: e,
            });
        }
    };
    // Byte by byte: an ASCII byte is its own character, and only the bytes
    // that start a multi-byte character are decoded (was `char_indices`
    // over the whole body, #17 G4). The separators are the same:
    // `char::is_whitespace` (U+000B included, unlike
    // `u8::is_ascii_whitespace`), `|`, `•` and `·`.
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (separator, width) = if b < 0x80 {
            (matches!(b, b'\t'..=b'\r' | b' ' | b'|'), 1)
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            (c.is_whitespace() || c == '•' || c == '·', c.len_utf8())
        };
        if separator {
            if let Some(s) = start.take() {
                push(&mut tokens, s, i);
            }
        } else if start.is_none() {
            start = Some(i);
        }
        i += width;
    }
    if let Some(s) = start {
        push(&mut tokens, s, text.len());
    }
    tokens
}

fn is_house_number(w: &str) -> bool {
    let digits = w.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 6 {
        return false;
    }
    let rest = &w[digits..];
    rest.is_empty()
        || (rest.len() == 1 && rest.chars().all(|c| c.is_ascii_alphabetic()))
        || (rest.starts_with('-')
            && rest[1..].chars().all(|c| c.is_ascii_digit())
            && rest.len() <= 5)
        || (rest.starts_with('-')
            && rest.len() == 2
            && rest[1..].chars().all(|c| c.is_ascii_alphabetic()))
}

fn lower(w: &str) -> String {
    crate::text::lower(w)
}

/// `lower(w) == target` for a lower-case `target`, without building the
/// lower-cased copy ([`crate::text::lower`] keeps the byte length).
fn lower_is(w: &str, target: &str) -> bool {
    // ASCII lower-cases by ASCII rules alone (both sides: `target` is
    // lower case already), and nearly every word is ASCII.
    w.len() == target.len()
        && match w.is_ascii() {
            true => w.eq_ignore_ascii_case(target),
            false => w.chars().map(crate::text::lower_char).eq(target.chars()),
        }
}

/// `lower(w).ends_with(ending)` for a lower-case `ending`, without the copy.
fn lower_ends_with(w: &str, ending: &str) -> bool {
    let Some(at) = w.len().checked_sub(ending.len()) else {
        return false;
    };
    w.is_char_boundary(at) && lower_is(&w[at..], ending)
}

/// `list.contains(&lower(w).as_str())`, without the copy. An ASCII word
/// (nearly all) is lower-cased once onto the stack and compared byte for
/// byte: the 1 MB bench body has a house-number-like word on every line,
/// and folding it again for each of the 56 street suffixes was a fifth of
/// the whole analysis (#17 G4).
fn lower_in(w: &str, list: &[&str]) -> bool {
    let mut buf = [0u8; 16];
    match w.as_bytes() {
        // Longer than every entry of the tables (at most 10 octets).
        b if b.len() > buf.len() => false,
        b if b.is_ascii() => {
            let lowered = &mut buf[..b.len()];
            lowered.copy_from_slice(b);
            lowered.make_ascii_lowercase();
            // First byte, then the rest: most words share a length with
            // some entry, and a `memcmp` call per entry was the cost.
            list.iter().any(|t| {
                let t = t.as_bytes();
                t.len() == lowered.len() && t.first() == lowered.first() && t == &*lowered
            })
        }
        _ => list.iter().any(|t| lower_is(w, t)),
    }
}

/// A street line ending at the returned token index, starting at `i`.
fn street_at(tokens: &[Token<'_>], i: usize) -> Option<usize> {
    let w = tokens[i].word;
    if is_house_number(w) {
        // "12 rue de la Paix"
        if let Some(next) = tokens.get(i + 1) {
            if lower_in(next.word, STREET_PREFIX_WORDS) {
                return Some(i + 1);
            }
        }
        // "123 Main St", "1600 Martin Luther King Jr Blvd"
        for j in i + 2..=(i + 6).min(tokens.len().saturating_sub(1)) {
            if lower_in(tokens[j].word, STREET_SUFFIXES) {
                let between_ok = tokens[i + 1..j].iter().all(|t| {
                    t.word.chars().any(|c| c.is_alphabetic())
                        && t.word
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '.' || c == '\'' || c == '-')
                });
                if between_ok {
                    return Some(j);
                }
            }
            if tokens[j].word.chars().all(|c| c.is_ascii_digit()) {
                break;
            }
        }
        // "1585 Broadway"
        if tokens
            .get(i + 1)
            .is_some_and(|t| lower_is(t.word, "broadway"))
        {
            return Some(i + 1);
        }
    }
    // "Musterstraße 12", "Hauptstr. 5", "Bahnhofstrasse 1", "Keizersgracht 123"
    if !tokens.get(i + 1).is_some_and(|t| is_house_number(t.word)) {
        return None;
    }
    let is_ending = STREET_ENDINGS
        .iter()
        .any(|e| w.len() > e.len() + 1 && lower_ends_with(w, e))
        || (lower_in(w, STREET_ENDINGS)
            && i > 0
            && tokens[i - 1]
                .word
                .chars()
                .next()
                .is_some_and(char::is_uppercase));
    is_ending.then_some(i + 1)
}

/// A PO Box at `i` ("PO Box 12", "P.O. Box 12", "P. O. Box 12", "Post
/// Office Box 12", "POB 12", "Postfach 12 34"), ending at the returned index.
fn po_box_at(tokens: &[Token<'_>], i: usize) -> Option<usize> {
    // Every form starts with "p" once lower-cased without dots, and a
    // word is never only dots (tokenize trims trailing ones): any other
    // first letter cannot match, and that is nearly every word.
    let first = tokens[i].word.chars().find(|&c| c != '.')?;
    if crate::text::lower_char(first) != 'p' {
        return None;
    }
    let mut joined = String::new();
    for (k, t) in tokens.iter().enumerate().skip(i).take(4) {
        joined.push_str(&lower(t.word).replace('.', ""));
        let is_box = matches!(
            joined.as_str(),
            "pobox" | "postofficebox" | "pob" | "postfach" | "pmb"
        );
        if is_box {
            let number = tokens.get(k + 1)?;
            return is_house_number(&number.word.replace('#', "")).then_some(k + 1);
        }
        if joined.len() > 13 {
            break;
        }
    }
    None
}

fn is_us_zip(w: &str) -> bool {
    let (five, plus) = w.split_once('-').unwrap_or((w, ""));
    five.len() == 5
        && five.chars().all(|c| c.is_ascii_digit())
        && (plus.is_empty() || (plus.len() == 4 && plus.chars().all(|c| c.is_ascii_digit())))
}

fn is_ca_postal(a: &str, b: Option<&str>) -> bool {
    let pattern = |s: &str, letter_first: bool| {
        s.len() == 3
            && s.chars().enumerate().all(|(k, c)| {
                if (k % 2 == 0) == letter_first {
                    c.is_ascii_uppercase()
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    (a.len() == 6 && a.is_ascii() && pattern(&a[..3], true) && pattern(&a[3..], false))
        || (pattern(a, true) && b.is_some_and(|b| pattern(b, false)))
}

fn is_uk_postcode(a: &str, b: Option<&str>) -> bool {
    // Outward code: A9, A99, AA9, AA99, A9A, AA9A; inward code: 9AA.
    let outward = |s: &str| {
        let c: Vec<char> = s.chars().collect();
        (2..=4).contains(&c.len())
            && c[0].is_ascii_uppercase()
            && c.iter().any(|x| x.is_ascii_digit())
            && c.iter()
                .all(|x| x.is_ascii_uppercase() || x.is_ascii_digit())
            && c.iter()
                .position(|x| x.is_ascii_digit())
                .is_some_and(|p| p <= 2)
    };
    let inward = |s: &str| {
        let c: Vec<char> = s.chars().collect();
        c.len() == 3
            && c[0].is_ascii_digit()
            && c[1].is_ascii_uppercase()
            && c[2].is_ascii_uppercase()
    };
    match b {
        Some(b) if outward(a) && inward(b) => true,
        _ => {
            a.len() >= 5
                && a.is_char_boundary(a.len() - 3)
                && outward(&a[..a.len() - 3])
                && inward(&a[a.len() - 3..])
        }
    }
}

fn is_capitalised_word(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase)
        && w.chars()
            .all(|c| c.is_alphabetic() || c == '-' || c == '.' || c == '\'')
}

/// Unit designators whose number must not be read as a postal code.
const UNIT_WORDS: &[&str] = &[
    "suite",
    "ste",
    "unit",
    "apt",
    "apartment",
    "floor",
    "fl",
    "room",
    "rm",
    "#",
    "no",
    "bldg",
    "building",
    "dept",
];

/// A locality line at `k`: returns the end index when it matches. North
/// American and UK forms only when `strict`; continental forms otherwise.
fn locality_at(tokens: &[Token<'_>], k: usize, strict: bool) -> Option<usize> {
    if strict {
        strict_locality_at(tokens, k)
    } else {
        continental_locality_at(tokens, k)
    }
}

fn strict_locality_at(tokens: &[Token<'_>], k: usize) -> Option<usize> {
    let w = tokens[k].word;
    let next = tokens.get(k + 1).map(|t| t.word);
    // US: "IL 62701" or "IL 62701-1234"
    if US_STATES.contains(&w) && next.is_some_and(is_us_zip) {
        return Some(k + 1);
    }
    // Canada: "ON M5V 2T6" / "ON M5V2T6"
    if CA_PROVINCES.contains(&w) {
        if let Some(n) = next {
            let after = tokens.get(k + 2).map(|t| t.word);
            if is_ca_postal(n, after) {
                return Some(if n.len() == 6 { k + 1 } else { k + 2 });
            }
        }
    }
    // UK: "SW1A 2AA" or "SW1A2AA"
    if is_uk_postcode(w, next) {
        return Some(
            if next.is_some_and(|n| is_uk_postcode(w, Some(n)) && n.len() == 3) {
                k + 1
            } else {
                k
            },
        );
    }
    None
}

fn continental_locality_at(tokens: &[Token<'_>], k: usize) -> Option<usize> {
    let w = tokens[k].word;
    let next = tokens.get(k + 1).map(|t| t.word);
    if k > 0 && lower_in(tokens[k - 1].word, UNIT_WORDS) {
        return None;
    }
    // Continental Europe: "10115 Berlin", "8001 Zürich", "75002 Paris", "D-10115 Berlin", "1012 AB Amsterdam"
    let digits = w
        .trim_start_matches(|c: char| c.is_ascii_uppercase())
        .trim_start_matches('-');
    if (4..=5).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        if let Some(n) = next {
            if n.len() == 2 && n.chars().all(|c| c.is_ascii_uppercase()) {
                if tokens
                    .get(k + 2)
                    .is_some_and(|t| is_capitalised_word(t.word))
                {
                    return Some(k + 2);
                }
            } else if is_capitalised_word(n) && !US_STATES.contains(&n) {
                return Some(k + 1);
            }
        }
    }
    None
}

/// Finds the first physical postal address in `text` and returns it as
/// written (street or box line through the postal code). Total.
pub fn find_postal_address(text: &str) -> Option<String> {
    let tokens = tokenize(text);
    for i in 0..tokens.len() {
        let Some(line_end) = street_at(&tokens, i).or_else(|| po_box_at(&tokens, i)) else {
            continue;
        };
        // The locality follows within a dozen tokens (city names, "Suite 200",
        // commas). North American and UK forms win over continental ones.
        let window = line_end + 1..(line_end + 14).min(tokens.len());
        for strict in [true, false] {
            for k in window.clone() {
                if let Some(end) = locality_at(&tokens, k, strict) {
                    let snippet = &text[tokens[i].start..tokens[end].end];
                    let cleaned: String = snippet.split_whitespace().collect::<Vec<_>>().join(" ");
                    return Some(cleaned.trim_end_matches([',', '.', ';']).to_string());
                }
            }
        }
    }
    None
}

#[cfg(test)]
#[path = "postal_tests.rs"]
mod tests;
