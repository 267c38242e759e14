//! What the addon keeps per JavaScript environment (the main thread, each worker, each Electron
//! reload): its HTTP clients, so keep-alive connections are shared between its uploads, and a
//! shutdown token that cancels its uploads when the environment is torn down (a terminated
//! worker's uploads stop instead of running on without anyone to report to).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use napi::{Env, Status};
use reqwest::redirect::Policy;
use reqwest::{Certificate, Client, ClientBuilder};
use tokio_util::sync::CancellationToken;

use crate::error::UploadError;
use crate::reuse::MarkNewConnections;

/// The default `User-Agent`, sent unless the caller sets one.
const USER_AGENT: &str = concat!("upload-task/", env!("CARGO_PKG_VERSION"));

/// How many header lines a response may have: as many as Node accepts (`maxHeadersCount`).
const MAX_RESPONSE_HEADERS: usize = 2000;

/// How many clients with extra trusted roots (`ca`) are kept for reuse; the oldest goes first.
const CA_CLIENTS: usize = 8;

/// The addon's state in one environment.
pub struct EnvState {
    /// The HTTP clients of this environment.
    pub clients: Arc<Clients>,
    /// Cancelled when the environment is torn down; every task's token is its child.
    pub shutdown: CancellationToken,
}

/// The clients of one environment: the default one, and one per set of extra trusted roots.
pub struct Clients {
    default: Client,
    with_ca: Mutex<VecDeque<(Vec<String>, Client)>>,
}

impl Clients {
    /// The client for an upload that also trusts the roots in `ca` (PEM texts, already checked
    /// by `options.rs`); the default client when there are none.
    pub fn for_ca(&self, ca: &[String]) -> Result<Client, UploadError> {
        if ca.is_empty() {
            return Ok(self.default.clone());
        }
        let mut cache = self
            .with_ca
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, client)) = cache.iter().find(|(key, _)| key.as_slice() == ca) {
            return Ok(client.clone());
        }
        let mut roots = Vec::new();
        for pem in ca {
            roots.extend(Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                UploadError::invalid_value(format!("parameter.ca cannot be used: {e}"))
            })?);
        }
        let client = configured()
            .tls_certs_merge(roots)
            .build()
            .map_err(|e| UploadError::invalid_value(format!("parameter.ca cannot be used: {e}")))?;
        if cache.len() == CA_CLIENTS {
            cache.pop_front();
        }
        cache.push_back((ca.to_vec(), client.clone()));
        Ok(client)
    }
}

/// The state of this environment, created on first use and finalized with the environment.
pub fn env_state(env: &Env) -> napi::Result<&'static EnvState> {
    if env.get_instance_data::<EnvState>()?.is_none() {
        let default = configured().build().map_err(|e| {
            napi::Error::new(
                Status::GenericFailure,
                format!("cannot build the HTTP client: {e}"),
            )
        })?;
        let state = EnvState {
            clients: Arc::new(Clients {
                default,
                with_ca: Mutex::new(VecDeque::new()),
            }),
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
/// from the environment (as Node's `http`), TLS verified against the system's roots (which
/// honour `SSL_CERT_FILE` and `SSL_CERT_DIR`); responses with as many header lines as Node
/// takes, decoded from gzip, deflate, brotli and zstd (which are advertised in
/// `Accept-Encoding` unless the caller sets that header).
fn configured() -> ClientBuilder {
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
}
