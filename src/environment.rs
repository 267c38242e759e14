//! What the addon keeps per JavaScript environment (the main thread, each worker, each Electron
//! reload): its HTTP clients, so keep-alive connections are shared between its uploads, and a
//! shutdown token that cancels its uploads when the environment is torn down (a terminated
//! worker's uploads stop instead of running on without anyone to report to).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use napi::{Env, Status};
use reqwest::redirect::Policy;
use reqwest::{Certificate, Client, ClientBuilder, NoProxy, Proxy};
use tokio_util::sync::CancellationToken;

use crate::error::UploadError;
use crate::reuse::MarkNewConnections;
use crate::warmup::FirstConnections;

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
    /// The proxy (`proxy`, or the environment's).
    pub proxy: ProxyChoice,
}

/// Which proxy an upload goes through.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProxyChoice {
    /// None: straight to the server.
    #[default]
    None,
    /// This proxy URL, for every request (the `proxy` option).
    Fixed(String),
    /// The proxies the environment names (never empty: no variable set is [`ProxyChoice::None`]).
    Env(ProxyEnv),
}

/// The environment variables the proxy settings are read from (and `REQUEST_METHOD`, which
/// marks a CGI program). `lib/options.js` copies these from `process.env` when each upload
/// starts: what JavaScript sees there, a worker's own copy included, is what applies.
pub const PROXY_VARIABLES: [&str; 9] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// The names of the environment variables an upload's proxy settings are read from.
#[napi_derive::napi]
#[cfg_attr(test, allow(dead_code))] // only JavaScript calls it
pub fn proxy_variables() -> Vec<&'static str> {
    PROXY_VARIABLES.to_vec()
}

/// The proxy settings of the environment. Upper case first, then lower case, as curl and reqwest
/// read them; an empty value is unset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProxyEnv {
    /// `HTTPS_PROXY`: for `https:` URLs.
    pub https: Option<String>,
    /// `HTTP_PROXY`: for `http:` URLs; ignored when `REQUEST_METHOD` is set (a CGI program,
    /// where a request's `Proxy:` header arrives as `HTTP_PROXY`: "httpoxy").
    pub http: Option<String>,
    /// `ALL_PROXY`: for both, when the more specific variable is unset.
    pub all: Option<String>,
    /// `NO_PROXY`: hosts, domains and IP ranges reached directly (`*` for all).
    pub no: Option<String>,
}

/// Which URLs a proxy variable is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyScope {
    /// `https:` URLs (`HTTPS_PROXY`).
    Https,
    /// `http:` URLs (`HTTP_PROXY`).
    Http,
    /// Both (`ALL_PROXY`).
    All,
}

impl ProxyScope {
    /// The variable it comes from, as error messages name it.
    pub fn variable(self) -> &'static str {
        match self {
            ProxyScope::Https => "HTTPS_PROXY",
            ProxyScope::Http => "HTTP_PROXY",
            ProxyScope::All => "ALL_PROXY",
        }
    }

    /// reqwest's proxy for `url` over these URLs.
    fn proxy(self, url: &str) -> reqwest::Result<Proxy> {
        match self {
            ProxyScope::Https => Proxy::https(url),
            ProxyScope::Http => Proxy::http(url),
            ProxyScope::All => Proxy::all(url),
        }
    }
}

impl ProxyEnv {
    /// The settings of these variables (`name`, `value` pairs of [`PROXY_VARIABLES`]; other
    /// names are ignored).
    pub fn from_pairs<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)> + Clone) -> Self {
        let lookup = |name: &str| {
            vars.clone()
                .into_iter()
                .find(|(n, v)| *n == name && !v.trim().is_empty())
                .map(|(_, v)| v.to_string())
        };
        let var = |names: [&str; 2]| names.into_iter().find_map(lookup);
        let cgi = lookup("REQUEST_METHOD").is_some();
        ProxyEnv {
            https: var(["HTTPS_PROXY", "https_proxy"]),
            http: if cgi {
                None
            } else {
                var(["HTTP_PROXY", "http_proxy"])
            },
            all: var(["ALL_PROXY", "all_proxy"]),
            no: var(["NO_PROXY", "no_proxy"]),
        }
    }

    /// The proxy URLs set, each with the URLs it is for, most specific first.
    pub fn urls(&self) -> impl Iterator<Item = (ProxyScope, &str)> {
        [
            (ProxyScope::Https, &self.https),
            (ProxyScope::Http, &self.http),
            (ProxyScope::All, &self.all),
        ]
        .into_iter()
        .filter_map(|(scope, url)| Some((scope, url.as_deref()?)))
    }

    /// This environment as a choice: none when no proxy variable is set, or when `NO_PROXY`
    /// holds `*` (every host, as curl reads it; reqwest's matcher would apply it to names only,
    /// not to IP addresses).
    pub fn into_choice(self) -> ProxyChoice {
        let exempts_all = self
            .no
            .as_deref()
            .is_some_and(|list| list.split(',').any(|entry| entry.trim() == "*"));
        if exempts_all || self.urls().next().is_none() {
            ProxyChoice::None
        } else {
            ProxyChoice::Env(self)
        }
    }
}

/// The clients of one environment: the default one, and one per other set of settings.
pub struct Clients {
    default: Pooled,
    others: Mutex<VecDeque<(ClientKey, Pooled)>>,
}

/// A client, and for one that offers HTTP/2, its first connection per origin.
#[derive(Clone)]
pub struct Pooled {
    /// The HTTP client.
    pub client: Client,
    /// With HTTP/2 offered: the origins it has a connection to (`src/warmup.rs`).
    pub first: Option<Arc<FirstConnections>>,
}

impl Clients {
    /// The client for an upload with these settings; the default client for the defaults.
    pub fn client_for(&self, key: &ClientKey) -> Result<Pooled, UploadError> {
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
        let client = Pooled {
            client: build(key)?,
            first: key.http2.then(Default::default),
        };
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
    builder = with_proxy(builder, &key.proxy)?;
    builder
        .build()
        .map_err(|e| UploadError::invalid_value(format!("the client cannot be built: {e}")))
}

/// `builder` with the proxies of `choice`: an `https:` URL goes to `HTTPS_PROXY`, an `http:` URL
/// to `HTTP_PROXY`, either to `ALL_PROXY` when its own is unset; `NO_PROXY` exempts hosts from
/// all three. Credentials in a proxy URL are sent as `Proxy-Authorization: Basic`.
fn with_proxy(builder: ClientBuilder, choice: &ProxyChoice) -> Result<ClientBuilder, UploadError> {
    // URLs were checked by `options.rs`; this error never repeats one.
    fn invalid(what: &'static str) -> impl Fn(reqwest::Error) -> UploadError {
        move |_| UploadError::invalid_value(format!("{what} cannot be used as a proxy URL"))
    }
    Ok(match choice {
        ProxyChoice::None => builder,
        ProxyChoice::Fixed(url) => {
            builder.proxy(Proxy::all(url).map_err(invalid("parameter.proxy"))?)
        }
        ProxyChoice::Env(env) => {
            // reqwest takes the first proxy that matches a URL: the specific ones go first.
            let mut builder = builder;
            for (scope, url) in env.urls() {
                let proxy = scope.proxy(url).map_err(invalid(scope.variable()))?;
                let exempt = env.no.as_deref().and_then(NoProxy::from_string);
                builder = builder.proxy(proxy.no_proxy(exempt));
            }
            builder
        }
    })
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
                default: Pooled {
                    client: default,
                    first: None,
                },
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

/// Keep-alive; no redirects (`upload.rs` follows them, since only it can re-open the file for a
/// 307/308); no proxy unless `with_proxy` adds one (reqwest would read the environment on this
/// thread, while JavaScript may be writing it); TLS verified against the system's roots (which honour
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_upper_case_first_and_httpoxy() {
        let env = ProxyEnv::from_pairs([
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:1"),
            ("http_proxy", "http://lower:2"),
            ("no_proxy", " "),
        ]);
        assert_eq!(env.https.as_deref(), Some("http://upper:1"));
        assert_eq!(env.http.as_deref(), Some("http://lower:2"));
        assert_eq!(env.no, None, "an empty value is unset");
        let cgi = ProxyEnv::from_pairs([
            ("HTTP_PROXY", "http://injected:3"),
            ("REQUEST_METHOD", "GET"),
        ]);
        assert_eq!(cgi.http, None);
    }

    #[test]
    fn every_listed_variable_is_read() {
        for name in PROXY_VARIABLES {
            let env = ProxyEnv::from_pairs([(name, "http://127.0.0.1:1")]);
            let read = env != ProxyEnv::default();
            assert_eq!(read, name != "REQUEST_METHOD", "{name}");
        }
    }

    #[test]
    fn no_proxy_star_exempts_every_host() {
        let env = |no: &str| ProxyEnv {
            http: Some("http://127.0.0.1:1".into()),
            no: Some(no.into()),
            ..ProxyEnv::default()
        };
        assert_eq!(env("*").into_choice(), ProxyChoice::None);
        assert_eq!(env("example.com, *").into_choice(), ProxyChoice::None);
        assert!(matches!(
            env("example.com").into_choice(),
            ProxyChoice::Env(_)
        ));
        assert_eq!(ProxyEnv::default().into_choice(), ProxyChoice::None);
    }
}
