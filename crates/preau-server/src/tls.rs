//! Built-in TLS (issue 12): `serve --tls-cert FILE --tls-key FILE`, rustls with the ring
//! provider (the one preau-sync uses), HTTP/1.1 only.
//!
//! The certificate is reloaded without a restart: at a TLS handshake, at most once a
//! second, the two files' modification time, size and inode are compared with those of
//! the loaded pair; when they changed, both are read again. A pair that does not load (a
//! key that does not match its certificate because only one file was replaced so far, a
//! half-written file) is logged and the previous certificate stays in use until the pair
//! is whole again. So `certbot renew` (or any copy or rename over the files) is picked up
//! by the next connection, with no signal to send.

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;

use crate::error::{Error, Result};

/// How often, at most, the files are looked at again.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// The certificate chain (PEM, leaf first) and its private key (PEM: PKCS#8, PKCS#1 or
/// SEC1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// What identifies a version of a file without reading it.
type Stamp = Option<(SystemTime, u64, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len(), meta.ino()))
}

struct Loaded {
    stamps: (Stamp, Stamp),
    key: Arc<CertifiedKey>,
}

/// Loads the pair, checking that the key is the certificate's.
fn load(files: &TlsFiles, provider: &CryptoProvider) -> Result<Loaded> {
    // Stamps first: a file replaced while it is read is read again at the next check.
    let stamps = (stamp(&files.cert), stamp(&files.key));
    let tls_error =
        |what: &Path, e: &dyn fmt::Display| Error::Tls(format!("{}: {e}", what.display()));
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| tls_error(&files.cert, &e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| tls_error(&files.cert, &e))?;
    if certs.is_empty() {
        return Err(tls_error(&files.cert, &"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| tls_error(&files.key, &e))?;
    let key =
        CertifiedKey::from_der(certs, key, provider).map_err(|e| tls_error(&files.key, &e))?;
    Ok(Loaded {
        stamps,
        key: Arc::new(key),
    })
}

/// Hands out the current certificate, re-reading the files when they changed.
pub struct ReloadingCert {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<Loaded>,
    checked: Mutex<Instant>,
}

impl fmt::Debug for ReloadingCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadingCert")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl ReloadingCert {
    /// Fails at once when the pair does not load: a server must not start without it.
    pub fn new(files: TlsFiles, provider: Arc<CryptoProvider>) -> Result<ReloadingCert> {
        let loaded = load(&files, &provider)?;
        Ok(ReloadingCert {
            files,
            provider,
            current: RwLock::new(loaded),
            checked: Mutex::new(Instant::now()),
        })
    }

    fn refresh(&self) {
        {
            let Ok(mut checked) = self.checked.lock() else {
                return;
            };
            if checked.elapsed() < CHECK_EVERY {
                return;
            }
            *checked = Instant::now();
        }
        let stamps = (stamp(&self.files.cert), stamp(&self.files.key));
        let known = self
            .current
            .read()
            .map(|c| c.stamps == stamps)
            .unwrap_or(true);
        if known {
            return;
        }
        match load(&self.files, &self.provider) {
            Ok(loaded) => {
                if let Ok(mut current) = self.current.write() {
                    *current = loaded;
                    tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
                }
            }
            Err(e) => {
                // Logged once per change of the files, not at every handshake.
                if let Ok(mut current) = self.current.write() {
                    current.stamps = stamps;
                }
                tracing::error!(error = %e,
                    "TLS certificate files changed but do not load; the previous certificate stays in use");
            }
        }
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.refresh();
        self.current.read().ok().map(|c| Arc::clone(&c.key))
    }
}

/// The ring provider, the same as the laptop's.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The acceptor for `serve --tls-cert --tls-key`.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor> {
    let provider = provider();
    let resolver = ReloadingCert::new(files.clone(), Arc::clone(&provider))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
