//! A message body as plain text, the way mail-parser 0.11's
//! `Message::body_text` gives it (HTML parts rendered to text), with the
//! named character reference table held compactly ([`super::html_entities`]).
//!
//! Why not call mail-parser: its table is a perfect-hash map that costs
//! about 40 KB raw (20 KB gzip) of the browser bundle, which has a size
//! budget (issue 7); the same 2125 entries here cost about half of that.
//! The conversion below follows mail-parser's `decoders/html.rs`
//! (Apache-2.0 OR MIT, Stalwart Labs) step by step, and the tests check
//! that both give identical text, entity by entity.

use std::borrow::Cow;

use mail_parser::{Message, PartType};

use super::html_entities::ENTITIES;

/// The text body part at `pos` (mail-parser's `text_body` list), with an
/// HTML part converted to text; `None` when there is no such text part.
/// Same answer as `Message::body_text`.
pub(crate) fn body_text<'x>(message: &'x Message<'x>, pos: usize) -> Option<Cow<'x, str>> {
    let part = message.text_part(u32::try_from(pos).ok()?)?;
    match &part.body {
        PartType::Text(text) => Some(Cow::Borrowed(text.as_ref())),
        PartType::Html(html) => Some(Cow::Owned(html_to_text(html))),
        _ => None,
    }
}

/// Looks up a named character reference (the part between `&` and `;`):
/// bisection over the sorted `name` + character + NUL entries.
pub(crate) fn lookup_entity(name: &[u8]) -> Option<char> {
    let table = ENTITIES.as_bytes();
    // `low` and `high` are always entry boundaries (an entry start or the
    // end of the table), so the entry around `middle` lies between them.
    let (mut low, mut high) = (0, table.len());
    while low < high {
        let middle = low + (high - low) / 2;
        let start = table[..middle]
            .iter()
            .rposition(|&b| b == 0)
            .map_or(0, |p| p + 1);
        let end = start + table[start..].iter().position(|&b| b == 0)?;
        let entry = &ENTITIES[start..end];
        let value = entry.chars().next_back()?;
        let key = &entry.as_bytes()[..entry.len() - value.len_utf8()];
        match key.cmp(name) {
            std::cmp::Ordering::Equal => return Some(value),
            std::cmp::Ordering::Less => low = end + 1,
            std::cmp::Ordering::Greater => high = start,
        }
    }
    None
}

/// Appends one text token, decoding it when it is a character reference
/// (`&name;`, `&#NN;`, `&#xHH;`).
fn add_html_token(result: &mut String, token: &[u8], add_space: bool) {
    if add_space {
        result.push(' ');
    }
    if let [b'&', entity @ .., b';'] = token {
        let character = if let [b'#', code @ ..] = entity {
            let (code, radix) = match code {
                [b'x' | b'X', code @ ..] => (code, 16),
                _ => (code, 10),
            };
            std::str::from_utf8(code)
                .ok()
                .and_then(|code| u32::from_str_radix(code, radix).ok())
                .map(|code| char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER))
        } else {
            lookup_entity(entity)
        };
        if let Some(character) = character {
            result.push(character);
            return;
        }
    }
    // Tokens are cut at ASCII bytes of valid UTF-8, so this never replaces.
    result.push_str(&String::from_utf8_lossy(token));
}

/// Renders HTML as text: drops tags, comments, `<head>`, `<style>`,
/// `<script>` and `<template>`; `<br>` and `</p>` become line breaks; runs
/// of white space become one space; character references are decoded.
pub(crate) fn html_to_text(input: &str) -> String {
    let mut result = String::with_capacity(input.len());
    let input = input.as_bytes();

    let mut in_tag = false;
    let mut in_head = false;
    let mut in_style = false;
    let mut in_script = false;
    let mut in_template = false;
    let mut in_comment = false;

    let mut is_token_start = true;
    let mut is_after_space = false;
    let mut is_tag_close = false;
    let mut is_new_line = true;

    let mut token_start = 0;
    let mut token_end = 0;

    let mut tag_token_pos = 0;
    let mut comment_pos = 0;

    for (pos, ch) in input.iter().enumerate() {
        if in_comment {
            match ch {
                b'-' => comment_pos += 1,
                b'>' if comment_pos == 2 => {
                    comment_pos = 0;
                    in_comment = false;
                    in_tag = false;
                    is_token_start = true;
                }
                _ => comment_pos = 0,
            }
            continue;
        }
        let hidden = in_head || in_style || in_script || in_template;
        match ch {
            b'<' => {
                if !in_tag && !hidden && !is_token_start {
                    add_html_token(
                        &mut result,
                        &input[token_start..token_end + 1],
                        is_after_space,
                    );
                    is_after_space = false;
                }
                tag_token_pos = 0;
                in_tag = true;
                is_token_start = true;
                is_tag_close = false;
                continue;
            }
            b'>' if in_tag => {
                if tag_token_pos == 1 {
                    match input.get(token_start..token_end + 1) {
                        Some(tag)
                            if tag.eq_ignore_ascii_case(b"br")
                                || (tag.eq_ignore_ascii_case(b"p") && is_tag_close) =>
                        {
                            result.push('\n');
                            is_after_space = false;
                            is_new_line = true;
                        }
                        Some(tag) if tag.eq_ignore_ascii_case(b"head") => in_head = !is_tag_close,
                        Some(tag) if tag.eq_ignore_ascii_case(b"style") => in_style = !is_tag_close,
                        Some(tag) if tag.eq_ignore_ascii_case(b"script") => {
                            in_script = !is_tag_close
                        }
                        Some(tag) if tag.eq_ignore_ascii_case(b"template") => {
                            in_template = !is_tag_close
                        }
                        _ => (),
                    }
                }
                in_tag = false;
                is_token_start = true;
                continue;
            }
            b'/' if in_tag => {
                if tag_token_pos == 0 {
                    is_tag_close = true;
                }
                continue;
            }
            b'!' if in_tag && tag_token_pos == 0 => {
                if let Some(b"--") = input.get(pos + 1..pos + 3) {
                    in_comment = true;
                    continue;
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {
                if !in_tag && !hidden {
                    if !is_token_start {
                        add_html_token(
                            &mut result,
                            &input[token_start..token_end + 1],
                            is_after_space && !is_new_line,
                        );
                        is_new_line = false;
                    }
                    is_after_space = true;
                }
                is_token_start = true;
                continue;
            }
            b'&' if !in_tag && !is_token_start && !in_head => {
                if hidden {
                    continue;
                }
                add_html_token(
                    &mut result,
                    &input[token_start..token_end + 1],
                    is_after_space && !is_new_line,
                );
                is_new_line = false;
                is_token_start = true;
                is_after_space = false;
            }
            b';' if !in_tag && !is_token_start && !in_head => {
                if hidden {
                    continue;
                }
                add_html_token(
                    &mut result,
                    &input[token_start..pos + 1],
                    is_after_space && !is_new_line,
                );
                is_token_start = true;
                is_after_space = false;
                is_new_line = false;
                continue;
            }
            _ => (),
        }
        if is_token_start {
            token_start = pos;
            is_token_start = false;
            if in_tag {
                tag_token_pos += 1;
            }
        }
        token_end = pos;
    }

    if !in_tag && !is_token_start && !in_head && !in_style && !in_script && !in_template {
        add_html_token(
            &mut result,
            &input[token_start..token_end + 1],
            is_after_space && !is_new_line,
        );
    }

    result.shrink_to_fit();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail_parser_text(html: &str) -> String {
        mail_parser::decoders::html::html_to_text(html)
    }

    #[test]
    fn every_entity_decodes_as_mail_parser_does() {
        let names: Vec<&str> = ENTITIES
            .split('\0')
            .filter(|e| !e.is_empty())
            .map(|e| &e[..e.len() - e.chars().next_back().unwrap().len_utf8()])
            .collect();
        assert_eq!(names.len(), 2125);
        assert!(
            names.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()),
            "not sorted"
        );
        for name in names {
            let html = format!("a &{name}; b&{name};c");
            assert_eq!(
                html_to_text(&html),
                mail_parser_text(&html),
                "entity {name}"
            );
            assert!(lookup_entity(name.as_bytes()).is_some(), "entity {name}");
        }
    }

    #[test]
    fn unknown_entities_stay_as_written() {
        for name in [
            "", "A", "AEli", "AEligx", "zzzz", "amp ", "\u{e9}", "0", "Zz", "aaaa",
        ] {
            assert_eq!(lookup_entity(name.as_bytes()), None, "input {name:?}");
        }
    }

    #[test]
    fn same_text_as_mail_parser() {
        let cases = [
            "",
            "plain",
            "<p>Hello&nbsp;world</p><p>Second &amp; third</p>",
            "<html><head><title>T</title></head><body>Body<br>line 2<BR/>x</body></html>",
            "<style>p{color:red}</style>After <script>var a = 1 &amp; 2;</script>done",
            "<template>hidden &amp;</template>shown",
            "a <!-- comment > still --> b <!-- x -- > y --> c",
            "&#65;&#x42;&#X43;&#1114112;&#xD800;&#;&#x;&#65",
            "&unknown; &amp &amp; &&amp;; a&b;c ;;",
            "Caf\u{e9} <b>gr\u{fc}\u{df}e</b>\t\r\n  spaced   out\n\n",
            "<a href=\"x&amp;y\">link</a> 123 Main St,&nbsp;Springfield",
            "<p>unterminated <b",
            "</p>x</P>y<p/>z",
            "<!-->-->after",
            "text & more; &amp",
            "<<>>",
        ];
        for html in cases {
            assert_eq!(html_to_text(html), mail_parser_text(html), "input {html:?}");
        }
    }

    #[test]
    fn body_text_matches_mail_parser() {
        let messages: [&[u8]; 3] = [
            b"From: a@b\r\nContent-Type: text/html\r\n\r\n<p>Hi &eacute; there</p>\r\n",
            b"From: a@b\r\nContent-Type: text/plain\r\n\r\nplain &amp; text\r\n",
            b"From: a@b\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nt\r\n--x\r\nContent-Type: text/html\r\n\r\n<b>h&rarr;</b>\r\n--x--\r\n",
        ];
        for raw in messages {
            let message = mail_parser::MessageParser::default().parse(raw).unwrap();
            for pos in 0..3 {
                assert_eq!(
                    body_text(&message, pos),
                    message.body_text(pos),
                    "pos {pos}"
                );
            }
        }
    }
}
