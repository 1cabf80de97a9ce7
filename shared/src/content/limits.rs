//! Every cap of the content analysis in one place. Each one bounds work or
//! memory on hostile input (a message is at most 1 MiB, but a delivered
//! message analysed by the server, or base64 expanding to text, may be
//! larger), and each has a test with input that crosses it.

/// Bytes of one HTML part that are scanned; the rest is not read, and the
/// report says so.
pub const MAX_HTML_SCAN_BYTES: usize = 4 * 1024 * 1024;

/// Bytes of one plain-text part searched for URLs.
pub const MAX_TEXT_SCAN_BYTES: usize = 4 * 1024 * 1024;

/// Open elements tracked; deeper nesting is still scanned, but hidden
/// content deeper than this is no longer told apart.
pub const MAX_HTML_DEPTH: usize = 512;

/// Links (and image sources) kept per part. Every link is still counted.
pub const MAX_LINKS: usize = 5_000;

/// Links listed in the report's link table (distinct hrefs, first seen
/// first). The counts and the checks cover every link.
pub const MAX_REPORTED_LINKS: usize = 200;

/// Distinct link and image host names the report lists for the
/// reputation lookups; the server looks up at most this many.
pub const MAX_LINK_DOMAINS: usize = 50;

/// Bytes of link text kept.
pub const MAX_ANCHOR_TEXT_BYTES: usize = 256;

/// Distinct words kept per alternative for the consistency check.
pub const MAX_WORDS: usize = 4_096;

/// MIME parts looked at; a message with more gets a finding.
pub const MAX_PARTS: usize = 500;

/// Attachments listed in the report.
pub const MAX_REPORTED_ATTACHMENTS: usize = 50;

/// Bytes of an attachment searched for a macro project (the names of ZIP
/// entries and OLE streams sit near the start and the end).
pub const MAX_SNIFF_BYTES: usize = 8 * 1024 * 1024;
