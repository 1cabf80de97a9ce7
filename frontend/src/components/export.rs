//! "Export JSON", "Export Markdown" and "Print" for every report. The JSON
//! is the report value itself; the Markdown comes from
//! `mxlens_shared::report::markdown::render`, the same text the API and the
//! CLI produce. Files are built in the browser (Blob + object URL): nothing
//! is sent anywhere.

use mxlens_shared::report::Report;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// `mxlens-<kind>-<date>.<extension>`, the date taken from `generated_at`.
pub fn file_name(report: &Report, extension: &str) -> String {
    let kind = report.kind.as_str();
    let date: String = report
        .generated_at
        .chars()
        .take(10)
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    format!("mxlens-{kind}-{date}.{extension}")
}

/// Offers `text` as a download named `name`. Returns a human message on failure.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let failed = |what: &str| {
        format!("The export could not be saved: the browser refused to create the file ({what}). Try again, or use Print to save a PDF.")
    };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| failed("no Blob support"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| failed("no object URL support"))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| failed("no document"))?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| failed("no link element"))?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    // The click has started the download; the URL is no longer needed.
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Shows a failed export inline, in the `role="alert"` line beside the
/// buttons that were clicked (an export error must never be silent, and a
/// dialog would block the page). The line is found from the clicked button,
/// so the buttons need no component state.
fn report_failure(event: &MouseEvent, message: &str) {
    match failure_line(event) {
        Some(line) => line.set_text_content(Some(message)),
        None => web_sys::console::error_1(&message.into()),
    }
}

fn failure_line(event: &MouseEvent) -> Option<web_sys::Element> {
    event
        .target_dyn_into::<web_sys::Element>()
        .and_then(|button| button.closest(".export").ok().flatten())
        .and_then(|group| group.query_selector(".export-error").ok().flatten())
}

/// Empties the failure line (a new attempt).
fn clear_failure(event: &MouseEvent) {
    if let Some(line) = failure_line(event) {
        line.set_text_content(None);
    }
}

/// The export and print buttons. A plain function, not a component: the
/// buttons hold no state, and each component type costs bundle size.
pub fn export_buttons(report: &Rc<Report>) -> Html {
    let export_json = {
        let report = report.clone();
        Callback::from(move |event: MouseEvent| {
            // Compact serde_json (already in the bundle for API calls), then
            // indented by the browser's JSON: no second serializer in WASM.
            let result = serde_json::to_string(&*report)
                .ok()
                .and_then(|compact| js_sys::JSON::parse(&compact).ok())
                .and_then(|value| {
                    js_sys::JSON::stringify_with_replacer_and_space(
                        &value,
                        &wasm_bindgen::JsValue::NULL,
                        &wasm_bindgen::JsValue::from_f64(2.0),
                    )
                    .ok()
                })
                .and_then(|text| text.as_string())
                .ok_or_else(|| "The report could not be written as JSON.".to_string())
                .and_then(|text| {
                    download(
                        &file_name(&report, "json"),
                        "application/json;charset=utf-8",
                        &text,
                    )
                });
            clear_failure(&event);
            if let Err(e) = result {
                report_failure(&event, &e);
            }
        })
    };
    let export_markdown = {
        let report = report.clone();
        Callback::from(move |event: MouseEvent| {
            let text = mxlens_shared::report::markdown::render(&report);
            clear_failure(&event);
            if let Err(e) = download(
                &file_name(&report, "md"),
                "text/markdown;charset=utf-8",
                &text,
            ) {
                report_failure(&event, &e);
            }
        })
    };
    let print = Callback::from(|_: MouseEvent| {
        let Some(w) = web_sys::window() else {
            return;
        };
        // Expand every check so the printout (or PDF) has the explanations
        // and fixes; the print stylesheet does the same for Ctrl+P.
        if let Some(document) = w.document() {
            let all = document.get_elements_by_tag_name("details");
            for i in 0..all.length() {
                if let Some(details) = all.item(i) {
                    let _ = details.set_attribute("open", "");
                }
            }
        }
        let _ = w.print();
    });
    html! {
        <div class="export" role="group" aria-label="Export">
            <button type="button" onclick={export_json}>{"Export JSON"}</button>
            <button type="button" onclick={export_markdown}>{"Export Markdown"}</button>
            <button type="button" onclick={print}>{"Print"}</button>
            <p class="export-error error" role="alert"></p>
        </div>
    }
}
