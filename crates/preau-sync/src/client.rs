//! The HTTP side: one server, one token; every request retried with backoff on transport
//! errors and 5xx. HTTPS through rustls (system roots), or plain HTTP to loopback only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use preau_protocol::{
    Change, EnrollRequest, EnrollResponse, ErrorBody, ErrorCode, PullRequest, PullResponse,
    PushRequest, PushResponse, ReferenceRequest, ReferenceResponse, API_PREFIX, MAX_BODY_BYTES,
    MAX_PENDING_CHANGES, PENDING_CHANGES_HEADER, PROTOCOL_VERSION,
};
use rustls::pki_types::CertificateDer;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Error, Progress, Result, SyncOptions};

/// How long the health check waits for the server.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);

/// Checks the server URL: HTTPS, or HTTP to loopback (or anywhere if allowed).
pub fn check_url(url: &str, allow_plain_http: bool) -> Result<String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| Error::BadUrl(url.to_string()))?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let host = parsed.host_str().unwrap_or("");
            let loopback = host == "localhost"
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback && !allow_plain_http {
                return Err(Error::InsecureUrl(url.to_string()));
            }
        }
        _ => return Err(Error::BadUrl(url.to_string())),
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// [`preau_protocol::PushRequest`] as written from borrowed changes: the same JSON.
#[derive(Serialize)]
struct PushBody<'a, C> {
    protocol: u32,
    changes: &'a [C],
}

/// [`Change`] as written from a change saved on the laptop, borrowed: the same JSON.
#[derive(Debug, Serialize)]
pub struct WireChange<'a> {
    pub change_id: uuid::Uuid,
    pub table: &'a str,
    pub record_id: &'a str,
    pub base_revision: i64,
    pub fields: &'a serde_json::Map<String, serde_json::Value>,
    pub deleted: bool,
}

/// The HTTP side: one server, one token.
pub struct Client {
    http: reqwest::Client,
    pub(crate) base: String,
    token: Option<String>,
    opts: SyncOptions,
    /// What [`PENDING_CHANGES_HEADER`] tells the server with each request
    /// ([`NO_PENDING`]: not known yet, not sent).
    pending: AtomicU64,
}

/// [`Client::pending`] before the engine set it.
const NO_PENDING: u64 = u64::MAX;

pub(crate) fn install_crypto_provider() {
    // Err: a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The TLS configuration (system roots through the platform verifier), built once per
/// process: loading the system's certificates costs milliseconds each time. With extra
/// roots ([`SyncOptions::extra_roots`]: a syndicate's own CA, a test's), a configuration
/// of its own that trusts them as well.
fn tls_config(extra_roots: &[CertificateDer<'static>]) -> Result<rustls::ClientConfig> {
    use rustls_platform_verifier::ConfigVerifierExt;
    static CONFIG: std::sync::OnceLock<std::result::Result<rustls::ClientConfig, String>> =
        std::sync::OnceLock::new();
    if !extra_roots.is_empty() {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
            extra_roots.iter().cloned(),
            std::sync::Arc::clone(&provider),
        )
        .map_err(|e| Error::Network(e.to_string()))?;
        return Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Network(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
            .with_no_client_auth());
    }
    CONFIG
        .get_or_init(|| rustls::ClientConfig::with_platform_verifier().map_err(|e| e.to_string()))
        .clone()
        .map_err(Error::Network)
}

impl Client {
    pub fn new(server_url: &str, token: Option<String>, opts: SyncOptions) -> Result<Client> {
        install_crypto_provider();
        let base = check_url(server_url, opts.allow_plain_http)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls_config(&opts.extra_roots)?)
            .timeout(opts.request_timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("preau/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Network(e.to_string()))?;
        Ok(Client {
            http,
            base,
            token,
            opts,
            pending: AtomicU64::new(NO_PENDING),
        })
    }

    /// The number of records with changes the server has not acknowledged yet, sent with
    /// the next requests ([`PENDING_CHANGES_HEADER`]) for the back-office (at most
    /// [`MAX_PENDING_CHANGES`], which the server accepts).
    pub fn set_pending(&self, records: u32) {
        let records = records.min(MAX_PENDING_CHANGES);
        self.pending.store(u64::from(records), Ordering::Relaxed);
    }

    /// The request, with the pending count once the engine set it.
    fn with_pending(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.pending.load(Ordering::Relaxed) {
            NO_PENDING => req,
            pending => req.header(PENDING_CHANGES_HEADER, pending),
        }
    }

    async fn post_once<R: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        body: &[u8],
    ) -> Result<R> {
        let req = self
            .http
            .post(format!("{}{API_PREFIX}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        let mut req = self.with_pending(req);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        // Sent, read and parsed as a task of its own (on the sync runtime's network
        // thread, `crate::runtime`): meanwhile the caller's thread works on the store
        // (applying the previous page, making the next batch), and a large answer is read
        // off the socket as it arrives, not when the caller next looks. Dropping this
        // future (a cancelled sync) stops the request too.
        let mut task = AbortOnDrop(tokio::spawn(exchange::<R>(req)));
        match (&mut task.0).await {
            Ok(answer) => answer,
            Err(e) => Err(Error::Protocol(format!("request task: {e}"))),
        }
    }

    /// Posts with retries and exponential backoff on transport errors and 5xx.
    async fn post<B: Serialize, R: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        body: &B,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<R> {
        let body = serde_json::to_vec(body).map_err(|e| Error::Protocol(e.to_string()))?;
        self.post_bytes(path, &body, progress).await
    }

    /// Posts a serialised body (the same bytes at every attempt).
    async fn post_bytes<R: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        body: &[u8],
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<R> {
        let mut attempt = 1;
        let mut delay = self.opts.base_delay;
        loop {
            match self.post_once(path, body).await {
                Err(e) if e.retryable() && attempt < self.opts.max_attempts => {
                    tracing::warn!(path, attempt, error = %e, "request failed, retrying");
                    progress(Progress::Retrying { attempt });
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(self.opts.max_delay);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    pub async fn enroll(&self, code: &str, device_name: &str) -> Result<EnrollResponse> {
        let req = EnrollRequest {
            protocol: PROTOCOL_VERSION,
            code: code.trim().to_string(),
            device_name: device_name.to_string(),
        };
        self.post("/enroll", &req, &mut |_| {}).await
    }

    pub async fn push(
        &self,
        changes: Vec<Change>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<PushResponse> {
        let req = PushRequest {
            protocol: PROTOCOL_VERSION,
            changes,
        };
        self.post("/push", &req, progress).await
    }

    /// Pushes the longest prefix of `changes` whose request fits in the server's body
    /// limit (at least one change); the acks say how many were sent. The changes are
    /// written as they are borrowed (the engine's [`WireChange`]s, no copy of a batch).
    pub async fn push_prefix<C: Serialize + Sync>(
        &self,
        mut changes: &[C],
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<PushResponse> {
        loop {
            let req = PushBody {
                protocol: PROTOCOL_VERSION,
                changes,
            };
            let body = serde_json::to_vec(&req).map_err(|e| Error::Protocol(e.to_string()))?;
            if body.len() <= MAX_BODY_BYTES || changes.len() <= 1 {
                return self.post_bytes("/push", &body, progress).await;
            }
            // Too large (long notes): send the first half now, the rest next time.
            changes = changes.get(..changes.len().div_ceil(2)).unwrap_or(changes);
        }
    }

    pub async fn pull(
        &self,
        cursor: i64,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<PullResponse> {
        let req = PullRequest {
            protocol: PROTOCOL_VERSION,
            cursor,
            limit: Some(self.opts.page_size),
        };
        self.post("/pull", &req, progress).await
    }

    pub async fn reference(
        &self,
        kind: &str,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<ReferenceResponse> {
        let req = ReferenceRequest {
            protocol: PROTOCOL_VERSION,
            kind: kind.to_string(),
        };
        self.post("/reference", &req, progress).await
    }
}

/// One request and its answer, parsed.
async fn exchange<R: DeserializeOwned>(req: reqwest::RequestBuilder) -> Result<R> {
    let resp = req
        .send()
        .await
        .map_err(|e| Error::Network(e.to_string()))?;
    let status = resp.status();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| Error::Network(e.to_string()))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| Error::Protocol(e.to_string()));
    }
    let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
    let (code, message) = match body {
        Some(b) => (b.code, b.message),
        None => (ErrorCode::Unknown, format!("HTTP {status}")),
    };
    if code == ErrorCode::RevokedToken {
        return Err(Error::Revoked);
    }
    if code == ErrorCode::ExpiredToken {
        return Err(Error::Expired);
    }
    Err(Error::Refused {
        status: status.as_u16(),
        code,
        message,
    })
}

/// A spawned request, stopped when its caller stops waiting for it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether the server answers `GET /api/v1/health` (no token needed): the worker asks it
/// before a sync it was not asked for.
pub async fn health(base: &str) -> bool {
    install_crypto_provider();
    let client = match tls_config(&[]).and_then(|tls| {
        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(HEALTH_TIMEOUT)
            .connect_timeout(HEALTH_TIMEOUT)
            .build()
            .map_err(|e| Error::Network(e.to_string()))
    }) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "no HTTP client for the health check");
            return false;
        }
    };
    let url = format!("{base}{API_PREFIX}/health");
    match client.get(&url).send().await {
        Ok(resp) => resp.status().is_success(),
        Err(e) => {
            tracing::debug!(error = %e, "health check failed");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use preau_protocol::PushRequest;

    /// A push written from borrowed changes is the protocol's `PushRequest`, byte for byte
    /// (a server of any version reads it the same).
    #[test]
    fn a_borrowed_push_is_the_protocols_push_request() {
        let fields = serde_json::json!({"name": "É", "n": 3, "x": null})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let wire = [
            WireChange {
                change_id: a,
                table: "participants",
                record_id: "r1",
                base_revision: 7,
                fields: &fields,
                deleted: false,
            },
            WireChange {
                change_id: b,
                table: "visit_schools",
                record_id: "v/s",
                base_revision: 0,
                fields: &serde_json::Map::new(),
                deleted: true,
            },
        ];
        let owned = PushRequest {
            protocol: PROTOCOL_VERSION,
            changes: wire
                .iter()
                .map(|w| Change {
                    change_id: w.change_id,
                    table: w.table.to_string(),
                    record_id: w.record_id.to_string(),
                    base_revision: w.base_revision,
                    fields: w.fields.clone(),
                    deleted: w.deleted,
                })
                .collect(),
        };
        let borrowed = PushBody {
            protocol: PROTOCOL_VERSION,
            changes: &wire[..],
        };
        assert_eq!(
            serde_json::to_string(&borrowed).ok(),
            serde_json::to_string(&owned).ok()
        );
    }
}
