//! The QUIC endpoint: TLS 1.3 with the given certificate, ALPN `h3`, and a transport tuned for
//! throughput on loopback (large flow-control windows, a large UDP receive buffer).

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;

use quinn::crypto::rustls::QuicServerConfig;
use quinn::{Endpoint, EndpointConfig, ServerConfig, TokioRuntime, TransportConfig, VarInt};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::BoxError;

/// Receive window of one stream (one upload body) in bytes.
const STREAM_WINDOW: u32 = 32 << 20;
/// Receive window of one connection, all its streams together, in bytes.
const CONNECTION_WINDOW: u32 = 64 << 20;
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
    t.stream_receive_window(VarInt::from_u32(STREAM_WINDOW))
        .receive_window(VarInt::from_u32(CONNECTION_WINDOW))
        .max_concurrent_bidi_streams(VarInt::from_u32(MAX_STREAMS));
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
