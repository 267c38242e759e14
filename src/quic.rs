//! HTTP/3 for `enableQuic`: which requests go over QUIC, how long the QUIC handshake may take
//! before the request goes over TCP instead, and the origins of a client whose QUIC failed.
//!
//! A request with a body to an `https:` origin goes over HTTP/3 (reqwest's h3 client, over
//! quinn) unless the origin's QUIC failed before. When no byte of the body has been handed to
//! the QUIC stream [`HANDSHAKE_WAIT`] after the request was sent, or the QUIC connection fails
//! to come up (quinn's connection error, before any stream), the request is dropped unsent and
//! sent over TCP (HTTP/2 with `enableHttp2`, else HTTP/1.1) at once: the receiver got no byte of
//! the multipart body, so it cannot have processed the upload. The origin is then remembered
//! for the life of its JavaScript environment (`Clients`, `clients.rs`, shared by all of its
//! clients), so later uploads to it go over TCP without waiting.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::Url;

use crate::body_signals::BodySignals;

/// How long the first byte of a body may wait for the QUIC connection before the request goes
/// over TCP instead.
pub const HANDSHAKE_WAIT: Duration = Duration::from_secs(1);

/// The origins whose QUIC failed (one set per JavaScript environment).
#[derive(Debug, Default)]
pub struct QuicOrigins {
    failed: Mutex<HashSet<String>>,
}

impl QuicOrigins {
    /// Whether a request to `url` goes over HTTP/3: an `https:` URL (QUIC is TLS only) whose
    /// origin's QUIC did not fail.
    pub fn offered(&self, url: &Url) -> bool {
        url.scheme() == "https" && !self.lock().contains(&origin(url))
    }

    /// Remembers that QUIC to the origin of `url` did not come up.
    pub fn failed(&self, url: &Url) {
        self.lock().insert(origin(url));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.failed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// `request`'s output, or `None` when [`HANDSHAKE_WAIT`] passed with no byte of `body` handed
/// over (the request is then dropped, unsent).
pub async fn within_handshake<F: Future>(request: F, body: &BodySignals) -> Option<F::Output> {
    tokio::pin!(request);
    tokio::select! {
        biased;
        output = &mut request => return Some(output),
        () = tokio::time::sleep(HANDSHAKE_WAIT) => {}
    }
    if body.bytes() == 0 {
        return None;
    }
    Some(request.await)
}

/// Whether `err` is the QUIC connection failing to come up: quinn's connection error, as
/// reqwest's h3 client reports a failed connect (a request's own stream errors are h3's).
pub fn never_connected(err: &reqwest::Error) -> bool {
    std::error::Error::source(err).is_some_and(|cause| {
        cause.is::<quinn::ConnectionError>() || cause.is::<quinn::ConnectError>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_origins_that_did_not_fail_are_offered() {
        let origins = QuicOrigins::default();
        let a = Url::parse("https://a.test/up").unwrap();
        let a_other_path = Url::parse("https://a.test/other").unwrap();
        let b = Url::parse("https://a.test:8443/up").unwrap();
        assert!(origins.offered(&a));
        assert!(!origins.offered(&Url::parse("http://a.test/up").unwrap()));
        origins.failed(&a);
        assert!(!origins.offered(&a_other_path));
        assert!(origins.offered(&b));
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_never_moved_is_dropped_after_the_wait() {
        let body = BodySignals::default();
        let never = std::future::pending::<()>();
        assert!(within_handshake(never, &body).await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_moved_is_waited_for() {
        let body = BodySignals::default();
        body.handed_over(10, false);
        let late = async {
            tokio::time::sleep(HANDSHAKE_WAIT * 3).await;
            7
        };
        assert_eq!(within_handshake(late, &body).await, Some(7));
    }
}
