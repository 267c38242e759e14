//! `enableProfile`: what the stack observed of the request that produced the result, named as
//! WeChat's `RequestProfile` names it where the meaning is the same. Only what is really seen is
//! reported: name resolution, TCP and TLS happen inside one connector call, so they are one span
//! (`connectStart` to `connectEnd`) and WeChat's separate DNS and SSL fields, its round-trip
//! estimates and throughput guesses are absent.

use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use napi_derive::napi;
use reqwest::Version;

use crate::reuse::Connecting;

/// The timings of an upload's final request, in milliseconds since the Unix epoch (as
/// `Date.now()`), with its connection and byte counts (docs/API.md §4).
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct RequestProfile {
    /// When the first request that was redirected started; `0` without redirects.
    pub redirect_start: f64,
    /// When the head of the last redirect response arrived; `0` without redirects.
    pub redirect_end: f64,
    /// When the final request was handed to the HTTP client.
    pub fetch_start: f64,
    /// When a new connection was begun (name resolution, TCP, proxy tunnel, TLS); `fetchStart`
    /// on a reused connection.
    pub connect_start: f64,
    /// When that connection was ready; `fetchStart` on a reused connection.
    pub connect_end: f64,
    /// When the request head went to the connection: the later of `fetchStart` and `connectEnd`.
    pub request_start: f64,
    /// When the last byte of the body was handed to the connection (`requestStart` for a
    /// request without a body, after a 303).
    pub request_end: f64,
    /// When the response head arrived.
    pub response_start: f64,
    /// When the last byte of the response body arrived.
    pub response_end: f64,
    /// The address the connection went to (the proxy's, through a proxy).
    #[napi(js_name = "peerIP")]
    pub peer_ip: Option<String>,
    /// Its port.
    pub port: Option<u32>,
    /// Whether the request went out on a kept-alive connection.
    pub socket_reused: bool,
    /// The request body's bytes (head and framing of the protocol not counted).
    pub send_bytes_count: f64,
    /// The response body's bytes, after decoding (gzip, brotli, …).
    pub received_byted_count: f64,
    /// `http1.1`, `h2`, or `http1.0`, as WeChat names them.
    pub protocol: String,
}

/// Turns instants into epoch milliseconds, from one reading of both clocks.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    at: Instant,
    epoch_ms: f64,
}

impl Clock {
    /// Both clocks, now.
    pub fn now() -> Self {
        let epoch_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        Clock {
            at: Instant::now(),
            epoch_ms,
        }
    }

    /// `instant` in whole milliseconds since the epoch.
    pub fn epoch_ms(&self, instant: Instant) -> f64 {
        let offset = if instant >= self.at {
            instant.duration_since(self.at).as_secs_f64() * 1000.0
        } else {
            -(self.at.duration_since(instant).as_secs_f64() * 1000.0)
        };
        (self.epoch_ms + offset).round()
    }
}

/// What `upload.rs` records of the final request while it runs.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The first redirected request's start and the last redirect's head, when any.
    pub redirects: Option<(Instant, Instant)>,
    /// When the final request was handed to the client.
    pub fetch_start: Instant,
    /// What the connector did for it.
    pub connecting: Connecting,
    /// When its body's last byte was handed over; `None` without a body.
    pub body_end: Option<Instant>,
    /// When its response head arrived.
    pub response_start: Instant,
    /// When its response body ended.
    pub response_end: Instant,
    /// The peer's address.
    pub peer: Option<SocketAddr>,
    /// The HTTP version of the response.
    pub version: Version,
    /// Body bytes handed to the connection (all of them, unless an early response stopped the
    /// body).
    pub sent: u64,
    /// Response body bytes, decoded.
    pub received: u64,
}

impl Observed {
    /// The profile, in epoch milliseconds of `clock`.
    pub fn profile(&self, clock: &Clock) -> RequestProfile {
        let ms = |at: Instant| clock.epoch_ms(at);
        let (connect_start, connect_end) = match (self.connecting.start, self.connecting.end) {
            (Some(start), Some(end)) if !self.connecting.reused() => (start, end),
            _ => (self.fetch_start, self.fetch_start),
        };
        let request_start = connect_end.max(self.fetch_start);
        let (redirect_start, redirect_end) = self
            .redirects
            .map_or((0.0, 0.0), |(start, end)| (ms(start), ms(end)));
        RequestProfile {
            redirect_start,
            redirect_end,
            fetch_start: ms(self.fetch_start),
            connect_start: ms(connect_start),
            connect_end: ms(connect_end),
            request_start: ms(request_start),
            request_end: ms(self.body_end.unwrap_or(request_start).max(request_start)),
            response_start: ms(self.response_start),
            response_end: ms(self.response_end),
            peer_ip: self.peer.map(|p| p.ip().to_string()),
            port: self.peer.map(|p| u32::from(p.port())),
            socket_reused: self.connecting.reused(),
            send_bytes_count: self.sent as f64,
            received_byted_count: self.received as f64,
            protocol: protocol(self.version).to_string(),
        }
    }
}

/// WeChat's name for an HTTP version.
fn protocol(version: Version) -> &'static str {
    match version {
        Version::HTTP_2 => "h2",
        Version::HTTP_11 => "http1.1",
        Version::HTTP_10 => "http1.0",
        Version::HTTP_3 => "h3",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn observed(at: Instant) -> Observed {
        Observed {
            redirects: None,
            fetch_start: at,
            connecting: Connecting::default(),
            body_end: Some(at + Duration::from_millis(30)),
            response_start: at + Duration::from_millis(40),
            response_end: at + Duration::from_millis(45),
            peer: Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            version: Version::HTTP_11,
            sent: 1000,
            received: 12,
        }
    }

    #[test]
    fn a_reused_connection_connects_at_fetch_start() {
        let clock = Clock::now();
        let p = observed(clock.at).profile(&clock);
        assert!(p.socket_reused);
        assert_eq!(p.connect_start, p.fetch_start);
        assert_eq!(p.connect_end, p.fetch_start);
        assert_eq!(p.request_start, p.fetch_start);
        assert_eq!(p.request_end - p.fetch_start, 30.0);
        assert_eq!(p.response_end - p.fetch_start, 45.0);
        assert_eq!((p.redirect_start, p.redirect_end), (0.0, 0.0));
        assert_eq!(p.peer_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.protocol, "http1.1");
    }

    #[test]
    fn a_new_connection_is_timed_and_the_request_follows_it() {
        let clock = Clock::now();
        let mut o = observed(clock.at);
        o.connecting = Connecting {
            start: Some(clock.at + Duration::from_millis(1)),
            end: Some(clock.at + Duration::from_millis(11)),
        };
        o.body_end = None;
        o.version = Version::HTTP_2;
        let p = o.profile(&clock);
        assert!(!p.socket_reused);
        assert_eq!(p.connect_start - p.fetch_start, 1.0);
        assert_eq!(p.request_start - p.fetch_start, 11.0);
        assert_eq!(p.request_end, p.request_start, "no body");
        assert_eq!(p.protocol, "h2");
    }
}
