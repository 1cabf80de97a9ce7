//! The messages between the page (the UI shell, `crate::engine` of the
//! `frontend` binary) and the engine worker (the `engine` binary), shared
//! by both binaries through `#[path]`.
//!
//! Why a worker (issue #17 G3): the analysis engine (the message analysis,
//! DKIM/ARC verification, the bounce reader, the SMTP reply explainer) is
//! about half of the app's WebAssembly. In a Web Worker of its own it
//! downloads and compiles off the page's critical path, and a long paste
//! no longer freezes the page while it is analysed. The page keeps the
//! views, the report decoder (`shared::report::decode`), the Markdown
//! export and the combined report.
//!
//! A request, page to worker, is a JS object `{id, op, text, now, verify}`
//! (`id` a number, the rest strings and a boolean). Every reply, worker to
//! page, is a three-element array `[id, kind, body]`: `kind` one of the
//! `REPLY_*` strings, `body` a string (JSON for reports). A request ends
//! with a [`REPLY_DONE`] reply; the page drops its waiter then.

/// Where the worker is loaded from: `frontend/engine-loader.js`, which
/// loads the `engine` binary (`index.html`, `data-type="worker"`). Worker
/// files keep their names (Trunk hashes only the page's own files).
#[allow(dead_code)] // Not used by the worker itself.
pub const WORKER_URL: &str = "/engine-loader.js";

/// A paste at least this long (bytes) is large (#15, bench/ui-dkim.mjs):
/// the worker sends its DKIM key requests before it analyses it, so that
/// the answers come while it runs, and the page waits a little for the
/// verdicts before it shows the report. A shorter one is analysed first
/// and its key requests follow: sending them costs a few milliseconds,
/// which a header block (the 64 KB budget of #7) must not wait for.
pub const LARGE_PASTE: usize = 128 * 1024;

/// The Public Suffix List's text, sent once by the page after it loaded it
/// (`text`), before any analysis.
pub const OP_PSL: &str = "psl";
/// Analyse the message `text` as of `now` (RFC 3339); with `verify`, also
/// check its DKIM signatures and ARC chain. A request with `verify`
/// supersedes the earlier ones: their verification, if it has not started,
/// is skipped (their report is no longer shown).
pub const OP_ANALYZE: &str = "analyze";
/// Read `text` as a bounce or SMTP error ("Explain an SMTP error").
pub const OP_EXPLAIN: &str = "explain";

/// The worker is running and reads requests (id 0, empty body). Requests
/// posted before it are queued by the page.
pub const REPLY_READY: &str = "ready";
/// The message report, JSON.
pub const REPLY_REPORT: &str = "report";
/// The message report again, with mxlens's own DKIM/ARC verdicts, JSON.
pub const REPLY_VERIFIED: &str = "verified";
/// The input could not be analysed: the message to show.
pub const REPLY_ERROR: &str = "error";
/// `{"bounce": <report's bounce section or null>, "replies": [..]}`.
pub const REPLY_EXPLAINED: &str = "explained";
/// The worker's WebAssembly could not be loaded (id 0, the reason; sent
/// by `engine-loader.js`).
#[allow(dead_code)] // Sent by the loader script, not by Rust.
pub const REPLY_FAILED: &str = "failed";
/// A `performance.mark` name for the page's timeline (the UI benches); the
/// reply has a fourth element, when the worker made it (ms since the
/// epoch).
pub const REPLY_MARK: &str = "mark";
/// The last reply of a request.
pub const REPLY_DONE: &str = "done";
