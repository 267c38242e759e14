//! The TLS settings of the clients. Without `ca`: the system's roots (`roots.rs`). With `ca`: the
//! `ca` certificates or the system's roots, as reqwest's platform verifier trusts them together
//! (a chain ends at one root, so it is trusted by both sets at once exactly when it is by one
//! of them; the `ca` certificates are tried first, so an upload to a server they vouch for never
//! waits for the system's), and one more case that Node's `https` accepts and WebPKI refuses: a
//! self-signed server certificate that is itself one of the `ca` certificates while marking
//! itself a CA (`basicConstraints CA:TRUE`, what `openssl req -x509` makes). That certificate is
//! trusted for exactly that: its validity period is checked as usual, and so is the host name;
//! the handshake still proves that the server holds its private key (the signature checks are
//! the provider's, as the platform verifier's are).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{
    verify_server_cert_signed_by_trust_anchor, verify_server_name, WebPkiServerVerifier,
};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use crate::roots::{self, SystemRoots, SystemVerifier};

/// The TLS settings of a client that trusts the system's roots and `ca`, offering HTTP/2 by
/// ALPN when `http2` is set (as reqwest's own settings do).
pub fn tls_config(
    system: Arc<SystemRoots>,
    ca: &[CertificateDer<'static>],
    http2: bool,
) -> Result<ClientConfig, rustls::Error> {
    let provider = roots::provider();
    let system = SystemVerifier(system);
    let verifier: Arc<dyn ServerCertVerifier> = if ca.is_empty() {
        Arc::new(system)
    } else {
        let mut store = RootCertStore::empty();
        for cert in ca {
            store.add(cert.clone())?;
        }
        let in_ca = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
            .build()
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        Arc::new(CaVerifier {
            in_ca,
            system,
            ca: ca.to_vec(),
            algorithms: provider.signature_verification_algorithms,
        })
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(config)
}

/// The verifier of a client with `ca`: trusts a chain that ends at one of the `ca` certificates
/// or at one of the system's roots, and a server certificate that is one of the `ca`
/// certificates, self-signed and marked as a CA (see the module's documentation).
#[derive(Debug)]
struct CaVerifier {
    /// WebPKI with the `ca` certificates as its only roots.
    in_ca: Arc<WebPkiServerVerifier>,
    system: SystemVerifier,
    ca: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl CaVerifier {
    /// Verifies `end_entity`, one of the `ca` certificates, as its own trust anchor: WebPKI's
    /// checks up to the one that it is a CA (its validity period comes before), then the host
    /// name.
    fn verify_as_its_own_anchor(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        let parsed = ParsedCertificate::try_from(end_entity)?;
        let mut anchor = RootCertStore::empty();
        anchor.add(end_entity.clone().into_owned())?;
        match verify_server_cert_signed_by_trust_anchor(
            &parsed,
            &anchor,
            &[],
            now,
            self.algorithms.all,
        ) {
            Err(err) if !is_ca_used_as_end_entity(&err) => return Err(err),
            _ => {}
        }
        verify_server_name(&parsed, server_name)
    }
}

impl ServerCertVerifier for CaVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let (chain, ocsp) = (intermediates, ocsp_response);
        let refused = match self
            .in_ca
            .verify_server_cert(end_entity, chain, server_name, ocsp, now)
        {
            // Not issued under `ca`: the system's roots may know its issuer.
            Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => self
                .system
                .verify_server_cert(end_entity, chain, server_name, ocsp, now),
            // Trusted, or issued under `ca` and refused for another reason.
            decided => decided,
        };
        let refused = match refused {
            Ok(verified) => return Ok(verified),
            Err(err) => err,
        };
        if !self.ca.iter().any(|ca| ca.as_ref() == end_entity.as_ref()) {
            return Err(refused);
        }
        self.verify_as_its_own_anchor(end_entity, server_name, now)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.system.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.system.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.system.supported_verify_schemes()
    }
}

/// Whether WebPKI refused a certificate only because it marks itself a CA.
fn is_ca_used_as_end_entity(err: &rustls::Error) -> bool {
    match err {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => matches!(
            other.0.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::OtherError;

    #[test]
    fn only_webpki_ca_used_as_end_entity_is_told_apart() {
        let ca_used = rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
            Arc::new(webpki::Error::CaUsedAsEndEntity),
        )));
        assert!(is_ca_used_as_end_entity(&ca_used));
        let other = rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
            Arc::new(webpki::Error::UnknownIssuer),
        )));
        assert!(!is_ca_used_as_end_entity(&other));
        for err in [
            rustls::Error::InvalidCertificate(CertificateError::Expired),
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
            rustls::Error::DecryptError,
        ] {
            assert!(!is_ca_used_as_end_entity(&err), "{err:?}");
        }
    }

    #[test]
    fn a_ca_text_that_is_not_a_certificate_cannot_be_used() {
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        assert!(tls_config(roots::system_roots(), &[garbage], false).is_err());
    }
}
