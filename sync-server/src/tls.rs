//! HTTPS served by the server itself: rustls (with the `ring` provider) over the same
//! connection loop as plain HTTP, with a certificate and key read from PEM files.
//!
//! Certificates are short-lived (a city's CA or an ACME client renews them every few
//! weeks), so the pair is re-read when the files change, without a restart: the resolver
//! looks at the files' modification times and sizes at most every [`CHECK_EVERY`], during
//! a handshake, and swaps in the new pair for the connections that follow. A new pair that
//! cannot be read or whose key does not match its certificate (a renewal caught halfway,
//! the certificate written but not yet the key) is logged and the old one kept; the next
//! change to either file is tried again. Connections already open keep the certificate
//! they shook hands with.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;

/// How often, at most, the files are looked at for a change.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// Where the certificate chain (leaf first) and its private key are, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Why a certificate and key cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading the TLS certificate {path}: {cause}")]
    Cert { path: String, cause: String },
    #[error("the TLS certificate file {0} holds no certificate (PEM \"BEGIN CERTIFICATE\")")]
    NoCert(String),
    #[error("reading the TLS private key {path}: {cause}")]
    Key { path: String, cause: String },
    #[error("the TLS private key {key} does not belong to the certificate {cert}: {cause}")]
    Mismatch {
        cert: String,
        key: String,
        cause: String,
    },
    #[error("setting up TLS: {0}")]
    Setup(String),
}

/// The crypto rustls uses here: `ring` (no C toolchain beyond what `ring` needs, no CMake).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads the pair and checks that the key belongs to the certificate.
pub fn load(files: &TlsFiles) -> Result<CertifiedKey, TlsError> {
    let shown = |p: &Path| p.display().to_string();
    let cert_err = |cause: String| TlsError::Cert {
        path: shown(&files.cert),
        cause,
    };
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| cert_err(pem_cause(e)))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_err(pem_cause(e)))?;
    if chain.is_empty() {
        return Err(TlsError::NoCert(shown(&files.cert)));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| TlsError::Key {
        path: shown(&files.key),
        cause: pem_cause(e),
    })?;
    CertifiedKey::from_der(chain, key, &provider()).map_err(|e| TlsError::Mismatch {
        cert: shown(&files.cert),
        key: shown(&files.key),
        cause: e.to_string(),
    })
}

fn pem_cause(e: rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::Io(io) => io.to_string(),
        rustls::pki_types::pem::Error::NoItemsFound => {
            "no PEM section of this kind in the file".into()
        }
        other => format!("not a readable PEM file ({other:?})"),
    }
}

/// What a file looked like when last read: a change to either is a reason to read again.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The certificate in force, re-read when its files change.
#[derive(Debug)]
pub struct ReloadingCert {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
    /// The files' stamps when last read, and when they were last looked at.
    seen: Mutex<((Stamp, Stamp), Instant)>,
    check_every: Duration,
}

impl ReloadingCert {
    /// Reads the pair now; an error here stops the server from starting.
    pub fn open(files: TlsFiles, check_every: Duration) -> Result<Self, TlsError> {
        let stamps = (stamp(&files.cert), stamp(&files.key));
        let key = load(&files)?;
        Ok(Self {
            files,
            current: RwLock::new(Arc::new(key)),
            seen: Mutex::new((stamps, Instant::now())),
            check_every,
        })
    }

    /// The pair in force, after reading the files again if they changed since the last
    /// look (and that look is at least `check_every` old).
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.refresh();
        self.current
            .read()
            .map_or_else(|p| Arc::clone(&p.into_inner()), |k| Arc::clone(&k))
    }

    fn refresh(&self) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        if seen.1.elapsed() < self.check_every {
            return;
        }
        seen.1 = Instant::now();
        let stamps = (stamp(&self.files.cert), stamp(&self.files.key));
        if stamps == seen.0 {
            return;
        }
        seen.0 = stamps;
        match load(&self.files) {
            Ok(key) => {
                if let Ok(mut current) = self.current.write() {
                    *current = Arc::new(key);
                }
                tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
            }
            Err(e) => {
                tracing::warn!(error = %e, "TLS certificate changed but cannot be used; keeping the one in force");
            }
        }
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// An acceptor that serves the pair in `files` (HTTP/1.1 only, as the plain server), read
/// now and again whenever the files change.
pub fn acceptor(files: TlsFiles, check_every: Duration) -> Result<TlsAcceptor, TlsError> {
    let resolver = ReloadingCert::open(files, check_every)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A new self-signed certificate for `localhost`: (certificate PEM, key PEM, DER).
    fn pair() -> (String, String, CertificateDer<'static>) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        (
            made.cert.pem(),
            made.signing_key.serialize_pem(),
            made.cert.der().clone(),
        )
    }

    fn files(dir: &Path) -> TlsFiles {
        TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }

    #[test]
    fn a_missing_empty_or_mismatched_pair_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        let e = load(&f).unwrap_err();
        assert!(matches!(e, TlsError::Cert { .. }), "{e}");
        assert!(e.to_string().contains("cert.pem"), "{e}");

        std::fs::write(&f.cert, "nothing here\n").unwrap();
        let e = load(&f).unwrap_err();
        assert!(matches!(e, TlsError::NoCert(_)), "{e}");

        let ((cert, _, _), (_, other_key, _)) = (pair(), pair());
        std::fs::write(&f.cert, cert).unwrap();
        let e = load(&f).unwrap_err();
        assert!(matches!(e, TlsError::Key { .. }), "{e}");
        std::fs::write(&f.key, other_key).unwrap();
        let e = load(&f).unwrap_err();
        assert!(matches!(e, TlsError::Mismatch { .. }), "{e}");
        assert!(e.to_string().contains("does not belong"), "{e}");
    }

    #[test]
    fn a_changed_pair_is_served_and_a_bad_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        let (cert_a, key_a, der_a) = pair();
        std::fs::write(&f.cert, cert_a).unwrap();
        std::fs::write(&f.key, key_a).unwrap();
        let serving = ReloadingCert::open(f.clone(), Duration::ZERO).unwrap();
        assert_eq!(serving.current().cert[0], der_a);

        let (cert_b, key_b, der_b) = pair();
        std::fs::write(&f.cert, cert_b).unwrap();
        std::fs::write(&f.key, &key_b).unwrap();
        assert_eq!(serving.current().cert[0], der_b, "the new pair is served");

        // A renewal caught halfway: the new certificate, the old key. Kept as it was.
        let (cert_c, key_c, der_c) = pair();
        std::fs::write(&f.cert, cert_c).unwrap();
        assert_eq!(
            serving.current().cert[0],
            der_b,
            "a mismatched pair is not served"
        );
        std::fs::write(&f.key, key_c).unwrap();
        assert_eq!(
            serving.current().cert[0],
            der_c,
            "once the key follows, it is"
        );

        // Not looked at again before `check_every`.
        let slow = ReloadingCert::open(f.clone(), Duration::from_secs(3600)).unwrap();
        let (cert_d, key_d, _) = pair();
        std::fs::write(&f.cert, cert_d).unwrap();
        std::fs::write(&f.key, key_d).unwrap();
        assert_eq!(slow.current().cert[0], der_c);
    }
}
