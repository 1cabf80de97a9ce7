//! A total lexer for `tag=value; tag=value` lists, the shape shared by
//! DKIM key records (RFC 6376 §3.2), DMARC (RFC 7489 §6.4), MTA-STS TXT
//! (RFC 8461 §3.1), TLS-RPT (RFC 8460 §3) and BIMI records.
//!
//! [`split_tags`] only splits and records byte spans; [`walk`] applies the
//! rules the versioned formats (MTA-STS, TLS-RPT, BIMI) share, and each
//! protocol's parser then decides what its own tags mean.

use crate::diagnostic::{Diagnostic, Span};

/// One `name=value` segment between semicolons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTag<'a> {
    /// The tag name, surrounding whitespace removed (case preserved).
    pub name: &'a str,
    /// Span of the name.
    pub name_span: Span,
    /// The value, surrounding whitespace removed; `""` when absent.
    pub value: &'a str,
    /// Span of the value (empty span right after `=` when the value is empty).
    pub value_span: Span,
    /// Whether the segment had an `=` at all.
    pub has_equals: bool,
    /// Span of the whole segment, without the `;`.
    pub span: Span,
}

/// A segment of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    /// A segment with non-whitespace content.
    Tag(RawTag<'a>),
    /// A segment that is empty or only whitespace.
    Empty {
        /// Where it is.
        span: Span,
        /// True for the segment after the final `;`.
        trailing: bool,
        /// True when it holds whitespace (not zero bytes).
        has_whitespace: bool,
    },
}

/// Folding whitespace as RFC 6376 §2.8 / RFC 5234 WSP allow it around tags.
pub fn is_wsp(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Trims [`is_wsp`] characters and returns the trimmed text with its offset
/// relative to `s`.
fn trim_with_offset(s: &str) -> (&str, usize) {
    let start = s.len() - s.trim_start_matches(is_wsp).len();
    let trimmed = s[start..].trim_end_matches(is_wsp);
    (trimmed, start)
}

/// Splits `input` at every `;`. Never fails; every byte belongs to exactly
/// one segment or separator.
pub fn split_tags(input: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut start = 0usize;
    let pieces: Vec<&str> = input.split(';').collect();
    let count = pieces.len();
    for (index, piece) in pieces.into_iter().enumerate() {
        let end = start + piece.len();
        let (trimmed, offset) = trim_with_offset(piece);
        if trimmed.is_empty() {
            segments.push(Segment::Empty {
                span: Span::new(start, end),
                trailing: index + 1 == count && index > 0,
                has_whitespace: !piece.is_empty(),
            });
        } else {
            let content_start = start + offset;
            match trimmed.find('=') {
                Some(eq) => {
                    let (name, name_off) = trim_with_offset(&trimmed[..eq]);
                    let (value, value_off) = trim_with_offset(&trimmed[eq + 1..]);
                    let name_start = content_start + name_off;
                    let value_start = content_start + eq + 1 + value_off;
                    segments.push(Segment::Tag(RawTag {
                        name,
                        name_span: Span::new(name_start, name_start + name.len()),
                        value,
                        value_span: Span::new(value_start, value_start + value.len()),
                        has_equals: true,
                        span: Span::new(start, end),
                    }));
                }
                None => segments.push(Segment::Tag(RawTag {
                    name: trimmed,
                    name_span: Span::new(content_start, content_start + trimmed.len()),
                    value: "",
                    value_span: Span::new(
                        content_start + trimmed.len(),
                        content_start + trimmed.len(),
                    ),
                    has_equals: false,
                    span: Span::new(start, end),
                })),
            }
        }
        start = end + 1;
    }
    segments
}

/// Splits `value` (which starts at byte `base` of the input) at `sep`,
/// trimming whitespace around each item. Returns `(item, span)` pairs,
/// empty items included.
pub fn split_list(value: &str, base: Span, sep: char) -> Vec<(&str, Span)> {
    let mut out = Vec::new();
    let mut start = base.start as usize;
    for piece in value.split(sep) {
        let (trimmed, offset) = trim_with_offset(piece);
        let s = start + offset;
        out.push((trimmed, Span::new(s, s + trimmed.len())));
        start += piece.len() + sep.len_utf8();
    }
    out
}

/// What is specific to one `v=…; tag=value` record format for [`walk`]:
/// its version tag and the stable codes and words of the rules every such
/// format shares.
#[derive(Debug, Clone, Copy)]
pub struct TagRecordSpec {
    /// The version the record must start with (`STSv1`, `TLSRPTv1`, `BIMI1`).
    pub version: &'static str,
    /// The RFC section the shared rules come from.
    pub rfc: &'static str,
    /// Code for an empty segment between semicolons.
    pub empty_code: &'static str,
    /// Code for a first tag that is not the version.
    pub version_code: &'static str,
    /// Code for a segment without `=`.
    pub malformed_code: &'static str,
    /// Code for whitespace around `=`; `None` where the format allows it.
    pub whitespace_code: Option<&'static str>,
    /// What a segment is called in messages: `field` or `tag`.
    pub segment_word: &'static str,
    /// What a well-formed segment is called: `name=value field`, `tag=value pair`.
    pub pair_words: &'static str,
    /// Whether the `v` tag name is matched without regard to case.
    pub fold_version_name: bool,
}

/// The tags of a versioned tag-list record, after the rules every format
/// shares: empty segments (a trailing `;` aside), whitespace around `=`
/// where forbidden, the version first, and segments without `=`, each
/// reported in `diags`. Returns whether the version tag was right and the
/// remaining `name=value` tags in order, for the format's own rules.
pub fn walk<'a>(
    input: &'a str,
    spec: &TagRecordSpec,
    diags: &mut Vec<Diagnostic>,
) -> (bool, Vec<RawTag<'a>>) {
    let mut version_ok = false;
    let mut first = true;
    let mut tags = Vec::new();
    for segment in split_tags(input) {
        let tag = match segment {
            Segment::Empty { span, trailing, .. } => {
                if !trailing {
                    diags.push(Diagnostic::error(
                        span,
                        spec.empty_code,
                        spec.rfc,
                        format!("empty {} between semicolons", spec.segment_word),
                    ));
                }
                continue;
            }
            Segment::Tag(tag) => tag,
        };
        if let Some(code) = spec.whitespace_code {
            if tag.has_equals && tag.value_span.start != tag.name_span.end + 1 {
                diags.push(Diagnostic::error(
                    tag.span,
                    code,
                    spec.rfc,
                    "no whitespace is allowed around `=`",
                ));
            }
        }
        if std::mem::replace(&mut first, false) {
            let is_v = if spec.fold_version_name {
                tag.name.eq_ignore_ascii_case("v")
            } else {
                tag.name == "v"
            };
            if is_v && tag.value == spec.version {
                version_ok = true;
            } else {
                diags.push(Diagnostic::error(
                    tag.span,
                    spec.version_code,
                    spec.rfc,
                    format!("the record must start with v={}", spec.version),
                ));
            }
            continue;
        }
        if !tag.has_equals {
            diags.push(Diagnostic::error(
                tag.span,
                spec.malformed_code,
                spec.rfc,
                format!("`{}` is not a {}", tag.name, spec.pair_words),
            ));
            continue;
        }
        tags.push(tag);
    }
    (version_ok, tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: TagRecordSpec = TagRecordSpec {
        version: "X1",
        rfc: "RFC 0",
        empty_code: "x.empty",
        version_code: "x.version",
        malformed_code: "x.malformed",
        whitespace_code: Some("x.space"),
        segment_word: "field",
        pair_words: "name=value field",
        fold_version_name: false,
    };

    #[test]
    fn walk_applies_the_shared_rules() {
        let mut diags = Vec::new();
        let (ok, tags) = walk("v=X1;; a = 1; junk; b=2;", &SPEC, &mut diags);
        assert!(ok);
        let names: Vec<&str> = tags.iter().map(|t| t.name).collect();
        assert_eq!(names, ["a", "b"]);
        let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["x.empty", "x.space", "x.malformed"]);

        let mut diags = Vec::new();
        let (ok, tags) = walk("V=X1; a=1", &SPEC, &mut diags);
        assert!(!ok, "the v tag is case-sensitive here");
        assert_eq!(tags.len(), 1);
        assert_eq!(diags[0].code, "x.version");
        let folded = TagRecordSpec {
            fold_version_name: true,
            whitespace_code: None,
            ..SPEC
        };
        let mut diags = Vec::new();
        assert!(walk("V=X1; a = 1", &folded, &mut diags).0);
        assert!(diags.is_empty(), "{diags:?}");
        let mut diags = Vec::new();
        assert_eq!(walk("", &SPEC, &mut diags), (false, vec![]));
    }

    #[test]
    fn splits_with_spans() {
        let input = "v = DKIM1 ; p=abc;";
        let segs = split_tags(input);
        assert_eq!(segs.len(), 3);
        match &segs[0] {
            Segment::Tag(t) => {
                assert_eq!(t.name, "v");
                assert_eq!(t.value, "DKIM1");
                assert_eq!(t.value_span.slice(input), "DKIM1");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            segs[2],
            Segment::Empty {
                trailing: true,
                has_whitespace: false,
                ..
            }
        ));
        let items = split_list("a , b,,c", Span::new(10, 18), ',');
        assert_eq!(
            items.iter().map(|i| i.0).collect::<Vec<_>>(),
            ["a", "b", "", "c"]
        );
        assert_eq!(items[1].1, Span::new(14, 15));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for input in ["", ";", ";;", "=", "==;", "é=ü; ;", "\u{0}"] {
            let _ = split_tags(input);
        }
    }
}
