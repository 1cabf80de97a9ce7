//! The analysis engine of the browser app, run in a Web Worker (issue #17
//! G3; the messages are in `protocol.rs`). It holds what makes a report
//! from a paste: `shared`'s message analysis, DKIM and ARC verification
//! (keys from `GET /api/dkim-key`, signatures checked by the worker's
//! WebCrypto: [`verify`]), the bounce reader and the SMTP reply explainer.
//! The page holds the views. A paste still never leaves the machine: it
//! goes from the page to this worker, in the same tab.

#[path = "../protocol.rs"]
mod protocol;
mod verify;

use js_sys::{Array, Reflect};
use mxlens_shared::message::analyze_message;
use mxlens_shared::report::transport::TransportSecurity;
use mxlens_shared::report::{
    Check, Checklists, Grade, MessageSection, Report, ReportKind, ReputationSection, Tool,
};
use mxlens_shared::smtp::{bounce, codes::find_replies};
use protocol::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// The report of `text` as of `now`, and its JSON, the form the page
/// decodes (`shared::report::decode`, the same reader as for the server's
/// reports); or the message that says why there is none.
fn analysis(text: &str, now: &str) -> Result<(Report, String), String> {
    let report = analyze_message(text.as_bytes(), now).map_err(|e| e.to_string())?;
    let json = report_json(&report);
    Ok((report, json))
}

/// A message report as JSON, written as `Report`'s derive writes it but
/// without the sections a message report never has (`domain`,
/// `delivery`: the analysis of a paste makes neither, and both are
/// skipped when absent): the engine would otherwise carry the serialisers
/// of every audit section it never writes (#17 G3: 5,448 bytes of gzip
/// when the rcpt, smtp and spf sections were typed).
/// The tests below hold it to `serde_json::to_string(&report)` for the
/// golden corpus.
#[derive(serde::Serialize)]
struct MessageReportJson<'a> {
    schema_version: u32,
    kind: &'a ReportKind,
    generated_at: &'a str,
    tool: &'a Tool,
    score: u8,
    grade: &'a Grade,
    coverage: u8,
    checks: &'a [Check],
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a MessageSection>,
    checklists: &'a Checklists,
    #[serde(skip_serializing_if = "Option::is_none")]
    transport: Option<&'a TransportSecurity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reputation: Option<&'a ReputationSection>,
}

fn report_json(report: &Report) -> String {
    let wire = MessageReportJson {
        schema_version: report.schema_version,
        kind: &report.kind,
        generated_at: &report.generated_at,
        tool: &report.tool,
        score: report.score,
        grade: &report.grade,
        coverage: report.coverage,
        checks: &report.checks,
        message: report.message.as_ref(),
        checklists: &report.checklists,
        transport: report.transport.as_ref(),
        reputation: report.reputation.as_ref(),
    };
    // A report always serialises (no maps with non-string keys, no
    // non-finite floats); an empty body would read as a decode error.
    serde_json::to_string(&wire).unwrap_or_default()
}

/// "Explain an SMTP error": the bounce as the bounce reader reads it, and
/// every SMTP reply found in `text`, as JSON (read by
/// `shared::report::decode::explained`).
fn explained(text: &str) -> String {
    serde_json::json!({
        "bounce": bounce::read(text.as_bytes()),
        "replies": find_replies(text),
    })
    .to_string()
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts `[id, kind, body]` to the page.
fn post(id: f64, kind: &str, body: &str) {
    let reply = Array::of3(&id.into(), &kind.into(), &body.into());
    let _ = scope().post_message(&reply);
}

/// A `performance.mark` on the page's timeline, which the UI benches read
/// (bench/ui-analyze.mjs, bench/ui-dkim.mjs). The worker's timeline is not
/// the page's, so the reply carries a fourth element, the time in
/// milliseconds since the epoch (`timeOrigin + now()`, High Resolution
/// Time §4), and the page puts the mark at that moment, not at when the
/// reply arrives.
pub fn mark(name: &str) {
    let at = scope()
        .performance()
        .map(|p| p.time_origin() + p.now())
        .unwrap_or(f64::NAN);
    // A number, not text: formatting and parsing floats would add their
    // code to both binaries (about 20 KB of gzip).
    let reply = Array::of4(&0.into(), &REPLY_MARK.into(), &name.into(), &at.into());
    let _ = scope().post_message(&reply);
}

/// A string member of a request, empty when absent.
fn member(request: &JsValue, key: &str) -> String {
    Reflect::get(request, &key.into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn handle(request: JsValue) {
    mark("mxlens:engine-received");
    let id = Reflect::get(&request, &"id".into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    let op = member(&request, "op");
    let text = member(&request, "text");
    match op.as_str() {
        OP_PSL => {
            // Lives as long as the worker; the suffix trie borrows from it.
            mxlens_shared::org_domain::supply_public_suffix_list(Box::leak(text.into_boxed_str()));
        }
        OP_ANALYZE => {
            let verify = Reflect::get(&request, &"verify".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if verify {
                LATEST_VERIFY.with(|latest| latest.set(id));
            }
            // A large paste's key requests go out first, so that their
            // answers come while it is analysed (#15, bench/ui-dkim.mjs);
            // a short one's follow its report.
            let early = (verify && text.len() >= LARGE_PASTE)
                .then(|| verify::request_keys(text.as_bytes()));
            match analysis(&text, &member(&request, "now")) {
                Ok((report, json)) => {
                    mark("mxlens:engine-analysed");
                    post(id, REPLY_REPORT, &json);
                    if verify {
                        let requests =
                            early.unwrap_or_else(|| verify::request_keys(text.as_bytes()));
                        wasm_bindgen_futures::spawn_local(verify_later(id, text, report, requests));
                        return;
                    }
                }
                Err(e) => post(id, REPLY_ERROR, &e),
            }
        }
        OP_EXPLAIN => post(id, REPLY_EXPLAINED, &explained(&text)),
        _ => post(id, REPLY_ERROR, &format!("unknown operation {op:?}")),
    }
    if op != OP_PSL {
        post(id, REPLY_DONE, "");
    }
}

thread_local! {
    /// The id of the last request that asked for verification.
    static LATEST_VERIFY: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// Verifies the signatures of request `id`'s message and sends its report
/// again with the verdicts, unless a later request asked for verification
/// meanwhile: the page shows only the last one, so the work (and the
/// report's serialisation and decoding) would be for nothing.
async fn verify_later(id: f64, text: String, report: Report, requests: verify::KeyRequests) {
    let wanted = || LATEST_VERIFY.with(|latest| latest.get()) == id;
    let verification = verify::verify_input(&text, requests, verify::unix_now(), wanted).await;
    if let Some(verification) = verification.filter(|_| wanted()) {
        let verified = verify::with_verification(report, &verification);
        post(id, REPLY_VERIFIED, &report_json(&verified));
    }
    post(id, REPLY_DONE, "");
}

fn main() {
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| handle(e.data()));
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // Lives as long as the worker.
    on_message.forget();
    post(0.0, REPLY_READY, "");
}

// Native only: the corpus is read from disk.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    //! What the worker sends is what the page reads: the report and the
    //! explanation go through JSON and `shared::report::decode` (the page's
    //! decoder) and must come back equal, for the golden corpus and every
    //! sisimai bounce.
    use super::*;
    use mxlens_shared::report::decode;
    use std::path::Path;

    fn files(dir: &Path, ext: &str) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return out;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files(&path, ext));
            } else if path.extension().and_then(|e| e.to_str()) == Some(ext) {
                out.push(path);
            }
        }
        out.sort();
        out
    }

    const MESSAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/messages");
    const SISIMAI: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/conformance/sisimai"
    );

    #[test]
    fn the_page_decodes_the_workers_reports_exactly() {
        let mut corpus = files(Path::new(MESSAGES), "eml");
        assert!(corpus.len() >= 30, "only {} messages", corpus.len());
        // And every sisimai bounce (message.bounce).
        corpus.extend(files(Path::new(SISIMAI), "eml"));
        let mut checked = 0;
        for path in &corpus {
            let raw = std::fs::read(path).unwrap();
            let text = String::from_utf8_lossy(&raw);
            let Ok((report, json)) = analysis(&text, "2026-01-01T00:00:00Z") else {
                continue;
            };
            assert!(report.domain.is_none() && report.delivery.is_none());
            assert_eq!(
                json,
                serde_json::to_string(&report).unwrap(),
                "{}",
                path.display()
            );
            let decoded = decode::parse(&json).and_then(|v| decode::report(&v));
            assert_eq!(decoded.as_ref(), Ok(&report), "{}", path.display());
            checked += 1;
        }
        assert!(checked >= 500, "only {checked} reports decoded");
    }

    #[test]
    fn the_page_decodes_the_workers_explanations_exactly() {
        let mut inputs: Vec<String> = files(Path::new(SISIMAI), "eml")
            .iter()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
            .collect();
        assert!(
            inputs.len() >= 400,
            "only {} sisimai bounces under {SISIMAI}",
            inputs.len()
        );
        inputs.push("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown".into());
        inputs.push("421-4.7.0 Try again later\r\n421 4.7.0 closing connection".into());
        inputs.push(String::new());
        let (mut bounces, mut replies) = (0, 0);
        for text in &inputs {
            let json = explained(text);
            let decoded = decode::parse(&json).and_then(|v| decode::explained(&v));
            let expected = (bounce::read(text.as_bytes()), find_replies(text));
            bounces += usize::from(expected.0.is_some());
            replies += expected.1.len();
            assert_eq!(decoded, Ok(expected), "{}", &text[..text.len().min(200)]);
        }
        assert!(bounces >= 400, "only {bounces} bounces read");
        assert!(replies >= 400, "only {replies} replies explained");
    }
}
