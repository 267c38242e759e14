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
//! `enableProfile` and for the wait of `Expect: 100-continue` ([`Watch`]), and bounds it by the
//! request's `connectTimeout`: the connector is shared by uploads with other settings, so the
//! limit travels with the request's task-local, not with the client. A connector that runs out
//! of time fails with [`ConnectTimeout`], which `error.rs` tells by its type.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use tokio::time::Sleep;
use tower::{Layer, Service};

tokio::task_local! {
    static CONNECTING: Watch;
}

/// The failure of a connector that did not set the connection up within the request's
/// `connectTimeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectTimeout;

impl fmt::Display for ConnectTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection not set up within connectTimeout")
    }
}

impl StdError for ConnectTimeout {}

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

impl<S, R> Service<R> for Marking<S>
where
    S: Service<R>,
    S::Error: From<ConnectTimeout>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Timed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let watch = CONNECTING.try_with(Watch::clone).ok();
        let now = Instant::now();
        if let Some(watch) = &watch {
            lock(&watch.record).start = Some(now);
        }
        let deadline = watch
            .as_ref()
            .and_then(|watch| watch.limit)
            .and_then(|limit| now.checked_add(limit));
        Timed {
            inner: Box::pin(self.0.call(request)),
            record: watch.map(|watch| watch.record),
            deadline,
            sleep: None,
        }
    }
}

/// A connector future that records when it finished, and fails with [`ConnectTimeout`] at its
/// deadline.
pub struct Timed<F> {
    inner: Pin<Box<F>>,
    record: Option<Arc<Mutex<Connecting>>>,
    /// When the connection must be set up by (`connectTimeout` from the call).
    deadline: Option<Instant>,
    /// The timer of the deadline, made at the first poll (inside the runtime).
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<F, T, E> Future for Timed<F>
where
    F: Future<Output = Result<T, E>>,
    E: From<ConnectTimeout>,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let output = match self.inner.as_mut().poll(cx) {
            Poll::Ready(output) => output,
            Poll::Pending => {
                ready!(self.as_mut().poll_deadline(cx));
                Err(ConnectTimeout.into())
            }
        };
        if let Some(record) = self.record.take() {
            lock(&record).end = Some(Instant::now());
        }
        self.deadline = None;
        self.sleep = None;
        Poll::Ready(output)
    }
}

impl<F> Timed<F> {
    /// Ready when the deadline passed; pending forever without one.
    fn poll_deadline(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.deadline else {
            return Poll::Pending;
        };
        self.sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline.into())))
            .as_mut()
            .poll(cx)
    }
}

fn lock(record: &Mutex<Connecting>) -> std::sync::MutexGuard<'_, Connecting> {
    record
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the connector does for one request, as it happens: shared with the request's
/// `Expect` hold (`expect.rs`), which waits a few times the connection's set-up time; and how
/// long it may take (`connectTimeout`).
#[derive(Clone, Debug, Default)]
pub struct Watch {
    record: Arc<Mutex<Connecting>>,
    limit: Option<Duration>,
}

impl Watch {
    /// The watch of a request whose new connection must be set up within `limit`.
    pub fn new(limit: Option<Duration>) -> Self {
        Watch {
            record: Arc::default(),
            limit,
        }
    }

    /// How long the connector took to set the connection up, once it did: `None` while it
    /// runs, and when it was never called (a pooled connection).
    pub fn setup(&self) -> Option<Duration> {
        let connecting = *lock(&self.record);
        Some(connecting.end?.saturating_duration_since(connecting.start?))
    }

    /// Runs `request` and says what the connector did for it (nothing: a reused connection).
    pub async fn run<F: Future>(&self, request: F) -> (F::Output, Connecting) {
        let output = CONNECTING.scope(self.clone(), request).await;
        let connecting = *lock(&self.record);
        (output, connecting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::{pending, Pending};

    type BoxError = Box<dyn StdError + Send + Sync>;

    /// A connector that never sets a connection up (a server that never answers).
    struct Never;

    impl Service<()> for Never {
        type Response = ();
        type Error = BoxError;
        type Future = Pending<Result<(), BoxError>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: ()) -> Self::Future {
            pending()
        }
    }

    #[tokio::test]
    async fn a_connector_over_the_limit_fails_with_connect_timeout() {
        let limit = Duration::from_millis(50);
        let watch = Watch::new(Some(limit));
        let mut connector = MarkNewConnections.layer(Never);
        // The client calls the connector inside the request's future, as here.
        let (result, connecting) = watch.run(async { connector.call(()).await }).await;
        assert!(result.unwrap_err().is::<ConnectTimeout>());
        assert!(!connecting.reused());
        assert!(watch.setup().unwrap() >= limit);
    }

    #[tokio::test]
    async fn without_a_limit_the_connector_is_not_bounded() {
        let mut connector = MarkNewConnections.layer(Never);
        let watch = Watch::new(None);
        let run = watch.run(async { connector.call(()).await });
        let waited = tokio::time::timeout(Duration::from_millis(100), run).await;
        assert!(waited.is_err(), "still connecting");
        // Outside a request's watch (no task-local), neither.
        let alone = tokio::time::timeout(Duration::from_millis(100), connector.call(())).await;
        assert!(alone.is_err(), "still connecting");
    }
}
