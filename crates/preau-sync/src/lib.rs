//! Préau's client sync engine. A sync pushes the laptop's pending changes in batches
//! (each change keeps its client-made id until acknowledged, so a retried batch is never
//! applied twice), pulls the server's records after the saved cursor in pages (staged
//! with the cursor, so an interrupted pull resumes), fetches newer reference data, then
//! applies what was pulled. Transport failures and 5xx are retried with backoff.
//!
//! It talks HTTPS (rustls), or plain HTTP to a loopback address; plain HTTP elsewhere only
//! when [`SyncOptions::allow_plain_http`] says so.

use std::collections::VecDeque;
use std::time::Duration;

use preau_core::sync_state::{IncomingConflict, IncomingRecord, OutgoingChange};
use preau_core::Store;
use preau_protocol::{
    AckStatus, Change, EnrollRequest, EnrollResponse, ErrorBody, ErrorCode, PullRequest,
    PullResponse, PushRequest, PushResponse, ReferenceRequest, ReferenceResponse, ReferenceVersion,
    API_PREFIX, MAX_BATCH_CHANGES, MAX_BODY_BYTES, MAX_PAGE_RECORDS, PROTOCOL_VERSION,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("this laptop is not enrolled")]
    NotEnrolled,
    #[error("refusing plain HTTP to a non-loopback server: {0}")]
    InsecureUrl(String),
    #[error("bad server URL {0}")]
    BadUrl(String),
    #[error("device revoked")]
    Revoked,
    #[error("server refused: {status} {code:?}: {message}")]
    Refused {
        status: u16,
        code: ErrorCode,
        message: String,
    },
    #[error("network: {0}")]
    Network(String),
    #[error("unexpected answer: {0}")]
    Protocol(String),
    #[error("store: {0}")]
    Store(#[from] preau_core::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_url("https://sync.example.fr/", false).is_ok());
        assert!(check_url("http://127.0.0.1:8080", false).is_ok());
        assert!(check_url("http://[::1]:8080", false).is_ok());
        assert!(check_url("http://localhost:8080", false).is_ok());
        assert!(matches!(
            check_url("http://sync.example.fr", false),
            Err(Error::InsecureUrl(_))
        ));
        assert!(check_url("http://sync.example.fr", true).is_ok());
        assert!(matches!(check_url("ftp://x", true), Err(Error::BadUrl(_))));
    }
}

impl Error {
    /// A French message for the user.
    pub fn user_message(&self) -> String {
        match self {
            Error::NotEnrolled => {
                "Ce poste n'est pas enrôlé : saisissez l'adresse du serveur et le code \
                 d'enrôlement (preau-cli enroll URL CODE)."
                    .into()
            }
            Error::InsecureUrl(url) => format!(
                "Adresse refusée : {url} n'est pas en HTTPS (HTTP n'est permis que vers ce poste)."
            ),
            Error::BadUrl(url) => format!("Adresse de serveur invalide : {url}"),
            Error::Revoked => "Ce poste a été révoqué par le syndicat : il ne peut plus se \
                               synchroniser. Vos données locales restent disponibles et \
                               exportables."
                .into(),
            Error::Refused { code, .. } => match code {
                ErrorCode::InvalidEnrollmentCode => {
                    "Code d'enrôlement inconnu, déjà utilisé ou expiré.".into()
                }
                ErrorCode::InvalidToken | ErrorCode::MissingToken => {
                    "Le serveur ne reconnaît pas ce poste : enrôlez-le à nouveau.".into()
                }
                ErrorCode::UnsupportedProtocol => {
                    "Le serveur et Préau n'ont pas la même version : mettez Préau à jour.".into()
                }
                _ => format!(
                    "Le serveur a refusé la synchronisation ({}).",
                    code.as_str()
                ),
            },
            Error::Network(_) => "Serveur injoignable : la synchronisation reprendra plus tard, \
                                  là où elle s'est arrêtée."
                .into(),
            Error::Protocol(_) => "Réponse inattendue du serveur.".into(),
            Error::Store(e) => e.user_message(),
        }
    }

    /// Worth retrying: the network or the server failed, not the request.
    fn retryable(&self) -> bool {
        match self {
            Error::Network(_) | Error::Protocol(_) => true,
            Error::Refused { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Changes per push batch.
    pub batch_size: usize,
    /// Records per pull page.
    pub page_size: u32,
    /// Attempts per request before giving up (transport errors, 5xx).
    pub max_attempts: u32,
    /// First retry delay; doubled at each attempt, capped at `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub request_timeout: Duration,
    /// Allow `http://` to a non-loopback server (a test bench, a trusted network).
    pub allow_plain_http: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            // The protocol's limits: fewer round trips and commits (a push batch is cut
            // further if its body would exceed the server's limit).
            batch_size: MAX_BATCH_CHANGES,
            page_size: MAX_PAGE_RECORDS,
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            request_timeout: Duration::from_secs(60),
            allow_plain_http: false,
        }
    }
}

/// Where a sync is, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// `done` of `total` local changes pushed.
    Pushing {
        done: usize,
        total: usize,
    },
    /// Records received so far.
    Pulling {
        received: usize,
    },
    /// A reference data set downloaded.
    Reference,
    Applying,
    /// A request failed; retrying after a pause.
    Retrying {
        attempt: u32,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pushed: usize,
    /// Pushed changes the server had already (a resumed sync).
    pub duplicates: usize,
    /// Pushed changes that clashed with another laptop's edit (both values kept).
    pub conflicts: usize,
    pub pulled: usize,
    pub applied: u32,
    /// Pulled records not applicable yet (kept for next time).
    pub waiting: u32,
    pub reference_updated: Vec<String>,
    /// Fields in conflict in the store after this sync.
    pub open_conflicts: u32,
}

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

/// The HTTP side: one server, one token.
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    opts: SyncOptions,
}

fn install_crypto_provider() {
    // Err: a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The TLS configuration (system roots through the platform verifier), built once per
/// process: loading the system's certificates costs milliseconds each time.
fn tls_config() -> Result<rustls::ClientConfig> {
    use rustls_platform_verifier::ConfigVerifierExt;
    static CONFIG: std::sync::OnceLock<std::result::Result<rustls::ClientConfig, String>> =
        std::sync::OnceLock::new();
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
            .use_preconfigured_tls(tls_config()?)
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
        })
    }

    async fn post_once<R: DeserializeOwned>(&self, path: &str, body: &[u8]) -> Result<R> {
        let mut req = self
            .http
            .post(format!("{}{API_PREFIX}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
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
        Err(Error::Refused {
            status: status.as_u16(),
            code,
            message,
        })
    }

    /// Posts with retries and exponential backoff on transport errors and 5xx.
    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<R> {
        let body = serde_json::to_vec(body).map_err(|e| Error::Protocol(e.to_string()))?;
        self.post_bytes(path, &body, progress).await
    }

    /// Posts a serialised body (the same bytes at every attempt).
    async fn post_bytes<R: DeserializeOwned>(
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
    /// limit (at least one change); the acks say how many were sent.
    pub async fn push_prefix(
        &self,
        mut changes: Vec<Change>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<PushResponse> {
        loop {
            let req = PushRequest {
                protocol: PROTOCOL_VERSION,
                changes,
            };
            let body = serde_json::to_vec(&req).map_err(|e| Error::Protocol(e.to_string()))?;
            changes = req.changes;
            if body.len() <= MAX_BODY_BYTES || changes.len() <= 1 {
                return self.post_bytes("/push", &body, progress).await;
            }
            // Too large (long notes): send the first half now, the rest next time.
            changes.truncate(changes.len().div_ceil(2));
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

/// Enrolls this laptop with a one-time code and records the server and token.
pub async fn enroll(
    store: &mut Store,
    server_url: &str,
    code: &str,
    device_name: &str,
    opts: SyncOptions,
) -> Result<EnrollResponse> {
    let client = Client::new(server_url, None, opts)?;
    let resp = client.enroll(code, device_name).await?;
    store.sync_enroll(
        &client.base,
        &resp.device_id.to_string(),
        &resp.adviser,
        &resp.token,
    )?;
    tracing::info!(device = %resp.device_id, "enrolled");
    Ok(resp)
}

fn to_change(c: OutgoingChange) -> Result<Change> {
    Ok(Change {
        change_id: uuid::Uuid::parse_str(&c.change_id)
            .map_err(|e| Error::Protocol(format!("stored change id: {e}")))?,
        table: c.table,
        record_id: c.record_id,
        base_revision: c.base_revision,
        fields: c.fields,
        deleted: c.deleted,
    })
}

fn to_incoming(r: preau_protocol::RemoteRecord) -> IncomingRecord {
    IncomingRecord {
        table: r.table,
        record_id: r.record_id,
        revision: r.revision,
        deleted: r.deleted,
        fields: r.fields,
        conflicts: r
            .conflicts
            .into_iter()
            .map(|c| IncomingConflict {
                field: c.field,
                value: c.value,
                device_id: c.device_id.to_string(),
                revision: c.revision,
            })
            .collect(),
    }
}

/// Fetches the reference data sets newer than the ones this laptop has.
async fn update_reference(
    store: &mut Store,
    client: &Client,
    versions: &[ReferenceVersion],
    report: &mut SyncReport,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<()> {
    let known = store.sync_reference_versions()?;
    for r in versions {
        if known.get(&r.kind).is_some_and(|v| *v >= r.version) {
            continue;
        }
        let data = client.reference(&r.kind, progress).await?;
        store.sync_reference_received(&data.kind, data.version, &data.content)?;
        if !report.reference_updated.contains(&data.kind) {
            report.reference_updated.push(data.kind);
        }
        progress(Progress::Reference);
    }
    Ok(())
}

/// One full sync of `store` with its server.
pub async fn sync(
    store: &mut Store,
    opts: SyncOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<SyncReport> {
    let url = store
        .sync_get(preau_core::sync_state::KEY_SERVER_URL)?
        .ok_or(Error::NotEnrolled)?;
    let token = store
        .sync_get(preau_core::sync_state::KEY_TOKEN)?
        .ok_or(Error::NotEnrolled)?;
    let batch_size = opts.batch_size.max(1);
    let client = Client::new(&url, Some(token), opts)?;
    let mut report = SyncReport::default();

    // Push, batch by batch, in order; each change keeps its id until acknowledged. While a
    // batch is in flight the next one is made from the log and saved (the store's work
    // overlaps the server's); it is sent only once the previous one is acknowledged.
    let total = usize::try_from(store.sync_overview()?.pending).unwrap_or(usize::MAX);
    let mut queue: VecDeque<OutgoingChange> = store.sync_outgoing_saved(usize::MAX)?.into();
    let mut log_empty = false;
    loop {
        if queue.is_empty() && !log_empty {
            let built = store.sync_outgoing_build(batch_size)?;
            log_empty = built.is_empty();
            queue.extend(built);
        }
        if queue.is_empty() {
            break;
        }
        let changes = queue
            .iter()
            .take(batch_size)
            .cloned()
            .map(to_change)
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<Uuid> = changes.iter().map(|c| c.change_id).collect();
        let build_next = !log_empty && queue.len() < 2 * batch_size;
        let (resp, built) = tokio::join!(client.push_prefix(changes, progress), async {
            if build_next {
                Some(store.sync_outgoing_build(batch_size))
            } else {
                None
            }
        });
        if let Some(built) = built {
            let built = built?;
            log_empty = built.is_empty();
            queue.extend(built);
        }
        let resp = resp?;
        for ack in &resp.acks {
            match ack.status {
                AckStatus::Applied => {}
                AckStatus::Conflict => report.conflicts += 1,
                AckStatus::Duplicate => report.duplicates += 1,
            }
        }
        // The acks answer the changes sent, in order (a prefix of the batch when it was
        // cut to fit the body limit): anything else is not trusted.
        let acked: Vec<String> = resp.acks.iter().map(|a| a.change_id.to_string()).collect();
        if resp.acks.is_empty()
            || resp.acks.len() > ids.len()
            || resp.acks.iter().zip(&ids).any(|(a, id)| a.change_id != *id)
        {
            return Err(Error::Protocol(format!(
                "{} acks for {} changes",
                acked.len(),
                ids.len()
            )));
        }
        store.sync_acknowledge(&acked)?;
        queue.drain(..acked.len());
        report.pushed += acked.len();
        progress(Progress::Pushing {
            done: report.pushed,
            total: total.max(report.pushed),
        });
    }

    // Pull, page by page: each page applied with its cursor in one transaction (records
    // not applicable yet are staged), while the next page is already being fetched. Newer
    // reference data is fetched once the first page names the versions, before anything
    // is applied (schools are parents of records).
    let mut page = client.pull(store.sync_cursor()?, progress).await?;
    update_reference(store, &client, &page.reference, &mut report, progress).await?;
    let reference = loop {
        report.pulled += page.records.len();
        let (more, next_cursor, reference) = (page.more, page.next_cursor, page.reference);
        let records: Vec<IncomingRecord> = page.records.into_iter().map(to_incoming).collect();
        let (next, applied) = tokio::join!(
            async {
                if more {
                    Some(client.pull(next_cursor, progress).await)
                } else {
                    None
                }
            },
            async { store.sync_receive(&records, next_cursor) }
        );
        report.applied += applied?.applied;
        progress(Progress::Pulling {
            received: report.pulled,
        });
        match next {
            Some(next) => page = next?,
            None => break reference,
        }
    };
    // A version published while pulling.
    update_reference(store, &client, &reference, &mut report, progress).await?;

    // Records staged by this sync or an earlier one, now that their parents may be here.
    progress(Progress::Applying);
    let applied = store.sync_apply_inbox()?;
    report.applied += applied.applied;
    report.waiting = applied.waiting;
    report.open_conflicts = store.sync_overview()?.conflicts;
    Ok(report)
}
