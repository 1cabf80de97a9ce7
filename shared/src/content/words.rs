//! Words of a text, kept as hashes, to compare a message's plain-text and
//! HTML alternatives (RFC 2046 §5.1.4: the parts of multipart/alternative
//! are the same content in different formats), and character-reference
//! decoding for attribute values.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use super::limits::MAX_WORDS;

/// The distinct words (four letters or more, case folded) of a text, as
/// 64-bit FNV-1a hashes, at most [`MAX_WORDS`] of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WordSet {
    words: HashSet<u64, BuildHasherDefault<IdentityHasher>>,
    hash: u64,
    letters: u32,
    /// Words seen, beyond the cap too.
    pub total: u32,
}

/// The words are FNV-1a hashes already: hashing them again (SipHash) only
/// costs time. Other keys (link hosts and hrefs) get FNV-1a.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used for u64 keys; a plain FNV-1a for anything else (the
        // maps it serves hold at most a few thousand capped entries).
        if self.0 == 0 {
            self.0 = FNV_OFFSET;
        }
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl WordSet {
    /// The words of `text`.
    pub fn of(text: &str) -> Self {
        let mut set = WordSet::default();
        set.feed(text.as_bytes());
        set.finish();
        set
    }

    /// Feeds text bytes; a word runs over letters and digits (any non-ASCII
    /// byte counts as a letter, so accented words stay whole).
    pub fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            if b.is_ascii_alphanumeric() || b >= 0x80 {
                if self.letters == 0 {
                    self.hash = FNV_OFFSET;
                }
                self.hash = (self.hash ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(FNV_PRIME);
                self.letters = self.letters.saturating_add(1);
            } else {
                self.boundary();
            }
        }
    }

    /// Ends the current word (a tag boundary also ends one).
    pub fn boundary(&mut self) {
        if self.letters >= 4 {
            self.total = self.total.saturating_add(1);
            if self.words.len() < MAX_WORDS {
                self.words.insert(self.hash);
            }
        }
        self.letters = 0;
    }

    /// Ends the last word.
    pub fn finish(&mut self) {
        self.boundary();
    }

    /// Distinct words kept.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// No words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The share (0 to 100) of the smaller set's words found in the other.
    pub fn overlap_percent(&self, other: &WordSet) -> u32 {
        let (small, large) = if self.len() <= other.len() {
            (self, other)
        } else {
            (other, self)
        };
        if small.is_empty() {
            return 0;
        }
        let shared = small.words.intersection(&large.words).count();
        (shared * 100 / small.len()) as u32
    }
}

/// Decodes character references (`&amp;`, `&#38;`, `&#x26;`) in an
/// attribute value or text (HTML §13.5); anything else is kept as it is.
pub fn decode_references(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    if !text.contains('&') {
        return text.into_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.as_bytes().iter().take(34).position(|&b| b == b';');
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = if let Some(c) = common_entity(name) {
                Some(c)
            } else if let Some(code) = name.strip_prefix('#') {
                let (digits, radix) = match code.strip_prefix(['x', 'X']) {
                    Some(hex) => (hex, 16),
                    None => (code, 10),
                };
                u32::from_str_radix(digits, radix)
                    .ok()
                    .map(|n| char::from_u32(n).unwrap_or(char::REPLACEMENT_CHARACTER))
            } else {
                crate::message::html_text::lookup_entity(name.as_bytes())
            };
            c.map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The references mail HTML uses most, without the table search.
fn common_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "nbsp" => '\u{a0}',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_overlap() {
        let a = WordSet::of("Spring sale: every jacket half price this week");
        let b = WordSet::of("SPRING SALE - every JACKET at half price, this week only!");
        assert_eq!(
            a.len(),
            8,
            "spring sale every jacket half price this week: 4+ letters"
        );
        assert_eq!(a.overlap_percent(&b), 100);
        let c = WordSet::of("Your invoice is attached, please review quickly");
        assert_eq!(a.overlap_percent(&c), 0);
        assert_eq!(WordSet::default().overlap_percent(&a), 0);
    }

    #[test]
    fn references() {
        for (input, expected) in [
            ("a&amp;b", "a&b"),
            ("&#x68;ttp://x", "http://x"),
            ("&#104;ttp", "http"),
            ("&bogus; & &", "&bogus; & &"),
            ("&#xFFFFFFFF;", "\u{fffd}"),
            ("plain", "plain"),
        ] {
            assert_eq!(
                decode_references(input.as_bytes()),
                expected,
                "input: {input:?}"
            );
        }
    }
}
