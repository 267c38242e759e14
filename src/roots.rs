//! The system's trusted roots, loaded once per process in the background, and the crypto
//! provider's random generator, seeded there first. Reading the roots (on Linux, the bundle file
//! and every file of the certificate directory: hundreds of files) was most of a fresh process's
//! first HTTPS upload, on the JavaScript thread when the first upload built its client, again
//! for every client with `ca`; the rest was aws-lc seeding its generator from CPU jitter entropy
//! (about 60 ms of CPU in the first handshake), which `.cargo/config.toml` turns off (it seeds
//! from the operating system, as OpenSSL does). Now the module's loading starts both on a thread
//! of its own; a handshake that needs either before it is ready waits for it (on a runtime
//! thread, never the JavaScript one).
//!
//! The roots are the platform verifier's (`rustls-platform-verifier`): on Linux and the other
//! Unix systems except Apple's, the files named by `SSL_CERT_FILE` and `SSL_CERT_DIR`, else those
//! the OpenSSL probe finds, verified by WebPKI, as that verifier does; elsewhere the platform
//! verifier itself. The variables are read on the JavaScript thread (the only one that may read
//! the process environment while JavaScript can write it), when the module loads and again when
//! an environment builds its first client; roots loaded for other values are loaded again.

use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// The crypto provider of every TLS client: the process default if one was installed, else
/// aws-lc-rs (reqwest's own choice).
pub fn provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
}

/// The system's roots for the current values of the variables: the ones being loaded or loaded
/// already when the values did not change, else a new load started in the background. Call on
/// the JavaScript thread only (it reads the environment).
pub fn system_roots() -> Arc<SystemRoots> {
    static CURRENT: Mutex<Option<Arc<SystemRoots>>> = Mutex::new(None);
    let source = platform::Source::from_env();
    let mut current = CURRENT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(roots) = current.as_ref().filter(|roots| roots.source == source) {
        return roots.clone();
    }
    let roots = Arc::new(SystemRoots {
        source,
        provider: provider(),
        loaded: OnceLock::new(),
    });
    let loading = roots.clone();
    // Without a thread, the first handshake does both.
    let _ = std::thread::Builder::new()
        .name("upload-task-roots".into())
        .spawn(move || {
            // Seeds the generator (once per process; a failure here is the handshake's to meet).
            let _ = loading.provider.secure_random.fill(&mut [0; 16]);
            // A failure is kept and told by the handshakes that need the roots.
            let _ = loading.verifier();
        });
    *current = Some(roots.clone());
    roots
}

/// The system's roots from one source, and their verifier once loaded.
pub struct SystemRoots {
    source: platform::Source,
    provider: Arc<CryptoProvider>,
    loaded: OnceLock<Result<Arc<dyn ServerCertVerifier>, rustls::Error>>,
}

impl std::fmt::Debug for SystemRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemRoots")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl SystemRoots {
    /// The verifier of these roots: loaded by the first caller, the others wait for it.
    fn verifier(&self) -> Result<&Arc<dyn ServerCertVerifier>, rustls::Error> {
        self.loaded
            .get_or_init(|| self.source.verifier(self.provider.clone()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Verifies server certificates against the system's roots ([`SystemRoots`]); the signatures of
/// the handshake as the platform verifier does, with the provider's algorithms.
#[derive(Debug, Clone)]
pub struct SystemVerifier(pub Arc<SystemRoots>);

impl ServerCertVerifier for SystemVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.0.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0
            .provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Where the roots come from on Linux and the other Unix systems but Apple's and Android: files.
#[cfg(all(unix, not(target_os = "android"), not(target_vendor = "apple")))]
mod platform {
    use std::env;
    use std::path::PathBuf;
    use std::sync::Arc;

    use rustls::client::danger::ServerCertVerifier;
    use rustls::client::WebPkiServerVerifier;
    use rustls::crypto::CryptoProvider;
    use rustls::{CertificateError, OtherError, RootCertStore};

    /// No certificate could be read from the roots' files: no server can be verified by them.
    #[derive(Debug)]
    struct NoSystemRoots;

    impl std::fmt::Display for NoSystemRoots {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(
                "no CA certificates could be read from the system (SSL_CERT_FILE, SSL_CERT_DIR)",
            )
        }
    }

    impl std::error::Error for NoSystemRoots {}

    /// The roots' files: `SSL_CERT_FILE` and `SSL_CERT_DIR` (a list of directories) when either
    /// is set, else what the OpenSSL probe finds (as `rustls-native-certs` chooses).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Source {
        file: Option<PathBuf>,
        dirs: Vec<PathBuf>,
    }

    impl Source {
        /// The files named by the environment now (JavaScript thread only).
        pub fn from_env() -> Self {
            let file = env::var_os("SSL_CERT_FILE").map(PathBuf::from);
            let dirs: Vec<PathBuf> = env::var_os("SSL_CERT_DIR")
                .map(|dirs| {
                    env::split_paths(&dirs)
                        .filter(|dir| !dir.as_os_str().is_empty())
                        .collect()
                })
                .unwrap_or_default();
            if file.is_some() || !dirs.is_empty() {
                return Source { file, dirs };
            }
            let probed = openssl_probe::probe();
            Source {
                file: probed.cert_file,
                dirs: probed.cert_dir,
            }
        }

        /// Reads the files (certificates that cannot be parsed are skipped, as the platform
        /// verifier skips them) into a WebPKI verifier; an error when none could be read.
        pub fn verifier(
            &self,
            provider: Arc<CryptoProvider>,
        ) -> Result<Arc<dyn ServerCertVerifier>, rustls::Error> {
            let mut certs = Vec::new();
            let mut dirs = self.dirs.iter();
            let mut file = self.file.as_deref();
            loop {
                let dir = dirs.next();
                if file.is_none() && dir.is_none() {
                    break;
                }
                certs.extend(
                    rustls_native_certs::load_certs_from_paths(file, dir.map(|d| d.as_path()))
                        .certs,
                );
                file = None;
            }
            certs.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
            certs.dedup();
            let mut store = RootCertStore::empty();
            store.add_parsable_certificates(certs);
            if store.is_empty() {
                return Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                    OtherError(Arc::new(NoSystemRoots)),
                )));
            }
            let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
            Ok(verifier)
        }
    }
}

/// Elsewhere (Apple's systems, Windows, Android): the platform verifier, which asks the system.
#[cfg(not(all(unix, not(target_os = "android"), not(target_vendor = "apple"))))]
mod platform {
    use std::sync::Arc;

    use rustls::client::danger::ServerCertVerifier;
    use rustls::crypto::CryptoProvider;

    /// The platform's store: nothing read from the environment.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Source;

    impl Source {
        pub fn from_env() -> Self {
            Source
        }

        pub fn verifier(
            &self,
            provider: Arc<CryptoProvider>,
        ) -> Result<Arc<dyn ServerCertVerifier>, rustls::Error> {
            Ok(Arc::new(rustls_platform_verifier::Verifier::new(provider)?))
        }
    }
}
