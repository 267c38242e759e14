//! The native `UploadTask` class: starts the upload future, cancels it, and holds its listeners.

use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Status};
use napi_derive::napi;
use tokio_util::sync::CancellationToken;

use crate::environment::env_state;
use crate::error::UploadError;
use crate::listeners::{HeadersEvent, Listener, Listeners};
use crate::options::UploadRequest;
use crate::progress::ProgressEvent;
use crate::response::{UploadOutcome, UploadSuccess};
use crate::upload::run_upload;

/// One upload. `uploadFile` in `lib/upload-file.js` wraps it; use it directly only for the low-level API:
/// `start` once, listeners by id, `abort` at any time.
#[napi]
pub struct UploadTask {
    token: CancellationToken,
    listeners: Arc<Listeners>,
    started: AtomicBool,
    created: Instant,
    /// How many times the upload was sent, for its failure.
    attempts: Arc<AtomicU32>,
}

#[napi]
impl UploadTask {
    /// A task that has not started yet; its deadline counts from now. It is cancelled with its
    /// environment (a terminated worker, an exiting process) as if `abort()` had been called.
    #[napi(constructor)]
    pub fn new(env: Env) -> napi::Result<Self> {
        Ok(UploadTask {
            token: env_state(&env)?.shutdown.child_token(),
            listeners: Arc::new(Listeners::default()),
            started: AtomicBool::new(false),
            created: Instant::now(),
            attempts: Arc::default(),
        })
    }

    /// Starts the upload. The promise always resolves, with `{ outcome: 'success', … }` on a
    /// response or `{ outcome: 'failure', code, reason }`. A task starts once.
    #[napi(ts_return_type = "Promise<UploadOutcome>")]
    pub fn start<'env>(
        &self,
        env: &'env Env,
        request: UploadRequest,
    ) -> napi::Result<PromiseRaw<'env, UploadOutcome>> {
        if self.started.swap(true, Ordering::SeqCst) {
            return Err(napi::Error::new(
                Status::InvalidArg,
                "this UploadTask was already started",
            ));
        }
        let created = self.created;
        let state = env_state(env)?;
        let clients = state.clients.clone();
        let hints = state.keep_alive.clone();
        let token = self.token.clone();
        let listeners = self.listeners.clone();
        let attempts = self.attempts.clone();
        // Checked and given its client here, on the JavaScript thread: building a client reads
        // the TLS roots' variables (`SSL_CERT_FILE`), and no other thread may read the process
        // environment while JavaScript can write it.
        let prepared = request.validate().and_then(|mut plan| {
            let origin = plan.url.origin().ascii_serialization();
            plan.client.pool_idle = hints.for_origin(&origin);
            Ok((clients.client_for(&plan.client)?, plan, origin))
        });
        env.spawn_future(async move {
            let mut origin = None;
            let work = async {
                let (pooled, plan, from) = prepared?;
                origin = Some(from);
                let sent = attempts.clone();
                run_upload(plan, pooled, listeners.clone(), token, created, sent).await
            };
            let outcome = settle(work, &listeners).await;
            if let (Some(origin), UploadOutcome::Success { header, .. }) = (&origin, &outcome) {
                hints.record(origin, header.get("keep-alive").and_then(|v| v.as_str()));
            }
            Ok(outcome.sent(attempts.load(Ordering::Relaxed)))
        })
    }

    /// Cancels the upload: no further body byte is sent, the connection is closed and the
    /// promise of `start` resolves with code `ABORT_ERR`. Returns that failure, so that a caller
    /// can settle at once. Cancelling a settled task changes nothing.
    #[napi]
    pub fn abort(&self) -> UploadOutcome {
        self.token.cancel();
        self.listeners.close();
        UploadOutcome::from(UploadError::abort()).sent(self.attempts.load(Ordering::Relaxed))
    }

    /// Adds a progress listener; returns its id for `offProgressUpdate`.
    #[napi(ts_args_type = "listener: (event: ProgressEvent) => void")]
    pub fn on_progress_update(&self, listener: Listener<ProgressEvent>) -> u32 {
        self.listeners.add_progress(listener)
    }

    /// Removes the progress listener with this id, or every one without an id.
    #[napi]
    pub fn off_progress_update(&self, id: Option<u32>) {
        self.listeners.remove_progress(id)
    }

    /// Adds a response-headers listener; returns its id for `offHeadersReceived`.
    #[napi(ts_args_type = "listener: (event: HeadersEvent) => void")]
    pub fn on_headers_received(&self, listener: Listener<HeadersEvent>) -> u32 {
        self.listeners.add_headers(listener)
    }

    /// Removes the headers listener with this id, or every one without an id.
    #[napi]
    pub fn off_headers_received(&self, id: Option<u32>) {
        self.listeners.remove_headers(id)
    }
}

/// Runs an upload's `work` to its outcome and closes its listeners. A panic in the work (a bug),
/// while it runs or when it is dropped, settles the task with `ERR_INTERNAL` instead of leaving
/// its promise pending forever; the panic's message still goes to stderr through the process's
/// panic hook, which belongs to the host, not to this addon.
async fn settle(
    work: impl Future<Output = Result<UploadSuccess, UploadError>>,
    listeners: &Listeners,
) -> UploadOutcome {
    let mut work = Box::pin(work);
    let result = poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(_panic) => Poll::Ready(Err(UploadError::internal("the upload panicked"))),
        },
    )
    .await;
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(work)));
    let result = dropped.map_or_else(
        |_panic| Err(UploadError::internal("ending the upload panicked")),
        |()| result,
    );
    listeners.close();
    UploadOutcome::from(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn a_bug() -> Result<UploadSuccess, UploadError> {
        panic!("a bug in the upload's work")
    }

    #[tokio::test]
    async fn a_panic_in_the_work_settles_with_err_internal() {
        let listeners = Listeners::default();
        let outcome = settle(async { a_bug() }, &listeners).await;
        let UploadOutcome::Failure { code, reason, .. } = outcome else {
            panic!("a panic settled as a success");
        };
        assert_eq!(code, ErrorCode::ERR_INTERNAL);
        assert!(reason.contains("please report it"), "{reason}");
    }

    #[tokio::test]
    async fn a_panic_after_a_wait_settles_too() {
        let listeners = Listeners::default();
        let work = async {
            tokio::task::yield_now().await;
            a_bug()
        };
        let outcome = settle(work, &listeners).await;
        assert!(matches!(
            outcome,
            UploadOutcome::Failure {
                code: ErrorCode::ERR_INTERNAL,
                ..
            }
        ));
        let ok = settle(async { Err(UploadError::abort()) }, &listeners).await;
        assert!(matches!(
            ok,
            UploadOutcome::Failure {
                code: ErrorCode::ABORT_ERR,
                ..
            }
        ));
    }

    /// A work that ends at once and panics when it is dropped.
    struct PanicsOnDrop;

    impl Future for PanicsOnDrop {
        type Output = Result<UploadSuccess, UploadError>;

        fn poll(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> Poll<Self::Output> {
            Poll::Ready(Err(UploadError::abort()))
        }
    }

    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("a bug in a destructor");
        }
    }

    #[tokio::test]
    async fn a_panic_while_ending_the_work_settles_with_err_internal() {
        let listeners = Listeners::default();
        let outcome = settle(PanicsOnDrop, &listeners).await;
        assert!(matches!(
            outcome,
            UploadOutcome::Failure {
                code: ErrorCode::ERR_INTERNAL,
                ..
            }
        ));
    }
}
