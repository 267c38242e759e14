//! What the addon keeps per JavaScript environment (the main thread, each worker, each Electron
//! reload): one HTTP client, so keep-alive connections are shared between its uploads, and a
//! shutdown token that cancels its uploads when the environment is torn down (a terminated
//! worker's uploads stop instead of running on without anyone to report to).

use napi::{Env, Status};
use reqwest::redirect::Policy;
use reqwest::Client;
use tokio_util::sync::CancellationToken;

use crate::reuse::MarkNewConnections;

/// The default `User-Agent`, sent unless the caller sets one.
const USER_AGENT: &str = concat!("upload-task/", env!("CARGO_PKG_VERSION"));

/// How many header lines a response may have: as many as Node accepts (`maxHeadersCount`).
const MAX_RESPONSE_HEADERS: usize = 2000;

/// The addon's state in one environment.
pub struct EnvState {
    /// The HTTP client of this environment.
    pub client: Client,
    /// Cancelled when the environment is torn down; every task's token is its child.
    pub shutdown: CancellationToken,
}

/// The state of this environment, created on first use and finalized with the environment.
pub fn env_state(env: &Env) -> napi::Result<&'static EnvState> {
    if env.get_instance_data::<EnvState>()?.is_none() {
        let state = EnvState {
            client: build_client()?,
            shutdown: CancellationToken::new(),
        };
        env.set_instance_data(state, (), |ctx| ctx.value.shutdown.cancel())?;
    }
    match env.get_instance_data::<EnvState>()? {
        Some(state) => Ok(state),
        None => Err(napi::Error::new(
            Status::GenericFailure,
            "the addon's per-environment state is missing",
        )),
    }
}

/// HTTP/1.1 with keep-alive, no redirects (a redirected POST would lose the upload), no proxy
/// from the environment (as Node's `http`), TLS verified against the system's roots; responses
/// with as many header lines as Node takes, decoded from gzip, deflate, brotli and zstd (which
/// are advertised in `Accept-Encoding` unless the caller sets that header).
fn build_client() -> napi::Result<Client> {
    Client::builder()
        .user_agent(USER_AGENT)
        .redirect(Policy::none())
        .no_proxy()
        .http1_only()
        .http1_max_headers(MAX_RESPONSE_HEADERS)
        .gzip(true)
        .deflate(true)
        .brotli(true)
        .zstd(true)
        .tcp_nodelay(true)
        .connector_layer(MarkNewConnections)
        .build()
        .map_err(|e| {
            napi::Error::new(
                Status::GenericFailure,
                format!("cannot build the HTTP client: {e}"),
            )
        })
}
