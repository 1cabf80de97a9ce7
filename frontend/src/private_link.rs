//! Private links: the pasted input travels in the URL fragment,
//! `#p=1.<base64url(deflate-raw(input))>`, so the server never sees it
//! (browsers do not send the fragment, RFC 3986 §3.5). Opening such a link
//! decompresses the input here and re-runs the analysis in WASM.
//!
//! Compression is raw DEFLATE (RFC 1951) done by the browser's own
//! `CompressionStream("deflate-raw")`, so no compressor is shipped in the
//! WASM bundle; base64url without padding is RFC 4648 §5. The `1.` is the
//! format version, so a later format can be told apart.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The fragment key and format version.
pub const PREFIX: &str = "p=1.";

/// The largest input a link may expand to: the analysis limit.
const MAX_INPUT: usize = mxlens_shared::message::MAX_INPUT_BYTES;

#[wasm_bindgen]
extern "C" {
    /// WHATWG Compression Streams (not yet in web-sys' stable API).
    type CompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<CompressionStream, JsValue>;

    type DecompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<DecompressionStream, JsValue>;
}

/// Runs `bytes` through a transform stream and collects the output, giving
/// up (with `None`) past `cap` bytes so a tiny link cannot expand into
/// gigabytes (a "deflate bomb").
async fn transform(
    bytes: &[u8],
    pair: &web_sys::ReadableWritablePair,
    cap: usize,
) -> Result<Option<Vec<u8>>, JsValue> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts)?;
    let reader = blob.stream().pipe_through(pair).get_reader();
    let read: js_sys::Function = js_sys::Reflect::get(&reader, &"read".into())?.dyn_into()?;
    let mut out = Vec::new();
    loop {
        let promise: js_sys::Promise = read.call0(&reader)?.dyn_into()?;
        let chunk = JsFuture::from(promise).await?;
        if js_sys::Reflect::get(&chunk, &"done".into())?.is_truthy() {
            return Ok(Some(out));
        }
        let value: js_sys::Uint8Array =
            js_sys::Reflect::get(&chunk, &"value".into())?.dyn_into()?;
        if out.len() + value.length() as usize > cap {
            if let Ok(cancel) = js_sys::Reflect::get(&reader, &"cancel".into()) {
                if let Ok(cancel) = cancel.dyn_into::<js_sys::Function>() {
                    let _ = cancel.call0(&reader);
                }
            }
            return Ok(None);
        }
        out.extend_from_slice(&value.to_vec());
    }
}

/// The fragment (without `#`) that carries `input`.
pub async fn encode(input: &str) -> Result<String, String> {
    let stream = CompressionStream::new("deflate-raw")
        .map_err(|_| "This browser cannot compress data (no CompressionStream), so it cannot make private links.".to_string())?;
    let compressed = transform(input.as_bytes(), stream.unchecked_ref(), usize::MAX)
        .await
        .map_err(|_| "The message could not be compressed for the link.".to_string())?
        .unwrap_or_default();
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(compressed)))
}

/// The input carried by a private-link fragment (without `#`), or a human
/// message saying why the link cannot be opened.
pub async fn decode(fragment: &str) -> Result<String, String> {
    let Some(payload) = fragment.strip_prefix("p=") else {
        return Err("This is not a private mxlens link.".into());
    };
    let Some(data) = payload.strip_prefix("1.") else {
        return Err("This private link was made by a different version of mxlens and cannot be opened here.".into());
    };
    let compressed = URL_SAFE_NO_PAD
        .decode(data.trim().trim_end_matches('='))
        .map_err(|_| {
            "This private link is damaged (it contains characters that do not belong in it). Check that it was copied completely.".to_string()
        })?;
    let stream = DecompressionStream::new("deflate-raw").map_err(|_| {
        "This browser cannot decompress data (no DecompressionStream), so it cannot open private links.".to_string()
    })?;
    let damaged = || {
        "This private link is damaged: its message could not be decompressed. Check that it was copied completely.".to_string()
    };
    let bytes = transform(&compressed, stream.unchecked_ref(), MAX_INPUT)
        .await
        .map_err(|_| damaged())?
        .ok_or_else(|| {
            format!(
                "This private link expands to more than {} KiB, more than mxlens analyses.",
                MAX_INPUT / 1024
            )
        })?;
    String::from_utf8(bytes).map_err(|_| damaged())
}

/// The private-link fragment of the current page (without `#`), if any.
pub fn fragment_from_location() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let fragment = hash.strip_prefix('#').unwrap_or(&hash);
    fragment.starts_with("p=").then(|| fragment.to_string())
}

/// Reloads the page when a private-link fragment is pasted into the address
/// bar of an open mxlens tab (only the fragment changes, so the browser does
/// not reload by itself). The listener lives as long as the page.
pub fn reload_on_new_fragment() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_change = Closure::<dyn FnMut()>::new(|| {
        if fragment_from_location().is_some() {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        }
    });
    let _ =
        window.add_event_listener_with_callback("hashchange", on_change.as_ref().unchecked_ref());
    on_change.forget();
}
