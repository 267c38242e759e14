//! The first HTTP/2 connection to an origin. With HTTP/2 offered by ALPN, the pool learns that a
//! connection can carry many requests only once its TLS handshake is done; uploads that start
//! together to an origin it has no connection to would each open one (16 uploads: 16 TCP and TLS
//! handshakes, 15 connections closed unused). So, for a client that offers HTTP/2, the first
//! upload to an origin goes alone until its body starts moving (the connection is up and pooled);
//! the others then take that connection, or, when the server chose HTTP/1.1, open their own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::Url;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// How many origins are remembered; past that the memory starts again (a first burst to a
/// forgotten origin opens a few connections more, nothing worse).
const ORIGINS: usize = 256;

/// Per origin: whether an upload already got a connection up, behind a lock that the upload
/// finding out holds.
#[derive(Debug, Default)]
pub struct FirstConnections {
    origins: Mutex<HashMap<String, Arc<AsyncMutex<bool>>>>,
}

/// The turn of an upload that opens the first connection to its origin: it says so with
/// [`FirstTurn::connected`], or leaves the turn to the next upload by being dropped.
pub struct FirstTurn(OwnedMutexGuard<bool>);

impl FirstTurn {
    /// The connection is up: the uploads waiting go now, and later ones do not wait.
    pub fn connected(mut self) {
        *self.0 = true;
    }
}

impl FirstConnections {
    /// Waits while another upload opens the first connection to `url`'s origin; `None` when a
    /// connection to it already came up, else this upload's turn to open it.
    pub async fn turn(&self, url: &Url) -> Option<FirstTurn> {
        let lock = {
            let mut origins = self
                .origins
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if origins.len() >= ORIGINS {
                origins.clear();
            }
            origins
                .entry(url.origin().ascii_serialization())
                .or_default()
                .clone()
        };
        let guard = lock.lock_owned().await;
        if *guard {
            None
        } else {
            Some(FirstTurn(guard))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn the_second_upload_waits_for_the_first_connection_then_nobody_waits() {
        let first = FirstConnections::default();
        let url = Url::parse("https://example.test/a").unwrap();
        let other_path = Url::parse("https://example.test/b").unwrap();
        let turn = first.turn(&url).await.expect("the first upload opens it");
        let waiting = first.turn(&other_path);
        tokio::pin!(waiting);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), waiting.as_mut())
                .await
                .is_err(),
            "the same origin waits"
        );
        let elsewhere = Url::parse("https://other.test/").unwrap();
        assert!(
            first.turn(&elsewhere).await.is_some(),
            "another origin does not"
        );
        turn.connected();
        assert!(waiting.await.is_none());
        assert!(first.turn(&url).await.is_none());
    }

    #[tokio::test]
    async fn a_turn_given_up_passes_to_the_next_upload() {
        let first = FirstConnections::default();
        let url = Url::parse("https://example.test/").unwrap();
        drop(first.turn(&url).await);
        assert!(first.turn(&url).await.is_some());
    }
}
