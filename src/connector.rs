//! The connections of the HTTP/1.1 transport (`transport.rs`), from library building blocks:
//! hyper-util's `HttpConnector` (the system's resolver, whose failures are [`DnsFailure`];
//! `TCP_NODELAY`, keep-alive probes and a user timeout as reqwest sets them); through the proxy
//! `proxy.rs` chose for the URL, if any (hyper-util's `CONNECT` tunnel for `https:`, a
//! forwarding connection for `http:`, its SOCKS clients); then for `https:` tokio-rustls with the
//! client's TLS settings (`trust.rs`: ALPN `http/1.1`, and `h2` first when HTTP/2 is offered:
//! the connection is then HTTP/2 if the server picks it); then [`HeldWrite`], so that an early
//! response is read before a failed write ends the exchange.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::{HeaderMap, HeaderValue, USER_AGENT};
use http::uri::Scheme;
use http::Uri;
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use hyper_util::client::legacy::connect::proxy::{SocksV4, SocksV5, Tunnel};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tower::Service;

use crate::held_write::HeldWrite;

/// The error type of the connector.
type BoxError = Box<dyn StdError + Send + Sync>;

/// TCP keep-alive probes: the first after this long idle, then at this interval (reqwest's).
const TCP_KEEPALIVE: Duration = Duration::from_secs(15);

/// How many unanswered keep-alive probes close the connection (reqwest's).
const TCP_KEEPALIVE_RETRIES: u32 = 3;

/// How long written data may stay unacknowledged before the connection is closed (reqwest's).
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// A byte stream to a server or a proxy: TCP, TLS over one, a tunnel.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {
    /// What hyper-util is told of the connection (the peer's address).
    fn connected(&self) -> Connected;
}

impl Io for TcpStream {
    fn connected(&self) -> Connected {
        Connection::connected(self)
    }
}

impl<T: Io> Io for TlsStream<T> {
    fn connected(&self) -> Connected {
        self.get_ref().0.connected()
    }
}

impl Io for Box<dyn Io> {
    fn connected(&self) -> Connected {
        (**self).connected()
    }
}

/// A connection as hyper uses it, and how: `Forwarded` to an HTTP proxy that forwards the
/// requests (absolute-form targets), or `H2` when the server's ALPN picked HTTP/2.
pub struct Conn {
    io: TokioIo<HeldWrite<Box<dyn Io>>>,
    spoken: Spoken,
}

/// How a connection is spoken to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spoken {
    /// HTTP/1.1 to the server.
    Http1,
    /// HTTP/1.1 to a forwarding proxy.
    Forwarded,
    /// HTTP/2 (negotiated by ALPN).
    H2,
}

impl Conn {
    fn new(io: Box<dyn Io>, spoken: Spoken) -> Self {
        Conn {
            io: TokioIo::new(HeldWrite::new(io)),
            spoken,
        }
    }
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        let connected = self.io.inner().get_ref().connected();
        match self.spoken {
            Spoken::Http1 => connected,
            Spoken::Forwarded => connected.proxy(true),
            Spoken::H2 => connected.negotiated_h2(),
        }
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A host name that did not resolve (`ENOTFOUND`, told by this type in `error.rs`).
#[derive(Debug)]
pub struct DnsFailure(io::Error);

impl fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dns error")
    }
}

impl StdError for DnsFailure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.0)
    }
}

/// The system's resolver, its failures typed as [`DnsFailure`].
#[derive(Clone, Debug)]
pub struct Resolver(GaiResolver);

impl Service<Name> for Resolver {
    type Response = <GaiResolver as Service<Name>>::Response;
    type Error = DnsFailure;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, DnsFailure>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), DnsFailure>> {
        self.0.poll_ready(cx).map_err(DnsFailure)
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let resolving = self.0.call(name);
        Box::pin(async move { resolving.await.map_err(DnsFailure) })
    }
}

/// Opens connections to servers, through the chosen proxy if any: TCP, TLS for `https:`, write
/// errors held for the read side.
#[derive(Clone)]
pub struct Connector {
    tcp: HttpConnector<Resolver>,
    tls: TlsConnector,
    /// The TLS settings to an `https:` proxy: ALPN `http/1.1` only (`CONNECT` is HTTP/1.1).
    proxy_tls: TlsConnector,
    proxies: Option<Arc<Matcher>>,
    /// The headers of a `CONNECT` request (`User-Agent`).
    tunnel_headers: HeaderMap,
}

impl Connector {
    /// A connector whose TLS connections use `tls`, through the proxies `proxies` picks, that
    /// names itself `user_agent` to them.
    pub fn new(tls: ClientConfig, proxies: Option<Arc<Matcher>>, user_agent: HeaderValue) -> Self {
        let mut tcp = HttpConnector::new_with_resolver(Resolver(GaiResolver::new()));
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_keepalive(Some(TCP_KEEPALIVE));
        tcp.set_keepalive_interval(Some(TCP_KEEPALIVE));
        tcp.set_keepalive_retries(Some(TCP_KEEPALIVE_RETRIES));
        tcp.set_tcp_user_timeout(Some(TCP_USER_TIMEOUT));
        let mut tunnel_headers = HeaderMap::new();
        tunnel_headers.insert(USER_AGENT, user_agent);
        let mut proxy_tls = tls.clone();
        proxy_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Connector {
            tcp,
            tls: TlsConnector::from(Arc::new(tls)),
            proxy_tls: TlsConnector::from(Arc::new(proxy_tls)),
            proxies,
            tunnel_headers,
        }
    }

    /// A connection to `target`, through its proxy if it has one.
    async fn connect(mut self, target: Uri) -> Result<Conn, BoxError> {
        let proxy = self.proxies.as_ref().and_then(|m| m.intercept(&target));
        let https = target.scheme() == Some(&Scheme::HTTPS);
        let io = match proxy {
            None => self.tcp_to(target.clone()).await?,
            Some(proxy) if is_socks(proxy.uri()) => self.socks(&target, &proxy).await?,
            Some(proxy) if https => self.tunnel(&target, &proxy).await?,
            Some(proxy) => {
                let io = self.hop(proxy.uri().clone()).await?;
                return Ok(Conn::new(io, Spoken::Forwarded));
            }
        };
        if !https {
            return Ok(Conn::new(io, Spoken::Http1));
        }
        let tls = self.tls.connect(server_name(&target)?, io).await?;
        let spoken = match tls.get_ref().1.alpn_protocol() {
            Some(b"h2") => Spoken::H2,
            _ => Spoken::Http1,
        };
        Ok(Conn::new(Box::new(tls), spoken))
    }

    /// A TCP connection to `uri`'s host and port.
    async fn tcp_to(&mut self, uri: Uri) -> Result<Box<dyn Io>, BoxError> {
        let tcp = self.tcp.call(uri).await?.into_inner();
        Ok(Box::new(tcp))
    }

    /// A connection to the HTTP proxy at `proxy`: TLS to the proxy itself for an `https:` one.
    async fn hop(mut self, proxy: Uri) -> Result<Box<dyn Io>, BoxError> {
        let io = self.tcp_to(proxy.clone()).await?;
        if proxy.scheme() != Some(&Scheme::HTTPS) {
            return Ok(io);
        }
        let tls = self.proxy_tls.connect(server_name(&proxy)?, io).await?;
        Ok(Box::new(tls))
    }

    /// A `CONNECT` tunnel through the HTTP proxy of `proxy` to `target`, with its credentials.
    async fn tunnel(&self, target: &Uri, proxy: &Intercept) -> Result<Box<dyn Io>, BoxError> {
        let mut tunnel = Tunnel::new(proxy.uri().clone(), ProxyHop(self.clone()))
            .with_headers(self.tunnel_headers.clone());
        if let Some(auth) = proxy.basic_auth() {
            tunnel = tunnel.with_auth(auth.clone());
        }
        Ok(tunnel.call(target.clone()).await?.into_inner())
    }

    /// A connection to `target` through the SOCKS proxy of `proxy`: `socks5` and `socks4` ask
    /// it for an address resolved here, `socks5h` and `socks4a` for the name.
    async fn socks(&mut self, target: &Uri, proxy: &Intercept) -> Result<Box<dyn Io>, BoxError> {
        let scheme = proxy.uri().scheme_str().unwrap_or_default();
        let resolve_here = matches!(scheme, "socks5" | "socks4");
        let dst = socks_target(target, resolve_here).await?;
        let proxy_uri = proxy.uri().clone();
        let tcp = if scheme.starts_with("socks4") {
            SocksV4::new(proxy_uri, self.tcp.clone()).call(dst).await?
        } else {
            let mut socks = SocksV5::new(proxy_uri, self.tcp.clone());
            if let Some((user, password)) = proxy.raw_auth() {
                socks = socks.with_auth(user.to_owned(), password.to_owned());
            }
            socks.call(dst).await?
        };
        Ok(Box::new(tcp.into_inner()))
    }
}

impl Service<Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, target: Uri) -> Self::Future {
        Box::pin(self.clone().connect(target))
    }
}

/// The connector of a tunnel's first hop: to the proxy.
#[derive(Clone)]
struct ProxyHop(Connector);

impl Service<Uri> for ProxyHop {
    type Response = TokioIo<Box<dyn Io>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, proxy: Uri) -> Self::Future {
        let hop = self.0.clone().hop(proxy);
        Box::pin(async move { Ok(TokioIo::new(hop.await?)) })
    }
}

/// Whether a proxy URI names a SOCKS proxy.
fn is_socks(proxy: &Uri) -> bool {
    crate::socks::SOCKS_SCHEMES.contains(&proxy.scheme_str().unwrap_or_default())
}

/// What a SOCKS proxy is asked to connect to: `target`'s host (its first address when
/// `resolve_here`) and port, the port always written out. Resolved with the connector's resolver
/// rather than the SOCKS clients' `local_dns`, which resolves with a blocking call on the
/// runtime's thread and reports a failure without its cause (here it is a [`DnsFailure`]:
/// `ENOTFOUND`), as reqwest did.
async fn socks_target(target: &Uri, resolve_here: bool) -> Result<Uri, BoxError> {
    let https = target.scheme() == Some(&Scheme::HTTPS);
    let port = target.port_u16().unwrap_or(if https { 443 } else { 80 });
    let mut host = target.host().ok_or("the URL has no host")?.to_owned();
    let literal = host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok();
    if resolve_here && !literal {
        let name = Name::from_str(&host)?;
        let mut addrs = Resolver(GaiResolver::new()).call(name).await?;
        if let Some(addr) = addrs.next() {
            host = match addr.ip() {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                ip => ip.to_string(),
            };
        }
    }
    let scheme = if https { "https" } else { "http" };
    Ok(format!("{scheme}://{host}:{port}").parse()?)
}

/// The name the server's certificate must carry: the URL's host (an IP address as such).
fn server_name(uri: &Uri) -> Result<ServerName<'static>, BoxError> {
    let host = uri.host().ok_or("the URL has no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok(ServerName::try_from(host.to_string())?)
}
