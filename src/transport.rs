//! How a client sends a request: on our own connections (hyper-util's legacy client over
//! `connector.rs`), so that a response that arrives before the body went out whole is the result
//! whatever the server does with the connection afterwards (`held_write.rs`), and so that a
//! request's extensions reach hyper (`100 Continue`, `expect.rs`). HTTP/2 when the client offers
//! it and the server's ALPN picks it, else HTTP/1.1.

use std::sync::Arc;
use std::time::Duration;

use http::header::{
    HeaderMap, HeaderValue, ACCEPT, ACCEPT_ENCODING, PROXY_AUTHORIZATION, USER_AGENT,
};
use hyper_util::client::legacy::Client;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use reqwest::{Method, Response, Url};
use tower::Layer;

use crate::connector::Connector;
use crate::expect::Hold;
use crate::reuse::{MarkNewConnections, Marking};
use crate::socks::{Reaching, SocksAddr, SocksReach};

/// The legacy client under a transport.
type Direct = Client<Marking<Reaching<Connector>>, reqwest::Body>;

/// How a client sends its requests (cheap to clone: one pool).
#[derive(Clone)]
pub struct Transport(Arc<Inner>);

/// A transport's client, and what it adds to every request.
pub struct Inner {
    client: Direct,
    defaults: HeaderMap,
    proxies: Option<Arc<Matcher>>,
}

/// How a request failed before a response, for the URL it was sent to.
#[derive(Debug)]
pub enum SendFailure {
    /// From the HTTP client (connecting, writing, reading the response head).
    Http(hyper_util::client::legacy::Error, Url),
    /// A URL that hyper cannot take as a request target (nothing was sent).
    Target(http::uri::InvalidUri, Url),
    /// From the HTTP/3 client (`quic.rs`).
    Quic(reqwest::Error),
}

/// The settings of a transport.
pub struct Settings {
    /// The TLS settings (their ALPN offers `h2` when `http2` is set).
    pub tls: rustls::ClientConfig,
    /// With HTTP/2 offered: the largest response header list taken (RFC 9113 §6.5.2).
    pub http2: Option<u32>,
    /// How long an idle connection is kept (`None`: not at all).
    pub pool_idle: Option<Duration>,
    /// How many header lines an HTTP/1.1 response may have.
    pub max_headers: usize,
    /// The headers every request gets unless it sets them (`User-Agent` among them).
    pub defaults: HeaderMap,
    /// The proxies (`proxy.rs`), if any.
    pub proxies: Option<Matcher>,
    /// The SOCKS proxies among them.
    pub socks: Vec<SocksAddr>,
}

impl Transport {
    /// A transport with these settings.
    pub fn new(settings: Settings) -> Self {
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .http1_max_headers(settings.max_headers);
        if let Some(header_list) = settings.http2 {
            builder
                .http2_adaptive_window(true)
                .http2_max_header_list_size(header_list);
        }
        match settings.pool_idle {
            Some(idle) => builder.pool_idle_timeout(idle),
            None => builder.pool_max_idle_per_host(0),
        };
        let proxies = settings.proxies.map(Arc::new);
        let user_agent = settings.defaults.get(USER_AGENT).cloned();
        let connector = Connector::new(
            settings.tls,
            proxies.clone(),
            user_agent.unwrap_or(HeaderValue::from_static("")),
        );
        let connector = MarkNewConnections.layer(SocksReach::new(settings.socks).layer(connector));
        Transport(Arc::new(Inner {
            client: builder.build(connector),
            defaults: settings.defaults,
            proxies,
        }))
    }

    /// Sends `method` to `url` with `headers` and `body` (none: an empty one); the server's
    /// informational responses (`100 Continue`) go to `hold`.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        headers: HeaderMap,
        body: Option<reqwest::Body>,
        hold: Option<Arc<Hold>>,
    ) -> Result<Response, SendFailure> {
        let uri = uri_of(url).map_err(|e| SendFailure::Target(e, url.clone()))?;
        let mut request = self.0.request(method, uri, headers, body);
        if let Some(hold) = hold {
            hyper::ext::on_informational(&mut request, move |informational| {
                hold.informational(informational.status());
            });
        }
        let response = self.0.client.request(request).await;
        let response = response.map_err(|err| SendFailure::Http(err, url.clone()))?;
        Ok(Response::from(response.map(reqwest::Body::wrap)))
    }
}

impl Inner {
    /// The request for `uri` with the caller's `headers`, then the defaults it does not set, and
    /// for a forwarding HTTP proxy its credentials.
    fn request(
        &self,
        method: Method,
        uri: http::Uri,
        mut headers: HeaderMap,
        body: Option<reqwest::Body>,
    ) -> http::Request<reqwest::Body> {
        for (name, value) in &self.defaults {
            if !headers.contains_key(name) {
                headers.insert(name, value.clone());
            }
        }
        if uri.scheme() == Some(&http::uri::Scheme::HTTP)
            && !headers.contains_key(PROXY_AUTHORIZATION)
        {
            let proxy = self.proxies.as_ref().and_then(|m| m.intercept(&uri));
            if let Some(auth) = proxy.as_ref().and_then(|p| p.basic_auth()) {
                headers.insert(PROXY_AUTHORIZATION, auth.clone());
            }
        }
        let mut request =
            http::Request::new(body.unwrap_or_else(|| reqwest::Body::from(Vec::new())));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        request
    }
}

/// `url`, less its fragment, as hyper's URI type.
fn uri_of(url: &Url) -> Result<http::Uri, http::uri::InvalidUri> {
    let mut target = url.clone();
    target.set_fragment(None);
    target.as_str().parse()
}

/// The headers of every request unless it sets them: `User-Agent`, `Accept: */*` (as reqwest
/// sends) and `Accept-Encoding`.
pub fn default_headers(user_agent: &'static str, codings: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(USER_AGENT, HeaderValue::from_static(user_agent));
    headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(codings));
    headers
}
