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
//! Local edits are sent soon, not only at the next check: while the worker waits it polls
//! the store every `EDIT_POLL` (see `EditWatch`) and, once the edits have paused
//! (`EDIT_QUIET`, at most `EDIT_MAX_DELAY` after the first), ends its wait early.
//!
//! After « Restaurer une sauvegarde » the store file is replaced: the worker's connection
//! is dropped and opened again on the restored file (`store_replaced`).
//!
//! The window hears `sync://status` (the whole state, after each change) and
//! `sync://progress` (phase and n / total while a sync runs).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
/// How often the waiting worker looks for local edits.
const EDIT_POLL: Duration = Duration::from_secs(2);
/// Edits are sent once none came for this long (a burst of edits: one sync)…
const EDIT_QUIET: Duration = Duration::from_secs(3);
/// …or at the latest this long after the first one (someone typing for minutes).
const EDIT_MAX_DELAY: Duration = Duration::from_secs(8);

/// `base`, doubled at each failure after the first, at most `cap`.
pub fn backoff(failures: u32, base: Duration, cap: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    base.saturating_mul(1 << doublings).min(cap)
}

/// Notices local edits from the worker's own connection, and says when to send them.
///
/// Why a poll of `PRAGMA data_version` rather than a notification from the write path:
/// the window's writes go through ~40 commands (and `with_store` does not know which of
/// them write), preau-cli may write to the same file, and a forgotten hook would silently
/// bring back the 60 s delay. `data_version` moves for every commit by another connection,
/// whoever made it, and never for the sync's own writes; reading it costs nothing (no
/// query plan, no I/O beyond the WAL index), so polling it every 2 s is free. Only when it
/// moved does the worker count the changes waiting (`sync_status().pending`): a write that
/// is not synced (a setting, a draft) starts nothing.
#[derive(Debug, Default)]
struct EditWatch {
    /// `data_version` at the last look (None: not read yet).
    version: Option<i64>,
    /// The first and the latest look that found new edits waiting, since the last sync.
    first: Option<Instant>,
    last: Option<Instant>,
}

impl EditWatch {
    /// Starts over from `version` (a sync begins: what it sends is no longer news).
    fn rebase(&mut self, version: Option<i64>) {
        *self = EditWatch {
            version,
            ..EditWatch::default()
        };
    }

    /// Whether `version` differs from the last look (and remembers it).
    fn moved(&mut self, version: i64) -> bool {
        let moved = self.version.is_some_and(|v| v != version);
        self.version = Some(version);
        moved
    }

    /// New edits waiting were seen at `now`.
    fn edited(&mut self, now: Instant) {
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    /// Whether the edits seen should be sent now.
    fn due(&self, now: Instant) -> bool {
        match (self.first, self.last) {
            (Some(first), Some(last)) => {
                now.saturating_duration_since(last) >= EDIT_QUIET
                    || now.saturating_duration_since(first) >= EDIT_MAX_DELAY
            }
            _ => false,
        }
    }
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
    /// Bumped when the store file is replaced (a backup restored): a connection opened
    /// before is on the old file.
    store_generation: AtomicU64,
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
            store_generation: AtomicU64::new(0),
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

    /// The store file was replaced (a backup restored): reopen the sync's connection on
    /// it, at once.
    pub fn store_replaced(&self) {
        self.store_generation.fetch_add(1, Ordering::SeqCst);
        self.wake.notify_one();
    }

    fn generation(&self) -> u64 {
        self.store_generation.load(Ordering::SeqCst)
    }

    /// Waits `wait`, or less: « Synchroniser » or a restored store wake it up, and local
    /// edits end it once due (`EditWatch`). `watch_edits`: the worker would sync them now
    /// (enrolled, online, no failure to back off from). The store is lent `&mut` only
    /// because a `&Store` is not `Send` and the task's future must be.
    async fn pause(
        &self,
        wait: Duration,
        store: Option<&mut Store>,
        watch: &mut EditWatch,
        watch_edits: bool,
    ) {
        let deadline = Instant::now() + wait;
        let store = store.filter(|_| watch_edits);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let step = if store.is_some() {
                left.min(EDIT_POLL)
            } else {
                left
            };
            if tokio::time::timeout(step, self.wake.notified())
                .await
                .is_ok()
            {
                return;
            }
            let Some(st) = store.as_deref() else {
                continue;
            };
            let now = Instant::now();
            match st.data_version() {
                Ok(version) if watch.moved(version) => match st.sync_status() {
                    Ok(s) if s.enrolled && !s.revoked && s.pending > 0 => watch.edited(now),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "sync state unreadable"),
                },
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "store version unreadable"),
            }
            if watch.due(now) {
                tracing::debug!("local edits: sync soon");
                return;
            }
        }
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
        // The sync's connection, with the store generation it was opened at.
        let mut store: Option<Store> = None;
        let mut opened_at: u64 = 0;
        let mut wait = FIRST_CHECK;
        // Failed syncs in a row, and failed health checks in a row.
        let mut failures: u32 = 0;
        let mut offline: u32 = 0;
        let mut last_ok: Option<Instant> = None;
        let mut watch = EditWatch::default();
        loop {
            let watch_edits = failures == 0 && offline == 0 && self.live().online == Some(true);
            self.pause(wait, store.as_mut(), &mut watch, watch_edits)
                .await;
            let manual = self.requested.swap(false, Ordering::SeqCst);
            wait = CHECK_EVERY;
            // Whatever ends this wait, edits seen so far are handled by this turn.
            watch.rebase(store.as_ref().and_then(|st| st.data_version().ok()));

            if store.is_some() && opened_at != self.generation() {
                tracing::info!("store file replaced: reopening the sync connection");
                store = None;
            }
            let Some(st) = store.take() else {
                opened_at = self.generation();
                store = self.open_second_connection(&app).await;
                watch.rebase(store.as_ref().and_then(|st| st.data_version().ok()));
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
    fn edits_are_sent_once_they_pause_or_after_the_longest_delay() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut watch = EditWatch::default();
        // The first look only sets the reference.
        assert!(!watch.moved(7));
        assert!(!watch.due(at(60_000)), "nothing seen, nothing due");
        assert!(!watch.moved(7));
        // One edit: sent once nothing else came for EDIT_QUIET.
        assert!(watch.moved(8));
        watch.edited(at(0));
        assert!(!watch.due(at(2_000)));
        assert!(watch.due(at(3_000)));
        // A burst: each look finds more, the quiet time restarts…
        watch.rebase(Some(8));
        for ms in (0..=6_000).step_by(2_000) {
            watch.edited(at(ms));
            assert!(!watch.due(at(ms)), "not while typing ({ms} ms)");
        }
        // …but someone typing for minutes still syncs EDIT_MAX_DELAY after the first.
        watch.edited(at(8_000));
        assert!(watch.due(at(8_000)));
        // A sync starts: what it sends is no longer news.
        watch.rebase(Some(9));
        assert!(!watch.due(at(20_000)));
        assert!(!watch.moved(9));
    }

    #[test]
    fn backoff_doubles_then_stops_at_its_cap() {
        let s = Duration::from_secs;
        let waits: Vec<Duration> = (1..=6).map(|f| backoff(f, s(60), s(5 * 60))).collect();
        assert_eq!(waits, [s(60), s(120), s(240), s(300), s(300), s(300)]);
        assert_eq!(backoff(0, s(60), s(300)), s(60));
        assert_eq!(backoff(u32::MAX, s(60), s(900)), s(900));
    }
}
