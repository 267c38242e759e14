//! Where an upload is: connecting, sending, waiting for the response, or receiving it. The idle
//! watch records it (`activity.rs`) and a timeout reports it (`error.rs`).

use napi_derive::napi;

/// Where an upload was when it timed out: `error.phase` in JavaScript.
#[allow(non_camel_case_types)]
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Opening the file, resolving, connecting, the TLS handshake: no body byte handed over yet.
    connect,
    /// Sending the body: the server stopped taking it.
    send,
    /// The whole body was handed over; no response head yet.
    wait,
    /// Reading the response.
    receive,
}

impl Phase {
    /// Every phase, in the order of an upload (`Phase::ALL[p as usize] == p`).
    pub const ALL: [Phase; 4] = [Phase::connect, Phase::send, Phase::wait, Phase::receive];
}
