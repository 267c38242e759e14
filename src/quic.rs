//! HTTP/3 for `enableQuic`: which requests go over QUIC, how long the QUIC handshake may take
//! before the request goes over TCP instead, and what the JavaScript environment learnt of each
//! origin's QUIC.
//!
//! A request with a body to an `https:` origin goes over HTTP/3 (reqwest's h3 client, over
//! quinn) unless the origin's QUIC failed before. To an origin whose QUIC never carried a body
//! in this environment, when no byte of the body has been handed to the QUIC stream
//! [`HANDSHAKE_WAIT`] after the request was sent, or when the QUIC connection fails to come up
//! (quinn's connection error, before any stream), the request is dropped unsent and sent over
//! TCP (HTTP/2 with `enableHttp2`, else HTTP/1.1) at once: the receiver got no byte of the
//! multipart body, so it cannot have processed the upload. The origin is then remembered for
//! the life of its JavaScript environment (`Clients`, `clients.rs`, shared by all of its
//! clients), so later uploads to it go over TCP without waiting. To an origin whose QUIC carried
//! a body before, a request is not given up on after that wait (it may be waiting for the
//! connection's stream limit, as HTTP/2 streams past the server's limit wait): only quinn's
//! connection error sends it over TCP.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT_ENCODING};
use reqwest::redirect::Policy;
use reqwest::{Method, Response, Url, Version};

use crate::body_signals::BodySignals;
use crate::transport::SendFailure;

/// The HTTP/3 side of a client that offers it: reqwest's h3 client (TCP goes over
/// `transport.rs`), and what the environment learnt of each origin's QUIC.
#[derive(Clone)]
pub struct Quic {
    client: reqwest::Client,
    /// The origins whose QUIC worked or failed, shared by the environment's clients.
    pub origins: Arc<QuicOrigins>,
}

impl Quic {
    /// An HTTP/3 client trusting what `tls` trusts (reqwest offers `h3` by ALPN on a copy of
    /// it), sending `user_agent` and advertising `codings` unless the caller sets those headers;
    /// no redirects (`upload.rs` follows them), no proxy (QUIC does not go through one). Must run
    /// inside a runtime: its QUIC endpoint is a UDP socket driven by the runtime's tasks.
    pub fn new(
        tls: rustls::ClientConfig,
        user_agent: &'static str,
        codings: &'static str,
        origins: Arc<QuicOrigins>,
    ) -> reqwest::Result<Self> {
        let mut advertised = HeaderMap::new();
        advertised.insert(ACCEPT_ENCODING, HeaderValue::from_static(codings));
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .default_headers(advertised)
            .redirect(Policy::none())
            .no_proxy()
            .http3_prior_knowledge()
            .tls_backend_preconfigured(tls)
            .build()?;
        Ok(Quic { client, origins })
    }

    /// Sends `method` to `url` over HTTP/3 with `headers` and `body` (none: an empty one).
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        headers: HeaderMap,
        body: Option<reqwest::Body>,
    ) -> Result<Response, SendFailure> {
        let request = self
            .client
            .request(method, url.clone())
            .version(Version::HTTP_3)
            .headers(headers);
        let request = match body {
            Some(body) => request.body(body),
            None => request,
        };
        request.send().await.map_err(SendFailure::Quic)
    }
}

/// How long the first byte of a body may wait for a first QUIC connection to its origin before
/// the request goes over TCP instead.
pub const HANDSHAKE_WAIT: Duration = Duration::from_secs(1);

/// What an environment learnt of each origin's QUIC: `true`, it carried a body; `false`, it
/// did not come up.
#[derive(Debug, Default)]
pub struct QuicOrigins {
    known: Mutex<HashMap<String, bool>>,
}

/// How a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Over TCP.
    Tcp,
    /// Over HTTP/3, given up on when no byte of its body went within `wait` (`None`: never).
    Quic {
        /// [`HANDSHAKE_WAIT`] for an origin whose QUIC never carried a body.
        wait: Option<Duration>,
    },
}

impl QuicOrigins {
    /// How a request to `url` goes: over HTTP/3 to an `https:` URL (QUIC is TLS only) whose
    /// origin's QUIC did not fail.
    pub fn offer(&self, url: &Url) -> Offer {
        if url.scheme() != "https" {
            return Offer::Tcp;
        }
        match self.lock().get(&origin(url)) {
            Some(false) => Offer::Tcp,
            Some(true) => Offer::Quic { wait: None },
            None => Offer::Quic {
                wait: Some(HANDSHAKE_WAIT),
            },
        }
    }

    /// Remembers that QUIC to the origin of `url` carried a body (`true`) or did not come up.
    pub fn learnt(&self, url: &Url, worked: bool) {
        self.lock().insert(origin(url), worked);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, bool>> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// `request`'s output, or `None` when `wait` passed with no byte of `body` handed over (the
/// request is then dropped, unsent). Without `wait`, `request`'s output.
pub async fn within_handshake<F: Future>(
    request: F,
    body: &BodySignals,
    wait: Option<Duration>,
) -> Option<F::Output> {
    tokio::pin!(request);
    let Some(wait) = wait else {
        return Some(request.await);
    };
    tokio::select! {
        biased;
        output = &mut request => return Some(output),
        () = tokio::time::sleep(wait) => {}
    }
    if body.bytes() == 0 {
        return None;
    }
    Some(request.await)
}

/// Whether `err` is the QUIC connection failing to come up: quinn's connection error, as
/// reqwest's h3 client reports a failed connect (a request's own stream errors are h3's).
pub fn never_connected(failure: &SendFailure) -> bool {
    let SendFailure::Quic(err) = failure else {
        return false;
    };
    std::error::Error::source(err).is_some_and(|cause| {
        cause.is::<quinn::ConnectionError>() || cause.is::<quinn::ConnectError>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_origins_get_quic_with_a_wait_until_it_worked_or_failed() {
        let origins = QuicOrigins::default();
        let a = Url::parse("https://a.test/up").unwrap();
        let a_other_path = Url::parse("https://a.test/other").unwrap();
        let b = Url::parse("https://a.test:8443/up").unwrap();
        let first = Offer::Quic {
            wait: Some(HANDSHAKE_WAIT),
        };
        assert_eq!(origins.offer(&a), first);
        assert_eq!(
            origins.offer(&Url::parse("http://a.test/up").unwrap()),
            Offer::Tcp
        );
        origins.learnt(&a, false);
        assert_eq!(origins.offer(&a_other_path), Offer::Tcp);
        assert_eq!(origins.offer(&b), first);
        origins.learnt(&b, true);
        assert_eq!(origins.offer(&b), Offer::Quic { wait: None });
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_never_moved_is_dropped_after_the_wait() {
        let body = BodySignals::default();
        let never = std::future::pending::<()>();
        assert!(within_handshake(never, &body, Some(HANDSHAKE_WAIT))
            .await
            .is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_moved_is_waited_for() {
        let body = BodySignals::default();
        body.handed_over(10, false);
        let late = async {
            tokio::time::sleep(HANDSHAKE_WAIT * 3).await;
            7
        };
        assert_eq!(
            within_handshake(late, &body, Some(HANDSHAKE_WAIT)).await,
            Some(7)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_wait_the_request_is_waited_for() {
        let body = BodySignals::default();
        let late = async {
            tokio::time::sleep(HANDSHAKE_WAIT * 3).await;
            7
        };
        assert_eq!(within_handshake(late, &body, None).await, Some(7));
    }
}
