// Starts the engine worker (frontend/src/engine/main.rs, the messages in
// frontend/src/protocol.rs): wasm-bindgen's glue, then the WebAssembly.
// When the WebAssembly cannot be fetched or compiled it says so to the
// page, which shows it instead of waiting for a report that will never
// come (frontend/src/worker.rs). Copied beside the bundle by Trunk
// (index.html); Trunk's own loader shim has no such reply.
importScripts('./engine.js');
wasm_bindgen({ module_or_path: './engine_bg.wasm' }).catch((e) => {
  postMessage([0, 'failed', String((e && e.message) || e)]);
});
