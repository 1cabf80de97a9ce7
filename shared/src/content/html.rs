//! One bounded pass over an HTML body: the links with the text they show,
//! the images and their alt text, hidden text, forms, scripts and embedded
//! objects, and how much text a reader actually sees.
//!
//! Why not a full HTML5 tree builder (html5ever): it is far larger than the
//! browser bundle's budget allows, and none of these findings needs the
//! tree-construction algorithm; the tokenizer below follows the HTML
//! Living Standard §13.2.5 closely enough for tags, attributes, comments
//! and raw-text elements (`script`, `style`), and it is linear in the input
//! with every collection capped, so hostile HTML cannot make it slow.

use super::limits::{MAX_ANCHOR_TEXT_BYTES, MAX_HTML_DEPTH, MAX_HTML_SCAN_BYTES, MAX_LINKS};
use super::words::WordSet;

/// A link found in the HTML (`<a href>` or `<area href>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlLink {
    /// The href as written (character references decoded).
    pub href: String,
    /// The text the link shows, white space collapsed, capped.
    pub text: String,
    /// The link wraps an image.
    pub has_image: bool,
    /// The link sits inside hidden content.
    pub hidden: bool,
}

/// What one pass over an HTML body found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HtmlScan {
    /// Links, in order, at most [`MAX_LINKS`].
    pub links: Vec<HtmlLink>,
    /// Every link seen, beyond the cap too.
    pub links_seen: u32,
    /// `<img>` elements that are not 1×1 or 0×0 tracking pixels.
    pub images: u32,
    /// 0/1-pixel images (open tracking).
    pub tracking_pixels: u32,
    /// Content images without an `alt` attribute.
    pub images_without_alt: u32,
    /// Image sources (`src`), at most [`MAX_LINKS`].
    pub image_sources: Vec<String>,
    /// Characters of text a reader sees (white space and invisible
    /// padding such as `&zwnj;` left out).
    pub visible_chars: u32,
    /// Characters of text inside hidden elements.
    pub hidden_chars: u32,
    /// `<form>` elements.
    pub forms: u32,
    /// `<script>` elements, `on*=` event handlers and `javascript:` links.
    pub scripts: u32,
    /// `<iframe>`, `<object>`, `<embed>` and `<applet>` elements.
    pub embeds: u32,
    /// The nesting went deeper than [`MAX_HTML_DEPTH`].
    pub depth_capped: bool,
    /// The HTML was longer than [`MAX_HTML_SCAN_BYTES`]; the rest was not read.
    pub truncated: bool,
    /// The words of the visible text (for the text/HTML consistency check).
    pub words: WordSet,
}

/// Elements that never have content or an end tag (HTML §13.1.2).
fn is_void(name: &[u8]) -> bool {
    matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
    )
}

/// An element name, lower case, its first 9 bytes: every name this scan
/// acts on has at most 8, so a longer one never matches them.
type Name = [u8; 9];

fn name_key(name: &[u8]) -> Name {
    let mut key = [0u8; 9];
    for (k, b) in key.iter_mut().zip(name) {
        *k = b.to_ascii_lowercase();
    }
    key
}

/// One tag, tokenized.
struct Tag<'a> {
    key: Name,
    name_len: usize,
    closing: bool,
    self_closing: bool,
    attributes: Vec<(&'a [u8], &'a [u8])>,
}

impl Tag<'_> {
    /// The name, lower case (cut at 9 bytes).
    fn name(&self) -> &[u8] {
        &self.key[..self.name_len.min(self.key.len())]
    }

    fn attribute(&self, name: &str) -> Option<&[u8]> {
        self.attributes
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| *v)
    }
}

/// At most this many attributes of one tag are kept (the rest are skipped).
const MAX_ATTRIBUTES: usize = 64;

/// Tokenizes the tag starting at `start` (which holds `<`). Returns the tag
/// and the position after its `>`, or `None` when `<` does not open a tag
/// (then it is text, HTML §13.2.5.6).
fn read_tag(bytes: &[u8], start: usize) -> Option<(Tag<'_>, usize)> {
    let mut i = start + 1;
    let closing = bytes.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    if !bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let name_start = i;
    while i < bytes.len()
        && !matches!(
            bytes[i],
            b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'
        )
    {
        i += 1;
    }
    let mut tag = Tag {
        key: name_key(&bytes[name_start..i]),
        name_len: i - name_start,
        closing,
        self_closing: false,
        attributes: Vec::new(),
    };
    loop {
        while i < bytes.len() && matches!(bytes[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ') {
            i += 1;
        }
        match bytes.get(i) {
            None => return Some((tag, bytes.len())),
            Some(b'>') => return Some((tag, i + 1)),
            Some(b'/') => {
                tag.self_closing = bytes.get(i + 1) == Some(&b'>');
                i += 1;
                continue;
            }
            _ => {}
        }
        let attr_start = i;
        while i < bytes.len()
            && !matches!(
                bytes[i],
                b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>' | b'='
            )
        {
            i += 1;
        }
        // A lone `=` or `"` where a name should be still advances.
        if i == attr_start {
            i += 1;
        }
        let attr_name = &bytes[attr_start..i];
        while i < bytes.len() && matches!(bytes[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ') {
            i += 1;
        }
        let mut value: &[u8] = b"";
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && matches!(bytes[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ') {
                i += 1;
            }
            match bytes.get(i) {
                Some(&quote @ (b'"' | b'\'')) => {
                    let value_start = i + 1;
                    let end = bytes[value_start..]
                        .iter()
                        .position(|&b| b == quote)
                        .map_or(bytes.len(), |p| value_start + p);
                    value = &bytes[value_start..end];
                    i = (end + 1).min(bytes.len());
                }
                _ => {
                    let value_start = i;
                    while i < bytes.len()
                        && !matches!(bytes[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'>')
                    {
                        i += 1;
                    }
                    value = &bytes[value_start..i];
                }
            }
        }
        if tag.attributes.len() < MAX_ATTRIBUTES {
            tag.attributes.push((attr_name, value));
        }
    }
}

/// The position of `needle` (ASCII, lower case) in `bytes` from `from`,
/// ignoring ASCII case.
fn find_ignore_case(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= bytes.len() {
        if bytes[i].to_ascii_lowercase() == first
            && bytes[i..i + needle.len()].eq_ignore_ascii_case(needle)
        {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// True when an inline style hides the element's content: `display:none`,
/// `visibility:hidden`, a zero font size, zero opacity, zero height with
/// overflow hidden, or a text colour equal to the background colour.
/// (`mso-hide:all` hides from Outlook only and is left alone.)
pub(crate) fn style_hides(style: &[u8]) -> bool {
    let compact: Vec<u8> = style
        .iter()
        .filter(|b| !b.is_ascii_whitespace())
        .map(u8::to_ascii_lowercase)
        .collect();
    let has = |needle: &[u8]| compact.windows(needle.len()).any(|w| w == needle);
    let zero_value = |property: &[u8]| {
        compact.windows(property.len()).enumerate().any(|(at, w)| {
            w == property && {
                let rest = &compact[at + property.len()..];
                rest.first() == Some(&b'0')
                    && !rest
                        .get(1)
                        .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
                    || rest.starts_with(b"1px")
            }
        })
    };
    if has(b"display:none") || has(b"visibility:hidden") {
        return true;
    }
    if (zero_value(b"font-size:") && !has(b"font-size:1px;line")) || zero_value(b"opacity:") {
        return true;
    }
    if (zero_value(b"max-height:") || zero_value(b";height:") || compact.starts_with(b"height:0"))
        && has(b"overflow:hidden")
    {
        return true;
    }
    let value_of = |property: &[u8]| -> Option<&[u8]> {
        let mut from = 0;
        while let Some(at) = compact[from..]
            .windows(property.len())
            .position(|w| w == property)
        {
            let at = from + at;
            // Only a whole property name (`color`, not `background-color`).
            if at == 0 || compact[at - 1] == b';' {
                let rest = &compact[at + property.len()..];
                let end = rest.iter().position(|&b| b == b';').unwrap_or(rest.len());
                return Some(&rest[..end]);
            }
            from = at + 1;
        }
        None
    };
    let background = value_of(b"background-color:").or_else(|| value_of(b"background:"));
    matches!((value_of(b"color:"), background), (Some(fg), Some(bg)) if !fg.is_empty() && fg == bg)
}

/// Invisible padding that preheaders use: it is not text a reader sees.
fn is_invisible_reference(name: &[u8]) -> bool {
    if name.len() > 6 {
        return false;
    }
    let mut lower = [0u8; 6];
    for (l, b) in lower.iter_mut().zip(name) {
        *l = b.to_ascii_lowercase();
    }
    matches!(
        &lower[..name.len()],
        b"nbsp"
            | b"zwnj"
            | b"zwj"
            | b"#160"
            | b"#xa0"
            | b"#8203"
            | b"#x200b"
            | b"#8204"
            | b"#x200c"
            | b"#847"
            | b"#x34f"
            | b"shy"
            | b"#173"
    )
}

/// One open element: its name and whether it hides its content.
struct Open {
    name: Name,
    hides: bool,
}

/// Scans `html` once. Never panics; linear in the input, at most
/// [`MAX_HTML_SCAN_BYTES`] of it.
pub fn scan_html(html: &str) -> HtmlScan {
    let mut scan = HtmlScan::default();
    let mut bytes = html.as_bytes();
    if bytes.len() > MAX_HTML_SCAN_BYTES {
        bytes = &bytes[..MAX_HTML_SCAN_BYTES];
        scan.truncated = true;
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut hidden_depth = 0u32;
    let mut anchor: Option<HtmlLink> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'<' {
            if bytes[i..].starts_with(b"<!--") {
                i = find_ignore_case(bytes, i + 4, b"-->").map_or(bytes.len(), |p| p + 3);
                continue;
            }
            if matches!(bytes.get(i + 1), Some(b'!' | b'?')) {
                i = bytes[i..]
                    .iter()
                    .position(|&c| c == b'>')
                    .map_or(bytes.len(), |p| i + p + 1);
                continue;
            }
            if let Some((tag, next)) = read_tag(bytes, i) {
                i = next;
                let hidden = hidden_depth > 0;
                if tag.closing {
                    if tag.name() == b"a" {
                        finish_anchor(&mut scan, &mut anchor);
                    }
                    if let Some(at) = stack.iter().rposition(|o| o.name == tag.key) {
                        for open in stack.drain(at..) {
                            hidden_depth -= u32::from(open.hides);
                        }
                    }
                    continue;
                }
                i = start_tag(&mut scan, &tag, bytes, i, hidden, &mut anchor);
                let is_void = is_void(tag.name());
                if !is_void && !tag.self_closing {
                    let hides = tag.attribute("style").is_some_and(style_hides)
                        || tag.attribute("hidden").is_some();
                    if stack.len() < MAX_HTML_DEPTH {
                        hidden_depth += u32::from(hides);
                        stack.push(Open {
                            name: tag.key,
                            hides,
                        });
                    } else {
                        scan.depth_capped = true;
                    }
                }
                continue;
            }
        }
        // A character reference: one character.
        if b == b'&' {
            let mut width = 1;
            let mut visible = true;
            if let Some(end) = bytes[i + 1..].iter().take(12).position(|&c| c == b';') {
                width = end + 2;
                visible = !is_invisible_reference(&bytes[i + 1..i + 1 + end]);
            }
            text_run(
                &mut scan,
                &mut anchor,
                &bytes[i..i + width],
                hidden_depth > 0,
                visible,
            );
            i += width;
            continue;
        }
        // A run of text up to the next tag or reference, taken whole.
        let end = bytes[i + 1..]
            .iter()
            .position(|&c| c == b'<' || c == b'&')
            .map_or(bytes.len(), |p| i + 1 + p);
        text_run(
            &mut scan,
            &mut anchor,
            &bytes[i..end],
            hidden_depth > 0,
            true,
        );
        i = end;
    }
    finish_anchor(&mut scan, &mut anchor);
    scan.words.finish();
    scan
}

/// Counts a run of text (or one character reference when `run` starts
/// with `&`): its characters other than white space, as hidden or visible
/// (`visible` is false for invisible padding references), its words when
/// shown, and the text of the open link.
fn text_run(
    scan: &mut HtmlScan,
    anchor: &mut Option<HtmlLink>,
    run: &[u8],
    hidden: bool,
    visible: bool,
) {
    let chars = if run.first() == Some(&b'&') {
        u32::from(visible)
    } else {
        // UTF-8: count lead bytes, not continuation bytes (10xxxxxx).
        run.iter()
            .filter(|&&c| !c.is_ascii_whitespace() && c & 0xC0 != 0x80)
            .count() as u32
    };
    if hidden {
        scan.hidden_chars = scan.hidden_chars.saturating_add(chars);
    } else {
        scan.visible_chars = scan.visible_chars.saturating_add(chars);
        scan.words.feed(run);
    }
    if let Some(link) = anchor.as_mut() {
        push_text(&mut link.text, run);
    }
}

/// Handles a start tag; returns where scanning resumes (after the raw text
/// of `script`, `style`, `title` and `textarea`).
fn start_tag(
    scan: &mut HtmlScan,
    tag: &Tag<'_>,
    bytes: &[u8],
    next: usize,
    hidden: bool,
    anchor: &mut Option<HtmlLink>,
) -> usize {
    scan.words.boundary();
    for (name, value) in &tag.attributes {
        // Event handlers (HTML §8.1.8.2): onclick, onload, ...
        if name.len() > 2 && name[..2].eq_ignore_ascii_case(b"on") && !value.is_empty() {
            scan.scripts = scan.scripts.saturating_add(1);
        }
    }
    match tag.name() {
        b"a" | b"area" => {
            if let Some(href) = tag.attribute("href") {
                finish_anchor(scan, anchor);
                let href = super::words::decode_references(href);
                if super::links::starts_with_ignore_case(href.trim_start(), "javascript:") {
                    scan.scripts = scan.scripts.saturating_add(1);
                }
                let link = HtmlLink {
                    href,
                    text: String::new(),
                    has_image: false,
                    hidden,
                };
                if tag.name() == b"a" && !tag.self_closing {
                    *anchor = Some(link);
                } else {
                    *anchor = Some(link);
                    finish_anchor(scan, anchor);
                }
            }
        }
        b"img" => {
            let dimension = |name: &str| {
                tag.attribute(name).map(|v| {
                    let digits: Vec<u8> =
                        v.iter().copied().take_while(u8::is_ascii_digit).collect();
                    std::str::from_utf8(&digits)
                        .ok()
                        .and_then(|d| d.parse::<u32>().ok())
                        .unwrap_or(u32::MAX)
                })
            };
            let tiny = |d: Option<u32>| d.is_some_and(|d| d <= 1);
            let style_tiny = tag.attribute("style").is_some_and(style_hides);
            if tiny(dimension("width")) && tiny(dimension("height")) || style_tiny || hidden {
                scan.tracking_pixels = scan.tracking_pixels.saturating_add(1);
            } else {
                scan.images = scan.images.saturating_add(1);
                if tag.attribute("alt").is_none() {
                    scan.images_without_alt = scan.images_without_alt.saturating_add(1);
                }
            }
            if let Some(src) = tag.attribute("src") {
                if scan.image_sources.len() < MAX_LINKS {
                    scan.image_sources
                        .push(super::words::decode_references(src));
                }
            }
            if let Some(link) = anchor.as_mut() {
                link.has_image = true;
            }
        }
        b"form" => scan.forms = scan.forms.saturating_add(1),
        b"iframe" | b"object" | b"embed" | b"applet" | b"frame" | b"frameset" => {
            scan.embeds = scan.embeds.saturating_add(1)
        }
        b"script" | b"style" | b"title" | b"textarea" | b"xmp" | b"noembed" | b"noframes" => {
            if tag.name() == b"script" {
                scan.scripts = scan.scripts.saturating_add(1);
            }
            if tag.self_closing {
                return next;
            }
            // Raw text until the matching end tag (HTML §13.2.5.2-§13.2.5.3).
            let mut end_tag = b"</".to_vec();
            end_tag.extend_from_slice(tag.name());
            return find_ignore_case(bytes, next, &end_tag).unwrap_or(bytes.len());
        }
        _ => {}
    }
    next
}

/// Appends text bytes to an anchor's text, white space collapsed, capped.
fn push_text(text: &mut String, chunk: &[u8]) {
    if text.len() >= MAX_ANCHOR_TEXT_BYTES {
        return;
    }
    let decoded = if chunk.first() == Some(&b'&') {
        std::borrow::Cow::Owned(super::words::decode_references(chunk))
    } else {
        String::from_utf8_lossy(chunk)
    };
    for c in decoded.chars() {
        if text.len() >= MAX_ANCHOR_TEXT_BYTES {
            return;
        }
        if c.is_whitespace() || c == '\u{a0}' {
            if !text.is_empty() && !text.ends_with(' ') {
                text.push(' ');
            }
        } else {
            text.push(c);
        }
    }
}

fn finish_anchor(scan: &mut HtmlScan, anchor: &mut Option<HtmlLink>) {
    if let Some(mut link) = anchor.take() {
        link.text = link.text.trim().to_string();
        scan.links_seen = scan.links_seen.saturating_add(1);
        if scan.links.len() < MAX_LINKS {
            scan.links.push(link);
        }
    }
}
