//! The first HTTP/2 connection to an origin. With HTTP/2 offered by ALPN, the pool learns that a
//! connection can carry many requests only once its TLS handshake is done; uploads that start
//! together to an origin it has no connection to would each open one (16 uploads: 16 TCP and TLS
//! handshakes, 15 connections closed unused), and a burst sent before the server's `SETTINGS`
//! arrived ignores its stream limit (the streams past it are refused). So, for a client that
//! offers HTTP/2, the first upload to an origin goes alone until its body has sent more than the
//! initial flow-control window or its response came (the connection is up, pooled, and its
//! limit known); the others then take that connection, or, when the server chose HTTP/1.1, open
//! their own. The wait is bounded ([`FIRST_CONNECTION_WAIT`] since the connection was begun or
//! its body last moved): a connection that makes no progress (a front that accepted it and
//! forwards nothing) holds nobody; the next upload opens its own, and the others wait for
//! whichever comes up first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::Url;

use crate::body_signals::BodySignals;
use tokio::sync::Notify;
use tokio::time::{sleep_until, Instant};

/// How many origins are remembered; past that the memory starts again (a first burst to a
/// forgotten origin opens a few connections more, nothing worse).
const ORIGINS: usize = 256;

/// How long an upload waits for a connection another upload is opening to its origin before it
/// opens one of its own (as happy eyeballs staggers its attempts, RFC 8305): a connection that
/// is not up within this time is not making progress, and must not hold the others.
pub const FIRST_CONNECTION_WAIT: Duration = Duration::from_secs(1);

/// What a body may send before the server must have spoken: HTTP/2's initial flow-control
/// window (RFC 9113 §6.9.2). Once the server granted more, its `WINDOW_UPDATE` came, so its
/// `SETTINGS` (sent first), with its stream limit, are known.
const INITIAL_WINDOW: u64 = 65_535;

/// Per origin: whether an upload already got a connection up, and the uploads opening one.
#[derive(Debug, Default)]
pub struct FirstConnections {
    origins: Mutex<HashMap<String, Arc<Origin>>>,
}

/// One origin's first connections.
#[derive(Debug, Default)]
struct Origin {
    state: Mutex<Opening>,
    /// Woken when a connection came up or an upload gave up its turn.
    changed: Notify,
}

#[derive(Debug, Default)]
struct Opening {
    connected: bool,
    /// How many uploads are opening a connection, the latest since when.
    dialing: usize,
    since: Option<Instant>,
}

impl Origin {
    fn lock(&self) -> MutexGuard<'_, Opening> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The turn of an upload that opens a connection to its origin: it says so with
/// [`FirstTurn::connected`], or leaves the turn to the next upload by being dropped.
pub struct FirstTurn(Arc<Origin>);

impl FirstTurn {
    /// The connection is up and the server's stream limit known: the uploads waiting go now,
    /// and later ones do not wait.
    pub fn connected(&self) {
        self.0.lock().connected = true;
        self.0.changed.notify_waiters();
    }

    /// Follows the body of the request on the connection being opened: each frame is progress
    /// (the others keep waiting), and once the server granted more than the initial window the
    /// connection is up.
    pub async fn follow(&self, body: &BodySignals) {
        loop {
            body.moves().await;
            if body.granted_at_least() > INITIAL_WINDOW {
                self.connected();
                return;
            }
            self.0.lock().since = Some(Instant::now());
        }
    }
}

impl Drop for FirstTurn {
    fn drop(&mut self) {
        let mut opening = self.0.lock();
        opening.dialing = opening.dialing.saturating_sub(1);
        if opening.dialing == 0 {
            opening.since = None;
        }
        drop(opening);
        self.0.changed.notify_waiters();
    }
}

impl FirstConnections {
    /// Waits while another upload opens a connection to `url`'s origin, for at most
    /// [`FIRST_CONNECTION_WAIT`] since the latest one began or its body last moved; `None` when a connection to it came
    /// up, else this upload's turn to open one.
    pub async fn turn(&self, url: &Url) -> Option<FirstTurn> {
        let origin = self.origin(url);
        loop {
            let changed = origin.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let until = {
                let mut opening = origin.lock();
                if opening.connected {
                    return None;
                }
                let now = Instant::now();
                match opening.since {
                    Some(since) if now < since + FIRST_CONNECTION_WAIT => {
                        since + FIRST_CONNECTION_WAIT
                    }
                    _ => {
                        opening.dialing += 1;
                        opening.since = Some(now);
                        return Some(FirstTurn(origin.clone()));
                    }
                }
            };
            tokio::select! {
                () = changed => {}
                () = sleep_until(until) => {}
            }
        }
    }

    fn origin(&self, url: &Url) -> Arc<Origin> {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;

    /// Whether `waiting` is still pending after `ms` milliseconds.
    async fn still_waits<F: Future + Unpin>(waiting: &mut F, ms: u64) -> bool {
        tokio::time::timeout(Duration::from_millis(ms), waiting)
            .await
            .is_err()
    }

    #[tokio::test]
    async fn the_second_upload_waits_for_the_first_connection_then_nobody_waits() {
        let first = FirstConnections::default();
        let url = Url::parse("https://example.test/a").unwrap();
        let other_path = Url::parse("https://example.test/b").unwrap();
        let turn = first.turn(&url).await.expect("the first upload opens it");
        let waiting = first.turn(&other_path);
        tokio::pin!(waiting);
        assert!(still_waits(&mut waiting, 20).await, "the same origin waits");
        let elsewhere = Url::parse("https://other.test/").unwrap();
        assert!(
            first.turn(&elsewhere).await.is_some(),
            "another origin does not"
        );
        turn.connected();
        assert!(waiting.await.is_none());
        assert!(first.turn(&url).await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_not_up_in_time_no_longer_holds_the_others() {
        let first = FirstConnections::default();
        let url = Url::parse("https://example.test/").unwrap();
        let stuck = first.turn(&url).await.expect("the first upload opens it");
        let began = Instant::now();
        let second = first.turn(&url).await.expect("the second opens its own");
        assert_eq!(began.elapsed(), FIRST_CONNECTION_WAIT);
        let third = first.turn(&url);
        tokio::pin!(third);
        assert!(
            still_waits(&mut third, 500).await,
            "the third waits for the second's connection"
        );
        second.connected();
        assert!(third.await.is_none());
        drop(stuck);
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
