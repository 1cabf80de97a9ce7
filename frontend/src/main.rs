//! The mxlens browser app. Header analysis runs here, in WASM, with the same
//! `shared` code the server and the CLI use: a paste never leaves the machine.
//! This binary is the page (the views); the analysis runs in the `engine`
//! binary, a Web Worker of the same page ([`worker`], `protocol.rs`).

mod api;
mod app;
mod components;
mod hooks;
mod private_link;
mod protocol;
mod reputation;
mod worker;

use std::sync::atomic::{AtomicBool, Ordering};

/// Set when the Public Suffix List could not be loaded; the app says so.
pub static PSL_MISSING: AtomicBool = AtomicBool::new(false);

/// Fetches the Public Suffix List that Trunk copies beside the bundle
/// (`index.html`, `rel="copy-file"`), for the engine worker, which finds
/// organizational domains with it (the page does not). It is kept out of
/// the WASM to hold the bundle's size budget; it is a static file of the
/// app, so no user data goes anywhere.
async fn load_public_suffix_list() -> Result<String, String> {
    let reply = gloo_net::http::Request::get("/public_suffix_list.dat")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !reply.ok() {
        return Err(format!("HTTP {}", reply.status()));
    }
    reply.text().await.map_err(|e| e.to_string())
}

fn main() {
    wasm_bindgen_futures::spawn_local(async {
        let list = load_public_suffix_list().await;
        if let Err(e) = &list {
            web_sys::console::error_1(&format!("public suffix list: {e}").into());
            PSL_MISSING.store(true, Ordering::Relaxed);
        }
        yew::Renderer::<app::App>::new().render();
        // The engine worker starts once the page is drawn, so that its
        // download and compilation do not compete with the first render
        // (two cores here); it is ready long before a paste is. The list
        // is its first request: requests reach it in order.
        match list {
            Ok(text) => worker::supply_public_suffix_list(&text),
            Err(_) => worker::start(),
        }
    });
}
