//! One attempt of an upload: one request (the first, a redirect's, or a repeat) to the [`Hop`]
//! it goes to, carrying the file from a freshly opened [`FileSource`] when it has a body, sent
//! and watched, with what was observed of it. The attempts of one upload share [`Attempts`]:
//! the multipart layout, the client, and the [`Stop`] that ends an earlier attempt's body.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, CONTENT_TYPE, EXPECT};
use reqwest::Response;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::activity::Activity;
use crate::body::UploadBody;
use crate::body_signals::BodySignals;
use crate::clients::Pooled;
use crate::error::{http2_failure, ErrorCode, Http2Failure, UploadError};
use crate::expect::{self, Gate, Hold};
use crate::file_reader::{FileCloser, FileSource};
use crate::listeners::Listeners;
use crate::multipart::{guess_content_type, random_boundary, MultipartLayout};
use crate::options::UploadPlan;
use crate::proxy::ProxyChoice;
use crate::quic::{never_connected, within_handshake, Offer, Quic};
use crate::redirect::Hop;
use crate::retry::Unprocessed;
use crate::reuse::{Connecting, Watch};
use crate::transport::{SendFailure, Transport};
use crate::warmup::FirstTurn;

/// What one attempt got, and what was observed of it.
pub struct Sent {
    /// The response, or the failure before one.
    pub result: Result<Response, UploadError>,
    /// What was observed of the request.
    pub seen: Seen,
    /// How it failed over HTTP/2; `None` when it did not fail, or not over HTTP/2.
    pub http2: Option<Http2Failure>,
    /// For a failure: whether the request was not written whole ([`Unprocessed::NotWritten`]).
    pub unprocessed: Option<Unprocessed>,
}

/// What was observed of one request (for `enableProfile` and the retry rules).
#[derive(Clone)]
pub struct Seen {
    /// When it was handed to the client.
    pub fetch_start: Instant,
    /// What the connector did for it (nothing: a reused connection).
    pub connecting: Connecting,
    /// Its body's signals (how much of it went, and when its end did); `None` without a body.
    pub body: Option<Arc<BodySignals>>,
}

/// What the attempts of one upload share.
pub struct Attempts {
    pooled: Pooled,
    listeners: Arc<Listeners>,
    activity: Arc<Activity>,
    layout: MultipartLayout,
    file_path: String,
    file_len: u64,
    /// The file as opened for the first attempt, until that attempt takes it.
    opened: Option<FileSource>,
    max_bytes_per_second: Option<f64>,
    expect_continue: bool,
    /// How long each new connection may take to set up (`connectTimeout`, `reuse.rs`).
    connect_timeout: Option<Duration>,
    proxied: bool,
    stop: Stop,
}

impl Attempts {
    /// Opens the file and lays out the multipart body for `plan`; returns them with the first
    /// request (a POST of the caller's headers and the multipart `Content-Type`). Every body
    /// ends when `token` is cancelled or the attempts are dropped.
    pub async fn open(
        plan: &UploadPlan,
        pooled: Pooled,
        listeners: Arc<Listeners>,
        activity: Arc<Activity>,
        token: &CancellationToken,
    ) -> Result<(Attempts, Hop), UploadError> {
        let content_type = plan
            .file_content_type
            .clone()
            .unwrap_or_else(|| content_type_for(&plan.file_name, &plan.file_path));
        let opened = FileSource::open(plan.file_path.clone()).await?;
        let layout = MultipartLayout::new(
            random_boundary(),
            &plan.form_fields,
            &plan.field_name,
            &plan.file_name,
            &content_type,
        );
        let mut headers = plan.headers.clone();
        let request_content_type = HeaderValue::from_str(&layout.content_type())
            .map_err(|e| UploadError::new(ErrorCode::ERR_NETWORK, e.to_string()))?;
        headers.insert(CONTENT_TYPE, request_content_type);
        let attempts = Attempts {
            pooled,
            listeners,
            activity,
            layout,
            file_path: plan.file_path.clone(),
            file_len: opened.len(),
            opened: Some(opened),
            max_bytes_per_second: plan.max_bytes_per_second,
            expect_continue: plan.expect_continue,
            connect_timeout: plan.connect_timeout,
            proxied: plan.client.proxy != ProxyChoice::None,
            stop: Stop::new(token.child_token()),
        };
        Ok((attempts, Hop::first(plan.url.clone(), headers)))
    }

    /// Sends one request to `hop`: ends the body of the request before it (a server that
    /// answered a redirect, 429 or 503 before reading the whole body), waits for the HTTP/2
    /// first turn, builds the request (a body sends the file again from its start, from a
    /// re-opened file whose size must not have changed) and sends it. With HTTP/3 offered for
    /// its origin, over QUIC first, and over TCP when QUIC did not come up (`quic.rs`).
    pub async fn send(&mut self, hop: &Hop) -> Result<Sent, UploadError> {
        self.stop.end_attempt();
        if let (Some(quic), true) = (self.pooled.quic.clone(), hop.with_body) {
            let origins = quic.origins;
            let offer = origins.offer(&hop.url);
            if offer != Offer::Tcp {
                if let Some(sent) = self.send_over(hop, offer).await? {
                    if sent.result.is_ok() || sent.seen.body.as_ref().is_some_and(|b| b.bytes() > 0)
                    {
                        origins.learnt(&hop.url, true);
                    }
                    return Ok(sent);
                }
                // Not one byte of the body went over QUIC: the receiver has nothing to process.
                origins.learnt(&hop.url, false);
                self.stop.end_attempt();
            }
        }
        self.send_over(hop, Offer::Tcp)
            .await?
            .ok_or_else(|| UploadError::internal("a request over TCP"))
    }

    /// One request to `hop`, as `offer` says; `None` when QUIC did not come up (the request was
    /// dropped with none of its body sent).
    async fn send_over(&mut self, hop: &Hop, offer: Offer) -> Result<Option<Sent>, UploadError> {
        let first_turn = match offer {
            Offer::Quic { .. } => None,
            Offer::Tcp => self.first_turn(hop).await,
        };
        let fetch_start = Instant::now();
        let mut seen = Seen {
            fetch_start,
            connecting: Connecting::default(),
            body: None,
        };
        let route = match (offer, &self.pooled.quic) {
            (Offer::Quic { .. }, Some(quic)) => Route::Quic(quic.clone()),
            _ => Route::Tcp(self.pooled.client.clone()),
        };
        // HTTP/3, like HTTP/2, stops a body early from its stream: no `Expect` there.
        let over_tcp = matches!(route, Route::Tcp(_));
        let watch = Watch::new(self.connect_timeout);
        let hold = (hop.with_body && over_tcp)
            .then(|| self.hold(hop, &watch))
            .flatten();
        let body = match hop.with_body {
            true => Some(self.body().await?.held(hold.clone().map(Gate::new))),
            false => None,
        };
        seen.body = body.as_ref().map(UploadBody::signals);
        let request = sent(route, hop, body, hold);
        let opening = async {
            if let (Some(turn), Some(body)) = (&first_turn, &seen.body) {
                turn.follow(body).await;
            }
        };
        let watched = watch.run(alongside(request, opening));
        let (result, connecting) = match (offer, seen.body.clone()) {
            (Offer::Quic { wait }, Some(body)) => {
                match within_handshake(watched, &body, wait).await {
                    // Unsent only while the body's end was not handed over (`retry.rs`'s rule).
                    Some((Err(err), _)) if never_connected(&err) && body.end().is_none() => {
                        return Ok(None)
                    }
                    Some((result, _)) => (result, Connecting::quic(fetch_start)),
                    None => return Ok(None),
                }
            }
            _ => watched.await,
        };
        if let (Some(turn), Ok(_)) = (&first_turn, &result) {
            turn.connected();
        }
        drop(first_turn);
        seen.connecting = connecting;
        Ok(Some(self.sent(result, seen)))
    }

    /// What an attempt got: its failure classified, the body's own failure first.
    fn sent(&self, result: Result<Response, SendFailure>, seen: Seen) -> Sent {
        let http2 = result.as_ref().err().and_then(http2_failure);
        let unprocessed = result.as_ref().err().and_then(|_| not_written(&seen));
        // The body's own failure wins: HTTP/2 reports it as the stream's reset.
        let own = seen.body.as_ref().and_then(|body| body.failure());
        let proxied = self.proxied;
        let result = result.map_err(|err| match own {
            Some(own) => own,
            None => UploadError::from_send(err, proxied),
        });
        Sent {
            result,
            seen,
            http2,
            unprocessed,
        }
    }

    /// With HTTP/2 offered, a request with a body to an `https:` origin waits while another
    /// upload opens the first connection to it; `Some` when this one opens it.
    async fn first_turn(&self, hop: &Hop) -> Option<FirstTurn> {
        match (&self.pooled.first, hop.url.scheme()) {
            (Some(first), "https") if hop.with_body => first.turn(&hop.url).await,
            _ => None,
        }
    }

    /// The hold of a request to `hop` whose body waits for `100 Continue`, when it does
    /// (`src/expect.rs` has the rule).
    fn hold(&self, hop: &Hop, connecting: &Watch) -> Option<Arc<Hold>> {
        let origin = hop.url.origin().ascii_serialization();
        let http2_possible = self.pooled.first.is_some() && hop.url.scheme() == "https";
        let length = self.layout.content_length(self.file_len);
        let silent = self.pooled.continues.silent(&origin);
        expect::wanted(
            self.expect_continue,
            length,
            &hop.headers,
            http2_possible,
            silent,
        )
        .then(|| {
            let origins = self.pooled.continues.clone();
            Hold::new(origin, origins, self.activity.clone(), connecting.clone())
        })
    }

    /// The body of the next request: the file opened for the first one, else opened again.
    async fn body(&mut self) -> Result<UploadBody, UploadError> {
        let file = match self.opened.take() {
            Some(file) => file,
            None => FileSource::reopen(&self.file_path, self.file_len).await?,
        };
        let token = self.stop.begin_attempt(file.closer());
        let body = UploadBody::new(
            self.layout.clone(),
            file,
            self.listeners.clone(),
            self.activity.clone(),
            token,
        );
        Ok(body.paced(self.max_bytes_per_second))
    }
}

/// The evidence that the receiver did not process a request that failed before any response
/// (`retry.rs` holds the rule): its body had not handed all of its bytes to the connection (a
/// request without a body gives none: its head may have been written whole).
fn not_written(seen: &Seen) -> Option<Unprocessed> {
    let body_handed_over = seen.body.as_ref().is_none_or(|body| body.end().is_some());
    (!body_handed_over).then_some(Unprocessed::NotWritten)
}

/// Where a request goes: over TCP (`transport.rs`) or over HTTP/3 (`quic.rs`).
enum Route {
    Tcp(Transport),
    Quic(Quic),
}

impl Route {
    async fn send(
        self,
        hop: &Hop,
        headers: reqwest::header::HeaderMap,
        body: Option<reqwest::Body>,
        hold: Option<Arc<Hold>>,
    ) -> Result<Response, SendFailure> {
        let method = hop.method.clone();
        match self {
            Route::Tcp(transport) => transport.send(method, &hop.url, headers, body, hold).await,
            Route::Quic(quic) => quic.send(method, &hop.url, headers, body).await,
        }
    }
}

/// The request of `hop`, with `body` if it has one, sent, while the body's progress throttle
/// reports what it holds back. With a `hold`, the request says `Expect: 100-continue`, the
/// transport reports the server's informational responses to it, and a response tells it that
/// the server answered.
async fn sent(
    route: Route,
    hop: &Hop,
    body: Option<UploadBody>,
    hold: Option<Arc<Hold>>,
) -> Result<Response, SendFailure> {
    let mut headers = hop.headers.clone();
    let Some(body) = body else {
        return route.send(hop, headers, None, None).await;
    };
    if hold.is_some() {
        headers.insert(EXPECT, HeaderValue::from_static("100-continue"));
    }
    let progress = body.progress();
    let signals = body.signals();
    let body = Some(reqwest::Body::wrap(body));
    let sent = async move {
        let response = route.send(hop, headers, body, hold.clone()).await;
        if let (Some(hold), Ok(_)) = (&hold, &response) {
            hold.answered(signals.end().is_some());
        }
        response
    };
    alongside(sent, async move { progress.trailing_edge().await }).await
}

/// Ends the body when the upload ends, however it ends (settled, aborted, timed out): not one
/// more byte is read or sent, the half-sent connection is closed rather than reused, and the
/// file is closed at once, even while the connection still waits on a server that stopped
/// reading (the connection itself then goes when the server reads, closes, or the TCP user
/// timeout passes).
struct Stop {
    body: CancellationToken,
    _guard: DropGuard,
    files: Vec<FileCloser>,
    /// The body of the latest request that had one (its file is the last of `files`).
    attempt: Option<CancellationToken>,
}

impl Stop {
    /// Ends every body when `body` is cancelled or this is dropped.
    fn new(body: CancellationToken) -> Self {
        Stop {
            _guard: body.clone().drop_guard(),
            body,
            files: Vec::with_capacity(2),
            attempt: None,
        }
    }

    /// The token of the body of a new request, whose file `closer` closes.
    fn begin_attempt(&mut self, closer: FileCloser) -> CancellationToken {
        let token = self.body.child_token();
        self.attempt = Some(token.clone());
        self.files.push(closer);
        token
    }

    /// Ends the body of the request before this one, if it is still being sent, and closes its
    /// file.
    fn end_attempt(&mut self) {
        if let Some(token) = self.attempt.take() {
            token.cancel();
            if let Some(file) = self.files.last() {
                file.close();
            }
        }
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        for file in &self.files {
            file.close();
        }
    }
}

/// Runs `main` to its end while also polling `side` (in the same task) until `side` ends.
async fn alongside<F: Future>(main: F, side: impl Future<Output = ()>) -> F::Output {
    let mut main = pin!(main);
    let mut side = pin!(side);
    let mut side_done = false;
    poll_fn(|cx| {
        if !side_done {
            side_done = side.as_mut().poll(cx).is_ready();
        }
        main.as_mut().poll(cx)
    })
    .await
}

/// The file part's type: from the name the server sees, else from the path on disk.
fn content_type_for(file_name: &str, file_path: &str) -> String {
    let by_name = guess_content_type(file_name);
    if by_name != "application/octet-stream" {
        return by_name;
    }
    guess_content_type(file_path)
}
