//! SOCKS proxies (`socks5://`, `socks5h://`, `socks4://`, `socks4a://`): hyper-util's SOCKS
//! clients speak the protocol (`connector.rs`), with the credentials of the URL
//! (RFC 1929 for SOCKS5). `socks5` and `socks4` resolve the server's host name here and ask the
//! proxy for an address; `socks5h` and `socks4a` ask the proxy for the name, as curl does.
//!
//! hyper-util's SOCKS error hides its cause (it has no `source()`), so a proxy that cannot be
//! reached and one that refused the handshake (a wrong password, a refused `CONNECT`) look the
//! same. This module tells them apart by where the failure happened: when a connection through a
//! SOCKS proxy fails with no I/O cause in its chain, [`SocksReach`] opens a TCP connection to the
//! proxy itself. If that fails, the failure is that I/O error (`ECONNREFUSED` for a closed port);
//! if it succeeds, the proxy was reached and refused, which `error.rs` reports as `ERR_PROXY`.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::net::TcpStream;
use tower::{Layer, Service};

/// The error type of the connector.
type BoxError = Box<dyn StdError + Send + Sync>;

/// The schemes of SOCKS proxy URLs.
pub const SOCKS_SCHEMES: [&str; 4] = ["socks5", "socks5h", "socks4", "socks4a"];

/// How long the check that a SOCKS proxy can be reached may take.
const REACH_LIMIT: Duration = Duration::from_secs(2);

/// The port of a SOCKS proxy URL without one (curl's and reqwest's).
const DEFAULT_PORT: u16 = 1080;

/// Where a SOCKS proxy listens: never its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocksAddr {
    host: String,
    port: u16,
}

impl SocksAddr {
    /// The address of `url` when it is a SOCKS proxy URL.
    pub fn of(url: &reqwest::Url) -> Option<SocksAddr> {
        if !SOCKS_SCHEMES.contains(&url.scheme()) {
            return None;
        }
        // An IPv6 address comes in brackets, which a socket address has not.
        let host = url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']');
        Some(SocksAddr {
            host: host.to_string(),
            port: url.port().unwrap_or(DEFAULT_PORT),
        })
    }

    /// The error of connecting to this proxy, or `None` when it accepts a TCP connection (or
    /// the check ran out of time: nothing is known then).
    async fn unreachable(&self) -> Option<io::Error> {
        let connect = TcpStream::connect((self.host.as_str(), self.port));
        match tokio::time::timeout(REACH_LIMIT, connect).await {
            Ok(Err(err)) => Some(err),
            Ok(Ok(_)) | Err(_) => None,
        }
    }
}

impl fmt::Display for SocksAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// A SOCKS proxy that could not be reached; its cause is the I/O error of connecting to it.
#[derive(Debug)]
pub struct Unreachable {
    proxy: SocksAddr,
    cause: io::Error,
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the SOCKS proxy {} cannot be reached", self.proxy)
    }
}

impl StdError for Unreachable {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.cause)
    }
}

/// The connector layer that checks, after a connection through a SOCKS proxy failed, whether
/// the proxy could be reached at all.
#[derive(Debug, Clone)]
pub struct SocksReach {
    proxies: Arc<[SocksAddr]>,
}

impl SocksReach {
    /// The layer for these SOCKS proxies (those of one client's settings).
    pub fn new(proxies: Vec<SocksAddr>) -> Self {
        SocksReach {
            proxies: proxies.into(),
        }
    }
}

impl<S> Layer<S> for SocksReach {
    type Service = Reaching<S>;

    fn layer(&self, inner: S) -> Reaching<S> {
        Reaching {
            inner,
            proxies: self.proxies.clone(),
        }
    }
}

/// The connector wrapped by [`SocksReach`].
#[derive(Debug, Clone)]
pub struct Reaching<S> {
    inner: S,
    proxies: Arc<[SocksAddr]>,
}

impl<S, R> Service<R> for Reaching<S>
where
    S: Service<R, Error = BoxError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let connecting = self.inner.call(request);
        let proxies = self.proxies.clone();
        Box::pin(async move {
            match connecting.await {
                Ok(conn) => Ok(conn),
                Err(err) => Err(explain(err, &proxies).await),
            }
        })
    }
}

/// `err` as it is when a cause in its chain is an I/O error (it says what happened) or some
/// SOCKS proxy can be reached; else the I/O error of reaching the proxy. With several SOCKS
/// proxies (from different variables), only when none can be reached: the connector does not
/// say which one this connection used.
async fn explain(err: BoxError, proxies: &[SocksAddr]) -> BoxError {
    let first: &(dyn StdError + 'static) = &*err;
    let has_io_cause =
        std::iter::successors(Some(first), |&e| e.source()).any(|e| e.is::<io::Error>());
    if has_io_cause {
        return err;
    }
    let mut unreachable = None;
    for proxy in proxies {
        match proxy.unreachable().await {
            Some(cause) => {
                unreachable = Some(Unreachable {
                    proxy: proxy.clone(),
                    cause,
                })
            }
            None => return err,
        }
    }
    match unreachable {
        Some(found) => Box::new(found),
        None => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(url: &str) -> Option<SocksAddr> {
        SocksAddr::of(&reqwest::Url::parse(url).ok()?)
    }

    #[test]
    fn socks_addresses_leave_credentials_out() {
        let a = addr("socks5h://user:secret@proxy.example:9050").unwrap();
        assert_eq!(a.to_string(), "proxy.example:9050");
        assert_eq!(addr("socks5://[::1]").unwrap().to_string(), "[::1]:1080");
        assert_eq!(
            addr("socks4a://127.0.0.1:1").unwrap().to_string(),
            "127.0.0.1:1"
        );
        assert_eq!(addr("http://127.0.0.1:3128"), None);
    }

    #[tokio::test]
    async fn an_unreachable_proxy_is_its_io_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = addr(&format!("socks5://127.0.0.1:{port}")).unwrap();
        drop(listener);
        let opaque = || BoxError::from("SOCKS error");
        let err = explain(opaque(), std::slice::from_ref(&open)).await;
        let cause = err.source().and_then(|e| e.downcast_ref::<io::Error>());
        assert_eq!(
            cause.map(io::Error::kind),
            Some(io::ErrorKind::ConnectionRefused)
        );
        assert!(err.to_string().contains(&format!("127.0.0.1:{port}")));

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let listening = addr(&format!("socks5://127.0.0.1:{port}")).unwrap();
        let err = explain(opaque(), &[open, listening]).await;
        assert!(err.source().is_none(), "one proxy answers: kept as it was");
    }
}
