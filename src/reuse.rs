//! Whether a request went out on a pooled keep-alive connection. A server may close an idle
//! connection at the very moment the pool hands it out; the upload then fails on its first
//! writes or reads although the server never saw it. Browsers send such a request again; so does
//! `upload.rs`, once, and only when the connection was certainly reused.
//!
//! The pool hands out an idle connection without ever calling the connector, and calls it in the
//! request's own task otherwise. So a connector layer that marks a task-local flag tells the two
//! apart: no mark, a reused connection. (A mark with a reused connection can happen when a new
//! connection was started but an idle one won the race: that upload is not sent again.)
//!
//! The same layer times the connector (name resolution, TCP, a proxy tunnel, TLS) for
//! `enableProfile` and for the wait of `Expect: 100-continue` ([`Watch`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Instant;

use tower::{Layer, Service};

tokio::task_local! {
    static CONNECTING: Arc<Mutex<Connecting>>;
}

/// What the connector did for one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Connecting {
    /// When the connector was called: `None` if it never was (a pooled connection).
    pub start: Option<Instant>,
    /// When it finished, successfully or not.
    pub end: Option<Instant>,
}

impl Connecting {
    /// A request over HTTP/3, sent at `start`: reqwest's h3 client connects without the
    /// connector, so neither its connecting time nor whether it reused a connection is known
    /// (it counts as not reused: a QUIC failure is never taken for a stale pooled connection).
    pub fn quic(start: Instant) -> Self {
        Connecting {
            start: Some(start),
            end: None,
        }
    }

    /// Whether the request certainly went out on a reused connection.
    pub fn reused(&self) -> bool {
        self.start.is_none()
    }
}

/// The connector layer that marks and times the task whose request opens a new connection.
#[derive(Clone, Copy, Debug, Default)]
pub struct MarkNewConnections;

impl<S> Layer<S> for MarkNewConnections {
    type Service = Marking<S>;

    fn layer(&self, inner: S) -> Marking<S> {
        Marking(inner)
    }
}

/// The connector wrapped by [`MarkNewConnections`].
#[derive(Clone, Debug)]
pub struct Marking<S>(S);

impl<S: Service<R>, R> Service<R> for Marking<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = Timed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let record = CONNECTING.try_with(Arc::clone).ok();
        if let Some(record) = &record {
            lock(record).start = Some(Instant::now());
        }
        Timed {
            inner: Box::pin(self.0.call(request)),
            record,
        }
    }
}

/// A connector future that records when it finished.
pub struct Timed<F> {
    inner: Pin<Box<F>>,
    record: Option<Arc<Mutex<Connecting>>>,
}

impl<F: Future> Future for Timed<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let output = ready!(self.inner.as_mut().poll(cx));
        if let Some(record) = self.record.take() {
            lock(&record).end = Some(Instant::now());
        }
        Poll::Ready(output)
    }
}

fn lock(record: &Mutex<Connecting>) -> std::sync::MutexGuard<'_, Connecting> {
    record
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the connector does for one request, as it happens: shared with the request's
/// `Expect` hold (`expect.rs`), which waits a few times the connection's set-up time.
#[derive(Clone, Debug, Default)]
pub struct Watch(Arc<Mutex<Connecting>>);

impl Watch {
    /// How long the connector took to set the connection up, once it did: `None` while it
    /// runs, and when it was never called (a pooled connection).
    pub fn setup(&self) -> Option<std::time::Duration> {
        let connecting = *lock(&self.0);
        Some(connecting.end?.saturating_duration_since(connecting.start?))
    }

    /// Runs `request` and says what the connector did for it (nothing: a reused connection).
    pub async fn run<F: Future>(&self, request: F) -> (F::Output, Connecting) {
        let output = CONNECTING.scope(self.0.clone(), request).await;
        let connecting = *lock(&self.0);
        (output, connecting)
    }
}
