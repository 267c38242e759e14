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

/// How many clients with other settings (`ca`, HTTP/2) are kept for reuse; the oldest goes first.
const OTHER_CLIENTS: usize = 8;

/// The addon's state in one environment.
pub struct EnvState {
    /// The HTTP clients of this environment.
    pub clients: Arc<Clients>,
    /// Cancelled when the environment is torn down; every task's token is its child.
    pub shutdown: CancellationToken,
}

/// What sets one client apart from the default one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientKey {
    /// Extra trusted roots, as PEM texts (`ca`, already checked by `options.rs`).
    pub ca: Vec<String>,
    /// Whether HTTP/2 may be negotiated by ALPN (`enableHttp2`).
    pub http2: bool,
}

/// The clients of one environment: the default one, and one per other set of settings.
pub struct Clients {
    default: Client,
    others: Mutex<VecDeque<(ClientKey, Client)>>,
}

impl Clients {
    /// The client for an upload with these settings; the default client for the defaults.
    pub fn client_for(&self, key: &ClientKey) -> Result<Client, UploadError> {
        if *key == ClientKey::default() {
            return Ok(self.default.clone());
        }
        let mut cache = self
            .others
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, client)) = cache.iter().find(|(k, _)| k == key) {
            return Ok(client.clone());
        }
        let client = build(key)?;
        if cache.len() == OTHER_CLIENTS {
            cache.pop_front();
        }
        cache.push_back((key.clone(), client.clone()));
        Ok(client)
    }
}

/// A client with the settings of `key`.
fn build(key: &ClientKey) -> Result<Client, UploadError> {
    let mut builder = configured();
    if key.http2 {
        // ALPN offers h2 and http/1.1 over TLS; plain `http:` stays HTTP/1.1.
        builder = builder.http2_adaptive_window(true);
    } else {
        builder = builder.http1_only();
    }
    if !key.ca.is_empty() {
        let mut roots = Vec::new();
        for pem in &key.ca {
            roots.extend(Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                UploadError::invalid_value(format!("parameter.ca cannot be used: {e}"))
            })?);
        }
        builder = builder.tls_certs_merge(roots);
    }
    builder
        .build()
        .map_err(|e| UploadError::invalid_value(format!("the client cannot be built: {e}")))
}

/// The state of this environment, created on first use and finalized with the environment.
pub fn env_state(env: &Env) -> napi::Result<&'static EnvState> {
    if env.get_instance_data::<EnvState>()?.is_none() {
        let default = configured().http1_only().build().map_err(|e| {
            napi::Error::new(
                Status::GenericFailure,
                format!("cannot build the HTTP client: {e}"),
            )
        })?;
        let state = EnvState {
            clients: Arc::new(Clients {
                default,
                others: Mutex::new(VecDeque::new()),
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

/// Keep-alive, no redirects (a redirected POST would lose the upload), no proxy from the
/// environment (as Node's `http`), TLS verified against the system's roots (which honour
/// `SSL_CERT_FILE` and `SSL_CERT_DIR`); responses with as many header lines as Node takes,
/// decoded from gzip, deflate, brotli and zstd (which are advertised in `Accept-Encoding` unless
/// the caller sets that header). HTTP/1.1 only, unless the caller enables HTTP/2.
fn configured() -> ClientBuilder {
    Client::builder()
        .user_agent(USER_AGENT)
        .redirect(Policy::none())
        .no_proxy()
        .http1_max_headers(MAX_RESPONSE_HEADERS)
        .gzip(true)
        .deflate(true)
        .brotli(true)
        .zstd(true)
        .tcp_nodelay(true)
        .connector_layer(MarkNewConnections)
}
