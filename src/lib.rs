//! upload-task: Taro's `uploadFile` / `UploadTask` for Node.js and Electron main, on napi-rs,
//! tokio and reqwest. `index.js` adds the Promise-shaped JavaScript API on top of [`task`];
//! docs/ARCHITECTURE.md walks one upload through these modules.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod activity;
mod body;
mod environment;
mod error;
mod file_reader;
mod listeners;
mod multipart;
mod options;
mod pace;
mod profile;
mod progress;
mod response;
mod retry;
mod reuse;
mod task;
mod upload;
mod warmup;
mod warning;
