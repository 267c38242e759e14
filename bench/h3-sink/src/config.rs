//! The QUIC endpoint: TLS 1.3 with the given certificate, ALPN `h3`, quinn's default
//! flow-control windows and a large UDP receive buffer.
//!
//! Larger receive windows were measured and dropped: with 16 or 32 MiB per stream (32 or 64 MiB per
//! connection) the 1 GiB upload of bench scenario h3 was no faster on loopback than with quinn's
//! defaults (1.25 MB per stream, the connection unbounded), the client spent more CPU per GiB
//! (about 2.0 s against 1.4 s), its peak RSS grew by about 15 MiB, and the sink's socket dropped
//! datagrams (bench/README.md, scenario h3).

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;

use quinn::crypto::rustls::QuicServerConfig;
use quinn::{Endpoint, EndpointConfig, ServerConfig, TokioRuntime, TransportConfig, VarInt};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::BoxError;

/// Request streams a connection may have open at once (aioquic's default, as the Python sink).
const MAX_STREAMS: u32 = 128;
/// SO_RCVBUF asked for the UDP socket (the kernel caps it at net.core.rmem_max).
const SOCKET_RECV_BUFFER: usize = 16 << 20;

/// A server endpoint on 127.0.0.1, a free port, serving `cert_file` / `key_file` (PEM).
pub fn endpoint(cert_file: &str, key_file: &str) -> Result<Endpoint, BoxError> {
    let mut server = ServerConfig::with_crypto(Arc::new(tls(cert_file, key_file)?));
    server.transport_config(Arc::new(transport()));
    Ok(Endpoint::new(
        EndpointConfig::default(),
        Some(server),
        socket()?,
        Arc::new(TokioRuntime),
    )?)
}

fn tls(cert_file: &str, key_file: &str) -> Result<QuicServerConfig, BoxError> {
    let certs = CertificateDer::pem_file_iter(cert_file)?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(key_file)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    tls.alpn_protocols = vec![b"h3".to_vec()];
    Ok(QuicServerConfig::try_from(tls)?)
}

fn transport() -> TransportConfig {
    let mut t = TransportConfig::default();
    t.max_concurrent_bidi_streams(VarInt::from_u32(MAX_STREAMS));
    t
}

fn socket() -> Result<UdpSocket, BoxError> {
    let socket = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    // Best effort: a smaller buffer only costs throughput.
    let _ = socket.set_recv_buffer_size(SOCKET_RECV_BUFFER);
    socket.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())?;
    Ok(socket.into())
}
