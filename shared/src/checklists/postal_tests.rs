//! Tests of the postal address finder (a file of their own: the finder
//! and its tables stay under 600 lines).

use super::*;

#[test]
fn postal_table() {
    let cases: &[(&str, Option<&str>)] = &[
        (
            "Acme Inc, 123 Main St, Springfield, IL 62701",
            Some("123 Main St, Springfield, IL 62701"),
        ),
        (
            "Visit us: 500 Market Street, Suite 200, San Francisco, CA 94105-1234.",
            Some("500 Market Street, Suite 200, San Francisco, CA 94105-1234"),
        ),
        (
            "Example Co.\n1600 Martin Luther King Jr Blvd\nSte 4\nAustin, TX 78701\n",
            Some("1600 Martin Luther King Jr Blvd Ste 4 Austin, TX 78701"),
        ),
        (
            "P.O. Box 42, Springfield, IL 62701",
            Some("P.O. Box 42, Springfield, IL 62701"),
        ),
        (
            "PO Box 1234 | Anytown, NY 10001",
            Some("PO Box 1234 | Anytown, NY 10001"),
        ),
        (
            "Post Office Box 77, Portland, OR 97201",
            Some("Post Office Box 77, Portland, OR 97201"),
        ),
        (
            "1585 Broadway, New York, NY 10036",
            Some("1585 Broadway, New York, NY 10036"),
        ),
        (
            "Example Ltd, 10 Downing Street, London SW1A 2AA, United Kingdom",
            Some("10 Downing Street, London SW1A 2AA"),
        ),
        (
            "221B Baker Street, London NW1 6XE",
            Some("221B Baker Street, London NW1 6XE"),
        ),
        (
            "Beispiel GmbH, Musterstraße 12, 10115 Berlin",
            Some("Musterstraße 12, 10115 Berlin"),
        ),
        (
            "Hauptstr. 5, D-80331 München",
            Some("Hauptstr. 5, D-80331 München"),
        ),
        (
            "Bahnhofstrasse 1, 8001 Zürich",
            Some("Bahnhofstrasse 1, 8001 Zürich"),
        ),
        (
            "12 rue de la Paix, 75002 Paris",
            Some("12 rue de la Paix, 75002 Paris"),
        ),
        (
            "Keizersgracht 123, 1015 CJ Amsterdam",
            Some("Keizersgracht 123, 1015 CJ Amsterdam"),
        ),
        (
            "123 Main Street, Toronto, ON M5V 2T6",
            Some("123 Main Street, Toronto, ON M5V 2T6"),
        ),
        (
            "Postfach 10 20, 10115 Berlin",
            Some("Postfach 10 20, 10115 Berlin"),
        ),
        (
            "Postfach 1020, 10115 Berlin",
            Some("Postfach 1020, 10115 Berlin"),
        ),
        ("Save 20% on 3 items at our Main St store!", None),
        ("Call 555 1234 today. Offer ends 12 May 2025.", None),
        ("Springfield, IL 62701", None),
        ("We moved to 42 Elm Road.", None),
        ("", None),
        ("Unsubscribe | Privacy", None),
        (
            "Example Shop\n350 Fifth Avenue\nSuite 4100\nNew York, NY 10118\nUSA",
            Some("350 Fifth Avenue Suite 4100 New York, NY 10118"),
        ),
        (
            "Example Shop · 350 Fifth Avenue · Suite 4100 · New York, NY 10118 · USA",
            Some("350 Fifth Avenue · Suite 4100 · New York, NY 10118"),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(
            find_postal_address(input).as_deref(),
            *want,
            "input: {input:?}"
        );
    }
}

/// The tokenizer as it was (`char_indices`), kept as the reference the
/// byte-level one must agree with.
fn tokenize_by_chars(text: &str) -> Vec<(&str, usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut push = |s: usize, e: usize| {
        let word = text[s..e]
            .trim_matches(|c: char| {
                matches!(
                    c,
                    ',' | ';' | ':' | '(' | ')' | '"' | '|' | '·' | '•' | '*' | '[' | ']'
                )
            })
            .trim_end_matches('.');
        if !word.is_empty() {
            out.push((word, s, e));
        }
    };
    for (i, c) in text.char_indices() {
        if c.is_whitespace() || c == '|' || c == '•' || c == '·' {
            if let Some(s) = start.take() {
                push(s, i);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        push(s, text.len());
    }
    out
}

fn same_tokens(text: &str) {
    let fast: Vec<_> = tokenize(text)
        .into_iter()
        .map(|t| (t.word, t.start, t.end))
        .collect();
    assert_eq!(fast, tokenize_by_chars(text), "text: {text:?}");
}

#[test]
fn byte_tokenizer_matches_the_char_tokenizer() {
    for text in [
        "",
        " ",
        "a",
        "12 Main St.,\u{b}Springfield\u{c}IL\u{1c}62701",
        "Example · 350 Fifth Avenue•Suite 4100 | New York,\u{a0}NY\u{2003}10118\u{3000}USA",
        "\u{85}x\u{2028}y\u{2029}z\u{202f}w\u{205f}v\u{1680}u\u{180e}t",
        "Musterstraße 12, 10115 Berlin — café «x» ☃",
        "(\"[*a*]\"): ... ; . ,",
    ] {
        same_tokens(text);
    }
}

proptest::proptest! {
    #[test]
    fn byte_tokenizer_matches_on_any_text(text in "(?s).{0,200}") {
        same_tokens(&text);
    }

    #[test]
    fn byte_tokenizer_matches_on_separator_soup(
        text in "[ \t\n\u{b}\u{c}\r|•·\u{a0}\u{85}\u{2000}\u{3000}a1.,;:()\"*é€-]{0,80}"
    ) {
        same_tokens(&text);
    }
}

#[test]
fn lower_in_is_the_lower_cased_lookup() {
    for w in [
        "ST",
        "St",
        "street",
        "STRASSE",
        "Straße",
        "ALLÉE",
        "Allee",
        "expressway",
        "expresswayx",
        "",
        "é",
        "Rue",
        "RUE",
        "0123456789abcdefg",
    ] {
        for list in [
            STREET_SUFFIXES,
            STREET_PREFIX_WORDS,
            STREET_ENDINGS,
            UNIT_WORDS,
        ] {
            assert_eq!(
                lower_in(w, list),
                list.contains(&lower(w).as_str()),
                "{w:?}"
            );
        }
    }
}

#[test]
fn never_panics() {
    for input in [
        "1",
        "1 Main St ON ééé",
        "1 Main St ON é1é",
        "1 Main St SW1Aé 2AA",
        "1 Main St ééééé",
        "1 a",
        "PO",
        "P.O. Box",
        "€ 1 € St €",
        "ÄÖÜ 12345 Ü",
        "SW1A",
        "ON",
        "12 rue",
    ] {
        let _ = find_postal_address(input);
    }
}
