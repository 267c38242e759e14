//! upload-task: Taro's `uploadFile` / `UploadTask` for Node.js and Electron main, on napi-rs,
//! tokio and hyper (with reqwest's types for requests and responses). `lib/` adds the
//! Promise-shaped JavaScript API on top of [`task`]; docs/ARCHITECTURE.md walks one upload
//! through these modules.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod activity;
mod attempt;
mod body;
mod body_signals;
mod clients;
mod connector;
mod credentials;
mod deadline;
mod decoding;
mod environment;
mod error;
mod expect;
mod file_reader;
mod held_write;
mod keep_alive;
mod listeners;
mod multipart;
mod options;
mod pace;
mod phase;
mod profile;
mod progress;
mod proxy;
mod quic;
mod recent;
mod redirect;
mod response;
mod retry;
mod reuse;
mod roots;
mod socks;
mod task;
mod transport;
mod trust;
mod upload;
mod warmup;
mod warning;

/// Runs when the module is loaded in an environment (on its JavaScript thread): starts loading
/// the system's trusted roots in the background (`roots.rs`), so that the first HTTPS upload
/// does not wait for them.
#[napi_derive::napi(module_exports)]
pub fn start_loading_roots(_exports: napi::bindgen_prelude::Object) -> napi::Result<()> {
    roots::system_roots();
    Ok(())
}
