//! The mxlens browser app. Header analysis runs here, in WASM, with the same
//! `shared` code the server and the CLI use: a paste never leaves the machine.

mod api;
mod app;
mod components;
mod private_link;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
