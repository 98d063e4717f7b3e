//! The background sync. One task waits for « Synchroniser » or its next check; every
//! ~60 s it asks the server's `health` and syncs when the server is reachable and there is
//! something to do (it just came back, local changes wait, or the last sync is old).
//!
//! The sync itself runs on a blocking thread with its own small runtime and a SECOND
//! connection to the store (SQLite WAL: the window's connection keeps reading and writing
//! meanwhile; each of the sync's writes is its own short transaction). preau-sync already
//! retries each request with backoff; this loop only spaces whole attempts out
//! (exponential, capped) after a failure. A revoked token stops automatic syncs for good
//! (until the laptop is enrolled again); the local data stays.
//!
//! The window hears `sync://status` (the whole state, after each change) and
//! `sync://progress` (phase and n / total while a sync runs).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use preau_core::sync_resolve::{SyncPhase, SyncStatus};
use preau_core::Store;
use preau_sync::{Progress, SyncOptions};
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use tokio::sync::Notify;

pub const EVENT_STATUS: &str = "sync://status";
pub const EVENT_PROGRESS: &str = "sync://progress";

/// First look after start (the window comes up first).
const FIRST_CHECK: Duration = Duration::from_secs(3);
/// Between two health checks when all is well.
const CHECK_EVERY: Duration = Duration::from_secs(60);
/// Longest pause between two checks while the server cannot be reached.
const MAX_OFFLINE_WAIT: Duration = Duration::from_secs(5 * 60);
/// Longest pause after syncs that failed although the server answered its health check.
const MAX_FAILED_WAIT: Duration = Duration::from_secs(15 * 60);
/// A reachable server with nothing to push is still pulled from this often.
const PULL_EVERY: Duration = Duration::from_secs(5 * 60);
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);

/// `base`, doubled at each failure after the first, at most `cap`.
pub fn backoff(failures: u32, base: Duration, cap: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    base.saturating_mul(1 << doublings).min(cap)
}

/// What the running sync is doing; the rest of the state is read from the store.
#[derive(Debug, Clone, Default)]
struct Live {
    running: bool,
    phase: SyncPhase,
    done: u32,
    total: u32,
    online: Option<bool>,
    last_error: Option<String>,
    /// Bumped at each change (see `SyncStatus::seq`).
    seq: u32,
}

/// The payload of `sync://progress`.
#[derive(Debug, Clone, Serialize)]
struct ProgressEvent {
    seq: u32,
    phase: SyncPhase,
    done: u32,
    total: u32,
}

pub struct SyncWorker {
    data_dir: PathBuf,
    live: Mutex<Live>,
    /// « Synchroniser » was asked: sync without waiting for a health check.
    requested: AtomicBool,
    wake: Notify,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl SyncWorker {
    pub fn new(data_dir: &Path) -> Arc<SyncWorker> {
        Arc::new(SyncWorker {
            data_dir: data_dir.to_path_buf(),
            live: Mutex::new(Live::default()),
            requested: AtomicBool::new(false),
            wake: Notify::new(),
        })
    }

    fn live(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes what the sync is doing (and its `seq`).
    fn update(&self, f: impl FnOnce(&mut Live)) {
        let mut live = self.live();
        f(&mut live);
        live.seq = live.seq.wrapping_add(1);
    }

    /// The store's part of the state completed with what the sync is doing now.
    pub fn compose(&self, mut status: SyncStatus) -> SyncStatus {
        let live = self.live().clone();
        status.running = live.running;
        status.phase = live.phase;
        status.done = live.done;
        status.total = live.total;
        status.online = live.online;
        status.last_error = live.last_error;
        status.seq = live.seq;
        status
    }

    /// Asks for a sync now (no health check first, no backoff wait).
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    pub fn is_running(&self) -> bool {
        self.live().running
    }

    /// A new enrollment: forget the last failure and sync at once.
    pub fn enrolled(&self) {
        self.update(|live| {
            live.online = Some(true);
            live.last_error = None;
        });
        self.request();
    }

    pub fn start(self: &Arc<Self>, app: AppHandle) {
        // reqwest is built without a default TLS provider (preau-sync installs the same
        // one when it makes its client): the health check may come first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let worker = Arc::clone(self);
        tauri::async_runtime::spawn(async move { worker.run(app).await });
    }

    fn emit_status(&self, app: &AppHandle, store: &Store) {
        match store.sync_status() {
            Ok(base) => {
                if let Err(e) = app.emit(EVENT_STATUS, self.compose(base)) {
                    tracing::warn!(error = %e, "sync status not sent to the window");
                }
            }
            Err(e) => tracing::warn!(error = %e, "sync status unreadable"),
        }
    }

    fn on_progress(&self, app: &AppHandle, p: Progress) {
        let event = {
            let mut live = self.live();
            live.seq = live.seq.wrapping_add(1);
            match p {
                Progress::Pushing { done, total } => {
                    live.phase = SyncPhase::Pushing;
                    live.done = count(done);
                    live.total = count(total);
                }
                Progress::Pulling { received } => {
                    live.phase = SyncPhase::Pulling;
                    live.done = count(received);
                    live.total = 0;
                }
                Progress::Reference => live.phase = SyncPhase::Reference,
                Progress::Applying => live.phase = SyncPhase::Applying,
                Progress::Retrying { attempt } => {
                    live.phase = SyncPhase::Retrying;
                    live.done = attempt;
                    live.total = 0;
                }
            }
            ProgressEvent {
                seq: live.seq,
                phase: live.phase,
                done: live.done,
                total: live.total,
            }
        };
        let _ = app.emit(EVENT_PROGRESS, event);
    }

    async fn run(self: Arc<Self>, app: AppHandle) {
        let mut store: Option<Store> = None;
        let mut wait = FIRST_CHECK;
        // Failed syncs in a row, and failed health checks in a row.
        let mut failures: u32 = 0;
        let mut offline: u32 = 0;
        let mut last_ok: Option<Instant> = None;
        loop {
            let _ = tokio::time::timeout(wait, self.wake.notified()).await;
            let manual = self.requested.swap(false, Ordering::SeqCst);
            wait = CHECK_EVERY;

            let Some(st) = store.take() else {
                store = self.open_second_connection(&app).await;
                if store.is_some() && !manual {
                    wait = Duration::ZERO;
                } else if store.is_some() {
                    self.request();
                }
                continue;
            };
            let status = match st.sync_status() {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "sync state unreadable");
                    store = Some(st);
                    continue;
                }
            };
            let Some(url) = status.server_url.clone().filter(|_| !status.revoked) else {
                if manual {
                    self.update(|live| live.running = false);
                    self.emit_status(&app, &st);
                }
                store = Some(st);
                continue;
            };

            if !manual {
                let reachable = health(&url).await;
                let was_online = self.live().online == Some(true);
                if !reachable {
                    offline = offline.saturating_add(1);
                    wait = backoff(offline, CHECK_EVERY, MAX_OFFLINE_WAIT);
                    if was_online || self.live().online.is_none() {
                        self.update(|live| live.online = Some(false));
                        self.emit_status(&app, &st);
                    }
                    tracing::debug!(?wait, "sync server unreachable");
                    store = Some(st);
                    continue;
                }
                offline = 0;
                if !was_online {
                    self.update(|live| live.online = Some(true));
                }
                let due = !was_online
                    || status.pending > 0
                    || status.waiting > 0
                    || last_ok.is_none_or(|t| t.elapsed() >= PULL_EVERY);
                if !due {
                    store = Some(st);
                    continue;
                }
            }

            self.update(|live| {
                live.running = true;
                live.phase = SyncPhase::Checking;
                live.done = 0;
                live.total = 0;
            });
            self.emit_status(&app, &st);
            let (st, result) = self.sync_once(&app, st).await;
            let Some(mut st) = st else {
                // The blocking task died (a panic): open a fresh connection next time.
                self.finish(
                    None,
                    Some("La synchronisation s'est arrêtée : elle reprendra.".into()),
                );
                failures = failures.saturating_add(1);
                wait = backoff(failures, CHECK_EVERY, MAX_FAILED_WAIT);
                continue;
            };
            match result {
                Ok(report) => {
                    tracing::info!(
                        pushed = report.pushed,
                        pulled = report.pulled,
                        conflicts = report.open_conflicts,
                        "sync done"
                    );
                    failures = 0;
                    offline = 0;
                    last_ok = Some(Instant::now());
                    self.finish(Some(true), None);
                }
                Err(preau_sync::Error::Revoked) => {
                    tracing::warn!("device revoked by the server");
                    if let Err(e) = st.sync_set_revoked(true) {
                        tracing::error!(error = %e, "revocation not recorded");
                    }
                    self.finish(Some(true), Some(preau_sync::Error::Revoked.user_message()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sync failed");
                    failures = failures.saturating_add(1);
                    wait = backoff(failures, CHECK_EVERY, MAX_FAILED_WAIT);
                    let online = !matches!(e, preau_sync::Error::Network(_));
                    self.finish(Some(online), Some(e.user_message()));
                }
            }
            self.emit_status(&app, &st);
            store = Some(st);
        }
    }

    /// The sync ended: `online` if known, and its error.
    fn finish(&self, online: Option<bool>, error: Option<String>) {
        self.update(|live| {
            live.running = false;
            live.phase = SyncPhase::Idle;
            live.done = 0;
            live.total = 0;
            if online.is_some() {
                live.online = online;
            }
            live.last_error = error;
        });
    }

    /// Opens the sync's own connection once the window's store is open.
    async fn open_second_connection(&self, app: &AppHandle) -> Option<Store> {
        use tauri::Manager;
        let available = app
            .state::<crate::state::AppState>()
            .with_store(|_| Ok(()))
            .is_ok();
        if !available {
            return None;
        }
        let dir = self.data_dir.clone();
        match tauri::async_runtime::spawn_blocking(move || Store::open_in(&dir)).await {
            Ok(Ok(store)) => Some(store),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "sync connection to the store failed");
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "sync connection task failed");
                None
            }
        }
    }

    /// One sync on a blocking thread; gives the store back (None if the thread died).
    async fn sync_once(
        self: &Arc<Self>,
        app: &AppHandle,
        mut store: Store,
    ) -> (Option<Store>, preau_sync::Result<preau_sync::SyncReport>) {
        let worker = Arc::clone(self);
        let app = app.clone();
        let task = tauri::async_runtime::spawn_blocking(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => return (store, Err(preau_sync::Error::Network(e.to_string()))),
            };
            let mut progress = |p: Progress| worker.on_progress(&app, p);
            let result = runtime.block_on(preau_sync::sync(
                &mut store,
                SyncOptions::default(),
                &mut progress,
            ));
            (store, result)
        });
        match task.await {
            Ok((store, result)) => (Some(store), result),
            Err(e) => (
                None,
                Err(preau_sync::Error::Protocol(format!("sync task: {e}"))),
            ),
        }
    }
}

/// Whether the server answers `GET /api/v1/health` (no token needed).
async fn health(base: &str) -> bool {
    let client = match reqwest::Client::builder()
        .timeout(HEALTH_TIMEOUT)
        .connect_timeout(HEALTH_TIMEOUT)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "no HTTP client for the health check");
            return false;
        }
    };
    let url = format!("{base}{}/health", preau_protocol::API_PREFIX);
    match client.get(&url).send().await {
        Ok(resp) => resp.status().is_success(),
        Err(e) => {
            tracing::debug!(error = %e, "health check failed");
            false
        }
    }
}

/// The name this laptop gives itself on the server.
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "poste Préau".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_stops_at_its_cap() {
        let s = Duration::from_secs;
        let waits: Vec<Duration> = (1..=6).map(|f| backoff(f, s(60), s(5 * 60))).collect();
        assert_eq!(waits, [s(60), s(120), s(240), s(300), s(300), s(300)]);
        assert_eq!(backoff(0, s(60), s(300)), s(60));
        assert_eq!(backoff(u32::MAX, s(60), s(900)), s(900));
    }
}
