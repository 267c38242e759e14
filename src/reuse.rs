//! Whether a request went out on a pooled keep-alive connection. A server may close an idle
//! connection at the very moment the pool hands it out; the upload then fails on its first
//! writes or reads although the server never saw it. Browsers send such a request again; so does
//! `upload.rs`, once, and only when the connection was certainly reused.
//!
//! The pool hands out an idle connection without ever calling the connector, and calls it in the
//! request's own task otherwise. So a connector layer that marks a task-local flag tells the two
//! apart: no mark, a reused connection. (A mark with a reused connection can happen when a new
//! connection was started but an idle one won the race: that upload is not sent again.)

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tower::{Layer, Service};

tokio::task_local! {
    static CONNECTED: Arc<AtomicBool>;
}

/// The connector layer that marks the task whose request opens a new connection.
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
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> S::Future {
        let _ = CONNECTED.try_with(|flag| flag.store(true, Ordering::Relaxed));
        self.0.call(request)
    }
}

/// Runs `request` and says whether it certainly went out on a reused connection.
pub async fn on_reused_connection<F: Future>(request: F) -> (F::Output, bool) {
    let connected = Arc::new(AtomicBool::new(false));
    let output = CONNECTED.scope(connected.clone(), request).await;
    (output, !connected.load(Ordering::Relaxed))
}
