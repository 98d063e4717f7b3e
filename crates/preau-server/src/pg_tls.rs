//! PostgreSQL over TLS (issue 12): the `sslmode` of a `postgres://` URL honoured as libpq
//! does, with rustls (ring) through `tokio-postgres-rustls`.
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (default) | when the server offers it | not checked |
//! | `require` | always | not checked (checked against `sslrootcert` when given, as libpq) |
//! | `verify-ca` | always | signed by `sslrootcert` (else the system's roots) |
//! | `verify-full` | always | as `verify-ca`, and made out to the URL's host |
//!
//! `prefer` and `require` protect against eavesdropping, not against an active attacker
//! between the server and the database: use `verify-full` across a network.
//! tokio-postgres only knows the first three modes, so `sslmode` and `sslrootcert` are
//! taken out of the URL here and the connection is asked for TLS (`require`) with the
//! matching certificate check.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode as PgSslMode;
use tokio_postgres::{Client, NoTls};

use crate::error::{Error, Result};

/// libpq's `sslmode` values this server understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// A database URL taken apart: what tokio-postgres reads, and how to check the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL without `sslmode` and `sslrootcert`.
    pub url: String,
    pub mode: SslMode,
    pub root_cert: Option<std::path::PathBuf>,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads `sslmode` and `sslrootcert` out of a `postgres://` URL.
pub fn parse(url: &str) -> Result<Target> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut mode = SslMode::Prefer;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => {
                mode = match percent_decode(value).as_str() {
                    "disable" => SslMode::Disable,
                    "prefer" => SslMode::Prefer,
                    "require" => SslMode::Require,
                    "verify-ca" => SslMode::VerifyCa,
                    "verify-full" => SslMode::VerifyFull,
                    other => {
                        return Err(Error::Config(format!(
                            "sslmode {other:?} in database_url: expected disable, prefer, \
                             require, verify-ca or verify-full"
                        )))
                    }
                }
            }
            "sslrootcert" => root_cert = Some(std::path::PathBuf::from(percent_decode(value))),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(Target {
        url,
        mode,
        root_cert,
    })
}

/// Accepts any certificate (libpq's `prefer` and `require`), but still checks that the
/// server holds the key of the certificate it sent.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the host name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The verifier for `sslrootcert` (a PEM file of roots), or the system's roots.
fn chain_verifier(
    root_cert: Option<&std::path::Path>,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>> {
    let Some(path) = root_cert else {
        let system = rustls_platform_verifier::Verifier::new(Arc::clone(provider))
            .map_err(|e| Error::Tls(format!("system root certificates: {e}")))?;
        return Ok(Arc::new(system));
    };
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| Error::Tls(format!("sslrootcert {}: {e}", path.display())))?;
    for cert in certs {
        let cert = cert.map_err(|e| Error::Tls(format!("sslrootcert {}: {e}", path.display())))?;
        roots
            .add(cert)
            .map_err(|e| Error::Tls(format!("sslrootcert {}: {e}", path.display())))?;
    }
    let verifier =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider))
            .build()
            .map_err(|e| Error::Tls(format!("sslrootcert {}: {e}", path.display())))?;
    Ok(verifier)
}

/// The rustls configuration a target's mode asks for (`None`: no TLS).
fn client_config(target: &Target) -> Result<Option<rustls::ClientConfig>> {
    let provider = crate::tls::provider();
    let verifier: Arc<dyn ServerCertVerifier> = match (target.mode, &target.root_cert) {
        (SslMode::Disable, _) => return Ok(None),
        (SslMode::Prefer, _) | (SslMode::Require, None) => {
            Arc::new(EncryptOnly(Arc::clone(&provider)))
        }
        (SslMode::Require | SslMode::VerifyCa, root) => {
            Arc::new(ChainOnly(chain_verifier(root.as_deref(), &provider)?))
        }
        (SslMode::VerifyFull, root) => chain_verifier(root.as_deref(), &provider)?,
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Some(config))
}

/// Connects to the database a `postgres://` URL names, with the TLS its `sslmode` asks
/// for; the connection's task is spawned.
pub async fn connect(url: &str) -> Result<Client> {
    let target = parse(url)?;
    let mut config: tokio_postgres::Config = target.url.parse()?;
    let client = match client_config(&target)? {
        None => {
            config.ssl_mode(PgSslMode::Disable);
            let (client, connection) = config.connect(NoTls).await?;
            spawn_connection(connection);
            client
        }
        Some(tls) => {
            config.ssl_mode(if target.mode == SslMode::Prefer {
                PgSslMode::Prefer
            } else {
                PgSslMode::Require
            });
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
            let (client, connection) = config.connect(tls).await?;
            spawn_connection(connection);
            client
        }
    };
    Ok(client)
}

fn spawn_connection<F>(connection: F)
where
    F: std::future::Future<Output = std::result::Result<(), tokio_postgres::Error>>
        + Send
        + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "postgres connection closed");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_rootcert_are_read_out_of_the_url() {
        let t = parse("postgres://u@h:5432/db").expect("url");
        assert_eq!(
            (t.mode, t.root_cert, t.url.as_str()),
            (SslMode::Prefer, None, "postgres://u@h:5432/db")
        );
        let t = parse(
            "postgres://u@h/db?connect_timeout=5&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        )
        .expect("url");
        assert_eq!(t.mode, SslMode::VerifyFull);
        assert_eq!(
            t.root_cert.as_deref(),
            Some(std::path::Path::new("/etc/ca.pem"))
        );
        assert_eq!(t.url, "postgres://u@h/db?connect_timeout=5");
        assert_eq!(
            parse("postgres://h/db?sslmode=disable").expect("url").mode,
            SslMode::Disable
        );
        assert_eq!(
            parse("postgres://h/db?sslmode=require").expect("url").mode,
            SslMode::Require
        );
        assert_eq!(
            parse("postgres://h/db?sslmode=verify-ca")
                .expect("url")
                .mode,
            SslMode::VerifyCa
        );
        assert!(parse("postgres://h/db?sslmode=allow-nothing").is_err());
    }
}
