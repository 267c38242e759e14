//! The native `UploadTask` class: starts the upload future, cancels it, and holds its listeners.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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
use crate::response::UploadOutcome;
use crate::upload::run_upload;

/// One upload. `uploadFile` in `index.js` wraps it; use it directly only for the low-level API:
/// `start` once, listeners by id, `abort` at any time.
#[napi]
pub struct UploadTask {
    token: CancellationToken,
    listeners: Arc<Listeners>,
    started: AtomicBool,
    created: Instant,
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
        let clients = env_state(env)?.clients.clone();
        let token = self.token.clone();
        let listeners = self.listeners.clone();
        // Checked and given its client here, on the JavaScript thread: building a client reads
        // the TLS roots' variables (`SSL_CERT_FILE`), and no other thread may read the process
        // environment while JavaScript can write it.
        let prepared = request
            .validate()
            .and_then(|plan| Ok((clients.client_for(&plan.client)?, plan)));
        env.spawn_future(async move {
            let result = match prepared {
                Ok((pooled, plan)) => {
                    run_upload(plan, pooled, listeners.clone(), token, created).await
                }
                Err(err) => Err(err),
            };
            listeners.close();
            Ok(UploadOutcome::from(result))
        })
    }

    /// Cancels the upload: no further body byte is sent, the connection is closed and the
    /// promise of `start` resolves with code `ABORT_ERR`. Returns that failure, so that a caller
    /// can settle at once. Cancelling a settled task changes nothing.
    #[napi]
    pub fn abort(&self) -> UploadOutcome {
        self.token.cancel();
        self.listeners.close();
        UploadError::abort().into()
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
