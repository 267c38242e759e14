//! The HTTP clients of one JavaScript environment: the default one, and the [`OTHER_CLIENTS`]
//! most recently used for uploads with other settings (`ca`, `enableHttp2`, a proxy), so that
//! keep-alive connections are shared between the environment's uploads. A client is never
//! shared between environments, so one never outlives the runtime it was built on.

use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use crate::decoding::ACCEPTED_CODINGS;
use crate::error::UploadError;
use crate::expect::ContinueOrigins;
use crate::keep_alive::PoolIdle;
use crate::proxy::{matcher, socks_proxies, ProxyChoice};
use crate::quic::{Quic, QuicOrigins};
use crate::recent::Recent;
use crate::transport::{default_headers, Settings, Transport};
use crate::warmup::FirstConnections;
use crate::{roots, trust};

/// The default `User-Agent`, sent unless the caller sets one.
const USER_AGENT: &str = concat!("upload-task/", env!("CARGO_PKG_VERSION"));

/// How many header lines a response may have: as many as Node accepts (`maxHeadersCount`).
const MAX_RESPONSE_HEADERS: usize = 2000;

/// How large an HTTP/2 response's header list may be, counted as RFC 9113 §6.5.2 counts it
/// (names and values, plus 32 bytes a field): 64 KiB of names and values in up to
/// [`MAX_RESPONSE_HEADERS`] fields, as HTTP/1.1 takes (hyper's default is 16 KiB).
const MAX_HTTP2_HEADER_LIST: u32 = 64 * 1024 + 32 * MAX_RESPONSE_HEADERS as u32;

/// How many clients with other settings (`ca`, HTTP/2, a proxy) are kept for reuse; the one used
/// longest ago goes first (docs/API.md §2, docs/ARCHITECTURE.md "Per environment").
const OTHER_CLIENTS: usize = 32;

/// What sets one client apart from the default one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientKey {
    /// Extra trusted roots (`ca`).
    pub ca: ExtraRoots,
    /// Whether HTTP/2 may be negotiated by ALPN (`enableHttp2`).
    pub http2: bool,
    /// The proxy (`proxy`, or the proxy variables').
    pub proxy: ProxyChoice,
    /// How long its pool keeps a connection idle (`keep_alive.rs`: the origin's hint).
    pub pool_idle: PoolIdle,
    /// Whether it offers HTTP/3 to `https:` origins (`enableQuic`, `quic.rs`).
    pub quic: bool,
}

/// Extra trusted roots (`ca`): their PEM texts, which tell one client's settings from another's,
/// and their certificates, parsed once.
#[derive(Debug, Clone, Default)]
pub struct ExtraRoots {
    pems: Vec<String>,
    certificates: Vec<CertificateDer<'static>>,
}

impl PartialEq for ExtraRoots {
    fn eq(&self, other: &Self) -> bool {
        self.pems == other.pems
    }
}

impl Eq for ExtraRoots {}

impl ExtraRoots {
    /// The roots of the `ca` texts, each of which must hold at least one PEM certificate.
    pub fn from_pem(pems: Vec<String>) -> Result<Self, UploadError> {
        let mut certificates = Vec::new();
        for pem in &pems {
            match CertificateDer::pem_slice_iter(pem.as_bytes()).collect::<Result<Vec<_>, _>>() {
                Ok(certs) if !certs.is_empty() => certificates.extend(certs),
                _ => {
                    return Err(UploadError::invalid_value(
                        "parameter.ca should be PEM certificates (-----BEGIN CERTIFICATE-----)",
                    ))
                }
            }
        }
        Ok(ExtraRoots { pems, certificates })
    }
}

/// The clients of one environment: the default one, and one per other set of settings.
pub struct Clients {
    default: Pooled,
    continues: Arc<ContinueOrigins>,
    others: Mutex<Recent<ClientKey, Pooled>>,
    /// The origins whose QUIC failed, shared by every client of the environment that offers
    /// HTTP/3, whatever its other settings (`src/quic.rs`).
    quic_failed: Arc<QuicOrigins>,
}

/// A client, and for one that offers HTTP/2, its first connection per origin.
#[derive(Clone)]
pub struct Pooled {
    /// The HTTP client.
    pub client: Transport,
    /// With HTTP/2 offered: the origins it has a connection to (`src/warmup.rs`).
    pub first: Option<Arc<FirstConnections>>,
    /// What the origins showed of their answers to `Expect: 100-continue`, shared by all the
    /// clients of the environment (`src/expect.rs`).
    pub continues: Arc<ContinueOrigins>,
    /// With HTTP/3 offered: its client, and the origins whose QUIC failed (`src/quic.rs`).
    pub quic: Option<Quic>,
}

impl Clients {
    /// The clients of a new environment: the default one only. On the JavaScript thread (the
    /// roots' variables are read).
    pub fn new() -> Result<Self, UploadError> {
        let continues = Arc::new(ContinueOrigins::default());
        Ok(Clients {
            default: Pooled {
                client: build(&ClientKey::default())?,
                first: None,
                continues: continues.clone(),
                quic: None,
            },
            continues,
            others: Mutex::new(Recent::new(OTHER_CLIENTS)),
            quic_failed: Default::default(),
        })
    }

    /// The client for an upload with these settings; the default client for the defaults.
    pub fn client_for(&self, key: &ClientKey) -> Result<Pooled, UploadError> {
        if *key == ClientKey::default() {
            return Ok(self.default.clone());
        }
        let mut cache = self
            .others
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = cache.get(key) {
            return Ok(client);
        }
        let client = Pooled {
            client: build(key)?,
            first: key.http2.then(Default::default),
            continues: self.continues.clone(),
            quic: key
                .quic
                .then(|| with_quic(key, &self.quic_failed))
                .transpose()?
                .flatten(),
        };
        cache.insert(key.clone(), client.clone());
        Ok(client)
    }
}

/// The HTTP/3 client of a client that offers it (`enableQuic`): built inside the environment's
/// runtime, whose tasks drive its QUIC endpoint (a UDP socket); `None` where no QUIC endpoint
/// can be made (no UDP socket): the upload then goes over TCP.
fn with_quic(key: &ClientKey, failed: &Arc<QuicOrigins>) -> Result<Option<Quic>, UploadError> {
    let tls = tls_settings(key)?;
    let built = napi::bindgen_prelude::within_runtime_if_available(|| {
        Quic::new(tls, USER_AGENT, ACCEPTED_CODINGS, failed.clone())
    });
    Ok(built.ok())
}

/// A client with the settings of `key`, trusting the system's roots (`roots.rs`: loaded in the
/// background, read from the variables as they are now) and the `ca` certificates; keep-alive
/// (the pool idle time of the origin's hint, `keep_alive.rs`), no redirects (`upload.rs` follows
/// them, since only it can re-open the file for a 307/308), responses with as many header lines
/// as Node takes, and the content codings `src/response.rs` decodes advertised in
/// `Accept-Encoding` unless the caller sets that header.
fn build(key: &ClientKey) -> Result<Transport, UploadError> {
    Ok(Transport::new(Settings {
        tls: tls_settings(key)?,
        http2: key.http2.then_some(MAX_HTTP2_HEADER_LIST),
        pool_idle: key.pool_idle.duration(),
        max_headers: MAX_RESPONSE_HEADERS,
        defaults: default_headers(USER_AGENT, ACCEPTED_CODINGS),
        proxies: matcher(&key.proxy),
        socks: socks_proxies(&key.proxy),
    }))
}

/// The TLS settings of the client of `key`.
fn tls_settings(key: &ClientKey) -> Result<rustls::ClientConfig, UploadError> {
    let roots = roots::system_roots();
    trust::tls_config(roots, &key.ca.certificates, key.http2).map_err(|e| {
        match key.ca.certificates.is_empty() {
            true => UploadError::invalid_value(format!("the TLS settings cannot be built: {e}")),
            false => UploadError::invalid_value(format!("parameter.ca cannot be used: {e}")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_texts_without_a_certificate_are_refused() {
        for bad in ["", "not a certificate", "-----BEGIN CERTIFICATE-----\n"] {
            let err = ExtraRoots::from_pem(vec![bad.into()]).unwrap_err();
            assert!(err.reason.contains("parameter.ca"), "{}", err.reason);
        }
        assert_eq!(
            ExtraRoots::from_pem(Vec::new()).unwrap(),
            ExtraRoots::default()
        );
    }
}
