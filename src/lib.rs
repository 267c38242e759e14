//! upload-task: Taro's `uploadFile` / `UploadTask` for Node.js and Electron main, on napi-rs,
//! tokio and reqwest. `index.js` adds the Promise-shaped JavaScript API on top of [`task`].

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod body;
pub mod environment;
pub mod error;
pub mod file_reader;
pub mod listeners;
pub mod multipart;
pub mod options;
pub mod progress;
pub mod response;
pub mod task;
pub mod upload;
